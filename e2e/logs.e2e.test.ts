import { execFileSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BatchClient, DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { cliOnMoto, Moto, MOTO_CREDENTIALS } from './moto';

/**
 * `batch-pipelines logs` against moto's Batch and CloudWatch Logs: a run whose jobs all fail, two of which wrote to
 * their log streams and one of which did not.
 *
 * moto's Docker-free Batch (moto-5.2-notes.md) runs no container, so nothing writes logs by itself: the events are
 * written here with the SDK, under the group and stream name DescribeJobs reports. moto names a job's stream
 * `<job definition>/default/<job id>` and describes no `logConfiguration`, so the job reads as logging to Batch's
 * default group `/aws/batch/job`; on AWS the awslogs driver names it `<stream prefix>/default/<ECS task id>` in the
 * group the definition names (https://docs.aws.amazon.com/batch/latest/userguide/using_awslogs.html).
 */
const moto = new Moto();
const credentials = MOTO_CREDENTIALS;
let batch: BatchClient;
let logs: CloudWatchLogsClient;
let dir: string;
const transcript: string[] = [];

const cli = cliOnMoto(moto, transcript);

/** The run's jobs as Batch describes them, by item id (the last part of `<run>-align-<id>`). */
async function jobsOf(runId: string) {
  const listed = await batch.send(
    new ListJobsCommand({ jobQueue: 'standard', filters: [{ name: 'JOB_NAME', values: [`${runId}-*`] }] }),
  );
  const described = await batch.send(new DescribeJobsCommand({ jobs: listed.jobSummaryList!.map((j) => j.jobId!) }));
  return Object.fromEntries(described.jobs!.map((j) => [j.jobName!.split('-').pop()!, j]));
}

/** Writes `lines` to a stream as the awslogs driver would, one event a line. */
async function write(group: string, stream: string, lines: string[]) {
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  const start = Date.now() - 60_000;
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: group,
      logStreamName: stream,
      logEvents: lines.map((message, i) => ({ timestamp: start + i * 1000, message })),
    }),
  );
}

beforeAll(async () => {
  // Every job fails as soon as it is submitted (MOTO_SIMPLE_BATCH_FAIL_AFTER=0, read at each submit).
  await moto.start({ MOTO_SIMPLE_BATCH_FAIL_AFTER: '0' });
  await moto.api('config', { batch: { use_docker: false } });
  batch = new BatchClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  logs = new CloudWatchLogsClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  dir = mkdtempSync(join(tmpdir(), 'e2e-logs-'));
  execFileSync('python3', [join(__dirname, 'batch_fixtures.py'), moto.endpoint], { encoding: 'utf8' });
}, 60_000);

afterAll(async () => {
  batch?.destroy();
  logs?.destroy();
  await moto.stop();
  process.stdout.write(`\nbatch-pipelines logs against moto (${moto.endpoint}):\n\n${transcript.join('\n\n')}\n`);
});

describe('batch-pipelines logs against moto', () => {
  test('--failed over a run with three failed jobs, one of which never wrote its stream', async () => {
    const items = join(dir, 'w49.json');
    writeFileSync(items, JSON.stringify(['S1', 'S2', 'S3'].map((sampleId) => ({ sampleId }))));
    const submitted = await cli([
      'submit',
      '--queue',
      'standard',
      '--stage',
      'align=align',
      '--items',
      items,
      '--run-id',
      'w49',
      '--id-field',
      'sampleId',
    ]);
    expect(submitted.code).toBe(0);
    const jobs = await jobsOf('w49');
    expect(Object.values(jobs).map((j) => j.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    const group = '/aws/batch/job';
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await write(group, jobs.S1.container!.logStreamName!, [
      'align S1: reading s3://in/S1.fq',
      'align S1: 1,200,000 reads',
      'Error: reference genome not found: s3://refs/GRCh38.fa',
    ]);
    await write(group, jobs.S2.container!.logStreamName!, [
      'align S2: reading s3://in/S2.fq',
      'Traceback (most recent call last):',
      '  File "/app/align.py", line 88, in <module>',
      'MemoryError',
    ]);
    // S3's container wrote nothing: its stream was never created.

    const failed = await cli(['logs', '--failed', '--queue', 'standard', '--run-id', 'w49', '--lines', '3']);
    expect(failed.code).toBe(0);
    const text = failed.stdout;
    expect(text).toContain('3 failed in run w49 on queue standard; the last 3 line(s) of each log:');
    expect(text).toContain(
      [
        `  job ${jobs.S1.jobId} (FAILED) · ${group} ${jobs.S1.container!.logStreamName}`,
        '    | align S1: reading s3://in/S1.fq',
        '    | align S1: 1,200,000 reads',
        '    | Error: reference genome not found: s3://refs/GRCh38.fa',
      ].join('\n'),
    );
    // The last 3 of S2's 4 lines.
    expect(text).toContain(
      [
        '    | Traceback (most recent call last):',
        '    |   File "/app/align.py", line 88, in <module>',
        '    | MemoryError',
      ].join('\n'),
    );
    expect(text).not.toContain('align S2: reading');
    expect(text).toContain(
      `  no log: log stream ${jobs.S3.container!.logStreamName} in group ${group} is not there (AWS said: `,
    );
    expect(text.match(/^== step w49-align-S\d/gm)).toEqual([
      '== step w49-align-S1',
      '== step w49-align-S2',
      '== step w49-align-S3',
    ]);

    const json = await cli(['logs', '--failed', '--queue', 'standard', '--run-id', 'w49', '--json']);
    const record = JSON.parse(json.stdout);
    expect(record.failed.map((f: { log: { lines: string[] } }) => f.log.lines.length)).toEqual([3, 4, 0]);
    expect(record.failed[2].log.missing).toMatch(/is not there/);
  });

  test('--job-id: the last lines of one job; --follow of a job that has ended prints them and its end', async () => {
    const jobs = await jobsOf('w49');
    const one = await cli(['logs', '--job-id', jobs.S2.jobId!, '--lines', '2']);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe(
      `job ${jobs.S2.jobId} (FAILED) · /aws/batch/job ${jobs.S2.container!.logStreamName}\n` +
        '  |   File "/app/align.py", line 88, in <module>\n  | MemoryError\n',
    );
    const followed = await cli(['logs', '--job-id', jobs.S1.jobId!, '--follow', '--lines', '1']);
    // moto records no status reason or exit code for its failed jobs (moto-5.2-notes.md).
    expect(followed.stdout).toBe(
      `following job ${jobs.S1.jobId} until it ends (Ctrl-C stops following, not the job)\n` +
        'Error: reference genome not found: s3://refs/GRCh38.fa\n' +
        `job ${jobs.S1.jobId} FAILED\n`,
    );
    expect(followed.code).toBe(3);
    const unknown = await cli(['logs', '--job-id', 'no-such-job']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--job-id no-such-job: Batch does not know job no-such-job');
  });
});
