import { Annotations, Duration, Names } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { checkStatePrefix } from './prefixes';
import { FanOut, INPUT_OBJECTS_KEYS, STEP_CACHE_KEYS, StepCache, WorkflowStep } from '../step';
import { fail } from '../../private/errors';
import { levelsOf } from '../../private/graph';
import { checkKnownProps } from '../../private/known-props';

/** Where the workflow's step-result cache is, and which steps use it. */
export interface CachePlan {
  readonly bucket: s3.IBucket;
  /** `<prefix><step>/<key>` is a record. */
  readonly prefix: string;
  /** How long records are kept (the lifecycle rule added on an owned bucket). */
  readonly expiration: Duration;
  /** Whether the bucket is one this app owns, so that the lifecycle rule can be added. */
  readonly owned: boolean;
}

/** The default record lifetime: a quarter, long enough to resume any week's run, short enough to stay small. */
export const DEFAULT_CACHE_EXPIRATION = Duration.days(90);

/**
 * The cache the workflow's props ask for: given, the first fan-out's results bucket by default, or none (`false`, or
 * no fan-out writes results to S3: said in an info message).
 */
export function planCache(
  scope: Construct,
  option: StepCache | false | undefined,
  fanOuts: readonly FanOut[],
): CachePlan | undefined {
  const plan = option === false ? undefined : cachePlanOf(scope, option, fanOuts);
  fanOuts.forEach((f) => checkInputObjects(scope, f, plan !== undefined));
  return plan;
}

function cachePlanOf(
  scope: Construct,
  option: StepCache | undefined,
  fanOuts: readonly FanOut[],
): CachePlan | undefined {
  if (option !== undefined) {
    checkKnownProps(scope, 'StepCache', option, STEP_CACHE_KEYS, 'cache.');
  }
  const bucket = option?.bucket ?? fanOuts.find((f) => f.results)?.results?.bucket;
  if (!bucket) {
    if (fanOuts.length > 0) {
      Annotations.of(scope).addInfoV2(
        'cdk-batch-pipelines:no-step-cache',
        `${scope.node.path}: steps are not cached (no fan-out writes results to S3): a rerun runs every step of its ` +
          'items again. Give the workflow cache: { bucket } to cache them.',
      );
    }
    return undefined;
  }
  const prefix = option?.prefix ?? `cache/${Names.uniqueId(scope)}/`;
  checkStatePrefix(scope, 'cache.prefix', prefix);
  return {
    bucket,
    prefix,
    expiration: option?.expiration ?? DEFAULT_CACHE_EXPIRATION,
    owned: bucket instanceof s3.Bucket,
  };
}

/** A fan-out's `inputObjects`: known keys, fields it declares, each once, prefixes a state may hold. */
function checkInputObjects(scope: Construct, f: FanOut, cached: boolean): void {
  const seen = new Set<string>();
  f.inputObjects.forEach((o, i) => {
    const prop = `fanOut '${f.name}'.inputObjects[${i}]`;
    checkKnownProps(scope, 'InputObjects', o, INPUT_OBJECTS_KEYS, `${prop}.`);
    if (!f.itemFields.includes(o.field) || seen.has(o.field)) {
      fail(scope, {
        prop: `${prop}.field`,
        received: `'${o.field}'${seen.has(o.field) ? ' (given twice)' : ''}`,
        allowed: `one of the fan-out's itemFields, each once: ${f.itemFields.map((x) => `'${x}'`).join(', ')}`,
        fix: seen.has(o.field)
          ? `give '${o.field}' once, with the bucket its objects are in`
          : `add it to the fan-out's fields: itemFields: [${[...f.itemFields, o.field].map((x) => `'${x}'`).join(', ')}]`,
      });
    }
    seen.add(o.field);
    checkStatePrefix(scope, `${prop}.prefix`, o.prefix ?? '');
  });
  if (f.inputObjects.length > 0 && !cached) {
    Annotations.of(scope).addWarningV2(
      'cdk-batch-pipelines:input-objects-without-cache',
      `${scope.node.path}: fan-out '${f.name}' names inputObjects, but the workflow has no step cache (cache: false): ` +
        'their ETags are not read. Remove inputObjects, or give the workflow a cache.',
    );
  }
}

/** Whether a step looks up and records its results: a fan-out's step, cache not turned off, in a cached workflow. */
export function isCached(plan: CachePlan | undefined, step: WorkflowStep): boolean {
  return plan !== undefined && step.forEach !== undefined && step._options.cache !== false;
}

/** Keeps the records as long as planned: a lifecycle rule on an owned bucket, an info message on an imported one. */
export function applyCacheRetention(scope: Construct, plan: CachePlan): void {
  if (plan.owned) {
    (plan.bucket as s3.Bucket).addLifecycleRule({
      id: `${Names.uniqueId(scope)}-cache`.slice(-255),
      prefix: plan.prefix,
      expiration: plan.expiration,
    });
  } else {
    Annotations.of(scope).addInfoV2(
      'cdk-batch-pipelines:step-cache-retention',
      `${scope.node.path}: the step cache is in imported bucket ${plan.bucket.node.path}: add a lifecycle rule that ` +
        `expires objects under '${plan.prefix}' (records are small; one expired means the step runs again).`,
    );
  }
}

/** How one step of a cached fan-out uses the cache. */
export interface StepCachePlan {
  readonly plan: CachePlan;
  /** Whether this step looks up and records (false: it always runs, and marks the item fresh). */
  readonly cached: boolean;
  /** The cached steps of the same fan-out this one depends on: their keys join its key. */
  readonly deps: string[];
  /** The item's id path (`$.item.<idField>`). */
  readonly idPath: string;
  /**
   * The step's level among its fan-out's steps (the order the item runs them in: a step runs after every step of a
   * lower level, whose having run marks the item fresh). Written in the step's cache states for `rerun` to read.
   */
  readonly level: number;
  /** The fan-out's name. */
  readonly fanOut: string;
  /** The step's index among its fan-out's cached steps (its hit count's slot), or -1 when it is not cached. */
  readonly slot: number;
  /** The fan-out's item fields that name S3 objects: a read of one adds the object's ETag to the key. */
  readonly objectFields: string[];
}

/** Whether a fan-out's items carry a cache: one of its steps is cached. */
export function fanOutCached(plan: CachePlan | undefined, steps: readonly WorkflowStep[]): boolean {
  return steps.some((s) => isCached(plan, s));
}

/** A step's use of the cache, when its fan-out's items carry one. */
export function stepCachePlan(
  plan: CachePlan | undefined,
  step: WorkflowStep,
  fanOutSteps: readonly WorkflowStep[],
): StepCachePlan | undefined {
  const f = step.forEach;
  if (!plan || !f || !fanOutCached(plan, fanOutSteps)) {
    return undefined;
  }
  const levels = levelsOf(fanOutSteps, (s) => s.dependencies.filter((d) => d.forEach === f));
  return {
    plan,
    cached: isCached(plan, step),
    deps: step.dependencies.filter((d) => d.forEach === f && isCached(plan, d)).map((d) => d.name),
    idPath: `$.item.${f.idField}`,
    level: levels.findIndex((l) => l.includes(step)),
    fanOut: f.name,
    slot: cachedStepsOf(plan, fanOutSteps).indexOf(step),
    objectFields: f.inputObjects.map((o) => o.field),
  };
}

/** A fan-out's cached steps, in the order of its steps: the slots of its hit counts. */
export function cachedStepsOf(plan: CachePlan | undefined, fanOutSteps: readonly WorkflowStep[]): WorkflowStep[] {
  return fanOutSteps.filter((s) => isCached(plan, s));
}
