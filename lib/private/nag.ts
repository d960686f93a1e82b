import { Stack, Validations } from 'aws-cdk-lib';
import { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';

/**
 * The library's own deliberate exceptions to the AWS Solutions checks of cdk-nag, acknowledged where they are made,
 * each naming the exact finding and why, so an app that runs cdk-nag sees only findings of its own. The ids are
 * cdk-nag's (`Rule[Finding]`); without cdk-nag they are inert metadata.
 */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges a grant's deliberate resource wildcard (`arn` as granted, or '*') as AwsSolutions-IAM5 on the
 * grantee's principal, when the principal is a construct of the app (a role); other principals have nothing to
 * acknowledge on.
 */
export function acknowledgeOnGrantee(scope: IConstruct, grantee: IGrantable, arn: string, reason: string): void {
  const principal = grantee.grantPrincipal as unknown;
  if (principal instanceof Construct) {
    acknowledgeFinding(
      principal,
      `AwsSolutions-IAM5[Resource::${arn === '*' ? '*' : nagResource(scope, arn)}]`,
      reason,
    );
  }
}

/** A resource ARN (possibly a token) as cdk-nag renders it inside `AwsSolutions-IAM5[Resource::…]`. */
export function nagResource(scope: IConstruct, arn: string): string {
  return flatten(Stack.of(scope).resolve(arn));
}

function flatten(node: unknown): string {
  if (node === undefined) {
    return '';
  }
  if (typeof node === 'string') {
    return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  }
  const n = node as Record<string, unknown>;
  if (n['Fn::Join']) {
    const [delimiter, items] = n['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (n['Fn::Sub']) {
    return flatten(n['Fn::Sub']);
  }
  if (n['Fn::GetAtt']) {
    const [resource, attribute] = n['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (n['Fn::ImportValue']) {
    return flatten(n['Fn::ImportValue']);
  }
  if (n.Ref) {
    return `<${flatten(n.Ref)}>`;
  }
  return JSON.stringify(node);
}

/**
 * Acknowledges every wildcard (`*` in an action or resource) in `documents` as cdk-nag AwsSolutions-IAM5 findings on
 * `scope`, with the reason `reasonFor` gives for the statement's actions. Call it once the library's own statements
 * are in place, so that statements a user adds later are still checked.
 */
export function acknowledgeWildcards(
  scope: IConstruct,
  documents: Array<{ toJSON(): unknown } | undefined>,
  reasonFor: (actions: string[]) => string,
): void {
  const stack = Stack.of(scope);
  const seen = new Set<string>();
  for (const document of documents) {
    if (!document) {
      continue;
    }
    const json = stack.resolve(document.toJSON()) as { Statement?: Array<Record<string, unknown>> } | undefined;
    for (const statement of json?.Statement ?? []) {
      const actions = ([] as string[]).concat((statement.Action as string | string[]) ?? []);
      const resources = ([] as unknown[]).concat(statement.Resource ?? []);
      const ids = [
        ...actions.filter((a) => a.includes('*')).map((a) => `AwsSolutions-IAM5[Action::${a}]`),
        ...resources
          .map(flatten)
          .filter((r) => r.includes('*'))
          .map((r) => `AwsSolutions-IAM5[Resource::${r}]`),
      ];
      for (const id of ids) {
        if (!seen.has(id)) {
          seen.add(id);
          acknowledgeFinding(scope, id, reasonFor(actions));
        }
      }
    }
  }
}
