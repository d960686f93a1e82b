import { CfnResource, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import {
  MAX_MANAGED_POLICIES_PER_ROLE,
  MAX_RAISED_MANAGED_POLICIES_PER_ROLE,
  MAX_STACK_RESOURCES,
  MAX_TEMPLATE_BYTES,
} from './limits';

const ID = 'BatchPipelinesStackLimits';
/** Context key for an account whose managed-policies-per-role quota was raised. */
export const MANAGED_POLICIES_CONTEXT = 'cdk-batch-pipelines:maxManagedPoliciesPerRole';

/**
 * Checks, once per stack, that the stack stays within CloudFormation's resource and template-size limits, so a
 * pipeline that grew too large fails at synth with the count, the limit and the fix instead of at deploy.
 */
export function ensureStackLimitChecks(scope: IConstruct): void {
  const stack = Stack.of(scope);
  if (stack.node.tryFindChild(ID)) {
    return;
  }
  const marker = new Construct(stack, ID);
  marker.node.addValidation({
    validate: () => {
      const errors: string[] = [];
      const resources = stack.node.findAll().filter((c) => c instanceof CfnResource).length;
      if (resources > MAX_STACK_RESOURCES) {
        errors.push(
          `${stack.node.path}: ${resources} CloudFormation resources exceed the limit of ${MAX_STACK_RESOURCES} per ` +
            'stack. Fix: split the pipeline into two stacks (e.g. capacity and queues in one, jobs and the workflow in ' +
            'the other), reuse job definitions across steps, or let jobs that may touch the same data share a job ' +
            'role instead of a role each (jobRole: SharedJobResources.of(stack).jobRole: one resource less a job).',
        );
      }
      // aws-cdk-lib has no public way to size a template before it is written; the internal renderer is what
      // synthesis itself uses.
      const render = (stack as unknown as { _toCloudFormation?: () => unknown })._toCloudFormation;
      if (render) {
        const template = render.call(stack) as Template;
        errors.push(...managedPolicyErrors(stack, template));
        // Serialized as the CDK writes it (one-space indentation), which is what CloudFormation measures.
        const bytes = Buffer.byteLength(JSON.stringify(template, undefined, 1));
        if (bytes > MAX_TEMPLATE_BYTES) {
          errors.push(
            `${stack.node.path}: the template is ${bytes} bytes, over CloudFormation's limit of ${MAX_TEMPLATE_BYTES}. ` +
              'Fix: split the pipeline into several stacks (a workflow and its jobs in each), reuse one job definition ' +
              'for steps that run the same image and resources (about 1.3 KB each), and keep escalations to the steps ' +
              'that need them (about 0.5 KB a step).',
          );
        }
      }
      return errors;
    },
  });
}

interface Template {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** Roles of the template with more managed policies attached than IAM allows by default. */
function managedPolicyErrors(stack: Stack, template: Template): string[] {
  const resources = template.Resources ?? {};
  const attached = new Map<string, number>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::IAM::Role') {
      const arns = r.Properties?.ManagedPolicyArns;
      attached.set(id, (attached.get(id) ?? 0) + (Array.isArray(arns) ? arns.length : 0));
    }
  }
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::ManagedPolicy') {
      continue;
    }
    for (const role of (r.Properties?.Roles as Array<{ Ref?: string }> | undefined) ?? []) {
      if (role.Ref && attached.has(role.Ref)) {
        attached.set(role.Ref, attached.get(role.Ref)! + 1);
      }
    }
  }
  const given = stack.node.tryGetContext(MANAGED_POLICIES_CONTEXT);
  const quota = given === undefined ? MAX_MANAGED_POLICIES_PER_ROLE : Number(given);
  if (!Number.isInteger(quota) || quota < 1 || quota > MAX_RAISED_MANAGED_POLICIES_PER_ROLE) {
    return [
      `${stack.node.path}: context ${MANAGED_POLICIES_CONTEXT} '${String(given)}' is not allowed; allowed: a whole ` +
        `number from 1 to ${MAX_RAISED_MANAGED_POLICIES_PER_ROLE} (IAM's managed policies per role). Fix: set it to ` +
        "your account's quota, or remove it " +
        `for the default of ${MAX_MANAGED_POLICIES_PER_ROLE}.`,
    ];
  }
  const pathOf = (logicalId: string) =>
    stack.node
      .findAll()
      .find((c) => c instanceof CfnResource && stack.resolve((c as CfnResource).logicalId) === logicalId)?.node.scope
      ?.node.path ?? logicalId;
  return [...attached]
    .filter(([, count]) => count > quota)
    .map(
      ([id, count]) =>
        `${stack.node.path}: role ${pathOf(id)} has ${count} managed policies attached (its grants overflow the ` +
        `inline policy), over IAM's quota of ${quota} per role. Fix: grant a shared prefix once instead of one ` +
        'bucket or prefix each, or give the jobs that share this role roles of their own (leave jobRole unset); if your ' +
        `account's quota was raised (up to ${MAX_RAISED_MANAGED_POLICIES_PER_ROLE}), set the context value ${MANAGED_POLICIES_CONTEXT} to it.`,
    );
}
