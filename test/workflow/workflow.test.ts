import { App, CfnElement, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BatchPipelinesValidationError, FanOut, FanOutMode, Job, JobQueue, Workflow, WorkflowStep } from '../../lib';
import { aslOf } from '../support/asl';
import { applicationError, BATCH_API_ERRORS, outOfMemory, spotReclaimed } from '../support/batch-failures';
import { capacities, errorOf } from '../support/capacity';
import { validationFindings } from '../support/synth';
import { apiError, genomicsPipeline, jobFailure, runLocally, SubmitCall, threeSamples } from '../support/pipeline';
import { stackWithVpc } from '../support/stacks';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (d: unknown) => { isValid: boolean; errorsText: () => string };

const sampleOf = (c: SubmitCall) => c.input.Parameters?.sampleId;
// Queue placeholders are the queue's logical id: its construct id and an 8-character hash.
const queueOf = (c: SubmitCall) =>
  c.input.JobQueue.split('/')
    .pop()!
    .replace(/[0-9A-F]{8}$/, '');
const memoryOf = (c: SubmitCall) =>
  c.input.ContainerOverrides?.ResourceRequirements?.find((r) => r.Type === 'MEMORY')?.Value;

describe('the generated state machine', () => {
  const p = genomicsPipeline();
  const template = Template.fromStack(p.stack);
  const asl = aslOf(template);

  test('is valid Amazon States Language', () => {
    const result = aslValidator(asl);
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('is a Standard workflow that logs every event without data, traced, with a timeout derived from the steps', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
      TracingConfiguration: { Enabled: true },
    });
    // Per sample: align 6 h, then max(call-variants 4 h, qc 1 h), each x 3 attempts x 3 memory levels x 2 (Spot
    // escalation) = 108 h + 72 h = 180 h; 100 samples / 50 at once = 2 waves -> 360 h; aggregate 2 h x 3 x 3 x 2
    // = 36 h. Total 396 h.
    expect(p.workflow.timeout.toHours()).toBe(396);
    expect(asl.TimeoutSeconds).toBe(396 * 3600);
  });

  test('fans out with a Distributed Map of Standard child workflows, 50 at once, by default', () => {
    expect(p.workflow.fanOutMode(p.samples)).toBe(FanOutMode.DISTRIBUTED);
    const map = (asl.States as Record<string, Record<string, unknown>>)['samples: for each item'];
    expect(map).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 50,
      ItemsPath: '$.samples',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
    });
  });

  test('submits with .sync and never sets attempts (which would replace the job definition retry rules)', () => {
    const text = JSON.stringify(asl);
    expect(text).toContain('"Resource":"arn:aws:states:::batch:submitJob.sync"');
    expect(text).not.toContain('RetryStrategy');
  });

  test('retries Batch API throttling and service errors with backoff, not job failures', () => {
    const processor = (
      asl.States as Record<string, { ItemProcessor: { States: Record<string, Record<string, unknown>> } }>
    )['samples: for each item'].ItemProcessor.States;
    const branch = (
      processor['samples: process item'] as unknown as { Branches: Array<{ States: Record<string, unknown> }> }
    ).Branches[0].States as Record<string, { Retry: unknown[] }>;
    // No BackoffRate: Step Functions doubles the interval by default.
    expect(branch.align.Retry).toEqual([
      {
        ErrorEquals: ['Batch.AWSBatchException', 'Batch.ServerException'],
        IntervalSeconds: 5,
        MaxAttempts: 6,
        JitterStrategy: 'FULL',
      },
    ]);
  });

  test("the role may submit the stack's job definitions (every revision) to these queues, and stop them", () => {
    const roleId = p.stack.getLogicalId(p.workflow.stateMachine.role.node.defaultChild as CfnElement);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((r) =>
      JSON.stringify(r.Properties.Roles).includes(roleId),
    );
    const statements = policies.flatMap((r) => r.Properties.PolicyDocument.Statement) as Array<{
      Action: string | string[];
      Resource: unknown;
    }>;
    const byAction = (a: string) => statements.filter((s) => ([] as string[]).concat(s.Action).includes(a));
    // One statement: the stack's job definitions by their shared name prefix, and the two queues.
    expect(byAction('batch:SubmitJob')).toHaveLength(1);
    const resources = byAction('batch:SubmitJob')[0].Resource as unknown[];
    expect(resources).toHaveLength(3);
    expect(JSON.stringify(resources[0])).toContain(':job-definition/Test_*');
    expect(JSON.stringify(resources.slice(1))).toContain('JobQueueArn');
    expect(p.jobs.align.jobDefinitionName).toBe('Test_Align');
    expect(byAction('batch:DescribeJobs')[0].Resource).toBe('*');
    expect(JSON.stringify(byAction('batch:TerminateJob')[0].Resource)).toContain(':job/*');
    expect(JSON.stringify(byAction('events:PutRule')[0].Resource)).toContain(
      'rule/StepFunctionsGetEventsForBatchJobsRule',
    );
    for (const s of statements) {
      expect(s.Action).not.toBe('*');
    }
  });

  test('memory escalation levels: 30 GiB, then x1.5 twice, within what the queues can place', () => {
    expect(p.workflow.memoryLevels(p.steps.align)).toEqual([30720, 46080, 69120]);
    expect(p.workflow.onDemandQueueOf(p.steps.align)).toBe(p.urgent);
    // qc runs an hour at most, and still escalates: a sample is not lost to Spot however short its step.
    expect(p.workflow.onDemandQueueOf(p.steps.qc)).toBe(p.urgent);
  });

  test("6-hour Spot steps that escalate to On-Demand raise no long-Spot warning: escalation is the warning's own remedy", () => {
    p.app.synth();
    expect(Annotations.fromStack(p.stack).findWarning('*', Match.stringLikeRegexp('long-spot-job'))).toEqual([]);
    expect(p.jobs.align.spotEscalated).toBe(true);
  });

  test('renders the declared graph as Mermaid', () => {
    expect(p.workflow.toMermaid()).toBe(
      [
        'flowchart TD',
        '  subgraph samples["for each item of $.samples (Distributed Map, 50 at once)"]',
        '    align["align<br/>4 vCPU, 30 GiB"]',
        '    callVariants["callVariants<br/>4 vCPU, 15 GiB"]',
        '    qc["qc<br/>4 vCPU, 7 GiB"]',
        '  end',
        '  aggregate["aggregate<br/>4 vCPU, 30 GiB"]',
        '  align --> callVariants',
        '  align --> qc',
        '  samples --> aggregate',
      ].join('\n'),
    );
  });
});

describe('running the workflow locally', () => {
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
      new Set([JSON.stringify({ 'batch-pipelines:run': 'weekly-2026-48', BatchPipelinesWorkflow: 'Test/Pipeline' })]),
    );
  });

  test('the workflow tag holds only characters Batch accepts in a tag value, whatever the construct ids', () => {
    // Tag values: letters, digits, spaces and + - = . _ : / @. https://docs.aws.amazon.com/batch/latest/APIReference/API_TagResource.html
    const { stack, vpc } = stackWithVpc();
    const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
    const job = new Job(stack, 'J', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    new Workflow(stack, 'Nightly (prod) #2', { steps: [new WorkflowStep('only', { job })] });
    const states = aslOf(Template.fromStack(stack)).States as Record<string, { Parameters?: { Tags?: object } }>;
    expect(states.only.Parameters!.Tags).toEqual({
      'batch-pipelines:run.$': '$$.Execution.Name',
      BatchPipelinesWorkflow: 'Test/Nightly _prod_ _2',
    });
  });

  test('item data reaches the job as parameters', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, threeSamples);
    const align = run.calls.find((c) => c.state === 'align' && sampleOf(c) === 's2')!;
    expect(align.input.Parameters).toEqual({ sampleId: 's2', inputUri: 's3://in/s2.fq' });
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
    expect(run.output!.samplesOutcomes).toContainEqual({ index: 1, id: 's2', status: 'SUCCEEDED' });
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
});

describe('steps sharing failure handling', () => {
  /** A chain a -> b -> c at the top level: a and b escalate (6-hour Spot jobs), c does not. */
  function chain() {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const standard = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
    const urgent = new JobQueue(stack, 'Urgent', { capacities: [c.onDemand] });
    const job = (id: string, hours: number) =>
      new Job(stack, id, {
        queues: [standard, urgent],
        image: ecs.ContainerImage.fromRegistry('busybox'),
        vcpus: 4,
        memory: Size.gibibytes(15),
        timeout: Duration.hours(hours),
        checkpointing: true,
      });
    const a = new WorkflowStep('a', { job: job('A', 6) });
    const b = new WorkflowStep('b', { job: job('B', 6), dependsOn: [a] });
    const last = new WorkflowStep('c', { job: job('C', 1), dependsOn: [b], memoryEscalation: false });
    new Workflow(stack, 'Wf', { steps: [a, b, last] });
    return stack;
  }

  test('an escalation reruns the step that failed, not another step of the same branch', async () => {
    const run = await runLocally(chain(), {}, (call, attempt) => {
      if (call.state === 'b' && attempt === 1) {
        throw jobFailure(outOfMemory());
      }
    });
    expect(run.error).toBeUndefined();
    expect(run.calls.map((c) => [c.state, queueOf(c), memoryOf(c)])).toEqual([
      ['a', 'Standard', '15360'],
      ['b', 'Standard', '15360'],
      ['b', 'Standard', '23040'],
      ['c', 'Standard', undefined],
    ]);
  });

  test('a step without escalation fails with its own name, after escalating steps ran in the same branch', async () => {
    const run = await runLocally(chain(), {}, (call) => {
      if (call.state === 'c') {
        throw jobFailure(outOfMemory());
      }
    });
    expect(run.calls.map((c) => c.state)).toEqual(['a', 'b', 'c']);
    const failure = run.error!.cause as Error;
    expect(failure.name).toBe('c.OutOfMemory');
    expect(JSON.parse(failure.message)).toMatchObject({
      step: 'c',
      kind: 'OutOfMemory',
      exitCode: 137,
      containerReason: 'OutOfMemoryError: Container killed due to memory usage',
      memoryMiB: 15360,
    });
  });

  test('an escalating step that runs out of levels fails with the last reason', async () => {
    const run = await runLocally(chain(), {}, (call) => {
      if (call.state === 'a') {
        throw jobFailure(outOfMemory());
      }
    });
    // 15 GiB, then 1.5x twice; the third kill has nowhere to go.
    expect(run.calls.map(memoryOf)).toEqual(['15360', '23040', '34560']);
    expect((run.error!.cause as Error).name).toBe('a.OutOfMemory');
  });

  test("step names never clash with the workflow's own states and children", async () => {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const standard = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
    const urgent = new JobQueue(stack, 'Urgent', { capacities: [c.onDemand] });
    const job = new Job(stack, 'J', {
      queues: [standard, urgent],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 4,
      memory: Size.gibibytes(15),
      timeout: Duration.hours(6),
      checkpointing: true,
    });
    const logs = new WorkflowStep('Logs', { job });
    const machine = new WorkflowStep('StateMachine', { job, dependsOn: [logs] });
    new Workflow(stack, 'Wf', { steps: [logs, machine] });
    const run = await runLocally(stack, {}, (call, attempt) => {
      if (call.state === 'StateMachine' && attempt === 1) {
        throw jobFailure(outOfMemory());
      }
    });
    expect(run.error).toBeUndefined();
    expect(run.calls.map((x) => [x.state, memoryOf(x)])).toEqual([
      ['Logs', '15360'],
      ['StateMachine', '15360'],
      ['StateMachine', '23040'],
    ]);
  });

  test("the submit permission is one pattern for the stack's job definitions, however many jobs there are", () => {
    const submitStatement = (jobs: number, named?: string) => {
      const { stack, vpc } = stackWithVpc();
      const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
      const steps = Array.from({ length: jobs }, (_, i) => {
        const job = new Job(stack, `J${i}`, {
          queues: [q],
          image: ecs.ContainerImage.fromRegistry('busybox'),
          vcpus: 1,
          memory: Size.gibibytes(2),
          jobDefinitionName: i === 0 ? named : undefined,
        });
        return new WorkflowStep(`s${i}`, { job });
      });
      new Workflow(stack, 'Wf', { steps });
      const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
      const statements = Object.values(policies).flatMap((r) => r.Properties.PolicyDocument.Statement) as Array<{
        Action: unknown;
        Resource: unknown[];
      }>;
      return statements.filter((s) => s.Action === 'batch:SubmitJob');
    };
    expect(submitStatement(30)).toEqual(submitStatement(2));
    expect(submitStatement(2)[0].Resource).toHaveLength(2); // the stack's job definitions and the queue
    // A job definition named outside the pattern is listed by its own ARN (every revision).
    const custom = submitStatement(2, 'legacy-align');
    expect(custom[0].Resource).toHaveLength(3);
    expect(JSON.stringify(custom[0].Resource)).toContain(':job-definition/legacy-align:*');
  });
});

describe('options', () => {
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
    const samples = new FanOut('samples', { expectedItems: 100 });
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
    const samples = new FanOut('samples', { manifest: { bucket }, results: { bucket }, expectedItems: 200 });
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
      Next: 'photos: count outcomes',
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
    });
  });

  test("cdk-nag finds nothing unacknowledged on a fan-out's workflow with its manifest and results in S3", () => {
    const app = new App({ builtinCloudFormationValidation: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Nag');
    const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, new ec2.Vpc(stack, 'Vpc')).onDemand] });
    const job = new Job(stack, 'Resize', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      command: ['resize', 'Ref::sampleId'],
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    const photos = new FanOut('photos', {
      manifest: { bucket: new s3.Bucket(stack, 'Input') },
      results: { bucket: new s3.Bucket(stack, 'Results') },
      expectedItems: 10_000,
    });
    new Workflow(stack, 'Wf', { steps: [new WorkflowStep('resize', { job, forEach: photos })] });
    // The bare VPC and buckets of this test have findings of their own; the library's constructs must have none.
    const flagged = validationFindings(app);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.filter((f) => !/ Nag\/(Vpc|Input|Results)\//.test(f))).toEqual([]);
  });

  test('log level, execution data, tracing and timeout are configurable', () => {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const q = new JobQueue(stack, 'Q', { capacities: [c.onDemand] });
    const job = new Job(stack, 'J', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 1,
      memory: Size.gibibytes(2),
      timeout: Duration.hours(2),
    });
    new Workflow(stack, 'Wf', {
      steps: [new WorkflowStep('only', { job })],
      logLevel: sfn.LogLevel.ERROR,
      logExecutionData: true,
      tracing: false,
      timeout: Duration.hours(3),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR', IncludeExecutionData: true }),
      TracingConfiguration: { Enabled: false },
    });
    // An explicit timeout wins over the derived one.
    expect(aslOf(Template.fromStack(stack)).TimeoutSeconds).toBe(3 * 3600);
    // It may not stop a step's job mid-attempt.
    expect(
      () => new Workflow(stack, 'Short', { steps: [new WorkflowStep('again', { job })], timeout: Duration.hours(1) }),
    ).toThrow(
      "Test/Short: timeout 3600 seconds, shorter than step 'again''s job timeout (7200 seconds) is not allowed; allowed: at least the longest job timeout of the steps (7200 seconds): a shorter run stops its jobs mid-attempt. Fix: leave timeout out (it is derived from the steps), or give at least the longest job timeout",
    );
  });

  test('independent top-level steps run as parallel branches', async () => {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const q = new JobQueue(stack, 'Q', { capacities: [c.onDemand] });
    const job = (id: string) =>
      new Job(stack, id, {
        queues: [q],
        image: ecs.ContainerImage.fromRegistry('busybox'),
        vcpus: 1,
        memory: Size.gibibytes(2),
      });
    const a = new WorkflowStep('a', { job: job('A') });
    const b = new WorkflowStep('b', { job: job('B') });
    const d = new WorkflowStep('d', { job: job('D'), dependsOn: [a, b] });
    new Workflow(stack, 'Wf', { steps: [a, b, d] });
    const asl = aslOf(Template.fromStack(stack));
    expect((asl.States as Record<string, { Type: string }>)['Run a + b'].Type).toBe('Parallel');
    const run = await runLocally(stack, {});
    expect(run.calls.map((x) => x.state).slice(-1)).toEqual(['d']);
    expect(run.calls.map((x) => x.state).sort()).toEqual(['a', 'b', 'd']);
  });
});

describe('fair share and array jobs as steps', () => {
  test('the share identifier (from the item) and the array size reach SubmitJob', async () => {
    const { stack, vpc } = stackWithVpc();
    const q = new JobQueue(stack, 'Fair', {
      capacities: [capacities(stack, vpc).onDemand],
      fairShare: { shares: [{ shareIdentifier: 'lab_a', weightFactor: 1 }] },
    });
    const job = new Job(stack, 'Tiles', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 1,
      memory: Size.gibibytes(2),
      arrayJob: true,
    });
    const f = new FanOut('slides', { itemFields: ['sampleId', 'lab'], expectedItems: 10 });
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

describe('every path a step reads is checked before it is read', () => {
  // A missing path raises States.Runtime, which no Catch handles: it would end the whole run. Each read path is
  // checked first: an item's in the item's check (the item fails alone), the input's at the start of the run.
  // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
  function fairShareTiles() {
    const { stack, vpc } = stackWithVpc();
    const q = new JobQueue(stack, 'Fair', {
      capacities: [capacities(stack, vpc).onDemand],
      fairShare: { shares: [{ shareIdentifier: 'lab_a', weightFactor: 1 }] },
    });
    const job = new Job(stack, 'Tiles', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 1,
      memory: Size.gibibytes(2),
      arrayJob: true,
    });
    return { stack, q, job };
  }

  test('an item without the share identifier or with a text array size fails alone as Item.Invalid', async () => {
    const { stack, job } = fairShareTiles();
    const f = new FanOut('slides', { itemFields: ['sampleId'], expectedItems: 10 });
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

  test('a scheduling priority outside 0..9999 is refused', () => {
    const { stack, job } = fairShareTiles();
    const f = new FanOut('slides', { itemFields: ['sampleId'], expectedItems: 10 });
    expect(
      () =>
        new Workflow(stack, 'Wf', {
          steps: [
            new WorkflowStep('tiles', {
              job,
              forEach: f,
              shareIdentifier: 'lab_a',
              schedulingPriority: 10_000,
              arraySize: 10,
            }),
          ],
        }),
    ).toThrow(
      "Test/Wf: steps['tiles'].schedulingPriority 10000 is not allowed; allowed: a whole number from 0 to 9999 (higher runs first). Fix: use e.g. 0, or 100 for a step that should go first",
    );
  });

  test('a step outside a fan-out that reads the input: a run without it fails at once, naming what it needs', async () => {
    const { stack, vpc } = stackWithVpc();
    const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
    const job = new Job(stack, 'Merge', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      command: ['merge', 'Ref::reference'],
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    new Workflow(stack, 'Wf', {
      steps: [new WorkflowStep('merge', { job, environment: { COHORT: '$.cohort.name' } })],
    });
    expect(aslValidator(aslOf(Template.fromStack(stack))).isValid).toBe(true);
    const missing = await runLocally(stack, { reference: 'hg38' });
    expect(missing.calls).toEqual([]);
    expect((missing.error!.cause as Error).name).toBe('Workflow.InvalidInput');
    expect((missing.error!.cause as Error).message).toBe(
      'The execution input lacks or mistypes a value its steps read (they need the string fields reference cohort.name). Start the run with them, e.g. {"reference":"…"}.',
    );
    const ok = await runLocally(stack, { reference: 'hg38', cohort: { name: 'c1' } });
    expect(ok.error).toBeUndefined();
    expect(ok.calls[0].input).toMatchObject({
      Parameters: { reference: 'hg38' },
      ContainerOverrides: { Environment: [{ Name: 'COHORT', Value: 'c1' }] },
    });
  });

  test('paths the workflow writes itself (a fan-out summary) are not demanded of the input', () => {
    const p = genomicsPipeline({}, { aggregate: { environment: { SAMPLES_STATUS: '$.samplesSummary.status' } } });
    expect(aslOf(Template.fromStack(p.stack)).StartAt).toBe('samples: any items?');
  });
});

describe('Workflow bad input', () => {
  const bad: Array<[string, () => unknown, string]> = [
    [
      'no steps',
      () => new Workflow(stackWithVpc().stack, 'Wf', { steps: [] }),
      'Test/Wf: steps [] is not allowed; allowed: at least one step. Fix: pass the steps of the pipeline, e.g. [align, callVariants]',
    ],
    [
      'duplicate step names',
      () => {
        const p = genomicsPipeline();
        return new Workflow(p.stack, 'Wf2', { steps: [p.steps.align, new WorkflowStep('align', { job: p.jobs.qc })] });
      },
      "Test/Wf2: steps two steps named 'align' is not allowed; allowed: unique step names. Fix: rename one of them",
    ],
    [
      'a dependency on a step not in the workflow',
      () => {
        const p = genomicsPipeline();
        return new Workflow(p.stack, 'Wf2', { steps: [p.steps.callVariants] });
      },
      "Test/Wf2: steps['callVariants'].dependsOn 'align', which is not a step of this workflow is not allowed; allowed: steps listed in `steps`. Fix: add 'align' to the workflow's steps, or remove the dependency",
    ],
    [
      'a cycle',
      () => {
        const p = genomicsPipeline();
        p.steps.align.addDependency(p.steps.qc);
        return new Workflow(p.stack, 'Wf2', { steps: Object.values(p.steps) });
      },
      'Test/Wf2: steps.dependsOn a cycle: align -> qc -> align is not allowed; allowed: dependencies without cycles. Fix: remove one of the dependencies on that path',
    ],
    [
      'a step depending on a step inside another fan-out',
      () => {
        const p = genomicsPipeline();
        const other = new FanOut('batches');
        const x = new WorkflowStep('x', { job: p.jobs.qc, forEach: other, dependsOn: [p.steps.align] });
        return new Workflow(p.stack, 'Wf2', { steps: [...Object.values(p.steps), x] });
      },
      "Test/Wf2: steps['x'].dependsOn 'align', a step inside fan-out 'samples' is not allowed; allowed: steps of the same fan-out ('batches') or steps outside any fan-out. Fix: move 'x' out of its fan-out to run after all items of 'samples', or put both steps in one fan-out",
    ],
    [
      'an invalid step name',
      () => {
        const p = genomicsPipeline();
        return new Workflow(p.stack, 'Wf2', { steps: [new WorkflowStep('call variants', { job: p.jobs.qc })] });
      },
      "Test/Wf2: steps.name 'call variants' is not allowed; allowed: up to 40 letters, digits, hyphens and underscores, starting with a letter. Fix: rename the step, e.g. 'call-variants'",
    ],
    [
      'a job parameter nothing fills',
      () => {
        const p = genomicsPipeline({ itemFields: ['sampleId'] });
        return p;
      },
      "Test/Pipeline: steps['align'].parameters no value for Ref::inputUri of job Test/Align is not allowed; allowed: parameters filled by the step, by an item field (sampleId), or by a job default. Fix: map it, e.g. parameters: { inputUri: '$.item.inputUri' }, or add 'inputUri' to the fan-out's itemFields",
    ],
    [
      'a parameter the job does not use',
      () => genomicsPipeline({}, { qc: { parameters: { sample: '$.item.sampleId' } } }),
      "Test/Pipeline: steps['qc'].parameters.sample 'sample', which job Test/Qc does not use is not allowed; allowed: the job's Ref:: parameters: sampleId. Fix: use Ref::sample in the job's command, or remove it",
    ],
    [
      'an inline fan-out above 40 at once',
      () => genomicsPipeline({ mode: FanOutMode.INLINE, maxConcurrency: 50 }),
      "Test/Pipeline: fanOut 'samples'.maxConcurrency 50 with mode INLINE is not allowed; allowed: at most 40 items at once in an inline Map. Fix: use FanOutMode.DISTRIBUTED (or AUTO) for more items at once",
    ],
    [
      'an inline fan-out whose history would exceed 25,000 events',
      () => {
        const { stack, vpc } = stackWithVpc();
        const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
        const job = new Job(stack, 'J', {
          queues: [q],
          image: ecs.ContainerImage.fromRegistry('busybox'),
          vcpus: 1,
          memory: Size.gibibytes(2),
        });
        const f = new FanOut('samples', { mode: FanOutMode.INLINE, maxConcurrency: 40, expectedItems: 130 });
        let previous: WorkflowStep | undefined;
        const steps = Array.from({ length: 10 }, (_, i) => {
          previous = new WorkflowStep(`s${i}`, { job, forEach: f, dependsOn: previous ? [previous] : [] });
          return previous;
        });
        return new Workflow(stack, 'Pipeline', { steps });
      },
      "Test/Pipeline: fanOut 'samples'.mode INLINE for 130 items (~29900 history events, ~230 per item) is not allowed; allowed: at most 25000 events in one execution's history (reaching it fails the execution). Fix: use FanOutMode.DISTRIBUTED (each item gets its own history) or fewer items per execution",
    ],
    [
      'more items than the execution state holds',
      () => genomicsPipeline({ expectedItems: 5000 }),
      "Test/Pipeline: fanOut 'samples'.expectedItems 5000 (items in the input and outcomes in the state, up to ~1950 bytes each, would exceed the 256 KiB state limit) is not allowed; allowed: at most 134 items per execution this way. Fix: read the items from a manifest in S3 (manifest) and write outcomes to S3 (results), or split the items into several executions",
    ],
    [
      'more items in the input than it holds, outcomes in S3',
      () => {
        const { stack } = stackWithVpc();
        return genomicsPipeline({ expectedItems: 5000, results: { bucket: new s3.Bucket(stack, 'R') } });
      },
      "Test/Pipeline: fanOut 'samples'.expectedItems 5000 (items in the input, up to ~150 bytes each, would exceed the 256 KiB state limit) is not allowed; allowed: at most 1747 items per execution this way. Fix: read the items from a manifest in S3 (manifest), or split the items into several executions",
    ],
    [
      'Spot escalation with no On-Demand queue',
      () => {
        const { stack, vpc } = stackWithVpc();
        const c = capacities(stack, vpc);
        const q = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
        const job = new Job(stack, 'Align', {
          queues: [q],
          image: ecs.ContainerImage.fromRegistry('busybox'),
          vcpus: 4,
          memory: Size.gibibytes(30),
          timeout: Duration.hours(6),
        });
        return new Workflow(stack, 'Wf', { steps: [new WorkflowStep('align', { job })] });
      },
      "Test/Wf: steps['align'].spotEscalation on (job Test/Align may run 6 hours on Spot) with no On-Demand queue is not allowed; allowed: Spot escalation with a queue of On-Demand capacity among the job’s queues. Fix: bind the job to an On-Demand queue too (queues: [standard, onDemandOnly]), set onDemandQueue, or set spotEscalation: false",
    ],
    [
      'a step queue the job is not bound to',
      () => {
        const p = genomicsPipeline();
        const other = new JobQueue(p.stack, 'Other', { capacities: [p.urgent.capacities[0]] });
        return new Workflow(p.stack, 'Wf2', { steps: [new WorkflowStep('qc2', { job: p.jobs.qc, queue: other })] });
      },
      "Test/Wf2: steps['qc2'].queue Test/Other, which job Test/Qc is not bound to is not allowed; allowed: one of the job's queues (Test/Standard, Test/Urgent). Fix: add the queue to the job's queues so it is fit-checked, or use one of them",
    ],
    [
      'a failure percentage whose run-time check Step Functions cannot evaluate',
      () => genomicsPipeline({ maxFailedPercentage: 7 }),
      "Test/Pipeline: fanOut 'samples'.maxFailedPercentage 7 (the run-time check would nest more than 10 intrinsic functions) is not allowed; allowed: 0 or one of 10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100. Fix: use the nearest allowed percentage, e.g. 10, or maxFailedItems for an exact count",
    ],
    [
      'a step on a fair-share queue without a share identifier',
      () => {
        const { stack, vpc } = stackWithVpc();
        const q = new JobQueue(stack, 'Fair', {
          capacities: [capacities(stack, vpc).onDemand],
          fairShare: { shares: [{ shareIdentifier: 'lab_a', weightFactor: 1 }] },
        });
        const job = new Job(stack, 'J', {
          queues: [q],
          image: ecs.ContainerImage.fromRegistry('busybox'),
          vcpus: 1,
          memory: Size.gibibytes(2),
        });
        return new Workflow(stack, 'Wf', { steps: [new WorkflowStep('only', { job })] });
      },
      "Test/Wf: steps['only'].shareIdentifier none, for fair-share queue Test/Fair is not allowed; allowed: a share identifier on every step that submits to a fair-share queue (Batch refuses the job without one). Fix: set shareIdentifier, e.g. 'default' or '$.item.lab' to read it from each item",
    ],
    [
      'a memory-escalation ceiling at or below the job memory (escalation would silently never happen)',
      () => genomicsPipeline({}, { qc: { memoryEscalation: { ceiling: Size.gibibytes(7) } } }),
      "Test/Pipeline: steps['qc'].memoryEscalation.ceiling 7 GiB, for job Test/Qc of 7 GiB is not allowed; allowed: a ceiling above the job memory (at or below it, escalation would silently never happen). Fix: raise the ceiling above 7 GiB (at most 121.5 GiB), or set memoryEscalation: false",
    ],
    [
      'a scheduling priority without a share identifier',
      () => genomicsPipeline({}, { qc: { schedulingPriority: 5 } }),
      "Test/Pipeline: steps['qc'].schedulingPriority 5, without a share identifier is not allowed; allowed: a scheduling priority only on a fair-share step (with shareIdentifier). Fix: set shareIdentifier too, or remove schedulingPriority",
    ],
    [
      'an array job as a step without a size',
      () => {
        const { stack, vpc } = stackWithVpc();
        const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
        const job = new Job(stack, 'Tiles', {
          queues: [q],
          image: ecs.ContainerImage.fromRegistry('busybox'),
          vcpus: 1,
          memory: Size.gibibytes(2),
          arrayJob: true,
        });
        return new Workflow(stack, 'Wf', { steps: [new WorkflowStep('tiles', { job })] });
      },
      "Test/Wf: steps['tiles'].arraySize none, for array job Test/Tiles is not allowed; allowed: the number of children (2..10000), fixed or read from the state. Fix: set arraySize: 100, or arraySizePath: '$.item.chunks'",
    ],
    [
      'an array size on a job that is not an array job',
      () => genomicsPipeline({}, { qc: { arraySize: 10 } }),
      "Test/Pipeline: steps['qc'].arraySize 10, for job Test/Qc, which is not an array job is not allowed; allowed: arraySize only for jobs created with arrayJob: true. Fix: create the job with arrayJob: true, or remove arraySize",
    ],
    [
      'a path in a fan-out outside the item',
      () => genomicsPipeline({}, { qc: { parameters: { sampleId: '$.sampleId' } } }),
      "Test/Pipeline: steps['qc'].parameters.sampleId '$.sampleId', in fan-out 'samples' is not allowed; allowed: item paths ('$.item.<field>'): an item's steps see only the item. Fix: read '$.item.sampleId'",
    ],
    [
      'the execution input read inside a fan-out',
      () => genomicsPipeline({}, { qc: { parameters: { sampleId: '$$.Execution.Input.sampleId' } } }),
      "Test/Pipeline: steps['qc'].parameters.sampleId '$$.Execution.Input.sampleId', in fan-out 'samples' is not allowed; allowed: item paths ('$.item.<field>'): in a Distributed Map each item runs as a child execution whose input is the item, not the workflow's. Fix: put the value in each item and read '$.item.sampleId', or give the job a default for it",
    ],
    [
      'an item path outside a fan-out',
      () => genomicsPipeline({}, { aggregate: { environment: { LAB: '$.item.lab' } } }),
      "Test/Pipeline: steps['aggregate'].environment.LAB '$.item.lab', in step 'aggregate', which is not part of a fan-out is not allowed; allowed: paths of the execution input outside a fan-out. Fix: read it from the input, e.g. '$$.Execution.Input.lab', or set forEach",
    ],
    [
      'a context path that is not there while a task runs',
      () => genomicsPipeline({}, { qc: { parameters: { sampleId: '$$.Map.Item.Value' } } }),
      "Test/Pipeline: steps['qc'].parameters.sampleId '$$.Map.Item.Value' is not allowed; allowed: a field of the execution input ('$$.Execution.Input.<field>', outside fan-outs) or one of $$.Execution.Id, $$.Execution.Name, $$.Execution.StartTime, $$.Execution.RoleArn, $$.StateMachine.Id, $$.StateMachine.Name, $$.State.Name, $$.State.EnteredTime, $$.State.RetryCount. Fix: read the item, e.g. '$.item.Value'",
    ],
    [
      'the whole execution input as a string',
      () => genomicsPipeline({}, { aggregate: { environment: { INPUT: '$$.Execution.Input' } } }),
      "Test/Pipeline: steps['aggregate'].environment.INPUT '$$.Execution.Input' is not allowed; allowed: a field of the execution input ('$$.Execution.Input.<field>', outside fan-outs) or one of $$.Execution.Id, $$.Execution.Name, $$.Execution.StartTime, $$.Execution.RoleArn, $$.StateMachine.Id, $$.StateMachine.Name, $$.State.Name, $$.State.EnteredTime, $$.State.RetryCount. Fix: read an input field, e.g. '$$.Execution.Input.reference'",
    ],
    [
      'a path with a filter, which no check can test',
      () => genomicsPipeline({}, { qc: { parameters: { sampleId: '$.item.ids[?(@.main)]' } } }),
      "Test/Pipeline: steps['qc'].parameters.sampleId '$.item.ids[?(@.main)]' is not allowed; allowed: a reference path of field names and indexes, e.g. '$.item.lab' or '$.item.files[0]' (no filters, wildcards or quoted names). Fix: name the field directly, e.g. '$.item.lab'",
    ],
  ];

  test.each(bad)('%s', (_name, build, message) => {
    const error = errorOf(build);
    expect(error).toBeInstanceOf(BatchPipelinesValidationError);
    expect(error.message).toBe(message);
  });
});

describe('grantWatch', () => {
  test('grants what watch --execution-arn reads: executions, their Map Runs and child executions, the result files', () => {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const q = new JobQueue(stack, 'Q', { capacities: [c.onDemand] });
    const bucket = new s3.Bucket(stack, 'Data', { enforceSSL: true });
    const job = new Job(stack, 'J', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      command: ['run', 'Ref::sampleId'],
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    const samples = new FanOut('samples', {
      manifest: { bucket },
      results: { bucket, prefix: 'runs/' },
      expectedItems: 200,
    });
    const wf = new Workflow(stack, 'Wf', { steps: [new WorkflowStep('only', { job, forEach: samples })] });
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    wf.grantWatch(role);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('Operator'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const on = (action: string) =>
      JSON.stringify(statements.filter((st) => [st.Action].flat().includes(action)).map((st) => st.Resource));
    // A child execution is `execution:<name>/<label>:<id>`: `<name>:*` alone does not match it.
    for (const action of ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:ListMapRuns']) {
      expect(on(action)).toMatch(/:execution:",\{"Fn::GetAtt":\["Wf[0-9A-Za-z]+","Name"\]\},":\*"/);
      expect(on(action)).toMatch(/:execution:",\{"Fn::GetAtt":\["Wf[0-9A-Za-z]+","Name"\]\},"\/\*"/);
    }
    for (const action of ['states:DescribeMapRun', 'states:ListExecutions']) {
      expect(on(action)).toMatch(/:mapRun:",\{"Fn::GetAtt":\["Wf[0-9A-Za-z]+","Name"\]\},"\/\*"/);
    }
    expect(on('s3:GetObject*')).toContain('/runs/*');
  });
});
