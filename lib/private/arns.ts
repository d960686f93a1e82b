import { Fn, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * ARN pattern of every revision of a job definition (`job-definition/<name>:*`) from the ARN of one revision
 * (`arn:...:job-definition/<name>:<revision>`, what the definition's Ref returns). A submit permission on one
 * revision breaks at the next deploy.
 */
export function allRevisionsArn(scope: IConstruct, jobDefinitionArn: string): string {
  const name = Fn.select(0, Fn.split(':', Fn.select(1, Fn.split('/', jobDefinitionArn))));
  return Stack.of(scope).formatArn({ service: 'batch', resource: 'job-definition', resourceName: `${name}:*` });
}
