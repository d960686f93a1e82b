import { FARGATE_SPOT_REASON_PATTERN, MAX_RETRY_ATTEMPTS, SPOT_RECLAIM_REASON_PATTERN } from '../private/limits';

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
  /**
   * Attempts ended by a Spot reclaim (status reason `Host EC2*`, or `Your Spot Task was interrupted*` on Fargate Spot),
   * counted once per attempt when the job ends (SUCCEEDED or FAILED), from its list of attempts: a retried job's
   * later events are not counted again. See `spotInterruptionFilterPatterns`.
   */
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

/**
 * The CloudWatch Logs filter patterns that count `JobMetric.SPOT_INTERRUPTIONS` from the job state change events, one
 * per attempt index (a job has at most `MAX_RETRY_ATTEMPTS` attempts): pattern i matches the event that ends a job
 * (SUCCEEDED or FAILED) whose attempt i was ended by a Spot reclaim. Each attempt is so counted once, whatever number
 * of events the job had: a retried job goes back to RUNNABLE and through STARTING and RUNNING again, each an event
 * whose job-level `statusReason` a filter on it would count again, or miss once another attempt replaced it.
 *
 * The job's detail lists every attempt with the status reason that ended it (AttemptDetail.statusReason), as a
 * captured `describe-jobs` of a job reclaimed once shows: attempt 1 "Host EC2 (instance i-04b17daec78ef4a0b)
 * terminated.", attempt 2 "Essential container in task exited" (awslabs/ec2-spot-workshops,
 * content/rendering-with-batch/monitor/optional_fis.md). An event can arrive twice (Batch delivers at least once),
 * and counts twice then.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_AttemptDetail.html
 * @see https://docs.aws.amazon.com/batch/latest/userguide/job_retries.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html (JSON arrays: `$.a[0].b`)
 */
export function spotInterruptionFilterPatterns(): string[] {
  return Array.from({ length: MAX_RETRY_ATTEMPTS }, (_, i) => {
    const reason = `$.detail.attempts[${i}].statusReason`;
    return (
      '{ ($.detail.status = "SUCCEEDED" || $.detail.status = "FAILED") && ' +
      `(${reason} = "${SPOT_RECLAIM_REASON_PATTERN}" || ${reason} = "${FARGATE_SPOT_REASON_PATTERN}") }`
    );
  });
}
