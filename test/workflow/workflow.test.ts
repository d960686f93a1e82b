import { Duration, Size } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { BatchPipelinesValidationError, FanOut, FanOutMode, Job, JobQueue, Workflow, WorkflowStep } from '../../lib';
import { aslOf } from '../support/asl';
import { capacities, errorOf } from '../support/capacity';
import { genomicsPipeline, runLocally } from '../support/pipeline';
import { stackWithVpc } from '../support/stacks';

// The construct: it asks the plan (test/workflow/plan), builds the states (test/workflow/states) and applies the
// grants (grants.test.ts). Here: what it synthesizes as a whole, its props and its own methods.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (d: unknown) => { isValid: boolean; errorsText: () => string };

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
    // No IntervalSeconds or BackoffRate: Step Functions waits 1 s first and doubles it by default; MaxDelaySeconds
    // caps each wait (1..31,622,400 s) and FULL jitter draws it at random below the cap.
    // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error
    expect(branch.align.Retry).toEqual([
      {
        ErrorEquals: ['Batch.AWSBatchException', 'Batch.ServerException'],
        MaxAttempts: 20,
        MaxDelaySeconds: 300,
        JitterStrategy: 'FULL',
      },
    ]);
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

describe('the construct', () => {
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

  test("refuses steps its plan refuses, with the plan's error", () => {
    const error = errorOf(() => new Workflow(stackWithVpc().stack, 'Wf', { steps: [] }));
    expect(error).toBeInstanceOf(BatchPipelinesValidationError);
    expect(error.message).toBe(
      'Test/Wf: steps [] is not allowed; allowed: at least one step. Fix: pass the steps of the pipeline, e.g. [align, callVariants]',
    );
  });

  test('a fan-out over a manifest is drawn as iterating over the manifest, not an input path', () => {
    const { stack, vpc } = stackWithVpc();
    const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
    const job = new Job(stack, 'J', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    const bucket = new s3.Bucket(stack, 'Data');
    const photos = new FanOut('photos', { manifest: { bucket }, results: { bucket } });
    const wf = new Workflow(stack, 'Wf', { steps: [new WorkflowStep('resize', { job, forEach: photos })] });
    expect(wf.toMermaid().split('\n')[1]).toBe(
      '  subgraph photos["for each item of the manifest (Distributed Map, 50 at once)"]',
    );
  });

  test('two workflows in one stack', () => {
    const p = genomicsPipeline();
    const again = new WorkflowStep('again', { job: p.jobs.qc });
    new Workflow(p.stack, 'Other', { steps: [again] });
    Template.fromStack(p.stack).resourceCountIs('AWS::StepFunctions::StateMachine', 2);
  });
});
