import { Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  CostReport,
  FanOut,
  Job,
  JobProps,
  JobQueue,
  PipelineMonitoring,
  QueueProbe,
  SharedJobResources,
  Workflow,
  WorkflowStep,
} from '../../lib';
import { capacities, errorOf } from '../support/capacity';
import { typeCheck } from '../support/compiles';
import { stackWithVpc } from '../support/stacks';

// What plain JavaScript, tsx or a jsii language passing a dictionary can do: a key no props interface has.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const untyped = (x: object) => x as any;

function jobAndQueue() {
  const { stack, vpc } = stackWithVpc();
  const c = capacities(stack, vpc);
  const queue = JobQueue.fargateSpotFirst(stack, 'Queue', c.fargateSpot, c.fargate);
  const props: JobProps = {
    queues: [queue],
    image: ecs.ContainerImage.fromRegistry('busybox'),
    vcpus: 1,
    memory: Size.gibibytes(2),
    command: ['t', 'Ref::id'],
  };
  return { stack, queue, props, job: new Job(stack, 'Transcode', props) };
}

describe('unknown prop keys are refused at run time, with the allowed keys and "did you mean"', () => {
  test('GIVEN FanOut { maxConcurency: 10 } THEN "did you mean `maxConcurrency`?" (it would stay 50)', () => {
    const { stack, job } = jobAndQueue();
    const videos = new FanOut('videos', untyped({ maxConcurency: 10 }));
    const step = new WorkflowStep('transcode', { job, forEach: videos });
    expect(errorOf(() => new Workflow(stack, 'Wf', { steps: [step] })).message).toBe(
      "Test/Wf: fanOut 'videos'.maxConcurency 10 is not a prop of FanOutOptions (it would be ignored); allowed: " +
        'manifest, results, itemsPath, idField, itemFields, maxConcurrency, expectedItems, mode, maxFailedItems, ' +
        'maxFailedPercentage, inputObjects. Fix: did you mean `maxConcurrency`? `maxConcurrency: 10`',
    );
  });

  test.each([
    [
      'WorkflowProps',
      (s: ReturnType<typeof jobAndQueue>) =>
        new Workflow(s.stack, 'Wf', untyped({ steps: [new WorkflowStep('t', { job: s.job })], timout: 1 })),
      'Test/Wf: timout 1 is not a prop of WorkflowProps (it would be ignored); allowed: steps, logLevel, logExecutionData, logRetention, tracing, timeout, stateMachineName, cache. Fix: did you mean `timeout`? `timeout: 1`',
    ],
    [
      'JobProps',
      (s: ReturnType<typeof jobAndQueue>) => new Job(s.stack, 'J2', untyped({ ...s.props, vcpu: 2 })),
      'Test/J2: vcpu 2 is not a prop of JobProps (it would be ignored); allowed: queues,',
    ],
    [
      'WorkflowStepOptions',
      (s: ReturnType<typeof jobAndQueue>) =>
        new Workflow(s.stack, 'Wf', { steps: [new WorkflowStep('t', untyped({ job: s.job, dependOn: [] }))] }),
      "Test/Wf: steps['t'].dependOn (an array) is not a prop of WorkflowStepOptions (it would be ignored); allowed: job, queue, dependsOn,",
    ],
    [
      'JobQueueProps',
      (s: ReturnType<typeof jobAndQueue>) => new JobQueue(s.stack, 'Q2', untyped({ priorty: 5 })),
      'Test/Q2: priorty 5 is not a prop of JobQueueProps',
    ],
    [
      'PipelineMonitoringProps',
      (s: ReturnType<typeof jobAndQueue>) =>
        new PipelineMonitoring(s.stack, 'Mon', untyped({ queues: [s.queue], notificationEmails: 'ops@example.org' })),
      "Test/Mon: notificationEmails 'ops@example.org' is not a prop of PipelineMonitoringProps (it would be ignored); allowed: queues, workflow, notificationEmail, stuckAfter, spotInterruptionPercent, logRetention, notifyRunSucceeded. Fix: did you mean `notificationEmail`? `notificationEmail: 'ops@example.org'`",
    ],
    [
      'QueueProbeProps',
      (s: ReturnType<typeof jobAndQueue>) =>
        new QueueProbe(
          s.stack,
          'Probe',
          untyped({ queues: [s.queue], logRetention: logs.RetentionDays.ONE_DAY, queue: 1 }),
        ),
      'Test/Probe: queue 1 is not a prop of QueueProbeProps (it would be ignored); allowed: queues, logRetention. Fix: did you mean `queues`? `queues: 1`',
    ],
    [
      'SharedJobResourcesProps',
      (s: ReturnType<typeof jobAndQueue>) =>
        new SharedJobResources(s.stack, 'Shared', untyped({ logRetentionDays: 30 })),
      'Test/Shared: logRetentionDays 30 is not a prop of SharedJobResourcesProps (it would be ignored); allowed: logRetention, logRemovalPolicy.',
    ],
    [
      'CostReportProps',
      (s: ReturnType<typeof jobAndQueue>) =>
        new CostReport(s.stack, 'Cost', untyped({ jobs: [s.job], itemsPerWeek: 500 })),
      'Test/Cost: itemsPerWeek 500 is not a prop of CostReportProps (it would be ignored); allowed: workflow, jobs, itemsPerMonth, itemsPerDay,',
    ],
    [
      'ContainerLinuxParameters',
      (s: ReturnType<typeof jobAndQueue>) =>
        new Job(s.stack, 'J3', untyped({ ...s.props, linuxParameters: { sharedMemory: 1024 } })),
      'Test/J3: linuxParameters.sharedMemory 1024 is not a prop of ContainerLinuxParameters (it would be ignored); allowed: sharedMemorySize,',
    ],
    [
      'WorkflowProps, no near miss',
      (s: ReturnType<typeof jobAndQueue>) =>
        new Workflow(s.stack, 'Wf', untyped({ steps: [new WorkflowStep('t', { job: s.job })], maxConcurency: 10 })),
      'Fix: remove maxConcurency, or use one of the allowed props',
    ],
  ])('%s', (_, make, message) => {
    expect(errorOf(() => make(jobAndQueue())).message).toContain(message);
  });

  test('the suggested code compiles, and a key list missing a prop does not', () => {
    const diagnostics = typeCheck({
      fix: "import { FanOut } from 'cdk-batch-pipelines';\nnew FanOut('videos', { maxConcurrency: 10 });",
      missing: [
        "import type { WorkflowProps } from 'cdk-batch-pipelines';",
        "import type { KnownKeys } from '../../lib/private/known-props';",
        'export const keys: KnownKeys<WorkflowProps> = { steps: true, logLevel: true };',
      ].join('\n'),
    });
    expect(diagnostics.fix).toEqual([]);
    expect(diagnostics.missing).toEqual([
      expect.stringMatching(/is missing the following properties .*logExecutionData/),
    ]);
  });
});
