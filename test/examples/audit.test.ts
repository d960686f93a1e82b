import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App } from 'aws-cdk-lib';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';

/**
 * An independent audit of the example: the AWS Control Tower proactive controls, as cfn-guard rules
 * (@cdklabs/cdk-validator-cfnguard bundles both), run on the synthesized template. What remains is listed in the
 * docs/compliance.md with the reason it stays; anything new fails here.
 * https://docs.aws.amazon.com/controltower/latest/controlreference/proactive-controls.html
 */
interface Violation {
  readonly description: string;
  readonly violatingConstructs: Array<{ readonly constructPath: string }>;
}

function audit(): string[] {
  const outdir = mkdtempSync(join(tmpdir(), 'guard-'));
  try {
    const app = new App({ outdir, policyValidationBeta1: [new CfnGuardValidator()] });
    new GenomicsPipelineStack(app, 'GenomicsPipeline');
    try {
      app.synth();
    } catch {
      // Findings fail the synth; the report says which.
    }
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ violations: Violation[] }>;
    };
    const findings = report.pluginReports.flatMap((r) =>
      r.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => `${/^\[([A-Z0-9.]+)\]/.exec(v.description)![1]} ${c.constructPath}`),
      ),
    );
    return [...new Set(findings)].sort();
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('the Control Tower controls (cfn-guard) on the example', () => {
  const findings = audit();
  const guide = readFileSync(join(__dirname, '..', '..', 'docs', 'compliance.md'), 'utf8');

  test('leave 9 findings, each one a deliberate choice', () => {
    expect(findings).toEqual([
      'CT.S3.PR.10 GenomicsPipeline/AccessLogs/Resource',
      'CT.S3.PR.2 GenomicsPipeline/AccessLogs/Resource',
      'CT.S3.PR.4 GenomicsPipeline/AccessLogs/Resource',
      'CT.S3.PR.4 GenomicsPipeline/Results/Resource',
      'CT.S3.PR.9 GenomicsPipeline/AccessLogs/Resource',
      'CT.S3.PR.9 GenomicsPipeline/Input/Resource',
      'CT.S3.PR.9 GenomicsPipeline/Results/Resource',
      'CT.SQS.PR.1 GenomicsPipeline/ManifestTrigger/NotStarted/Resource',
      'CT.SQS.PR.1 GenomicsPipeline/Monitoring/NotifierDeadLetters/Resource',
    ]);
  });

  test('docs/compliance.md says why each remaining control is not met', () => {
    for (const control of new Set(findings.map((f) => f.split(' ')[0]))) {
      expect(guide).toMatch(new RegExp(`\\| \`${control.replace(/\./g, '\\.')}\` +\\|`));
    }
  });
});
