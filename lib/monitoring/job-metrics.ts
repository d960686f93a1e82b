/**
 * CloudWatch namespace of the job metrics `PipelineMonitoring` derives from Batch job state changes (Batch publishes
 * none of its own). Dimension: `JobQueue` (the queue ARN).
 */
export const JOB_METRICS_NAMESPACE = 'CdkBatchPipelines/Jobs';

/** Job metrics derived from Batch job state changes, counted per queue. */
export enum JobMetric {
  /** Jobs that entered RUNNABLE (queued, waiting for capacity). */
  RUNNABLE = 'JobsRunnable',
  /** Jobs that entered STARTING (placed on capacity). */
  STARTING = 'JobsStarting',
  /** Jobs that succeeded. */
  SUCCEEDED = 'JobsSucceeded',
  /** Jobs that failed for good (retries used up). */
  FAILED = 'JobsFailed',
  /** Attempts ended by a Spot reclaim (`Host EC2*`). */
  SPOT_INTERRUPTIONS = 'SpotInterruptions',
}
