import { BatchClient, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { FIRST_STREAM, JOB_ID, STREAM, failedJob, logPage, runnableJob } from './fixtures';
import { PipelineClient } from '../../../lib';

const batch = mockClient(BatchClient);
const logs = mockClient(CloudWatchLogsClient);

/** A client on a fake clock: each sleep is recorded and returns at once. */
function clocked() {
  const sleeps: number[] = [];
  const client = new PipelineClient({
    batch: new BatchClient({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    s3: new S3Client({ region: 'us-east-1' }),
    logs: new CloudWatchLogsClient({ region: 'us-east-1' }),
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { client, sleeps };
}

beforeEach(() => {
  batch.reset();
  logs.reset();
});

const running = () => {
  const job = failedJob();
  return { ...job, status: 'RUNNING' as const, statusReason: undefined, stoppedAt: undefined };
};

test('waits for the job to start, prints what is written, then each new line, until the job ends', async () => {
  const succeeded = { ...failedJob(), status: 'SUCCEEDED' as const, statusReason: undefined };
  batch
    .on(DescribeJobsCommand)
    .resolvesOnce({ jobs: [runnableJob()] })
    .resolvesOnce({ jobs: [running()] })
    .resolvesOnce({ jobs: [running()] })
    .resolves({ jobs: [{ ...succeeded, container: { ...succeeded.container, exitCode: 0 } }] });
  logs
    // The end of what is written when the stream appears; then forward from its forward token.
    .on(GetLogEventsCommand, { startFromHead: false, nextToken: undefined })
    .resolves(logPage(['start', 'read 1'], 'b/0000', 'f/0001'))
    .on(GetLogEventsCommand, { startFromHead: false, nextToken: 'b/0000' })
    .resolves(logPage([], 'b/0000', 'f/0000'))
    .on(GetLogEventsCommand, { startFromHead: true, nextToken: 'f/0001' })
    .resolvesOnce(logPage([], 'b/0001', 'f/0001'))
    .resolves(logPage(['read 2'], 'b/0002', 'f/0002'))
    .on(GetLogEventsCommand, { startFromHead: true, nextToken: 'f/0002' })
    .resolvesOnce(logPage(['done'], 'b/0003', 'f/0003'))
    .on(GetLogEventsCommand, { startFromHead: true, nextToken: 'f/0003' })
    .resolvesOnce(logPage([], 'b/0003', 'f/0003'))
    // The container's last line, delivered by the awslogs driver after the job was already SUCCEEDED.
    .resolvesOnce(logPage(['the last line'], 'b/0004', 'f/0004'))
    .on(GetLogEventsCommand, { startFromHead: true, nextToken: 'f/0004' })
    .resolves(logPage([], 'b/0004', 'f/0004'));
  const { client, sleeps } = clocked();
  const seen: string[] = [];
  const statuses: string[] = [];
  const end = await client.followJobLog(JOB_ID, {
    lines: 10,
    intervalMs: 2_000,
    onLines: (l) => seen.push(...l),
    onStatus: (s) => statuses.push(s),
  });
  expect(statuses).toEqual(['RUNNABLE']);
  expect(seen).toEqual(['start', 'read 1', 'read 2', 'done', 'the last line']);
  expect(end).toMatchObject({ jobId: JOB_ID, status: 'SUCCEEDED', exitCode: 0, logStreamName: STREAM });
  // A look per interval until the job ended (RUNNABLE, RUNNING, RUNNING, SUCCEEDED), then one more read an interval
  // later for the lines the log driver sent as the container stopped.
  expect(sleeps).toEqual([2_000, 2_000, 2_000, 2_000]);
});

test("an array job's parent cannot be followed: the reason, at once", async () => {
  batch.on(DescribeJobsCommand).resolves({ jobs: [{ ...running(), arrayProperties: { size: 4 } }] });
  const { client, sleeps } = clocked();
  const end = await client.followJobLog(JOB_ID);
  expect(end.missing).toMatch(/is an array job of 4 children: each child has its own log/);
  expect(sleeps).toEqual([]);
  expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(0);
});

test('a job that ends without ever starting ends the follow with its reason', async () => {
  const job = runnableJob();
  batch
    .on(DescribeJobsCommand)
    .resolvesOnce({ jobs: [job] })
    .resolves({ jobs: [{ ...job, status: 'FAILED', statusReason: 'Job cancelled: run stopped' }] });
  const { client } = clocked();
  const end = await client.followJobLog(JOB_ID);
  expect(end).toMatchObject({ status: 'FAILED', statusReason: 'Job cancelled: run stopped' });
  expect(end.missing).toBe(
    `job ${JOB_ID} failed before its container ran (Job cancelled: run stopped): it wrote no log`,
  );
});

test("a retried job's next attempt is followed in its own stream, from its start", async () => {
  // Each attempt writes to a stream of its own (the ECS task's id): the attempt's container.logStreamName
  // (https://docs.aws.amazon.com/batch/latest/APIReference/API_AttemptContainerDetail.html).
  const job = failedJob();
  const firstAttempt = { ...job.attempts![0] };
  const onFirst = { ...running(), attempts: [], container: { ...job.container, logStreamName: FIRST_STREAM } };
  const onSecond = { ...running(), attempts: [firstAttempt] };
  const ended = { ...failedJob(), status: 'SUCCEEDED' as const, statusReason: undefined };
  batch
    .on(DescribeJobsCommand)
    .resolvesOnce({ jobs: [onFirst] })
    .resolvesOnce({ jobs: [onSecond] })
    .resolves({ jobs: [ended] });
  logs
    .on(GetLogEventsCommand, { logStreamName: FIRST_STREAM, startFromHead: false, nextToken: undefined })
    .resolves(logPage(['attempt 1 starts'], 'b/a1', 'f/a1'))
    .on(GetLogEventsCommand, { logStreamName: FIRST_STREAM, startFromHead: false, nextToken: 'b/a1' })
    .resolves(logPage([], 'b/a1', 'f/a0'))
    // The second stream from its start (no token), then on from its forward token.
    .on(GetLogEventsCommand, { logStreamName: STREAM, startFromHead: true, nextToken: undefined })
    .resolves(logPage(['attempt 2 starts'], 'b/b1', 'f/b1'))
    .on(GetLogEventsCommand, { logStreamName: STREAM, startFromHead: true, nextToken: 'f/b1' })
    .resolvesOnce(logPage([], 'b/b1', 'f/b1'))
    .resolvesOnce(logPage(['attempt 2 ends'], 'b/b2', 'f/b2'))
    .resolves(logPage([], 'b/b1', 'f/b1'))
    .on(GetLogEventsCommand, { logStreamName: STREAM, startFromHead: true, nextToken: 'f/b2' })
    .resolves(logPage([], 'b/b2', 'f/b2'));
  const { client } = clocked();
  const seen: string[] = [];
  const end = await client.followJobLog(JOB_ID, { intervalMs: 1_000, onLines: (l) => seen.push(...l) });
  expect(seen).toEqual(['attempt 1 starts', `-- attempt 2: ${STREAM}`, 'attempt 2 starts', 'attempt 2 ends']);
  expect(end).toMatchObject({ status: 'SUCCEEDED', logStreamName: STREAM });
  // No call ever asked the second stream with the first stream's token.
  const asked = logs.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input);
  expect(asked.filter((i) => i.logStreamName === STREAM && String(i.nextToken).startsWith('f/a'))).toEqual([]);
});
