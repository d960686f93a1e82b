import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { C } from '../asl/conditions';
import { Fragment } from '../asl/fragment';
import { Substitutions } from '../asl/substitutions';
import { InputObjects } from '../step';
import { fanOutPaths, ITEM_INPUT_KEYS, SUMMARY_FIELDS } from '../../contract/run-state';
import { BOOKKEEPING_KEY } from '../../private/tables';

// How many items each cached step took from the step cache, for the fan-out's summary and the run's message. The
// items of a Distributed Map are child executions whose states the parent cannot read, so each hit adds 1 to a
// counter: one DynamoDB row per run and fan-out (`<run>/<fan-out>`), one number attribute per cached step. The row is
// created with zeros before the map, read after it, and deleted once read. Nothing here can fail an item or the run:
// a count that cannot be made is said to be missing.
// https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html (the optimized DynamoDB integration)
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html (ADD on a number attribute)

/** Where the counter lives: its table's name, and a placeholder hint for the definition's substitutions. */
export interface HitCounter {
  readonly tableName: string;
  /** The table's partition key attribute (a string). */
  readonly partitionKey: string;
}

/** A cached fan-out: its steps that use the cache (in order: their hit counts' slots), its counter, its objects. */
export interface FanOutCache {
  readonly steps: readonly string[];
  readonly hitCounter: HitCounter;
  /** The item fields that name S3 objects whose ETags join the keys (`FanOutOptions.inputObjects`). */
  readonly objects: readonly InputObjects[];
}

/** A cached fan-out's summary says how many items each step took from the cache. */
export function cachedCount(fanOut: string, cached: boolean): Record<string, string> {
  return cached ? { [`${SUMMARY_FIELDS.cached}.$`]: `${fanOutPaths(fanOut).cacheHits}.text` } : {};
}

/** The partition key of the hit counter's table. */
export const HIT_COUNTER_KEY = BOOKKEEPING_KEY;

/**
 * A step's count in the row: `h<slot>`, its index among its fan-out's cached steps. Not the step's name: a step may
 * be called like a DynamoDB reserved word or hold a `-`, which would need an attribute-name placeholder.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html
 */
export const hitAttribute = (slot: number) => `h${slot}`;

/** The text a fan-out's summary carries when its hits could not be counted. */
export const HITS_NOT_COUNTED = 'not counted (the step-cache counter could not be read)';

const table = (s: Substitutions, counter: HitCounter) => s.of(counter.tableName, 'CacheHitsTable');
const rowKey = (fanOut: string, runPath: string) => ({
  [HIT_COUNTER_KEY]: { 'S.$': `States.Format('{}/${fanOut}', ${runPath})` },
});

/**
 * After a hit, inside the item: adds 1 to the step's count. A throttled call is retried (a call that failed did not
 * count; only a response lost after DynamoDB applied it could count twice); one that still fails leaves the hit out.
 */
export function countHit(
  states: Construct,
  s: Substitutions,
  counter: HitCounter,
  fanOut: string,
  step: string,
  slot: number,
): Fragment {
  const add = new sfn.CustomState(states, `${step}: count the hit`, {
    stateJson: {
      Type: 'Task',
      Resource: s.integration('dynamodb:updateItem', 'DynamoDB_updateItem'),
      Parameters: {
        TableName: table(s, counter),
        Key: rowKey(fanOut, `$.${ITEM_INPUT_KEYS.run}`),
        UpdateExpression: `ADD ${hitAttribute(slot)} :one`,
        ExpressionAttributeValues: { ':one': { N: '1' } },
      },
      ResultPath: null,
      Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 4, JitterStrategy: 'FULL' }],
    },
  });
  const notCounted = new sfn.Pass(states, `${step}: hit not counted`, {
    comment: "The counter could not be updated: the fan-out's summary counts one hit fewer",
  });
  add.addCatch(notCounted, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  return { start: add, ends: [add, notCounted] };
}

/**
 * Before the map: the run's row with every cached step at 0, so that each can be read after the map. A row that
 * cannot be written is counted as missing at the end.
 */
export function startHitCount(
  states: Construct,
  s: Substitutions,
  counter: HitCounter,
  fanOut: string,
  steps: readonly string[],
  next: sfn.IChainable,
): sfn.State {
  const put = new sfn.CustomState(states, `${fanOut}: start counting cache hits`, {
    stateJson: {
      Type: 'Task',
      Resource: s.integration('dynamodb:putItem', 'DynamoDB_putItem'),
      Parameters: {
        TableName: table(s, counter),
        Item: {
          ...rowKey(fanOut, '$$.Execution.Name'),
          ...Object.fromEntries(steps.map((_, i) => [hitAttribute(i), { N: '0' }])),
        },
      },
      ResultPath: null,
      Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3, JitterStrategy: 'FULL' }],
    },
  });
  put.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  put.next(next);
  return put;
}

/**
 * After the map: reads the run's row into `$.<fan-out>CacheHits.text` (`align 500, callVariants 490`), or says it is
 * missing, then deletes the row. Every attribute is checked before it is read: a missing path would raise
 * States.Runtime, which no Catch handles.
 */
export function readHitCount(
  states: Construct,
  s: Substitutions,
  counter: HitCounter,
  fanOut: string,
  steps: readonly string[],
  next: sfn.IChainable,
): sfn.State {
  const hits = fanOutPaths(fanOut).cacheHits;
  const key = rowKey(fanOut, '$$.Execution.Name');
  const task = (id: string, action: string, extra: object, resultPath: string | null) =>
    new sfn.CustomState(states, `${fanOut}: ${id}`, {
      stateJson: {
        Type: 'Task',
        Resource: s.integration(`dynamodb:${action}`, `DynamoDB_${action}`),
        Parameters: { TableName: table(s, counter), Key: key, ...extra },
        ResultPath: resultPath,
        Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3, JitterStrategy: 'FULL' }],
      },
    });
  const remove = task('forget the cache hits', 'deleteItem', {}, null);
  remove.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  remove.next(next);
  const missing = new sfn.Pass(states, `${fanOut}: cache hits not counted`, {
    parameters: { text: HITS_NOT_COUNTED },
    resultPath: hits,
  });
  missing.next(remove);
  // A strongly consistent read: every item's update has returned before the map ends.
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html
  const read = task('read the cache hits', 'getItem', { ConsistentRead: true }, hits);
  read.addCatch(missing, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  const n = (i: number) => `${hits}.Item.${hitAttribute(i)}.N`;
  const text = new sfn.Pass(states, `${fanOut}: cache hits`, {
    parameters: {
      'text.$': `States.Format('${steps.map((step) => `${step} {}`).join(', ')}', ${steps.map((_, i) => n(i)).join(', ')})`,
    },
    resultPath: hits,
  });
  text.next(remove);
  read.next(
    new sfn.Choice(states, `${fanOut}: cache hits counted?`)
      .when(C.and(...steps.flatMap((_, i) => [C.isPresent(n(i)), C.isString(n(i))])), text)
      .otherwise(missing),
  );
  return read;
}
