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

/**
 * Synthesizes an app whose validation plugins (cdk-nag) are expected to fail it, and returns each finding as
 * `<rule> <construct path>` from the validation report the failed synth names.
 */
export function validationFindings(app: App): string[] {
  let message = '';
  try {
    app.synth();
  } catch (e) {
    message = (e as Error).message;
  }
  const report = /found in: (\S+)/.exec(message);
  if (!report) {
    throw new Error(`synth did not fail with a validation report: ${message || 'it succeeded'}`);
  }
  const parsed = JSON.parse(readFileSync(report[1], 'utf8')) as {
    pluginReports: Array<{
      violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
    }>;
  };
  return parsed.pluginReports.flatMap((r) =>
    r.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`)),
  );
}
