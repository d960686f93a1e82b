import { createHash } from 'crypto';
import { App, CfnElement } from 'aws-cdk-lib';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';
import { applicationError } from '../support/batch-failures';
import { jobFailure, runLocally, SubmitCall } from '../support/pipeline';

/**
 * Resuming a bad week from the step cache, over the example's own state machine run locally (its States.Hash fixed:
 * test/support/local-sfn.ts): 500 samples, 10 of them fail in callVariants (a bad reference file), then the week is
 * rerun as `batch-pipelines rerun` resumes it, with the records the first run wrote. Figures are in
 * docs/fault-injection.md.
 */

const ITEMS = 500;
const FAILING = new Set([3, 41, 77, 120, 188, 256, 301, 342, 415, 480]);
const stack = new GenomicsPipelineStack(new App(), 'Genomics');
// The input bucket's name as the local run sees it (test/support/asl.ts: a bucket's reference becomes its logical id):
// the samples' reads are its objects under samples/, which the example declares as input objects.
const inputBucket = stack.getLogicalId(stack.inputBucket.node.defaultChild as CfnElement).toLowerCase();
const uriOf = (i: number) => `s3://${inputBucket}/samples/S${i}.fastq.gz`;
const week = {
  manifest: { bucket: 'input', key: 'manifests/week-49.json' },
  manifestItems: Array.from({ length: ITEMS }, (_, i) => ({
    sampleId: `S${String(i).padStart(4, '0')}`,
    inputUri: uriOf(i),
    outputUri: `s3://out/S${i}/`,
  })),
};
const indexOf = (c: SubmitCall) => Number(c.input.JobName.split('-').pop());
const perStep = (calls: SubmitCall[]) => {
  const counts: Record<string, number> = { align: 0, callVariants: 0, qc: 0, aggregate: 0 };
  for (const c of calls) {
    counts[c.state]++;
  }
  return counts;
};

describe('resuming a week from the step cache', () => {
  const cacheStore = new Map<string, string>();
  const figures: Record<string, unknown> = {};
  let first: Awaited<ReturnType<typeof runLocally>>;
  let resumed: Awaited<ReturnType<typeof runLocally>>;
  let recordedByFirst = 0;

  beforeAll(async () => {
    first = await runLocally(
      stack,
      week,
      (call) => {
        if (call.state === 'callVariants' && FAILING.has(indexOf(call))) {
          throw jobFailure(applicationError(3));
        }
      },
      'week-49',
      { cacheStore },
    );
    recordedByFirst = cacheStore.size;
    resumed = await runLocally(stack, week, undefined, 'week-49-resumed', { cacheStore });
  }, 600_000);

  afterAll(() => {
    console.log('resume figures:', JSON.stringify(figures));
  });

  test('the first run: every step of every item runs, 10 callVariants fail, every success is recorded', () => {
    const counts = perStep(first.calls);
    figures.first = counts;
    expect(counts).toEqual({ align: 500, callVariants: 500, qc: 500, aggregate: 1 });
    expect(first.output!.samplesSummary).toMatchObject({ status: 'PARTIAL', failed: 10 });
    expect(recordedByFirst).toBe(500 * 3 - 10);
  });

  test('the resumed run submits exactly the failed items’ callVariants and the cohort step: 0 align jobs', () => {
    const counts = perStep(resumed.calls);
    figures.resumed = counts;
    expect(counts).toEqual({ align: 0, callVariants: 10, qc: 0, aggregate: 1 });
    expect(new Set(resumed.calls.filter((c) => c.state === 'callVariants').map(indexOf))).toEqual(FAILING);
    expect(resumed.output!.samplesSummary).toMatchObject({ status: 'SUCCEEDED', failed: 0 });
  });

  test('a third run, with nothing failed, submits no item job (only the cohort step, which is not cached)', async () => {
    const third = await runLocally(stack, week, undefined, 'week-49-third', { cacheStore });
    figures.third = perStep(third.calls);
    expect(perStep(third.calls)).toEqual({ align: 0, callVariants: 0, qc: 0, aggregate: 1 });
  }, 300_000);

  test("a new revision of align's job definition (a new image) runs align and every step after it", async () => {
    let rewritten = 0;
    const rewriteAsl = (asl: string) =>
      asl.replace(/(job-definition\/Align[0-9A-F]{8}):1/g, (_, arn: string) => {
        rewritten++;
        return `${arn}:2`;
      });
    const store = new Map(cacheStore);
    const run = await runLocally(stack, week, undefined, 'week-49-new-align', { cacheStore: store, rewriteAsl });
    expect(rewritten).toBeGreaterThan(0);
    figures.newAlignImage = perStep(run.calls);
    expect(perStep(run.calls)).toEqual({ align: 500, callVariants: 500, qc: 500, aggregate: 1 });
  }, 300_000);

  test("one item's input object uploaded again (same URI, new ETag) runs that item only", async () => {
    // ETags as S3 gives them for single-part uploads: the quoted hex MD5 of the content
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html, ETag); by default the local HeadObject
    // answers with the MD5 of the URI (test/support/pipeline.ts), so every other sample's object is unchanged.
    const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;
    const inputObjects = new Map(
      week.manifestItems.map((s, i) => [s.inputUri, md5(i === 250 ? 'reads v2' : s.inputUri)]),
    );
    const run = await runLocally(stack, week, undefined, 'week-49-one-changed', {
      cacheStore: new Map(cacheStore),
      inputObjects,
    });
    figures.oneItemChanged = perStep(run.calls);
    expect(perStep(run.calls)).toEqual({ align: 1, callVariants: 1, qc: 1, aggregate: 1 });
    expect(new Set(run.calls.filter((c) => c.state !== 'aggregate').map(indexOf))).toEqual(new Set([250]));
  }, 300_000);
});
