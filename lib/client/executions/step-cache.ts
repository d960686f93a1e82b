import { createHash } from 'crypto';
import { AwsCalls, httpStatusOf } from '../aws-calls';

/**
 * The step cache as a workflow's definition has it (lib/workflow/states/cache-states.ts): for each cached step, the
 * key expression of its `<step>: cache key` state and the record key of its `<step>: look up the cache` state. The
 * client computes the same keys for a run's items and asks S3 which records exist, to say before a rerun which steps
 * would run for how many items.
 */

const KEY_STATE = ': cache key';
const LOOKUP_STATE = ': look up the cache';
const HASH = /^States\.Hash\(States\.Format\('(.*)', (.*)\), 'SHA-256'\)$/s;
const RECORD = /^States\.Format\('(.*)\{\}', \$\.cache\.keys\.[^.]+\.key\)$/s;
const KEY_OF_STEP = /^\$\.cache\.keys\.([^.]+)\.key$/;
/** HeadObject calls at once: well below S3's 5,500 GET/HEAD a second per prefix. */
const LOOKUPS_AT_ONCE = 16;

/** One cached step of a workflow. */
export interface CachedStepModel {
  readonly name: string;
  /** The bucket of its records. */
  readonly bucket: string;
  /** Its records' key prefix, `<cache prefix><step>/`. */
  readonly recordPrefix: string;
  /** The format of its key's input, `<job definition ARN>|{}|…`. */
  readonly format: string;
  /** The paths the format's `{}` are filled from: `$.item.…`, or `$.cache.keys.<dep>.key`. */
  readonly args: string[];
  /** The cached steps whose keys join its key. */
  readonly deps: string[];
}

/**
 * The cached steps of a workflow definition, each after the steps whose keys join its key; none if it caches none.
 */
export function cacheModelOf(definition: unknown): CachedStepModel[] {
  const keys = new Map<string, { format: string; args: string[] }>();
  const lookups = new Map<string, { bucket: string; prefix: string }>();
  walk(definition, (name, state) => {
    const params = state.Parameters as Record<string, unknown> | undefined;
    if (name.endsWith(KEY_STATE)) {
      const m = HASH.exec(String(params?.['key.$'] ?? ''));
      if (m) {
        keys.set(name.slice(0, -KEY_STATE.length), { format: m[1], args: m[2].split(', ') });
      }
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
    const deps = key.args.flatMap((a) => KEY_OF_STEP.exec(a)?.[1] ?? []);
    return [{ name, bucket: lookup.bucket, recordPrefix: lookup.prefix, ...key, deps }];
  });
  // Each step after the steps whose keys join its key.
  const ordered: CachedStepModel[] = [];
  while (ordered.length < steps.length) {
    const ready = steps.filter((s) => !ordered.includes(s) && s.deps.every((d) => ordered.some((o) => o.name === d)));
    if (ready.length === 0) {
      return ordered;
    }
    ordered.push(...ready);
  }
  return ordered;
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
 * A step's key for an item, as the state machine computes it (SHA-256, hex, of States.Format's output), or undefined
 * when the key reads something the client does not have (it then counts the step as running).
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
 */
export function keyFor(
  step: CachedStepModel,
  item: unknown,
  keys: Record<string, string | undefined>,
): string | undefined {
  const values: string[] = [];
  for (const arg of step.args) {
    const dep = KEY_OF_STEP.exec(arg)?.[1];
    const value = dep !== undefined ? keys[dep] : valueAt(item, arg);
    if (value === undefined) {
      return undefined;
    }
    values.push(value);
  }
  let i = 0;
  const data = step.format.replace(/\{\}/g, () => values[i++]);
  return createHash('sha256').update(data).digest('hex');
}

/** `$.item.a.b` of an item, as States.Format writes it (strings as they are, other values as JSON). */
function valueAt(item: unknown, path: string): string | undefined {
  if (!path.startsWith('$.item.')) {
    return undefined;
  }
  let v: unknown = item;
  for (const part of path.slice('$.item.'.length).split('.')) {
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  }
  return v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
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
 * item when it has no record, or a step it depends on runs (the state machine then marks the item fresh). A key the
 * client cannot compute counts as running.
 */
export async function cacheCounts(
  aws: AwsCalls,
  model: CachedStepModel[],
  items: unknown[],
): Promise<StepCacheCount[]> {
  const counts = new Map(model.map((s) => [s.name, { step: s.name, run: 0, cached: 0 }]));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const keys: Record<string, string | undefined> = {};
      const ran = new Set<string>();
      for (const step of model) {
        const key = keyFor(step, items[i], keys);
        keys[step.name] = key;
        const hit = key !== undefined && !step.deps.some((d) => ran.has(d)) && (await recordExists(aws, step, key));
        if (!hit) {
          ran.add(step.name);
        }
        const c = counts.get(step.name)!;
        counts.set(step.name, { ...c, run: c.run + (hit ? 0 : 1), cached: c.cached + (hit ? 1 : 0) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_AT_ONCE, items.length) }, worker));
  return [...counts.values()];
}

/** Whether a step's record exists: HeadObject, 404 when it does not (the caller may list the cache prefix). */
async function recordExists(aws: AwsCalls, step: CachedStepModel, key: string): Promise<boolean> {
  try {
    await aws.call(() =>
      aws.s3.send(new aws.sdk.s3.HeadObjectCommand({ Bucket: step.bucket, Key: `${step.recordPrefix}${key}` })),
    );
    return true;
  } catch (e) {
    if (httpStatusOf(e) === 404 || (e as { name?: string }).name === 'NotFound') {
      return false;
    }
    throw e;
  }
}
