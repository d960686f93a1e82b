import { ArnFormat, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';

/**
 * A log group an EventBridge rule may write to, named `/aws/events/<unique name of nameScope>` (EventBridge writes
 * only to log groups named /aws/events/...).
 *
 * EventBridge needs a CloudWatch Logs resource policy to write there. An account-level one
 * (`AWS::Logs::ResourcePolicy`, and what aws-cdk-lib's `CloudWatchLogGroup` target installs for every rule) counts
 * against a quota of 10 per account and Region that cannot be raised, so the eleventh stack would fail to deploy
 * with LimitExceededException. A policy attached to the log group itself does not count: "An account can have a
 * maximum of 10 policies without resourceARN and one per LogGroup resourceARN". CloudFormation sets it with the
 * log group's `ResourcePolicyDocument`, which the L2 `LogGroup` does not expose (its `addToResourcePolicy` creates
 * an account-level policy), hence the L1 property.
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-loggroup.html (ResourcePolicyDocument)
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions
 */
export function eventsLogGroup(
  scope: Construct,
  id: string,
  nameScope: IConstruct,
  retention: logs.RetentionDays,
): logs.LogGroup {
  const logGroupName = `/aws/events/${Names.uniqueResourceName(nameScope, { maxLength: 200, separator: '-' })}`;
  const group = new logs.LogGroup(scope, id, { logGroupName, retention, removalPolicy: RemovalPolicy.DESTROY });
  // Built from the name, not the group's own ARN attribute: a resource cannot reference itself.
  const arn = Stack.of(scope).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: `${logGroupName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  (group.node.defaultChild as logs.CfnLogGroup).resourcePolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: arn,
      },
    ],
  };
  return group;
}

/** The ARN an EventBridge target names a log group by: without the ':*' its own ARN ends in. */
export function eventsTargetArn(group: logs.LogGroup): string {
  return Stack.of(group).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: group.logGroupName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
