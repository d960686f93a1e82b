import { Fn, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { fail } from './errors';
import { BATCH_NAME_PATTERN } from './limits';

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

/**
 * Checks the ARN of a Batch resource an importer names: well formed, and in the importing stack's partition, account
 * and region. Batch has no resource-based policies and this library submits with the stack's own credentials, so a
 * queue, compute environment or job definition of another account or region cannot take its jobs
 * (https://docs.aws.amazon.com/batch/latest/userguide/security_iam_service-with-iam.html). Tokens are not checked.
 */
export function checkImportedArn(
  scope: IConstruct,
  prop: string,
  arn: string,
  resource: 'job-queue' | 'compute-environment' | 'job-definition',
): void {
  if (Token.isUnresolved(arn)) {
    return;
  }
  const revision = resource === 'job-definition' ? '(:[0-9]+)?' : '';
  const name = BATCH_NAME_PATTERN.source.replace(/^\^|\$$/g, '');
  const m = new RegExp(`^arn:([^:]+):batch:([^:]*):([^:]*):${resource}/${name}${revision}$`).exec(arn);
  const stack = Stack.of(scope);
  const differs = (what: string, given: string | undefined, own: string) =>
    !given
      ? `has no ${what}`
      : !Token.isUnresolved(own) && given !== own
        ? `is in ${what} ${given}, not this stack's ${own}`
        : undefined;
  const problem = m
    ? (differs('partition', m[1], stack.partition) ??
      differs('region', m[2], stack.region) ??
      differs('account', m[3], stack.account))
    : undefined;
  if (!m || problem) {
    fail(scope, {
      prop,
      received: `'${arn}'`,
      problem,
      allowed: `arn:<partition>:batch:<this stack's region>:<this stack's account>:${resource}/<name>${resource === 'job-definition' ? '[:<revision>]' : ''} (Batch has no resource policies: jobs go to resources of the caller's own account and region)`,
      fix: 'pass the ARN the owning stack outputs, and import it in a stack with the same env ({ account, region })',
    });
  }
}

/**
 * Fails when `other` (a capacity bound to a queue, a queue bound to a job) lives in a stack of another account or
 * region than `scope`: Batch links them only within one account and region, and aws-cdk-lib would otherwise report
 * nested "Resolution error"s whose advice builds a cross-region ARN. Stacks without an explicit env are not compared.
 */
export function checkSameEnvironment(scope: IConstruct, prop: string, other: IConstruct): void {
  const [a, b] = [Stack.of(scope), Stack.of(other)];
  if (a === b) {
    return;
  }
  for (const [what, x, y] of [
    ['region', a.region, b.region],
    ['account', a.account, b.account],
  ] as const) {
    if (!Token.isUnresolved(x) && !Token.isUnresolved(y) && x !== y) {
      fail(scope, {
        prop,
        received: `${other.node.path} (${what} ${y})`,
        problem: `is in another ${what} than this construct's ${x}`,
        allowed: `resources of this stack's account and region (${a.account}/${a.region}): Batch links queues, compute environments and job definitions only within one`,
        fix: `define ${other.node.path.split('/').pop()} in a stack with env { account: '${a.account}', region: '${a.region}' }, or move ${scope.node.path.split('/').pop()} to a stack of ${y}`,
      });
    }
  }
}
