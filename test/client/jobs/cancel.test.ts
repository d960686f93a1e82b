import {
  BatchClient,
  CancelJobCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { RUN_TAG } from '../../../lib/contract/job-env';
import { clockedClient as client } from '../clocked-client';

const batchMock = mockClient(BatchClient);

beforeEach(() => batchMock.reset());

test('cancel: queued jobs are cancelled, started ones terminated', async () => {
  batchMock.on(ListJobsCommand).resolves({
    jobSummaryList: [
      { jobId: 'a', jobName: 'r-align-0', status: 'RUNNABLE' },
      { jobId: 'b', jobName: 'r-align-1', status: 'RUNNING' },
      { jobId: 'c', jobName: 'r-align-2', status: 'SUCCEEDED' },
    ],
  });
  // DescribeJobs returns the run tag each job was submitted with (JobDetail.tags).
  batchMock.on(DescribeJobsCommand).resolves({
    jobs: ['a', 'b', 'c'].map((jobId) => ({ jobId, tags: { [RUN_TAG]: 'r' } }) as never),
  });
  batchMock.on(CancelJobCommand).resolves({});
  batchMock.on(TerminateJobCommand).resolves({});
  const { c } = client();
  expect(await c.cancelJobs('standard', 'r')).toEqual({ cancelled: 1, terminated: 1 });
  expect(batchMock.commandCalls(CancelJobCommand)[0].args[0].input.jobId).toBe('a');
  expect(batchMock.commandCalls(TerminateJobCommand)[0].args[0].input.jobId).toBe('b');
  expect(batchMock.commandCalls(ListJobsCommand)[0].args[0].input.filters).toEqual([
    { name: 'JOB_NAME', values: ['r-*'] },
  ]);
});

test('runs whose ids share a prefix stay apart: cancel --run-id run1 leaves run run1-b alone', async () => {
  // The name filter is a prefix (https://docs.aws.amazon.com/batch/latest/APIReference/API_KeyValuesPair.html):
  // `run1-*` lists run1-b's jobs too. Each job's run tag (JobDetail.tags) tells them apart.
  batchMock.on(ListJobsCommand).resolves({
    jobSummaryList: [
      { jobId: 'a', jobName: 'run1-align-S1', status: 'RUNNABLE' },
      { jobId: 'b', jobName: 'run1-b-align-S1', status: 'RUNNABLE' },
    ],
  });
  batchMock.on(DescribeJobsCommand).resolves({
    jobs: [
      { jobId: 'a', tags: { [RUN_TAG]: 'run1' } },
      { jobId: 'b', tags: { [RUN_TAG]: 'run1-b' } },
    ] as never,
  });
  batchMock.on(CancelJobCommand).resolves({});
  const { c } = client();
  expect((await c.listJobs('standard', 'run1')).map((j) => j.jobId)).toEqual(['a']);
  expect(await c.cancelJobs('standard', 'run1')).toEqual({ cancelled: 1, terminated: 0 });
  expect(batchMock.commandCalls(CancelJobCommand).map((call) => call.args[0].input.jobId)).toEqual(['a']);
});
