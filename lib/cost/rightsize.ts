import { Size } from 'aws-cdk-lib';
import { estimateCost } from './cost-model';
import { CostEstimate, CostModelError } from './cost-types';
import { fitOnEc2Capacity } from '../compute/capacity-fit';
import { FitResult, JobResources } from '../compute/fit';
import {
  RIGHTSIZE_HEADROOM,
  RIGHTSIZE_MIN_JOBS,
  RIGHTSIZE_NEAR_LIMIT,
  RIGHTSIZE_REFERENCE_ITEMS_PER_MONTH,
} from '../private/limits';

/**
 * Right-sizing advice from what a step's jobs used (pure: the measurements come from lib/client/rightsize): per step,
 * requested vs the p50/p95/max of the memory and vCPUs its jobs used, a recommended size (measured max plus headroom,
 * rounded up to whole GiB and whole vCPUs), checked by the library's fit check against the queue's instance types and
 * priced by the cost model at a reference workload. The saving is the cost model's difference between the two sizes,
 * nothing else.
 */

/**
 * What one job (every attempt of it) used at its peak.
 * @jsii ignore
 */
export interface MeasuredJob {
  /** The Batch job id. */
  readonly jobId: string;
  /** The most memory its ECS task used, in MiB (Container Insights `MemoryUtilized`). */
  readonly peakMemoryMiB: number;
  /** The most vCPUs its ECS task used (Container Insights `CpuUtilized` / 1,024 CPU units a vCPU). */
  readonly peakVcpus: number;
  /** Hours it ran (its attempts' startedAt..stoppedAt), when known. */
  readonly runHours?: number;
  /** An attempt of it was stopped for running out of memory. */
  readonly outOfMemory?: boolean;
}

/**
 * One step's request and its measured jobs.
 * @jsii ignore
 */
export interface StepMeasurement {
  /** The step (as its jobs' names carry it). */
  readonly step: string;
  /** What its jobs ask for (the most common request among them). */
  readonly requested: JobResources;
  /** Its jobs that have Container Insights measurements. */
  readonly jobs: MeasuredJob[];
  /** Its jobs without measurements (not started, no task, or no performance events). */
  readonly unmeasured: number;
  /**
   * How the prop change names the Job.
   * @default - `Job '<step>'`
   */
  readonly job?: string;
}

/**
 * Where the advice is checked and at what workload it is priced.
 * @jsii ignore
 */
export interface RightsizeOptions {
  /** The queue's instance types (the catalog's names). */
  readonly instanceTypes: string[];
  /**
   * The queue's largest maxvCpus, for the fit check.
   * @default - not checked
   */
  readonly maxvCpus?: number;
  /** Whether the queue runs on Spot: the saving is then of the cost model's "Batch Spot" line. */
  readonly spot: boolean;
  /**
   * Items a month of the reference workload the saving is priced at.
   * @default 2,166.7 - 500 samples a week
   */
  readonly itemsPerMonth?: number;
  /**
   * Hours a job runs at the reference workload.
   * @default - the mean of the step's measured jobs (1 hour when none has a run time)
   */
  readonly hoursPerItem?: number;
  /**
   * Headroom over the measured max, as a fraction.
   * @default 0.2
   */
  readonly headroom?: number;
  /**
   * Fewest measured jobs a step needs for advice.
   * @default 5
   */
  readonly minJobs?: number;
}

/**
 * p50, p95 and max of a measured quantity.
 * @jsii ignore
 */
export interface UsageStats {
  /** The median over the measured jobs' peaks. */
  readonly p50: number;
  /** The 95th percentile over the measured jobs' peaks. */
  readonly p95: number;
  /** The largest peak measured. */
  readonly max: number;
}

/**
 * How a size lands on the queue's instance types, and what the workload costs at it.
 * @jsii ignore
 */
export interface PricedSize {
  /** vCPUs requested. */
  readonly vcpus: number;
  /** Memory requested, in MiB. */
  readonly memoryMiB: number;
  /** The instance type the cost model places it on (cheapest per job-hour). */
  readonly instanceType?: string;
  /** Jobs of this size one such instance runs at once. */
  readonly jobsPerInstance?: number;
  /** The cost model's monthly cost of the step at the reference workload (On-Demand or Spot, as the queue). */
  readonly monthlyUsd?: number;
}

/**
 * The advice for one step.
 * @jsii ignore
 */
export interface StepAdvice {
  /** The step (or job) advised on. */
  readonly step: string;
  /** Measured jobs. */
  readonly jobs: number;
  /** Jobs without measurements. */
  readonly unmeasured: number;
  /** Memory used, MiB (absent when no job was measured). */
  readonly memoryMiB?: UsageStats;
  /** vCPUs used. */
  readonly vcpus?: UsageStats;
  /** The request, priced. */
  readonly requested: PricedSize;
  /** The recommended size, priced, when there is advice. */
  readonly recommended?: PricedSize;
  /** Monthly saving (negative: the recommendation costs more, e.g. to stop out-of-memory failures). */
  readonly savingMonthlyUsd?: number;
  /** The prop change to make, e.g. `vcpus: 2, memory: Size.gibibytes(14)` on Job 'align'. */
  readonly change?: string;
  /** Why there is no advice (too few measured jobs, or the size does not fit). */
  readonly noAdvice?: string;
  /** Out-of-memory risks. */
  readonly warnings: string[];
}

/**
 * The advice for every step, with the reference workload it was priced at.
 * @jsii ignore
 */
export interface RightsizeAdvice {
  /** Each step's advice, in the order measured. */
  readonly steps: StepAdvice[];
  /** The items a month the savings are priced at. */
  readonly itemsPerMonth: number;
  /** The headroom added to the measured maximum (0.2 for 20%). */
  readonly headroom: number;
  /** The fewest measured jobs a step needs for advice. */
  readonly minJobs: number;
  /** `Batch On-Demand` or `Batch Spot`: the cost model's line compared. */
  readonly priced: string;
}

/** The nearest-rank percentile `p` (0..100) of `values` (not empty). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function statsOf(values: number[]): UsageStats {
  return { p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values) };
}

/**
 * Measured max plus headroom, rounded up to whole GiB (memory) and whole vCPUs (EC2 takes whole vCPUs). vCPUs never
 * above the request: on EC2 a job's vCPUs are a CPU share, so a job that uses more than it asks is slowed when its
 * instance is full, never stopped (memory over the request is: out of memory).
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_ResourceRequirement.html
 */
export function recommendedSize(
  maxMemoryMiB: number,
  maxVcpus: number,
  headroom: number,
  requestedVcpus = Number.POSITIVE_INFINITY,
): JobResources {
  const gib = Math.max(1, Math.ceil((maxMemoryMiB * (1 + headroom)) / 1024 - 1e-9));
  const vcpus = Math.min(requestedVcpus, Math.max(1, Math.ceil(maxVcpus * (1 + headroom) - 1e-9)));
  return { vcpus, memory: Size.gibibytes(gib) };
}

/** The cost model's estimate of a step's jobs at `size`, or undefined when it cannot place them. */
function priceAt(
  size: JobResources,
  o: Required<Pick<RightsizeOptions, 'instanceTypes'>>,
  items: number,
  hours: number,
) {
  try {
    return estimateCost(
      // Concurrency high enough that no backlog caps the work: the saving is of the work, not of a capacity limit.
      {
        itemsPerMonth: items,
        hoursPerItem: hours,
        vcpus: size.vcpus,
        memory: size.memory,
        gpus: size.gpus,
        maxConcurrency: 1_000_000,
      },
      { instanceTypes: o.instanceTypes },
    );
  } catch (e) {
    // A size the model cannot place (none of the types holds it) is not priced; anything else is a bug.
    if (e instanceof CostModelError) {
      return undefined;
    }
    throw e;
  }
}

function priced(size: JobResources, e: CostEstimate | undefined, line: string): PricedSize {
  return {
    vcpus: size.vcpus,
    memoryMiB: size.memory.toMebibytes(),
    instanceType: e?.placement?.instanceType,
    jobsPerInstance: e?.placement?.jobsPerInstance,
    monthlyUsd: e?.lines.find((l) => l.option === line)?.monthlyUsd,
  };
}

/** The fit check of the library (lib/compute/capacity-fit.ts) of a size on the queue's instance types. */
export function fitOnQueue(size: JobResources, options: RightsizeOptions): FitResult {
  return fitOnEc2Capacity(size, options.instanceTypes, [], options.maxvCpus ?? Number.POSITIVE_INFINITY);
}

/** The advice for one step. */
export function adviseStep(m: StepMeasurement, options: RightsizeOptions): StepAdvice {
  const headroom = options.headroom ?? RIGHTSIZE_HEADROOM;
  const minJobs = options.minJobs ?? RIGHTSIZE_MIN_JOBS;
  const items = options.itemsPerMonth ?? RIGHTSIZE_REFERENCE_ITEMS_PER_MONTH;
  const line = options.spot ? 'Batch Spot' : 'Batch On-Demand';
  const runs = m.jobs.map((j) => j.runHours).filter((h): h is number => h !== undefined && h > 0);
  const hours = options.hoursPerItem ?? (runs.length > 0 ? runs.reduce((a, b) => a + b, 0) / runs.length : 1);
  const requested = priced(m.requested, priceAt(m.requested, options, items, hours), line);
  const base = { step: m.step, jobs: m.jobs.length, unmeasured: m.unmeasured, requested };
  if (m.jobs.length === 0) {
    return { ...base, warnings: [], noAdvice: `no measured jobs (0 < ${minJobs})` };
  }
  const memoryMiB = statsOf(m.jobs.map((j) => j.peakMemoryMiB));
  const vcpus = statsOf(m.jobs.map((j) => j.peakVcpus));
  const warnings = oomWarnings(m, memoryMiB);
  const measured = { ...base, memoryMiB, vcpus, warnings };
  if (m.jobs.length < minJobs) {
    return { ...measured, noAdvice: `too few measured jobs (${m.jobs.length} < ${minJobs})` };
  }
  const measuredSize = recommendedSize(memoryMiB.max, vcpus.max, headroom, m.requested.vcpus);
  // A job stopped for memory peaked at the limit it hit, not at what it needed: never advise less memory then.
  const keepMemory =
    m.jobs.some((j) => j.outOfMemory) && measuredSize.memory.toMebibytes() < m.requested.memory.toMebibytes();
  const size = { ...measuredSize, ...(keepMemory ? { memory: m.requested.memory } : {}), gpus: m.requested.gpus };
  const fit = fitOnQueue(size, options);
  if (!fit.fits) {
    return {
      ...measured,
      noAdvice:
        `measured max + ${Math.round(headroom * 100)}% (${size.vcpus} vCPU / ${size.memory.toGibibytes()} GiB) fits ` +
        `none of the queue's instance types (${fit.reason ?? 'no known type'})`,
    };
  }
  const recommended = priced(size, priceAt(size, options, items, hours), line);
  const saving =
    requested.monthlyUsd !== undefined && recommended.monthlyUsd !== undefined
      ? requested.monthlyUsd - recommended.monthlyUsd
      : undefined;
  return { ...measured, recommended, savingMonthlyUsd: saving, change: changeOf(m, size) };
}

/** The advice for every step. */
export function adviseRightsize(steps: StepMeasurement[], options: RightsizeOptions): RightsizeAdvice {
  return {
    steps: steps.map((s) => adviseStep(s, options)),
    itemsPerMonth: options.itemsPerMonth ?? RIGHTSIZE_REFERENCE_ITEMS_PER_MONTH,
    headroom: options.headroom ?? RIGHTSIZE_HEADROOM,
    minJobs: options.minJobs ?? RIGHTSIZE_MIN_JOBS,
    priced: options.spot ? 'Batch Spot' : 'Batch On-Demand',
  };
}

/** `vcpus: 2, memory: Size.gibibytes(14)` on Job 'align': only the props that change. */
function changeOf(m: StepMeasurement, size: JobResources): string | undefined {
  const parts: string[] = [];
  if (size.vcpus !== m.requested.vcpus) {
    parts.push(`vcpus: ${size.vcpus}`);
  }
  if (size.memory.toMebibytes() !== m.requested.memory.toMebibytes()) {
    parts.push(`memory: Size.gibibytes(${size.memory.toGibibytes()})`);
  }
  return parts.length > 0 ? `${parts.join(', ')} on ${m.job ?? `Job '${m.step}'`}` : undefined;
}

/** A peak close to the request (out-of-memory risk), and attempts stopped for memory. */
function oomWarnings(m: StepMeasurement, memory: UsageStats): string[] {
  const warnings: string[] = [];
  const asked = m.requested.memory.toMebibytes();
  if (memory.max >= asked * RIGHTSIZE_NEAR_LIMIT) {
    warnings.push(
      `${m.step}: measured peak ${gib(memory.max)} GiB is ${Math.round((memory.max / asked) * 100)}% of the ` +
        `${gib(asked)} GiB requested: out-of-memory risk (a peak shorter than Container Insights' one-minute sample ` +
        'is not seen)',
    );
  }
  const oom = m.jobs.filter((j) => j.outOfMemory).length;
  if (oom > 0) {
    warnings.push(
      `${m.step}: ${oom} job(s) had an attempt stopped for running out of memory: their peak is the limit they hit, ` +
        'not what they needed',
    );
  }
  return warnings;
}

/** MiB as GiB with one decimal. */
export function gib(mib: number): string {
  return (Math.round((mib / 1024) * 10) / 10).toString();
}
