import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { containerInsightsLogGroup } from '../private/limits';
import { acknowledgeOnGrantee } from '../private/nag';

/**
 * What `batch-pipelines rightsize` reads of Container Insights: FilterLogEvents in the performance log groups of the
 * account's ECS clusters in the stack's Region. Batch names the cluster behind a compute environment when it creates
 * it (it is not known at synth), hence `*` for the cluster's name; the group's ARN ends in `:*` as IAM takes it for
 * FilterLogEvents. Read-only, of performance events (no job output).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 */
export function grantContainerInsightsReads(scope: IConstruct, grantee: iam.IGrantable): iam.Grant {
  const groups = Stack.of(scope).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: `${containerInsightsLogGroup('*')}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  acknowledgeOnGrantee(
    scope,
    grantee,
    groups,
    "Container Insights' performance log groups are named after ECS clusters Batch creates, unknown at synth.",
  );
  return iam.Grant.addToPrincipal({ grantee, actions: ['logs:FilterLogEvents'], resourceArns: [groups] });
}
