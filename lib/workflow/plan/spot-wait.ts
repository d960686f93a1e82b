import { Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { WorkflowStep } from '../step';
import { CapacityPlatform, ICapacity, PurchaseOption } from '../../compute/capacity';
import { JobResources } from '../../compute/fit';
import { IJobQueue } from '../../queues/job-queue-base';
import { fail } from '../../private/errors';
import { MAX_SPOT_WAIT_SECONDS, MIN_SPOT_WAIT_SECONDS, SPOT_WATCH_RUNNING_PAGE } from '../../private/limits';

/** How a step bounds a Spot attempt's wait for capacity (`spotWaitLimit`). */
export interface SpotWaitPlan {
  /** The limit, in seconds. */
  readonly seconds: number;
  /** The limit in words, for the cancel reason (`30 minutes`). */
  readonly text: string;
  /**
   * How many RUNNING jobs make the queue count as full (its Spot capacity busy, not short): the fewest jobs its Spot
   * capacities hold at `maxvCpus`, of the largest size any step of the workflow on those capacities can ask (at its
   * last memory level), at most one page of ListJobs. See `shareBusyAt`.
   */
  readonly busyAt: number;
}

/**
 * Checks `spotWaitLimit` and plans the watch: a whole number of seconds in 10 min..24 h, on a step that escalates
 * from Spot (`onDemandQueue` planned) and submits single jobs.
 */
export function planSpotWait(
  scope: Construct,
  step: WorkflowStep,
  queue: IJobQueue,
  onDemandQueue: IJobQueue | undefined,
): SpotWaitPlan | undefined {
  const limit = step._options.spotWaitLimit;
  if (limit === undefined) {
    return undefined;
  }
  const prop = `steps['${step.name}'].spotWaitLimit`;
  const seconds = limit.toSeconds();
  if (!Number.isInteger(seconds) || seconds < MIN_SPOT_WAIT_SECONDS || seconds > MAX_SPOT_WAIT_SECONDS) {
    fail(scope, {
      prop,
      received: limit.toHumanString(),
      allowed: 'a whole number of seconds from 10 minutes to 24 hours',
      fix: 'use e.g. spotWaitLimit: Duration.hours(1)',
    });
  }
  if (!onDemandQueue) {
    fail(scope, {
      prop,
      received: `${limit.toHumanString()}, on a step that does not escalate from Spot to On-Demand (queue ${queue.node.path})`,
      allowed:
        'a Spot wait limit only where a Spot attempt can go On-Demand: a queue with Spot capacity, and an On-Demand queue among the job’s queues',
      fix: 'remove spotWaitLimit, or bind the job to an On-Demand queue too and leave spotEscalation on',
    });
  }
  const job = step._options.job;
  if (job.arrayJob) {
    fail(scope, {
      prop,
      received: `${limit.toHumanString()}, on array job ${job.node.path}`,
      allowed:
        "a Spot wait limit on a step of single jobs: an array job's parent never waits in RUNNABLE, its children do",
      fix: 'remove spotWaitLimit from this step',
    });
  }
  return { seconds, text: limit.toHumanString(), busyAt: SPOT_WATCH_RUNNING_PAGE };
}

/** What `shareBusyAt` needs of each step's plan. */
export interface SpotCapacityUse {
  readonly queue: IJobQueue;
  /** The step's job at its largest memory level. */
  readonly largest: JobResources;
  readonly spotWait?: SpotWaitPlan;
}

/**
 * Each watched step's `busyAt`: a queue counts as full once it runs as many jobs as its Spot capacities hold of the
 * largest job any step on those capacities can ask for, since the running jobs the watcher counts may be any of them
 * (a qc job waiting behind 4-vCPU callVariants jobs must not count the capacity as free at 96 small jobs when 48 big
 * ones fill it). Jobs of other workflows or stacks on the same capacities are not known here: they make the count
 * high, never low, and so only make a busy queue look busy later.
 */
export function shareBusyAt<T extends SpotCapacityUse>(uses: readonly T[]): T[] {
  return uses.map((u) => {
    if (!u.spotWait) {
      return u;
    }
    const spot = u.queue.capacities.filter((c) => c.purchaseOption === PurchaseOption.SPOT);
    const sharing = uses.filter((o) => o.queue.capacities.some((c) => spot.includes(c)));
    const fewest = Math.min(...sharing.map((o) => busyAt(u.queue, o.largest)));
    return { ...u, spotWait: { ...u.spotWait, busyAt: fewest } };
  });
}

/**
 * The fewest jobs of this size the queue's Spot capacities run at their `maxvCpus`: on Fargate `maxvCpus / vcpus`;
 * on EC2, per capacity, the instance type whose full `maxvCpus` holds the fewest jobs (by its jobs per instance).
 * At least 1 (a capacity whose maxvCpus is a token counts as 1: any running job means busy), at most one page.
 */
function busyAt(queue: IJobQueue, resources: JobResources): number {
  const spot = queue.capacities.filter((c) => c.purchaseOption === PurchaseOption.SPOT);
  const total = spot.reduce((sum, c) => sum + jobsAtMax(c, resources), 0);
  return Math.min(Math.max(total, 1), SPOT_WATCH_RUNNING_PAGE);
}

function jobsAtMax(capacity: ICapacity, resources: JobResources): number {
  const max = capacity.maxvCpus;
  if (Token.isUnresolved(max)) {
    return 0;
  }
  if (capacity.platform === CapacityPlatform.FARGATE) {
    return Math.floor(max / resources.vcpus);
  }
  const placements = capacity.fit(resources).placements;
  if (placements.length === 0) {
    return 0;
  }
  return Math.min(...placements.map((p) => Math.floor(max / p.instance.vcpus) * p.jobsPerInstance));
}
