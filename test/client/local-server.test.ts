import { writeFileSync, mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';
import { SFNClient } from '@aws-sdk/client-sfn';
import { PipelineClient } from '../../lib';
import { describeAwsError } from '../../lib/cli/aws-errors';
import { BatchServer } from '../support/batch-server';
import { runCliAsync, runMain } from '../support/cli';

// The real AWS SDK over HTTP against a Batch stand-in on 127.0.0.1: serialization, signing, retries and error
// mapping are exercised for real.
const credentials = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' };
process.env.AWS_EC2_METADATA_DISABLED = 'true';

function sdkClient(endpoint: string) {
  return new PipelineClient({
    batch: new BatchClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }),
    sfn: new SFNClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }),
    sleep: async () => undefined,
  });
}

const cliEnv = {
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_REGION: 'us-east-1',
};

describe('PipelineClient against a local Batch endpoint', () => {
  let server: BatchServer;
  let endpoint: string;
  beforeEach(async () => {
    server = new BatchServer({ throttleFirstSubmits: 2 });
    endpoint = await server.start();
  });
  afterEach(() => server.stop());

  test('submits through throttling, once; a retried submit submits nothing; watch follows it to the end', async () => {
    const c = sdkClient(endpoint);
    const request = {
      runId: 'run42',
      items: Array.from({ length: 120 }, (_, i) => ({ sampleId: `S${i}` })),
      stages: [
        { name: 'align', jobDefinition: 'genomics-align', jobQueue: 'standard' },
        { name: 'call', jobDefinition: 'genomics-call', jobQueue: 'standard' },
      ],
      manifestUri: 's3://input/manifests/run42.json',
    };
    const first = await c.submit(request);
    expect(first.map((j) => [j.jobName, j.arraySize, j.submitted])).toEqual([
      ['run42-align-0', 120, true],
      ['run42-call-0', 120, true],
    ]);
    // Two 429s, then the submit went through: three SubmitJob requests for the first job, one for the second.
    expect(server.calls.filter((c2) => c2.op === 'submitjob')).toHaveLength(4);
    expect(server.jobs[1].dependsOn).toEqual([{ jobId: server.jobs[0].jobId, type: 'N_TO_N' }]);

    const again = await c.submit(request);
    expect(again.every((j) => !j.submitted)).toBe(true);
    expect(server.jobs).toHaveLength(2);

    const seen: number[] = [];
    const final = await c.watch(
      again.map((j) => j.jobId),
      (counts) => seen.push(counts.SUCCEEDED),
    );
    expect(final.SUCCEEDED).toBe(240);
    expect(seen[seen.length - 1]).toBe(240);
  });

  test('AWS errors become one readable line with the fix', async () => {
    const c = sdkClient(endpoint);
    let error: unknown;
    try {
      await c.submit({
        runId: 'r',
        items: [{ sampleId: 'A' }],
        stages: [{ name: 'align', jobDefinition: 'd', jobQueue: 'nope' }],
      });
    } catch (e) {
      error = e;
    }
    expect(describeAwsError(error)).toBe(
      'queue not found: JobQueue nope does not exist. Fix: check --queue (name or ARN) and the region',
    );
  });
});

describe('batch-pipelines against a local Batch endpoint (child process)', () => {
  let server: BatchServer;
  let endpoint: string;
  let dir: string;
  beforeAll(async () => {
    server = new BatchServer({
      failChildren: 0,
      stuck: {
        namePrefix: 'stuck-',
        statusReason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (memory) is not met',
        memoryMiB: 32768,
      },
    });
    endpoint = await server.start();
    dir = mkdtempSync(join(tmpdir(), 'bp-'));
    writeFileSync(
      join(dir, 'batch-42.json'),
      JSON.stringify(Array.from({ length: 3 }, (_, i) => ({ sampleId: `NA1287${i}` }))),
    );
  });
  afterAll(() => server.stop());
  const submitRun = (runId: string) =>
    runCliAsync(
      [
        'submit',
        '--endpoint',
        endpoint,
        '--queue',
        'standard',
        '--stage',
        'align=genomics-align',
        '--items',
        join(dir, 'batch-42.json'),
        '--run-id',
        runId,
      ],
      cliEnv,
    );

  test('submit, then watch to the end (plain lines off a terminal)', async () => {
    const submit = await submitRun('batch-42');
    expect(submit.code).toBe(0);
    expect(submit.stdout).toContain('submitted batch-42-align-NA12870');
    expect(submit.stdout).toContain('3 submitted, 0 already there');
    const watch = await runCliAsync(
      ['watch', '--endpoint', endpoint, '--queue', 'standard', '--run-id', 'batch-42', '--interval', '0.01'],
      cliEnv,
    );
    expect(watch.code).toBe(0);
    // One timestamped line per change (not per poll), with the bar and the elapsed time.
    expect(watch.stdout).toMatch(/^\d\d:\d\d:\d\d \[\.+\] 0\/3 RUNNABLE 3 \| elapsed \d+s$/m);
    expect(watch.stdout).toContain('done: all 3 succeeded');
  });

  test('diagnose explains a job stuck for its memory', async () => {
    await submitRun('stuck-1');
    const r = await runCliAsync(
      ['diagnose', '--endpoint', endpoint, '--queue', 'standard', '--older-than', '60'],
      cliEnv,
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('stuck-1-align-NA12870');
    expect(r.stdout).toContain('RUNNABLE for 95 min: MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT');
    expect(r.stdout).toContain('Ask for at most 30 GiB, or add r6i.2xlarge.');
  });

  test('a missing queue and missing credentials are one line each, exit 1', async () => {
    const missing = await runCliAsync(['cancel', '--endpoint', endpoint, '--queue', 'nope', '--run-id', 'x'], cliEnv);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      'batch-pipelines cancel: queue not found: JobQueue nope does not exist. Fix: check --queue (name or ARN) and the region',
    );
    const noCreds = await runCliAsync([
      'cancel',
      '--endpoint',
      endpoint,
      '--queue',
      'standard',
      '--run-id',
      'x',
      '--region',
      'us-east-1',
    ]);
    expect(noCreds.code).toBe(1);
    expect(noCreds.stderr).toContain('no AWS credentials found. Fix: set AWS_PROFILE (or --profile)');
  });

  test('every command has --help', async () => {
    for (const command of ['submit', 'start', 'rerun', 'watch', 'diagnose', 'cancel']) {
      const r = await runMain([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: batch-pipelines ${command}`);
      expect(r.stdout).toContain('Exit codes:');
    }
  });
});

describe('watch names the failed children of a 10,000-child array job', () => {
  let server: BatchServer;
  let endpoint: string;
  let parent: string;
  beforeAll(async () => {
    server = new BatchServer({ failChildren: 3 });
    endpoint = await server.start();
    const batch = new BatchClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local' },
    });
    parent = (
      await batch.send(
        new SubmitJobCommand({
          jobName: 'thumbs-1-resize-0',
          jobQueue: 'standard',
          jobDefinition: 'resize',
          arrayProperties: { size: 10_000 },
        }),
      )
    ).jobId!;
    batch.destroy();
  });
  afterAll(() => server.stop());

  test('text: the done line, then each failed child with its index, reason, exit code and log stream; exit 3', async () => {
    const watch = await runCliAsync(
      ['watch', '--endpoint', endpoint, '--job-id', parent, '--interval', '0.01'],
      cliEnv,
    );
    expect(watch.code).toBe(3);
    expect(watch.stdout).toContain('done: 3 failed, 9997 succeeded');
    expect(watch.stdout).toContain(
      `  thumbs-1-resize-0[3334] (${parent}:3334): Essential container in task exited; exit code 1; log stream Resize/default/0d06`,
    );
    expect(watch.stdout.split('\n').filter((l) => l.startsWith('  thumbs-1-resize-0['))).toHaveLength(3);
  });

  test('--json: the stream ends with a summary record listing every failed child', async () => {
    const watch = await runCliAsync(
      ['watch', '--endpoint', endpoint, '--job-id', parent, '--interval', '0.01', '--json'],
      cliEnv,
    );
    const records = watch.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const last = records[records.length - 1];
    expect(last).toMatchObject({ done: true, counts: { SUCCEEDED: 9997, FAILED: 3 } });
    expect(last.failed.map((f: { arrayIndex: number }) => f.arrayIndex)).toEqual([1, 3334, 6667]);
    expect(last.failed[0]).toMatchObject({
      jobId: `${parent}:1`,
      statusReason: 'Essential container in task exited',
      exitCode: 1,
      logStreamName: 'Resize/default/0001',
    });
  });
});
