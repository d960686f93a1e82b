import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { C } from '../asl/conditions';
import { countHit, HitCounter } from './cache-count-states';
import { Fragment } from '../asl/fragment';
import { Substitutions } from '../asl/substitutions';
import { StepCachePlan } from '../plan/cache-plan';
import { StepPlan } from '../plan/step-plan';
import {
  CACHE_STATE_FIELDS,
  CACHE_STATE_SUFFIXES,
  cacheKeyPath,
  cacheLevelComment,
  ITEM_INPUT_KEYS,
  inputObjectPath,
  NO_CACHE_INPUT_KEY,
  STEP_STATE_KEYS,
} from '../../contract/run-state';
import { fail } from '../../private/errors';
import { MAX_NESTED_INTRINSICS } from '../../private/limits';

// A fan-out step's result cache (WorkflowStepOptions.cache). Each item carries `$.cache`: `fresh` (a step of the item
// ran a job in this run, or the run was started with noCache: later steps run too), `keys` (each step's key) and
// `hits` (each step served from the cache, and what produced it). A cached step computes its key, looks for its
// record (S3 GetObject under the cache prefix) unless the item is fresh, and either goes on (a hit: no job) or marks
// the item fresh and runs; after its job succeeds it records the run and job (PutObject). Nothing here can fail the
// item: a lookup that fails is a miss, a record that cannot be written is left out.
// https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html (aws-sdk:s3 integration)

const CACHE = `$.${STEP_STATE_KEYS.cache}`;

/**
 * Where a cached step's submit puts its job's id for the record (`.Cause`, so that a watched Spot attempt's, carried as
 * its Fail state's cause to the Parallel's Catch, is read from the same path: spot-wait-states.ts).
 */
export const CACHE_JOB_ID_RESULT = `${CACHE}.job`;

/** The item's cache at its start (the map's ItemSelector), as the run's flag made it (`runCacheFlag`). */
export function cacheSelector(runCachePath: string): Record<string, unknown> {
  return { [`${ITEM_INPUT_KEYS.cache}.$`]: runCachePath };
}

/**
 * Before a cached fan-out: whether the run uses the cache (`noCache: true` in the input turns lookups off; steps
 * still record), written to `runCachePath` as each item's cache at its start, for the map's ItemSelector.
 */
export function runCacheFlag(states: Construct, fanOut: string, runCachePath: string, next: sfn.State): sfn.State {
  const flag = (id: string, fresh: boolean) =>
    new sfn.Pass(states, `${fanOut}: ${id}`, {
      result: sfn.Result.fromObject({
        [CACHE_STATE_FIELDS.fresh]: fresh,
        [CACHE_STATE_FIELDS.keys]: {},
        [CACHE_STATE_FIELDS.hits]: {},
      }),
      resultPath: runCachePath,
    }).next(next);
  const noCache = `$.${NO_CACHE_INPUT_KEY}`;
  return new sfn.Choice(states, `${fanOut}: use the cache?`)
    .when(
      C.and(C.isPresent(noCache), C.isBoolean(noCache), C.booleanEquals(noCache, true)),
      flag('cache not read', true),
    )
    .otherwise(flag('cache read', false));
}

/** What a step's cache states need. */
export interface StepCacheContext extends StepCachePlan {
  readonly states: Construct;
  readonly substitutions: Substitutions;
  /** Where hits are counted for the fan-out's summary. */
  readonly hitCounter: HitCounter;
}

/**
 * Wraps a step's fragment in its cache states. The step's submit must put its job id at `$.cache.job.Cause`
 * (`recordJobId`). A wrapped step has no `entry`: the step before it does not hand its attempt record over.
 */
export function withCache(frag: Fragment, plan: StepPlan, c: StepCacheContext): Fragment {
  const step = plan.step.name;
  const fresh = new sfn.Pass(c.states, c.cached ? `${step}: run it` : `${step}${CACHE_STATE_SUFFIXES.uncached}`, {
    comment: cacheLevelComment(c.level),
    parameters: {
      [CACHE_STATE_FIELDS.fresh]: true,
      [`${CACHE_STATE_FIELDS.keys}.$`]: `${CACHE}.${CACHE_STATE_FIELDS.keys}`,
      [`${CACHE_STATE_FIELDS.hits}.$`]: `${CACHE}.${CACHE_STATE_FIELDS.hits}`,
    },
    resultPath: CACHE,
  });
  fresh.next(frag.start);
  if (!c.cached) {
    return { start: fresh, ends: frag.ends };
  }
  const bucket = c.substitutions.of(c.plan.bucket.bucketName, `${c.plan.bucket.node.id}Bucket`);
  const recordKey = `States.Format('${c.plan.prefix}${step}/{}', ${cacheKeyPath(step)})`;
  const key = new sfn.Pass(c.states, `${step}${CACHE_STATE_SUFFIXES.key}`, {
    comment: cacheLevelComment(c.level),
    parameters: { 'key.$': cacheKeyExpression(plan, c, c.substitutions) },
    resultPath: `${CACHE}.${CACHE_STATE_FIELDS.keys}.${step}`,
  });
  const s3Task = (id: string, action: string, parameters: object, resultSelector: object | undefined, path: string) =>
    new sfn.CustomState(c.states, id, {
      stateJson: {
        Type: 'Task',
        Resource: c.substitutions.integration(`aws-sdk:s3:${action}`, `S3_${action}`),
        Parameters: parameters,
        ...(resultSelector ? { ResultSelector: resultSelector } : {}),
        ResultPath: path,
      },
    });
  // A hit: the record's body names the run and job that produced the result.
  const lookup = s3Task(
    `${step}${CACHE_STATE_SUFFIXES.lookup}`,
    'getObject',
    // A record is a few dozen bytes: reading at most 1 KiB keeps anything else written under the prefix from
    // passing the 256 KiB state limit (States.DataLimitExceeded, which no Catch handles); an empty object is refused
    // (416) and so a miss, never a result without Body.
    { Bucket: bucket, 'Key.$': recordKey, Range: 'bytes=0-1023' },
    { 'producedBy.$': '$.Body' },
    `${CACHE}.${CACHE_STATE_FIELDS.hits}.${step}`,
  );
  // A missing record is S3.NoSuchKeyException (the role may list the prefix, so S3 answers 404, not 403); any other
  // error after retries is a miss too: the step runs, as it would without a cache.
  lookup.addRetry({
    errors: ['S3.S3Exception', 'S3.SdkClientException'],
    maxAttempts: 3,
    jitterStrategy: sfn.JitterType.FULL,
  });
  lookup.addCatch(fresh, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  key.next(
    new sfn.Choice(c.states, `${step}: cached?`)
      .when(C.booleanEquals(`${CACHE}.${CACHE_STATE_FIELDS.fresh}`, true), frag.start, {
        comment: 'An earlier step of the item ran, or the run does not read the cache: this one runs',
      })
      .otherwise(lookup),
  );
  const record = s3Task(
    `${step}: record the result`,
    'putObject',
    {
      Bucket: bucket,
      'Key.$': recordKey,
      'Body.$': `States.Format('run {} job {}', $.${ITEM_INPUT_KEYS.run}, ${CACHE_JOB_ID_RESULT}.Cause)`,
    },
    undefined,
    sfn.JsonPath.DISCARD,
  );
  record.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL });
  const notRecorded = new sfn.Pass(c.states, `${step}: result not recorded`, {
    comment: 'The record could not be written: a rerun runs the step again',
  });
  record.addCatch(notRecorded, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  // The job's id is read only once it is known to be there: a missing path would raise States.Runtime.
  const jobId = `${CACHE_JOB_ID_RESULT}.Cause`;
  const known = new sfn.Choice(c.states, `${step}: job id known?`)
    .when(C.and(C.isPresent(jobId), C.isString(jobId)), record)
    .otherwise(notRecorded);
  for (const end of frag.ends) {
    end.next(known);
  }
  const counted = countHit(c.states, c.substitutions, c.hitCounter, c.fanOut, step, c.slot);
  lookup.next(counted.start);
  return { start: key, ends: [record, notRecorded, ...counted.ends] };
}

/**
 * The step's key: SHA-256 of the JSON array of its job definition ARN (a new revision for a new image, command or
 * resources), the item's id, every value the step reads, the ETags of the S3 objects those values name (declared in
 * `inputObjects`), and the keys of the cached steps it depends on. A JSON array,
 * not a joined string, so that values holding a separator cannot make two inputs alike.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html (States.Hash, States.JsonToString)
 */
function cacheKeyExpression(plan: StepPlan, c: StepCacheContext, s: Substitutions): string {
  const job = plan.step._options.job;
  const reads = [...new Set([c.idPath, ...plan.reads.map((r) => r.path)])];
  // The ETag of each S3 object the step reads (FanOutOptions.inputObjects; input-object-states.ts).
  const objects = c.objectFields.filter((f) => reads.includes(`$.item.${f}`)).map(inputObjectPath);
  const args = [...reads, ...objects, ...c.deps.map(cacheKeyPath)];
  const arn = s.of(job.jobDefinitionArn, job.node.id);
  return `States.Hash(States.JsonToString(States.Array('${arn}', ${args.join(', ')})), 'SHA-256')`;
}

/**
 * A parallel level inside a cached item: its branches' caches merged back into the item's (a Parallel state's
 * output is its branches' outputs). Fresh if any branch ran; every branch's keys and hits.
 */
export function mergeBranchCaches(
  scope: Construct,
  names: string[],
): { resultSelector: Record<string, string>; resultPath: string } {
  const branches = names.length;
  if (branches - 1 > MAX_NESTED_INTRINSICS) {
    fail(scope, {
      prop: 'steps',
      received: `${branches} side by side in one fan-out (${names.join(', ')})`,
      allowed: `at most ${MAX_NESTED_INTRINSICS + 1} side by side in a fan-out whose steps are cached: their caches are merged with nested States.JsonMerge, at most ${MAX_NESTED_INTRINSICS} deep`,
      fix: 'make some of them depend on another (dependsOn), or turn the step cache off (cache: false on the workflow)',
    });
  }
  const merge = (field: string) => {
    let expr = `$[0].${STEP_STATE_KEYS.cache}.${field}`;
    for (let i = 1; i < branches; i++) {
      expr = `States.JsonMerge(${expr}, $[${i}].${STEP_STATE_KEYS.cache}.${field}, false)`;
    }
    return expr;
  };
  return {
    resultSelector: {
      [`${CACHE_STATE_FIELDS.fresh}.$`]: `States.ArrayContains($[*].${STEP_STATE_KEYS.cache}.${CACHE_STATE_FIELDS.fresh}, true)`,
      [`${CACHE_STATE_FIELDS.keys}.$`]: merge(CACHE_STATE_FIELDS.keys),
      [`${CACHE_STATE_FIELDS.hits}.$`]: merge(CACHE_STATE_FIELDS.hits),
    },
    resultPath: CACHE,
  };
}
