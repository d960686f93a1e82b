import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { acknowledgeOnGrantee } from './nag';
import { RUN_TAG } from '../contract/job-env';

/**
 * Lets `grantee` tag the jobs it submits with the run tag (what `batch-pipelines submit` sends): tagging on creation
 * may be authorized as TagResource on the new job, and a job whose tags cannot be applied is not created.
 * https://docs.aws.amazon.com/batch/latest/userguide/tag-resources.html
 */
export function grantRunTagging(scope: IConstruct, grantee: iam.IGrantable): void {
  const jobs = Stack.of(scope).formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['batch:TagResource'],
    resourceArns: [jobs],
    conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [RUN_TAG] } },
  });
  acknowledgeOnGrantee(
    scope,
    grantee,
    jobs,
    'Jobs are created at submit time with ids no policy can name; only the run tag may be set on them.',
  );
}
