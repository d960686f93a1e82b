import { Fn, Stack, Token } from 'aws-cdk-lib';

/**
 * ARN pattern of every revision of a job definition (`job-definition/<name>:*`) from the ARN of one revision
 * (`arn:...:job-definition/<name>:<revision>`, what the definition's Ref returns). A submit permission on one
 * revision breaks at the next deploy.
 */
export function allRevisionsArn(jobDefinitionArn: string): string {
  if (!Token.isUnresolved(jobDefinitionArn)) {
    return jobDefinitionArn.replace(/^(.*:job-definition\/[^:]+)(:[0-9]+)?$/, '$1:*');
  }
  // arn:<partition>:batch:<region>:<account>:job-definition/<name>:<revision> split on ':' has the
  // `job-definition/<name>` part at index 5. One Fn::Sub keeps this short in templates that list hundreds of them.
  return Fn.sub('arn:${AWS::Partition}:batch:${AWS::Region}:${AWS::AccountId}:${Name}:*', {
    Name: Fn.select(5, Fn.split(':', jobDefinitionArn)),
  });
}

/** IAM resource pattern `job-definition/<pattern>` in `stack`'s partition, Region and account. */
export function jobDefinitionArnPattern(stack: Stack, pattern: string): string {
  return stack.formatArn({ service: 'batch', resource: 'job-definition', resourceName: pattern });
}
