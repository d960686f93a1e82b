import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import {
  COST_BACKLOG_WARNING,
  COST_ESTIMATE_METADATA,
  CostReport,
  FanOut,
  FargateCapacity,
  Job,
  JobQueue,
  PurchaseOption,
  Workflow,
  WorkflowStep,
} from '../../lib';
import { errorOf } from '../support/capacity';
import { genomicsPipeline } from '../support/pipeline';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');

/** A video workflow on Fargate Spot with a Fargate fallback: probe, then transcode per video. */
function fargateWorkflow(stack: Stack, options: { timeout?: Duration } = {}) {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const spot = new FargateCapacity(stack, 'FargateSpot', { vpc, maxvCpus: 200 });
  const onDemand = new FargateCapacity(stack, 'Fargate', { vpc, purchaseOption: PurchaseOption.ON_DEMAND });
  const queue = new JobQueue(stack, 'Videos', { capacities: [spot, onDemand] });
  // Long Spot jobs escalate to On-Demand: the job is bound to an On-Demand queue too.
  const urgent = new JobQueue(stack, 'Urgent', { capacities: [onDemand] });
  const transcode = new Job(stack, 'Transcode', {
    queues: [queue, urgent],
    image,
    vcpus: 4,
    memory: Size.gibibytes(8),
    timeout: options.timeout ?? Duration.hours(1),
  });
  const videos = new FanOut('videos', { expectedItems: 100, maxConcurrency: 50 });
  const step = new WorkflowStep('transcode', { job: transcode, forEach: videos });
  return new Workflow(stack, 'Workflow', { steps: [step] });
}

function infoOf(report: CostReport): string {
  return String(report.node.metadata.find((m) => m.type === 'aws:cdk:info')!.data);
}

function warningsOf(report: CostReport): string[] {
  return report.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
}

describe('CostReport built from what the stack declares', () => {
  test('a workflow: each step priced on its queue capacity, hours from its runtimes or its timeout', () => {
    // GIVEN the reference pipeline (EC2 Spot first, On-Demand fallback; 100 samples a run)
    const p = genomicsPipeline();
    // WHEN a report is built from the workflow and the items a month only
    const report = new CostReport(p.stack, 'Cost', {
      workflow: p.workflow,
      itemsPerMonth: 2000,
      runtimes: { align: Duration.hours(4) },
    });
    const e = report.declaredEstimate!;
    // THEN every step is priced on EC2 Spot from the capacity's own instance types, align at 4 h, the others at their
    // job's timeout (callVariants 4 h, qc 1 h, aggregate 2 h); aggregate runs once per run of 100 items
    expect(e.steps.map((s) => [s.step, s.capacity, s.line.option, s.hoursPerJob, s.hoursFrom, s.jobsPerMonth])).toEqual(
      [
        ['align', 'EC2 Spot', 'Batch Spot', 4, 'runtimes', 2000],
        ['callVariants', 'EC2 Spot', 'Batch Spot', 4, "its job's timeout", 2000],
        ['qc', 'EC2 Spot', 'Batch Spot', 1, "its job's timeout", 2000],
        ['aggregate', 'EC2 Spot', 'Batch Spot', 2, "its job's timeout", 20],
      ],
    );
    expect(e.steps[0].estimate.placement?.instanceType).toMatch(/^r[567]i?\.xlarge$/);
    expect(e.steps[0].fallbackLines.map((l) => l.option)).toEqual(['Batch On-Demand (OnDemand)']);
    // AND no always-on fleets and no Fargate lines: the stack has neither
    expect(e.steps.flatMap((s) => s.estimate.lines.map((l) => l.option))).not.toContain('Dedicated, sized for peak');
    expect(e.steps.flatMap((s) => s.estimate.lines.map((l) => l.option))).not.toContain('Fargate');
    // AND transitions are counted from the definition: an item enters 17 states (test/cost/transitions.test.ts lists
    // them) and, its fan-out being a Distributed Map, costs 1 more to start its child execution ("Transitions in
    // Distributed Map state", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html):
    // 20 runs × (14 + 100 × 19) = 38,280, $0.025 per 1,000
    expect(e.transitions).toMatchObject({
      perRun: 14,
      perItem: 19,
      childExecutionsPerItem: 1,
      runsPerMonth: 20,
      perMonth: 38280,
    });
    expect(e.transitions!.monthlyUsd).toBeCloseTo(0.957, 6);
    expect(e.monthlyUsd).toBeCloseTo(e.computeMonthlyUsd + 0.957, 6);
    const info = infoOf(report);
    expect(info).toContain('Cost estimate of workflow Test/Pipeline, 2,000 items a month');
    expect(info).toMatch(/align +EC2 Spot: r\S+, 1 per instance +2,000 +4 h +\$/);
    expect(info).toMatch(/qc +EC2 Spot: .* +1 h \(timeout\)/);
    expect(info).toContain('Transitions: 19 per item (1 to start its child execution, Distributed Map) + 14 per run');
    // AND the free tier is named as Step Functions prices it, "4,000 free state transitions per month" across all
    // state machines (https://aws.amazon.com/step-functions/pricing/), and not taken off
    expect(info).toContain(
      "(Standard; the free tier's 4,000 a month, shared by the account's state machines, is not subtracted).",
    );
    expect(info).not.toContain('Dedicated');
  });

  test('Fargate capacity: priced as Fargate Spot with its Fargate fallback, no EC2 instance type', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Video');
    const workflow = fargateWorkflow(stack);
    const report = new CostReport(stack, 'Cost', {
      workflow,
      itemsPerDay: 2000,
      runtimes: { transcode: Duration.minutes(20) },
    });
    const step = report.declaredEstimate!.steps[0];
    expect(step.capacity).toBe('Fargate Spot');
    expect(step.line.option).toBe('Fargate Spot');
    expect(step.estimate.placement).toBeUndefined();
    expect(step.estimate.lines.map((l) => l.option)).toEqual(['Fargate', 'Fargate Spot']);
    expect(step.fallbackLines.map((l) => l.option)).toEqual(['Fargate (Fargate)']);
    // 2,000 a day × 730 / 24 = 60,833 a month of 20 min at 4 vCPU / 8 GiB:
    // 20,278 h × (4 × 0.04048 + 8 × 0.004445) × 0.3 × (1 + 0.03 × 1/3 × 0.5) re-runs
    expect(step.jobsPerMonth).toBeCloseTo(60833.33, 1);
    expect(step.line.monthlyUsd).toBeCloseTo(20277.78 * (4 * 0.04048 + 8 * 0.004445) * 0.3 * 1.005, 0);
    const info = infoOf(report);
    expect(info).toMatch(/transcode +Fargate Spot: 4 vCPU \/ 8 GiB +60,833 +20 min/);
    expect(info).not.toMatch(/r5|r6i|Dedicated|Batch Spot/);
  });

  test('arm64 Fargate capacity: priced at Linux/ARM rates, without a Fargate Spot line', () => {
    // GIVEN a job on an arm64 Fargate On-Demand capacity, and the same job on x86
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Video');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const reportOn = (architecture: ec2.InstanceArchitecture) => {
      const capacity = new FargateCapacity(stack, `Fargate${architecture}`, {
        vpc,
        purchaseOption: PurchaseOption.ON_DEMAND,
        architecture,
      });
      const job = new Job(stack, `Encode${architecture}`, {
        queues: [new JobQueue(stack, `Queue${architecture}`, { capacities: [capacity] })],
        image,
        vcpus: 4,
        memory: Size.gibibytes(8),
        timeout: Duration.hours(1),
      });
      return new CostReport(stack, `Cost${architecture}`, { jobs: [job], itemsPerMonth: 1000 });
    };
    const arm = reportOn(ec2.InstanceArchitecture.ARM_64).declaredEstimate!.steps[0];
    const x86 = reportOn(ec2.InstanceArchitecture.X86_64).declaredEstimate!.steps[0];
    // THEN 1,000 h × (4 × $0.03238 + 8 × $0.00356) on arm64 and 1,000 h × (4 × $0.04048 + 8 × $0.004445) on x86
    // (Linux/ARM and Linux/x86 in us-east-1, https://aws.amazon.com/fargate/pricing/)
    expect(arm.line.option).toBe('Fargate');
    expect(arm.line.monthlyUsd).toBeCloseTo(1000 * (4 * 0.03238 + 8 * 0.00356), 6);
    expect(x86.line.monthlyUsd).toBeCloseTo(1000 * (4 * 0.04048 + 8 * 0.004445), 6);
    expect(arm.line.basis).toContain('(4 vCPU / 8 GiB arm64)');
    // AND no Fargate Spot for arm64: "Fargate Spot is not supported for ARM64"
    // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-jobdefinition-runtimeplatform.html)
    expect(arm.estimate.lines.map((l) => l.option)).toEqual(['Fargate']);
    expect(x86.estimate.lines.map((l) => l.option)).toEqual(['Fargate', 'Fargate Spot']);
  });

  test('an imported Fargate Spot capacity declared arm64 is not priced, and says why', () => {
    // GIVEN an imported queue whose declared capacity is Fargate Spot on arm64, which Fargate does not run
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Video');
    const capacity = FargateCapacity.fromComputeEnvironmentArn(
      stack,
      'Theirs',
      'arn:aws:batch:us-east-1:123456789012:compute-environment/theirs',
      { purchaseOption: PurchaseOption.SPOT, maxvCpus: 64, architecture: ec2.InstanceArchitecture.ARM_64 },
    );
    const queue = JobQueue.fromJobQueueArn(stack, 'Queue', 'arn:aws:batch:us-east-1:123456789012:job-queue/theirs', {
      capacities: [capacity],
    });
    const job = new Job(stack, 'Encode', { queues: [queue], image, vcpus: 1, memory: Size.gibibytes(2) });
    // WHEN it is priced
    const report = new CostReport(stack, 'Cost', { jobs: [job], itemsPerMonth: 100 });
    // THEN the job is listed as not priced, with the fix
    expect(report.declaredEstimate!.steps).toHaveLength(0);
    expect(report.declaredEstimate!.notPriced).toEqual([
      'Encode: Video/Theirs: purchaseOption SPOT with architecture arm64 is not allowed; allowed: Fargate Spot on ' +
        'x86_64 only (it runs no ARM64 task). Fix: declare the capacity as the compute environment was created: ' +
        'purchaseOption: PurchaseOption.ON_DEMAND, or architecture: ec2.InstanceArchitecture.X86_64',
    ]);
  });

  test('jobs without a workflow: each on its first queue, no transitions', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Video');
    const workflow = fargateWorkflow(stack);
    const report = new CostReport(stack, 'Cost', { jobs: [workflow.steps[0].job], itemsPerMonth: 1000 });
    expect(report.declaredEstimate!.transitions).toBeUndefined();
    expect(report.declaredEstimate!.steps.map((s) => [s.step, s.capacity, s.hoursPerJob])).toEqual([
      ['Transcode', 'Fargate Spot', 1],
    ]);
  });

  test('an implausible runtime: the warning questions the input and still says what it would take', () => {
    // GIVEN 2,000 videos a day whose job timeout (the runtime assumed) is 20 h: minutes meant as hours
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Video');
    const workflow = fargateWorkflow(stack, { timeout: Duration.hours(20) });
    const report = new CostReport(stack, 'Cost', { workflow, itemsPerDay: 2000 });
    const warnings = warningsOf(report);
    expect(warnings[0]).toContain(
      "Video/Cost: transcode: runtimes.transcode (its job's timeout) 20 h: each item would take 20 h; if you meant 20 " +
        'minutes, write runtimes: { transcode: Duration.minutes(20) }.',
    );
    expect(warnings[0]).toContain('need 1,667 jobs at once, 33 times the 50 that can run now');
    expect(warnings[0]).toContain(
      'keeping up would take raising maxConcurrency of fan-out videos to 1667 and maxvCpus of Video/FargateSpot to 6668',
    );
    expect(warnings[0]).toContain(`[ack: ${COST_BACKLOG_WARNING}]`);
  });

  test('the explicit workload form: hoursPerItem 20 (minutes typed as hours) is questioned, not scaled up', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Video');
    const report = new CostReport(stack, 'Cost', {
      workload: {
        itemsPerMonth: (2000 * 730) / 24,
        hoursPerItem: 20,
        vcpus: 4,
        memory: Size.gibibytes(8),
        maxConcurrency: 50,
      },
    });
    const warning = report.estimate!.warnings[0];
    expect(warning).toMatch(
      /^hoursPerItem 20: each item would take 20 h; if you meant 20 minutes, write hoursPerItem: 20 \/ 60\. /,
    );
    expect(warning).toContain('keeping up would take raising maxConcurrency to 1667.');
    expect(warning).not.toMatch(/^The work outruns capacity/);
  });

  test('a runtime longer than the job timeout is a warning', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Video');
    const workflow = fargateWorkflow(stack);
    const report = new CostReport(stack, 'Cost', {
      workflow,
      itemsPerMonth: 100,
      runtimes: { transcode: Duration.hours(3) },
    });
    expect(warningsOf(report)).toContain(
      "Video/Cost: transcode: runtimes.transcode 3 h is longer than its job's timeout (1 h): Batch stops the job at " +
        `its timeout. Fix: give the job's typical runtime in runtimes, or raise the job's timeout [ack: ${COST_BACKLOG_WARNING}]`,
    );
  });

  test('a gap under tenfold keeps the plain backlog warning and its fix', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Video');
    const report = new CostReport(stack, 'Cost', {
      workload: { itemsPerMonth: 2167, hoursPerItem: 20, vcpus: 4, memory: Size.gibibytes(8), maxConcurrency: 50 },
    });
    expect(report.estimate!.warnings[0]).toMatch(/^The work outruns capacity: .* Fix: raise maxConcurrency to 60 /);
  });

  test('in a two-stack app, each estimate is on its own stack artifact, where `cdk synth <Stack>` reads it', () => {
    // The CLI prints the messages of the stacks selected, matched by construct path (toolkit-lib's
    // loadUnifiedValidationReport over `stack.messages` from each stack's <id>.metadata.json).
    const app = new App({ builtinCloudFormationValidation: false });
    const a = new Stack(app, 'StackA');
    const b = new Stack(app, 'StackB');
    new CostReport(a, 'Cost', { workflow: fargateWorkflow(a), itemsPerMonth: 1000 });
    new CostReport(b, 'Cost', { workflow: fargateWorkflow(b), itemsPerMonth: 3000 });
    const assembly = app.synth();
    for (const [name, items] of [
      ['StackA', '1,000'],
      ['StackB', '3,000'],
    ]) {
      const stack = assembly.getStackByName(name);
      const infos = stack.messages.filter((m) => m.level === 'info' && String(m.entry.data).includes('Cost estimate'));
      expect(infos.map((m) => m.id)).toEqual([`/${name}/Cost`]);
      expect(String(infos[0].entry.data)).toContain(`${items} items a month`);
      expect(stack.findMetadataByType(COST_ESTIMATE_METADATA)).toHaveLength(1);
    }
  });

  describe.each([
    [
      'no form',
      {},
      "Test/Cost: workflow missing is not allowed; allowed: exactly one of workflow, jobs or workload. Fix: give the workflow to price, e.g. new CostReport(this, 'Cost', { workflow, itemsPerMonth: 2000 })",
    ],
    [
      'workflow without items',
      { items: false },
      'Test/Cost: itemsPerMonth missing is not allowed; allowed: exactly one of itemsPerMonth or itemsPerDay with workflow. Fix: give how many items arrive, e.g. { workflow, itemsPerDay: 2000 }',
    ],
    [
      'a runtime for no step',
      { runtimes: { algin: Duration.hours(1) } },
      "Test/Cost: runtimes.algin (no step of that name) is not allowed; allowed: the names of the workflow's steps: align, callVariants, qc, aggregate. Fix: key runtimes by one of them, e.g. runtimes: { align: Duration.minutes(20) }",
    ],
    [
      'a runtime for no step, near another than the first',
      { runtimes: { agregate: Duration.hours(1) } },
      "Test/Cost: runtimes.agregate (no step of that name) is not allowed; allowed: the names of the workflow's steps: align, callVariants, qc, aggregate. Fix: key runtimes by one of them, e.g. runtimes: { aggregate: Duration.minutes(20) }",
    ],
    [
      'capacity with a workflow',
      { capacity: true },
      'Test/Cost: capacity given with workflow is not allowed; allowed: capacity only with workload. Fix: remove capacity: each step is priced on the capacities of its queue',
    ],
  ])('%s', (_, options: { items?: boolean; runtimes?: Record<string, Duration>; capacity?: boolean }, message) => {
    test('fails with the five-part message', () => {
      const p = genomicsPipeline();
      const props =
        Object.keys(options).length === 0 && message.includes('workflow missing')
          ? {}
          : {
              workflow: p.workflow,
              ...(options.items === false ? {} : { itemsPerMonth: 100 }),
              runtimes: options.runtimes,
              capacity: options.capacity ? p.standard.capacities[0] : undefined,
            };
      expect(errorOf(() => new CostReport(p.stack, 'Cost', props)).message).toBe(message);
    });
  });
});
