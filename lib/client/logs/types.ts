/** What the `logs` room of the client returns: a job's log, where it is, and why there is none. */

/**
 * The last lines of a job's log, where they were read, or why there are none.
 * @jsii ignore
 */
export interface JobLogTail {
  /** The job (an array child is `<array job id>:<index>`). */
  readonly jobId: string;
  /** Batch's status of the job when read; absent when Batch does not know the job. */
  readonly status?: string;
  /** The CloudWatch Logs group the job's container writes to (its job definition's `awslogs-group`). */
  readonly logGroupName?: string;
  /** The job's log stream (of its last attempt). */
  readonly logStreamName?: string;
  /** The last lines, oldest first. */
  readonly lines: string[];
  /** Why there are no lines: the job never started, its stream is gone, its log is not in CloudWatch Logs. */
  readonly missing?: string;
}

/**
 * A failed job of a run (or the failed item of a workflow run) with the last lines of its log.
 * @jsii ignore
 */
export interface FailedJobLog {
  /** The item, as the run names it: its id and index (`sample-7 (#7)`), or the array child's item index. */
  readonly item?: string;
  /** The step (or the job's name, for a run of jobs) that failed. */
  readonly step?: string;
  /** Why it failed: the error and reason of the item, or Batch's status and container reasons. */
  readonly reason: string;
  /** The container's exit code, when it exited. */
  readonly exitCode?: number;
  /** Its log; absent when no job ran for it (a malformed item, a submit Batch refused), said in `reason`. */
  readonly log?: JobLogTail;
}

/**
 * The failed jobs of a run with their logs.
 * @jsii ignore
 */
export interface FailedJobLogs {
  /** The run: `run <id> on queue <q>` or `workflow run <name>`. */
  readonly run: string;
  /** Each failed job or item, in the run's order. */
  readonly failed: FailedJobLog[];
}

/**
 * How `followJobLog` follows a job.
 * @jsii ignore
 */
export interface FollowJobLogOptions {
  /**
   * Lines of the log already written to show first.
   * @default 50
   */
  readonly lines?: number;
  /**
   * Milliseconds between two looks at the job and its stream.
   * @default 5000
   */
  readonly intervalMs?: number;
  /** Called with each batch of new lines, oldest first. */
  readonly onLines?: (lines: string[]) => void;
  /** Called when the job's status changes while it has no log yet (SUBMITTED, RUNNABLE, STARTING). */
  readonly onStatus?: (status: string) => void;
}

/**
 * How a followed job ended.
 * @jsii ignore
 */
export interface FollowedJobLog {
  /** The job. */
  readonly jobId: string;
  /** Its last status: SUCCEEDED or FAILED, unless its log cannot be followed (`missing`). */
  readonly status: string;
  /** Batch's status reason, when it gives one. */
  readonly statusReason?: string;
  /** The container's exit code, when it exited. */
  readonly exitCode?: number;
  /** The log group read. */
  readonly logGroupName?: string;
  /** The log stream read. */
  readonly logStreamName?: string;
  /** Why the log could not be followed (an array job's parent, a log not in CloudWatch Logs). */
  readonly missing?: string;
}

/** The Batch job that ran an item's step in a workflow run (`PipelineClient.itemStepJob`). */
export interface ItemStepJob {
  /** The job's id. */
  readonly jobId: string;
  /** The job's name, `<run>-<step>-<item index>` (`<run>-<step>` outside a fan-out). */
  readonly jobName: string;
}
