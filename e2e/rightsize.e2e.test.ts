import { execFileSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BatchClient, DescribeJobsCommand, JobDetail, ListJobsCommand } from '@aws-sdk/client-batch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { cliOnMoto, Moto, MOTO_CREDENTIALS } from './moto';
import { taskEvent } from '../test/client/rightsize/fixtures';

/**
 * `batch-pipelines rightsize` against moto's Batch and CloudWatch Logs. moto runs no container and has no Container
 * Insights, so the performance events a running task's ECS agent would write are written here with the SDK: "Type":
 * "Task" events in the shape of the CloudWatch User Guide (test/client/rightsize/fixtures.ts), in the log group
 * Container Insights uses, `/aws/ecs/containerinsights/<cluster>/performance`, one stream a container instance
 * (`AgentTelemetry-<container instance id>`), for the task ids of the jobs' attempts
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html).
 * The task ARNs are AWS's (`task/<cluster>/<id>`) through moto_launcher.py. The queue is batch_fixtures.py's: Spot
 * r5.xlarge and r5.2xlarge; its job definitions ask 4 vCPU / 30 GiB.
 */
const moto = new Moto();
const credentials = MOTO_CREDENTIALS;
let batch: BatchClient;
let logs: CloudWatchLogsClient;
let dir: string;
const transcript: string[] = [];

const cli = cliOnMoto(moto, transcript);

/** Submits `n` align jobs as run `runId` and returns them as Batch describes them. */
async function submitRun(runId: string, n: number): Promise<JobDetail[]> {
  const items = join(dir, `${runId}.json`);
  writeFileSync(items, JSON.stringify(Array.from({ length: n }, (_, i) => ({ sampleId: `S${i}` }))));
  const submitted = await cli([
    'submit',
    '--queue',
    'standard',
    '--stage',
    'align=align',
    '--items',
    items,
    '--run-id',
    runId,
    '--id-field',
    'sampleId',
  ]);
  expect(submitted.code).toBe(0);
  const listed = await batch.send(
    new ListJobsCommand({ jobQueue: 'standard', filters: [{ name: 'JOB_NAME', values: [`${runId}-*`] }] }),
  );
  const described = await batch.send(new DescribeJobsCommand({ jobs: listed.jobSummaryList!.map((j) => j.jobId!) }));
  return described.jobs!;
}

/** Writes each job's task's performance events: 9 GiB at its start, its peak a minute later. */
async function writeEvents(jobs: JobDetail[], peakMiB: (i: number) => number, cpuUnits: number) {
  const [, cluster] = jobs[0].attempts![0].container!.taskArn!.split('/');
  const group = `/aws/ecs/containerinsights/${cluster}/performance`;
  // One group a cluster (Container Insights creates it once); one stream a container instance, a new one a run here.
  await logs.send(new CreateLogGroupCommand({ logGroupName: group })).catch((e) => {
    if (e.name !== 'ResourceAlreadyExistsException') {
      throw e;
    }
  });
  const stream = `AgentTelemetry-${jobs[0].jobId!.replace(/-/g, '')}`;
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  const events = jobs.flatMap((job, i) => {
    const taskId = job.attempts![0].container!.taskArn!.split('/').pop()!;
    const at = job.attempts![0].startedAt!;
    return [
      { timestamp: at, message: taskEvent(taskId, cluster, at, 9216, cpuUnits * 0.6) },
      { timestamp: at + 1, message: taskEvent(taskId, cluster, at + 1, peakMiB(i), cpuUnits) },
    ];
  });
  // One request's events in time order, as PutLogEvents takes them.
  events.sort((a, b) => a.timestamp - b.timestamp);
  const put = await logs.send(
    new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }),
  );
  expect(put.rejectedLogEventsInfo).toBeUndefined();
  return group;
}

beforeAll(async () => {
  await moto.start();
  await moto.api('config', { batch: { use_docker: false } });
  batch = new BatchClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  logs = new CloudWatchLogsClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  dir = mkdtempSync(join(tmpdir(), 'e2e-rightsize-'));
  execFileSync('python3', [join(__dirname, 'batch_fixtures.py'), moto.endpoint], { encoding: 'utf8' });
}, 60_000);

afterAll(async () => {
  batch?.destroy();
  logs?.destroy();
  await moto.stop();
  process.stdout.write(`\nbatch-pipelines rightsize against moto (${moto.endpoint}):\n\n${transcript.join('\n\n')}\n`);
});

describe('batch-pipelines rightsize against moto', () => {
  test('without Container Insights events: exit 2, naming the log group and the prop that turns it on', async () => {
    const jobs = await submitRun('w49', 6);
    expect(
      jobs.every((j) =>
        /^arn:aws:ecs:us-east-1:\d{12}:task\/[\w-]+\/[0-9a-f]{32}$/.test(j.attempts![0].container!.taskArn!),
      ),
    ).toBe(true);
    const got = await cli(['rightsize', '--queue', 'standard', '--run-id', 'w49']);
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(
      /no job of run w49 on queue standard has Container Insights measurements \(read: \/aws\/ecs\/containerinsights\/.+\/performance\)\. Fix: set containerInsights: ecs\.ContainerInsights\.ENABLED/,
    );
  });

  test('align peaking at 11 GiB and 1.6 vCPU: ask 2 vCPU / 14 GiB, two jobs per r5.xlarge instead of one, and the saving', async () => {
    const jobs = await submitRun('w50', 8);
    const group = await writeEvents(jobs, (i) => (i === 3 ? 11 * 1024 : 10 * 1024), 1638);
    const got = await cli(['rightsize', '--queue', 'standard', '--run-id', 'w50', '--hours-per-item', '4']);
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('priced Batch Spot at 2,167 items a month, 500 a week');
    expect(got.stdout).toContain('align: 8 jobs measured');
    expect(got.stdout).toContain('  memory  asked 30 GiB, used p50 10 / p95 11 / max 11 GiB');
    expect(got.stdout).toMatch(
      / {2}request 2 vCPU \/ 14 GiB: 2 jobs per r5\.xlarge instead of 1, \$\d[\d,]* a month less/,
    );
    expect(got.stdout).toContain("  change: vcpus: 2, memory: Size.gibibytes(14) on Job 'align'");
    const json = JSON.parse(
      (await cli(['rightsize', '--queue', 'standard', '--run-id', 'w50', '--hours-per-item', '4', '--json'])).stdout,
    );
    expect(json.logGroups).toEqual([group]);
    expect(json.advice.steps[0].savingMonthlyUsd).toBeGreaterThan(0);
  });

  test('too few measured jobs: no advice, exit 0', async () => {
    const jobs = await submitRun('w51', 3);
    await writeEvents(jobs, () => 11 * 1024, 1638);
    const got = await cli(['rightsize', '--queue', 'standard', '--run-id', 'w51']);
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('  no advice: too few measured jobs (3 < 5)');
  });
});
