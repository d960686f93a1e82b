import { execFileSync } from 'child_process';
import { join } from 'path';
import { BatchClient, DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { Template } from 'aws-cdk-lib/assertions';
import { Moto } from './moto';
import { OUTCOME_FIELDS as F } from '../lib/contract/run-state';
import { aslOf } from '../test/support/asl';
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
