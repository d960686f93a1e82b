import { CfnResource, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { MAX_STACK_RESOURCES, MAX_TEMPLATE_BYTES } from './limits';

const ID = 'BatchPipelinesStackLimits';

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
            'the other), reuse job definitions across steps, and share job roles (SharedJobResources) instead of one per job.',
        );
      }
      // aws-cdk-lib has no public way to size a template before it is written; the internal renderer is what
      // synthesis itself uses.
      const render = (stack as unknown as { _toCloudFormation?: () => unknown })._toCloudFormation;
      if (render) {
        // Serialized as the CDK writes it (one-space indentation), which is what CloudFormation measures.
        const bytes = Buffer.byteLength(JSON.stringify(render.call(stack), undefined, 1));
        if (bytes > MAX_TEMPLATE_BYTES) {
          errors.push(
            `${stack.node.path}: the template is ${bytes} bytes, over CloudFormation's limit of ${MAX_TEMPLATE_BYTES}. ` +
              'Fix: split the pipeline into several stacks or workflows, or turn off escalations on short steps ' +
              '(they multiply the state machine definition).',
          );
        }
      }
      return errors;
    },
  });
}
