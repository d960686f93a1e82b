import { execFileSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BatchClient, DescribeJobsCommand, ListJobsCommand, RegisterJobDefinitionCommand } from '@aws-sdk/client-batch';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Moto } from './moto';
import { runCliAsync } from '../test/support/cli';

/**
 * The `batch-pipelines` command, run as a user runs it, against moto: an AWS implementation nobody here wrote. What it
 * shows is printed at the end (resources, commands, outcomes).
 */
const moto = new Moto();
const summary: string[] = [];
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let env: Record<string, string>;
let batch: BatchClient;
const clients: Array<{ destroy(): void }> = [];
let dir: string;

async function cli(args: string[]) {
  const result = await runCliAsync([...args, '--endpoint', moto.endpoint], env);
  summary.push(`batch-pipelines ${args.join(' ')} -> exit ${result.code}`);
  return result;
}

/** The jobs named `<prefix>*` on the queue, with their status, reason and run tag, as Batch describes them. */
async function jobsOf(prefix: string) {
  const listed = await batch.send(
    new ListJobsCommand({ jobQueue: 'standard', filters: [{ name: 'JOB_NAME', values: [`${prefix}*`] }] }),
  );
  const ids = (listed.jobSummaryList ?? []).map((j) => j.jobId!);
  if (ids.length === 0) {
    return [];
  }
  const described = await batch.send(new DescribeJobsCommand({ jobs: ids }));
  return (described.jobs ?? []).map((j) => ({
    name: j.jobName!,
    status: j.status!,
    statusReason: j.statusReason,
    run: j.tags?.['batch-pipelines:run'],
  }));
}

/** `batch-pipelines submit` of one run's stages over sample ids (each item's `sampleId`), on the fixture's queue. */
function submit(runId: string, stages: string[], sampleIds: string[], extra: string[] = []) {
  return cli([
    'submit',
    '--queue',
    'standard',
    ...stages.flatMap((s) => ['--stage', s]),
    '--items',
    items(`${runId}.json`, sampleIds),
    '--run-id',
    runId,
    '--id-field',
    'sampleId',
    ...extra,
  ]);
}

function items(file: string, ids: string[]): string {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(ids.map((sampleId) => ({ sampleId, inputUri: `s3://in/${sampleId}.fq` }))));
  return path;
}

beforeAll(async () => {
  await moto.start();
  env = {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: 'us-east-1',
  };
  batch = new BatchClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  clients.push(batch);
  dir = mkdtempSync(join(tmpdir(), 'e2e-'));
  const created = JSON.parse(
    execFileSync('python3', [join(__dirname, 'batch_fixtures.py'), moto.endpoint], { encoding: 'utf8' }),
  );
  summary.push(
    `created: queues ${created.queues.join(', ')}, job definitions ${created.definitions.join(', ')}, ${created.computeEnvironment}`,
  );
}, 60_000);

afterAll(async () => {
  clients.forEach((c) => c.destroy());
  await moto.stop();
  process.stdout.write(`\nmoto end-to-end (${moto.endpoint}):\n${summary.map((l) => `  ${l}`).join('\n')}\n`);
});

describe('batch-pipelines against moto', () => {
  test('submit two runs whose ids share a prefix, resubmit one (nothing twice), watch each to its end', async () => {
    // moto's Docker-free Batch runs every job to SUCCEEDED inside SubmitJob.
    await moto.api('config', { batch: { use_docker: false } });
    const stages = ['--stage', 'align=align', '--stage', 'call=call'];
    const first = await cli([
      'submit',
      '--queue',
      'standard',
      ...stages,
      '--id-field',
      'sampleId',
      '--items',
      items('w48.json', ['S1', 'S2']),
      '--run-id',
      'w48',
      '--json',
    ]);
    expect(first.code).toBe(0);
    const other = await cli([
      'submit',
      '--queue',
      'standard',
      ...stages,
      '--id-field',
      'sampleId',
      '--items',
      items('w48b.json', ['S1']),
      '--run-id',
      'w48-b',
      '--json',
    ]);
    expect(other.code).toBe(0);
    const again = await cli([
      'submit',
      '--queue',
      'standard',
      ...stages,
      '--id-field',
      'sampleId',
      '--items',
      join(dir, 'w48.json'),
      '--run-id',
      'w48',
      '--json',
    ]);
    expect(again.code).toBe(0);
    const jobs = await jobsOf('w48');
    // 2 items x 2 stages for w48, 1 x 2 for w48-b: the resubmit added nothing.
    expect(jobs.filter((j) => j.run === 'w48')).toHaveLength(4);
    expect(jobs.filter((j) => j.run === 'w48-b')).toHaveLength(2);

    const watch = await cli(['watch', '--queue', 'standard', '--run-id', 'w48', '--interval', '1', '--json']);
    expect(watch.code).toBe(0);
    const records = watch.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const last = records[records.length - 1];
    // Only run w48's four jobs, not those of w48-b, which its name prefix also matches.
    expect(JSON.stringify(last)).toContain('"SUCCEEDED":4');
    const text = await cli(['watch', '--queue', 'standard', '--run-id', 'w48-b', '--interval', '1']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('done: all 2 succeeded');
    // The cost line, from moto's job descriptions (its jobs end at submit: their attempts last milliseconds).
    expect(text.stdout).toMatch(/^cost: [\d.]+ job-hours \(2 job\(s\), 2 attempt\(s\)\) ≈ \$[\d.]+ On-Demand/m);
    summary.push(`watch w48-b: ${text.stdout.trim().split('\n').pop()}`);
  }, 120_000);

  test("cancel --run-id stuck cancels that run's queued jobs and leaves run stuck-b's alone", async () => {
    // Jobs held in SUBMITTED (moto's state manager): queued, as jobs waiting for capacity are.
    await moto.api('config', { batch: { use_docker: true } });
    await moto.api('state-manager/set-transition', {
      model_name: 'batch::job',
      transition: { progression: 'time', seconds: 600 },
    });
    expect((await submit('stuck', ['align=align'], ['S1', 'S2'])).code).toBe(0);
    expect((await submit('stuck-b', ['align=align'], ['S1'])).code).toBe(0);
    const cancel = await cli(['cancel', '--queue', 'standard', '--run-id', 'stuck', '--json']);
    expect(cancel.code).toBe(0);
    expect(JSON.parse(cancel.stdout)).toMatchObject({ cancelled: 2, terminated: 0 });
    const jobs = await jobsOf('stuck');
    // moto records the reason on the jobs it was asked to cancel.
    expect(jobs.filter((j) => j.statusReason).map((j) => j.run)).toEqual(['stuck', 'stuck']);
    expect(jobs.filter((j) => j.run === 'stuck-b').every((j) => !j.statusReason)).toBe(true);
  }, 120_000);

  test('watch exits 3 and counts the failures when Spot took the instances back', async () => {
    // The fixture's compute environment is Spot; moto (through the launcher) ends each job as a reclaimed one.
    await moto.api('config', { batch: { use_docker: false, spot_reclaim: true } });
    try {
      const submitted = await submit('lost', ['align=align'], ['S1', 'S2']);
      expect(submitted.code).toBe(0);
      const watch = await cli(['watch', '--queue', 'standard', '--run-id', 'lost', '--interval', '1']);
      expect(watch.code).toBe(3);
      expect(watch.stdout).toContain('FAILED 2');
      // Each failed job named with the reason Batch gave it.
      expect(watch.stdout).toMatch(
        / {2}lost-align-S1 \([0-9a-f-]+\): Host EC2 \(instance i-0a1b2c3d4e5f60718\) terminated\./,
      );
      expect((await jobsOf('lost-')).map((j) => j.statusReason)).toEqual([
        'Host EC2 (instance i-0a1b2c3d4e5f60718) terminated.',
        'Host EC2 (instance i-0a1b2c3d4e5f60718) terminated.',
      ]);
      expect(watch.stdout.trimEnd().split('\n').slice(-3)).toEqual([
        'rerun the failed items: batch-pipelines rerun --queue standard --run-id lost',
        "the failed jobs' logs: batch-pipelines logs --failed --queue standard --run-id lost",
        'where the time and money went: batch-pipelines report --queue standard --run-id lost',
      ]);
      // The capacity is back: the command watch printed runs the two samples again, once however often it is run.
      await moto.api('config', { batch: { use_docker: false } });
      const rerun = await cli(['rerun', '--queue', 'standard', '--run-id', 'lost']);
      expect(rerun.code).toBe(0);
      expect(rerun.stdout).toContain(
        'rerunning 2 item(s) through align (align) as run lost-rerun: 2 job(s) submitted, 0 already there',
      );
      const again = await cli(['rerun', '--queue', 'standard', '--run-id', 'lost']);
      expect(again.stdout).toContain('0 job(s) submitted, 2 already there');
      const rewatch = await cli(['watch', '--queue', 'standard', '--run-id', 'lost-rerun', '--interval', '1']);
      expect(rewatch.code).toBe(0);
      expect(rewatch.stdout).toContain('done: all 2 succeeded');
      summary.push(`rerun of reclaimed jobs: ${rerun.stdout.trim().split('\n').slice(-2).join(' | ')}`);
    } finally {
      await moto.api('config', { batch: { use_docker: false } });
    }
  }, 120_000);

  test("diagnose exits 3 naming jobs held in RUNNABLE that fit none of the queue's instance types, with the fix", async () => {
    // 8 vCPU and 64 GiB: the queue's largest type, r5.2xlarge, has 64 GiB installed but less usable.
    await batch.send(
      new RegisterJobDefinitionCommand({
        jobDefinitionName: 'call-64g',
        type: 'container',
        containerProperties: {
          image: 'busybox',
          resourceRequirements: [
            { type: 'VCPU', value: '8' },
            { type: 'MEMORY', value: '65536' },
          ],
        },
      }),
    );
    await moto.api('config', { batch: { use_docker: false, hold_runnable: true } });
    try {
      const submitted = await submit('held', ['call=call-64g'], ['S1', 'S2']);
      expect(submitted.code).toBe(0);
      const diagnose = await cli(['diagnose', '--queue', 'standard', '--older-than', '0']);
      expect(diagnose.code).toBe(3);
      expect(diagnose.stdout).toContain('held-call-S1');
      expect(diagnose.stdout).toContain('held-call-S2');
      expect(diagnose.stdout).toMatch(/fits none of the queue's instance types \(r5\.xlarge, r5\.2xlarge/);
      expect(diagnose.stdout).toContain('r5.4xlarge');
      summary.push(
        `diagnose: ${diagnose.stdout
          .split('\n')
          .find((l) => l.includes('→'))
          ?.trim()}`,
      );
    } finally {
      await moto.api('config', { batch: { use_docker: false } });
    }
  }, 120_000);

  test("diagnose names the account's vCPU quota that binds the queue, with how to raise it", async () => {
    // Service Quotas answers EC2's quotas as for a new account (the launcher, from AWS's EC2 quota tables): 5 vCPUs
    // of Standard Spot against the fixture's Spot compute environment of maxvCpus 64.
    const r = await cli(['diagnose', '--queue', 'standard']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('EC2 vCPU quotas in us-east-1:');
    expect(lines).toContain(
      'L-34B43A08 All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests: 5 vCPUs for 64 maxvCpus ' +
        '(spot-capacity): BINDS',
    );
    expect(r.stdout).toContain(
      '`aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-34B43A08 ' +
        '--desired-value 64 --region us-east-1`',
    );
    summary.push(`quotas: ${lines.find((l) => l.startsWith('L-34B43A08'))}`);
  }, 120_000);

  test('exit 1 for an AWS error, shown with its fix; exit 2 for invalid arguments, before any call', async () => {
    const missing = await cli(['diagnose', '--queue', 'no-such-queue']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such-queue/);
    const invalid = await cli(['submit', '--queue', 'standard', '--stage', 'align=align', '--run-id', 'x']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('--items');
    summary.push(`errors: ${missing.stderr.trim().split('\n')[0]} | ${invalid.stderr.trim().split('\n')[0]}`);
  }, 120_000);

  test('start runs a manifest once: a second start reports the run it already started', async () => {
    const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    clients.push(s3);
    await s3.send(new CreateBucketCommand({ Bucket: 'input' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'input', Key: 'manifests/w48.json', Body: JSON.stringify([{ sampleId: 'S1' }]) }),
    );
    const sfn = new SFNClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
    clients.push(sfn);
    const machine = await sfn.send(
      new CreateStateMachineCommand({
        name: 'Workflow',
        roleArn: 'arn:aws:iam::123456789012:role/workflow',
        definition: JSON.stringify({ StartAt: 'Run', States: { Run: { Type: 'Pass', End: true } } }),
      }),
    );
    const args = [
      'start',
      '--state-machine-arn',
      machine.stateMachineArn!,
      '--bucket',
      'input',
      '--key',
      'manifests/w48.json',
      '--json',
    ];
    const first = await cli(args);
    expect(first.code).toBe(0);
    const second = await cli(args);
    expect(second.code).toBe(0);
    const [a, b] = [JSON.parse(first.stdout), JSON.parse(second.stdout)];
    expect(b.executionArn).toBe(a.executionArn);
    expect(b.alreadyStarted).toBe(true);
    summary.push(
      `start: execution ${a.executionArn.split(':').pop()} (${a.status ?? 'started'}); again: already started`,
    );
  }, 120_000);
});
