import { Duration, Size } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FanOut, Job, JobQueue, Workflow, WorkflowStep } from '../../../lib';
import { aslOf } from '../../support/asl';
import { BATCH_API_ERRORS, bareFailure, outOfMemory, spotReclaimed } from '../../support/batch-failures';
import { capacities } from '../../support/capacity';
import {
  apiError,
  fairShareJob,
  genomicsPipeline,
  jobFailure,
  runLocally,
  SAMPLE_ITEMS,
  SubmitCall,
  threeSamples,
} from '../../support/pipeline';
import { stackWithVpc } from '../../support/stacks';

// What a step's states do when run (lib/workflow/states/step-states.ts): the submit, its names and tags, what it
// fills in from the item, and its escalations (the shared failure states route them: failure-states.test.ts).

const sampleOf = (c: SubmitCall) => c.input.Parameters?.sampleId;
// Queue placeholders are the queue's logical id: its construct id and an 8-character hash.
const queueOf = (c: SubmitCall) =>
  c.input.JobQueue.split('/')
    .pop()!
    .replace(/[0-9A-F]{8}$/, '');
const memoryOf = (c: SubmitCall) =>
  c.input.ContainerOverrides?.ResourceRequirements?.find((r) => r.Type === 'MEMORY')?.Value;

describe('a step, run locally', () => {
  test('jobs are named after the run, the step and the item, within Batch name rules', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, threeSamples, undefined, 'weekly-2026-48');
    const names = run.calls.map((c) => c.input.JobName);
    expect(names).toContain('weekly-2026-48-align-1');
    expect(names).toContain('weekly-2026-48-qc-2');
    expect(names[names.length - 1]).toBe('weekly-2026-48-aggregate');
    for (const n of names) {
      expect(n).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
    }
    // Each job carries the run's tag, which tells it from a run whose name only starts the same.
    const tags = run.calls.map((c) => (c.input as { Tags?: Record<string, string> }).Tags);
    expect(new Set(tags.map((t) => JSON.stringify(t)))).toEqual(
      new Set([JSON.stringify({ 'batch-pipelines:run': 'weekly-2026-48' })]),
    );
  });

  test("the workflow's job parameter is its path in plain characters, whatever the construct ids; jobs carry the run tag only", () => {
    // The value keeps to what a tag value allows (letters, digits, spaces and + - = . _ : / @), as it once was one:
    // https://docs.aws.amazon.com/batch/latest/APIReference/API_TagResource.html
    const { stack, vpc } = stackWithVpc();
    const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
    const job = new Job(stack, 'J', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    new Workflow(stack, 'Nightly (prod) #2', { steps: [new WorkflowStep('only', { job })] });
    const states = aslOf(Template.fromStack(stack)).States as Record<
      string,
      { Parameters?: { Tags?: object; Parameters?: object } }
    >;
    expect(states.only.Parameters!.Tags).toEqual({ 'batch-pipelines:run.$': '$$.Execution.Name' });
    expect(states.only.Parameters!.Parameters).toEqual({ BatchPipelinesWorkflow: 'Test/Nightly _prod_ _2' });
  });

  test('item data reaches the job as parameters', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, threeSamples);
    const align = run.calls.find((c) => c.state === 'align' && sampleOf(c) === 's2')!;
    // Beside them, the workflow's mark (WORKFLOW_JOB_PARAMETER), which monitoring reads from Batch's events.
    expect(align.input.Parameters).toEqual({
      sampleId: 's2',
      inputUri: 's3://in/s2.fq',
      BatchPipelinesWorkflow: 'Test/Pipeline',
    });
    expect(align.input.JobQueue).toContain('job-queue/Standard');
  });

  test('a job whose Spot retries were used up by interruptions is rerun on the On-Demand queue', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, threeSamples, (call) => {
      if (call.state === 'align' && queueOf(call) === 'Standard' && sampleOf(call) === 's2') {
        throw jobFailure(spotReclaimed('i-0123456789abcdef0'));
      }
    });
    expect(run.error).toBeUndefined();
    const s2 = run.calls.filter((c) => sampleOf(c) === 's2' && c.state === 'align');
    // Same memory, On-Demand queue.
    expect(s2.map((c) => [c.state, queueOf(c), memoryOf(c)])).toEqual([
      ['align', 'Standard', '30720'],
      ['align', 'Urgent', '30720'],
    ]);
    // The outcome says where and why the item left Spot.
    expect(run.output!.samplesOutcomes).toContainEqual({
      index: 1,
      id: 's2',
      status: 'SUCCEEDED',
      onDemandFrom: 'align',
      onDemandReason: 'Host EC2 (instance i-0123456789abcdef0) terminated.',
    });
  });

  test('once an item lost its Spot capacity, its later steps start On-Demand (not on Spot again)', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, { samples: threeSamples.samples.slice(0, 2) }, (call) => {
      if (call.state === 'align' && queueOf(call) === 'Standard' && sampleOf(call) === 's2') {
        throw jobFailure(spotReclaimed('i-0123456789abcdef0'));
      }
    });
    expect(run.error).toBeUndefined();
    const steps = (id: string) => run.calls.filter((c) => sampleOf(c) === id).map((c) => [c.state, queueOf(c)]);
    expect(steps('s2').sort()).toEqual(
      [
        ['align', 'Standard'],
        ['align', 'Urgent'],
        ['callVariants', 'Urgent'],
        ['qc', 'Urgent'],
      ].sort(),
    );
    // The other sample kept its Spot capacity: its steps stay on Spot.
    expect(steps('s1').map(([, q]) => q)).toEqual(['Standard', 'Standard', 'Standard']);
  });

  describe('a Spot drought: the queue cancels a job that waited for capacity, the step reruns it On-Demand', () => {
    // The status reason Batch gives a job its queue's jobStateTimeLimitActions cancelled (JobQueue
    // cancelOnInsufficientCapacityAfter); the job never started, so it has no attempts and no container:
    // https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable_capacity.html
    const cancelledForCapacity = () => ({
      ...bareFailure(),
      StatusReason: 'Canceled by JobStateTimeLimit action due to reason: CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY',
    });

    test('the step reruns On-Demand, and so start the later steps of the item', async () => {
      const p = genomicsPipeline();
      const run = await runLocally(p.stack, { samples: threeSamples.samples.slice(0, 1) }, (call) => {
        if (queueOf(call) === 'Standard') {
          throw jobFailure(cancelledForCapacity());
        }
      });
      expect(run.error).toBeUndefined();
      expect(run.calls.filter((c) => sampleOf(c) === 's1').map((c) => [c.state, queueOf(c)])).toEqual([
        ['align', 'Standard'],
        ['align', 'Urgent'],
        ['callVariants', 'Urgent'],
        ['qc', 'Urgent'],
      ]);
    });

    test('a step with nowhere to escalate fails with the reason and what to do', async () => {
      const p = genomicsPipeline({}, { align: { spotEscalation: false } });
      const run = await runLocally(p.stack, { samples: threeSamples.samples.slice(0, 1) }, (call) => {
        if (queueOf(call) === 'Standard') {
          throw jobFailure(cancelledForCapacity());
        }
      });
      const summary = JSON.parse((run.error!.cause as Error).message);
      expect(summary.firstFailures[0]).toMatchObject({
        error: 'align.JobFailed',
        reason:
          'waited in RUNNABLE until its queue cancelled it for want of instance capacity (Canceled by JobStateTimeLimit action due to reason: CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY); rerun it when capacity returns, or bind the job to an On-Demand queue so the step escalates',
      });
    });
  });

  test('a job killed for memory is rerun with 1.5x the memory, then 1.5x again', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, threeSamples, (call, attempt) => {
      if (call.state === 'align' && sampleOf(call) === 's1' && attempt <= 2) {
        throw jobFailure(outOfMemory());
      }
    });
    expect(run.error).toBeUndefined();
    const s1 = run.calls.filter((c) => sampleOf(c) === 's1' && c.state === 'align');
    expect(s1.map((c) => [queueOf(c), memoryOf(c)])).toEqual([
      ['Standard', '30720'],
      ['Standard', '46080'],
      ['Standard', '69120'],
    ]);
  });

  test('an out-of-memory kill after Spot escalation climbs the On-Demand memory ladder', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, { samples: threeSamples.samples.slice(0, 1) }, (call, attempt) => {
      if (call.state === 'align' && queueOf(call) === 'Standard') {
        throw jobFailure(spotReclaimed());
      }
      if (call.state === 'align' && attempt === 2) {
        throw jobFailure(outOfMemory());
      }
    });
    expect(run.error).toBeUndefined();
    const align = run.calls.filter((c) => c.state === 'align').map((c) => [queueOf(c), memoryOf(c)]);
    expect(align).toEqual([
      ['Standard', '30720'],
      ['Urgent', '30720'],
      ['Urgent', '46080'],
    ]);
  });

  test('a step right after another is entered without a plan state: the step before hands its attempt record over', async () => {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const standard = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
    const urgent = new JobQueue(stack, 'Urgent', { capacities: [c.onDemand] });
    const job = (id: string, gib: number) =>
      new Job(stack, id, {
        queues: [standard, urgent],
        image: ecs.ContainerImage.fromRegistry('busybox'),
        command: ['run', 'Ref::sampleId'],
        vcpus: 4,
        memory: Size.gibibytes(gib),
        timeout: Duration.hours(4),
      });
    const first = new WorkflowStep('first', { job: job('First', 30), parameters: { sampleId: '$.sampleId' } });
    const second = new WorkflowStep('second', {
      job: job('Second', 15),
      dependsOn: [first],
      parameters: { sampleId: '$.sampleId' },
    });
    new Workflow(stack, 'Chain', { steps: [first, second] });
    const asl = aslOf(Template.fromStack(stack)) as { States: Record<string, Record<string, unknown>> };
    expect(Object.keys(asl.States)).toContain('first: plan');
    expect(Object.keys(asl.States)).not.toContain('second: plan');
    // The first step's success writes the second's record where its plan state would have.
    expect(asl.States.first).toMatchObject({ ResultPath: '$.attempt', ResultSelector: { step: 'second', level: 0 } });

    // The second step escalates on its own ladder (15 GiB), and fails as itself once the ladder is climbed.
    const run = await runLocally(stack, { sampleId: 's1' }, (call) => {
      if (call.state === 'second') {
        throw jobFailure(outOfMemory());
      }
    });
    const seconds = run.calls.filter((c) => c.state === 'second').map((c) => [queueOf(c), memoryOf(c)]);
    expect(seconds).toEqual([
      ['Standard', '15360'],
      ['Standard', '23040'],
      ['Standard', '34560'],
    ]);
    expect((run.error!.cause as Error).name).toBe('second.OutOfMemory');
  });

  test('Batch API throttling is retried, the job is submitted again', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, { samples: threeSamples.samples.slice(0, 1) }, (call, attempt) => {
      if (call.state === 'qc' && attempt === 1) {
        throw apiError(BATCH_API_ERRORS.throttled);
      }
    });
    expect(run.error).toBeUndefined();
    expect(run.calls.filter((c) => c.state === 'qc').map((c) => c.state)).toEqual(['qc', 'qc']);
  });

  // A retrier retries an error at most MaxAttempts times, then the Catch takes it (Step Functions error handling:
  // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error).
  test.each([
    [20, undefined],
    [21, 'qc.SubmitFailed'],
  ])(
    'a throttling storm: %i throttled submits in a row -> %s (20 retries, each wait capped at 300 s)',
    async (throttled, error) => {
      const p = genomicsPipeline({ maxFailedItems: 0 });
      const run = await runLocally(p.stack, { samples: threeSamples.samples.slice(0, 1) }, (call, attempt) => {
        if (call.state === 'qc' && attempt <= throttled) {
          throw apiError(BATCH_API_ERRORS.throttled);
        }
      });
      expect(run.calls.filter((c) => c.state === 'qc')).toHaveLength(Math.min(throttled + 1, 21));
      if (error === undefined) {
        expect(run.error).toBeUndefined();
      } else {
        const summary = JSON.parse((run.error!.cause as Error).message);
        expect(summary.firstFailures[0]).toMatchObject({
          error,
          kind: 'SubmitFailed',
          reason: expect.stringMatching(/^Batch did not accept the job \(Batch.AWSBatchException\): Too Many Requests/),
        });
      }
    },
  );

  test('checkpoints: the job gets CHECKPOINT_URI per item and its role reads and writes only under the prefix', async () => {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const standard = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
    const urgent = new JobQueue(stack, 'Urgent', { capacities: [c.onDemand] });
    const bucket = new s3.Bucket(stack, 'Work');
    const job = new Job(stack, 'Align', {
      queues: [standard, urgent],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 4,
      memory: Size.gibibytes(30),
      timeout: Duration.hours(6),
    });
    const samples = new FanOut('samples', { ...SAMPLE_ITEMS, expectedItems: 100 });
    new Workflow(stack, 'Wf', {
      steps: [new WorkflowStep('align', { job, forEach: samples, checkpoint: { bucket, prefix: 'ckpt/' } })],
    });
    expect(job.checkpointing).toBe(true);
    const run = await runLocally(stack, { samples: [{ sampleId: 'NA12878', inputUri: 'x', outputUri: 'y' }] });
    const env = run.calls[0].input.ContainerOverrides?.Environment as Array<{ Name: string; Value: string }>;
    expect(env).toHaveLength(1);
    expect(env[0].Name).toBe('CHECKPOINT_URI');
    // The bucket's name is its placeholder here (the lower-cased logical id).
    expect(env[0].Value).toMatch(/^s3:\/\/work[0-9a-f]{8}\/ckpt\/NA12878\/align\/$/);
    const policies = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policies).toContain('/ckpt/*');
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('long-spot-job'))).toEqual([]);
  });
});

describe('fair share and array jobs as steps', () => {
  test('the share identifier (from the item) and the array size reach SubmitJob', async () => {
    const { stack, job } = fairShareJob();
    const f = new FanOut('slides', { ...SAMPLE_ITEMS, itemFields: ['sampleId', 'lab'], expectedItems: 10 });
    new Workflow(stack, 'Wf', {
      steps: [new WorkflowStep('tiles', { job, forEach: f, shareIdentifier: '$.item.lab', arraySize: 100 })],
    });
    const run = await runLocally(stack, { samples: [{ sampleId: 's1', lab: 'lab_a' }] });
    expect(run.error).toBeUndefined();
    // A fair-share job needs a scheduling priority too: Batch refuses it otherwise ("Either schedulingPriority in job
    // definition or schedulingPriorityOverride should be specified.", captured in nextflow-io/nextflow#3505).
    expect(run.calls[0].input).toMatchObject({
      ShareIdentifier: 'lab_a',
      SchedulingPriorityOverride: 0,
      ArrayProperties: { Size: 100 },
    });
  });
});
