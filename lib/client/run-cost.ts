import type { JobDetail } from '@aws-sdk/client-batch';
import { Size } from 'aws-cdk-lib';
import { fitOnInstances, nearestFargateSizes } from '../compute/fit';
import { FARGATE_PRICE } from '../cost/cost-types';

/**
 * What a finished run cost in compute, from what Batch records of each job: the hours of every attempt (a job retried
 * after a Spot reclaim paid for each one) × the catalog price of what the job ran on, so the figure compares with
 * `estimate`'s. Batch does not record the instance a job ran on: on EC2 it is priced on the queue's instance type with
 * the lowest cost per job-hour (what an estimate assumes), On-Demand and at a Spot discount.
 */

/**
 * The compute cost of a finished run.
 * @jsii ignore
 */
export interface RunCost {
  /** Hours of every attempt of every job and array child. */
  readonly jobHours: number;
  /** Jobs and array children counted. */
  readonly jobs: number;
  /** Their attempts (more than `jobs` when Batch retried some). */
  readonly attempts: number;
  /** Jobs and children that succeeded. */
  readonly succeeded: number;
  /** USD at On-Demand (or Fargate) prices. */
  readonly onDemandUsd: number;
  /** USD at the Spot discount, when a compute environment of the run's queue is Spot (EC2 or Fargate). */
  readonly spotUsd?: number;
  /** Job-hours that could not be priced (a size or instance type the catalog does not know). */
  readonly unpricedJobHours: number;
  /** How it was priced, one phrase per job size. */
  readonly basis: string[];
}

/** One job size's share of a run: its hours and how it is priced. */
export interface SizedHours {
  /** Hours of every attempt. */
  readonly hours: number;
  /** Attempts. */
  readonly attempts: number;
  /** Jobs (or children). */
  readonly jobs: number;
  /** Jobs (or children) that succeeded. */
  readonly succeeded: number;
  /** The job's size; undefined when unknown. */
  readonly size?: { vcpus: number; memoryMiB: number; gpus: number };
  /** Runs on Fargate. */
  readonly fargate: boolean;
  /** The queue's instance types (EC2). */
  readonly instanceTypes: string[];
  /** Whether the queue has a Spot compute environment. */
  readonly spot: boolean;
}

/**
 * Hours of every attempt of a job (`attempts[].startedAt/stoppedAt`, ms), or of the job itself without attempts, each
 * at least `minimumMs` (what the capacity bills at least). `startedAt` is when the container started: image pull time
 * before it is not counted.
 */
export function attemptHours(job: JobDetail, minimumMs = 0): { hours: number; attempts: number } {
  const spans = (job.attempts ?? [])
    .filter((a) => a.startedAt !== undefined && a.stoppedAt !== undefined)
    .map((a) => a.stoppedAt! - a.startedAt!);
  if (spans.length === 0 && job.startedAt !== undefined && job.stoppedAt !== undefined) {
    spans.push(job.stoppedAt - job.startedAt);
  }
  return { hours: spans.reduce((a, b) => a + Math.max(b, minimumMs), 0) / 3_600_000, attempts: spans.length };
}

/** Prices a run's hours, group by group. */
export function priceRun(groups: SizedHours[], spotDiscount: number, fargateSpotDiscount: number): RunCost {
  let onDemand = 0;
  let spot = 0;
  let anySpot = false;
  let unpriced = 0;
  const basis: string[] = [];
  for (const g of groups) {
    const rate = hourlyRate(g);
    if (!rate) {
      unpriced += g.hours;
      continue;
    }
    onDemand += g.hours * rate.usd;
    spot += g.hours * rate.usd * (1 - (g.fargate ? fargateSpotDiscount : spotDiscount));
    anySpot ||= g.spot;
    basis.push(rate.basis);
  }
  const sum = (k: 'hours' | 'jobs' | 'attempts' | 'succeeded') => groups.reduce((n, g) => n + g[k], 0);
  return {
    jobHours: sum('hours'),
    jobs: sum('jobs'),
    attempts: sum('attempts'),
    succeeded: sum('succeeded'),
    onDemandUsd: onDemand,
    spotUsd: anySpot ? spot : undefined,
    unpricedJobHours: unpriced,
    basis: [...new Set(basis)],
  };
}

function hourlyRate(g: SizedHours): { usd: number; basis: string } | undefined {
  if (!g.size) {
    return undefined;
  }
  const { vcpus, memoryMiB, gpus } = g.size;
  const asked = `${vcpus} vCPU / ${Math.round((memoryMiB / 1024) * 10) / 10} GiB`;
  if (g.fargate) {
    // Fargate bills the task size, the smallest valid one that holds the job.
    const size = nearestFargateSizes(vcpus, memoryMiB).find((s) => s.vcpus >= vcpus && s.memoryMiB >= memoryMiB);
    if (!size) {
      return undefined;
    }
    const usd = size.vcpus * FARGATE_PRICE.vcpuHourUsd + (size.memoryMiB / 1024) * FARGATE_PRICE.gbHourUsd;
    return {
      usd,
      basis: `${asked} on Fargate as ${size.vcpus} vCPU / ${size.memoryMiB / 1024} GB at $${usd.toFixed(4)}/h`,
    };
  }
  const fit = fitOnInstances({ vcpus, memory: Size.mebibytes(memoryMiB), gpus }, g.instanceTypes);
  const best = [...fit.placements].sort(
    (a, b) => a.instance.onDemandHourlyUsd / a.jobsPerInstance - b.instance.onDemandHourlyUsd / b.jobsPerInstance,
  )[0];
  if (!best) {
    return undefined;
  }
  const usd = best.instance.onDemandHourlyUsd / best.jobsPerInstance;
  return {
    usd,
    basis: `${asked} as on ${best.instanceType} ($${best.instance.onDemandHourlyUsd}/h, ${best.jobsPerInstance} per instance)`,
  };
}
