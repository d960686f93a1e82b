import { DescribeExecutionCommand, ListExecutionsCommand, ListMapRunsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { mockedPipelineClient } from '../../support/clients';
import { MAP_RUN, RUN, threePolls } from '../../support/run-scenarios';
import { childExecutionArn } from '../../support/sfn-shapes';

const sfnMock = mockClient(SFNClient);
beforeEach(() => sfnMock.reset());

test('followExecution reports the Map Run counts each look, and each failed item once, as it fails', async () => {
  threePolls(sfnMock);
  const looks: Array<{ status: string; done: number; failed: string[] }> = [];
  const end = await mockedPipelineClient().followExecution(RUN, {
    onProgress: (p) =>
      looks.push({
        status: p.status,
        done: p.mapRuns[0].succeeded + p.mapRuns[0].failed,
        failed: p.newFailures.map((f) => `${f.index} ${f.id ?? ''} ${f.error}: ${f.reason}`),
      }),
  });
  expect(looks).toEqual([
    { status: 'RUNNING', done: 0, failed: [] },
    { status: 'RUNNING', done: 6, failed: ['3 S3 align.OutOfMemory: ran out of memory at 61440 MiB'] },
    // The timed-out child has no outcome record: its status and error say what happened.
    { status: 'FAILED', done: 10, failed: ['7  States.Timeout: TIMED_OUT, no cause given'] },
  ]);
  expect(end.mapRuns[0]).toMatchObject({ total: 10, succeeded: 8, failed: 2, status: 'FAILED' });
  // Children are listed only when the failed count grew, and each is described once.
  expect(sfnMock.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input.mapRunArn)).toEqual([
    MAP_RUN,
    MAP_RUN,
    MAP_RUN,
    MAP_RUN,
  ]);
  const described = sfnMock.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn);
  expect(described.filter((a) => a === childExecutionArn(MAP_RUN, 'c3'))).toHaveLength(1);
});

test('an inline fan-out has no Map Run: the run is followed by its status alone', async () => {
  sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: RUN, name: 'w48', status: 'SUCCEEDED' });
  sfnMock.on(ListMapRunsCommand).resolves({ mapRuns: [] });
  const p = await mockedPipelineClient().executionProgress(RUN);
  expect(p).toMatchObject({ status: 'SUCCEEDED', mapRuns: [], newFailures: [] });
  expect(sfnMock.commandCalls(ListExecutionsCommand)).toHaveLength(0);
});

test('a run pending a redrive is followed on, not taken for ended', async () => {
  // DescribeExecution's statuses: PENDING_REDRIVE while a redrive is starting, then RUNNING again.
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
  const statuses = ['PENDING_REDRIVE', 'RUNNING', 'SUCCEEDED'];
  let look = 0;
  sfnMock.on(DescribeExecutionCommand).callsFake(async () => ({
    executionArn: RUN,
    name: 'w48',
    status: statuses[Math.min(look++, statuses.length - 1)],
  }));
  sfnMock.on(ListMapRunsCommand).resolves({ mapRuns: [] });
  const seen: string[] = [];
  const end = await mockedPipelineClient().followExecution(RUN, { onProgress: (p) => seen.push(p.status) });
  expect(seen).toEqual(['PENDING_REDRIVE', 'RUNNING', 'SUCCEEDED']);
  expect(end.status).toBe('SUCCEEDED');
});
