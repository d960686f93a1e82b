import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  BatchClient,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeExecutionCommand, DescribeStateMachineForExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { reportCommand } from '../../lib/cli/report-command';
import { RunReport } from '../../lib/client/report/types';
import { QUEUES, smallWeek } from '../client/report/jobs';
import { logPage } from '../client/logs/fixtures';
import { capturedIO, runMain } from '../support/cli';
import { mockedPipelineClient } from '../support/clients';

const batch = mockClient(BatchClient);
const sfn = mockClient(SFNClient);
const logs = mockClient(CloudWatchLogsClient);

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:Genomics:week-48';
const queueArn = (q: string) => `arn:aws:batch:us-east-1:123456789012:job-queue/${q}`;
const dir = mkdtempSync(join(tmpdir(), 'report-'));
const factory = () => mockedPipelineClient();

beforeEach(() => {
  batch.reset();
  sfn.reset();
  logs.reset();
  const jobs = smallWeek().map((p) => p.job);
  batch.on(ListJobsCommand).callsFake(async (input: { jobQueue: string }) => ({
    jobSummaryList: jobs
      .filter((j) => j.jobQueue === queueArn(input.jobQueue.split('/').pop()!))
      .map((j) => ({ jobId: j.jobId, jobName: j.jobName })),
  }));
  batch.on(DescribeJobsCommand).callsFake(async (input: { jobs: string[] }) => ({
    jobs: jobs.filter((j) => input.jobs.includes(j.jobId!)),
  }));
  // The fields read of a JobQueueDetail and a ComputeEnvironmentDetail
  // (https://docs.aws.amazon.com/batch/latest/APIReference/API_JobQueueDetail.html,
  // https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeEnvironmentDetail.html).
  batch.on(DescribeJobQueuesCommand).callsFake(async (input: { jobQueues: string[] }) => {
    const name = input.jobQueues[0].split('/').pop()!;
    return {
      jobQueues: [
        {
          jobQueueName: name,
          jobQueueArn: queueArn(name),
          state: 'ENABLED',
          priority: 1,
          computeEnvironmentOrder: [{ order: 1, computeEnvironment: `${name}-ce` }],
        },
      ],
    };
  });
  batch.on(DescribeComputeEnvironmentsCommand).callsFake(async (input: { computeEnvironments: string[] }) => {
    const name = input.computeEnvironments[0];
    const q = QUEUES[name.replace(/-ce$/, '') as keyof typeof QUEUES];
    return {
      computeEnvironments: [
        {
          computeEnvironmentName: name,
          computeEnvironmentArn: `arn:aws:batch:us-east-1:123456789012:compute-environment/${name}`,
          status: 'VALID',
          computeResources: { type: q.spot ? 'SPOT' : 'EC2', maxvCpus: 256, instanceTypes: q.types, subnets: [] },
        },
      ],
    };
  });
  // DescribeExecution and DescribeStateMachineForExecution as their API references give them
  // (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html,
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachineForExecution.html).
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn: ARN,
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Genomics',
    name: 'week-48',
    status: 'SUCCEEDED',
    startDate: new Date('2026-11-23T02:00:00Z'),
    stopDate: new Date('2026-11-23T04:41:00Z'),
    input: '{}',
    output: JSON.stringify({
      samplesOutcomes: [
        { index: 0, id: 'S0', status: 'SUCCEEDED', cached: { qc: { producedBy: 'run week-47 job q0' } } },
        { index: 1, id: 'S1', status: 'SUCCEEDED', cached: { qc: { producedBy: 'run week-47 job q1' } } },
        { index: 2, id: 'S2', status: 'FAILED', step: 'callVariants', error: 'callVariants.ApplicationError' },
      ],
    }),
  });
  sfn.on(DescribeStateMachineForExecutionCommand).resolves({
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Genomics',
    name: 'Genomics',
    roleArn: 'arn:aws:iam::123456789012:role/Genomics',
    updateDate: new Date('2026-11-20T00:00:00Z'),
    definition: JSON.stringify({
      States: {
        align: { Type: 'Task', Parameters: { JobQueue: queueArn('SpotQueue') } },
        'align: On-Demand': { Type: 'Task', Parameters: { JobQueue: queueArn('OnDemandQueue') } },
      },
    }),
  });
  logs
    .on(GetLogEventsCommand)
    .callsFake(async (input: { nextToken?: string }) =>
      input.nextToken
        ? logPage([], input.nextToken, 'f/1')
        : logPage(['reading S2.fq', '<script>alert(1)</script>', 'Error: bad input'], 'b/0', 'f/1'),
    );
});

describe('report of a workflow run', () => {
  test('writes the page and prints a line and its path (exit 0, though an item failed)', async () => {
    const { io, out } = capturedIO();
    const file = join(dir, 'week.html');
    const code = await reportCommand(['--execution-arn', ARN, '--out', file], io, factory);
    expect(code).toBe(0);
    expect(out).toEqual(['week-48 SUCCEEDED: 3 item(s), 11 attempt(s), 1 failed item step(s)', file]);
    const html = readFileSync(file, 'utf8');
    // The failure's last log lines, escaped; the steps served from the cache, from the outcomes.
    expect(html).toContain('reading S2.fq\n&lt;script&gt;alert(1)&lt;/script&gt;\nError: bad input');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<b>item 2 (S2)</b>, step <b>callVariants</b>');
    expect(html).toMatch(
      /<tr data-step="qc"><td>qc<\/td>\s*<td class="r"><span class="n" data-json="steps.3.items">2<\/span>/,
    );
  });

  test('--json prints the report (the data the page shows) and the path on stderr', async () => {
    const { io, out, err } = capturedIO();
    const file = join(dir, 'week-json.html');
    expect(await reportCommand(['--execution-arn', ARN, '--out', file, '--json'], io, factory)).toBe(0);
    const report = JSON.parse(out.join('')) as RunReport;
    expect(report.run).toMatchObject({ kind: 'execution', name: 'week-48', executionArn: ARN });
    expect(report.steps.map((s) => [s.step, s.items, s.cached])).toEqual([
      ['align', 3, 0],
      ['callVariants', 3, 0],
      ['aggregate', 1, 0],
      ['qc', 2, 2],
    ]);
    // The failed item's id comes from the run's outcomes.
    expect(report.failures[0]).toMatchObject({
      itemId: 'S2',
      jobId: 'c2',
      exitCode: 2,
      logLines: ['reading S2.fq', '<script>alert(1)</script>', 'Error: bad input'],
    });
    expect(report.rerun).toBe(`batch-pipelines rerun --execution-arn ${ARN}`);
    expect(err).toEqual([`wrote ${file}`]);
  });
});

test('report of a run of jobs: the queue and run id, and the rerun command for them', async () => {
  const { io, out } = capturedIO();
  const file = join(dir, 'jobs.html');
  expect(
    await reportCommand(['--queue', 'SpotQueue', '--run-id', 'week-48', '--out', file, '--json'], io, factory),
  ).toBe(0);
  const report = JSON.parse(out.join('')) as RunReport;
  expect(report.run).toMatchObject({ kind: 'jobs', name: 'week-48', queue: 'SpotQueue', status: 'FAILED' });
  expect(report.rerun).toBe('batch-pipelines rerun --queue SpotQueue --run-id week-48');
});

describe('what report refuses, each with the fix', () => {
  test.each([
    [
      ['--execution-arn', ARN, '--queue', 'q'],
      /--execution-arn reports a workflow run; --queue\/--run-id a run of jobs: give one of them. Fix: drop --queue and --run-id, or --execution-arn/,
    ],
    [
      [],
      /report needs --execution-arn, or --queue and --run-id\. Fix: batch-pipelines report --execution-arn <ARN start printed>/,
    ],
    [['--queue', 'q'], /report needs --run-id\. Fix:/],
    [
      ['--execution-arn', 'arn:aws:states:us-east-1:123456789012:stateMachine:Genomics'],
      /is a state machine's ARN; allowed: an execution's ARN .* Fix: pass the ARN batch-pipelines start printed/,
    ],
    [
      ['--execution-arn', ARN, '--out', '/no/such/dir/r.html'],
      /--out \/no\/such\/dir\/r\.html: its directory \/no\/such\/dir does not exist; allowed: a file in an existing directory\. Fix: mkdir -p \/no\/such\/dir, or --out \.\/report\.html/,
    ],
    [['--execution-arn', ARN, '--out', dir], /is a directory; allowed: a file path\. Fix: --out .*\/report\.html/],
    [
      ['--execution-ar', ARN],
      /unknown flag --execution-ar: did you mean --execution-arn\? .* Fix: write --execution-arn/,
    ],
  ])('%j', async (args, message) => {
    const got = await runMain(['report', ...args]);
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(message);
  });

  test('an execution of a state machine that names no queue', async () => {
    sfn
      .on(DescribeStateMachineForExecutionCommand)
      .resolves({ stateMachineArn: 'x', name: 'x', roleArn: 'r', definition: '{"States":{}}', updateDate: new Date() });
    const { io } = capturedIO();
    await expect(reportCommand(['--execution-arn', ARN, '--out', join(dir, 'x.html')], io, factory)).rejects.toThrow(
      /names no Batch job queue: report reads runs of a Workflow's state machine\. Fix: pass the ARN of an execution of a Workflow/,
    );
  });
});

test('access denied: the grants that give report what it reads', async () => {
  // An IAM refusal as the SDK raises it: AccessDeniedException, HTTP 403.
  batch.on(ListJobsCommand).rejects(
    Object.assign(
      new Error('User: arn:aws:sts::123456789012:assumed-role/ops/me is not authorized to perform: batch:ListJobs'),
      {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      },
    ),
  );
  const { io } = capturedIO();
  await expect(reportCommand(['--execution-arn', ARN, '--out', join(dir, 'denied.html')], io, factory)).rejects.toThrow(
    /access denied: .*batch:ListJobs\. Fix: .*Workflow\.grantWatch \(.*logs of a workflow run\); report needs what logs of the same run needs/,
  );
});

test('main lists report and its help', async () => {
  expect((await runMain(['--help'])).stdout).toContain('report     write one HTML page about a run');
  const help = await runMain(['report', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: batch-pipelines report --execution-arn ARN');
});
