import { createHash } from 'crypto';
import {
  CACHE_STATE_SUFFIXES,
  cacheLevelOf,
  fieldOfInputObjectPath,
  inputObjectOfComment,
  MAX_INPUT_OBJECT_KEY_PARTS,
  stepOfCacheKeyPath,
} from '../../contract/run-state';
import { AwsCalls, httpStatusOf } from '../aws-calls';

/**
 * The step cache as a workflow's definition has it (lib/workflow/states/cache-states.ts): for each cached step, the
 * key expression of its `<step>: cache key` state and the record key of its `<step>: look up the cache` state. The
 * client computes the same keys for a run's items and asks S3 which records exist, to say before a rerun which steps
 * would run for how many items.
 */

const KEY_STATE = CACHE_STATE_SUFFIXES.key;
const LOOKUP_STATE = CACHE_STATE_SUFFIXES.lookup;
const UNCACHED_STATE = CACHE_STATE_SUFFIXES.uncached;
const HASH = /^States\.Hash\(States\.JsonToString\(States\.Array\('([^']*)', (.*)\)\), 'SHA-256'\)$/s;
const RECORD = /^States\.Format\('(.*)\{\}', \$\.cache\.keys\.[^.]+\.key\)$/s;
/** HeadObject calls at once: well below S3's 5,500 GET/HEAD a second per prefix. */
const LOOKUPS_AT_ONCE = 16;

/** One cached step of a workflow. */
export interface CachedStepModel {
  readonly name: string;
  /** The bucket of its records. */
  readonly bucket: string;
  /** Its records' key prefix, `<cache prefix><step>/`. */
  readonly recordPrefix: string;
  /** Its job definition ARN (with revision), the key's first value. */
  readonly jobDefinition: string;
  /** The paths of the key's other values: `$.item.…`, or `$.cache.keys.<dep>.key`. */
  readonly args: string[];
  /** The cached steps whose keys join its key. */
  readonly deps: string[];
  /** Its level among the fan-out's steps: it runs when a step of a lower level ran for the item. */
  readonly level: number;
}

/** An item field that names S3 objects whose ETags join the keys (`FanOutOptions.inputObjects`). */
export interface InputObjectModel {
  readonly field: string;
  readonly bucket: string;
  readonly prefix: string;
}

/** A workflow's step cache as its definition has it: the cached steps, and the levels of steps that always run. */
export interface StepCacheModel {
  readonly steps: CachedStepModel[];
  /** Levels of the fan-out's steps with `cache: false`: they run every time, and so every step after them. */
  readonly uncachedLevels: number[];
  /** The item fields that name S3 objects, each with the bucket and prefix the workflow checks them against. */
  readonly inputObjects: InputObjectModel[];
}

/**
 * The cached steps of a workflow definition, each after the steps whose keys join its key; none if it caches none.
 */
export function cacheModelOf(definition: unknown): StepCacheModel {
  const keys = new Map<string, { jobDefinition: string; args: string[]; level: number }>();
  const uncachedLevels: number[] = [];
  const lookups = new Map<string, { bucket: string; prefix: string }>();
  const inputObjects: InputObjectModel[] = [];
  walk(definition, (name, state) => {
    const params = state.Parameters as Record<string, unknown> | undefined;
    const object = inputObjectOfComment(state.Comment);
    if (object && typeof params?.Bucket === 'string') {
      inputObjects.push({ ...object, bucket: params.Bucket });
    }
    if (name.endsWith(KEY_STATE)) {
      const m = HASH.exec(String(params?.['key.$'] ?? ''));
      if (m) {
        const level = cacheLevelOf(state.Comment) ?? 0;
        keys.set(name.slice(0, -KEY_STATE.length), { jobDefinition: m[1], args: m[2].split(', '), level });
      }
    } else if (name.endsWith(UNCACHED_STATE)) {
      uncachedLevels.push(cacheLevelOf(state.Comment) ?? 0);
    } else if (name.endsWith(LOOKUP_STATE)) {
      const m = RECORD.exec(String(params?.['Key.$'] ?? ''));
      if (m && typeof params?.Bucket === 'string') {
        lookups.set(name.slice(0, -LOOKUP_STATE.length), { bucket: params.Bucket, prefix: m[1] });
      }
    }
  });
  const steps = [...keys].flatMap(([name, key]) => {
    const lookup = lookups.get(name);
    if (!lookup) {
      return [];
    }
    const deps = key.args.flatMap((a) => stepOfCacheKeyPath(a) ?? []);
    return [{ name, bucket: lookup.bucket, recordPrefix: lookup.prefix, ...key, deps }];
  });
  // Each step after the steps of lower levels (and so after the steps whose keys join its key).
  steps.sort((a, b) => a.level - b.level);
  return { steps, uncachedLevels, inputObjects };
}

function walk(node: unknown, visit: (name: string, state: Record<string, unknown>) => void): void {
  const states = (node as { States?: Record<string, Record<string, unknown>> })?.States;
  for (const [name, state] of Object.entries(states ?? {})) {
    visit(name, state);
    walk(state.ItemProcessor ?? state.Iterator, visit);
    for (const branch of (state.Branches as unknown[]) ?? []) {
      walk(branch, visit);
    }
  }
}

/**
 * A step's key for an item, as the state machine computes it: SHA-256 (lowercase hex) of States.JsonToString of the
 * array of its values, which is compact JSON as `JSON.stringify` writes it; undefined when the key reads something the
 * client does not have (it then counts the step as running).
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
 */
export function keyFor(
  step: CachedStepModel,
  item: unknown,
  keys: Record<string, string | undefined>,
  etags: Record<string, string | undefined> = {},
): string | undefined {
  const values: unknown[] = [step.jobDefinition];
  for (const arg of step.args) {
    const dep = stepOfCacheKeyPath(arg);
    const object = fieldOfInputObjectPath(arg);
    const value = dep !== undefined ? keys[dep] : object !== undefined ? etags[object] : valueAt(item, arg);
    if (value === undefined) {
      return undefined;
    }
    values.push(value);
  }
  return createHash('sha256').update(JSON.stringify(values)).digest('hex');
}

/** `$.item.a.b` of an item. */
function valueAt(item: unknown, path: string): unknown {
  if (!path.startsWith('$.item.')) {
    return undefined;
  }
  let v: unknown = item;
  for (const part of path.slice('$.item.'.length).split('.')) {
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  }
  return v;
}

/**
 * How many of a run's items each cached step would run, and how many it would take from the cache.
 * @jsii ignore
 */
export interface StepCacheCount {
  /** The cached step. */
  readonly step: string;
  /** Items for which it would run (no record, a step before it runs, or a key the client cannot compute). */
  readonly run: number;
  /** Items it would serve from the cache. */
  readonly cached: number;
}

/**
 * For each cached step, how many of `items` would run and how many would be served from the cache: a step runs for an
 * item when it has no record, or a step of a lower level runs (the state machine then marks the item fresh; steps
 * with `cache: false` always run). A key the client cannot compute, or a record it may not read, counts as running.
 */
export async function cacheCounts(aws: AwsCalls, model: StepCacheModel, items: unknown[]): Promise<StepCacheCount[]> {
  const counts = new Map(model.steps.map((s) => [s.name, { step: s.name, run: 0, cached: 0 }]));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const keys: Record<string, string | undefined> = {};
      const etags = await objectEtags(aws, model.inputObjects, items[i]);
      // Levels at which a step of the item runs: a step after one of them runs too (the item is marked fresh).
      const ran = new Set<number>(model.uncachedLevels);
      for (const step of model.steps) {
        const key = keyFor(step, items[i], keys, etags);
        keys[step.name] = key;
        const hit = key !== undefined && ![...ran].some((l) => l < step.level) && (await recordExists(aws, step, key));
        if (!hit) {
          ran.add(step.level);
        }
        const c = counts.get(step.name)!;
        counts.set(step.name, { ...c, run: c.run + (hit ? 0 : 1), cached: c.cached + (hit ? 1 : 0) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_AT_ONCE, items.length) }, worker));
  return [...counts.values()];
}

/**
 * The ETags of an item's input objects, as the state machine reads them (lib/workflow/states/input-object-states.ts):
 * a URI `s3://<bucket>/<prefix>…` whose key has at most 16 parts, none empty; undefined for one it would not check or
 * could not read (the steps that read it then run: their key is one no record has).
 */
async function objectEtags(
  aws: AwsCalls,
  objects: readonly InputObjectModel[],
  item: unknown,
): Promise<Record<string, string | undefined>> {
  const etags: Record<string, string | undefined> = {};
  for (const o of objects) {
    const uri = valueAt(item, `$.item.${o.field}`);
    const head = `s3://${o.bucket}/`;
    const key = typeof uri === 'string' && uri.startsWith(head + o.prefix) ? uri.slice(head.length) : undefined;
    const parts = key?.split('/') ?? [];
    if (key === undefined || parts.length > MAX_INPUT_OBJECT_KEY_PARTS || parts.some((p) => p === '')) {
      continue;
    }
    try {
      const r = await aws.call(() => aws.s3.send(new aws.sdk.s3.HeadObjectCommand({ Bucket: o.bucket, Key: key })));
      etags[o.field] = r.ETag;
    } catch (e) {
      // Missing, not readable by the caller, or refused (an SSE-C object answers HEAD with 400): the state machine
      // treats every failure as unverified, and so does the count.
      const status = httpStatusOf(e) ?? 0;
      if (!(status >= 400 && status < 500) && (e as { name?: string }).name !== 'NotFound') {
        throw e;
      }
    }
  }
  return etags;
}

/** Whether a step's record exists: HeadObject, 404 when it does not (the caller may list the cache prefix). */
async function recordExists(aws: AwsCalls, step: CachedStepModel, key: string): Promise<boolean> {
  try {
    await aws.call(() =>
      aws.s3.send(new aws.sdk.s3.HeadObjectCommand({ Bucket: step.bucket, Key: `${step.recordPrefix}${key}` })),
    );
    return true;
  } catch (e) {
    // 404: no record. 403: the caller may not read it (its policy lacks the cache prefix, or ListBucket): the state
    // machine's role may, so the step's fate is unknown here; it is counted as running, the safe side of an estimate.
    const status = httpStatusOf(e);
    if (status === 404 || status === 403 || (e as { name?: string }).name === 'NotFound') {
      return false;
    }
    throw e;
  }
}
