import { AwsCalls } from './aws-calls';
import { childIds, describeJobs } from './jobs/describe';
import { jobSize, queueCapacity, QueueCapacity } from './queue-capacity';
import { attemptHours, priceRun, RunCost, SizedHours } from './run-cost';
import { DEFAULT_FARGATE_SPOT_DISCOUNT, DEFAULT_SPOT_DISCOUNT, FARGATE_MIN_BILLED_SECONDS } from '../cost/cost-types';

/** What finished jobs cost: their attempts read from Batch, priced by `run-cost.ts` as `estimate` prices. */

/**
 * Options of `PipelineClient.runCost`.
 * @jsii ignore
 */
export interface RunCostOptions {
  /**
   * The Spot discount off On-Demand to assume (0..1).
   * @default 0.65 - `DEFAULT_SPOT_DISCOUNT`, as `estimateCost` assumes
   */
  readonly spotDiscount?: number;
  /**
   * The Fargate Spot discount off Fargate to assume (0..1).
   * @default 0.7 - `DEFAULT_FARGATE_SPOT_DISCOUNT`, as `estimateCost` assumes
   */
  readonly fargateSpotDiscount?: number;
}

/**
 * The compute cost of finished jobs: the hours of every attempt of every job and array child (DescribeJobs; children
 * listed with ListJobs by `arrayJobId`, SUCCEEDED and FAILED), priced as `estimate` prices them.
 */
export async function runCost(aws: AwsCalls, jobIds: string[], options: RunCostOptions): Promise<RunCost> {
  const queues = new Map<string, QueueCapacity>();
  const groups: SizedHours[] = [];
  for (const job of await describeJobs(aws, jobIds)) {
    const runs = job.arrayProperties?.size
      ? await describeJobs(aws, await childIds(aws, job.jobId!, ['SUCCEEDED', 'FAILED']))
      : [job];
    const fargate = job.platformCapabilities?.includes('FARGATE') ?? false;
    const hours = runs.map((r) => attemptHours(r, fargate ? FARGATE_MIN_BILLED_SECONDS * 1000 : 0));
    const queue = queues.get(job.jobQueue!) ?? (await queueCapacity(aws, job.jobQueue!));
    queues.set(job.jobQueue!, queue);
    const size = jobSize(job);
    groups.push({
      hours: hours.reduce((n, h) => n + h.hours, 0),
      attempts: hours.reduce((n, h) => n + h.attempts, 0),
      jobs: runs.length,
      succeeded: runs.filter((r) => r.status === 'SUCCEEDED').length,
      size: size && { vcpus: size.vcpus, memoryMiB: size.memory.toMebibytes(), gpus: size.gpus },
      fargate,
      instanceTypes: queue.types,
      spot: queue.spot,
    });
  }
  return priceRun(
    groups,
    options.spotDiscount ?? DEFAULT_SPOT_DISCOUNT,
    options.fargateSpotDiscount ?? DEFAULT_FARGATE_SPOT_DISCOUNT,
  );
}
