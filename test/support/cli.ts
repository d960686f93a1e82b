import { spawn, spawnSync } from 'child_process';
import { join } from 'path';
import { main } from '../../lib/cli/main';
import { CommandIO } from '../../lib/cli/io';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const bin = join(root, 'bin', 'batch-pipelines.ts');

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Never let the SDK look for credentials off this machine (instance metadata): tests talk to 127.0.0.1 only.
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_PROFILE: '',
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    ...env,
  };
}

/** Runs `batch-pipelines` as a child process, as a user would (through tsx, so no build step is needed). */
export function runCli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(tsx, [bin, ...args], { cwd: root, encoding: 'utf8', env: childEnv(env), timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Like `runCli`, without blocking this process: needed when the child talks to a server running in this process. */
export function runCliAsync(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(tsx, [bin, ...args], { cwd: root, env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs `batch-pipelines` in this process (what `bin/batch-pipelines.ts` does, without a child process): for the many
 * argument and output cases; a few tests above run the real command as a user would.
 */
export async function runMain(args: string[]) {
  let stdout = '';
  let stderr = '';
  const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  let code: number;
  try {
    code = await main(args, { out: (t) => (stdout += line(t)), err: (t) => (stderr += line(t)), isTTY: false });
  } catch (error) {
    stderr += `batch-pipelines: ${(error as Error).message}\n`;
    code = 1;
  }
  return { code, stdout, stderr };
}

/** A CommandIO that keeps what a command prints, line by line, off a terminal. */
export function capturedIO() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CommandIO = { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false };
  return { io: value, out, err };
}
