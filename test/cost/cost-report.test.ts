import { Duration, Size } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  COST_BACKLOG_WARNING,
  COST_ESTIMATE_METADATA,
  CostReport,
  Ec2Capacity,
  FargateCapacity,
  PurchaseOption,
} from '../../lib';
import { stackWithVpc } from '../support/stacks';

const workload = { itemsPerMonth: 2167, hoursPerItem: 4, vcpus: 4, memory: Size.gibibytes(30), maxConcurrency: 50 };

describe('CostReport', () => {
  test('adds the estimate to the assembly and prints the table at synth', () => {
    const { app, stack, vpc } = stackWithVpc();
    const capacity = new Ec2Capacity(stack, 'Spot', { vpc, maxvCpus: 100 });
    const report = new CostReport(stack, 'Cost', { workload, capacity });
    const assembly = app.synth();
    const metadata = assembly.getStackByName('Test').findMetadataByType(COST_ESTIMATE_METADATA);
    expect(metadata).toHaveLength(1);
    // A week of 2,167 samples a month is 500; the capacity's maxvCpus (100, i.e. 25 jobs of 4 vCPU on r5.xlarge)
    // limits the burst to 25 at once: 20 waves × 4 h = 80 h.
    expect(metadata[0].data).toMatchObject({ instanceType: 'r5.xlarge', burstHours: 80 });
    expect(report.estimate!.makespan).toMatchObject({
      concurrency: 25,
      hours: 80,
      limitedBy: 'compute environment maxvCpus',
    });
    const info = Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('Cost estimate'));
    expect(info).toHaveLength(1);
    expect(String(info[0].entry.data)).toContain('Batch Spot');
  });

  test('a workload that cannot be priced is a warning, not a failed synth', () => {
    const { app, stack } = stackWithVpc();
    new CostReport(stack, 'Cost', { workload: { ...workload, memory: Size.gibibytes(900) } });
    expect(() => app.synth()).not.toThrow();
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('no cost estimate'));
    expect(warnings).toHaveLength(1);
  });

  test('when the work outruns the capacity, each warning is a CDK warning naming the props to raise', () => {
    // GIVEN 20 items a week of 48 h on a capacity whose maxvCpus (16) runs four 30 GiB jobs at once
    const { app, stack, vpc } = stackWithVpc();
    const capacity = new Ec2Capacity(stack, 'Spot', { vpc, maxvCpus: 16 });
    const report = new CostReport(stack, 'Cost', {
      workload: { ...workload, itemsPerMonth: (20 * 52) / 12, hoursPerItem: 48, maxConcurrency: 4 },
      capacity,
    });
    app.synth();
    // THEN the warnings say what to raise, by the props' names (maxvCpus is the capacity's): both, since each allows
    // only four and raising one alone would change nothing
    expect(report.estimate!.throughput.backlog).toBeDefined();
    const warnings = Annotations.fromStack(stack).findWarning('/Test/Cost', Match.anyValue());
    expect(warnings.map((w) => String(w.entry.data))).toEqual([
      expect.stringContaining(
        'Test/Cost: The work outruns capacity: it asks 4,160 job-hours a month and 4 jobs at once run at most 2,920',
      ),
      expect.stringContaining('Test/Cost: A burst of 20 takes 10 days at 4 at once'),
    ]);
    expect(String(warnings[0].entry.data)).toContain(
      'Fix: raise maxConcurrency to 6 and maxvCpus of the capacity to 24 (6 jobs at once keep up).',
    );
    expect(String(warnings[0].entry.data)).toContain(`[ack: ${COST_BACKLOG_WARNING}]`);
    // AND the table printed at synth carries them too
    const info = Annotations.fromStack(stack).findInfo('/Test/Cost', Match.stringLikeRegexp('Cost estimate'));
    expect(String(info[0].entry.data)).toContain('WARNING: The work outruns capacity');
  });

  test("an arm64 capacity's Fargate lines are priced at Linux/ARM rates, without Fargate Spot", () => {
    // GIVEN the workload on an arm64 Fargate capacity
    const { stack, vpc } = stackWithVpc();
    const capacity = new FargateCapacity(stack, 'Graviton', {
      vpc,
      purchaseOption: PurchaseOption.ON_DEMAND,
      architecture: ec2.InstanceArchitecture.ARM_64,
    });
    const report = new CostReport(stack, 'Cost', { workload, capacity });
    // THEN 4 vCPU / 30 GiB at $0.03238 and $0.00356 (Linux/ARM, us-east-1, https://aws.amazon.com/fargate/pricing/)
    const fargate = report.estimate!.lines.filter((l) => l.option.startsWith('Fargate'));
    expect(fargate.map((l) => l.option)).toEqual(['Fargate']);
    expect(fargate[0].monthlyUsd).toBeCloseTo(2167 * 4 * (4 * 0.03238 + 30 * 0.00356), 6);
  });

  test('no warning when the capacity keeps up', () => {
    const { app, stack, vpc } = stackWithVpc();
    new CostReport(stack, 'Cost', { workload, capacity: new Ec2Capacity(stack, 'Spot', { vpc, maxvCpus: 100 }) });
    app.synth();
    expect(Annotations.fromStack(stack).findWarning('/Test/Cost', Match.anyValue())).toHaveLength(0);
  });

  test('burst times at synth read in minutes or hours, not long decimals', () => {
    const { app, stack } = stackWithVpc();
    new CostReport(stack, 'Cost', { workload: { ...workload, hoursPerItem: Duration.minutes(20).toMinutes() / 60 } });
    app.synth();
    const info = String(Annotations.fromStack(stack).findInfo('/Test/Cost', Match.anyValue())[0].entry.data);
    expect(info).toContain('10 wave(s) of 50 → 3.3 h');
    expect(info).not.toContain('0.333');
    expect(info.split('\n').pop()).toMatch(/^Covers compute only; not included: NAT gateways or VPC endpoints/);
  });

  test('includeFixedCosts counts the NAT gateways, KMS keys and alarms of its stack, added before or after it', () => {
    // GIVEN a stack with one NAT gateway, then the report, then two keys and three alarms
    const { app, stack } = stackWithVpc();
    const report = new CostReport(stack, 'Cost', { workload, includeFixedCosts: true });
    new kms.Key(stack, 'KeyA');
    new kms.Key(stack, 'KeyB');
    const metric = new cloudwatch.Metric({ namespace: 'Test', metricName: 'Jobs' });
    for (const id of ['A', 'B', 'C']) {
      metric.createAlarm(stack, `Alarm${id}`, { threshold: 1, evaluationPeriods: 1 });
    }
    app.synth();
    // THEN 1 × $0.045 × 730 = $32.85, 2 × $1 = $2, 3 × $0.10 = $0.30: $35.15 a month, beside the compute lines
    expect(report.estimate!.fixedCosts!.lines.map((l) => [l.item, l.quantity])).toEqual([
      ['NAT gateways', 1],
      ['KMS keys', 2],
      ['CloudWatch alarms', 3],
    ]);
    expect(report.estimate!.fixedCosts!.monthlyUsd).toBeCloseTo(35.15, 10);
    const metadata = app.synth().getStackByName('Test').findMetadataByType(COST_ESTIMATE_METADATA);
    expect(metadata).toHaveLength(1);
    expect(metadata[0].data).toMatchObject({ fixedMonthlyUsd: 35.15 });
    const info = String(Annotations.fromStack(stack).findInfo('/Test/Cost', Match.anyValue())[0].entry.data);
    expect(info).toMatch(/ {2}total +a month +\$35\.15/);
  });

  test('a count given in fixedCosts replaces the counted one; without includeFixedCosts only given counts are priced', () => {
    const { app, stack } = stackWithVpc();
    const counted = new CostReport(stack, 'Counted', {
      workload,
      includeFixedCosts: true,
      fixedCosts: { natGateways: 3, stateTransitionsPerItem: 10 },
    });
    const given = new CostReport(stack, 'Given', { workload, fixedCosts: { kmsKeys: 4 } });
    const computeOnly = new CostReport(stack, 'ComputeOnly', { workload });
    app.synth();
    expect(counted.estimate!.fixedCosts!.lines.map((l) => [l.item, l.quantity])).toEqual([
      ['NAT gateways', 3],
      ['KMS keys', 0],
      ['CloudWatch alarms', 0],
      ['Step Functions transitions', 21670],
    ]);
    expect(given.estimate!.fixedCosts!.lines.map((l) => [l.item, l.quantity])).toEqual([['KMS keys', 4]]);
    expect(computeOnly.estimate!.fixedCosts).toBeUndefined();
    // Two reports in one stack: one metadata entry each, no id collisions.
    expect(app.synth().getStackByName('Test').findMetadataByType(COST_ESTIMATE_METADATA)).toHaveLength(3);
  });
});
