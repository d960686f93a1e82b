import { BatchClient, DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { DescribeExecutionCommand, DescribeStateMachineForExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { CommandIO } from '../../lib/cli/io';
import { logsCommand } from '../../lib/cli/logs-command';
import { main } from '../../lib/cli/main';
import { RUN_TAG } from '../../lib/contract/job-env';
import { GROUP, JOB_ID, STREAM, failedJob, logPage, runnableJob } from '../client/logs/fixtures';
import { aslOf } from '../support/asl';
import { mockedPipelineClient } from '../support/clients';
import { genomicsPipeline } from '../support/pipeline';

const batch = mockClient(BatchClient);
const logs = mockClient(CloudWatchLogsClient);
const sfn = mockClient(SFNClient);

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CommandIO = { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false };
  return { io: value, out, err };
}

/** Runs `batch-pipelines logs ...` through main, as the binary does (errors become exit codes and messages). */
async function run(args: string[]) {
  const t = io();
  const code = await main(['logs', ...args], t.io);
  return { code, ...t };
}

/** Runs the command itself on the mocked client. */
async function logsOn(args: string[]) {
  const t = io();
  const code = await logsCommand(args, t.io, mockedPipelineClient);
  return { code, ...t };
}

/** Each stream holds these lines; a read back past them finds the start (the token it was given). */
function streamHolds(lines: string[]) {
  logs
    .on(GetLogEventsCommand, { nextToken: undefined })
    .resolves(logPage(lines, 'b/0', 'f/0'))
    .on(GetLogEventsCommand, { nextToken: 'b/0' })
    .resolves(logPage([], 'b/0', 'f/0'));
}

beforeEach(() => {
  batch.reset();
  logs.reset();
  sfn.reset();
});

describe('arguments', () => {
  test('--help lists the three ways to name a log', async () => {
    const r = await logsOn(['--help']);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^Usage: batch-pipelines logs --job-id ID/);
    expect(r.out[0]).toContain('batch-pipelines logs --failed --queue Q --run-id ID');
  });

  test('main runs it: an unknown flag is exit 2 with the flags it takes', async () => {
    const r = await run(['--nope']);
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe(
      'batch-pipelines logs: unknown flag --nope. The flags of logs: --execution-arn, --queue, --run-id, --job-id, ' +
        '--step, --item, --failed, --lines, --follow, --interval, --region, --profile, --endpoint, --json, ' +
        '-h/--help. Fix: use one of them (batch-pipelines logs --help says what each takes)',
    );
  });

  test('a near miss names the flag meant', async () => {
    await expect(logsOn(['--job-id', JOB_ID, '--line', '5'])).rejects.toThrow(
      'unknown flag --line: did you mean --lines? The flags of logs:',
    );
  });

  test.each([
    [[], 'give --job-id ID, or --execution-arn ARN with --step (got neither). Fix: batch-pipelines logs --job-id <ID>'],
    [
      ['--job-id', 'a', '--execution-arn', 'arn:aws:states:us-east-1:123456789012:execution:P:r'],
      'give --job-id ID, or --execution-arn ARN with --step (got both).',
    ],
    [
      ['--execution-arn', 'arn:aws:states:us-east-1:123456789012:execution:P:r'],
      "--execution-arn names a workflow run; say which step's job: add --step <name>",
    ],
    [
      ['--job-id', 'a', '--step', 'align'],
      '--step and --item name a job of a workflow run: they go with --execution-arn',
    ],
    [
      ['--queue', 'Q', '--run-id', 'r'],
      '--queue and --run-id name a run of jobs, whose logs logs prints with --failed.',
    ],
    [['--failed'], '--failed needs one run: --execution-arn ARN, or --queue Q and --run-id ID (got neither).'],
    [
      ['--failed', '--queue', 'Q'],
      '--failed needs one run: --execution-arn ARN, or --queue Q and --run-id ID (got --queue without --run-id).',
    ],
    [['--failed', '--queue', 'Q', '--run-id', 'r', '--follow'], '--failed prints the failed jobs of a whole run;'],
    [['--job-id', 'a', '--interval', '2'], '--interval paces --follow. Fix: add --follow, or drop --interval'],
    [
      ['--job-id', 'a', '--lines', '0'],
      "--lines '0' is not allowed; allowed: a whole number from 1 to 10000 (the most CloudWatch Logs returns at " +
        'once). Fix: --lines 50',
    ],
    [['--job-id', 'a', '--lines', '20000'], "--lines '20000' is not allowed; allowed: a whole number from 1 to 10000"],
    [
      ['--failed', '--execution-arn', 'arn:aws:states:us-east-1:123456789012:stateMachine:P'],
      "--execution-arn arn:aws:states:us-east-1:123456789012:stateMachine:P is a state machine's ARN",
    ],
  ])('%j is refused with the fix', async (args, message) => {
    await expect(logsOn(args)).rejects.toThrow(message);
  });
});

describe('--job-id', () => {
  test('the last lines under a line naming the job, its status and where its log is', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [failedJob()] });
    streamHolds(['aligning', 'Error: reference not found']);
    const r = await logsOn(['--job-id', JOB_ID, '--lines', '5']);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      `job ${JOB_ID} (FAILED) · ${GROUP} ${STREAM}\n  | aligning\n  | Error: reference not found`,
    ]);
    expect(logs.commandCalls(GetLogEventsCommand)[0].args[0].input.limit).toBe(5);
  });

  test('--json: the tail as one record', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [runnableJob()] });
    const r = await logsOn(['--job-id', JOB_ID, '--json']);
    expect(JSON.parse(r.out[0])).toEqual({
      jobId: JOB_ID,
      status: 'RUNNABLE',
      logGroupName: GROUP,
      lines: [],
      missing: `job ${JOB_ID} has not started (RUNNABLE): it has no log yet`,
    });
  });

  test('a job that never started: said, exit 0', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [runnableJob()] });
    const r = await logsOn(['--job-id', JOB_ID]);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      `job ${JOB_ID} (RUNNABLE)\n  no log: job ${JOB_ID} has not started (RUNNABLE): it has no log yet`,
    ]);
  });

  test('a job Batch does not know is a usage error with the fix', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [] });
    await expect(logsOn(['--job-id', 'nope'])).rejects.toThrow(
      '--job-id nope: Batch does not know job nope (check the id and the region). Fix: pass a job id as submit or ' +
        'watch printed it, in the region it ran in (--region)',
    );
  });

  test('access denied names the grants that give logs what it reads', async () => {
    batch.on(DescribeJobsCommand).resolves({ jobs: [failedJob()] });
    // An AccessDeniedException as the SDK raises it (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html).
    logs.on(GetLogEventsCommand).rejects(
      Object.assign(
        new Error('User: arn:aws:iam::123456789012:user/ana is not authorized to perform: logs:GetLogEvents'),
        {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 400 },
        },
      ),
    );
    await expect(logsOn(['--job-id', JOB_ID])).rejects.toThrow(
      /access denied: .*logs:GetLogEvents\. Fix: .*JobQueue\.grantOperate \(submit, watch, rerun of jobs, cancel, logs of jobs\).*Workflow\.grantWatch \(watch --execution-arn, rerun --dry-run, logs of a workflow run\)/,
    );
  });

  test('--follow prints the lines as they come and exits 3 when the job fails', async () => {
    const running = { ...failedJob(), status: 'RUNNING' as const, statusReason: undefined };
    batch
      .on(DescribeJobsCommand)
      .resolvesOnce({ jobs: [running] })
      .resolves({ jobs: [failedJob()] });
    logs
      .on(GetLogEventsCommand, { startFromHead: false, nextToken: undefined })
      .resolves(logPage(['one'], 'b/0', 'f/0'))
      .on(GetLogEventsCommand, { startFromHead: false, nextToken: 'b/0' })
      .resolves(logPage([], 'b/0', 'f/0'))
      .on(GetLogEventsCommand, { startFromHead: true, nextToken: 'f/0' })
      .resolves(logPage(['two', 'Error: bad'], 'b/1', 'f/2'))
      .on(GetLogEventsCommand, { startFromHead: true, nextToken: 'f/2' })
      .resolves(logPage([], 'b/2', 'f/2'));
    const r = await logsOn(['--job-id', JOB_ID, '--follow', '--interval', '1']);
    expect(r.code).toBe(3);
    expect(r.out).toEqual([
      `following job ${JOB_ID} until it ends (Ctrl-C stops following, not the job)`,
      'one',
      'two\nError: bad',
      `job ${JOB_ID} FAILED: Essential container in task exited; exit code 1`,
    ]);
  });
});

describe('--failed', () => {
  test('of a run of jobs: each failed job headed by its step, reason and exit code, then its last lines', async () => {
    batch.on(ListJobsCommand).resolves({ jobSummaryList: [{ jobId: JOB_ID, jobName: 'run1-align-3' }] });
    batch.on(DescribeJobsCommand).resolves({ jobs: [{ ...failedJob(), tags: { [RUN_TAG]: 'run1' } }] });
    streamHolds(['Error: reference not found']);
    const r = await logsOn(['--failed', '--queue', 'Standard', '--run-id', 'run1', '--lines', '3']);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toBe(
      [
        '1 failed in run run1 on queue Standard; the last 3 line(s) of each log:',
        '',
        '== step run1-align-3: Essential container in task exited · exit code 1',
        `  job ${JOB_ID} (FAILED) · ${GROUP} ${STREAM}`,
        '    | Error: reference not found',
      ].join('\n'),
    );
  });

  test('--json: the run and each failed job with its log', async () => {
    batch.on(ListJobsCommand).resolves({ jobSummaryList: [{ jobId: JOB_ID, jobName: 'run1-align-3' }] });
    batch.on(DescribeJobsCommand).resolves({ jobs: [{ ...failedJob(), tags: { [RUN_TAG]: 'run1' } }] });
    streamHolds(['x']);
    const r = await logsOn(['--failed', '--queue', 'Standard', '--run-id', 'run1', '--json']);
    expect(JSON.parse(r.out[0])).toMatchObject({
      run: 'run run1 on queue Standard',
      failed: [{ step: 'run1-align-3', exitCode: 1, log: { jobId: JOB_ID, lines: ['x'] } }],
    });
  });
});

describe('--execution-arn --step --item', () => {
  test("the item's step's job, found by its name on the workflow's queues, under a line naming item and step", async () => {
    const run = 'arn:aws:states:us-east-1:123456789012:execution:Pipeline:week-49';
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: run,
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Pipeline',
      name: 'week-49',
      status: 'RUNNING',
      startDate: new Date(),
    });
    // The definition the reference pipeline synthesizes, as DescribeStateMachineForExecution returns it.
    const definition = JSON.stringify(aslOf(Template.fromStack(genomicsPipeline().stack)));
    sfn.on(DescribeStateMachineForExecutionCommand).resolves({ definition } as never);
    batch
      .on(ListJobsCommand)
      .resolves({ jobSummaryList: [] })
      .on(ListJobsCommand, { filters: [{ name: 'JOB_NAME', values: ['week-49-qc-7'] }] }, false)
      .resolves({ jobSummaryList: [{ jobId: JOB_ID, jobName: 'week-49-qc-7' }] });
    batch.on(DescribeJobsCommand).resolves({ jobs: [{ ...failedJob(), tags: { [RUN_TAG]: 'week-49' } }] });
    streamHolds(['qc 7: ok']);
    const r = await logsOn(['--execution-arn', run, '--step', 'qc', '--item', '7']);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([`item 7 · step qc · job ${JOB_ID} (FAILED) · ${GROUP} ${STREAM}\n  | qc 7: ok`]);
  });
});
