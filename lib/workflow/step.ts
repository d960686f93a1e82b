import { Duration, Size } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Job } from '../jobs/job';
import { IJobQueue } from '../queues/job-queue-base';
import type { KnownKeys } from '../private/known-props';

/** How a fan-out runs its items. */
export enum FanOutMode {
  /**
   * Inline for small fan-outs (at most 40 at once and an estimated history well under 25,000 events), Distributed
   * otherwise.
   */
  AUTO = 'AUTO',
  /** Inline Map: at most 40 items at once, all items share the execution's 25,000-event history. */
  INLINE = 'INLINE',
  /** Distributed Map: each item runs as a child execution with its own history; up to 10,000 at once. */
  DISTRIBUTED = 'DISTRIBUTED',
}

/** A JSON manifest in S3 that lists the items (a JSON array of objects), read by the Distributed Map itself. */
export interface ManifestSource {
  /** The bucket manifests are in; the workflow may read objects only under `prefix` of it. */
  readonly bucket: s3.IBucket;
  /**
   * Key prefix of manifests.
   * @default 'manifests/'
   */
  readonly prefix?: string;
  /**
   * Where the execution input names the manifest's bucket.
   * @default '$.manifest.bucket'
   */
  readonly bucketPath?: string;
  /**
   * Where the execution input names the manifest's key.
   * @default '$.manifest.key'
   */
  readonly keyPath?: string;
}

/** Every prop of `ManifestSource`, for the run-time check of keys (lib/private/known-props.ts). */
export const MANIFEST_SOURCE_KEYS: KnownKeys<ManifestSource> = {
  bucket: true,
  prefix: true,
  bucketPath: true,
  keyPath: true,
};

/**
 * Where a Distributed Map writes each item's outcome, instead of keeping it in the execution state (which holds only
 * as many items as their outcomes fit in 256 KiB: see `FanOutOptions.results`). Needed for runs of more items.
 */
export interface ResultsDestination {
  /** The bucket; the workflow may write objects only under `prefix` of it. */
  readonly bucket: s3.IBucket;
  /**
   * Key prefix: each run writes `<prefix><map run id>/manifest.json` and the outcome files it lists.
   * @default 'results/'
   */
  readonly prefix?: string;
}

/** Every prop of `ResultsDestination`, for the run-time check of keys (lib/private/known-props.ts). */
export const RESULTS_DESTINATION_KEYS: KnownKeys<ResultsDestination> = { bucket: true, prefix: true };

/** Options of a fan-out over the items of an input list. */
export interface FanOutOptions {
  /**
   * Read the items from a JSON manifest in S3 instead of the execution input (Distributed Map only). The input
   * then names the manifest: `{ "manifest": { "bucket": "...", "key": "manifests/batch-42.json" } }`. Requires
   * `results`: a manifest's length is known only at run time, and outcomes kept in the state would fail the run
   * (uncatchably) beyond 256 KiB.
   * @default - items are in the execution input at `itemsPath`
   */
  readonly manifest?: ManifestSource;
  /**
   * Write each item's outcome to S3 instead of the execution output (Distributed Map only). The execution state then
   * holds no per-item data, so a run is not limited to as many items as their outcomes fit in the 256 KiB state (each
   * item is reserved room for its input and its longest outcome record, ITEM_BYTES + OUTCOME_BYTES: 134 items at the
   * default record size, MAX_ITEMS_IN_STATE); with `manifest` a run can have tens of thousands. Every item runs to its
   * end; then the failure policy is applied to the Map Run's counts.
   * @default - outcomes are listed in the execution output (at most as many items per run as their outcomes fit in
   * the state: 134 at the default record size; required with `manifest`)
   */
  readonly results?: ResultsDestination;
  /**
   * Where the items are in the execution input (a JSON array of objects), e.g. `'$.samples'`.
   * @default '$.items' - the execution input's `items` field; unused with `manifest`
   */
  readonly itemsPath?: string;
  /**
   * The item field that identifies an item in outcomes, job names' console view and checkpoint paths, e.g.
   * `'sampleId'`.
   * @default 'id'
   */
  readonly idField?: string;
  /**
   * Fields every item carries, each a string. Each item is checked for them, and for every other item path its
   * steps read (`shareIdentifier: '$.item.lab'` a string, `arraySizePath: '$.item.chunks'` a number), before any of
   * its jobs is submitted: an item that lacks one (a malformed manifest line) fails alone with `Item.Invalid`, the
   * others run. Job parameters and environment overrides may read them; a job parameter with the same name as a field
   * is filled from it. List every field the jobs' `Ref::` parameters read, e.g.
   * `['sampleId', 'inputUri', 'outputUri']`.
   * @default - just the id field (`[idField]`)
   */
  readonly itemFields?: string[];
  /**
   * How many items run at once.
   * @default 50
   */
  readonly maxConcurrency?: number;
  /**
   * How many items a run usually has: sizes the history estimate and the execution timeout.
   * @default 500
   */
  readonly expectedItems?: number;
  /**
   * Inline or Distributed Map.
   * @default FanOutMode.AUTO
   */
  readonly mode?: FanOutMode;
  /**
   * Partial success, as a count: when more items than this failed, the steps after the fan-out (the cohort step) do
   * not run and the execution fails with `<fan-out>.TooManyItemsFailed`. Every item runs to its end either way, and
   * every item has an outcome. Within the policy the later steps run, the execution succeeds, and its output says
   * `PARTIAL` with the failed items.
   * @default - no count limit when `maxFailedPercentage` applies; give 0 to stop at any failed item
   */
  readonly maxFailedItems?: number;
  /**
   * Partial success, as a share of the items (0..100): when more than this percentage of the items failed, the steps
   * after the fan-out do not run and the execution fails.
   * @default 10 when neither this nor `maxFailedItems` is given - a few failed samples (a bad input, a tool crash)
   * still let the cohort step run over the rest, while a systemic failure (a broken image, a full disk) stops the run
   * before it spends more; otherwise no percentage limit
   */
  readonly maxFailedPercentage?: number;
  /**
   * Item fields that name S3 objects the steps read, as `s3://<bucket>/<key>` URIs in a bucket you give: a cached step
   * that reads such a field is cached under the object's ETag too (read with HeadObject when the item starts), so a
   * changed object runs the step again for that item, even when its URI is the same. A URI the workflow cannot check
   * (another bucket or prefix, a key of more than 16 parts or with an empty one, an object it cannot read) leaves the
   * steps that read it uncached for that item: they run every time, never from a stale result. Only with a step
   * cache (`WorkflowProps.cache`).
   * @default - none: a step's key has the field's value (the URI) but not the object's content
   */
  readonly inputObjects?: InputObjects[];
}

/** Item fields whose values are S3 object URIs in one bucket (`FanOutOptions.inputObjects`). */
export interface InputObjects {
  /** The item field, one of `itemFields`, e.g. `'inputUri'`. */
  readonly field: string;
  /** The bucket its objects are in: the workflow may HeadObject under `prefix` of it. */
  readonly bucket: s3.IBucket;
  /**
   * Key prefix of the objects.
   * @default '' - any key of the bucket
   */
  readonly prefix?: string;
}

/** Every prop of `InputObjects`, for the run-time check of keys (lib/private/known-props.ts). */
export const INPUT_OBJECTS_KEYS: KnownKeys<InputObjects> = { field: true, bucket: true, prefix: true };

/** Every prop of `FanOutOptions`, for the run-time check of keys (lib/private/known-props.ts). */
export const FAN_OUT_OPTIONS_KEYS: KnownKeys<FanOutOptions> = {
  manifest: true,
  results: true,
  itemsPath: true,
  idField: true,
  itemFields: true,
  maxConcurrency: true,
  expectedItems: true,
  mode: true,
  maxFailedItems: true,
  maxFailedPercentage: true,
  inputObjects: true,
};

/** The default partial-success policy: more than 10% of the items failed stops the steps after the fan-out. */
export const DEFAULT_MAX_FAILED_PERCENTAGE = 10;

/** A stage that runs its steps once per item of an input list, then continues when every item is done. */
export class FanOut {
  /** Where the items are. */
  public readonly itemsPath: string;
  /** The identifying field. */
  public readonly idField: string;
  /** Items at once. */
  public readonly maxConcurrency: number;
  private readonly fields: string[];
  /** Usual number of items. */
  public readonly expectedItems: number;
  /** Requested mode. */
  public readonly mode: FanOutMode;
  /** Failed items tolerated (count), if limited by count. */
  public readonly maxFailedItems?: number;
  /** Failed items tolerated (percentage of the items), if limited by share. */
  public readonly maxFailedPercentage?: number;
  /** Where items come from when not from the input. */
  public readonly manifest?: ManifestSource;
  /** Where outcomes go when not to the execution output. */
  public readonly results?: ResultsDestination;
  /** Item fields that name S3 objects, whose ETags join the keys of the cached steps that read them. */
  public readonly inputObjects: InputObjects[];
  /**
   * The options as given, unknown keys included: the workflow checks them (a fan-out has no construct path of its own).
   * @internal
   */
  public readonly _givenOptions: Readonly<FanOutOptions>;

  /** Fields every item carries. */
  public get itemFields(): string[] {
    return [...this.fields];
  }

  /**
   * @param name names the fan-out in the state machine and outputs (letters and digits)
   */
  constructor(
    public readonly name: string,
    options: FanOutOptions = {},
  ) {
    this.itemsPath = options.itemsPath ?? '$.items';
    this.idField = options.idField ?? 'id';
    this.fields = [...(options.itemFields ?? [this.idField])];
    this.maxConcurrency = options.maxConcurrency ?? 50;
    this.expectedItems = options.expectedItems ?? 500;
    this.mode = options.mode ?? FanOutMode.AUTO;
    this.maxFailedItems = options.maxFailedItems;
    this.maxFailedPercentage =
      options.maxFailedPercentage ?? (options.maxFailedItems === undefined ? DEFAULT_MAX_FAILED_PERCENTAGE : undefined);
    this.manifest = options.manifest;
    this.results = options.results;
    this.inputObjects = [...(options.inputObjects ?? [])];
    this._givenOptions = Object.freeze({ ...options });
  }
}

/** Re-running a job that ran out of memory with more. */
export interface MemoryEscalation {
  /**
   * Memory of the next attempt = memory of the previous one × factor (capped at `ceiling`).
   * @default 1.5
   */
  readonly factor?: number;
  /**
   * How many times memory is raised.
   * @default 2
   */
  readonly maxTimes?: number;
  /**
   * The most memory an attempt may ask for.
   * @default - the largest memory that still fits an instance type of every queue the step uses
   */
  readonly ceiling?: Size;
}

/** Every prop of `MemoryEscalation`, for the run-time check of keys (lib/private/known-props.ts). */
export const MEMORY_ESCALATION_KEYS: KnownKeys<MemoryEscalation> = { factor: true, maxTimes: true, ceiling: true };

/** Where a workflow keeps its step-result cache (`WorkflowProps.cache`). */
export interface StepCache {
  /** The bucket of the cache's records (one small object per step and key). */
  readonly bucket: s3.IBucket;
  /**
   * Key prefix of the records, `<prefix><step>/<key>`. Two workflows share a cache only when given the same one.
   * @default - 'cache/<the workflow's unique id>/'
   */
  readonly prefix?: string;
  /**
   * How long a record is kept: a lifecycle rule on the prefix, added when the bucket is a `s3.Bucket` of this app
   * (for an imported bucket, add one yourself). A step whose record expired runs again.
   * @default Duration.days(90)
   */
  readonly expiration?: Duration;
}

/** Every prop of `StepCache`, for the run-time check of keys (lib/private/known-props.ts). */
export const STEP_CACHE_KEYS: KnownKeys<StepCache> = { bucket: true, prefix: true, expiration: true };

/** Where a step's job keeps checkpoints so a retried or escalated attempt resumes. */
export interface CheckpointLocation {
  /** The bucket. */
  readonly bucket: s3.IBucket;
  /**
   * Key prefix; each item's checkpoints go under `<prefix><item id>/<step>/`.
   * @default 'checkpoints/'
   */
  readonly prefix?: string;
}

/** Every prop of `CheckpointLocation`, for the run-time check of keys (lib/private/known-props.ts). */
export const CHECKPOINT_LOCATION_KEYS: KnownKeys<CheckpointLocation> = { bucket: true, prefix: true };

/** Options of a workflow step. */
export interface WorkflowStepOptions {
  /** The job the step runs. */
  readonly job: Job;
  /**
   * The queue the step submits to.
   * @default - the job's first queue
   */
  readonly queue?: IJobQueue;
  /**
   * Steps that must succeed first.
   * @default - none
   */
  readonly dependsOn?: WorkflowStep[];
  /**
   * Run the step once per item of this fan-out.
   * @default - once per execution
   */
  readonly forEach?: FanOut;
  /**
   * Job parameters (`Ref::name`) filled from the state: parameter name -> JSONPath, e.g.
   * `{ sampleId: '$.item.sampleId' }`. In a fan-out, parameters named like an item field are filled from it;
   * outside, from the execution input field of the same name. Paths are reference paths (fields and indexes); in a
   * fan-out they read the item (`$.item.…`), outside it the input (`$$.Execution.Input.…` or `$.…`). Every path is
   * checked before it is read: an item's by the item's check, the input's when the run starts
   * (`Workflow.InvalidInput`, naming what is needed), so a missing value never raises `States.Runtime`.
   * @default - by name, as above
   */
  readonly parameters?: Record<string, string>;
  /**
   * Environment overrides filled from the state: variable name -> JSONPath (read and checked like `parameters`).
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * When Spot interruptions exhaust the job's retries, rerun the step on `onDemandQueue`.
   * @default - on whenever the step's queue has Spot capacity (EC2 Spot or Fargate Spot) and the job is bound to a
   * queue of On-Demand capacity, whatever the job's length: an item is not lost to Spot
   */
  readonly spotEscalation?: boolean;
  /**
   * The On-Demand queue Spot escalation submits to.
   * @default - the first of the job's queues whose capacities are all On-Demand
   */
  readonly onDemandQueue?: IJobQueue;
  /**
   * How long a Spot attempt of the step may wait for capacity before it is cancelled and run On-Demand, with the
   * reason in the item's outcome (and the item's later steps start On-Demand, as after Spot interruptions).
   *
   * In a Spot drought jobs do not fail: they wait in RUNNABLE, and a queue with On-Demand capacity behind Spot
   * (`JobQueue.spotFirst`) moves on to it only when the Spot capacity is at its `maxvCpus`, not when Spot instances
   * cannot be had. The queue's own `cancelOnInsufficientCapacityAfter` acts only when all of its capacities report
   * insufficient capacity, and on one job at a time (the one at the head of the queue), so it cannot bound every
   * item's wait. This bound is the workflow's: after `spotWaitLimit`, and again every `spotWaitLimit` while the job
   * waits, the workflow looks at the job and its queue. It cancels the job (CancelJob, which leaves a job that has
   * started alone) when the job is still RUNNABLE while the queue runs fewer jobs than its Spot capacity holds at
   * `maxvCpus`; a queue that is full is busy, not short of Spot, and the job keeps its place.
   *
   * 10 minutes to 24 hours; only on a step that escalates from Spot to On-Demand (`spotEscalation`, with an
   * On-Demand queue) and submits single jobs (not array jobs). Costs about 10 state transitions per Spot attempt,
   * and 5 more per further look.
   * @default - no bound: a Spot attempt waits for capacity as long as Batch keeps it
   */
  readonly spotWaitLimit?: Duration;
  /**
   * Rerun with more memory after an out-of-memory kill, or `false` to fail at once.
   * @default - factor 1.5, at most 2 times, up to the largest size that fits
   */
  readonly memoryEscalation?: MemoryEscalation | false;
  /**
   * The fair-share identifier jobs are submitted with: a literal (`'lab_a'`) or a JSONPath read from the state
   * (`'$.item.lab'`). Required when the step's queue (or its On-Demand queue) has a fair-share policy: Batch refuses
   * a job without one there, and refuses one on any other queue.
   * @default - none; a step on a fair-share queue without one fails synth
   */
  readonly shareIdentifier?: string;
  /**
   * Scheduling priority of the step's jobs within their share on a fair-share queue (0..9999, higher first), sent
   * as SubmitJob's `SchedulingPriorityOverride` with the share identifier: Batch refuses a fair-share job without one.
   * Only with `shareIdentifier`.
   * @default 0 - with a share identifier
   */
  readonly schedulingPriority?: number;
  /**
   * Children of an array job (the job was created with `arrayJob: true`): 2..10,000.
   * @default - required for an array job (this or `arraySizePath`), not allowed for others
   */
  readonly arraySize?: number;
  /**
   * Where the state holds the number of children of an array job, e.g. `'$.item.chunks'` (a number, 2..10,000).
   * @default - `arraySize`
   */
  readonly arraySizePath?: string;
  /**
   * Whether the step's results are cached (a step of a fan-out, in a workflow with a cache: see `WorkflowProps.cache`).
   * Before the step submits a job for an item it looks for a record that it already succeeded with the same key: its
   * job definition revision, every value it reads from the item (and the item's id), and the keys of the steps it
   * depends on; with one, it does not submit and the item's outcome names the run and job that produced it. A step
   * that runs marks the item so that every later step of it runs too. Turn it off for a step that is not
   * deterministic or has side effects: it then always runs, and so do the steps after it.
   * @default true - in a workflow with a cache
   */
  readonly cache?: boolean;
  /**
   * Checkpoint location passed to the job as `CHECKPOINT_URI`; its role may read and write only under the prefix.
   * Declaring it marks the job as checkpointing (no long-Spot-job warning).
   * @default - no checkpoints
   */
  readonly checkpoint?: CheckpointLocation;
}

/** Every prop of `WorkflowStepOptions`, for the run-time check of keys (lib/private/known-props.ts). */
export const WORKFLOW_STEP_OPTIONS_KEYS: KnownKeys<WorkflowStepOptions> = {
  job: true,
  queue: true,
  dependsOn: true,
  forEach: true,
  parameters: true,
  environment: true,
  spotEscalation: true,
  onDemandQueue: true,
  spotWaitLimit: true,
  memoryEscalation: true,
  shareIdentifier: true,
  schedulingPriority: true,
  arraySize: true,
  arraySizePath: true,
  checkpoint: true,
  cache: true,
};

/** One step of a workflow: a job, the queue it is submitted to, and the steps it waits for. */
export class WorkflowStep {
  private readonly deps: WorkflowStep[];
  private readonly settings: Readonly<WorkflowStepOptions>;

  /**
   * @param name the step's name in the state machine, outputs and diagrams
   * @param options what the step runs and how
   */
  constructor(
    /** The step's name in the state machine, outputs and diagrams. */
    public readonly name: string,
    options: WorkflowStepOptions,
  ) {
    // A copy: changing the object passed in afterwards does not change the step behind the workflow's checks.
    this.settings = Object.freeze({ ...options });
    this.deps = [...(options.dependsOn ?? [])];
  }

  /** The job the step submits. */
  public get job(): Job {
    return this.settings.job;
  }

  /**
   * The options the step was made with, for the workflow's plan and state builders.
   * @internal
   */
  public get _options(): Readonly<WorkflowStepOptions> {
    return this.settings;
  }

  /** Steps this one waits for. */
  public get dependencies(): WorkflowStep[] {
    return [...this.deps];
  }

  /** Makes this step wait for `step` too. */
  public addDependency(step: WorkflowStep): void {
    if (!this.deps.includes(step)) {
      this.deps.push(step);
    }
  }

  /** The fan-out this step runs in, if any. */
  public get forEach(): FanOut | undefined {
    return this.settings.forEach;
  }
}
