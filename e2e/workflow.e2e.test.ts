import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BatchClient, DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { Template } from 'aws-cdk-lib/assertions';
import { Moto } from './moto';
import { DUPLICATE_ITEM_ERROR, ID_CLAIMS_FOLDER, OUTCOME_FIELDS as F } from '../lib/contract/run-state';
import { aslOf } from '../test/support/asl';
import { runCliAsync } from '../test/support/cli';
import { genomicsPipeline, threeSamples } from '../test/support/pipeline';

/**
 * The workflow's own state machine (the test pipeline: align, then call-variants and qc per sample, then aggregate),
 * executed by moto's Step Functions interpreter against moto's Batch: an interpreter nobody here wrote.
 */
const moto = new Moto();
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const clients: Array<{ destroy(): void }> = [];
const summary: string[] = [];

beforeAll(async () => {
  await moto.start();
}, 60_000);

afterAll(async () => {
  clients.forEach((c) => c.destroy());
  await moto.stop();
  process.stdout.write(`\nmoto workflow run (${moto.endpoint}):\n${summary.map((l) => `  ${l}`).join('\n')}\n`);
});

/** Creates the pipeline's queues, job definitions and state machine in a moto server; runs it over three samples. */
async function runPipeline(server: Moto, name: string) {
  const p = genomicsPipeline();
  const template = Template.fromStack(p.stack);
  const ofType = (type: string) =>
    Object.entries(template.toJSON().Resources as Record<string, { Type: string }>)
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);
  // The definition as CloudFormation would render it, with references as ARNs named after the logical ids: the
  // queues and job definitions are created in moto under those names.
  const queues = ofType('AWS::Batch::JobQueue');
  const definitions = ofType('AWS::Batch::JobDefinition');
  execFileSync('python3', [
    join(__dirname, 'batch_fixtures.py'),
    server.endpoint,
    queues.join(','),
    definitions.join(','),
  ]);
  summary.push(`created: queues ${queues.join(', ')}; job definitions ${definitions.join(', ')}`);
  // moto's Docker-free Batch ends each job at submit (SUCCEEDED, or FAILED with MOTO_SIMPLE_BATCH_FAIL_AFTER); its
  // interpreter really executes state machines.
  await server.api('config', { batch: { use_docker: false }, stepfunctions: { execute_state_machine: true } });

  const sfn = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
  const batch = new BatchClient({ endpoint: server.endpoint, region: 'us-east-1', credentials });
  clients.push(sfn, batch);
  const machine = await sfn.send(
    new CreateStateMachineCommand({
      name: 'Pipeline',
      roleArn: 'arn:aws:iam::123456789012:role/pipeline',
      definition: JSON.stringify(aslOf(template)),
    }),
  );
  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: machine.stateMachineArn,
      name,
      input: JSON.stringify(threeSamples),
    }),
  );
  let execution = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
  for (let i = 0; i < 120 && execution.status === 'RUNNING'; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    execution = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
  }
  summary.push(
    `execution ${name}: ${execution.status}${execution.error ? ` (${execution.error}: ${execution.cause?.slice(0, 160)}…)` : ''}`,
  );
  return { execution, queues, batch };
}

test('three samples run through every step to a SUCCEEDED execution, jobs named and tagged after the run', async () => {
  const { execution, queues, batch } = await runPipeline(moto, 'weekly-2026-48');
  expect(execution.error).toBeUndefined();
  expect(execution.status).toBe('SUCCEEDED');
  const output = JSON.parse(execution.output!);
  expect(output.samplesSummary).toMatchObject({ status: 'SUCCEEDED', items: 3, failed: 0 });

  // Every sample's three steps and the cohort step, once each, named after the run and tagged with it.
  const listed = await batch.send(
    new ListJobsCommand({
      jobQueue: queues.find((q) => q.startsWith('Standard'))!,
      filters: [{ name: 'JOB_NAME', values: ['weekly-2026-48-*'] }],
    }),
  );
  const urgent = await batch.send(
    new ListJobsCommand({
      jobQueue: queues.find((q) => q.startsWith('Urgent'))!,
      filters: [{ name: 'JOB_NAME', values: ['weekly-2026-48-*'] }],
    }),
  );
  const ids = [...(listed.jobSummaryList ?? []), ...(urgent.jobSummaryList ?? [])].map((j) => j.jobId!);
  const jobs = (await batch.send(new DescribeJobsCommand({ jobs: ids }))).jobs ?? [];
  const names = jobs.map((j) => j.jobName!).sort();
  expect(names).toEqual(
    [
      ...[0, 1, 2].flatMap((i) => [
        `weekly-2026-48-align-${i}`,
        `weekly-2026-48-callVariants-${i}`,
        `weekly-2026-48-qc-${i}`,
      ]),
      'weekly-2026-48-aggregate',
    ].sort(),
  );
  expect(new Set(jobs.map((j) => j.tags?.['batch-pipelines:run']))).toEqual(new Set(['weekly-2026-48']));
  summary.push(`jobs: ${names.length} (${names.slice(0, 3).join(', ')}, …)`);
}, 180_000);

test('every job failing without a status reason: the run fails with a bounded summary naming each sample, never States.Runtime', async () => {
  // moto's Docker-free Batch fails every job when MOTO_SIMPLE_BATCH_FAIL_AFTER is set, with no status reason,
  // no exit code and no container reason: the bare shape that once raised States.Runtime.
  const failing = new Moto();
  await failing.start({ MOTO_SIMPLE_BATCH_FAIL_AFTER: '0' });
  try {
    const { execution } = await runPipeline(failing, 'weekly-2026-49');
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('samples.TooManyItemsFailed');
    const cause = JSON.parse(execution.cause!);
    expect(cause).toMatchObject({ status: 'FAILED', items: 3, failed: 3 });
    expect(cause.firstFailures.map((f: Record<string, string>) => [f[F.id], f[F.step], f[F.kind]])).toEqual([
      ['s1', 'align', 'JobFailed'],
      ['s2', 'align', 'JobFailed'],
      ['s3', 'align', 'JobFailed'],
    ]);
  } finally {
    await failing.stop();
  }
}, 180_000);

/**
 * The genomics example as `cdk deploy` puts it into moto, run over a manifest in which two lines share a sample id with
 * different inputs. A manifest's line cannot see the others: it claims its id with an empty S3 object
 * `<results prefix>ids/<run>/<id>/<index>` (aws-sdk:s3:putObject), lists the id's claims (aws-sdk:s3:listObjectsV2,
 * MaxKeys 2) and runs only when its claim is the only one.
 *
 * moto's interpreter does not run a Distributed Map's items one after another: it starts `MaxConcurrency` worker
 * threads over the items (moto/stepfunctions/parser/asl/component/state/exec/state_map/iteration/
 * distributed_iteration_component.py `_map_run`), which call moto's S3 over HTTP. So the deployed example (50 at
 * once) can interleave the pair's claims and lists as AWS can; which of the pair runs, or whether both are refused, is
 * up to thread scheduling (the first run here refused both). The same app deployed with `maxConcurrentJobs: 1` runs
 * them in order: the first line runs, the second is refused.
 */
describe('the deployed genomics workflow over a manifest with a duplicate sample id', () => {
  const server = new Moto();
  const stacks = ['GenomicsPipeline', 'GenomicsOneAtATime'] as const;
  const outputs: Record<string, Record<string, string>> = {};
  let s3: S3Client;
  let batch: BatchClient;
  let sfn: SFNClient;
  let env: Record<string, string>;

  beforeAll(async () => {
    await server.start();
    env = server.awsEnv();
    const config = { endpoint: server.endpoint, region: 'us-east-1', credentials };
    s3 = new S3Client({ ...config, forcePathStyle: true });
    batch = new BatchClient(config);
    sfn = new SFNClient(config);
    clients.push(s3, batch, sfn);
    await server.api('config', { batch: { use_docker: false }, stepfunctions: { execute_state_machine: true } });
    // The example's stack as bin/app.ts builds it, and the same stack at one item at a time, synthesized once.
    const dir = mkdtempSync(join(tmpdir(), 'e2e-duplicates-'));
    const root = join(__dirname, '..');
    const app = join(dir, 'app.ts');
    writeFileSync(
      app,
      [
        `import { App } from '${join(root, 'node_modules', 'aws-cdk-lib')}';`,
        `import { GenomicsPipelineStack } from '${join(root, 'examples', 'genomics', 'genomics-pipeline-stack')}';`,
        'const app = new App();',
        `new GenomicsPipelineStack(app, '${stacks[0]}');`,
        `new GenomicsPipelineStack(app, '${stacks[1]}', { maxConcurrentJobs: 1 });`,
        'app.synth();',
      ].join('\n'),
    );
    const out = join(dir, 'cdk.out');
    const outputsFile = join(dir, 'outputs.json');
    await server.cdk(['--app', `npx tsx ${app}`, 'synth', '-q', '-o', out]);
    await server.cdk(['bootstrap', '--app', out, 'aws://123456789012/us-east-1']);
    const log = await server.cdk([
      'deploy',
      ...stacks,
      '--app',
      out,
      '--require-approval',
      'never',
      '--outputs-file',
      outputsFile,
    ]);
    stacks.forEach((name) => expect(log).toContain(`✅  ${name}`));
    Object.assign(outputs, JSON.parse(readFileSync(outputsFile, 'utf8')));
    summary.push(`deployed ${stacks.join(' and ')} (maxConcurrentJobs 50 and 1)`);
  }, 240_000);

  afterAll(async () => {
    await server.stop();
  });

  async function cli(args: string[]) {
    const result = await runCliAsync([...args, '--endpoint', server.endpoint], env);
    summary.push(`batch-pipelines ${args.join(' ')} -> exit ${result.code}`);
    return result;
  }

  /** Uploads a manifest (the pair: lines `pair`, one sample id, each its own input) and starts it with the CLI. */
  async function runManifest(stack: string, key: string, ids: string[]) {
    const o = outputs[stack];
    const lines = ids.map((sampleId, index) => ({
      sampleId,
      inputUri: `s3://${o.InputBucket}/samples/${sampleId}-lane${index}.fastq.gz`,
      outputUri: `s3://${o.ResultsBucket}/aligned/${sampleId}-lane${index}/`,
    }));
    await s3.send(new PutObjectCommand({ Bucket: o.InputBucket, Key: key, Body: JSON.stringify(lines) }));
    const started = await cli([
      'start',
      '--state-machine-arn',
      o.WorkflowStateMachineArn,
      '--bucket',
      o.InputBucket,
      '--key',
      key,
      '--json',
    ]);
    expect(started.code).toBe(0);
    const { executionArn } = JSON.parse(started.stdout);
    let execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    for (let i = 0; i < 120 && execution.status === 'RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    }
    summary.push(`execution ${execution.name} (${stack}): ${execution.status} (${execution.error ?? 'no error'})`);
    const run = execution.name!;
    // The run's jobs on the Standard queue, by item index (`<run>-<step>-<index>`).
    const ran = new Set<number>();
    for (const jobStatus of ['SUCCEEDED', 'FAILED'] as const) {
      const listed = await batch.send(new ListJobsCommand({ jobQueue: o.StandardQueue, jobStatus }));
      (listed.jobSummaryList ?? [])
        .filter((j) => j.jobName!.startsWith(`${run}-align-`))
        .forEach((j) => ran.add(Number(j.jobName!.split('-').pop())));
    }
    // The claims the lines wrote, as S3 lists them.
    const claims = await s3.send(
      new ListObjectsV2Command({ Bucket: o.ResultsBucket, Prefix: `runs/${ID_CLAIMS_FOLDER}${run}/` }),
    );
    const rerun = await cli(['rerun', '--execution-arn', executionArn, '--dry-run', '--json']);
    expect(rerun.code).toBe(0);
    return {
      execution,
      run,
      ran: [...ran].sort(),
      claims: (claims.Contents ?? []).map((c) => c.Key!.slice(`runs/${ID_CLAIMS_FOLDER}${run}/`.length)).sort(),
      rerun: JSON.parse(rerun.stdout) as { failed: unknown[]; invalid: Array<Record<string, unknown>> },
    };
  }

  test('one item at a time: the first line of the pair runs, the second is refused as Item.Duplicate and listed to fix', async () => {
    const { execution, ran, claims, rerun } = await runManifest(stacks[1], 'manifests/week-51.json', [
      'NA12878',
      'NA12891',
      'NA12878',
      'NA12892',
    ]);
    // Lines 0 and 2 share NA12878: each claimed it, line 0 alone when it listed, line 2 beside line 0's claim.
    expect(claims).toEqual(['NA12878/0', 'NA12878/2', 'NA12891/1', 'NA12892/3']);
    expect(ran).toEqual([0, 1, 3]);
    // One item in four did not succeed: more than the 10% the example tolerates, so the run fails, with its summary.
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('samples.TooManyItemsFailed');
    expect(JSON.parse(execution.cause!)).toMatchObject({ items: 4, failed: 1, succeeded: 3 });
    expect(rerun.failed).toEqual([]);
    expect(rerun.invalid).toEqual([
      expect.objectContaining({
        index: 2,
        [F.id]: 'NA12878',
        error: DUPLICATE_ITEM_ERROR,
        reason: expect.stringContaining('has the id NA12878 of another line of the manifest'),
      }),
    ]);
    summary.push(`one at a time: lines ${ran.join(', ')} ran; refused: ${JSON.stringify(rerun.invalid[0].reason)}`);
  }, 120_000);

  test('as deployed (50 at once): never do both lines of the pair run; each refused line is listed to fix', async () => {
    const { ran, claims, rerun } = await runManifest(stacks[0], 'manifests/week-52.json', [
      'NA20502',
      'NA20502',
      'NA20503',
    ]);
    expect(claims).toEqual(['NA20502/0', 'NA20502/1', 'NA20503/2']);
    expect(ran).toContain(2);
    const pairRan = ran.filter((i) => i < 2);
    const refused = rerun.invalid.map((f) => f.index).sort();
    // Exactly one of the pair ran and the other was refused, or both listed each other's claim (a race).
    expect(pairRan.length).toBeLessThanOrEqual(1);
    expect(refused).toEqual([0, 1].filter((i) => !pairRan.includes(i)));
    rerun.invalid.forEach((f) => expect(f).toMatchObject({ [F.id]: 'NA20502', error: DUPLICATE_ITEM_ERROR }));
    summary.push(
      `50 at once: ${pairRan.length ? `line ${pairRan[0]} of the pair ran, line ${refused[0]} refused` : 'both lines of the pair refused (their claims raced)'}`,
    );
  }, 120_000);
});
