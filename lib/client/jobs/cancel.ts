import { listRunJobs } from './describe';
import { AwsCalls } from '../aws-calls';

/** Stopping a run of jobs: queued ones cancelled, started ones terminated. */

/** What `cancelJobs` records on each job when no reason is given. */
export const DEFAULT_CANCEL_REASON = 'Cancelled with batch-pipelines cancel';

/**
 * Options of `PipelineClient.cancelJobs`.
 * @jsii ignore
 */
export interface CancelJobsOptions {
  /**
   * Recorded on each job (its status reason).
   * @default 'Cancelled with batch-pipelines cancel'
   */
  readonly reason?: string;
}

/**
 * What `cancelJobs` did.
 * @jsii ignore
 */
export interface CancelResult {
  /** Queued jobs cancelled. */
  readonly cancelled: number;
  /** Started jobs terminated. */
  readonly terminated: number;
}

/** Cancels queued jobs and terminates started ones of a run. Returns how many of each. */
export async function cancelJobs(
  aws: AwsCalls,
  jobQueue: string,
  runId: string,
  options: CancelJobsOptions,
): Promise<CancelResult> {
  const reason = options.reason ?? DEFAULT_CANCEL_REASON;
  let cancelled = 0;
  let terminated = 0;
  for (const job of await listRunJobs(aws, jobQueue, runId)) {
    if (job.status === 'SUBMITTED' || job.status === 'PENDING' || job.status === 'RUNNABLE') {
      await aws.call(() => aws.batch.send(new aws.sdk.batch.CancelJobCommand({ jobId: job.jobId, reason })));
      cancelled++;
    } else if (job.status === 'STARTING' || job.status === 'RUNNING') {
      await aws.call(() => aws.batch.send(new aws.sdk.batch.TerminateJobCommand({ jobId: job.jobId, reason })));
      terminated++;
    }
  }
  return { cancelled, terminated };
}
