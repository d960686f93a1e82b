import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/**
 * A small on-demand DynamoDB table of the library's own bookkeeping (a string key `id`): it costs nothing while
 * nothing writes to it, and is deleted with the stack (it holds nothing a user keeps). Control Tower's DynamoDB
 * controls (CT.DYNAMODB.PR.1, .PR.2) ask for point-in-time recovery and encryption; on a table of a few keys they cost
 * next to nothing. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html
 */
/** The partition key of a bookkeeping table (a string). */
export const BOOKKEEPING_KEY = 'id';

export function bookkeepingTable(scope: Construct, id: string): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: BOOKKEEPING_KEY, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
