import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { HIT_COUNTER_KEY, HitCounter } from './states/cache-count-states';
import { bookkeepingTable } from '../private/tables';

/**
 * The table of a cached workflow's hit counts (states/cache-count-states.ts): one row per run and fan-out while it
 * runs, deleted once read. On-demand: it costs nothing while no run reads the cache.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html
 */
export function createCacheHitsTable(scope: Construct): dynamodb.Table {
  return bookkeepingTable(scope, 'CacheHits');
}

/** The counter the states use. */
export function hitCounterOf(table: dynamodb.ITable): HitCounter {
  return { tableName: table.tableName, partitionKey: HIT_COUNTER_KEY };
}

/** What the workflow's role does with the table: create, add to, read and delete its runs' rows. */
export function grantCacheHits(table: dynamodb.ITable, role: iam.IGrantable): void {
  table.grant(role, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem');
}
