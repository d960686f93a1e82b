import { BatchClient, DescribeJobQueuesCommand, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { DescribeExecutionCommand, DescribeMapRunCommand, ListMapRunsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { CommandIO } from '../../lib/cli/io';
import { watchCommand } from '../../lib/cli/watch-command';
import { mockedPipelineClient } from '../support/clients';
import { MAP_RUN, RUN, threePolls } from '../support/run-scenarios';
import { describeExecutionSucceeded, describeMapRun, mapRunListItem } from '../support/sfn-shapes';

const sfnMock = mockClient(SFNClient);
const batchMock = mockClient(BatchClient);

function io(isTTY = false) {
  const out: string[] = [];
  const status: string[] = [];
  const value: CommandIO = {
    out: (s) => out.push(s),
    err: (s) => out.push(`ERR ${s}`),
    status: (s) => status.push(s),
    isTTY,
  };
  return { io: value, out, status };
}

beforeEach(() => {
  sfnMock.reset();
  batchMock.reset();
});

describe('watch --execution-arn follows a workflow run', () => {
  test('off a terminal: one line per change, each failed item as it fails, the outcome and the rerun command', async () => {
    threePolls(sfnMock);
    const t = io();
    const code = await watchCommand(['--execution-arn', RUN, '--interval', '0.01'], t.io, mockedPipelineClient);
    expect(code).toBe(3);
    const text = t.out.join('\n');
    // Three looks, three different counts: three progress lines, each with its time.
    expect(t.out.filter((l) => /^\d\d:\d\d:\d\d \[/.test(l))).toHaveLength(3);
    expect(text).toMatch(/^\d\d:\d\d:\d\d \[\.+\] 0\/10 RUNNING: pending 6, running 4 \| elapsed /m);
    // The failure shows up when it happens, before the run ends.
    const failedAt = t.out.indexOf('  failed: S3 (#3) align.OutOfMemory: ran out of memory at 61440 MiB');
    const doneAt = t.out.findIndex((l) => l.startsWith('done:'));
    expect(failedAt).toBeGreaterThan(0);
    expect(failedAt).toBeLessThan(doneAt);
    expect(t.out.slice(doneAt)).toEqual([
      `done: ${RUN.split(':').pop()} FAILED: 8 of 10 item(s) succeeded (samples.TooManyItemsFailed)`,
      '  S3 (#3) align.OutOfMemory: ran out of memory at 61440 MiB',
      '  S7 (#7) States.Timeout: the item ran past its timeout',
      `rerun the 2 failed item(s): batch-pipelines rerun --execution-arn ${RUN}`,
    ]);
  });

  test('--json: a record per change with new failures, then a summary record', async () => {
    threePolls(sfnMock);
    const t = io();
    const code = await watchCommand(['--execution-arn', RUN, '--json'], t.io, mockedPipelineClient);
    expect(code).toBe(3);
    const records = t.out.map((l) => JSON.parse(l));
    expect(
      records.slice(0, -1).map((r) => [r.status, r.items.failed, r.failed.map((f: { index: number }) => f.index)]),
    ).toEqual([
      ['RUNNING', 0, []],
      ['RUNNING', 1, [3]],
      ['FAILED', 2, [7]],
    ]);
    const summary = records[records.length - 1];
    expect(summary).toMatchObject({
      done: true,
      status: 'FAILED',
      error: 'samples.TooManyItemsFailed',
      items: { total: 10, succeeded: 8, failed: 2 },
      rerun: `batch-pipelines rerun --execution-arn ${RUN}`,
    });
    expect(summary.failed.map((f: { id: string; error: string }) => `${f.id} ${f.error}`)).toEqual([
      'S3 align.OutOfMemory',
      'S7 States.Timeout',
    ]);
  });

  test('on a terminal: the progress line is redrawn in place, failures print above it', async () => {
    threePolls(sfnMock);
    const t = io(true);
    await watchCommand(['--execution-arn', RUN, '--interval', '0.01'], t.io, mockedPipelineClient);
    // Redrawn (3 looks), cleared and redrawn around each failure (2), cleared at the end.
    expect(t.status.filter((s) => s.startsWith('['))).toHaveLength(5);
    expect(t.status.filter((s) => s === '')).toHaveLength(3);
    // No progress line was printed as its own line except the final one.
    expect(t.out.filter((l) => l.startsWith('['))).toHaveLength(1);
    expect(t.out[0]).toBe('  failed: S3 (#3) align.OutOfMemory: ran out of memory at 61440 MiB');
  });

  test('a fan-out without results: children that caught their failure count as succeeded; the outcomes decide', async () => {
    // Within the failure policy the run succeeds, its outcomes in the output (lib/contract/outcome.ts records).
    const outcomes = Array.from({ length: 10 }, (_, index) =>
      index === 2 || index === 5
        ? { index, id: `S${index}`, status: 'FAILED', error: 'align.ApplicationError', reason: 'exit code 1' }
        : { index, id: `S${index}`, status: 'SUCCEEDED' },
    );
    sfnMock
      .on(DescribeExecutionCommand)
      .resolves(describeExecutionSucceeded({ executionArn: RUN, input: {}, output: { samplesOutcomes: outcomes } }));
    sfnMock.on(ListMapRunsCommand).resolves({ mapRuns: [mapRunListItem(RUN, MAP_RUN)] });
    sfnMock.on(DescribeMapRunCommand).resolves(
      describeMapRun({
        mapRunArn: MAP_RUN,
        executionArn: RUN,
        status: 'SUCCEEDED',
        items: { total: 10, succeeded: 10 },
      }),
    );
    const t = io();
    const code = await watchCommand(['--execution-arn', RUN], t.io, mockedPipelineClient);
    expect(code).toBe(3);
    const doneAt = t.out.findIndex((l) => l.startsWith('done:'));
    expect(t.out.slice(doneAt)).toEqual([
      `done: ${RUN.split(':').pop()} SUCCEEDED: 8 of 10 item(s) succeeded`,
      '  S2 (#2) align.ApplicationError: exit code 1',
      '  S5 (#5) align.ApplicationError: exit code 1',
      `rerun the 2 failed item(s): batch-pipelines rerun --execution-arn ${RUN}`,
    ]);
  });

  test('--execution-arn with --job-id is refused: one or the other', async () => {
    await expect(
      watchCommand(['--execution-arn', RUN, '--job-id', 'j1'], io().io, mockedPipelineClient),
    ).rejects.toThrow(
      '--execution-arn follows a workflow run; --queue/--run-id and --job-id follow jobs: give one of them',
    );
  });
});

describe('a run that already ended: elapsed stops at its end, not at the time it is watched', () => {
  // Watched long after: the run took 4 s, whenever `watch` looks at it.
  const started = new Date('2026-11-23T02:00:00.000Z');
  const stopped = new Date(started.getTime() + 4_000);

  test('a workflow run: from its startDate to its stopDate', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({
      ...describeExecutionSucceeded({
        executionArn: RUN,
        input: {},
        output: { samplesOutcomes: [{ index: 0, id: 'S0', status: 'SUCCEEDED' }] },
      }),
      startDate: started,
      stopDate: stopped,
    });
    sfnMock.on(ListMapRunsCommand).resolves({ mapRuns: [] });
    const t = io();
    expect(await watchCommand(['--execution-arn', RUN], t.io, mockedPipelineClient)).toBe(0);
    expect(t.out[0]).toMatch(/^\d\d:\d\d:\d\d \[\.+\] 0\/\? SUCCEEDED \| elapsed 4s$/);
  });

  test("jobs: from the first job's createdAt to the last one's stoppedAt", async () => {
    // JobDetail times are epoch milliseconds (https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html).
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          jobId: 'j1',
          jobName: 'r1-align-S0',
          jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/standard',
          jobDefinition: 'align:1',
          status: 'SUCCEEDED',
          createdAt: started.getTime(),
          startedAt: started.getTime() + 1_000,
          stoppedAt: stopped.getTime(),
        },
      ],
    });
    batchMock.on(DescribeJobQueuesCommand).resolves({ jobQueues: [] });
    const t = io();
    expect(await watchCommand(['--job-id', 'j1'], t.io, mockedPipelineClient)).toBe(0);
    expect(t.out[0]).toMatch(/^\d\d:\d\d:\d\d \[#+\] 1\/1 SUCCEEDED 1 \| elapsed 4s$/);
  });
});
