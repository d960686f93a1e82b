import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { errorOf } from '../../support/capacity';
import { FanOut, Workflow, WorkflowStep } from '../../../lib';
import {
  cachedGenomicsPipeline,
  failingJob,
  genomicsJobs,
  runLocally,
  SAMPLE_ITEMS,
  SubmitCall,
  threeSamples,
} from '../../support/pipeline';
import { aslOf } from '../../support/asl';

// The step cache of a fan-out's steps (lib/workflow/states/cache-states.ts), run locally over the reference pipeline
// with its outcomes in S3 (so the workflow caches by default, in the results bucket).

const cachedPipeline = cachedGenomicsPipeline;

const named = (c: SubmitCall) => `${c.state}:${c.input.Parameters?.sampleId ?? '-'}`;
const outcomesOf = (output: Record<string, unknown> | undefined) =>
  (output!.samplesResults as { outcomes: Array<Record<string, unknown>> }).outcomes;

describe('the step cache, run locally', () => {
  test('a rerun of a run whose every item succeeded submits no item job; outcomes name what produced each step', async () => {
    const p = cachedPipeline();
    const cacheStore = new Map<string, string>();
    const first = await runLocally(p.stack, threeSamples, undefined, 'run-1', { cacheStore });
    expect(first.error).toBeUndefined();
    expect(first.calls).toHaveLength(10);
    // Three steps of three items recorded, under the cache prefix, one object each named by its key.
    const keys = [...cacheStore.keys()];
    expect(keys).toHaveLength(9);
    expect(keys.every((k) => /^cache\/TestPipeline[0-9A-F]{8}\/(align|callVariants|qc)\/[0-9a-f]{64}$/.test(k))).toBe(
      true,
    );
    const second = await runLocally(p.stack, threeSamples, undefined, 'run-2', { cacheStore });
    expect(second.error).toBeUndefined();
    // Only the cohort step (outside the fan-out: not cached) runs again.
    expect(second.calls.map(named)).toEqual(['aggregate:-']);
    const s1 = outcomesOf(second.output).find((o) => o.id === 's1')!;
    const jobOf = (step: string) => first.calls.find((c) => named(c) === `${step}:s1`)!.jobId;
    expect(s1.cached).toEqual({
      align: { producedBy: `run run-1 job ${jobOf('align')}` },
      callVariants: { producedBy: `run run-1 job ${jobOf('callVariants')}` },
      qc: { producedBy: `run run-1 job ${jobOf('qc')}` },
    });
  });

  test('after a failure, a rerun submits only the failed step of the failed item (its align is cached)', async () => {
    const p = cachedPipeline();
    const cacheStore = new Map<string, string>();
    const first = await runLocally(p.stack, threeSamples, failingJob('callVariants', 's2'), 'run-1', { cacheStore });
    expect(first.output!.samplesSummary).toMatchObject({ status: 'PARTIAL', failed: 1 });
    const second = await runLocally(p.stack, threeSamples, undefined, 'run-2', { cacheStore });
    expect(second.error).toBeUndefined();
    expect(second.calls.map(named).sort()).toEqual(['aggregate:-', 'callVariants:s2']);
    // The summary the run's message reads counts, per step, the items served from the cache (qc, beside callVariants,
    // succeeded for s2 the first time).
    expect(first.output!.samplesSummary).toMatchObject({ cached: 'align 0, callVariants 0, qc 0' });
    expect(second.output!.samplesSummary).toMatchObject({
      status: 'SUCCEEDED',
      cached: 'align 3, callVariants 2, qc 3',
    });
  });

  test('a new revision of the align job definition runs align and every step after it, for every item', async () => {
    const p = cachedPipeline();
    const cacheStore = new Map<string, string>();
    await runLocally(p.stack, threeSamples, undefined, 'run-1', { cacheStore });
    // A deploy of a new image or command makes a new revision: the ARN the state machine submits ends in :2.
    const rewriteAsl = (asl: string) => asl.replace(/(job-definition\/Align[0-9A-F]{8}):1/g, '$1:2');
    const second = await runLocally(p.stack, threeSamples, undefined, 'run-2', { cacheStore, rewriteAsl });
    expect(second.calls.filter((c) => c.state !== 'aggregate')).toHaveLength(9);
  });

  test("one item's changed input runs that item only", async () => {
    const p = cachedPipeline();
    const cacheStore = new Map<string, string>();
    await runLocally(p.stack, threeSamples, undefined, 'run-1', { cacheStore });
    const changed = {
      samples: threeSamples.samples.map((s) =>
        s.sampleId === 's3' ? { ...s, inputUri: 's3://in/s3-resequenced.fq' } : s,
      ),
    };
    const second = await runLocally(p.stack, changed, undefined, 'run-2', { cacheStore });
    expect(second.calls.map(named).sort()).toEqual(['aggregate:-', 'align:s3', 'callVariants:s3', 'qc:s3']);
  });

  describe("the items' input objects (inputObjects): their ETags join the keys of the steps that read them", () => {
    const withObjects = () =>
      cachedPipeline({}, (stack) => ({
        inputObjects: [{ field: 'inputUri', bucket: s3.Bucket.fromBucketName(stack, 'In', 'input-bucket') }],
      }));
    const uri = (id: string) => `s3://input-bucket/samples/${id}.fq`;
    const samples = {
      samples: ['s1', 's2', 's3'].map((id) => ({ sampleId: id, inputUri: uri(id), outputUri: `s3://out/${id}/` })),
    };
    const etags = (changed: Record<string, string> = {}) =>
      new Map(['s1', 's2', 's3'].map((id) => [uri(id), changed[id] ?? `"etag-of-${id}-v1"`]));

    test('a changed object runs align (which reads it) and the steps after it, for that item only', async () => {
      const p = withObjects();
      const cacheStore = new Map<string, string>();
      const first = await runLocally(p.stack, samples, undefined, 'run-1', { cacheStore, inputObjects: etags() });
      expect(first.calls).toHaveLength(10);
      const same = await runLocally(p.stack, samples, undefined, 'run-2', { cacheStore, inputObjects: etags() });
      expect(same.calls.map(named)).toEqual(['aggregate:-']);
      // s2's reads were uploaded again (a new ETag) under the same URI.
      const inputObjects = etags({ s2: '"etag-of-s2-v2"' });
      const changed = await runLocally(p.stack, samples, undefined, 'run-3', { cacheStore, inputObjects });
      expect(changed.calls.map(named).sort()).toEqual(['aggregate:-', 'align:s2', 'callVariants:s2', 'qc:s2']);
    });

    test('an object the workflow cannot check leaves the steps that read it uncached: they run every time', async () => {
      const p = withObjects();
      const cacheStore = new Map<string, string>();
      // s1: an empty part (States.StringSplit drops it, so the rebuilt URI differs); s2: another bucket; s3: missing.
      const items = {
        samples: [
          { sampleId: 's1', inputUri: 's3://input-bucket/a//s1.fq', outputUri: 's3://out/s1/' },
          { sampleId: 's2', inputUri: 's3://elsewhere/s2.fq', outputUri: 's3://out/s2/' },
          { sampleId: 's3', inputUri: uri('s3'), outputUri: 's3://out/s3/' },
        ],
      };
      // The object the rebuilt URI of s1 would name exists: a check that did not compare URIs would read its ETag.
      const inputObjects = new Map([['s3://input-bucket/a/s1.fq', '"an-object-the-rebuilt-uri-would-name"']]);
      for (const run of ['run-1', 'run-2']) {
        const r = await runLocally(p.stack, items, undefined, run, { cacheStore, inputObjects });
        expect(r.error).toBeUndefined();
        expect(r.calls).toHaveLength(10);
      }
    });
  });

  test('noCache in the input reads no record, runs every step and records them again', async () => {
    const p = cachedPipeline();
    const cacheStore = new Map<string, string>();
    await runLocally(p.stack, threeSamples, undefined, 'run-1', { cacheStore });
    const second = await runLocally(p.stack, { ...threeSamples, noCache: true }, undefined, 'run-2', { cacheStore });
    expect(second.calls).toHaveLength(10);
    expect([...cacheStore.values()].every((v) => v.startsWith('run run-2 job '))).toBe(true);
  });

  test('a step with cache: false always runs, and so do the steps after it', async () => {
    const p = cachedPipeline({ align: { cache: false } });
    const cacheStore = new Map<string, string>();
    await runLocally(p.stack, threeSamples, undefined, 'run-1', { cacheStore });
    expect([...cacheStore.keys()].some((k) => k.includes('/align/'))).toBe(false);
    const second = await runLocally(p.stack, threeSamples, undefined, 'run-2', { cacheStore });
    expect(second.calls).toHaveLength(10);
  });
});

describe('the step cache, synthesized', () => {
  test('the key is the SHA-256 of the JSON array of the job definition ARN, the item id, what the step reads and its upstream keys', () => {
    const p = cachedPipeline();
    const states = JSON.stringify(aslOf(Template.fromStack(p.stack)));
    expect(states).toContain(
      `"key.$":"States.Hash(States.JsonToString(States.Array('arn:aws:batch:us-east-1:123456789012:job-definition/`,
    );
    // callVariants' key joins align's.
    const asl = aslOf(Template.fromStack(p.stack)) as { States: Record<string, unknown> };
    const keyOf = (step: string) => JSON.stringify(findState(asl, `${step}: cache key`));
    expect(keyOf('callVariants')).toContain('$.cache.keys.align.key');
    expect(keyOf('align')).toContain(
      "States.Array('arn:aws:batch:us-east-1:123456789012:job-definition/AlignFA2EB7CF:1', $.item.sampleId, $.item.inputUri)",
    );
    // The role may list the cache prefix (so a missing record is 404, not 403) and read and write records there.
    const policies = JSON.stringify(Template.fromStack(p.stack).findResources('AWS::IAM::Policy'));
    expect(policies).toMatch(/"s3:prefix":\["cache\/TestPipeline[0-9A-F]{8}\/\*"\]/);
    // Records expire after 90 days.
    Template.fromStack(p.stack).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [{ Prefix: Match.stringLikeRegexp('^cache/TestPipeline'), ExpirationInDays: 90, Status: 'Enabled' }],
      },
    });
  });
});

/** A state by name, in nested Maps and Parallel branches too. */
function findState(asl: { States: Record<string, unknown> }, name: string): unknown {
  for (const [n, s] of Object.entries(asl.States)) {
    if (n === name) {
      return s;
    }
    const st = s as {
      ItemProcessor?: { States: Record<string, unknown> };
      Branches?: Array<{ States: Record<string, unknown> }>;
    };
    for (const inner of [st.ItemProcessor, ...(st.Branches ?? [])]) {
      const found = inner && findState(inner, name);
      if (found) {
        return found;
      }
    }
  }
  return undefined;
}

describe('the step cache, checked at synth', () => {
  test('more than 11 cached steps side by side in a fan-out are refused: their caches could not be merged', () => {
    const g = genomicsJobs();
    const results = new s3.Bucket(g.stack, 'Results');
    const samples = new FanOut('samples', { ...SAMPLE_ITEMS, results: { bucket: results } });
    const steps = Array.from({ length: 12 }, (_, i) => new WorkflowStep(`s${i}`, { job: g.jobs.qc, forEach: samples }));
    expect(errorOf(() => new Workflow(g.stack, 'Wide', { steps })).message).toContain(
      'Test/Wide: steps 12 side by side in one fan-out (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11) is not allowed; allowed: at most 11 side by side',
    );
    expect(() => new Workflow(g.stack, 'WideUncached', { steps, cache: false })).not.toThrow();
  });

  test('inputObjects: a field the items do not declare is refused; the role may HeadObject only under the prefix', () => {
    const g = genomicsJobs();
    const results = new s3.Bucket(g.stack, 'Results');
    const input = s3.Bucket.fromBucketName(g.stack, 'In', 'input-bucket');
    const fanOut = (name: string, field: string) =>
      new FanOut(name, {
        ...SAMPLE_ITEMS,
        results: { bucket: results },
        inputObjects: [{ field, bucket: input, prefix: 'samples/' }],
      });
    const bad = fanOut('typo', 'inputURI');
    expect(
      errorOf(
        () => new Workflow(g.stack, 'Bad', { steps: [new WorkflowStep('a', { job: g.jobs.align, forEach: bad })] }),
      ).message,
    ).toBe(
      "Test/Bad: fanOut 'typo'.inputObjects[0].field 'inputURI' is not allowed; allowed: one of the fan-out's " +
        "itemFields, each once: 'sampleId', 'inputUri', 'outputUri'. Fix: add it to the fan-out's fields: " +
        "itemFields: ['sampleId', 'inputUri', 'outputUri', 'inputURI']",
    );
    new Workflow(g.stack, 'Good', {
      steps: [new WorkflowStep('align', { job: g.jobs.align, forEach: fanOut('samples', 'inputUri') })],
    });
    const template = Template.fromStack(g.stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::input-bucket/samples/*']] },
          }),
        ]),
      },
    });
    const find = (node: unknown, name: string): unknown => {
      if (node === null || typeof node !== 'object') {
        return undefined;
      }
      const states = (node as { States?: Record<string, unknown> }).States;
      return states?.[name] ?? Object.values(node).reduce<unknown>((f, v) => f ?? find(v, name), undefined);
    };
    const asl = aslOf(template);
    // The align key holds the object's ETag after what align reads.
    expect(JSON.stringify(find(asl, 'align: cache key'))).toContain('$.item.inputUri, $.objects.inputUri');
    expect(find(asl, 'samples: inputUri object')).toMatchObject({
      Comment: "input object inputUri under prefix 'samples/'",
      Parameters: { Bucket: 'input-bucket', 'Key.$': '$.objects.inputUri.key' },
    });
  });
});
