import { ChildProcess, spawn } from 'child_process';
import { createServer } from 'net';
import { join } from 'path';

/**
 * moto_server (moto 5.2.1, the open-source AWS emulator: `pip install 'moto[server]==5.2.1'`) on 127.0.0.1 and a free
 * port, stopped by its own pid whatever happens. Its gaps are in ../shared/reference/moto-5.2-notes.md.
 */
export class Moto {
  public endpoint = '';
  private child?: ChildProcess;

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
