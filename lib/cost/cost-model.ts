import { Size } from 'aws-cdk-lib';
import { Ec2Capacity } from '../compute/ec2-capacity';
import { FargateSize, fitOnInstances, InstanceFit, nearestFargateSizes } from '../compute/fit';
import { InstanceCatalog } from '../compute/instance-catalog';

/** Hours in an average month (365 × 24 / 12), the basis of AWS's monthly prices. */
export const HOURS_PER_MONTH = 730;

/**
 * Fargate Linux/x86 prices in us-east-1, per vCPU-hour and per GB-hour.
 * @see https://aws.amazon.com/fargate/pricing/
 */
export const FARGATE_PRICE: FargatePrice = { vcpuHourUsd: 0.04048, gbHourUsd: 0.004445 };

/** Fargate's price per vCPU-hour and per GB-hour. */
export interface FargatePrice {
  /** USD per vCPU-hour. */
  readonly vcpuHourUsd: number;
  /** USD per GB-hour of memory. */
  readonly gbHourUsd: number;
}

/** What the pipeline runs. */
export interface Workload {
  /** Items (samples) per month. */
  readonly itemsPerMonth: number;
  /** Hours one item's job runs. */
  readonly hoursPerItem: number;
  /** vCPUs per job. */
  readonly vcpus: number;
  /** Memory per job. */
  readonly memory: Size;
  /**
   * GPUs per job.
   * @default 0
   */
  readonly gpus?: number;
  /**
   * Items that arrive at once (a burst), for the makespan.
   * @default - a week's items (itemsPerMonth × 12 / 52)
   */
  readonly burstSize?: number;
  /** Jobs that may run at once (the workflow's fan-out concurrency). */
  readonly maxConcurrency: number;
}

/** Where it runs and the prices and rates to assume. Every number is an input with a stated default. */
export interface CostAssumptions {
  /**
   * EC2 instance types Batch may launch.
   * @default - `Ec2Capacity.DEFAULT_INSTANCE_TYPES` (r5, r6i, r7i in xlarge..4xlarge)
   */
  readonly instanceTypes?: string[];
  /**
   * The compute environment's maxvCpus, which can cap concurrency below `maxConcurrency`.
   * @default - enough for `maxConcurrency` jobs
   */
  readonly maxvCpus?: number;
  /**
   * Spot discount off On-Demand (0..1).
   * @default 0.65 - the middle of the 55..72% below On-Demand seen for memory-optimized pools in 2026
   */
  readonly spotDiscount?: number;
  /**
   * Fargate Spot discount off Fargate (0..1).
   * @default 0.7 - AWS's "up to 70%"; Fargate Spot tracks it closely
   */
  readonly fargateSpotDiscount?: number;
  /**
   * Spot interruptions per instance-hour.
   * @default 0.03 - an assumption (AWS publishes monthly frequencies per pool, not hourly); replace it with your
   * own from the SpotInterruptions metric
   */
  readonly spotInterruptionsPerHour?: number;
  /**
   * Whether jobs checkpoint, which bounds the work an interruption loses.
   * @default false
   */
  readonly checkpointing?: boolean;
  /**
   * Fraction of a job lost per interruption.
   * @default - 0.5 without checkpointing (on average half the job), 0.05 with
   */
  readonly lostFractionPerInterruption?: number;
  /**
   * Re-run overhead on Spot as a fraction of job-hours, instead of deriving it from the interruption rate.
   * @default - derived: interruptions per job × lost fraction
   */
  readonly spotRerunOverhead?: number;
  /**
   * Attempts before a Spot-interrupted job escalates to On-Demand (the job's retry attempts).
   * @default 3
   */
  readonly spotAttempts?: number;
  /**
   * Utilization an always-on dedicated fleet sustains: it must absorb bursts, so it is sized above the average load.
   * @default 0.85
   */
  readonly dedicatedUtilization?: number;
}

/** Where the job lands on EC2. */
export interface Placement {
  /** Instance type with the lowest cost per job-hour. */
  readonly instanceType: string;
  /** Jobs one instance runs at once. */
  readonly jobsPerInstance: number;
  /** Packing efficiency (0..1). */
  readonly packingEfficiency: number;
  /** On-Demand USD per hour of the instance. */
  readonly onDemandHourlyUsd: number;
  /** On-Demand USD per job-hour (instance price / jobs per instance). */
  readonly onDemandPerJobHourUsd: number;
  /** Every instance type that fits, cheapest per job-hour first. */
  readonly alternatives: InstanceFit[];
}

/** One way to run the workload, priced per month. */
export interface CostLine {
  /** What it is. */
  readonly option: string;
  /** USD per month. */
  readonly monthlyUsd: number;
  /** USD per item. */
  readonly perItemUsd: number;
  /** How it was computed, in one line. */
  readonly basis: string;
}

/** What limits how fast a burst finishes. */
export enum MakespanLimit {
  /** The burst is smaller than the concurrency: one wave. */
  ITEMS = 'items',
  /** The workflow's fan-out concurrency. */
  WORKFLOW_CONCURRENCY = 'workflow maxConcurrency',
  /** The compute environment's maxvCpus. */
  MAX_VCPUS = 'compute environment maxvCpus',
}

/** Spot's overhead on a workload. */
export interface SpotOverhead {
  /** Expected interruptions per job. */
  readonly interruptionsPerJob: number;
  /** Re-run overhead as a fraction of job-hours. */
  readonly rerunOverhead: number;
  /** Share of jobs whose Spot attempts are all interrupted, so they run again On-Demand. */
  readonly onDemandEscalationShare: number;
}

/** How long a burst takes. */
export interface Makespan {
  /** Items in the burst. */
  readonly burstSize: number;
  /** Jobs running at once. */
  readonly concurrency: number;
  /** Waves of `concurrency` jobs. */
  readonly waves: number;
  /** Hours until every item is done (waves × hours per item). */
  readonly hours: number;
  /** What caps the concurrency. */
  readonly limitedBy: MakespanLimit;
}

/** The assumptions an estimate used, defaults filled in. */
export interface ResolvedAssumptions {
  /** EC2 instance types. */
  readonly instanceTypes: string[];
  /** The compute environment's maxvCpus, if given. */
  readonly maxvCpus?: number;
  /** Spot discount (0..1). */
  readonly spotDiscount: number;
  /** Fargate Spot discount (0..1). */
  readonly fargateSpotDiscount: number;
  /** Spot interruptions per instance-hour. */
  readonly spotInterruptionsPerHour: number;
  /** Whether jobs checkpoint. */
  readonly checkpointing: boolean;
  /** Fraction of a job lost per interruption. */
  readonly lostFractionPerInterruption: number;
  /** Re-run overhead given instead of derived, if any. */
  readonly spotRerunOverhead?: number;
  /** Spot attempts before On-Demand. */
  readonly spotAttempts: number;
  /** Utilization of an always-on fleet. */
  readonly dedicatedUtilization: number;
}

/** The estimate. */
export interface CostEstimate {
  /** Job-hours per month. */
  readonly jobHoursPerMonth: number;
  /** Jobs running at once on average. */
  readonly averageConcurrentJobs: number;
  /** Where the job lands on EC2, or undefined if it fits no instance type given. */
  readonly placement?: Placement;
  /** The Fargate size the job snaps to (the smallest valid one that holds it), or undefined with GPUs. */
  readonly fargateSize?: FargateSize;
  /**
   * Monthly cost per option, in the order: dedicated (average), dedicated (peak), Batch On-Demand, Batch Spot,
   * Fargate, Fargate Spot.
   */
  readonly lines: CostLine[];
  /** The floor: the cheapest fitting capacity × job-hours, no overhead. */
  readonly floor: CostLine;
  /** Spot: interruptions per job, re-run overhead, and the share of jobs escalated to On-Demand. */
  readonly spot: SpotOverhead;
  /** A burst: hours until every item is done, the concurrency reached, and what limits it. */
  readonly makespan: Makespan;
  /** The assumptions used, with defaults filled in. */
  readonly assumptions: ResolvedAssumptions;
}

/** Thrown for a workload or assumption the model cannot price. */
export class CostModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CostModelError';
  }
}

function check(ok: boolean, what: string, received: unknown, allowed: string, fix: string): void {
  if (!ok) {
    throw new CostModelError(`${what}: ${String(received)} is not allowed; allowed: ${allowed}. Fix: ${fix}`);
  }
}

/**
 * Prices a workload on Batch (On-Demand, Spot, Fargate, Fargate Spot) against always-on fleets, with Spot re-runs,
 * the floor, and how long a burst takes. Pure arithmetic over the instance catalog: no AWS calls.
 */
export function estimateCost(workload: Workload, assumptions: CostAssumptions = {}): CostEstimate {
  const w = workload;
  check(
    Number.isFinite(w.itemsPerMonth) && w.itemsPerMonth >= 0,
    'itemsPerMonth',
    w.itemsPerMonth,
    'a number >= 0',
    'give the items per month, e.g. 2167',
  );
  check(w.hoursPerItem > 0, 'hoursPerItem', w.hoursPerItem, 'a number > 0', 'give how long one job runs, e.g. 4');
  check(w.vcpus > 0, 'vcpus', w.vcpus, 'a number > 0', 'give the vCPUs of one job, e.g. 4');
  check(
    Number.isInteger(w.maxConcurrency) && w.maxConcurrency >= 1,
    'maxConcurrency',
    w.maxConcurrency,
    'a whole number >= 1',
    'give how many jobs run at once, e.g. 50',
  );
  const a = {
    instanceTypes: assumptions.instanceTypes ?? [...Ec2Capacity.DEFAULT_INSTANCE_TYPES],
    spotDiscount: assumptions.spotDiscount ?? 0.65,
    fargateSpotDiscount: assumptions.fargateSpotDiscount ?? 0.7,
    spotInterruptionsPerHour: assumptions.spotInterruptionsPerHour ?? 0.03,
    checkpointing: assumptions.checkpointing ?? false,
    lostFractionPerInterruption: assumptions.lostFractionPerInterruption ?? (assumptions.checkpointing ? 0.05 : 0.5),
    spotAttempts: assumptions.spotAttempts ?? 3,
    dedicatedUtilization: assumptions.dedicatedUtilization ?? 0.85,
    maxvCpus: assumptions.maxvCpus,
    spotRerunOverhead: assumptions.spotRerunOverhead,
  };
  for (const [name, v] of [
    ['spotDiscount', a.spotDiscount],
    ['fargateSpotDiscount', a.fargateSpotDiscount],
    ['lostFractionPerInterruption', a.lostFractionPerInterruption],
  ] as const) {
    check(v >= 0 && v < 1, name, v, 'a fraction from 0 to below 1', 'give e.g. 0.65 for 65%');
  }
  check(
    a.dedicatedUtilization > 0 && a.dedicatedUtilization <= 1,
    'dedicatedUtilization',
    a.dedicatedUtilization,
    'a fraction above 0, at most 1',
    'give e.g. 0.85',
  );
  check(
    a.spotInterruptionsPerHour >= 0,
    'spotInterruptionsPerHour',
    a.spotInterruptionsPerHour,
    'a number >= 0',
    'give e.g. 0.03',
  );

  const unknown = a.instanceTypes.filter((t) => !InstanceCatalog.tryLookup(t));
  check(
    unknown.length === 0,
    'instanceTypes',
    unknown.join(', '),
    `types the catalog knows (${InstanceCatalog.all().length} of them)`,
    'use types from InstanceCatalog.all(), e.g. r6i.xlarge',
  );

  const resources = { vcpus: w.vcpus, memory: w.memory, gpus: w.gpus ?? 0 };
  const fit = fitOnInstances(resources, a.instanceTypes);
  const perJobHour = (p: InstanceFit) => p.instance.onDemandHourlyUsd / p.jobsPerInstance;
  const alternatives = [...fit.placements].sort((x, y) => perJobHour(x) - perJobHour(y));
  const best = alternatives[0];
  const placement: Placement | undefined = best && {
    instanceType: best.instanceType,
    jobsPerInstance: best.jobsPerInstance,
    packingEfficiency: best.packingEfficiency,
    onDemandHourlyUsd: best.instance.onDemandHourlyUsd,
    onDemandPerJobHourUsd: perJobHour(best),
    alternatives,
  };
  const memMiB = w.memory.toMebibytes();
  const fargateSize =
    (w.gpus ?? 0) > 0
      ? undefined
      : nearestFargateSizes(w.vcpus, memMiB).find((s) => s.vcpus >= w.vcpus && s.memoryMiB >= memMiB);
  if (!placement && !fargateSize) {
    throw new CostModelError(
      `${w.vcpus} vCPU / ${memMiB} MiB${w.gpus ? ` / ${w.gpus} GPU` : ''} fits none of ${a.instanceTypes.join(', ')} ` +
        `(largest usable memory ${fit.largestUsableMemoryMiB ?? 0} MiB on ${fit.largestInstanceType ?? 'none'}) and no Fargate size; ` +
        'ask for less, or add larger instance types',
    );
  }

  const jobHours = w.itemsPerMonth * w.hoursPerItem;
  const averageConcurrent = jobHours / HOURS_PER_MONTH;
  const perItem = (usd: number) => (w.itemsPerMonth > 0 ? usd / w.itemsPerMonth : 0);
  const line = (option: string, monthlyUsd: number, basis: string): CostLine => ({
    option,
    monthlyUsd,
    perItemUsd: perItem(monthlyUsd),
    basis,
  });

  // Spot: an attempt of h hours is interrupted with probability q = 1 - e^(-rate * h); a job escalates to
  // On-Demand when all its Spot attempts are interrupted (q^attempts).
  const interruptionsPerJob = a.spotInterruptionsPerHour * w.hoursPerItem;
  const rerunOverhead = a.spotRerunOverhead ?? interruptionsPerJob * a.lostFractionPerInterruption;
  const q = 1 - Math.exp(-a.spotInterruptionsPerHour * w.hoursPerItem);
  const escalation = a.spotRerunOverhead !== undefined ? 0 : Math.pow(q, a.spotAttempts);

  const lines: CostLine[] = [];
  if (placement) {
    const od = placement.onDemandPerJobHourUsd;
    const instancesAvg = Math.ceil(averageConcurrent / a.dedicatedUtilization / placement.jobsPerInstance);
    const instancesPeak = Math.ceil(w.maxConcurrency / placement.jobsPerInstance);
    const spotPerJobHour = od * (1 - a.spotDiscount);
    lines.push(
      line(
        'Dedicated, sized for average load',
        instancesAvg * placement.onDemandHourlyUsd * HOURS_PER_MONTH,
        `${instancesAvg} × ${placement.instanceType} always on (${averageConcurrent.toFixed(1)} jobs on average at ${Math.round(a.dedicatedUtilization * 100)}% utilization)`,
      ),
      line(
        'Dedicated, sized for peak',
        instancesPeak * placement.onDemandHourlyUsd * HOURS_PER_MONTH,
        `${instancesPeak} × ${placement.instanceType} always on (${w.maxConcurrency} jobs at once)`,
      ),
      line('Batch On-Demand', jobHours * od, `${fmtHours(jobHours)} job-hours × $${od.toFixed(4)} per job-hour`),
      line(
        'Batch Spot',
        jobHours * spotPerJobHour * (1 + rerunOverhead) + jobHours * escalation * od,
        `job-hours × $${spotPerJobHour.toFixed(4)} × ${(1 + rerunOverhead).toFixed(3)} re-runs` +
          (escalation > 0 ? ` + ${(escalation * 100).toFixed(2)}% escalated to On-Demand` : ''),
      ),
    );
  }
  if (fargateSize) {
    const hourly =
      fargateSize.vcpus * FARGATE_PRICE.vcpuHourUsd + (fargateSize.memoryMiB / 1024) * FARGATE_PRICE.gbHourUsd;
    const size = `${fargateSize.vcpus} vCPU / ${fargateSize.memoryMiB / 1024} GB`;
    lines.push(
      line('Fargate', jobHours * hourly, `job-hours × $${hourly.toFixed(4)} (${size})`),
      line(
        'Fargate Spot',
        jobHours * hourly * (1 - a.fargateSpotDiscount) * (1 + rerunOverhead),
        `job-hours × $${(hourly * (1 - a.fargateSpotDiscount)).toFixed(4)} × ${(1 + rerunOverhead).toFixed(3)} re-runs`,
      ),
    );
  }
  const floorRates: Array<[string, number]> = [];
  if (placement) {
    floorRates.push([`Spot ${placement.instanceType}`, placement.onDemandPerJobHourUsd * (1 - a.spotDiscount)]);
  }
  if (fargateSize) {
    const hourly =
      fargateSize.vcpus * FARGATE_PRICE.vcpuHourUsd + (fargateSize.memoryMiB / 1024) * FARGATE_PRICE.gbHourUsd;
    floorRates.push(['Fargate Spot', hourly * (1 - a.fargateSpotDiscount)]);
  }
  const [floorName, floorRate] = floorRates.sort((x, y) => x[1] - y[1])[0];
  const floor = line('Floor', jobHours * floorRate, `${floorName}: job-hours × $${floorRate.toFixed(4)}, no overhead`);

  // Makespan: waves of `concurrency` jobs, each hoursPerItem long.
  const burstSize = w.burstSize ?? Math.round((w.itemsPerMonth * 12) / 52);
  const instanceVcpusPerJob = placement
    ? InstanceCatalog.tryLookup(placement.instanceType)!.vcpus / placement.jobsPerInstance
    : w.vcpus;
  const byVcpus = a.maxvCpus !== undefined ? Math.floor(a.maxvCpus / instanceVcpusPerJob) : Infinity;
  const concurrency = Math.max(0, Math.min(w.maxConcurrency, byVcpus, burstSize));
  const limitedBy =
    concurrency === burstSize && burstSize < Math.min(w.maxConcurrency, byVcpus)
      ? MakespanLimit.ITEMS
      : byVcpus < w.maxConcurrency
        ? MakespanLimit.MAX_VCPUS
        : MakespanLimit.WORKFLOW_CONCURRENCY;
  const waves = concurrency > 0 ? Math.ceil(burstSize / concurrency) : 0;

  return {
    jobHoursPerMonth: jobHours,
    averageConcurrentJobs: averageConcurrent,
    placement,
    fargateSize,
    lines,
    floor,
    spot: { interruptionsPerJob, rerunOverhead, onDemandEscalationShare: escalation },
    makespan: { burstSize, concurrency, waves, hours: waves * w.hoursPerItem, limitedBy },
    assumptions: { ...a, instanceTypes: [...a.instanceTypes] },
  };
}

function fmtHours(h: number): string {
  return Math.round(h).toLocaleString('en-US');
}

/** The estimate as a short plain-text table, for the terminal and synth output. */
export function formatCostTable(estimate: CostEstimate): string {
  const usd = (v: number) => `$${Math.round(v).toLocaleString('en-US')}`;
  const rows = [...estimate.lines, estimate.floor].map((l) => [
    l.option,
    usd(l.monthlyUsd),
    `$${l.perItemUsd.toFixed(2)}`,
  ]);
  const header = ['option', 'per month', 'per item'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const p = estimate.placement;
  const m = estimate.makespan;
  return [
    p
      ? `Job lands on ${p.instanceType}: ${p.jobsPerInstance} per instance, ${Math.round(p.packingEfficiency * 100)}% packed`
      : 'Job fits no EC2 instance type given; Fargate only',
    `${fmtHours(estimate.jobHoursPerMonth)} job-hours a month, ${estimate.averageConcurrentJobs.toFixed(1)} jobs running on average`,
    fmt(header),
    ...rows.map(fmt),
    `Burst of ${m.burstSize}: ${m.waves} wave(s) of ${m.concurrency} → ${m.hours} h (limited by ${m.limitedBy})`,
  ].join('\n');
}
