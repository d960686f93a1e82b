import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/**
 * An app like `cdk synth` runs it: the built-in CloudFormation validator on, with its findings turned into errors,
 * so a template CloudFormation would reject fails the test at synth.
 */
export function validatingApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true, ...context } });
}

/** Synthesizes the whole app (running the validator) and returns the stack's template. */
export function synthValidated(app: App, stack: Stack): Template {
  app.synth();
  return Template.fromStack(stack);
}
