import { BatchClient, DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeExecutionCommand, DescribeStateMachineForExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { GROUP, STREAM, failedJob, logPage, runnableJob } from './fixtures';
import { RUN_TAG } from '../../../lib/contract/job-env';
import { aslOf } from '../../support/asl';
import { mockedPipelineClient } from '../../support/clients';
import { failingJob, genomicsPipeline, runLocally, threeSamples } from '../../support/pipeline';
import { describeExecutionSucceeded } from '../../support/sfn-shapes';

const batch = mockClient(BatchClient);
const logs = mockClient(CloudWatchLogsClient);
const sfn = mockClient(SFNClient);

const RUN = 'arn:aws:states:us-east-1:123456789012:execution:Pipeline:run-1';

beforeEach(() => {
  batch.reset();
  logs.reset();
  sfn.reset();
});

/**
 * The reference pipeline run locally with s2's callVariants failing (up to half the items may fail, so the run
 * succeeds with the outcomes in its output): its real output, and its definition.
 */
async function runWithAFailure() {
  const p = genomicsPipeline({ maxFailedPercentage: 50 });
  const run = await runLocally(p.stack, threeSamples, failingJob('callVariants', 's2'), 'run-1');
  const definition = JSON.stringify(aslOf(Template.fromStack(p.stack)));
  return { run, definition };
}

/** Batch knows every job asked for as a failed job of this library, each with its own stream. */
function batchKnowsJobs() {
  batch.on(DescribeJobsCommand).callsFake((input: { jobs: string[] }) => ({
    jobs: input.jobs.map((jobId) => failedJob({ jobId, jobName: `job-${jobId}` })),
  }));
  logs
    .on(GetLogEventsCommand)
    .callsFake((input: { logStreamName: string; nextToken?: string }) =>
      input.nextToken
        ? logPage([], input.nextToken, 'f/1')
        : logPage(['line a', 'line b', 'Error: bad input'], 'b/0', 'f/1'),
    );
}

describe('failedJobLogs of a workflow run', () => {
  test("each failed item with its step, reason, exit code and its failed step's job's last lines", async () => {
    const { run } = await runWithAFailure();
    expect(run.error).toBeUndefined();
    sfn
      .on(DescribeExecutionCommand)
      .resolves(describeExecutionSucceeded({ executionArn: RUN, input: threeSamples, output: run.output }));
    batchKnowsJobs();
    const got = await mockedPipelineClient().failedJobLogs({ executionArn: RUN }, 2);
    expect(got.run).toMatch(/^workflow run run-1 \(/);
    expect(got.failed).toHaveLength(1);
    const [f] = got.failed;
    expect(f).toMatchObject({ item: 's2 (#1)', step: 'callVariants', exitCode: 2 });
    expect(f.reason).toMatch(/^callVariants\.ApplicationError: /);
    expect(f.log).toMatchObject({ logGroupName: GROUP, logStreamName: STREAM, lines: ['line b', 'Error: bad input'] });
    // The job the outcome names is the one read.
    const asked = batch.commandCalls(DescribeJobsCommand).map((c) => c.args[0].input.jobs);
    expect(asked).toEqual([[f.log!.jobId]]);
  });

  test('a log the caller may not read is said for that item; it does not stop the listing', async () => {
    const { run } = await runWithAFailure();
    sfn
      .on(DescribeExecutionCommand)
      .resolves(describeExecutionSucceeded({ executionArn: RUN, input: threeSamples, output: run.output }));
    batchKnowsJobs();
    // CloudWatch Logs' refusal of a group the policy does not name (an AccessDeniedException, as the SDK raises it:
    // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html).
    const denied = Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/ops/x is not authorized'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    logs.on(GetLogEventsCommand).rejects(denied);
    const got = await mockedPipelineClient().failedJobLogs({ executionArn: RUN }, 2);
    expect(got.failed).toHaveLength(1);
    expect(got.failed[0].log).toMatchObject({ lines: [] });
    expect(got.failed[0].log!.missing).toMatch(/^could not read it: AccessDeniedException: User: .* is not authorized/);
  });
});

describe('failedJobLogs of a run of jobs', () => {
  test('each failed job, one that never ran saying it has no log', async () => {
    const jobs = { ok: 'j-ok', bad: 'j-bad', never: 'j-never' };
    batch.on(ListJobsCommand).resolves({
      jobSummaryList: Object.values(jobs).map((jobId) => ({ jobId, jobName: `run1-align-${jobId}`, status: 'FAILED' })),
    });
    const described = {
      [jobs.ok]: { ...failedJob({ jobId: jobs.ok, jobName: 'run1-align-0' }), status: 'SUCCEEDED' as const },
      [jobs.bad]: failedJob({ jobId: jobs.bad, jobName: 'run1-align-1' }),
      [jobs.never]: {
        ...runnableJob(),
        jobId: jobs.never,
        jobName: 'run1-align-2',
        status: 'FAILED' as const,
        statusReason: 'Job cancelled: run cancelled',
      },
    };
    batch.on(DescribeJobsCommand).callsFake((input: { jobs: string[] }) => ({
      jobs: input.jobs.map((id) => ({ ...described[id], tags: { [RUN_TAG]: 'run1' } })),
    }));
    logs
      .on(GetLogEventsCommand, { nextToken: undefined })
      .resolves(logPage(['boom'], 'b/0', 'f/0'))
      .on(GetLogEventsCommand, { nextToken: 'b/0' })
      .resolves(logPage([], 'b/0', 'f/0'));
    const got = await mockedPipelineClient().failedJobLogs({ jobQueue: 'Standard', runId: 'run1' }, 20);
    expect(got.run).toBe('run run1 on queue Standard');
    expect(got.failed).toEqual([
      {
        step: 'run1-align-1',
        reason: 'Essential container in task exited',
        exitCode: 1,
        log: { jobId: jobs.bad, status: 'FAILED', logGroupName: GROUP, logStreamName: STREAM, lines: ['boom'] },
      },
      {
        step: 'run1-align-2',
        reason: 'Job cancelled: run cancelled',
        log: {
          jobId: jobs.never,
          status: 'FAILED',
          logGroupName: GROUP,
          lines: [],
          missing: 'job j-never failed before its container ran (Job cancelled: run cancelled): it wrote no log',
        },
      },
    ]);
  });

  test('a run without jobs is an input error naming the run and queue', async () => {
    batch.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    await expect(mockedPipelineClient().failedJobLogs({ jobQueue: 'Standard', runId: 'nope' }, 20)).rejects.toThrow(
      'no jobs of run nope on queue Standard (named nope-* and tagged with the run): check --run-id and --queue',
    );
  });
});

describe('itemStepJob', () => {
  test("finds the newest job named <run>-<step>-<index> on the workflow's queues, for a running run", async () => {
    const { definition } = await runWithAFailure();
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: RUN,
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Pipeline',
      name: 'run-1',
      status: 'RUNNING',
      startDate: new Date(),
    });
    sfn.on(DescribeStateMachineForExecutionCommand).resolves({ definition } as never);
    batch
      .on(ListJobsCommand, { jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/StandardD5F7C7B5' })
      .resolves({ jobSummaryList: [{ jobId: 'spot-try', jobName: 'run-1-align-2' }] })
      .on(ListJobsCommand, { jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/Urgent188723CE' })
      .resolves({ jobSummaryList: [{ jobId: 'on-demand', jobName: 'run-1-align-2' }] });
    batch.on(DescribeJobsCommand).resolves({
      jobs: [
        failedJob({ jobId: 'spot-try', createdAt: 1, tags: { [RUN_TAG]: 'run-1' } }),
        failedJob({ jobId: 'on-demand', createdAt: 2, tags: { [RUN_TAG]: 'run-1' } }),
      ],
    });
    const job = await mockedPipelineClient().itemStepJob(RUN, 'align', '2');
    expect(job).toEqual({ jobId: 'on-demand', jobName: 'run-1-align-2' });
    expect(batch.commandCalls(ListJobsCommand).map((c) => c.args[0].input.filters)).toEqual([
      [{ name: 'JOB_NAME', values: ['run-1-align-2'] }],
      [{ name: 'JOB_NAME', values: ['run-1-align-2'] }],
    ]);
  });

  test('a failed item by its id: the job its outcome names', async () => {
    const { run, definition } = await runWithAFailure();
    sfn
      .on(DescribeExecutionCommand)
      .resolves(describeExecutionSucceeded({ executionArn: RUN, input: threeSamples, output: run.output }));
    sfn.on(DescribeStateMachineForExecutionCommand).resolves({ definition } as never);
    batchKnowsJobs();
    const job = await mockedPipelineClient().itemStepJob(RUN, 'callVariants', 's2');
    expect(batch.commandCalls(ListJobsCommand)).toHaveLength(0);
    const outcomes = (run.output as { samplesOutcomes: Array<{ id: string; jobId?: string }> }).samplesOutcomes;
    const s2 = outcomes.find((o) => o.id === 's2');
    expect(s2?.jobId).toBeTruthy();
    expect(job).toEqual({ jobId: s2!.jobId, jobName: `job-${s2!.jobId}` });
  });

  test('a step the workflow does not have: its steps and the one probably meant', async () => {
    const { definition } = await runWithAFailure();
    sfn.on(DescribeExecutionCommand).resolves({ name: 'run-1', status: 'RUNNING', stateMachineArn: 'arn:sm' } as never);
    sfn.on(DescribeStateMachineForExecutionCommand).resolves({ definition } as never);
    await expect(mockedPipelineClient().itemStepJob(RUN, 'allign', '0')).rejects.toThrow(
      '--step allign: the workflow has no such step; did you mean align? Its steps: align, callVariants, qc, ' +
        'aggregate. Fix: --step align',
    );
  });

  test('a step of a fan-out without --item; an id that is no failed item and no index', async () => {
    const { definition } = await runWithAFailure();
    sfn.on(DescribeExecutionCommand).resolves({ name: 'run-1', status: 'RUNNING', stateMachineArn: 'arn:sm' } as never);
    sfn.on(DescribeStateMachineForExecutionCommand).resolves({ definition } as never);
    await expect(mockedPipelineClient().itemStepJob(RUN, 'qc')).rejects.toThrow(
      '--step qc runs once per item: say which item. Fix: add --item <id or index in the manifest>, e.g. --item 0',
    );
    await expect(mockedPipelineClient().itemStepJob(RUN, 'qc', 'sample-x')).rejects.toThrow(
      "--item sample-x: no failed item of run-1 has that id, and it is not an index. Fix: pass the item's index",
    );
  });

  test('a step outside the fan-out is named <run>-<step>; none yet says why and what to run', async () => {
    const { definition } = await runWithAFailure();
    sfn.on(DescribeExecutionCommand).resolves({ name: 'run-1', status: 'RUNNING', stateMachineArn: 'arn:sm' } as never);
    sfn.on(DescribeStateMachineForExecutionCommand).resolves({ definition } as never);
    batch.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    await expect(mockedPipelineClient().itemStepJob(RUN, 'aggregate')).rejects.toThrow(
      "no job named run-1-aggregate on the workflow's queues: step aggregate has not run in run-1 (RUNNING): it is " +
        'still to come, it was served from the step cache, or an earlier step failed. Fix: batch-pipelines watch ' +
        `--execution-arn ${RUN} says where the run is`,
    );
  });
});
