import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { HIT_COUNTER_KEY, HitCounter } from './states/cache-count-states';

/**
 * The table of a cached workflow's hit counts (states/cache-count-states.ts): one row per run and fan-out while it
 * runs, deleted once read. On-demand: it costs nothing while no run reads the cache.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html
 */
export function createCacheHitsTable(scope: Construct): dynamodb.Table {
  return new dynamodb.Table(scope, 'CacheHits', {
    partitionKey: { name: HIT_COUNTER_KEY, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    // Control Tower's DynamoDB controls (CT.DYNAMODB.PR.1, .PR.2) ask for both, as on the notifier's table; on a
    // table of a few rows they cost next to nothing.
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    // Counts of runs in progress only: nothing to keep when the workflow goes.
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

/** The counter the states use. */
export function hitCounterOf(table: dynamodb.ITable): HitCounter {
  return { tableName: table.tableName, partitionKey: HIT_COUNTER_KEY };
}

/** What the workflow's role does with the table: create, add to, read and delete its runs' rows. */
export function grantCacheHits(table: dynamodb.ITable, role: iam.IGrantable): void {
  table.grant(role, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem');
}
