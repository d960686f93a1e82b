import { BatchClient, DescribeJobQueuesCommand, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { DescribeExecutionCommand, DescribeMapRunCommand, ListMapRunsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { PipelineClient } from '../../lib';
import { CommandIO } from '../../lib/cli/io';
import { watchCommand } from '../../lib/cli/watch-command';
import { mockedPipelineClient } from '../support/clients';
import { MAP_RUN, RUN, STARTED, threePolls } from '../support/run-scenarios';
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
      `the failed jobs' logs: batch-pipelines logs --failed --execution-arn ${RUN}`,
      `where the time and money went: batch-pipelines report --execution-arn ${RUN}`,
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
    expect(t.out[0]).toMatch(/^watching workflow run /);
    expect(t.out[1]).toBe('  failed: S3 (#3) align.OutOfMemory: ran out of memory at 61440 MiB');
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
      `the failed jobs' logs: batch-pipelines logs --failed --execution-arn ${RUN}`,
      `where the time and money went: batch-pipelines report --execution-arn ${RUN}`,
    ]);
  });

  test("a state machine's ARN is refused as --execution-arn, naming the ARN start prints", async () => {
    const machine = 'arn:aws:states:us-east-1:123456789012:stateMachine:Genomics';
    await expect(watchCommand(['--execution-arn', machine], io().io, mockedPipelineClient)).rejects.toThrow(
      `--execution-arn ${machine} is a state machine's ARN; allowed: an execution's ARN ` +
        '(arn:aws:states:<region>:<account>:execution:<state machine>:<name>). Fix: pass the ARN batch-pipelines ' +
        'start printed (started <name>: <ARN>)',
    );
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
    expect(t.out[1]).toMatch(/^\d\d:\d\d:\d\d \[\.+\] 0\/\? SUCCEEDED \| elapsed 4s$/);
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
    expect(t.out[1]).toMatch(/^\d\d:\d\d:\d\d \[#+\] 1\/1 SUCCEEDED 1 \| elapsed 4s$/);
  });
});

describe('the first line at once, and a heartbeat while nothing changes (a fake clock: no real waiting)', () => {
  /**
   * A client on a fake clock: sleeping moves the clock at once. `atSleep` holds how many lines were out at each sleep,
   * and each line is kept with the number of AWS calls made before it.
   */
  function clocked() {
    let clock = STARTED.getTime();
    const out: Array<{ line: string; calls: number }> = [];
    const atSleep: number[] = [];
    const calls = () => batchMock.calls().length + sfnMock.calls().length;
    const client = new PipelineClient({
      batch: new BatchClient({ region: 'us-east-1' }),
      sfn: new SFNClient({ region: 'us-east-1' }),
      s3: new S3Client({ region: 'us-east-1' }),
      now: () => clock,
      sleep: async (ms) => {
        atSleep.push(out.length);
        clock += ms;
      },
    });
    const cio: CommandIO = {
      out: (line) => out.push({ line, calls: calls() }),
      err: (line) => out.push({ line, calls: -1 }),
      isTTY: false,
    };
    return { client, io: cio, out, atSleep, now: () => clock };
  }

  /** Looks before the work moves: 12 polls from 5 s growing by half to a minute, about 6 min 41 s of nothing. */
  const STILL_LOOKS = 12;

  test('jobs: what is watched before any AWS call, the counts at the first look, then "still" lines', async () => {
    // Three jobs RUNNING for 12 looks, then SUCCEEDED. JobDetail fields and epoch-millisecond times as
    // https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html documents them.
    let looks = 0;
    batchMock.on(DescribeJobsCommand).callsFake(async (input: { jobs: string[] }) => {
      const status = looks++ < STILL_LOOKS ? 'RUNNING' : 'SUCCEEDED';
      return {
        jobs: input.jobs.map((jobId) => ({
          jobId,
          jobName: `r1-resize-${jobId}`,
          jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/standard',
          jobDefinition: 'resize:1',
          status,
          createdAt: STARTED.getTime(),
          startedAt: STARTED.getTime() + 1_000,
          ...(status === 'SUCCEEDED' ? { stoppedAt: STARTED.getTime() + 420_000 } : {}),
        })),
      };
    });
    batchMock.on(DescribeJobQueuesCommand).resolves({ jobQueues: [] });
    const t = clocked();
    const code = await watchCommand(
      ['--job-id', 'j1', '--job-id', 'j2', '--job-id', 'j3'],
      t.io,
      () => t.client,
      t.now,
    );
    expect(code).toBe(0);
    // The header comes before any call to AWS; the first counts before the first wait.
    expect(t.out[0]).toEqual({
      line: 'watching 3 job(s) (j1, j2, j3): a look now, then every 5s, growing to every 1m',
      calls: 0,
    });
    expect(t.atSleep[0]).toBe(2);
    expect(t.out[1].line).toBe('02:00:00 [..............................] 0/3 RUNNING 3 | elapsed 0s');
    // Nothing changes for 6 min 41 s: a heartbeat after a minute, then five minutes later.
    expect(t.out.map((o) => o.line).filter((l) => l.includes(' still '))).toEqual([
      '02:01:05 still 0/3 done (RUNNING 3), nothing changed for 1m 06s | elapsed 1m 06s',
      '02:06:40 still 0/3 done (RUNNING 3), nothing changed for 6m 41s | elapsed 6m 41s',
    ]);
    expect(t.out[t.out.length - 2].line).toBe('done: all 3 succeeded');
  });

  test("a workflow run: the same, in the Map Run's item counts", async () => {
    // DescribeExecution of a running execution (no stopDate, output or error yet), as
    // https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html documents it; the
    // ended one from sfn-shapes.ts, its output holding the fan-out's outcome records (lib/contract/outcome.ts).
    let looks = 0;
    const outcomes = Array.from({ length: 12 }, (_, index) => ({ index, id: `P${index}`, status: 'SUCCEEDED' }));
    sfnMock.on(DescribeExecutionCommand).callsFake(async () =>
      looks++ < STILL_LOOKS
        ? { executionArn: RUN, name: RUN.split(':').pop(), status: 'RUNNING', startDate: STARTED, input: '{}' }
        : {
            ...describeExecutionSucceeded({ executionArn: RUN, input: {}, output: { itemsOutcomes: outcomes } }),
            startDate: STARTED,
          },
    );
    sfnMock.on(ListMapRunsCommand).resolves({ mapRuns: [mapRunListItem(RUN, MAP_RUN)] });
    sfnMock.on(DescribeMapRunCommand).callsFake(async () =>
      looks <= STILL_LOOKS
        ? describeMapRun({
            mapRunArn: MAP_RUN,
            executionArn: RUN,
            status: 'RUNNING',
            items: { total: 12, running: 12 },
          })
        : describeMapRun({
            mapRunArn: MAP_RUN,
            executionArn: RUN,
            status: 'SUCCEEDED',
            items: { total: 12, succeeded: 12 },
          }),
    );
    const t = clocked();
    const code = await watchCommand(['--execution-arn', RUN], t.io, () => t.client, t.now);
    expect(code).toBe(0);
    expect(t.out[0]).toEqual({
      line: `watching workflow run ${RUN.split(':').pop()}: a look now, then every 5s, growing to every 1m`,
      calls: 0,
    });
    expect(t.atSleep[0]).toBe(2);
    expect(t.out[1].line).toBe('02:00:00 [..............................] 0/12 RUNNING: running 12 | elapsed 0s');
    expect(t.out.map((o) => o.line).filter((l) => l.includes(' still '))).toEqual([
      '02:01:05 still 0/12 done (RUNNING: running 12), nothing changed for 1m 06s | elapsed 1m 06s',
      '02:06:40 still 0/12 done (RUNNING: running 12), nothing changed for 6m 41s | elapsed 6m 41s',
    ]);
    // A run that succeeded names its report only (no failed job to read the log of).
    expect(t.out.slice(-2).map((o) => o.line)).toEqual([
      `done: ${RUN.split(':').pop()} SUCCEEDED: 12 of 12 item(s) succeeded`,
      `where the time and money went: batch-pipelines report --execution-arn ${RUN}`,
    ]);
  });

  test('--json: no header (every line stays JSON) and no heartbeat records, a record per change only', async () => {
    let looks = 0;
    batchMock.on(DescribeJobsCommand).callsFake(async () => ({
      jobs: [
        {
          jobId: 'j1',
          jobName: 'r1-resize-j1',
          jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/standard',
          jobDefinition: 'resize:1',
          status: looks++ < STILL_LOOKS ? 'RUNNING' : 'SUCCEEDED',
          createdAt: STARTED.getTime(),
        },
      ],
    }));
    batchMock.on(DescribeJobQueuesCommand).resolves({ jobQueues: [] });
    const t = clocked();
    await watchCommand(['--job-id', 'j1', '--json'], t.io, () => t.client, t.now);
    const records = t.out.map((o) => JSON.parse(o.line));
    expect(records.map((r) => [r.time, r.RUNNING, r.SUCCEEDED, r.done])).toEqual([
      ['2026-11-23T02:00:00.000Z', 1, 0, undefined],
      ['2026-11-23T02:07:40.863Z', 0, 1, undefined],
      ['2026-11-23T02:07:40.863Z', undefined, undefined, true],
    ]);
  });
});
