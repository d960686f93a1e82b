import { spawnSync } from 'child_process';
import { join } from 'path';

const root = join(__dirname, '..', '..');

/** Runs `batch-pipelines` as a child process, as a user would (through tsx, so no build step is needed). */
export function runCli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(
    join(root, 'node_modules', '.bin', 'tsx'),
    [join(root, 'bin', 'batch-pipelines.ts'), ...args],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', ...env },
      timeout: 60_000,
    },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
