import type { JobDetail } from '@aws-sdk/client-batch';
import { AwsCalls } from './aws-calls';
import { describeJobs } from './jobs/describe';
import { jobSize, queueCapacity, QueueCapacity } from './queue-capacity';
import { fitOnInstances } from '../compute/fit';
import { InstanceCatalog } from '../compute/instance-catalog';

/** Jobs stuck in RUNNABLE, each with Batch's reason translated into a fix. */

/** Minutes in RUNNABLE after which a job counts as stuck: capacity scaling from zero takes a few minutes. */
export const DEFAULT_STUCK_MINUTES = 30;

/**
 * Options of `PipelineClient.diagnose`.
 * @jsii ignore
 */
export interface DiagnoseOptions {
  /**
   * Jobs RUNNABLE for longer than this many minutes are reported.
   * @default 30
   */
  readonly olderThanMinutes?: number;
}

/**
 * A job stuck in RUNNABLE, and what to do about it.
 * @jsii ignore
 */
export interface StuckJob {
  /** Batch's job id. */
  readonly jobId: string;
  /** The job's name. */
  readonly jobName: string;
  /** Minutes since it was created. */
  readonly minutesRunnable: number;
  /** Batch's status reason, if it gave one. */
  readonly statusReason?: string;
  /** Batch's reason translated into a fix. */
  readonly diagnosis: string;
}

/**
 * Jobs RUNNABLE for longer than `olderThanMinutes` on a queue, each with Batch's reason translated into a fix. When
 * the job's size is known, it is checked against the queue's instance types with the library's fit check.
 */
export async function diagnose(aws: AwsCalls, jobQueue: string, options: DiagnoseOptions): Promise<StuckJob[]> {
  const olderThanMinutes = options.olderThanMinutes ?? DEFAULT_STUCK_MINUTES;
  const summaries = await aws.all(
    (nextToken) => aws.batch.send(new aws.sdk.batch.ListJobsCommand({ jobQueue, jobStatus: 'RUNNABLE', nextToken })),
    (page) => page.jobSummaryList,
  );
  const now = aws.now();
  const stuck = summaries.filter((j) => (now - (j.createdAt ?? now)) / 60_000 > olderThanMinutes);
  if (stuck.length === 0) {
    return [];
  }
  const details = await describeJobs(
    aws,
    stuck.map((j) => j.jobId!),
  );
  const queue = await queueCapacity(aws, jobQueue);
  return details.map((job) => ({
    jobId: job.jobId!,
    jobName: job.jobName!,
    minutesRunnable: Math.round((now - (job.createdAt ?? now)) / 60_000),
    statusReason: job.statusReason,
    diagnosis: explain(job, queue),
  }));
}

/** Batch's reason for a RUNNABLE job, with the queue's capacity and the job's size, in words and with the fix. */
function explain(job: JobDetail, queue: QueueCapacity): string {
  const reason = job.statusReason ?? '';
  const invalid = queue.states.length ? ` Compute environments: ${queue.states.join('; ')}.` : '';
  const size = jobSize(job);
  const tooBig = reason.startsWith('MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT');
  // Batch gives MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT only to the job at the head of the queue, the one blocking
  // it (https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html); a job behind it that fits no
  // instance type has no reason yet and is stuck all the same. So the fit check runs with that reason, or without
  // one when the queue lists exact instance sizes the catalog knows (a family or `optimal` may hold larger sizes).
  if (size && queue.types.length > 0 && (tooBig || (!reason && queue.exact))) {
    const fit = fitOnInstances(size, queue.types);
    if (!fit.fits) {
      const largest = fit.largestInstanceType;
      const families = new Set(queue.types.map((t) => InstanceCatalog.tryLookup(t)?.family ?? t));
      const suggestion = InstanceCatalog.all()
        .filter((i) => families.has(i.family) && fitOnInstances(size, [i.name]).fits)
        .sort((a, b) => a.onDemandHourlyUsd - b.onDemandHourlyUsd)[0];
      return (
        `The job asks for ${size.vcpus} vCPU / ${size.memory.toMebibytes()} MiB${size.gpus ? ` / ${size.gpus} GPU` : ''}, ` +
        `which fits none of the queue's instance types (${queue.types.join(', ')}; largest usable memory ` +
        `${fit.largestUsableMemoryMiB ?? 0} MiB on ${largest ?? 'none'}). Ask for at most ` +
        `${Math.floor((fit.largestUsableMemoryMiB ?? 0) / 1024)} GiB${suggestion ? `, or add ${suggestion.name}` : ''}.${invalid}`
      );
    }
    if (tooBig) {
      return (
        `Batch reports that no instance type can hold the job (${reason}), yet it fits ` +
        `${fit.placements[0]?.instanceType} of the queue by the instance catalog. Batch has been seen to report this ` +
        `for a few minutes while a compute environment scales up; if it stays, compare the job's request with the ` +
        `compute environments' instance types.${invalid}`
      );
    }
  }
  if (tooBig) {
    return `No instance type of the queue's compute environments can hold the job's vCPU/memory/GPU request: lower it or add larger instance types.${invalid}`;
  }
  if (reason.startsWith('MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE')) {
    return (
      `The job needs more vCPUs${size ? ` (${size.vcpus})` : ''} than the compute environments' maxvCpus ` +
      `(${queue.maxvCpus.join(', ')}): raise maxvCpus or ask for fewer vCPUs.${invalid}`
    );
  }
  if (reason.startsWith('CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY')) {
    return `EC2 has no capacity for the queue's instance types right now: add instance types or subnets in more Availability Zones, or wait.${invalid}`;
  }
  if (invalid) {
    return `A compute environment of the queue is INVALID, so nothing scales up.${invalid}`;
  }
  if (reason) {
    return (
      `Batch says: ${reason}. Capacity may still be scaling up (instances take minutes from zero); if it stays, ` +
      `check the account's EC2 or Spot vCPU quota and that the compute environments are ENABLED.`
    );
  }
  return (
    `No reason from Batch yet: capacity may still be scaling up (instances take minutes from zero). If it stays, ` +
    `check the account's EC2 or Spot vCPU quota and that the compute environments are ENABLED.`
  );
}
