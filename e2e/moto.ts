import { ChildProcess, execFile, spawn } from 'child_process';
import { readFileSync } from 'fs';
import { createServer } from 'net';
import { join } from 'path';
import { promisify } from 'util';
import { runCliAsync } from '../test/support/cli';

const root = join(__dirname, '..');

/** A stack `cdk deploy` put into moto: where it was synthesized, its template and its outputs. */
export interface DeployedStack {
  readonly out: string;
  readonly template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  readonly outputs: Record<string, string>;
  readonly log: string;
}

/**
 * moto_server (moto 5.2.1, the open-source AWS emulator: `pip install 'moto[server]==5.2.1'`) on 127.0.0.1 and a free
 * port, stopped by its own pid whatever happens. Its gaps are in ../shared/reference/moto-5.2-notes.md.
 */
export class Moto {
  public endpoint = '';
  private child?: ChildProcess;
  private bootstrapped = false;

  /** Starts the server; `env` adds to its environment (e.g. MOTO_SIMPLE_BATCH_FAIL_AFTER, read at each submit). */
  public async start(env: Record<string, string> = {}): Promise<string> {
    const port = await freePort();
    // moto_server with Step Functions' Batch integration working (moto_launcher.py says what it closes).
    this.child = spawn('python3', [join(__dirname, 'moto_launcher.py'), '-H', '127.0.0.1', '-p', String(port)], {
      stdio: 'ignore',
      env: { ...process.env, ...env },
    });
    this.endpoint = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const res = await fetch(`${this.endpoint}/moto-api/`);
        if (res.ok) {
          return this.endpoint;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`moto_server did not start on port ${port} (is moto[server] 5.2.1 installed?)`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The environment the AWS SDKs and the aws-cdk CLI need to talk to this server (fake credentials). */
  public awsEnv(): Record<string, string> {
    return {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: this.endpoint,
      // moto finds the template's bucket in a path-style URL only on a localhost host (moto-5.2-notes.md).
      AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION: this.endpoint.replace('127.0.0.1', 'localhost'),
      CDK_DISABLE_VERSION_CHECK: 'true',
    };
  }

  /** Runs the aws-cdk CLI installed with the project against this server; returns what it printed. */
  public async cdk(args: string[]): Promise<string> {
    const { stdout, stderr } = await promisify(execFile)(join(root, 'node_modules', '.bin', 'cdk'), args, {
      cwd: root,
      env: { ...process.env, ...this.awsEnv() },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout + stderr;
  }

  /**
   * `cdk synth`, `cdk bootstrap` (the first time) and `cdk deploy` of one stack of an app (cdk.json's by default),
   * as a user runs them, synthesizing into `dir`.
   */
  public async deploy(stackName: string, dir: string, app?: string): Promise<DeployedStack> {
    const out = join(dir, `${stackName}.out`);
    const outputsFile = join(dir, `${stackName}.outputs.json`);
    await this.cdk([...(app ? ['--app', app] : []), 'synth', '-q', '-o', out]);
    if (!this.bootstrapped) {
      await this.cdk(['bootstrap', '--app', out, 'aws://123456789012/us-east-1']);
      this.bootstrapped = true;
    }
    const log = await this.cdk([
      'deploy',
      stackName,
      '--app',
      out,
      '--require-approval',
      'never',
      '--outputs-file',
      outputsFile,
    ]);
    return {
      out,
      template: JSON.parse(readFileSync(join(out, `${stackName}.template.json`), 'utf8')),
      outputs: JSON.parse(readFileSync(outputsFile, 'utf8'))[stackName],
      log,
    };
  }

  /** POSTs to moto's control API, e.g. `config` or `reset`. */
  public async api(path: string, body: unknown = {}): Promise<void> {
    const res = await fetch(`${this.endpoint}/moto-api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) {
      throw new Error(`moto-api/${path}: ${res.status} ${await res.text()}`);
    }
  }

  /** Stops the server by its pid; it can take over a second to exit (job threads), then it is killed. */
  public async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) {
      return;
    }
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) {
      child.kill('SIGKILL');
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Fake credentials for the SDK clients a suite makes against moto. */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** What the CLI needs, beside `--endpoint`, to talk to moto: fake credentials and the region. */
export const MOTO_CLI_ENV: Record<string, string> = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
  AWS_REGION: 'us-east-1',
};

/**
 * `batch-pipelines <args> --endpoint <moto>` as a user runs it, each call recorded in `transcript` with its output and
 * exit code (a suite prints it at its end).
 */
export function cliOnMoto(moto: Moto, transcript: string[]) {
  return async (args: string[]) => {
    const result = await runCliAsync([...args, '--endpoint', moto.endpoint], MOTO_CLI_ENV);
    transcript.push(`$ batch-pipelines ${args.join(' ')}\n${result.stdout}${result.stderr}(exit ${result.code})`);
    return result;
  };
}
