/**
 * What `batch-pipelines report` knows of a run, as one plain JSON-able object (`RunReport`): what `--json` prints and
 * what the HTML page (lib/report) is drawn from. Times are epoch milliseconds, as Batch's `JobDetail` gives them;
 * durations are milliseconds.
 */

/**
 * How one attempt of a job ended, as Batch recorded it.
 * - `succeeded`: the attempt's job succeeded.
 * - `spot-interruption`: Spot reclaimed its host or task (`Host EC2…`, `Your Spot Task was interrupted.`).
 * - `out-of-memory`: the container was killed for memory (`OutOfMemoryError…`).
 * - `spot-wait`: the workflow cancelled it for waiting past its step's `spotWaitLimit` (`Spot wait limit: …`).
 * - `failed`: any other failure (exit code, timeout, image pull, cancellation).
 * - `running` / `queued`: not ended yet.
 * @jsii ignore
 */
export type AttemptEnd =
  'succeeded' | 'spot-interruption' | 'out-of-memory' | 'spot-wait' | 'failed' | 'running' | 'queued';

/**
 * One attempt of an item's step: Batch's attempt (a retry of the job) or the whole job when it has none.
 * @jsii ignore
 */
export interface ReportAttempt {
  /** The Batch job the attempt belongs to. */
  readonly jobId: string;
  /** The queue's name. */
  readonly queue: string;
  /** Whether the queue has a Spot compute environment. */
  readonly spot: boolean;
  /** Memory asked (MiB), when known. */
  readonly memoryMiB?: number;
  /** When it began waiting: the job's `createdAt`, or the end of the attempt before it (a Batch retry). */
  readonly queuedAt: number;
  /** When its container started. */
  readonly startedAt?: number;
  /** When it stopped (Batch's `stoppedAt`). */
  readonly stoppedAt?: number;
  /**
   * When it ended on the timeline: `stoppedAt`; for one cancelled before it ran, the next job of the step's
   * submission (or its own submission); for one not ended, when the report was made.
   */
  readonly endedAt: number;
  /** How it ended. */
  readonly end: AttemptEnd;
  /** It ran On-Demand after an earlier attempt of the same step of the item ran on Spot (an On-Demand fallback). */
  readonly onDemandFallback: boolean;
  /** It asked for more memory than the attempt before it (an out-of-memory escalation). */
  readonly memoryEscalation: boolean;
  /** The container's exit code. */
  readonly exitCode?: number;
  /** Batch's status reason and the container's reason, as Batch gives them. */
  readonly reason?: string;
  /** The attempt's CloudWatch Logs stream. */
  readonly logStreamName?: string;
}

/**
 * One step of one item (or one job of a run of jobs): every attempt, in order.
 * @jsii ignore
 */
export interface ReportItemStep {
  /** The item: its index in the manifest, or its key in the job names when it has none. */
  readonly item: string;
  /** The step (the stage of a run of jobs). */
  readonly step: string;
  /** SUCCEEDED, FAILED, RUNNING or QUEUED: how its last attempt ended. */
  readonly status: 'SUCCEEDED' | 'FAILED' | 'RUNNING' | 'QUEUED';
  /** When its first attempt began waiting. */
  readonly start: number;
  /** When its last attempt stopped (or was last seen). */
  readonly end: number;
  /** Time waiting for capacity, every attempt. */
  readonly queuedMs: number;
  /** Time running, every attempt. */
  readonly runMs: number;
  /** Its attempts. */
  readonly attempts: ReportAttempt[];
}

/**
 * The median and 95th percentile of some durations (ms).
 * @jsii ignore
 */
export interface Spread {
  /** The median (the lower of the two middle values for an even count). */
  readonly median: number;
  /** The 95th percentile, nearest rank. */
  readonly p95: number;
}

/**
 * One step over every item.
 * @jsii ignore
 */
export interface StepSummary {
  /** The step. */
  readonly step: string;
  /** Items that ran it or were served it from the step cache. */
  readonly items: number;
  /** Items whose last attempt succeeded. */
  readonly succeeded: number;
  /** Items whose last attempt failed. */
  readonly failed: number;
  /** Items served from the step cache (no job ran). */
  readonly cached: number;
  /** Time items waited for capacity (every attempt of an item's step). */
  readonly queued: Spread;
  /** Time items ran (every attempt of an item's step). */
  readonly run: Spread;
  /** Hours of every attempt. */
  readonly jobHours: number;
  /** USD at On-Demand (or Fargate) prices, as `watch` prices a run. */
  readonly onDemandUsd: number;
  /** USD at the Spot discount, when a queue of the step is Spot. */
  readonly spotUsd?: number;
  /** Job-hours that could not be priced (a size or instance type the catalog does not know). */
  readonly unpricedJobHours: number;
  /** Attempts ended by a Spot interruption. */
  readonly spotInterruptions: number;
  /** Attempts that ran On-Demand after Spot. */
  readonly onDemandFallbacks: number;
  /** Attempts that asked for more memory after an out-of-memory kill. */
  readonly memoryEscalations: number;
}

/**
 * One link of the critical path: an item's step, and what it spent waiting and running.
 * @jsii ignore
 */
export interface PathLink {
  /** The item (`(run)` for a step of the run as a whole). */
  readonly item: string;
  /** The step. */
  readonly step: string;
  /** When its first attempt was submitted. */
  readonly start: number;
  /** When its last attempt ended. */
  readonly end: number;
  /** Time waiting for capacity, every attempt. */
  readonly queuedMs: number;
  /** Time running, every attempt. */
  readonly runMs: number;
}

/**
 * Where the wall time went.
 * @jsii ignore
 */
export interface TimeShares {
  /** From the first job's submission to the last one's end. */
  readonly wallMs: number;
  /** Wall time during which at least one job ran. */
  readonly runningMs: number;
  /** Wall time during which jobs waited for capacity and none ran. */
  readonly waitingMs: number;
  /** Wall time with no job queued or running (the workflow between steps, or the run not started). */
  readonly idleMs: number;
  /** Job-hours spent waiting for capacity, every attempt. */
  readonly queuedJobHours: number;
  /** Job-hours spent running, every attempt. */
  readonly runJobHours: number;
}

/**
 * An item from its first job's submission to its last job's end.
 * @jsii ignore
 */
export interface SlowItem {
  /** The item. */
  readonly item: string;
  /** From its first submission to its last end. */
  readonly spanMs: number;
  /** Time waiting for capacity, every attempt of every step. */
  readonly queuedMs: number;
  /** Time running, every attempt of every step. */
  readonly runMs: number;
  /** Attempts over its steps. */
  readonly attempts: number;
}

/**
 * A step of an item that failed, with what to read and what to run.
 * @jsii ignore
 */
export interface ReportFailure {
  /** The item. */
  readonly item: string;
  /** The item's id (the fan-out's `idField`), when the run's outcomes name it. */
  readonly itemId?: string;
  /** The step that failed. */
  readonly step: string;
  /** Its last job. */
  readonly jobId: string;
  /** Batch's status reason and the container's reason. */
  readonly reason: string;
  /** The container's exit code, when it exited. */
  readonly exitCode?: number;
  /** The log group read. */
  readonly logGroupName?: string;
  /** The log stream of its last attempt. */
  readonly logStreamName?: string;
  /** The log's last lines (empty when it could not be read: see `logMissing`). */
  readonly logLines: string[];
  /** Why there are no log lines, when there are none. */
  readonly logMissing?: string;
  /** The command that shows the whole log. */
  readonly logsCommand: string;
}

/**
 * What the cost model predicts for a step of this run beside what the run used.
 * @jsii ignore
 */
export interface StepEstimate {
  /** The step. */
  readonly step: string;
  /** Items the estimate was asked for (those that ran the step). */
  readonly items: number;
  /** The hours one item runs, as the estimate was told: the step's median run time of a succeeded attempt. */
  readonly hoursPerItem: number;
  /** Job-hours the model predicts, Spot re-run overhead included. */
  readonly estimatedJobHours: number;
  /** Job-hours the run used (every attempt). */
  readonly actualJobHours: number;
  /** USD the model predicts on Batch Spot (On-Demand when the step's queues have no Spot). */
  readonly estimatedUsd?: number;
  /** USD the run used, priced the same way. */
  readonly actualUsd?: number;
  /** Hours the model predicts the step's items take at the run's concurrency (its makespan). */
  readonly estimatedMakespanHours: number;
  /** Hours from the step's first submission to its last end. */
  readonly actualSpanHours: number;
  /** Why the model could not price it, when it could not. */
  readonly note?: string;
}

/**
 * A run, as `batch-pipelines report` reads it: what every item's steps did, per step, where the time went, what
 * failed, and the estimate beside the actual. Plain JSON: what `report --json` prints.
 * @jsii ignore
 */
export interface RunReport {
  /** `report` data format: changes when a field changes meaning. */
  readonly version: 1;
  /** What was read: a workflow execution or a run of jobs on a queue. */
  readonly run: {
    /** `execution` (a workflow run) or `jobs` (a run of jobs on a queue). */
    readonly kind: 'execution' | 'jobs';
    /** The execution's name or the run id. */
    readonly name: string;
    /** The execution's ARN. */
    readonly executionArn?: string;
    /** The queue (run of jobs). */
    readonly queue?: string;
    /** SUCCEEDED, FAILED, RUNNING, ... (an execution's status; for jobs, whether all ended well). */
    readonly status: string;
    /** When it began: the execution's start, or the first job's submission. */
    readonly start: number;
    /** When it ended: the execution's stop, or the last job's end (the report's time while it runs). */
    readonly end: number;
    /** When the report was made. */
    readonly generatedAt: number;
  };
  /** Items seen (distinct item keys over every step). */
  readonly items: number;
  /** Jobs (and array children) read. */
  readonly jobs: number;
  /** Their attempts. */
  readonly attempts: number;
  /** The run's total, as `watch` prices it. */
  readonly cost: {
    /** Hours of every attempt. */
    readonly jobHours: number;
    /** USD at On-Demand (or Fargate) prices. */
    readonly onDemandUsd: number;
    /** USD at the Spot discount, when a queue is Spot. */
    readonly spotUsd?: number;
    /** Job-hours that could not be priced. */
    readonly unpricedJobHours: number;
    /** How it was priced, one phrase per job size. */
    readonly basis: string[];
  };
  /** Per step, in the order the steps began. */
  readonly steps: StepSummary[];
  /** Where the wall time went. */
  readonly time: TimeShares;
  /** The chain of steps that ended last, first link first. */
  readonly criticalPath: PathLink[];
  /** The items that took longest, slowest first. */
  readonly slowest: SlowItem[];
  /** Every step of an item that failed, by step and item. */
  readonly failures: ReportFailure[];
  /** The command that reruns what failed, when something did. */
  readonly rerun?: string;
  /** Per step, the cost model's estimate beside the actual. */
  readonly estimate: StepEstimate[];
  /** Every item's steps, in the order they started. */
  readonly itemSteps: ReportItemStep[];
  /** What could not be read, in words (a queue's capacity, a log). */
  readonly notes: string[];
}
