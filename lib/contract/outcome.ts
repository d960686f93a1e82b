/**
 * Why an item or step failed, as the workflow reports it in `ItemOutcome.kind` (and in the error name
 * `<step>.<kind>`).
 */
export enum FailureKind {
  /** Killed for memory (`OutOfMemoryError…` in the container's reason) on its last memory level. */
  OUT_OF_MEMORY = 'OutOfMemory',
  /** Its Spot capacity was reclaimed on every attempt (EC2 `Host EC2…`, Fargate `Your Spot Task was interrupted.`). */
  SPOT_INTERRUPTED = 'SpotInterrupted',
  /** Ran past the job timeout (`Job attempt duration exceeded timeout`). */
  TIMED_OUT = 'TimedOut',
  /** The container exited with a non-zero code. */
  APPLICATION_ERROR = 'ApplicationError',
  /** Batch ended the job for another reason (image pull, cancellation…): see the status and container reasons. */
  JOB_FAILED = 'JobFailed',
  /** Batch did not accept the job (a client error, or throttling and server errors after the retries). */
  SUBMIT_FAILED = 'SubmitFailed',
  /** Batch refused the job because the pipeline's budget stop (PipelineBudget) denies new work. */
  BUDGET_STOPPED = 'BudgetStopped',
  /** The item lacks a declared field, or a field is not a string (a malformed manifest line). */
  INVALID_ITEM = 'InvalidItem',
  /** A Step Functions error that is none of the above (permissions, data limits). */
  WORKFLOW_ERROR = 'WorkflowError',
}

/** The status of an item or of a fan-out as a whole. */
export enum OutcomeStatus {
  /** Every step of the item succeeded (of the fan-out: every item did). */
  SUCCEEDED = 'SUCCEEDED',
  /** Some items failed, within the fan-out's partial-success policy: the steps after it ran over the rest. */
  PARTIAL = 'PARTIAL',
  /** A step of the item failed (of the fan-out: more items failed than its partial-success policy allows). */
  FAILED = 'FAILED',
}

/**
 * What a workflow reports for one item of a fan-out: every item ends with exactly one, whether the run succeeds or
 * fails. With `results` they are in S3 (the Distributed Map's result files: succeeded items' outputs, failed items'
 * causes), otherwise in the execution output under `<fan-out>Outcomes`. Fields other than `index` and `status` are
 * present when known.
 */
export interface ItemOutcome {
  /** Position of the item in the input list or manifest, from 0. */
  readonly index: number;
  /**
   * The item's id: the value of the fan-out's `idField` (absent from an `Item.Invalid` record, whose id may be the
   * very field that is missing).
   */
  readonly id?: string;
  /** SUCCEEDED or FAILED. */
  readonly status: string;
  /** The step that failed. */
  readonly step?: string;
  /** `<step>.<kind>`, or `Item.Invalid`. */
  readonly error?: string;
  /** A `FailureKind` value. */
  readonly kind?: string;
  /** What happened and what to do, in words. */
  readonly reason?: string;
  /**
   * The container's exit code; `null` when it never exited (e.g. Spot reclaimed the host). Other languages do not see
   * this field (jsii has no `null`): read it from the record's JSON.
   * @jsii ignore
   */
  readonly exitCode?: number | null;
  /** The container's reason, e.g. `OutOfMemoryError: Container killed due to memory usage`. */
  readonly containerReason?: string;
  /** Batch's status reason, e.g. `Host EC2 (instance i-…) terminated.` */
  readonly statusReason?: string;
  /** CloudWatch Logs stream of the last attempt. */
  readonly logStream?: string;
  /** Batch job id of the last submission. */
  readonly jobId?: string;
  /** Batch attempts of the last submission. */
  readonly attempts?: number;
  /** The queue of the last submission. */
  readonly queue?: string;
  /** Memory of the last submission (MiB). */
  readonly memoryMiB?: number;
  /**
   * The step at which the item lost its Spot capacity (interruptions that used up the job's retries, the queue's
   * capacity cancel, or the step's `spotWaitLimit`): it and the item's later steps ran On-Demand. Succeeded items
   * only; a failed item's record names its last submission's `queue`. Not reported for a step inside a parallel
   * level of the item (`callVariants` and `qc` after `align`): a Parallel state's branches do not hand their state
   * back, so the loss is known there only to that branch.
   */
  readonly onDemandFrom?: string;
  /** Why the item left Spot: Batch's status reason of the Spot attempt it left, e.g. `Spot wait limit: …`. */
  readonly onDemandReason?: string;
  /**
   * The steps served from the step cache instead of running, each with what produced its result:
   * `{ align: { producedBy: 'run <run> job <job id>' } }` (succeeded items of a cached fan-out; `{}` when every step
   * ran).
   */
  readonly cached?: { [step: string]: CachedStepRecord };
}

/** A step served from the step cache (`ItemOutcome.cached`). */
export interface CachedStepRecord {
  /** What produced the cached result: `run <run name> job <Batch job id>`. */
  readonly producedBy: string;
}
