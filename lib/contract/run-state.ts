/**
 * The run's state: the keys a workflow's state machine writes into its execution state and output, which the client,
 * the CLI and monitoring read back. Every such key is named here, once; both sides import it, and
 * `test/contract/run-contract.test.ts` holds what the synthesized state machine writes to what the client reads.
 *
 * No aws-cdk-lib and no AWS SDK here: this module is shared by what synthesizes and what runs.
 */

/**
 * The keys each fan-out writes at the top of the execution state, `<fan-out name><suffix>`.
 * - `outcomes`: the item outcome records (outcomes kept in the state).
 * - `results`: the Distributed Map's output with a ResultWriter (outcomes in S3).
 * - `counts`: the fan-out's working counts (items, failed, the first failures).
 * - `summary`: what the fan-out reports: status, counts, first failures or where the result files are.
 * - `error`: the error a failed map or count caught.
 * - `scaled`: the counts scaled for the percentage policy.
 * - `failure`: the summary as a cause, when the policy stops the run.
 * - `cacheHits`: the count of the steps each item took from the step cache (`{ text }`, a cached fan-out only).
 */
export const FAN_OUT_STATE_SUFFIXES = {
  outcomes: 'Outcomes',
  results: 'Results',
  counts: 'Counts',
  summary: 'Summary',
  error: 'Error',
  scaled: 'Scaled',
  failure: 'Failure',
  cacheHits: 'CacheHits',
} as const;

/** One of a fan-out's state keys. */
export type FanOutStateKey = keyof typeof FAN_OUT_STATE_SUFFIXES;

/** A fan-out's state keys (without `$.`): `{ outcomes: 'alignOutcomes', … }`. */
export function fanOutStateKeys(fanOutName: string): Record<FanOutStateKey, string> {
  return mapSuffixes((suffix) => `${fanOutName}${suffix}`);
}

/** A fan-out's state paths (`$.<key>`): `{ outcomes: '$.alignOutcomes', … }`. */
export function fanOutPaths(fanOutName: string): Record<FanOutStateKey, string> {
  return mapSuffixes((suffix) => `$.${fanOutName}${suffix}`);
}

/** The fan-out a state key belongs to as its `kind` (`alignOutcomes`, 'outcomes' → `align`), or undefined. */
export function fanOutOfStateKey(key: string, kind: FanOutStateKey): string | undefined {
  const suffix = FAN_OUT_STATE_SUFFIXES[kind];
  return key.length > suffix.length && key.endsWith(suffix) ? key.slice(0, -suffix.length) : undefined;
}

function mapSuffixes(f: (suffix: string) => string): Record<FanOutStateKey, string> {
  return Object.fromEntries(Object.entries(FAN_OUT_STATE_SUFFIXES).map(([k, suffix]) => [k, f(suffix)])) as Record<
    FanOutStateKey,
    string
  >;
}

/**
 * The keys the workflow writes at the top of the state (and of each item's state) for a step's attempt and failure:
 * an input path under one of them is not input.
 */
export const STEP_STATE_KEYS = {
  /** The step's attempt (`AttemptRecord`). */
  attempt: 'attempt',
  /** The failed job read from the error (`job`, `container`, `attempts`, `why`). */
  failure: 'failure',
  /** The error a step's Catch caught. */
  error: 'error',
  /** The failed step's outcome record. */
  outcome: 'outcome',
  /** The outcome record as an error and cause for the Fail state. */
  failed: 'failed',
  /**
   * Set (to `{ step }`) once a step of the item (or of the run, outside fan-outs) lost its Spot capacity and went
   * On-Demand: the later steps of the item start On-Demand instead of on Spot again.
   */
  spotLost: 'spotLost',
  /** The item's step-result cache (`CACHE_STATE_FIELDS`): whether a step ran, each step's key, the steps served. */
  cache: 'cache',
} as const;

/** The fields of an item's `$.cache` (lib/workflow/states/cache-states.ts). */
export const CACHE_STATE_FIELDS = {
  /** True once a step of the item ran a job in this run (or the run reads no cache): later steps run too. */
  fresh: 'fresh',
  /** Each cached step's key, `{ <step>: { key } }`. */
  keys: 'keys',
  /** Each step served from the cache, `{ <step>: { producedBy: 'run <run> job <job id>' } }`. */
  hits: 'hits',
} as const;

/**
 * How the step cache's states are named and marked in the definition, which `rerun` reads back
 * (lib/client/executions/step-cache.ts) to compute the keys and levels the state machine would: `<step><suffix>`.
 */
export const CACHE_STATE_SUFFIXES = {
  /** The Pass state that computes the step's key (its comment names the step's level). */
  key: ': cache key',
  /** The S3 GetObject of the step's record. */
  lookup: ': look up the cache',
  /** The Pass state that marks the item fresh before an uncached step (its comment names the step's level). */
  uncached: ': runs uncached',
} as const;

/** The comment naming a cache state's level among its fan-out's steps: `cache level <n>`. */
export const cacheLevelComment = (level: number) => `cache level ${level}`;

/** The level a cache state's comment names, or undefined. */
export function cacheLevelOf(comment: unknown): number | undefined {
  const m = /^cache level (\d+)$/.exec(String(comment ?? ''));
  return m ? Number(m[1]) : undefined;
}

/** `$.cache.keys.<step>.key`: where a step's key is in an item's state. */
export const cacheKeyPath = (step: string) => `$.${STEP_STATE_KEYS.cache}.${CACHE_STATE_FIELDS.keys}.${step}.key`;

/** The step whose key a path reads (`$.cache.keys.align.key` → `align`), or undefined. */
export function stepOfCacheKeyPath(path: string): string | undefined {
  const prefix = `$.${STEP_STATE_KEYS.cache}.${CACHE_STATE_FIELDS.keys}.`;
  return path.startsWith(prefix) && path.endsWith('.key') ? path.slice(prefix.length, -'.key'.length) : undefined;
}

/**
 * The input field that starts a run without reading the step cache (`start --no-cache`, `rerun --no-cache`): every
 * step runs, and records its result.
 */
export const NO_CACHE_INPUT_KEY = 'noCache';

/** Where a cached fan-out keeps, for its ItemSelector, whether the run reads the cache (`{ fresh }`). */
export const RUN_CACHE_KEY = 'runCache';

/**
 * What each item of a fan-out starts from (the map's ItemSelector): its value, its index in the list or manifest, and
 * the run's execution name (a Distributed Map's child execution has a name of its own). A Distributed Map's result
 * files and child executions carry it as their `Input`.
 */
export interface ItemInput {
  /** The item, as the list or manifest has it. */
  readonly item: unknown;
  /** Its position, from 0. */
  readonly index: number;
  /** The run's execution name. */
  readonly run: string;
  /**
   * The ids of every item of the run, in order (items passed in the input only): the item's duplicate check looks for
   * its own id among those before it.
   */
  readonly ids?: unknown[];
  /** The item's step-result cache at its start (cached fan-outs only; see `CACHE_STATE_FIELDS`). */
  readonly cache?: unknown;
  /** How many lines the run has (items passed in the input only). */
  readonly lines?: number;
  /**
   * How many of them have an id (items passed in the input only): fewer than `lines` when a line lacks it, and then
   * `ids` no longer lines up with the lines' indexes.
   */
  readonly idCount?: number;
}

/** The keys of `ItemInput`, as the map's ItemSelector writes them. */
export const ITEM_INPUT_KEYS: { readonly [K in keyof ItemInput]-?: K } = {
  item: 'item',
  index: 'index',
  run: 'run',
  ids: 'ids',
  lines: 'lines',
  idCount: 'idCount',
  cache: 'cache',
};

/**
 * Where an item keeps its state after its steps (the item wrapper's output, one branch): its outcome reads from it
 * whether a step lost its Spot capacity.
 */
export const ITEM_PROCESSED_KEY = 'processed';

/**
 * Where an item keeps the ETag of each S3 object it names (`FanOutOptions.inputObjects`), `{ <field>: '"<etag>"' }`,
 * read when it starts; a cached step's key holds those of the fields it reads. An object the workflow could not check
 * is `{ unverified: <a UUID> }`: a key no record has.
 */
export const INPUT_OBJECTS_KEY = 'objects';

/** The path of a field's object ETag in the item's state, as a cached step's key reads it. */
export const inputObjectPath = (field: string) => `$.${INPUT_OBJECTS_KEY}.${field}`;

/** The field of an input-object path in a cache key (`$.objects.inputUri` → 'inputUri'), or undefined. */
export function fieldOfInputObjectPath(path: string): string | undefined {
  const head = `$.${INPUT_OBJECTS_KEY}.`;
  const field = path.startsWith(head) ? path.slice(head.length) : '';
  return /^[^.]+$/.test(field) ? field : undefined;
}

/**
 * The comment of the HeadObject state that reads a field's object: the client reads back which bucket and prefix a
 * field's URIs must be in (the state's `Bucket` is the bucket's name once deployed).
 */
export const inputObjectComment = (field: string, prefix: string) => `input object ${field} under prefix '${prefix}'`;

/** The field and prefix an input-object comment names, or undefined. */
export function inputObjectOfComment(comment: unknown): { field: string; prefix: string } | undefined {
  const m = /^input object (\S+) under prefix '(.*)'$/s.exec(String(comment ?? ''));
  return m ? { field: m[1], prefix: m[2] } : undefined;
}

/** The most parts (`/`-separated) an input object's key may have for the workflow to check it. */
export const MAX_INPUT_OBJECT_KEY_PARTS = 16;

/** Where an item's duplicate check keeps what it found (whether an earlier line has its id, or the S3 claims). */
export const ITEM_CHECK_KEY = 'idCheck';

/**
 * The error of an item refused because an earlier line (or, with a manifest, another line) of the run has its id:
 * items that share an id would share their checkpoints (`CHECKPOINT_URI` is built from the id) and report under one
 * id. Its outcome's kind is `InvalidItem`.
 */
export const DUPLICATE_ITEM_ERROR = 'Item.Duplicate';

/**
 * Where, under a fan-out's results prefix, a manifest's items claim their ids: `<prefix>ids/<run>/<id>/<index>`, one
 * empty object a line. An item runs only when its claim is the only one under `<prefix>ids/<run>/<id>/`.
 */
export const ID_CLAIMS_FOLDER = 'ids/';

/** Where an item's wrapper keeps the error it caught. */
export const ITEM_ERROR_KEY = 'itemError';

/**
 * A step's attempt, kept at `$.attempt` while the step runs: set by the step's plan state, updated by the escalation
 * states (On-Demand after Spot interruptions, the next memory level after an out-of-memory kill). Every field is
 * present for every step, so the shared failure states never read a missing path.
 */
export interface AttemptRecord {
  /** The step's name. */
  readonly step: string;
  /** The queue this attempt submits to. */
  readonly queue: string;
  /** The On-Demand queue escalation moves to (the step's own queue when it has none). */
  readonly onDemand: string;
  /** Memory of this attempt, MiB, as a string (SubmitJob's resource requirement value). */
  readonly memory: string;
  /** The memory ladder, MiB, as strings. */
  readonly levels: string[];
  /** Index of `memory` in `levels`. */
  readonly level: number;
}

/** Every field of `AttemptRecord`: a Pass state that changes one field copies the others. */
export const ATTEMPT_FIELDS: ReadonlyArray<keyof AttemptRecord> = Object.keys({
  step: 0,
  queue: 0,
  onDemand: 0,
  memory: 0,
  levels: 0,
  level: 0,
} satisfies Record<keyof AttemptRecord, 0>) as Array<keyof AttemptRecord>;

/**
 * The fields of an outcome record (`ItemOutcome`) the workflow writes and the client reads, by name: the record is
 * built by the state machine, so a field renamed on one side only must fail a test, not a run.
 */
export const OUTCOME_FIELDS = {
  index: 'index',
  id: 'id',
  status: 'status',
  step: 'step',
  error: 'error',
  kind: 'kind',
  reason: 'reason',
  exitCode: 'exitCode',
  containerReason: 'containerReason',
  statusReason: 'statusReason',
  logStream: 'logStream',
  jobId: 'jobId',
  attempts: 'attempts',
  queue: 'queue',
  memoryMiB: 'memoryMiB',
  onDemandFrom: 'onDemandFrom',
  onDemandReason: 'onDemandReason',
  cached: 'cached',
} as const;

/**
 * What a fan-out's summary (`<fan-out>Summary`) holds, and what the run's failure cause is when the policy stops it.
 * `results` names the result manifest when outcomes are in S3; otherwise `firstFailures` and `where` say which
 * failed and where every outcome is.
 */
export interface FanOutSummary {
  /** An `OutcomeStatus` value. */
  readonly status: string;
  /** Items in the run. */
  readonly items: number;
  /** Items that failed. */
  readonly failed: number;
  /** Items that succeeded (outcomes in S3). */
  readonly succeeded?: number;
  /** `s3://…/manifest.json`, the Distributed Map's result manifest (outcomes in S3). */
  readonly results?: string;
  /** The first failed outcome records (outcomes in the state). */
  readonly firstFailures?: unknown[];
  /** Where every outcome is, in words (outcomes in the state). */
  readonly where?: string;
  /**
   * How many items each step took from the step cache, in words: `align 500, callVariants 490` (a cached fan-out
   * only), or why they were not counted.
   */
  readonly cached?: string;
}

/** The keys of `FanOutSummary`. */
export const SUMMARY_FIELDS: { readonly [K in keyof FanOutSummary]-?: K } = {
  status: 'status',
  items: 'items',
  failed: 'failed',
  succeeded: 'succeeded',
  results: 'results',
  firstFailures: 'firstFailures',
  where: 'where',
  cached: 'cached',
};
