import { spawn } from 'child_process';
import { mkdtempSync, readdirSync, rmSync } from 'fs';
import { cpus, tmpdir } from 'os';
import { join } from 'path';

/**
 * cfn-lint (installed on this machine and CI's, `cfn-lint --version` 1.51) over every template the tests inspected:
 * the global setup makes the directory test/support/setup.ts writes them to (each state machine's definition with
 * its substitutions applied, which cfn-lint does not do itself), and the global teardown lints them all and fails
 * `npm test` on any error. Warnings are printed, not failed on; the checks cfn-lint cannot judge here are ignored
 * below, each with why.
 */
export async function setup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cfn-templates-'));
  process.env.CFN_TEMPLATES_DIR = dir;
  // Called by lint-reporter.js once the last test files run: one cfn-lint on the templates written so far, on the core
  // the finished workers left free. Called once; the teardown lints the rest and waits for this one.
  const state = globalThis as EarlyLintState;
  state.cfnLintEarly = () => {
    state.cfnLintEarly = undefined;
    const files = templatesIn(dir);
    state.cfnLintStarted = { files, results: lintSplit(files) };
  };
}

/** What the early lint took and how it went. */
interface EarlyLintState {
  cfnLintEarly?: () => void;
  cfnLintStarted?: { readonly files: string[]; readonly results: Array<Promise<LintResult>> };
}

/** The templates test workers have written so far (setup.ts writes each whole under a temporary name first). */
function templatesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(dir, f));
}

/**
 * - W3005 (DependsOn already enforced by a reference): aws-cdk-lib makes resources depend explicitly on the IAM
 *   policies they need at creation (a state machine on its role's default policy), which cfn-lint reads as redundant
 *   because a reference to the role exists; the policy, not the role, is what must exist first.
 */
const IGNORED = ['W3005'];

export interface LintResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function lint(files: string[]): Promise<LintResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('cfn-lint', ['--format', 'parseable', '--ignore-checks', ...IGNORED, '--', ...files]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** One cfn-lint per core (it is single-threaded; ~0.5 s per test template), the files dealt out between them. */
function lintSplit(files: string[]): Array<Promise<LintResult>> {
  const parts = Math.min(cpus().length, files.length);
  return Array.from({ length: parts }, (_, i) => lint(files.filter((_f, j) => j % parts === i)));
}

export async function teardown(): Promise<void> {
  const dir = process.env.CFN_TEMPLATES_DIR;
  if (!dir) {
    return;
  }
  const early = (globalThis as EarlyLintState).cfnLintStarted;
  (globalThis as EarlyLintState).cfnLintEarly = undefined;
  let keep = false;
  try {
    const files = templatesIn(dir);
    if (files.length === 0) {
      return;
    }
    // What the early lint did not take.
    const rest = files.filter((f) => !early?.files.includes(f));
    const results = await Promise.all([...(early?.results ?? []), ...lintSplit(rest)]);
    const lines = results.flatMap((r) => r.stdout.split('\n').filter(Boolean));
    const errors = lines.filter((l) => /:E\d+:/.test(l));
    // cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational; 1 means it could not run.
    const crashed = results.filter((r) => r.status === null || (r.status & 1) === 1);
    process.stdout.write(`cfn-lint: ${files.length} templates, ${errors.length} errors\n${lines.join('\n')}\n`);
    if (errors.length > 0 || crashed.length > 0) {
      keep = true;
      throw new Error(
        `cfn-lint found ${errors.length} errors in the templates the tests synthesized (kept in ${dir})` +
          crashed.map((r) => `\n${r.stderr}`).join(''),
      );
    }
  } finally {
    if (!keep) {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
