import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsCalls } from '../../../lib/client/aws-calls';
import { cacheCounts, cacheModelOf, keyFor } from '../../../lib/client/executions/step-cache';
import { aslOf } from '../../support/asl';
import { cachedGenomicsPipeline, failingJob, runLocally, threeSamples } from '../../support/pipeline';
import { mockedPipelineClient } from '../../support/clients';

// The client's model of the step cache (lib/client/executions/step-cache.ts) against what the state machine itself
// records when run locally (with the interpreter's SHA-256 fixed: test/support/local-sfn.ts).

const s3Mock = mockClient(S3Client);

const cachedPipeline = cachedGenomicsPipeline;

/** A week where s2's callVariants failed: every other step of every item recorded its result. */
async function weekWithOneFailure() {
  const g = cachedPipeline();
  const cacheStore = new Map<string, string>();
  await runLocally(g.stack, threeSamples, failingJob('callVariants', 's2'), 'run-1', { cacheStore });
  return { model: cacheModelOf(aslOf(Template.fromStack(g.stack))), cacheStore };
}

beforeEach(() => s3Mock.reset());

test('the model finds each cached step, its record prefix and the steps whose keys join its key, in order', async () => {
  const { model } = await weekWithOneFailure();
  expect(model.steps.map((s) => [s.name, s.deps, s.level])).toEqual([
    ['align', [], 0],
    ['callVariants', ['align'], 1],
    ['qc', ['align'], 1],
  ]);
  expect(model.uncachedLevels).toEqual([]);
  expect(model.steps[0].recordPrefix).toMatch(/^cache\/TestPipeline[0-9A-F]{8}\/align\/$/);
});

test("the client's keys are the state machine's: every record the run wrote is found under the key computed", async () => {
  const { model, cacheStore } = await weekWithOneFailure();
  const computed = new Set<string>();
  for (const item of threeSamples.samples) {
    const keys: Record<string, string | undefined> = {};
    for (const step of model.steps) {
      keys[step.name] = keyFor(step, item, keys);
      computed.add(`${step.recordPrefix}${keys[step.name]}`);
    }
  }
  // 9 keys computed; the 8 steps that succeeded recorded theirs (s2's callVariants failed).
  expect(computed.size).toBe(9);
  expect([...cacheStore.keys()].every((k) => computed.has(k))).toBe(true);
  expect(cacheStore.size).toBe(8);
});

test('before a rerun, counts per step how many items run and how many are cached', async () => {
  const { model, cacheStore } = await weekWithOneFailure();
  // HeadObject of a missing key: 404 with no body, which the SDK raises as NotFound
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html: "If the object you request doesn't exist,
  // the error that Amazon S3 returns depends on whether you also have the s3:ListBucket permission").
  s3Mock.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    if (cacheStore.has(input.Key)) {
      return { ContentLength: 20, ETag: '"9b2cf535f27731c974343645a3985328"' };
    }
    throw new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } });
  });
  const aws = (mockedPipelineClient() as unknown as { aws: AwsCalls }).aws;
  const counts = await cacheCounts(aws, model, threeSamples.samples);
  expect(counts).toEqual([
    { step: 'align', run: 0, cached: 3 },
    { step: 'callVariants', run: 1, cached: 2 },
    { step: 'qc', run: 0, cached: 3 },
  ]);
  // An item with a new input runs every step.
  const changed = [{ ...threeSamples.samples[0], inputUri: 's3://in/s1-again.fq' }];
  expect(await cacheCounts(aws, model, changed)).toEqual([
    { step: 'align', run: 1, cached: 0 },
    { step: 'callVariants', run: 1, cached: 0 },
    { step: 'qc', run: 1, cached: 0 },
  ]);
});

test('a step with cache: false runs every time, and so does every step after it', async () => {
  const g = cachedPipeline({ align: { cache: false } });
  const model = cacheModelOf(aslOf(Template.fromStack(g.stack)));
  expect(model.steps.map((s) => s.name)).toEqual(['callVariants', 'qc']);
  expect(model.uncachedLevels).toEqual([0]);
  // Every record there: still, align runs, so callVariants and qc run too.
  s3Mock.on(HeadObjectCommand).resolves({ ContentLength: 20 });
  const aws = (mockedPipelineClient() as unknown as { aws: AwsCalls }).aws;
  expect(await cacheCounts(aws, model, threeSamples.samples)).toEqual([
    { step: 'callVariants', run: 3, cached: 0 },
    { step: 'qc', run: 3, cached: 0 },
  ]);
});

test("with input objects, the client's keys are the state machine's: it reads the same ETags (HeadObject)", async () => {
  const g = cachedPipeline({}, (stack) => ({
    inputObjects: [{ field: 'inputUri', bucket: s3.Bucket.fromBucketName(stack, 'In', 'input-bucket'), prefix: 's/' }],
  }));
  const uri = (id: string) => `s3://input-bucket/s/${id}.fq`;
  const items = ['s1', 's2', 's3'].map((id) => ({ sampleId: id, inputUri: uri(id), outputUri: `s3://out/${id}/` }));
  // s3's object is missing: its align runs every time (and so do the steps after it).
  const etags = new Map([
    [uri('s1'), '"0f343b0931126a20f133d67c2b018a3b"'],
    [uri('s2'), '"d41d8cd98f00b204e9800998ecf8427e-2"'],
  ]);
  const cacheStore = new Map<string, string>();
  await runLocally(g.stack, { samples: items }, undefined, 'run-1', { cacheStore, inputObjects: etags });
  const model = cacheModelOf(aslOf(Template.fromStack(g.stack)));
  expect(model.inputObjects).toEqual([{ field: 'inputUri', bucket: 'input-bucket', prefix: 's/' }]);
  // HeadObject answers with the ETag (quoted; a multipart upload's ends in -<parts>), or 404 NotFound:
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#API_HeadObject_ResponseSyntax
  s3Mock.on(HeadObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const etag = etags.get(`s3://${input.Bucket}/${input.Key}`);
    if (input.Bucket === 'input-bucket' && etag) {
      return { ETag: etag };
    }
    if (cacheStore.has(input.Key)) {
      return { ETag: '"9b2cf535f27731c974343645a3985328"' };
    }
    throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
  });
  const aws = (mockedPipelineClient() as unknown as { aws: AwsCalls }).aws;
  const counts = await cacheCounts(aws, model, items);
  expect(counts).toEqual([
    { step: 'align', run: 1, cached: 2 },
    { step: 'callVariants', run: 1, cached: 2 },
    { step: 'qc', run: 1, cached: 2 },
  ]);
});
