import { Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  CapacityPlatform,
  CostModel,
  CostModelError,
  estimateCost,
  formatCostTable,
  HOURS_PER_MONTH,
  MakespanLimit,
  Workload,
} from '../../lib';
import { LIBRARY_INPUT_NAMES } from '../../lib/cost/cost-types';

// The reference workload: 500 samples a week, 4 h each, up to 50 at once.
const itemsPerMonth = (500 * 52) / 12; // 2,166.67 samples, 8,666.7 job-hours a month
const reference = (memoryGiB: number): Workload => ({
  itemsPerMonth,
  hoursPerItem: 4,
  vcpus: 4,
  memory: Size.gibibytes(memoryGiB),
  maxConcurrency: 50,
});
const line = (e: ReturnType<typeof estimateCost>, option: string) => e.lines.find((l) => l.option === option)!;

describe('the reference scenario, with its own assumptions', () => {
  // r5.2xlarge-class On-Demand ($0.504/h), 70% Spot discount, 15% re-runs.
  const e = estimateCost(reference(32), { instanceTypes: ['r5.2xlarge'], spotDiscount: 0.7, spotRerunOverhead: 0.15 });

  test('a 32 GiB job lands one per r5.2xlarge, half the instance idle', () => {
    expect(e.placement).toMatchObject({ instanceType: 'r5.2xlarge', jobsPerInstance: 1 });
    expect(e.placement!.packingEfficiency).toBeCloseTo(0.5, 5);
    expect(e.jobHoursPerMonth).toBeCloseTo(8666.67, 1);
  });

  test('dedicated instances: ~$5,000 a month (within 10%)', () => {
    // 8,666.7 / 730 = 11.87 jobs on average; at 85% utilization 13.97 -> 14 × $0.504 × 730 h = $5,150.88.
    const dedicated = line(e, 'Dedicated, sized for average load').monthlyUsd;
    expect(dedicated).toBeCloseTo(14 * 0.504 * HOURS_PER_MONTH, 2);
    expect(Math.abs(dedicated - 5000) / 5000).toBeLessThan(0.1);
  });

  test('Batch on Spot: ~$1,500 a month (within 10%)', () => {
    // 8,666.7 job-hours × $0.504 × (1 - 0.70) × 1.15 = $1,507.0
    const spot = line(e, 'Batch Spot').monthlyUsd;
    expect(spot).toBeCloseTo(8666.667 * 0.504 * 0.3 * 1.15, 1);
    expect(Math.abs(spot - 1500) / 1500).toBeLessThan(0.1);
  });

  test('right-sizing the job to fit a 32 GiB instance halves Spot cost', () => {
    const rightSized = estimateCost(reference(30), {
      instanceTypes: ['r5.xlarge', 'r5.2xlarge'],
      spotDiscount: 0.7,
      spotRerunOverhead: 0.15,
    });
    expect(rightSized.placement).toMatchObject({ instanceType: 'r5.xlarge', jobsPerInstance: 1 });
    // 8,666.7 × $0.252 × 0.3 × 1.15 = $753.5
    expect(line(rightSized, 'Batch Spot').monthlyUsd).toBeCloseTo(8666.667 * 0.252 * 0.3 * 1.15, 1);
    expect(line(rightSized, 'Batch Spot').monthlyUsd / line(e, 'Batch Spot').monthlyUsd).toBeCloseTo(0.5, 5);
  });
});

describe('the arithmetic, by hand', () => {
  test('On-Demand, peak fleet, Fargate and the floor', () => {
    const e = estimateCost(
      { itemsPerMonth: 100, hoursPerItem: 2, vcpus: 4, memory: Size.gibibytes(30), maxConcurrency: 10 },
      { instanceTypes: ['r6i.2xlarge'], spotDiscount: 0.6, fargateSpotDiscount: 0.7, spotInterruptionsPerHour: 0 },
    );
    // 30 GiB fits two per r6i.2xlarge: $0.504 / 2 = $0.252 per job-hour; 200 job-hours.
    expect(e.placement).toMatchObject({ jobsPerInstance: 2, onDemandPerJobHourUsd: 0.252 });
    expect(line(e, 'Batch On-Demand').monthlyUsd).toBeCloseTo(200 * 0.252, 6);
    // Peak: 10 jobs / 2 per instance = 5 instances × $0.504 × 730.
    expect(line(e, 'Dedicated, sized for peak').monthlyUsd).toBeCloseTo(5 * 0.504 * 730, 6);
    // No interruptions: Spot = 200 × 0.252 × 0.4, no re-runs, no escalation.
    expect(line(e, 'Batch Spot').monthlyUsd).toBeCloseTo(200 * 0.252 * 0.4, 6);
    // Fargate: 4 vCPU / 30 GiB is valid: 4 × 0.04048 + 30 × 0.004445 = $0.29527 per hour.
    expect(e.fargateSize).toEqual({ vcpus: 4, memoryMiB: 30720 });
    expect(line(e, 'Fargate').monthlyUsd).toBeCloseTo(200 * 0.29527, 4);
    expect(line(e, 'Fargate Spot').monthlyUsd).toBeCloseTo(200 * 0.29527 * 0.3, 4);
    // Floor: the cheaper of Spot ($0.1008/job-h) and Fargate Spot ($0.0886/job-h).
    expect(e.floor.monthlyUsd).toBeCloseTo(200 * 0.29527 * 0.3, 4);
    expect(e.floor.basis).toContain('Fargate Spot');
    expect(line(e, 'Batch On-Demand').perItemUsd).toBeCloseTo((200 * 0.252) / 100, 6);
  });

  test('architecture ARM_64: Fargate at Linux/ARM rates, no Fargate Spot, and the floor without it', () => {
    const workload = { itemsPerMonth: 100, hoursPerItem: 2, vcpus: 4, memory: Size.gibibytes(30), maxConcurrency: 10 };
    const e = estimateCost(
      workload,
      { fargateSpotDiscount: 0.7 },
      { platform: CapacityPlatform.FARGATE, architecture: ec2.InstanceArchitecture.ARM_64 },
    );
    // Linux/ARM in us-east-1 (https://aws.amazon.com/fargate/pricing/): 4 × $0.03238 + 30 × $0.00356 = $0.23632 an
    // hour, 200 job-hours
    expect(CostModel.FARGATE_ARM_PRICE).toEqual({ vcpuHourUsd: 0.03238, gbHourUsd: 0.00356 });
    expect(e.lines.map((l) => [l.option, l.monthlyUsd])).toEqual([['Fargate', expect.closeTo(200 * 0.23632, 6)]]);
    // Fargate Spot runs x86 only ("Fargate Spot is not supported for ARM64",
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-jobdefinition-runtimeplatform.html)
    expect(e.floor.monthlyUsd).toBeCloseTo(200 * 0.23632, 6);
    expect(e.floor.basis).toMatch(/^Fargate arm64: /);
    // AND without an architecture, x86: 4 × $0.04048 + 30 × $0.004445 = $0.29527
    const x86 = estimateCost(workload, {}, { platform: CapacityPlatform.FARGATE });
    expect(line(x86, 'Fargate').monthlyUsd).toBeCloseTo(200 * 0.29527, 6);
    expect(CostModel.estimate(workload, {}, { platform: CapacityPlatform.FARGATE }).lines).toEqual(x86.lines);
  });

  test('Spot re-runs from the interruption rate, with and without checkpointing, and escalation', () => {
    const w: Workload = {
      itemsPerMonth: 100,
      hoursPerItem: 4,
      vcpus: 4,
      memory: Size.gibibytes(30),
      maxConcurrency: 10,
    };
    const plain = estimateCost(w, { instanceTypes: ['r6i.xlarge'], spotInterruptionsPerHour: 0.05 });
    // 0.05/h × 4 h = 0.2 interruptions per job; half a job lost each -> 10% re-runs.
    expect(plain.spot.interruptionsPerJob).toBeCloseTo(0.2, 10);
    expect(plain.spot.rerunOverhead).toBeCloseTo(0.1, 10);
    // An attempt is interrupted with q = 1 - e^(-0.2) = 0.1813; all 3 attempts: q^3 = 0.00596.
    expect(plain.spot.onDemandEscalationShare).toBeCloseTo(Math.pow(1 - Math.exp(-0.2), 3), 10);
    const checkpointed = estimateCost(w, {
      instanceTypes: ['r6i.xlarge'],
      spotInterruptionsPerHour: 0.05,
      checkpointing: true,
    });
    // With checkpoints an interruption loses 5%: 0.2 × 0.05 = 1% re-runs.
    expect(checkpointed.spot.rerunOverhead).toBeCloseTo(0.01, 10);
    // Spot = 400 job-h × $0.252 × 0.35 × (1 + overhead) + 400 × escalation × $0.252
    const expected = 400 * 0.252 * 0.35 * 1.1 + 400 * plain.spot.onDemandEscalationShare * 0.252;
    expect(line(plain, 'Batch Spot').monthlyUsd).toBeCloseTo(expected, 6);
  });

  test('makespan: waves of the concurrency, limited by maxvCpus when it is lower', () => {
    const w = reference(30);
    // 500 samples, 50 at once: 10 waves of 4 h.
    // 500 samples arrive every 500 / 2,166.7 × 730 h = 168.5 h, a week; 40 h of work drains well before the next.
    const weekly = estimateCost({ ...w, burstSize: 500 }).makespan;
    expect(weekly).toEqual({
      burstSize: 500,
      concurrency: 50,
      waves: 10,
      hours: 40,
      limitedBy: MakespanLimit.WORKFLOW_CONCURRENCY,
      intervalHours: expect.any(Number),
      drains: true,
      lagPerBurstHours: 0,
    });
    expect(weekly.intervalHours).toBeCloseTo((500 / itemsPerMonth) * 730, 6);
    expect(weekly.intervalHours).toBeCloseTo(168.46, 2);
    // maxvCpus 100 on 4-vCPU instances: 25 at once -> 20 waves.
    expect(estimateCost({ ...w, burstSize: 500 }, { maxvCpus: 100 }).makespan).toMatchObject({
      concurrency: 25,
      waves: 20,
      hours: 80,
      limitedBy: MakespanLimit.MAX_VCPUS,
    });
    // 20 samples: one wave.
    expect(estimateCost({ ...w, burstSize: 20 }).makespan).toMatchObject({
      concurrency: 20,
      waves: 1,
      limitedBy: MakespanLimit.ITEMS,
    });
  });
});

describe('edge cases', () => {
  test('zero items cost nothing on Batch and the always-on fleet still costs', () => {
    const e = estimateCost({ ...reference(30), itemsPerMonth: 0 });
    expect(line(e, 'Batch Spot').monthlyUsd).toBe(0);
    expect(line(e, 'Batch Spot').perItemUsd).toBe(0);
    expect(line(e, 'Dedicated, sized for peak').monthlyUsd).toBeGreaterThan(0);
    expect(e.makespan).toMatchObject({ burstSize: 0, waves: 0, hours: 0 });
  });

  test('Fargate sizes snap up to the smallest valid pair', () => {
    // 4 vCPU / 32 GiB is not a Fargate size; 8 vCPU / 32 GiB is the smallest that holds it.
    expect(estimateCost(reference(32)).fargateSize).toEqual({ vcpus: 8, memoryMiB: 32768 });
  });

  test('GPU jobs have no Fargate line', () => {
    const e = estimateCost({ ...reference(14), gpus: 1 }, { instanceTypes: ['g5.xlarge'] });
    expect(e.fargateSize).toBeUndefined();
    expect(e.lines.map((l) => l.option)).not.toContain('Fargate');
  });

  test('unknown instance types and bad fractions are errors', () => {
    expect(() => estimateCost(reference(30), { instanceTypes: ['x9.huge'] })).toThrow(
      'instanceTypes: x9.huge is not allowed',
    );
    expect(() => estimateCost(reference(30), { spotDiscount: 1.5 })).toThrow(
      'spotDiscount: 1.5 is not allowed; allowed: a fraction from 0 to below 1',
    );
  });

  test('the table names the placement, every option and the burst', () => {
    const table = formatCostTable(estimateCost(reference(30)));
    expect(table).toContain('Job lands on r5.xlarge: 1 per instance, 97% packed');
    expect(table).toContain('Batch Spot');
    // A week of the reference workload is 500 samples: 10 waves of 50.
    expect(table).toContain(
      "Burst of 500 every 7 days: 10 wave(s) of 50 → 40 h (limited by the workflow's concurrency)",
    );
    expect(table).toContain('8,667 job-hours a month, 11.9 jobs running on average (up to 50 at once)');
    expect(table).not.toContain('WARNING');
  });
});

describe('when the work outruns capacity (20 items a week of 48 h, 4 at once)', () => {
  // 20 a week is 86.7 a month: 4,160 job-hours asked; 4 at once run at most 4 × 730 = 2,920.
  const contradictory = (memoryGiB: number, more: Partial<Workload> = {}): Workload => ({
    itemsPerMonth: (20 * 52) / 12,
    hoursPerItem: 48,
    vcpus: 4,
    memory: Size.gibibytes(memoryGiB),
    maxConcurrency: 4,
    ...more,
  });

  describe.each([
    // 32 GiB lands three per r5.4xlarge ($1.008 / 3 = $0.336 a job-hour), 30 GiB one per r5.xlarge ($0.252).
    // At 85% utilization 4 jobs would want 4 / 0.85 = 4.7 instances of one job (capped at the peak of 4), or
    // 1.6 instances of three (2, the peak fleet itself).
    [32, 'r5.4xlarge', 1.008 / 3, false],
    [30, 'r5.xlarge', 0.252, true],
  ])('%i GiB jobs', (memoryGiB, instanceType, perJobHour, capped) => {
    const e = estimateCost(contradictory(memoryGiB));

    test('only the job-hours that fit are priced, per item of the items that run', () => {
      expect(e.placement!.instanceType).toBe(instanceType);
      expect(e.throughput).toMatchObject({ concurrency: 4, capacityJobHoursPerMonth: 2920, runJobHoursPerMonth: 2920 });
      expect(e.throughput.demandJobHoursPerMonth).toBeCloseTo(4160, 6);
      // 2,920 job-hours / 48 h = 60.8 items run a month.
      expect(e.throughput.itemsRunPerMonth).toBeCloseTo(2920 / 48, 6);
      expect(line(e, 'Batch On-Demand').monthlyUsd).toBeCloseTo(2920 * perJobHour, 6);
      expect(line(e, 'Batch On-Demand').basis).toContain('2,920 job-hours');
      expect(line(e, 'Batch On-Demand').perItemUsd).toBeCloseTo((2920 * perJobHour) / (2920 / 48), 6);
      for (const option of ['Fargate', 'Fargate Spot', 'Batch Spot']) {
        expect(line(e, option).basis).toMatch(/^2,920 job-hours/);
      }
      expect(e.floor.basis).toContain('2,920 job-hours');
    });

    test('never more running on average than at once, nor an average fleet above the peak fleet', () => {
      expect(e.averageConcurrentJobs).toBeCloseTo(4, 10);
      expect(line(e, 'Dedicated, sized for average load').monthlyUsd).toBeLessThanOrEqual(
        line(e, 'Dedicated, sized for peak').monthlyUsd,
      );
      expect(line(e, 'Dedicated, sized for average load').basis.includes('capped at the peak fleet')).toBe(capped);
    });

    test('reports the backlog and the concurrency that keeps up', () => {
      // 4,160 - 2,920 = 1,240 job-hours a month left over: 25.8 items a month, 6.0 a week; ceil(4,160 / 730) = 6.
      expect(e.throughput.backlog!.jobHoursPerMonth).toBeCloseTo(1240, 6);
      expect(e.throughput.backlog!.itemsPerMonth).toBeCloseTo(1240 / 48, 6);
      expect(e.throughput.backlog!.itemsPerWeek).toBeCloseTo(((1240 / 48) * 12) / 52, 6);
      expect(e.throughput.concurrencyNeeded).toBe(6);
      expect(e.warnings[0]).toBe(
        'The work outruns capacity: it asks 4,160 job-hours a month and 4 jobs at once run at most 2,920 (× 730 h), ' +
          'so 25.8 items a month (6 a week) are left over and the queue grows without end; the figures above price ' +
          'only the work that runs. Fix: raise maxConcurrency to 6 (6 jobs at once keep up).',
      );
    });

    test('the real burst time: 10 days against a week between bursts, never draining', () => {
      // 20 items in waves of 4: 5 × 48 h = 240 h. They arrive every 20 / 86.7 × 730 = 168.5 h. Each burst brings
      // 960 job-hours and 4 at once clear 4 × 168.5 = 673.8 of them before the next: 71.5 h later each time.
      expect(e.makespan).toMatchObject({ burstSize: 20, waves: 5, hours: 240, drains: false });
      expect(e.makespan.intervalHours).toBeCloseTo(168.46, 2);
      expect(e.makespan.lagPerBurstHours).toBeCloseTo(240 - (20 / ((20 * 52) / 12)) * 730, 6);
      expect(e.warnings[1]).toBe(
        'A burst of 20 takes 10 days at 4 at once, longer than the 7 days between bursts: the queue never drains, ' +
          'and each burst finishes about 3 days later than the one before.',
      );
    });

    test('the fix it names is enough: at 6 at once nothing is left over', () => {
      const fixed = estimateCost(contradictory(memoryGiB, { maxConcurrency: 6 }));
      expect(fixed.throughput.backlog).toBeUndefined();
      expect(fixed.warnings).toEqual([]);
      expect(fixed.makespan.drains).toBe(true);
      expect(fixed.throughput.runJobHoursPerMonth).toBeCloseTo(4160, 6);
    });
  });

  test('when maxvCpus is the limit, the fix raises it to whole instances, and that is enough', () => {
    // 16 vCPUs hold four 4-vCPU jobs on r5.xlarge; six need 24.
    const e = estimateCost(contradictory(30, { maxConcurrency: 50 }), { maxvCpus: 16 });
    expect(e.throughput).toMatchObject({ concurrency: 4, limitedBy: MakespanLimit.MAX_VCPUS, maxvCpusNeeded: 24 });
    expect(e.warnings[0]).toContain('Fix: raise maxvCpus to 24 (6 jobs at once keep up).');
    expect(estimateCost(contradictory(30, { maxConcurrency: 50 }), { maxvCpus: 24 }).warnings).toEqual([]);
  });

  test('when both allow the same number, the fix raises both: raising one alone would change nothing', () => {
    const e = estimateCost(contradictory(30), { maxvCpus: 16 });
    expect(e.throughput).toMatchObject({ concurrency: 4, jobsWithinMaxvCpus: 4 });
    expect(e.warnings[0]).toContain('Fix: raise maxConcurrency to 6 and maxvCpus to 24');
    expect(estimateCost(contradictory(30, { maxConcurrency: 6 }), { maxvCpus: 16 }).warnings).not.toEqual([]);
    expect(estimateCost(contradictory(30, { maxConcurrency: 6 }), { maxvCpus: 24 }).warnings).toEqual([]);
  });

  test('when both limit it, the fix raises both', () => {
    // 32 GiB jobs run three per r5.4xlarge (16 vCPUs): six need two instances, 32 vCPUs.
    const e = estimateCost(contradictory(32), { maxvCpus: 16 });
    expect(e.throughput.concurrency).toBe(3);
    expect(e.warnings[0]).toContain('Fix: raise maxConcurrency to 6 and maxvCpus to 32');
    expect(estimateCost(contradictory(32, { maxConcurrency: 6 }), { maxvCpus: 32 }).warnings).toEqual([]);
  });

  test.each([
    [{ itemsPerMonth: 1000, hoursPerItem: 7, maxConcurrency: 3 }, { maxvCpus: 64 }],
    [{ itemsPerMonth: 333, hoursPerItem: 11.5, maxConcurrency: 40 }, { maxvCpus: 20 }],
    [{ itemsPerMonth: 5000, hoursPerItem: 0.5, maxConcurrency: 2 }, {}],
  ])('for %p %p, applying the fix it names clears the backlog', (more, assumptions) => {
    const w = contradictory(30, more);
    const e = estimateCost(w, assumptions);
    expect(e.throughput.backlog).toBeDefined();
    const raised = estimateCost(
      { ...w, maxConcurrency: Math.max(w.maxConcurrency, e.throughput.concurrencyNeeded) },
      'maxvCpus' in assumptions ? { maxvCpus: Math.max(assumptions.maxvCpus, e.throughput.maxvCpusNeeded) } : {},
    );
    expect(raised.throughput.backlog).toBeUndefined();
    expect(raised.warnings).toEqual([]);
  });

  test('a front end names its own inputs in the fix', () => {
    const e = estimateCost(
      contradictory(30),
      {},
      { inputNames: { ...LIBRARY_INPUT_NAMES, maxConcurrency: '--concurrency', areFlags: true } },
    );
    expect(e.warnings[0]).toContain('Fix: raise --concurrency to 6');
  });

  test('a maxvCpus too small for one job is an error with the smallest that works', () => {
    expect(() => estimateCost(contradictory(32), { maxvCpus: 4 })).toThrow(CostModelError);
    expect(() => estimateCost(contradictory(32), { maxvCpus: 4 })).toThrow(
      'maxvCpus 4 runs no job: one job takes 5.3 vCPUs (one r5.4xlarge of 16 vCPUs runs 3). Fix: raise maxvCpus to ' +
        'at least 16',
    );
    expect(estimateCost(contradictory(32), { maxvCpus: 16 }).throughput.concurrency).toBe(3);
  });
});

describe('fixed costs, on request', () => {
  const w: Workload = { itemsPerMonth: 100, hoursPerItem: 2, vcpus: 4, memory: Size.gibibytes(30), maxConcurrency: 10 };

  test('are priced by hand in a block of their own, not in the per-item lines', () => {
    const compute = estimateCost(w);
    const e = estimateCost(
      w,
      {},
      { fixedCosts: { natGateways: 2, kmsKeys: 3, alarms: 12, stateTransitionsPerItem: 20 } },
    );
    // NAT: 2 × $0.045 × 730 h = $65.70; KMS: 3 × $1 = $3; alarms: 12 × $0.10 = $1.20;
    // Step Functions: 100 items × 20 transitions = 2,000 × $0.025 / 1,000 = $0.05. Total $69.95.
    expect(e.fixedCosts!.lines.map((l) => [l.item, l.quantity, Math.round(l.monthlyUsd * 100) / 100])).toEqual([
      ['NAT gateways', 2, 65.7],
      ['KMS keys', 3, 3],
      ['CloudWatch alarms', 12, 1.2],
      ['Step Functions transitions', 2000, 0.05],
    ]);
    expect(e.fixedCosts!.monthlyUsd).toBeCloseTo(69.95, 10);
    expect(e.lines).toEqual(compute.lines);
    expect(e.floor).toEqual(compute.floor);
  });

  test('are left out, and listed as left out, unless asked', () => {
    const e = estimateCost(w);
    expect(e.fixedCosts).toBeUndefined();
    expect(e.notIncluded).toEqual([
      'NAT gateways or VPC endpoints',
      'KMS keys',
      'CloudWatch alarms and logs',
      'Step Functions state transitions',
      'S3 storage and requests',
      'data transfer',
    ]);
    const some = estimateCost(w, {}, { fixedCosts: { natGateways: 1, alarms: 0 } });
    expect(some.fixedCosts!.lines.map((l) => l.item)).toEqual(['NAT gateways', 'CloudWatch alarms']);
    expect(some.notIncluded).toEqual([
      'VPC endpoints and NAT traffic',
      'KMS keys',
      'CloudWatch logs',
      'Step Functions state transitions',
      'S3 storage and requests',
      'data transfer',
    ]);
  });

  test('counts must be whole numbers', () => {
    expect(() => estimateCost(w, {}, { fixedCosts: { kmsKeys: 1.5 } })).toThrow(
      'kmsKeys: 1.5 is not allowed; allowed: a whole number >= 0',
    );
  });
});
