import { readFileSync } from 'fs';
import { join } from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/** The context (feature flags) cdk.json gives the app, so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
}

/**
 * An app like `cdk synth` runs it: cdk.json's feature flags, and the built-in CloudFormation validator on with its
 * findings turned into errors, so a template CloudFormation would reject fails the test at synth.
 */
export function validatingApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJsonContext(), '@aws-cdk/core:validateAgainstDefaultRules': true, ...context } });
}

/** Synthesizes the whole app (running the validator) and returns the stack's template. */
export function synthValidated(app: App, stack: Stack): Template {
  app.synth();
  return Template.fromStack(stack);
}
