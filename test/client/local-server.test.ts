import { writeFileSync, mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BatchClient } from '@aws-sdk/client-batch';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
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
    const first = await c.submitJobs(request);
    expect(first.map((j) => [j.jobName, j.arraySize, j.submitted])).toEqual([
      ['run42-align-0', 120, true],
      ['run42-call-0', 120, true],
    ]);
    // Two 429s, then the submit went through: three SubmitJob requests for the first job, one for the second.
    expect(server.calls.filter((c2) => c2.op === 'submitjob')).toHaveLength(4);
    expect(server.jobs[1].dependsOn).toEqual([{ jobId: server.jobs[0].jobId, type: 'N_TO_N' }]);

    const again = await c.submitJobs(request);
    expect(again.every((j) => !j.submitted)).toBe(true);
    expect(server.jobs).toHaveLength(2);

    const seen: number[] = [];
    const final = await c.watchJobs(
      again.map((j) => j.jobId),
      { onProgress: (counts) => seen.push(counts.SUCCEEDED) },
    );
    expect(final.SUCCEEDED).toBe(240);
    expect(seen[seen.length - 1]).toBe(240);
  });

  test('AWS errors become one readable line with the fix', async () => {
    const c = sdkClient(endpoint);
    let error: unknown;
    try {
      await c.submitJobs({
        runId: 'r',
        items: [{ sampleId: 'A' }],
        idField: 'sampleId',
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
        '--id-field',
        'sampleId',
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

describe('watch names the failed children of a 10,000-child array job, and rerun runs their items again', () => {
  let server: BatchServer;
  let endpoint: string;
  let parent: string;
  const photos = Array.from({ length: 10_000 }, (_, i) => ({ photoId: `p${i}`, key: `originals/p${i}.jpg` }));
  const manifestUri = 's3://photos/manifests/thumbs-1.json';
  const resize = [{ name: 'resize', jobDefinition: 'resize', jobQueue: 'standard' }];
  // S3 (the manifest) through aws-sdk-client-mock; Batch through the stand-in. ETag: the manifest as submitted.
  const s3 = mockClient(S3Client);
  const ETAG = '"5d41402abc4b2a76b9719d911017c592"';
  const withS3 = () =>
    new PipelineClient({
      batch: new BatchClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }),
      s3: new S3Client({ region: 'us-east-1', credentials }),
      sleep: async () => undefined,
    });
  beforeAll(async () => {
    server = new BatchServer({ failChildren: 3 });
    endpoint = await server.start();
    s3.on(HeadObjectCommand, { Bucket: 'photos', Key: 'manifests/thumbs-1.json' }).resolves({ ETag: ETAG });
    // Submitted as `batch-pipelines submit --manifest-uri` does: one array job, the run tag, the manifest offset.
    const [job] = await withS3().submitJobs({ runId: 'thumbs-1', items: photos, stages: resize, manifestUri });
    parent = job.jobId;
  });
  afterAll(() => s3.restore());
  afterAll(() => server.stop());

  test('text: the done line, then each failed child with its index, reason, exit code and log stream; exit 3', async () => {
    const watch = await runCliAsync(
      ['watch', '--endpoint', endpoint, '--job-id', parent, '--interval', '0.01'],
      cliEnv,
    );
    expect(watch.code).toBe(3);
    expect(watch.stdout).toContain('done: 3 failed, 9997 succeeded');
    expect(watch.stdout).toContain(
      `  thumbs-1-resize-0[3334] item 3334 (${parent}:3334): Essential container in task exited; exit code 1; log stream Resize/default/0d06`,
    );
    expect(watch.stdout.split('\n').filter((l) => l.startsWith('  thumbs-1-resize-0['))).toHaveLength(3);
    // What it cost, from every attempt: 9,997 children × 6 min + 3 failed × 2 × 3 min = 1,000 job-hours, priced as
    // estimate prices 4 vCPU / 30 GiB on the queue's types (r6i.xlarge, $0.252/h): $252 On-Demand, × 0.35 on Spot.
    expect(watch.stdout).toContain(
      'cost: 1,000 job-hours (10,000 job(s), 10,003 attempt(s)) ≈ $252 On-Demand, ≈ $88.20 on Spot at the ' +
        "estimate's discount, $0.01 per succeeded item on Spot (4 vCPU / 30 GiB as on r6i.xlarge ($0.252/h, 1 per instance))",
    );
    // Watched by job id: the run and queue come from the job's run tag.
    expect(watch.stdout.trimEnd().split('\n').slice(-3)).toEqual([
      'rerun the failed items: batch-pipelines rerun --queue standard --run-id thumbs-1',
      "the failed jobs' logs: batch-pipelines logs --failed --queue standard --run-id thumbs-1",
      'where the time and money went: batch-pipelines report --queue standard --run-id thumbs-1',
    ]);
  });

  test('rerun --dry-run names the failed children and what it would submit, and submits nothing', async () => {
    const before = server.jobs.length;
    const r = await runCliAsync(
      ['rerun', '--endpoint', endpoint, '--queue', 'standard', '--run-id', 'thumbs-1', '--dry-run'],
      cliEnv,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('thumbs-1: 3 failed job(s) or array children');
    expect(r.stdout).toContain(
      `  thumbs-1-resize-0[3334] item 3334 (${parent}:3334): Essential container in task exited`,
    );
    expect(r.stdout.trimEnd().split('\n').pop()).toBe(
      'dry run: would rerun 3 item(s) through resize (resize) as run thumbs-1-rerun',
    );
    expect(server.jobs.length).toBe(before);
  });

  test('rerun writes the failed items next to the manifest and submits them as one array job, once', async () => {
    {
      // The manifest is read as it was submitted: If-Match its ETag.
      s3.on(GetObjectCommand, {
        Bucket: 'photos',
        Key: 'manifests/thumbs-1.json',
        IfMatch: ETAG,
      }).resolves({
        Body: { transformToString: async () => JSON.stringify(photos) },
      } as never);
      s3.on(PutObjectCommand).resolves({ ETag: '"e1"' });
      s3.on(HeadObjectCommand, { Key: 'manifests/thumbs-1.rerun-thumbs-1.json' }).resolves({ ETag: '"e1"' });
      const c = withS3();
      const out = await c.rerunJobs('standard', 'thumbs-1');
      expect(out.items).toEqual([1, 3334, 6667]);
      expect(out.rerunManifest).toBe('s3://photos/manifests/thumbs-1.rerun-thumbs-1.json');
      const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
      expect(put.Key).toBe('manifests/thumbs-1.rerun-thumbs-1.json');
      expect(JSON.parse(put.Body as string)).toEqual([photos[1], photos[3334], photos[6667]]);
      const submitted = server.jobs.filter((j) => j.jobName.startsWith('thumbs-1-rerun-'));
      expect(submitted.map((j) => [j.jobName, j.arraySize, j.tags?.['batch-pipelines:run']])).toEqual([
        ['thumbs-1-rerun-resize-0', 3, 'thumbs-1-rerun'],
      ]);
      expect(submitted[0].environment).toEqual([
        { name: 'BATCH_PIPELINES_MANIFEST', value: 's3://photos/manifests/thumbs-1.rerun-thumbs-1.json' },
        { name: 'BATCH_PIPELINES_OFFSET', value: '0' },
        { name: 'BATCH_PIPELINES_MANIFEST_ETAG', value: 'e1' },
      ]);
      // Again: the rerun's job exists (named after the rerun), so nothing new is submitted, and its manifest, which
      // its children may be reading, is not written again.
      const again = await c.rerunJobs('standard', 'thumbs-1');
      expect(again.submitted.map((j) => j.submitted)).toEqual([false]);
      expect(server.jobs.filter((j) => j.jobName.startsWith('thumbs-1-rerun-'))).toHaveLength(1);
      expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    }
  });

  test('a manifest changed since the run was submitted is refused: its indexes would point at other items', async () => {
    // S3's answer to a GET whose If-Match no longer holds: 412 PreconditionFailed
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
    s3.on(GetObjectCommand, { Key: 'manifests/thumbs-1.json' }).rejects(
      Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
        name: 'PreconditionFailed',
        $metadata: { httpStatusCode: 412 },
      }),
    );
    await expect(withS3().rerunJobs('standard', 'thumbs-1')).rejects.toThrow(
      'changed since the run started (its ETag is no longer 5d41402abc4b2a76b9719d911017c592)',
    );
  });

  test('a run older than Batch keeps its jobs is refused: a stage may be gone', async () => {
    const later = new PipelineClient({
      batch: new BatchClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }),
      sleep: async () => undefined,
      now: () => Date.now() + 7 * 86_400_000,
    });
    await expect(later.rerunJobs('standard', 'thumbs-1')).rejects.toThrow(
      'run thumbs-1 started 7 days ago: Batch keeps finished jobs for at least 7 days only',
    );
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
    expect(last.cost).toMatchObject({ jobs: 10_000, attempts: 10_003, succeeded: 9997 });
    expect(last.cost.jobHours).toBeCloseTo(1000, 6);
    expect(last.cost.onDemandUsd).toBeCloseTo(252, 6);
    expect(last.cost.spotUsd).toBeCloseTo(252 * 0.35, 6);
    expect(last.failed.map((f: { arrayIndex: number }) => f.arrayIndex)).toEqual([1, 3334, 6667]);
    expect(last.failed[0]).toMatchObject({
      jobId: `${parent}:1`,
      statusReason: 'Essential container in task exited',
      exitCode: 1,
      logStreamName: 'Resize/default/0001',
    });
  });
});
