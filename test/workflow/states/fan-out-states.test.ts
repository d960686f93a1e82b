import { Size } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FanOut, FanOutMode, Job, JobQueue, Workflow, WorkflowStep } from '../../../lib';
import { aslOf } from '../../support/asl';
import { applicationError } from '../../support/batch-failures';
import { capacities } from '../../support/capacity';
import {
  fairShareJob,
  genomicsPipeline,
  jobFailure,
  runLocally,
  SAMPLE_ITEMS,
  SubmitCall,
  threeSamples,
} from '../../support/pipeline';
import { stackWithVpc } from '../../support/stacks';

// What a fan-out's states do when run (lib/workflow/states/fan-out-states.ts): every item checked, run and given one
// outcome; then the partial-success policy.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (d: unknown) => { isValid: boolean; errorsText: () => string };

const sampleOf = (c: SubmitCall) => c.input.Parameters?.sampleId;

describe('a fan-out, run locally', () => {
  // A missing path raises States.Runtime, which no Catch handles: it would end the whole run. Each read path is
  // checked first: an item's in the item's check (the item fails alone), the input's at the start of the run.
  // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
  function fairShareTiles() {
    return fairShareJob();
  }

  test('runs every sample through align, then call-variants and qc, then aggregate once', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, threeSamples);
    expect(run.error).toBeUndefined();
    const order = run.calls.map((c) => `${c.state}:${sampleOf(c) ?? '*'}`);
    for (const id of ['s1', 's2', 's3']) {
      const align = order.indexOf(`align:${id}`);
      expect(align).toBeGreaterThanOrEqual(0);
      expect(order.indexOf(`callVariants:${id}`)).toBeGreaterThan(align);
      expect(order.indexOf(`qc:${id}`)).toBeGreaterThan(align);
    }
    expect(order.filter((o) => o.startsWith('aggregate'))).toEqual(['aggregate:*']);
    expect(order[order.length - 1]).toBe('aggregate:*');
    expect(run.calls).toHaveLength(10);
    expect(run.output!.samplesOutcomes).toEqual([
      { index: 0, id: 's1', status: 'SUCCEEDED' },
      { index: 1, id: 's2', status: 'SUCCEEDED' },
      { index: 2, id: 's3', status: 'SUCCEEDED' },
    ]);
    expect(run.output!.samplesSummary).toEqual({ status: 'SUCCEEDED', items: 3, failed: 0 });
  });

  test('beyond the failure policy (default: more than 10% of items) the cohort step does not run; the cause is a bounded summary', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, threeSamples, (call) => {
      if (call.state === 'align' && sampleOf(call) === 's2') {
        throw jobFailure(applicationError());
      }
    });
    // s1 and s3 went all the way through their per-sample steps.
    for (const id of ['s1', 's3']) {
      expect(run.calls.some((c) => c.state === 'callVariants' && sampleOf(c) === id)).toBe(true);
      expect(run.calls.some((c) => c.state === 'qc' && sampleOf(c) === id)).toBe(true);
    }
    expect(run.calls.some((c) => c.state === 'callVariants' && sampleOf(c) === 's2')).toBe(false);
    // An application error is not retried by the workflow: one submit only.
    expect(run.calls.filter((c) => c.state === 'align' && sampleOf(c) === 's2')).toHaveLength(1);
    // 1 of 3 is 33%: the execution fails with the fan-out's error; its cause summarizes and lists the failure.
    const failure = run.error!.cause as Error;
    expect(failure.name).toBe('samples.TooManyItemsFailed');
    const summary = JSON.parse(failure.message);
    expect(summary).toMatchObject({ status: 'FAILED', items: 3, failed: 1 });
    expect(summary.firstFailures).toEqual([
      expect.objectContaining({
        index: 1,
        id: 's2',
        step: 'align',
        error: 'align.ApplicationError',
        exitCode: 1,
        logStream: 'Test_Align/default/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d',
        reason:
          'the container exited with code 1; its output is in log stream Test_Align/default/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d',
      }),
    ]);
    expect(run.calls.some((c) => c.state === 'aggregate')).toBe(false);
  });

  test('within the policy the cohort step runs over the rest; the output says PARTIAL and lists the failed sample', async () => {
    const p = genomicsPipeline({ maxFailedItems: 1 });
    const run = await runLocally(p.stack, threeSamples, (call) => {
      if (call.state === 'align' && sampleOf(call) === 's2') {
        throw jobFailure(applicationError());
      }
    });
    expect(run.error).toBeUndefined();
    const outcomes = run.output!.samplesOutcomes as Array<Record<string, unknown>>;
    expect(outcomes[0]).toEqual({ index: 0, id: 's1', status: 'SUCCEEDED' });
    expect(outcomes[1]).toEqual({
      index: 1,
      id: 's2',
      status: 'FAILED',
      step: 'align',
      error: 'align.ApplicationError',
      kind: 'ApplicationError',
      reason:
        'the container exited with code 1; its output is in log stream Test_Align/default/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d',
      exitCode: 1,
      containerReason: '',
      statusReason: 'Essential container in task exited',
      logStream: 'Test_Align/default/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d',
      jobId: 'job-2',
      attempts: 1,
      queue: expect.stringContaining('job-queue/Standard'),
      memoryMiB: 30720,
    });
    expect(run.output!.samplesSummary).toMatchObject({ status: 'PARTIAL', items: 3, failed: 1 });
    expect(run.calls[run.calls.length - 1].state).toBe('aggregate');
  });

  test('an empty sample list fails at once with a clear error, before any job', async () => {
    const p = genomicsPipeline();
    for (const input of [{ samples: [] }, {}]) {
      const run = await runLocally(p.stack, input);
      expect((run.error!.cause as Error).name).toBe('samples.NoItems');
      expect(run.calls).toEqual([]);
    }
  });

  test('a small fan-out runs inline and behaves the same', async () => {
    const p = genomicsPipeline({ maxConcurrency: 10, expectedItems: 20 });
    expect(p.workflow.fanOutMode(p.samples)).toBe(FanOutMode.INLINE);
    const processor = (
      aslOf(Template.fromStack(p.stack)).States as Record<string, { ItemProcessor: { ProcessorConfig: unknown } }>
    )['samples: for each item'].ItemProcessor.ProcessorConfig;
    expect(processor).toEqual({ Mode: 'INLINE' });
    const run = await runLocally(p.stack, threeSamples);
    expect(run.error).toBeUndefined();
    expect(run.calls).toHaveLength(10);
  });

  test('items from a JSON manifest in S3: the Distributed Map reads it, the role reads only under the prefix', () => {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const q = new JobQueue(stack, 'Q', { capacities: [c.onDemand] });
    const bucket = new s3.Bucket(stack, 'Input');
    const job = new Job(stack, 'J', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      command: ['run', 'Ref::sampleId'],
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    const samples = new FanOut('samples', {
      ...SAMPLE_ITEMS,
      manifest: { bucket },
      results: { bucket },
      expectedItems: 200,
    });
    const wf = new Workflow(stack, 'Wf', { steps: [new WorkflowStep('only', { job, forEach: samples })] });
    expect(wf.fanOutMode(samples)).toBe(FanOutMode.DISTRIBUTED);
    const template = Template.fromStack(stack);
    const map = (aslOf(template).States as Record<string, Record<string, unknown>>)['samples: for each item'];
    expect(map.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { 'Bucket.$': '$.manifest.bucket', 'Key.$': '$.manifest.key' },
    });
    expect(map.ItemsPath).toBeUndefined();
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('/manifests/*');
    expect(policies).not.toMatch(/"arn:",\{"Ref":"AWS::Partition"\},":s3:::",\{"Ref":"Input[0-9A-F]+"\},"\/\*"/);
    expect(
      () =>
        new Workflow(stack, 'Inline', {
          steps: [
            new WorkflowStep('again', {
              job,
              forEach: new FanOut('more', {
                ...SAMPLE_ITEMS,
                manifest: { bucket },
                results: { bucket },
                mode: FanOutMode.INLINE,
                maxConcurrency: 10,
                expectedItems: 100,
              }),
            }),
          ],
        }),
    ).toThrow(
      "Test/Inline: fanOut 'more'.mode INLINE with items from a manifest in S3 is not allowed; allowed: DISTRIBUTED or AUTO: only a Distributed Map reads items from S3 and writes results there. Fix: remove mode (AUTO)",
    );
    expect(
      () =>
        new Workflow(stack, 'NoResults', {
          steps: [new WorkflowStep('once', { job, forEach: new FanOut('few', { manifest: { bucket } }) })],
        }),
    ).toThrow(
      "Test/NoResults: fanOut 'few'.results none, with items from a manifest is not allowed; allowed: results in S3 whenever items come from a manifest: its length is known only at run time, and outcomes kept in the state fail the whole run uncatchably beyond 256 KiB. Fix: write outcomes to S3: results: { bucket: resultsBucket, prefix: 'runs/' }",
    );
  });

  test('outcomes to S3: 10,000 items from a manifest, every item runs, failures counted from the Map Run against the policy', async () => {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const q = new JobQueue(stack, 'Q', { capacities: [c.onDemand] });
    const input = new s3.Bucket(stack, 'Input');
    const results = new s3.Bucket(stack, 'Results');
    const job = new Job(stack, 'Resize', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      command: ['resize', 'Ref::sampleId'],
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    const photos = new FanOut('photos', {
      manifest: { bucket: input },
      results: { bucket: results },
      expectedItems: 10_000,
      maxConcurrency: 500,
      maxFailedItems: 20,
      idField: 'sampleId',
      itemFields: ['sampleId'],
    });
    const wf = new Workflow(stack, 'Wf', { steps: [new WorkflowStep('resize', { job, forEach: photos })] });
    expect(wf.fanOutMode(photos)).toBe(FanOutMode.DISTRIBUTED);
    const template = Template.fromStack(stack);
    const asl = aslOf(template);
    expect(aslValidator(asl).errorsText()).toBe('');
    const map = (asl.States as Record<string, Record<string, unknown>>)['photos: for each item'];
    // Every item runs to its end (no early stop): the policy is applied to the Map Run's counts afterwards.
    expect(map).toMatchObject({
      ToleratedFailurePercentage: 100,
      ResultPath: '$.photosResults',
      ResultWriter: {
        Resource: 'arn:aws:states:::s3:putObject',
        Parameters: { Bucket: expect.stringMatching(/^results[0-9a-f]{8}$/), Prefix: 'results/' },
      },
      Catch: [{ ErrorEquals: ['States.ItemReaderFailed'], Next: 'photos: manifest unreadable' }],
      // The step cache is on by default (in the results bucket): its hits are counted first.
      Next: 'photos: read the cache hits',
    });
    expect((asl.States as Record<string, Record<string, unknown>>)['photos: count outcomes']).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:sfn:describeMapRun',
      Parameters: { 'MapRunArn.$': '$.photosResults.MapRunArn' },
    });
    // The role writes outcomes only under the prefix (aws-cdk-lib's own ResultWriter grant is bucket-wide).
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('/results/*');
    expect(policies).not.toMatch(/Results[0-9A-F]{8}","Arn"\]\},"\/\*"/);
    // The role may describe this state machine's map runs only.
    expect(policies).toMatch(/:mapRun:",\{"Fn::GetAtt":\["WfStateMachine[0-9A-F]+","Name"\]\},"\/\*"/);
    // Locally (see runLocally for what stands in for S3 and the Map Run), one of three photos fails: within 20 the
    // summary is PARTIAL and points at the result files.
    const run = await runLocally(
      stack,
      {
        manifest: { bucket: 'input', key: 'manifests/photos.json' },
        manifestItems: [{ sampleId: 'p1' }, { sampleId: 'p2' }, { sampleId: 'p3' }],
      },
      (call) => {
        if (call.input.Parameters?.sampleId === 'p2') {
          throw jobFailure(applicationError(3));
        }
      },
    );
    expect(run.error).toBeUndefined();
    expect(run.calls.map((x) => x.input.Parameters?.sampleId)).toEqual(['p1', 'p2', 'p3']);
    expect(run.output!.photosSummary).toEqual({
      status: 'PARTIAL',
      items: 3,
      failed: 1,
      succeeded: 2,
      results: 's3://results-bucket/results/local-run/manifest.json',
      cached: 'resize 0',
    });
  });

  test('an item without the share identifier or with a text array size fails alone as Item.Invalid', async () => {
    const { stack, job } = fairShareTiles();
    const f = new FanOut('slides', { ...SAMPLE_ITEMS, itemFields: ['sampleId'], expectedItems: 10 });
    new Workflow(stack, 'Wf', {
      steps: [
        new WorkflowStep('tiles', { job, forEach: f, shareIdentifier: '$.item.lab', arraySizePath: '$.item.chunks' }),
      ],
    });
    const run = await runLocally(stack, {
      samples: [
        { sampleId: 'ok', lab: 'lab_a', chunks: 4 },
        { sampleId: 'no-lab', chunks: 4 },
        { sampleId: 'text-chunks', lab: 'lab_a', chunks: '4' },
        { sampleId: 'one-chunk', lab: 'lab_a', chunks: 1 },
      ],
    });
    // Only the valid item was submitted (an array needs 2..10,000 children); 3 of 4 failed is beyond the default
    // policy, and the summary lists them.
    expect(run.calls.map((c) => (c.input as { ShareIdentifier?: string }).ShareIdentifier)).toEqual(['lab_a']);
    expect(run.calls[0].input).toMatchObject({ ArrayProperties: { Size: 4 } });
    const summary = JSON.parse((run.error!.cause as Error).message);
    expect(summary.failed).toBe(3);
    const invalid = summary.firstFailures.filter((o: { error: string }) => o.error === 'Item.Invalid');
    expect(invalid.map((o: { index: number }) => o.index)).toEqual([1, 2, 3]);
    expect(invalid[0].reason).toBe(
      'item 1 lacks or mistypes a value its steps read (they need the string fields sampleId lab and the whole number field chunks from 2 to 10000); fix the manifest line and rerun',
    );
  });

  describe('duplicate ids: a later line with an id an earlier line has fails alone, before any of its jobs', () => {
    // CHECKPOINT_URI is built from the id (step-states.ts): two lines with one id would share checkpoints and report
    // under one id. Items passed in the input see every id (a wildcard path lists them; one that matches nothing is
    // an empty array in Step Functions); States.ArrayPartition's first chunk of size `index` is the ids before the
    // line. https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
    test.each([FanOutMode.INLINE, FanOutMode.DISTRIBUTED])('items in the input (%s)', async (mode) => {
      const p = genomicsPipeline({ mode, maxConcurrency: 10, maxFailedItems: 5 });
      const samples = [
        { sampleId: 'A', inputUri: 's3://in/a1', outputUri: 'x' },
        { sampleId: 'B', inputUri: 's3://in/b', outputUri: 'x' },
        { sampleId: 'A', inputUri: 's3://in/a2', outputUri: 'x' },
        { sampleId: 7, inputUri: 's3://in/bad', outputUri: 'x' },
        { sampleId: 'A', inputUri: 's3://in/a3', outputUri: 'x' },
      ];
      const run = await runLocally(p.stack, { samples });
      expect(run.error).toBeUndefined();
      // The first line with A runs; no job of a later line with A is submitted.
      expect(run.calls.filter((c) => c.state === 'align').map((c) => c.input.Parameters?.inputUri)).toEqual([
        's3://in/a1',
        's3://in/b',
      ]);
      const outcomes = run.output!.samplesOutcomes as Array<Record<string, unknown>>;
      expect(outcomes.map((o) => [o.index, o.status, o.error ?? ''])).toEqual([
        [0, 'SUCCEEDED', ''],
        [1, 'SUCCEEDED', ''],
        [2, 'FAILED', 'Item.Duplicate'],
        [3, 'FAILED', 'Item.Invalid'],
        [4, 'FAILED', 'Item.Duplicate'],
      ]);
      expect(outcomes[2]).toEqual({
        index: 2,
        id: 'A',
        status: 'FAILED',
        error: 'Item.Duplicate',
        kind: 'InvalidItem',
        reason:
          'item 2 has the id A of an earlier line, which runs: items that share an id would share their checkpoints and outcomes. Give each line its own id, then rerun it',
      });
    });

    test('items in the input with a line lacking its id: the later lines are not refused as duplicates', async () => {
      // `<itemsPath>[*].<idField>` leaves out a line without the field, so the ids no longer line up with the indexes:
      // such a run skips the duplicate check rather than refuse every later line (the line itself fails as malformed).
      const p = genomicsPipeline({ mode: FanOutMode.INLINE, maxConcurrency: 10, maxFailedItems: 5 });
      const samples = [
        { sampleId: 'A', inputUri: 's3://in/a', outputUri: 'x' },
        { inputUri: 's3://in/none', outputUri: 'x' },
        { sampleId: 'B', inputUri: 's3://in/b', outputUri: 'x' },
        { sampleId: 'C', inputUri: 's3://in/c', outputUri: 'x' },
      ];
      const run = await runLocally(p.stack, { samples });
      expect(run.error).toBeUndefined();
      const outcomes = run.output!.samplesOutcomes as Array<Record<string, unknown>>;
      expect(outcomes.map((o) => [o.index, o.status, o.error ?? ''])).toEqual([
        [0, 'SUCCEEDED', ''],
        [1, 'FAILED', 'Item.Invalid'],
        [2, 'SUCCEEDED', ''],
        [3, 'SUCCEEDED', ''],
      ]);
    });

    test('items from a manifest: a line runs only when its S3 claim of the id is the only one', async () => {
      // S3 lists strongly consistently after a write (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel):
      // of two lines with one id, the one that lists second sees the other's claim.
      const { stack, vpc } = stackWithVpc();
      const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
      const results = new s3.Bucket(stack, 'Results');
      const job = new Job(stack, 'Resize', {
        queues: [q],
        image: ecs.ContainerImage.fromRegistry('busybox'),
        command: ['resize', 'Ref::sampleId'],
        vcpus: 1,
        memory: Size.gibibytes(2),
      });
      const photos = new FanOut('photos', {
        manifest: { bucket: new s3.Bucket(stack, 'Input') },
        results: { bucket: results, prefix: 'runs/' },
        maxConcurrency: 1,
        maxFailedItems: 5,
        idField: 'sampleId',
        itemFields: ['sampleId'],
      });
      new Workflow(stack, 'Wf', { steps: [new WorkflowStep('resize', { job, forEach: photos })] });
      const template = Template.fromStack(stack);
      expect(aslValidator(aslOf(template)).errorsText()).toBe('');
      // The role lists only the claims folder (its claims are PutObject under the results prefix, already granted).
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 's3:ListBucket',
              Condition: { StringLike: { 's3:prefix': ['runs/ids/*'] } },
            }),
          ]),
        },
      });
      const run = await runLocally(
        stack,
        {
          manifest: { bucket: 'input', key: 'manifests/photos.json' },
          manifestItems: [{ sampleId: 'p1' }, { sampleId: 'p2' }, { sampleId: 'p1' }],
        },
        undefined,
        'week-49',
      );
      expect(run.error).toBeUndefined();
      expect(run.calls.map((x) => x.input.Parameters?.sampleId)).toEqual(['p1', 'p2']);
      const outcomes = (run.output!.photosResults as { outcomes: Array<{ cause?: string }> }).outcomes;
      const refused = outcomes.filter((o) => o.cause).map((o) => JSON.parse(o.cause!));
      expect(refused).toEqual([
        {
          index: 2,
          id: 'p1',
          status: 'FAILED',
          error: 'Item.Duplicate',
          kind: 'InvalidItem',
          reason: expect.stringMatching(
            /^item 2 has the id p1 of another line of the manifest \(their claims are under s3:\/\/results[0-9a-f]{8}\/runs\/ids\/week-49\/p1\/, one object a line index\)/,
          ),
        },
      ]);
      expect(run.output!.photosSummary).toMatchObject({ status: 'PARTIAL', items: 3, failed: 1 });
    });
  });

  test("with the default item shape, items are read from the input's `items` and outcomes carry their `id`", async () => {
    const { stack, vpc } = stackWithVpc();
    const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
    const job = new Job(stack, 'J', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      command: ['run', 'Ref::id'],
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    new Workflow(stack, 'Wf', {
      steps: [new WorkflowStep('only', { job, forEach: new FanOut('things', { expectedItems: 10 }) })],
    });
    const run = await runLocally(stack, { items: [{ id: 'a' }, { id: 'b' }] });
    expect(run.error).toBeUndefined();
    expect(run.calls.map((c) => c.input.Parameters)).toEqual([
      { id: 'a', BatchPipelinesWorkflow: 'Test/Wf' },
      { id: 'b', BatchPipelinesWorkflow: 'Test/Wf' },
    ]);
    expect(run.output!.thingsOutcomes).toEqual([
      { index: 0, id: 'a', status: 'SUCCEEDED' },
      { index: 1, id: 'b', status: 'SUCCEEDED' },
    ]);
    const none = await runLocally(stack, { samples: [{ id: 'a' }] });
    expect((none.error!.cause as Error).name).toBe('things.NoItems');
  });
});
