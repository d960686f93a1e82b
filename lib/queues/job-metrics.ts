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
  /**
   * Jobs waiting in RUNNABLE when the queue probe last looked (every 5 minutes; counts up to 100). A gauge: read it
   * with the Minimum statistic ("waited the whole period") or Maximum, not Sum.
   */
  WAITING = 'JobsWaiting',
  /** Jobs RUNNING when the queue probe last looked (counts up to 100). A gauge, like `WAITING`. */
  RUNNING = 'JobsRunning',
  /**
   * 1 when the queue probe saw a RUNNABLE job that Batch reports as blocking the queue (a `CAPACITY:` or
   * `MISCONFIGURATION:` status reason), else 0. A gauge, like `WAITING`.
   */
  BLOCKED = 'QueueBlocked',
  /**
   * "Batch Job Queue Blocked" events: Batch found a RUNNABLE job (an array child too) blocking the queue, with the
   * reason (`CAPACITY:`, `MISCONFIGURATION:`). Counted per queue, like `FAILED`.
   * @see https://docs.aws.amazon.com/batch/latest/userguide/batch-job-queue-blocked-events.html
   */
  BLOCKED_EVENTS = 'QueueBlockedEvents',
}
