import { BatchClient, DescribeJobsCommand, JobDetail, JobStatus } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { countStatuses } from '../../../lib/client/jobs/status';
import { spanOf } from '../../../lib/client/jobs/watch';
import { clockedClient as client } from '../clocked-client';

const batchMock = mockClient(BatchClient);

beforeEach(() => batchMock.reset());

describe('watching', () => {
  test('counts array children from the status summary, and plain jobs by status', () => {
    const counts = countStatuses([
      {
        jobId: 'a',
        jobName: 'a',
        jobQueue: 'q',
        jobDefinition: 'd',
        startedAt: 1,
        status: 'PENDING',
        arrayProperties: { size: 500, statusSummary: { RUNNING: 50, SUCCEEDED: 400, FAILED: 2, RUNNABLE: 40 } },
      },
      { jobId: 'b', jobName: 'b', jobQueue: 'q', jobDefinition: 'd', startedAt: 1, status: 'SUCCEEDED' },
    ]);
    // 500 - 492 children not created yet count as PENDING, with their parent.
    expect(counts).toEqual({
      SUBMITTED: 0,
      PENDING: 8,
      RUNNABLE: 40,
      STARTING: 0,
      RUNNING: 50,
      SUCCEEDED: 401,
      FAILED: 2,
    });
  });

  test('describes 100 ids per call', async () => {
    batchMock.on(DescribeJobsCommand).callsFake(async (input) => ({
      jobs: input.jobs.map((id: string) => ({
        jobId: id,
        jobName: id,
        jobQueue: 'q',
        jobDefinition: 'd',
        startedAt: 1,
        status: 'SUCCEEDED',
      })),
    }));
    const { c } = client();
    const counts = await c.jobProgress(Array.from({ length: 250 }, (_, i) => `j${i}`));
    expect(batchMock.commandCalls(DescribeJobsCommand).map((x) => x.args[0].input.jobs!.length)).toEqual([
      100, 100, 50,
    ]);
    expect(counts.SUCCEEDED).toBe(250);
  });

  test('watch polls with a growing interval until every job is done', async () => {
    const statuses = ['RUNNABLE', 'RUNNING', 'RUNNING', 'SUCCEEDED'];
    let poll = 0;
    batchMock.on(DescribeJobsCommand).callsFake(async () => ({
      jobs: [{ jobId: 'j', jobName: 'j', jobQueue: 'q', jobDefinition: 'd', startedAt: 1, status: statuses[poll++] }],
    }));
    const { c, sleeps } = client();
    const seen: string[] = [];
    const final = await c.watchJobs(['j'], {
      onProgress: (counts) => seen.push(Object.entries(counts).find(([, n]) => n > 0)![0]),
    });
    expect(seen).toEqual(['RUNNABLE', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
    expect(sleeps).toEqual([5000, 7500, 11250]);
    expect(final.SUCCEEDED).toBe(1);
  });
});

describe('the span of a run of jobs', () => {
  // JobDetail's times: `stoppedAt` "when the job transitioned from the RUNNING state to a terminal state", so a job
  // cancelled while RUNNABLE ends FAILED without one. https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html
  const job = (status: JobStatus, times: { createdAt: number; startedAt?: number; stoppedAt?: number }) =>
    ({
      jobId: status,
      jobName: status,
      jobQueue: 'q',
      jobDefinition: 'd',
      status,
      ...times,
    }) as JobDetail; // The SDK's type marks startedAt required; the API leaves it out of a job that never started.

  test('ends with the last job to end, a job cancelled before it ran included', () => {
    const span = spanOf([
      job('SUCCEEDED', { createdAt: 1_000, startedAt: 2_000, stoppedAt: 9_000 }),
      job('FAILED', { createdAt: 1_500 }),
    ]);
    expect(span).toEqual({ startedAt: new Date(1_000), stoppedAt: new Date(9_000) });
  });

  test('has no end while a job has not ended', () => {
    const span = spanOf([
      job('SUCCEEDED', { createdAt: 1_000, startedAt: 2_000, stoppedAt: 9_000 }),
      job('RUNNING', { createdAt: 1_500, startedAt: 3_000 }),
    ]);
    expect(span.stoppedAt).toBeUndefined();
  });
});
