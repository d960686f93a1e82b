import { BatchClient, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { FIRST_STREAM, GROUP, JOB_ID, STREAM, failedJob, logPage, runnableJob } from './fixtures';
import { logLocationOf } from '../../../lib/client/logs/location';
import { BATCH_DEFAULT_LOG_GROUP } from '../../../lib/private/limits';
import { mockedPipelineClient } from '../../support/clients';

const batch = mockClient(BatchClient);
const logs = mockClient(CloudWatchLogsClient);

beforeEach(() => {
  batch.reset();
  logs.reset();
});

describe('where a job log is', () => {
  test("its definition's awslogs-group and its last attempt's stream", () => {
    expect(logLocationOf(failedJob())).toEqual({ logGroupName: GROUP, logStreamName: STREAM });
  });

  test("Batch's /aws/batch/job when the definition names no group", () => {
    const job = failedJob();
    const bare = failedJob({ container: { ...job.container, logConfiguration: undefined } });
    expect(logLocationOf(bare)).toEqual({ logGroupName: BATCH_DEFAULT_LOG_GROUP, logStreamName: STREAM });
  });

  test("the last attempt's stream when the container has none", () => {
    const job = failedJob();
    const noContainerStream = failedJob({ container: { ...job.container, logStreamName: undefined } });
    expect(logLocationOf(noContainerStream).logStreamName).toBe(STREAM);
    const firstOnly = failedJob({
      container: { ...job.container, logStreamName: undefined },
      attempts: [job.attempts![0], { ...job.attempts![1], container: { exitCode: 1 } }],
    });
    expect(logLocationOf(firstOnly).logStreamName).toBe(FIRST_STREAM);
  });

  test('a job that has not started: no log yet, said as such', () => {
    expect(logLocationOf(runnableJob())).toMatchObject({
      pending: true,
      missing: `job ${JOB_ID} has not started (RUNNABLE): it has no log yet`,
    });
  });

  test('a job that failed before its container ran: no log, with its reason', () => {
    const job = runnableJob();
    const failed = { ...job, status: 'FAILED' as const, statusReason: 'CannotPullContainerError: pull access denied' };
    expect(logLocationOf(failed).missing).toBe(
      `job ${JOB_ID} failed before its container ran (CannotPullContainerError: pull access denied): it wrote no log`,
    );
  });

  test("an array job's parent points at its children", () => {
    const parent = failedJob({ arrayProperties: { size: 40 } });
    expect(logLocationOf(parent).missing).toBe(
      `job ${JOB_ID} is an array job of 40 children: each child has its own log. Fix: ask for a child, e.g. --job-id ${JOB_ID}:0`,
    );
    expect(logLocationOf(failedJob({ arrayProperties: { size: 40, index: 3 } })).logStreamName).toBe(STREAM);
  });

  test('a job logging with another driver is not in CloudWatch Logs', () => {
    const job = failedJob();
    const splunk = failedJob({ container: { ...job.container, logConfiguration: { logDriver: 'splunk' } } });
    expect(logLocationOf(splunk).missing).toBe(
      `job ${JOB_ID} logs with the splunk driver: its log is not in CloudWatch Logs`,
    );
  });
});

describe('tailJobLog', () => {
  test('reads the last lines of the stream, newest page first, from the group the job names', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [failedJob()] });
    logs
      .on(GetLogEventsCommand, { nextToken: undefined })
      .resolves(logPage(['aligning S3', 'Killed\n'], 'b/0001', 'f/0002'))
      .on(GetLogEventsCommand, { nextToken: 'b/0001' })
      .resolves(logPage([], 'b/0001', 'f/0001'));
    const tail = await mockedPipelineClient().tailJobLog(JOB_ID, 20);
    expect(tail).toEqual({
      jobId: JOB_ID,
      status: 'FAILED',
      logGroupName: GROUP,
      logStreamName: STREAM,
      lines: ['aligning S3', 'Killed'],
    });
    expect(logs.commandCalls(GetLogEventsCommand)[0].args[0].input).toEqual({
      logGroupName: GROUP,
      logStreamName: STREAM,
      startFromHead: false,
      limit: 20,
      nextToken: undefined,
    });
  });

  test('pages back while a page holds fewer lines than asked, and stops where the token repeats', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [failedJob()] });
    logs
      .on(GetLogEventsCommand, { nextToken: undefined })
      .resolves(logPage(['c', 'd'], 'b/0002', 'f/0004'))
      // An empty page with a new token: "This operation can return empty results while there are more log events".
      .on(GetLogEventsCommand, { nextToken: 'b/0002' })
      .resolves(logPage([], 'b/0001', 'f/0002'))
      .on(GetLogEventsCommand, { nextToken: 'b/0001' })
      .resolves(logPage(['a', 'b'], 'b/0000', 'f/0001'))
      // The start of the stream: the token it was given comes back.
      .on(GetLogEventsCommand, { nextToken: 'b/0000' })
      .resolves(logPage([], 'b/0000', 'f/0000'));
    const tail = await mockedPipelineClient().tailJobLog(JOB_ID, 10);
    expect(tail.lines).toEqual(['a', 'b', 'c', 'd']);
    expect(
      logs.commandCalls(GetLogEventsCommand).map((c) => [c.args[0].input.nextToken, c.args[0].input.limit]),
    ).toEqual([
      [undefined, 10],
      ['b/0002', 8],
      ['b/0001', 8],
      ['b/0000', 6],
    ]);
  });

  test('retries while CloudWatch Logs throttles', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [failedJob()] });
    // The error GetLogEvents answers when throttled, by name (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html).
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    logs
      .on(GetLogEventsCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolvesOnce(logPage(['done'], 'b/0', 'f/0'))
      .resolves(logPage([], 'b/0', 'f/0'));
    const tail = await mockedPipelineClient().tailJobLog(JOB_ID, 5);
    expect(tail.lines).toEqual(['done']);
    expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(4);
  });

  test('a stream that is gone is a reason, not an error', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [failedJob()] });
    // GetLogEvents' error for a missing group or stream (API_GetLogEvents.html#API_GetLogEvents_Errors).
    logs.on(GetLogEventsCommand).rejects(
      Object.assign(new Error('The specified log stream does not exist.'), {
        name: 'ResourceNotFoundException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const tail = await mockedPipelineClient().tailJobLog(JOB_ID, 5);
    expect(tail).toMatchObject({ jobId: JOB_ID, status: 'FAILED', logStreamName: STREAM, lines: [] });
    expect(tail.missing).toBe(
      `log stream ${STREAM} in group ${GROUP} is not there (AWS said: The specified log stream does not exist.): ` +
        "the group's retention deleted it, it was deleted, or the container never wrote a line",
    );
  });

  test('a job that never started: no call to CloudWatch Logs, and why', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [runnableJob()] });
    const tail = await mockedPipelineClient().tailJobLog(JOB_ID, 5);
    expect(tail).toEqual({
      jobId: JOB_ID,
      status: 'RUNNABLE',
      logGroupName: GROUP,
      lines: [],
      missing: `job ${JOB_ID} has not started (RUNNABLE): it has no log yet`,
    });
    expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(0);
  });

  test('a job Batch does not know', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [] });
    const tail = await mockedPipelineClient().tailJobLog('nope', 5);
    expect(tail).toEqual({
      jobId: 'nope',
      lines: [],
      missing: 'Batch does not know job nope (check the id and the region)',
    });
  });
});
