import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { C } from '../asl/conditions';
import { Fragment } from '../asl/fragment';
import { gcd, times } from '../asl/intrinsics';
import { describeReads, readsPresent, StateRead } from '../asl/reads';
import { cachedCount, FanOutCache, readHitCount, startHitCount } from './cache-count-states';
import { readInputObjects } from './input-object-states';
import { cacheSelector, runCacheFlag } from './cache-states';
import { claimCheck, earlierLineCheck, idsSelector } from './duplicate-ids';
import { Substitutions } from '../asl/substitutions';
import { FanOut, FanOutMode, ManifestSource } from '../step';
import { FailureKind, OutcomeStatus } from '../../contract/outcome';
import {
  CACHE_STATE_FIELDS,
  fanOutPaths as statePaths,
  RUN_CACHE_KEY,
  ITEM_ERROR_KEY,
  ITEM_INPUT_KEYS,
  ITEM_PROCESSED_KEY,
  OUTCOME_FIELDS,
  STEP_STATE_KEYS,
} from '../../contract/run-state';
import { FAILURES_IN_SUMMARY } from '../../private/limits';

/** Where a fan-out keeps its data in the execution state (the run contract's keys). */
const fanOutPaths = (f: FanOut) => statePaths(f.name);

/** What building a fan-out needs from the workflow. */
export interface FanOutContext {
  readonly states: Construct;
  readonly substitutions: Substitutions;
  readonly mode: FanOutMode;
  /** The item's steps, starting from the item in `$.item`, `$.index` and `$.run`. */
  readonly body: Fragment;
  /** Every value the item's steps read from it: the item's check tests each before any step runs. */
  readonly itemReads: StateRead[];
  /** The most items a run may pass when outcomes are kept in the state (checked before the map starts). */
  readonly maxItems?: number;
  /** The fan-out's cached steps and where they count their hits, when it has any (its items carry `$.cache`). */
  readonly cache?: FanOutCache;
}

/**
 * A fan-out: each item is checked, runs its steps, and ends with exactly one outcome record; then the fan-out counts
 * the failures and applies its partial-success policy. Within the policy the steps after it run (over the succeeded
 * items: the failed ones are listed) and the summary says PARTIAL; beyond it the execution fails with
 * `<fan-out>.TooManyItemsFailed` and a bounded summary (counts, the first failures, where the rest are).
 *
 * Outcomes stay in the state (`$.<fan-out>Outcomes`) unless the fan-out writes results to S3: then a failed item
 * fails its child execution with its record as cause, so that Step Functions' result files list it under FAILED and
 * the Map Run counts it, and the map tolerates every failure so that all items run to their end.
 */
export function buildFanOut(f: FanOut, ctx: FanOutContext): Fragment {
  const n = f.name;
  const runCachePath = `$.${RUN_CACHE_KEY}`;
  const paths = fanOutPaths(f);
  const writer = resultWriter(f, ctx.substitutions);
  const item = itemProcessor(f, ctx);
  const mapProps = {
    itemsPath: f.manifest ? undefined : f.itemsPath,
    // The run's name comes from here: a Distributed Map's child execution has its own.
    itemSelector: {
      [`${ITEM_INPUT_KEYS.item}.$`]: '$$.Map.Item.Value',
      [`${ITEM_INPUT_KEYS.index}.$`]: '$$.Map.Item.Index',
      [`${ITEM_INPUT_KEYS.run}.$`]: '$$.Execution.Name',
      ...idsSelector(f),
      ...(ctx.cache ? cacheSelector(runCachePath) : {}),
    },
    maxConcurrency: f.maxConcurrency,
  };
  let map: sfn.Map | sfn.DistributedMap;
  if (ctx.mode === FanOutMode.DISTRIBUTED) {
    const props: sfn.DistributedMapProps = {
      ...mapProps,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      label: n,
      itemReader: itemReader(f),
      resultPath: f.results ? paths.results : paths.outcomes,
      // Every item runs to its end, whatever fails: the policy is applied once all have an outcome.
      toleratedFailurePercentage: f.results ? 100 : undefined,
    };
    map = writer
      ? new ResultWritingMap(ctx.states, `${n}: for each item`, writer, props)
      : new sfn.DistributedMap(ctx.states, `${n}: for each item`, props);
  } else {
    map = new sfn.Map(ctx.states, `${n}: for each item`, { ...mapProps, resultPath: paths.outcomes });
  }
  map.itemProcessor(item);

  const done = new sfn.Pass(ctx.states, `${n}: done`);
  const noItems = new sfn.Fail(ctx.states, `${n}: no items`, {
    error: `${n}.NoItems`,
    cause: f.manifest
      ? 'The manifest lists no items: nothing to run. Upload a JSON array of items.'
      : `The input has no items at ${f.itemsPath}: nothing to run. Pass a non-empty JSON array there.`,
  });
  if (f.manifest) {
    map.addCatch(
      new sfn.Fail(ctx.states, `${n}: manifest unreadable`, {
        error: `${n}.ManifestUnreadable`,
        causePath: `${paths.error}.Cause`,
      }),
      { errors: ['States.ItemReaderFailed'], resultPath: paths.error },
    );
  }
  const policy = applyPolicy(f, ctx.states, done, ctx.cache !== undefined);
  const count = f.results
    ? countResults(f, ctx, noItems, policy)
    : new sfn.Choice(ctx.states, `${n}: any outcomes?`)
        .when(C.isPresent(`${paths.outcomes}[0]`), countOutcomes(f, ctx, policy, done))
        .otherwise(noItems);
  const c = ctx.cache;
  map.next(c ? readHitCount(ctx.states, ctx.substitutions, c.hitCounter, n, c.steps, count) : count);
  // Paths read before the map are checked first: a missing one would fail the whole execution uncatchably.
  const start = f.manifest
    ? new sfn.Choice(ctx.states, `${n}: manifest named?`).when(manifestNamed(f.manifest), map).otherwise(
        new sfn.Fail(ctx.states, `${n}: no manifest`, {
          error: `${n}.NoManifest`,
          cause: `The input does not name a manifest: pass { "manifest": { "bucket": "…", "key": "…" } } (${f.manifest.bucketPath ?? '$.manifest.bucket'}, ${f.manifest.keyPath ?? '$.manifest.key'}).`,
        }),
      )
    : new sfn.Choice(ctx.states, `${n}: any items?`)
        .when(C.isPresent(`${f.itemsPath}[0]`), ctx.maxItems === undefined ? map : itemLimit(f, ctx, ctx.maxItems, map))
        .otherwise(noItems);
  if (!c) {
    return { start, ends: [done] };
  }
  const counted = startHitCount(ctx.states, ctx.substitutions, c.hitCounter, n, c.steps, start);
  return { start: runCacheFlag(ctx.states, n, runCachePath, counted), ends: [done] };
}

/**
 * Reads the manifest the input names (a fan-out with a manifest). The bucket is passed by path so that aws-cdk-lib's
 * reader does not grant GetObject on the whole bucket: the workflow grants it under the manifest prefix only.
 */
function itemReader(f: FanOut): sfn.IItemReader | undefined {
  return f.manifest
    ? new sfn.S3JsonItemReader({
        bucketNamePath: sfn.JsonPath.stringAt(f.manifest.bucketPath ?? '$.manifest.bucket'),
        key: sfn.JsonPath.stringAt(f.manifest.keyPath ?? '$.manifest.key'),
      })
    : undefined;
}

/**
 * The ResultWriter of a fan-out with results in S3, as plain ASL (see `ResultWritingMap`).
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 */
function resultWriter(f: FanOut, s: Substitutions): Record<string, unknown> | undefined {
  return f.results
    ? {
        Resource: `arn:${s.partition()}:states:::s3:putObject`,
        Parameters: {
          Bucket: s.of(f.results.bucket.bucketName, f.results.bucket.node.id),
          Prefix: f.results.prefix ?? 'results/',
        },
      }
    : undefined;
}

/**
 * Outcomes kept in the state: a run with more items than they fit in fails before any job, naming the limit, instead
 * of failing with States.DataLimitExceeded (which no Catch handles) once the outcomes outgrow 256 KiB.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
function itemLimit(f: FanOut, ctx: FanOutContext, max: number, map: sfn.State): sfn.IChainable {
  const n = f.name;
  const count = new sfn.Pass(ctx.states, `${n}: count items`, {
    parameters: { 'items.$': `States.ArrayLength(${f.itemsPath})` },
    resultPath: fanOutPaths(f).counts,
  });
  return count.next(
    new sfn.Choice(ctx.states, `${n}: items fit the state?`)
      .when(C.numberLessThanEquals(`${fanOutPaths(f).counts}.items`, max), map)
      .otherwise(
        new sfn.Fail(ctx.states, `${n}: too many items`, {
          error: `${n}.TooManyItems`,
          cause:
            `More than ${max} items: their outcomes would not fit the execution state (256 KiB). ` +
            'Split the items into several runs, or give the fan-out results in S3 (results: { bucket }).',
        }),
      ),
  );
}

function manifestNamed(m: ManifestSource): sfn.Condition {
  const bucket = m.bucketPath ?? '$.manifest.bucket';
  const key = m.keyPath ?? '$.manifest.key';
  return C.and(C.isPresent(bucket), C.isString(bucket), C.isPresent(key), C.isString(key));
}

/**
 * What runs for one item: a check of its declared fields (each present and a string), then its steps inside a
 * parallel wrapper whose catch turns any failure into the item's outcome record.
 */
function itemProcessor(f: FanOut, ctx: FanOutContext): sfn.IChainable {
  const n = f.name;
  const id = { [`${OUTCOME_FIELDS.id}.$`]: `$.item.${f.idField}` };
  // The item's state after its steps, in `$.processed[0]`: whether a step lost its Spot capacity (`spotLost`).
  const wrapper = new sfn.Parallel(ctx.states, `${n}: process item`, { resultPath: `$.${ITEM_PROCESSED_KEY}` });
  // A manifest's line claims its id in S3 before its steps (inside the wrapper: an S3 error becomes its outcome).
  const objects = ctx.cache?.objects ?? [];
  const body = objects.length
    ? readInputObjects(ctx.states, ctx.substitutions, n, objects, ctx.body.start)
    : ctx.body.start;
  wrapper.branch(f.manifest ? claimCheck(ctx.states, f, ctx.substitutions, body) : body);
  // A cached fan-out's outcomes name the steps served from the cache.
  const cached = ctx.cache
    ? {
        [`${OUTCOME_FIELDS.cached}.$`]: `$.${ITEM_PROCESSED_KEY}[0].${STEP_STATE_KEYS.cache}.${CACHE_STATE_FIELDS.hits}`,
      }
    : {};
  const succeeded = new sfn.Pass(ctx.states, `${n}: item succeeded`, {
    parameters: { 'index.$': '$.index', ...id, status: OutcomeStatus.SUCCEEDED, ...cached },
  });
  const lost = `$.${ITEM_PROCESSED_KEY}[0].${STEP_STATE_KEYS.spotLost}`;
  const onDemand = new sfn.Pass(ctx.states, `${n}: item succeeded On-Demand`, {
    parameters: {
      'index.$': '$.index',
      ...id,
      status: OutcomeStatus.SUCCEEDED,
      [`${OUTCOME_FIELDS.onDemandFrom}.$`]: `${lost}.step`,
      [`${OUTCOME_FIELDS.onDemandReason}.$`]: `${lost}.reason`,
      ...cached,
    },
  });
  // Both fields are written together (failure-states.ts, "remember Spot lost"): checking both reads no missing path.
  wrapper.next(
    new sfn.Choice(ctx.states, `${n}: went On-Demand?`)
      .when(C.and(C.isPresent(`${lost}.step`), C.isPresent(`${lost}.reason`)), onDemand)
      .otherwise(succeeded),
  );

  // A failure ends as the record the step's failure states made (the cause, as JSON), or, for an error that did not
  // come through them, a record of the error as it is.
  const end = f.results
    ? (() => {
        const asCause = new sfn.Pass(ctx.states, `${n}: item outcome as cause`, {
          parameters: { 'error.$': '$.error', 'cause.$': 'States.JsonToString($)' },
        });
        asCause.next(new sfn.Fail(ctx.states, `${n}: item failed`, { errorPath: '$.error', causePath: '$.cause' }));
        return asCause;
      })()
    : undefined;
  const finish = (pass: sfn.Pass) => (end ? pass.next(end) : pass);
  const fromRecord = finish(
    new sfn.Pass(ctx.states, `${n}: item failure`, {
      parameters: { 'outcome.$': `States.StringToJson($.${ITEM_ERROR_KEY}.Cause)` },
      outputPath: '$.outcome',
    }),
  );
  // An error that did not come through the step failure states, recorded as it is.
  const errorRecord = (name: string, reason: string) =>
    finish(
      new sfn.Pass(ctx.states, `${n}: ${name}`, {
        parameters: {
          'index.$': '$.index',
          ...id,
          status: OutcomeStatus.FAILED,
          'error.$': `$.${ITEM_ERROR_KEY}.Error`,
          kind: FailureKind.WORKFLOW_ERROR,
          'reason.$': reason,
        },
      }),
    );
  const fromError = errorRecord(
    'item error',
    `States.Format('{}: {}', $.${ITEM_ERROR_KEY}.Error, $.${ITEM_ERROR_KEY}.Cause)`,
  );
  wrapper.addCatch(
    new sfn.Choice(ctx.states, `${n}: outcome in the cause?`)
      .when(
        C.and(
          C.isPresent(`$.${ITEM_ERROR_KEY}.Cause`),
          C.isString(`$.${ITEM_ERROR_KEY}.Cause`),
          C.stringMatches(`$.${ITEM_ERROR_KEY}.Cause`, '{*}'),
        ),
        fromRecord,
      )
      .when(C.and(C.isPresent(`$.${ITEM_ERROR_KEY}.Cause`), C.isString(`$.${ITEM_ERROR_KEY}.Cause`)), fromError)
      .otherwise(errorRecord('item error without cause', `$.${ITEM_ERROR_KEY}.Error`)),
    { errors: [sfn.Errors.ALL], resultPath: `$.${ITEM_ERROR_KEY}` },
  );

  const invalid = finish(
    new sfn.Pass(ctx.states, `${n}: item invalid`, {
      parameters: {
        'index.$': '$.index',
        status: OutcomeStatus.FAILED,
        error: 'Item.Invalid',
        kind: FailureKind.INVALID_ITEM,
        'reason.$': `States.Format('item {} ${describeReads(ctx.itemReads, ['$.item.'])}; fix the manifest line and rerun', $.index)`,
      },
    }),
  );
  // A line passed in the input sees the others' ids: it runs only when no earlier line has its id.
  const checked = f.manifest ? wrapper : earlierLineCheck(ctx.states, f, wrapper, finish);
  return new sfn.Choice(ctx.states, `${n}: item valid?`)
    .when(readsPresent(ctx.itemReads), checked, {
      comment: 'A missing path would raise States.Runtime, which no Catch handles: the item fails alone instead',
    })
    .otherwise(invalid);
}

/** Counts the outcomes kept in the state: items, failed, and the failed records (only when some failed). */
function countOutcomes(f: FanOut, ctx: FanOutContext, policy: sfn.IChainable, done: sfn.Pass): sfn.IChainable {
  const n = f.name;
  const states = ctx.states;
  const paths = fanOutPaths(f);
  // Filters that match nothing are errors in some JSONPath engines: failures are collected only when there are some.
  const statuses = new sfn.Pass(states, `${n}: statuses`, {
    parameters: {
      'values.$': `${paths.outcomes}[*].status`,
      'items.$': `States.ArrayLength(${paths.outcomes})`,
    },
    resultPath: paths.counts,
  });
  const allSucceeded = new sfn.Pass(states, `${n}: all succeeded`, {
    parameters: {
      status: OutcomeStatus.SUCCEEDED,
      'items.$': `${paths.counts}.items`,
      failed: 0,
      ...cachedCount(n, ctx.cache !== undefined),
    },
    resultPath: paths.summary,
  });
  allSucceeded.next(done);
  const collect = new sfn.Pass(states, `${n}: collect failures`, {
    parameters: {
      'items.$': `${paths.counts}.items`,
      'failures.$': `${paths.outcomes}[?(@.status == 'FAILED')]`,
    },
    resultPath: paths.counts,
  });
  const count = new sfn.Pass(states, `${n}: count failures`, {
    parameters: {
      'items.$': `${paths.counts}.items`,
      'failed.$': `States.ArrayLength(${paths.counts}.failures)`,
      [`first.$`]: `${paths.counts}.failures[0:${FAILURES_IN_SUMMARY}]`,
      // Not `where`: that word is an operator to some JSONPath parsers (moto's), which then cannot read the path.
      outcomesAt: `every outcome is in ${paths.outcomes.slice(2)} (the execution output, or the output of state '${n}: for each item' in its history)`,
    },
    resultPath: paths.counts,
  });
  // Choice rules cannot call intrinsics: the check is computed first.
  const anyFailed = new sfn.Pass(states, `${n}: failed?`, {
    parameters: {
      'items.$': `${paths.counts}.items`,
      'anyFailed.$': `States.ArrayContains(${paths.counts}.values, 'FAILED')`,
    },
    resultPath: paths.counts,
  });
  statuses
    .next(anyFailed)
    .next(
      new sfn.Choice(states, `${n}: any failed?`)
        .when(C.booleanEquals(`${paths.counts}.anyFailed`, true), collect)
        .otherwise(allSucceeded),
    );
  collect.next(count).next(policy);
  return statuses;
}

/** Counts the outcomes written to S3: the Map Run's item counts (timed-out and aborted children count as failed). */
function countResults(f: FanOut, ctx: FanOutContext, noItems: sfn.IChainable, policy: sfn.IChainable): sfn.IChainable {
  const n = f.name;
  const paths = fanOutPaths(f);
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html
  const describe = new sfn.CustomState(ctx.states, `${n}: count outcomes`, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${ctx.substitutions.partition()}:states:::aws-sdk:sfn:describeMapRun`,
      Parameters: { 'MapRunArn.$': `${paths.results}.MapRunArn` },
      ResultSelector: {
        'items.$': '$.ItemCounts.Total',
        'succeeded.$': '$.ItemCounts.Succeeded',
        'failed.$': 'States.MathAdd(States.MathAdd($.ItemCounts.Failed, $.ItemCounts.TimedOut), $.ItemCounts.Aborted)',
      },
      ResultPath: paths.counts,
    },
  });
  describe.addRetry({ errors: ['Sfn.ThrottlingException', 'Sfn.SfnException'], maxAttempts: 6 });
  describe.addCatch(
    new sfn.Fail(ctx.states, `${n}: outcomes not counted`, {
      error: `${n}.OutcomesNotCounted`,
      causePath: `${paths.error}.Cause`,
    }),
    { errors: [sfn.Errors.ALL], resultPath: paths.error },
  );
  return describe.next(
    new sfn.Choice(ctx.states, `${n}: any outcomes?`)
      .when(C.numberEquals(`${paths.counts}.items`, 0), noItems)
      .otherwise(policy),
  );
}

/**
 * The partial-success policy on `$.<fan-out>Counts` ({ items, failed }): no failure, within the policy (PARTIAL, the
 * later steps run), or beyond it (the execution fails with a bounded summary).
 */
function applyPolicy(f: FanOut, states: Construct, done: sfn.Pass, cached: boolean): sfn.IChainable {
  const n = f.name;
  const paths = fanOutPaths(f);
  const summary = (status: OutcomeStatus) => ({
    status,
    ...cachedCount(n, cached),
    'items.$': `${paths.counts}.items`,
    'failed.$': `${paths.counts}.failed`,
    ...(f.results
      ? {
          'succeeded.$': `${paths.counts}.succeeded`,
          // The Map's output with a ResultWriter names the manifest of its result files.
          // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
          'results.$': `States.Format('s3://{}/{}', ${paths.results}.ResultWriterDetails.Bucket, ${paths.results}.ResultWriterDetails.Key)`,
        }
      : { 'firstFailures.$': `${paths.counts}.first`, 'where.$': `${paths.counts}.outcomesAt` }),
  });
  const partial = new sfn.Pass(states, `${n}: some failed`, {
    parameters: summary(OutcomeStatus.PARTIAL),
    resultPath: paths.summary,
  });
  partial.next(done);
  const tooMany = new sfn.Pass(states, `${n}: too many failed`, {
    parameters: { 'cause.$': `States.JsonToString(${paths.summary})` },
    resultPath: paths.failure,
  });
  const failedSummary = new sfn.Pass(states, `${n}: summarize failure`, {
    parameters: summary(OutcomeStatus.FAILED),
    resultPath: paths.summary,
  });
  failedSummary
    .next(tooMany)
    .next(
      new sfn.Fail(states, `${n}: stop`, { error: `${n}.TooManyItemsFailed`, causePath: `${paths.failure}.cause` }),
    );
  const rules: sfn.Condition[] = [];
  if (f.maxFailedItems !== undefined) {
    rules.push(C.numberGreaterThan(`${paths.counts}.failed`, f.maxFailedItems));
  }
  let scale: sfn.Pass | undefined;
  if (f.maxFailedPercentage === 0) {
    rules.push(C.numberGreaterThan(`${paths.counts}.failed`, 0));
  } else if (f.maxFailedPercentage !== undefined) {
    // failed / items > p / 100  <=>  failed × (100/g) > items × (p/g), g = gcd(100, p): whole numbers only.
    const g = gcd(100, f.maxFailedPercentage);
    scale = new sfn.Pass(states, `${n}: scale counts`, {
      parameters: {
        'failed.$': times(`${paths.counts}.failed`, 100 / g),
        'items.$': times(`${paths.counts}.items`, f.maxFailedPercentage / g),
      },
      resultPath: paths.scaled,
    });
    rules.push(C.numberGreaterThanJsonPath(`${paths.scaled}.failed`, `${paths.scaled}.items`));
  }
  const check = new sfn.Choice(states, `${n}: within the failure policy?`);
  if (rules.length > 0) {
    check.when(rules.length === 1 ? rules[0] : C.or(...rules), failedSummary);
  }
  check.otherwise(partial);
  const none = new sfn.Choice(states, `${n}: none failed?`)
    .when(
      C.numberEquals(`${paths.counts}.failed`, 0),
      new sfn.Pass(states, `${n}: none failed`, {
        parameters: summary(OutcomeStatus.SUCCEEDED),
        resultPath: paths.summary,
      }).next(done),
    )
    .otherwise(scale ? scale.next(check) : check);
  return none;
}

/**
 * A Distributed Map with a ResultWriter given as plain ASL: aws-cdk-lib's `ResultWriterV2` renders only under a
 * feature flag of the app, and its `ResultWriter` grants writes to the whole bucket.
 */
class ResultWritingMap extends sfn.DistributedMap {
  constructor(
    scope: Construct,
    id: string,
    private readonly writer: Record<string, unknown>,
    props: sfn.DistributedMapProps,
  ) {
    super(scope, id, props);
  }

  public override toStateJson(...args: Parameters<sfn.DistributedMap['toStateJson']>): object {
    return { ...super.toStateJson(...args), ResultWriter: this.writer };
  }
}
