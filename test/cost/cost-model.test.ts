import { Size } from 'aws-cdk-lib';
import { CostModelError, estimateCost, formatCostTable, HOURS_PER_MONTH, MakespanLimit, Workload } from '../../lib';

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
    expect(estimateCost({ ...w, burstSize: 500 }).makespan).toEqual({
      burstSize: 500,
      concurrency: 50,
      waves: 10,
      hours: 40,
      limitedBy: MakespanLimit.WORKFLOW_CONCURRENCY,
    });
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

  test('a job that fits nowhere is an error saying why', () => {
    expect(() => estimateCost({ ...reference(30), memory: Size.gibibytes(900) })).toThrow(CostModelError);
    expect(() => estimateCost({ ...reference(30), memory: Size.gibibytes(900) })).toThrow(
      'fits none of r5.xlarge, r5.2xlarge, r5.4xlarge, r6i.xlarge, r6i.2xlarge, r6i.4xlarge, r7i.xlarge, r7i.2xlarge, r7i.4xlarge',
    );
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
    expect(table).toContain('Burst of 500: 10 wave(s) of 50 → 40 h (limited by workflow maxConcurrency)');
  });
});
