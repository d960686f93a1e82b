import type { JobDetail } from '@aws-sdk/client-batch';
import { describeJobs } from './describe';
import { ALL_STATUSES, countStatuses, StatusCounts } from './status';
import { AwsCalls, PollOptions } from '../aws-calls';

/** Following a run of jobs: counts per status, polled until every job is done. */

/**
 * When a run of jobs began and, once every job is done, when it ended.
 * @jsii ignore
 */
export interface JobsSpan {
  /** When the first of the jobs was submitted (`createdAt`). */
  readonly startedAt?: Date;
  /** When the last of them stopped (`stoppedAt`), once every one has; absent while any runs. */
  readonly stoppedAt?: Date;
}

/**
 * Options of `PipelineClient.watchJobs`.
 * @jsii ignore
 */
export interface WatchJobsOptions extends PollOptions {
  /**
   * Called after each look with the counts per status and the jobs' span (a run that already ended has its end).
   * @default - nothing is called; only the final counts are returned
   */
  readonly onProgress?: (counts: StatusCounts, span: JobsSpan) => void;
}

/** Counts per status, array jobs counted by their children (from Batch's status summary). */
export async function jobProgress(aws: AwsCalls, jobIds: string[]): Promise<StatusCounts> {
  return countStatuses(await describeJobs(aws, jobIds));
}

/** Polls until every job is done (SUCCEEDED or FAILED); returns the last counts. */
export async function watchJobs(aws: AwsCalls, jobIds: string[], options: WatchJobsOptions): Promise<StatusCounts> {
  const open = (counts: StatusCounts) =>
    ALL_STATUSES.filter((s) => s !== 'SUCCEEDED' && s !== 'FAILED').reduce((n, s) => n + counts[s], 0);
  const last = await aws.poll(
    async () => {
      const jobs = await describeJobs(aws, jobIds);
      return { counts: countStatuses(jobs), span: spanOf(jobs) };
    },
    (look) => open(look.counts) === 0,
    options.onProgress && ((look) => options.onProgress!(look.counts, look.span)),
    options,
  );
  return last.counts;
}

/**
 * From the first job's submission to the last one's end, once every job has ended (SUCCEEDED or FAILED). A job has
 * `stoppedAt` only if it ran ("when the job transitioned from the RUNNING state to a terminal state"): one cancelled
 * before it ran ends when it was last seen to change, its start or its creation.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html
 */
export function spanOf(jobs: JobDetail[]): JobsSpan {
  const created = jobs.map((j) => j.createdAt).filter((t): t is number => t !== undefined);
  const done = jobs.length > 0 && jobs.every((j) => j.status === 'SUCCEEDED' || j.status === 'FAILED');
  const ends = jobs.map((j) => j.stoppedAt ?? j.startedAt ?? j.createdAt).filter((t): t is number => t !== undefined);
  return {
    startedAt: created.length ? new Date(Math.min(...created)) : undefined,
    stoppedAt: done && ends.length ? new Date(Math.max(...ends)) : undefined,
  };
}
