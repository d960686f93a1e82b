import { Size } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { estimateCost } from '../../lib/cost/cost-model';
import {
  adviseStep,
  fitOnQueue,
  MeasuredJob,
  percentile,
  recommendedSize,
  RightsizeOptions,
  StepMeasurement,
} from '../../lib/cost/rightsize';

const GIB = 1024;

/** `n` jobs that each peaked at `memoryGib` GiB and `vcpus` vCPUs, running `hours` hours. */
function jobs(n: number, memoryGib: number, vcpus: number, hours = 4): MeasuredJob[] {
  return Array.from({ length: n }, (_, i) => ({
    jobId: `job-${i}`,
    // The peak job is the last; the others a little below it.
    peakMemoryMiB: (memoryGib - (i === n - 1 ? 0 : 0.5)) * GIB,
    peakVcpus: vcpus - (i === n - 1 ? 0 : 0.1),
    runHours: hours,
  }));
}

// The README's reference workload: align asks 4 vCPU / 30 GiB, 500 samples a week of 4 h, on r6i.xlarge.
const reference: RightsizeOptions = { instanceTypes: ['r6i.xlarge'], spot: false, hoursPerItem: 4 };
const align = (measured: MeasuredJob[]): StepMeasurement => ({
  step: 'align',
  requested: { vcpus: 4, memory: Size.gibibytes(30) },
  jobs: measured,
  unmeasured: 0,
});

describe('rightsize on the reference workload', () => {
  test('a measured peak of 11 GiB (1.6 vCPU) recommends 2 vCPU / 14 GiB: 2 jobs per r6i.xlarge instead of 1, half the bill', () => {
    // GIVEN 20 align jobs whose peak was 11 GiB and 1.6 vCPU
    // WHEN advised
    const advice = adviseStep(align(jobs(20, 11, 1.6)), reference);
    // THEN 11 GiB + 20% = 13.2, rounded up to 14 GiB; 1.6 + 20% = 1.92, rounded up to 2 vCPU
    expect(advice.recommended).toMatchObject({
      vcpus: 2,
      memoryMiB: 14 * GIB,
      instanceType: 'r6i.xlarge',
      jobsPerInstance: 2,
    });
    expect(advice.requested).toMatchObject({ instanceType: 'r6i.xlarge', jobsPerInstance: 1 });
    expect(advice.change).toBe("vcpus: 2, memory: Size.gibibytes(14) on Job 'align'");
    // 2,166.7 items × 4 h × $0.252 an hour On-Demand, halved
    expect(advice.requested.monthlyUsd).toBeCloseTo(2183.98, 1);
    expect(advice.savingMonthlyUsd).toBeCloseTo(2183.98 / 2, 1);
    expect(advice.warnings).toEqual([]);
  });

  test('a step whose CPU peak needs its 4 vCPUs keeps them: 14 GiB still runs 1 job per r6i.xlarge, no saving', () => {
    // GIVEN align jobs that used 3.5 vCPU (3.5 + 20% = 4.2: vCPUs are never raised above the request, a CPU share)
    const advice = adviseStep(align(jobs(20, 11, 3.5)), reference);
    // THEN memory comes down, vCPUs stay, and the cost model sees no difference on a 4-vCPU instance
    expect(advice.recommended).toMatchObject({ vcpus: 4, memoryMiB: 14 * GIB, jobsPerInstance: 1 });
    expect(advice.change).toBe("memory: Size.gibibytes(14) on Job 'align'");
    expect(advice.savingMonthlyUsd).toBeCloseTo(0, 6);
  });

  test('a size that fits none of the queue types gives no advice, and why', () => {
    const advice = adviseStep(align(jobs(10, 40, 1)), reference);
    expect(advice.noAdvice).toMatch(
      /^measured max \+ 20% \(2 vCPU \/ 48 GiB\) fits none of the queue's instance types \(r6i.xlarge: needs 49152 MiB/,
    );
  });

  test('a request no queue type holds (40 GiB on r6i.xlarge) is not priced, so no saving is claimed', () => {
    const advice = adviseStep(
      { ...align(jobs(10, 11, 1.6)), requested: { vcpus: 4, memory: Size.gibibytes(40) } },
      reference,
    );
    expect(advice.requested.monthlyUsd).toBeUndefined();
    expect(advice.recommended).toMatchObject({ vcpus: 2, memoryMiB: 14 * GIB, jobsPerInstance: 2 });
    expect(advice.savingMonthlyUsd).toBeUndefined();
  });

  test('too few measured jobs says so instead of advising', () => {
    const advice = adviseStep(align(jobs(3, 11, 1.6)), reference);
    expect(advice.noAdvice).toBe('too few measured jobs (3 < 5)');
    expect(advice.recommended).toBeUndefined();
    expect(advice.memoryMiB?.max).toBe(11 * GIB);
  });

  test('a peak close to the request warns of out-of-memory risk and recommends more', () => {
    const advice = adviseStep(align(jobs(10, 28, 3)), { ...reference, instanceTypes: ['r6i.2xlarge'] });
    expect(advice.warnings).toEqual([
      'align: measured peak 28 GiB is 93% of the 30 GiB requested: out-of-memory risk (a peak shorter than ' +
        "Container Insights' one-minute sample is not seen)",
    ]);
    expect(advice.recommended?.memoryMiB).toBe(34 * GIB);
    expect(advice.savingMonthlyUsd).toBeLessThan(0);
  });

  test('out-of-memory attempts are named, and memory is never shrunk after one: their peak is the limit', () => {
    const measured = jobs(6, 11, 1.6).map((j, i) => (i === 0 ? { ...j, outOfMemory: true } : j));
    const advice = adviseStep(align(measured), reference);
    expect(advice.warnings).toEqual([
      'align: 1 job(s) had an attempt stopped for running out of memory: their peak is the limit they hit, not what they needed',
    ]);
    // The 30 GiB asked stay (11 GiB + 20% would be 14); only the vCPUs the jobs did not use come down.
    expect(advice.recommended?.memoryMiB).toBe(30 * GIB);
    expect(advice.change).toBe("vcpus: 2 on Job 'align'");
    // Without the out-of-memory attempt, the same peaks give 14 GiB.
    expect(adviseStep(align(jobs(6, 11, 1.6)), reference).recommended?.memoryMiB).toBe(14 * GIB);
  });

  test('no measured jobs at all', () => {
    expect(adviseStep({ ...align([]), unmeasured: 4 }, reference)).toMatchObject({
      noAdvice: 'no measured jobs (0 < 5)',
      unmeasured: 4,
    });
  });
});

test('percentile is nearest-rank', () => {
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
  expect(percentile([7], 95)).toBe(7);
});

describe('the recommendation (property)', () => {
  const types = ['r6i.large', 'r6i.xlarge', 'r6i.2xlarge', 'r6i.4xlarge', 'm6i.xlarge', 'c6i.2xlarge'];
  const arb = fc.record({
    peaksGib: fc.array(fc.double({ min: 0.1, max: 120, noNaN: true }), { minLength: 5, maxLength: 30 }),
    vcpuPeaks: fc.array(fc.double({ min: 0.05, max: 14, noNaN: true }), { minLength: 5, maxLength: 30 }),
    askedVcpus: fc.integer({ min: 1, max: 16 }),
    askedGib: fc.integer({ min: 1, max: 120 }),
    typeSet: fc.subarray(types, { minLength: 1 }),
    spot: fc.boolean(),
    headroom: fc.double({ min: 0, max: 0.5, noNaN: true }),
    hours: fc.double({ min: 0.1, max: 24, noNaN: true }),
  });

  test('never fails the fit check, is never below measured max + headroom, and saves the cost model difference', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const n = Math.min(c.peaksGib.length, c.vcpuPeaks.length);
        const measured: MeasuredJob[] = Array.from({ length: n }, (_, i) => ({
          jobId: `j${i}`,
          peakMemoryMiB: c.peaksGib[i] * GIB,
          peakVcpus: c.vcpuPeaks[i],
          runHours: c.hours,
        }));
        const options: RightsizeOptions = { instanceTypes: c.typeSet, spot: c.spot, headroom: c.headroom };
        const requested = { vcpus: c.askedVcpus, memory: Size.gibibytes(c.askedGib) };
        const advice = adviseStep({ step: 's', requested, jobs: measured, unmeasured: 0 }, options);
        const maxMem = Math.max(...measured.map((j) => j.peakMemoryMiB));
        const maxCpu = Math.max(...measured.map((j) => j.peakVcpus));
        const r = advice.recommended;
        if (!r) {
          // No advice only when the measured max + headroom fits nowhere.
          expect(fitOnQueue(recommendedSize(maxMem, maxCpu, c.headroom, c.askedVcpus), options).fits).toBe(false);
          return;
        }
        const size = { vcpus: r.vcpus, memory: Size.mebibytes(r.memoryMiB) };
        expect(fitOnQueue(size, options).fits).toBe(true);
        expect(r.memoryMiB).toBeGreaterThanOrEqual(maxMem * (1 + c.headroom) - 1e-6);
        // vCPUs: measured max + headroom, or the request when that is less (a CPU share: over-use slows, never stops)
        expect(r.vcpus).toBeGreaterThanOrEqual(Math.min(c.askedVcpus, maxCpu * (1 + c.headroom) - 1e-9));
        expect(r.vcpus).toBeLessThanOrEqual(c.askedVcpus);
        // The saving is the cost model's own difference of the two sizes, at the same workload and line.
        const line = c.spot ? 'Batch Spot' : 'Batch On-Demand';
        const cost = (s: typeof size) =>
          estimateCost(
            { itemsPerMonth: (500 * 52) / 12, hoursPerItem: c.hours, ...s, maxConcurrency: 1_000_000 },
            { instanceTypes: c.typeSet },
          ).lines.find((l) => l.option === line)!.monthlyUsd;
        if (advice.requested.monthlyUsd !== undefined) {
          expect(advice.savingMonthlyUsd).toBeCloseTo(cost(requested) - cost(size), 6);
        }
      }),
      { seed: 31, numRuns: 300 },
    );
  });
});
