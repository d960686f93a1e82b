import type { JobDetail } from '@aws-sdk/client-batch';
import { BATCH_DEFAULT_LOG_GROUP } from '../../private/limits';

/**
 * Where a Batch job's log is, from its description: the log group its job definition's `awslogs-group` names (this
 * library's job definitions name their pipeline's own group) or Batch's default, and the stream Batch gives each
 * attempt's container once it is RUNNING (`<awslogs-stream-prefix>/default/<ECS task id>`).
 * @see https://docs.aws.amazon.com/batch/latest/userguide/using_awslogs.html (awslogs-group: "If not specified, aws/batch/job is used")
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ContainerDetail.html (logStreamName: "Each container attempt receives a log stream name when they reach the RUNNING status"; logConfiguration)
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_AttemptContainerDetail.html (each attempt's logStreamName)
 */

/** The statuses of a job whose container has not run yet. */
const NOT_STARTED = new Set(['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING']);

/** Where a job's log is, or why it has none. */
export interface JobLogLocation {
  readonly logGroupName?: string;
  readonly logStreamName?: string;
  /** Why there is no log to read. */
  readonly missing?: string;
  /** Whether a log may still appear (the job has not started yet). */
  readonly pending?: boolean;
}

/** Where `job`'s log is: its last attempt's stream in its definition's group; or why there is none (yet). */
export function logLocationOf(job: JobDetail): JobLogLocation {
  const id = job.jobId ?? 'the job';
  if (job.arrayProperties?.size !== undefined && job.arrayProperties.index === undefined) {
    return {
      missing:
        `job ${id} is an array job of ${job.arrayProperties.size} children: each child has its own log. ` +
        `Fix: ask for a child, e.g. --job-id ${id}:0`,
    };
  }
  if (job.nodeProperties && !job.container) {
    return {
      missing: `job ${id} is a multi-node parallel job: each node has its own log. Fix: ask for a node, e.g. --job-id ${id}#0`,
    };
  }
  const config = job.container?.logConfiguration;
  if (config?.logDriver && config.logDriver !== 'awslogs') {
    return { missing: `job ${id} logs with the ${config.logDriver} driver: its log is not in CloudWatch Logs` };
  }
  const logGroupName = config?.options?.['awslogs-group'] ?? BATCH_DEFAULT_LOG_GROUP;
  const attempts = job.attempts ?? [];
  const logStreamName =
    job.container?.logStreamName ??
    [...attempts].reverse().find((a) => a.container?.logStreamName)?.container?.logStreamName;
  if (logStreamName) {
    return { logGroupName, logStreamName };
  }
  const status = job.status ?? 'UNKNOWN';
  if (NOT_STARTED.has(status)) {
    return { logGroupName, pending: true, missing: `job ${id} has not started (${status}): it has no log yet` };
  }
  const why = [job.statusReason, job.container?.reason].filter((r) => r).join('; ');
  return {
    logGroupName,
    missing: `job ${id} ${status === 'FAILED' ? 'failed' : `is ${status}`} before its container ran${why ? ` (${why})` : ''}: it wrote no log`,
  };
}
