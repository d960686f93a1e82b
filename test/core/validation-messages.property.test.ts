import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as fc from 'fast-check';
import {
  Ec2Capacity,
  FanOut,
  FargateCapacity,
  InstanceCatalog,
  Job,
  JobQueue,
  PipelineMonitoring,
  Workflow,
  WorkflowStep,
} from '../../lib';

/**
 * Generated props for each public construct (fast-check): valid values construct and synthesize with no error;
 * invalid ones are refused with the library's five-part message, naming the construct path, the prop, the value
 * received, what is allowed and a fix. Numeric, string and list props of every construct are covered; the ranges are
 * the AWS limits in lib/private/limits.ts, each cited there.
 */

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');

interface World {
  readonly app: App;
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
}

function world(): World {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  return { app, stack, vpc };
}

/** One prop of one construct: how to build the construct (at path `Test/Subject`) with a value of it. */
interface PropCase<T> {
  readonly prop: string;
  readonly valid: fc.Arbitrary<T>;
  readonly invalid: fc.Arbitrary<T>;
  /** How the message shows the value (`String(value)` unless given). */
  readonly shown?: (value: T) => string;
  /** Whether the check runs at synth (a whole-tree validation) rather than at construction. */
  readonly atSynth?: boolean;
  readonly build: (w: World, value: T) => void;
}

function queueOf(w: World): JobQueue {
  return new JobQueue(w.stack, 'Queue', { capacities: [new Ec2Capacity(w.stack, 'Capacity', { vpc: w.vpc })] });
}

/** One fan-out step over samples, on a fair-share queue when a scheduling priority is given. */
function workflowOf(w: World, props: { timeout?: Duration }, maxConcurrency = 10, schedulingPriority?: number) {
  const fair = schedulingPriority !== undefined;
  const queue = new JobQueue(w.stack, 'Queue', {
    capacities: [new Ec2Capacity(w.stack, 'Capacity', { vpc: w.vpc })],
    fairShare: fair ? { shares: [{ shareIdentifier: 'lab', weightFactor: 1 }] } : undefined,
  });
  const job = new Job(w.stack, 'Align', {
    queues: [queue],
    image,
    vcpus: 1,
    memory: Size.gibibytes(2),
    timeout: Duration.hours(1),
  });
  const samples = new FanOut('samples', { maxConcurrency, expectedItems: 100 });
  const align = new WorkflowStep('align', {
    job,
    forEach: samples,
    ...(fair ? { shareIdentifier: 'lab', schedulingPriority } : {}),
  });
  return new Workflow(w.stack, 'Subject', { steps: [align], ...props });
}

const notWhole = fc.double({ min: 0.01, max: 500, noNaN: true }).filter((v) => !Number.isInteger(v));
const seconds = (value: number) => `${value} seconds`;
const catalogX86 = InstanceCatalog.all()
  .filter((i) => i.architecture === ec2.InstanceArchitecture.X86_64)
  .map((i) => i.name);

// Each case's value type differs; the harness only passes a case's own values back to it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const CASES: Record<string, Array<PropCase<any>>> = {
  Ec2Capacity: [
    {
      prop: 'maxvCpus',
      valid: fc.integer({ min: 16, max: 5000 }),
      invalid: fc.oneof(fc.integer({ min: -1000, max: 0 }), notWhole),
      build: (w, v: number) => new Ec2Capacity(w.stack, 'Subject', { vpc: w.vpc, maxvCpus: v }),
    },
    {
      prop: 'minvCpus',
      valid: fc.integer({ min: 0, max: 256 }),
      invalid: fc.oneof(fc.integer({ min: -1000, max: -1 }), fc.integer({ min: 257, max: 5000 })),
      build: (w, v: number) => new Ec2Capacity(w.stack, 'Subject', { vpc: w.vpc, maxvCpus: 256, minvCpus: v }),
    },
    {
      prop: 'rootVolumeSize',
      valid: fc.integer({ min: 30, max: 16384 }),
      invalid: fc.oneof(fc.integer({ min: 1, max: 29 }), fc.integer({ min: 16385, max: 100_000 })),
      shown: (v: number) => `${v} GiB`,
      build: (w, v: number) => new Ec2Capacity(w.stack, 'Subject', { vpc: w.vpc, rootVolumeSize: Size.gibibytes(v) }),
    },
    {
      prop: 'spotBidPercentage',
      valid: fc.integer({ min: 1, max: 100 }),
      invalid: fc.oneof(fc.integer({ min: -100, max: 0 }), fc.integer({ min: 101, max: 1000 })),
      build: (w, v: number) =>
        new Ec2Capacity(w.stack, 'Subject', {
          vpc: w.vpc,
          spotBidPercentage: v,
          allocationStrategy: batch.AllocationStrategy.BEST_FIT,
        }),
    },
    {
      prop: 'instanceTypes',
      valid: fc.subarray(catalogX86, { minLength: 1, maxLength: 6 }),
      invalid: fc.constant([] as string[]),
      shown: () => '[]',
      build: (w, v: string[]) =>
        new Ec2Capacity(w.stack, 'Subject', { vpc: w.vpc, instanceTypes: v.map((t) => new ec2.InstanceType(t)) }),
    },
  ],
  FargateCapacity: [
    {
      prop: 'maxvCpus',
      valid: fc.integer({ min: 1, max: 5000 }),
      invalid: fc.oneof(fc.integer({ min: -1000, max: 0 }), notWhole),
      build: (w, v: number) => new FargateCapacity(w.stack, 'Subject', { vpc: w.vpc, maxvCpus: v }),
    },
  ],
  JobQueue: [
    {
      prop: 'priority',
      valid: fc.integer({ min: 0, max: 1000 }),
      invalid: fc.oneof(fc.integer({ min: -1000, max: -1 }), fc.integer({ min: 1001, max: 100_000 }), notWhole),
      build: (w, v: number) =>
        new JobQueue(w.stack, 'Subject', {
          capacities: [new Ec2Capacity(w.stack, 'Capacity', { vpc: w.vpc })],
          priority: v,
        }),
    },
    {
      prop: 'cancelUnrunnableAfter',
      valid: fc.integer({ min: 600, max: 86_400 }),
      invalid: fc.oneof(fc.integer({ min: 1, max: 599 }), fc.integer({ min: 86_401, max: 1_000_000 })),
      shown: seconds,
      build: (w, v: number) =>
        new JobQueue(w.stack, 'Subject', {
          capacities: [new Ec2Capacity(w.stack, 'Capacity', { vpc: w.vpc })],
          cancelUnrunnableAfter: Duration.seconds(v),
        }),
    },
    {
      prop: 'jobQueueName',
      valid: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/),
      invalid: fc.oneof(
        fc.constant(''),
        fc.stringMatching(/^[A-Za-z0-9]{1,20}[ ./:@][A-Za-z0-9]{0,20}$/),
        fc.stringMatching(/^[A-Za-z0-9]{129,140}$/),
      ),
      shown: (v: string) => `'${v}'`,
      build: (w, v: string) =>
        new JobQueue(w.stack, 'Subject', {
          capacities: [new Ec2Capacity(w.stack, 'Capacity', { vpc: w.vpc })],
          jobQueueName: v,
        }),
    },
    {
      prop: 'fairShare.computeReservation',
      valid: fc.integer({ min: 0, max: 99 }),
      invalid: fc.oneof(fc.integer({ min: -100, max: -1 }), fc.integer({ min: 100, max: 1000 }), notWhole),
      build: (w, v: number) =>
        new JobQueue(w.stack, 'Subject', {
          capacities: [new Ec2Capacity(w.stack, 'Capacity', { vpc: w.vpc })],
          fairShare: { shares: [{ shareIdentifier: 'lab', weightFactor: 1 }], computeReservation: v },
        }),
    },
    {
      prop: "fairShare.shares['lab'].weightFactor",
      valid: fc.double({ min: 0.0001, max: 999.9999, noNaN: true }),
      invalid: fc.oneof(fc.double({ min: -10, max: 0, noNaN: true }), fc.double({ min: 1000, max: 1e6, noNaN: true })),
      build: (w, v: number) =>
        new JobQueue(w.stack, 'Subject', {
          capacities: [new Ec2Capacity(w.stack, 'Capacity', { vpc: w.vpc })],
          fairShare: { shares: [{ shareIdentifier: 'lab', weightFactor: v }] },
        }),
    },
    {
      prop: 'capacities',
      valid: fc.constant(1),
      invalid: fc.constant(0),
      shown: () => '[]',
      atSynth: true,
      build: (w, n: number) =>
        new JobQueue(w.stack, 'Subject', {
          capacities: n ? [new Ec2Capacity(w.stack, 'Capacity', { vpc: w.vpc })] : [],
        }),
    },
  ],
  Job: [
    {
      prop: 'vcpus',
      // The default capacity's largest type is a 4xlarge: 16 vCPUs.
      valid: fc.integer({ min: 1, max: 16 }),
      invalid: fc.oneof(fc.integer({ min: -16, max: 0 }), fc.integer({ min: 17, max: 192 })),
      shown: (v: number) => `${v}`,
      atSynth: true,
      build: (w, v: number) =>
        new Job(w.stack, 'Subject', { queues: [queueOf(w)], image, vcpus: v, memory: Size.gibibytes(2) }),
    },
    {
      prop: 'memory',
      // Usable memory of an r5.4xlarge (128 GiB installed, 5% kept for the host): 124,518 MiB.
      valid: fc.integer({ min: 512, max: 124_518 }),
      invalid: fc.integer({ min: 124_519, max: 2_000_000 }),
      shown: (v: number) => `${Math.floor((v / 1024) * 10) / 10}`,
      atSynth: true,
      build: (w, v: number) =>
        new Job(w.stack, 'Subject', { queues: [queueOf(w)], image, vcpus: 1, memory: Size.mebibytes(v) }),
    },
    {
      prop: 'timeout',
      valid: fc.integer({ min: 60, max: 7 * 24 * 3600 }),
      invalid: fc.integer({ min: 1, max: 59 }),
      shown: seconds,
      build: (w, v: number) =>
        new Job(w.stack, 'Subject', {
          queues: [queueOf(w)],
          image,
          vcpus: 1,
          memory: Size.gibibytes(2),
          timeout: Duration.seconds(v),
        }),
    },
    {
      prop: 'tags',
      // 48: the library adds its cost-allocation and run tags to the 50 Batch allows with propagation.
      valid: fc.integer({ min: 0, max: 48 }),
      invalid: fc.integer({ min: 49, max: 120 }),
      shown: (v: number) => `${v}`,
      build: (w, n: number) =>
        new Job(w.stack, 'Subject', {
          queues: [queueOf(w)],
          image,
          vcpus: 1,
          memory: Size.gibibytes(2),
          tags: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])),
        }),
    },
    {
      prop: 'image',
      valid: fc.stringMatching(/^[a-z0-9]+(\/[a-z0-9]+){0,2}(:[a-z0-9.]+)?$/),
      invalid: fc.constantFrom('', ' ', '   '),
      shown: (v: string) => `ContainerImage.fromRegistry('${v}')`,
      build: (w, v: string) =>
        new Job(w.stack, 'Subject', {
          queues: [queueOf(w)],
          image: ecs.ContainerImage.fromRegistry(v),
          vcpus: 1,
          memory: Size.gibibytes(2),
        }),
    },
    {
      prop: 'queues',
      valid: fc.constant(1),
      invalid: fc.constant(0),
      shown: () => '[]',
      build: (w, n: number) =>
        new Job(w.stack, 'Subject', {
          queues: n ? [queueOf(w)] : [],
          image,
          vcpus: 1,
          memory: Size.gibibytes(2),
        }),
    },
  ],
  Workflow: [
    {
      prop: 'timeout',
      // The step's job may run an hour: a run must allow at least that (and Step Functions at most a year).
      valid: fc.integer({ min: 3600, max: 365 * 24 * 3600 }),
      invalid: fc.integer({ min: 1, max: 3599 }),
      shown: seconds,
      build: (w, v: number) => workflowOf(w, { timeout: Duration.seconds(v) }),
    },
    {
      prop: "fanOut 'samples'.maxConcurrency",
      valid: fc.integer({ min: 1, max: 40 }),
      invalid: fc.oneof(fc.integer({ min: -100, max: 0 }), notWhole),
      build: (w, v: number) => workflowOf(w, {}, v),
    },
    {
      prop: "steps['align'].schedulingPriority",
      valid: fc.integer({ min: 0, max: 9999 }),
      invalid: fc.oneof(fc.integer({ min: -100, max: -1 }), fc.integer({ min: 10_000, max: 100_000 }), notWhole),
      build: (w, v: number) => workflowOf(w, {}, 10, v),
    },
  ],
  PipelineMonitoring: [
    {
      prop: 'spotInterruptionPercent',
      valid: fc.double({ min: 0.01, max: 100, noNaN: true }),
      invalid: fc.oneof(
        fc.double({ min: -100, max: 0, noNaN: true }),
        fc.double({ min: 100.01, max: 1e4, noNaN: true }),
      ),
      build: (w, v: number) =>
        new PipelineMonitoring(w.stack, 'Subject', { queues: [queueOf(w)], spotInterruptionPercent: v }),
    },
    {
      prop: 'stuckAfter',
      // At least three looks of the 5-minute queue probe, at most a CloudWatch alarm period (24 hours).
      valid: fc.integer({ min: 15, max: 24 * 60 }),
      invalid: fc.oneof(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 24 * 60 + 1, max: 10_000 })),
      shown: (v: number) => Duration.minutes(v).toHumanString(),
      build: (w, v: number) =>
        new PipelineMonitoring(w.stack, 'Subject', { queues: [queueOf(w)], stuckAfter: Duration.minutes(v) }),
    },
  ],
};

/** What building (and, for whole-tree checks, synthesizing) with `value` threw, if anything. */
function attempt<T>(c: PropCase<T>, value: T, synth: boolean): string | undefined {
  const w = world();
  try {
    c.build(w, value);
    if (synth) {
      w.app.synth();
    }
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe.each(Object.entries(CASES))('%s: generated props', (construct, cases) => {
  describe.each(cases.map((c) => [c.prop, c] as const))('%s', (prop, c) => {
    test('valid values construct and synthesize with no error', () => {
      fc.assert(
        fc.property(c.valid, (value) => {
          // Valid values always go through synth, where whole-tree validations run.
          expect(attempt(c, value, true)).toBeUndefined();
        }),
        { numRuns: 5 },
      );
    });

    test('invalid values are refused naming the path, the prop, the value, what is allowed and a fix', () => {
      fc.assert(
        fc.property(c.invalid, (value) => {
          const message = attempt(c, value, c.atSynth === true);
          expect(message).toBeDefined();
          expect(message).toContain(`Test/Subject: ${prop} `);
          expect(message).toContain((c.shown ?? String)(value));
          expect(message).toMatch(/; allowed: \S.*\. Fix: \S/);
        }),
        { numRuns: c.atSynth ? 5 : 12 },
      );
    });
  });
  void construct;
});
