import { BatchClient, ListJobsCommand } from '@aws-sdk/client-batch';
import { DescribeStateMachineForExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  FilterLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { DOC_CONTAINER_EVENT, referenceEvents, referenceRun, taskEvent } from './fixtures';
import { foldEvent, taskRefOf, TaskPeak } from '../../../lib/client/rightsize/insights';
import { mockedPipelineClient } from '../../support/clients';
import { MIN, OOM_REASON, T0 } from '../report/jobs';

const batch = mockClient(BatchClient);
const logs = mockClient(CloudWatchLogsClient);
const sfn = mockClient(SFNClient);

beforeEach(() => {
  batch.reset();
  logs.reset();
  sfn.reset();
});

test('the reference run: 11 GiB and 1.6 vCPU peaks recommend 2 vCPU / 14 GiB, 2 jobs per r6i.xlarge; events read from the cluster group, Task events only', async () => {
  // GIVEN 6 align jobs whose tasks peaked at 11 GiB and 1,638 CPU units (1.6 vCPU), over two pages of events,
  // with a Container event and another task's event among them
  referenceRun(batch, 6);
  const events = Array.from({ length: 6 }, (_, i) => [
    { timestamp: T0 + 30 * MIN, message: taskEvent(`a${i}0`, 'batch', T0 + 30 * MIN, 9000, 1200) },
    { timestamp: T0 + 90 * MIN, message: taskEvent(`a${i}0`, 'batch', T0 + 90 * MIN, i === 5 ? 11264 : 10000, 1638) },
  ]).flat();
  const noise = [
    { timestamp: T0, message: JSON.stringify({ ...DOC_CONTAINER_EVENT, TaskId: 'a00', MemoryUtilized: 99999 }) },
    { timestamp: T0, message: taskEvent('not-this-run', 'batch', T0, 99999, 4096) },
  ];
  logs
    .on(FilterLogEventsCommand)
    .callsFake(async (input: FilterLogEventsCommandInput) =>
      input.nextToken ? { events: events.slice(6) } : { events: [...noise, ...events.slice(0, 6)], nextToken: 'p2' },
    );
  // WHEN
  const got = await mockedPipelineClient().rightsize({ jobQueue: 'standard', runId: 'week-48' }, { hoursPerItem: 4 });
  // THEN
  expect(got.logGroups).toEqual(['/aws/ecs/containerinsights/batch/performance']);
  const input = logs.commandCalls(FilterLogEventsCommand)[0].args[0].input;
  expect(input).toMatchObject({
    logGroupName: '/aws/ecs/containerinsights/batch/performance',
    filterPattern: '{ $.Type = "Task" }',
    startTime: T0 + 1 * MIN - MIN,
    endTime: T0 + 241 * MIN + MIN,
  });
  const [align] = got.advice.steps;
  expect(align).toMatchObject({
    step: 'align',
    jobs: 6,
    unmeasured: 0,
    memoryMiB: { max: 11264 },
    recommended: { vcpus: 2, memoryMiB: 14336, instanceType: 'r6i.xlarge', jobsPerInstance: 2 },
    change: "vcpus: 2, memory: Size.gibibytes(14) on Job 'align'",
  });
  expect(align.vcpus?.max).toBeCloseTo(1638 / 1024, 6);
  expect(align.savingMonthlyUsd).toBeGreaterThan(1000);
});

test('a cluster without Container Insights: the error names the log group and the prop that turns it on', async () => {
  referenceRun(batch, 6);
  logs
    .on(FilterLogEventsCommand)
    .rejects(
      Object.assign(new Error('The specified log group does not exist.'), { name: 'ResourceNotFoundException' }),
    );
  await expect(mockedPipelineClient().rightsize({ jobQueue: 'standard', runId: 'week-48' })).rejects.toThrow(
    'no job of run week-48 on queue standard has Container Insights measurements (read: ' +
      '/aws/ecs/containerinsights/batch/performance). Fix: set containerInsights: ecs.ContainerInsights.ENABLED on ' +
      'the Ec2Capacity of its queue, deploy, and run it again',
  );
});

test('an attempt killed for memory is flagged; a job with no events counts as unmeasured', async () => {
  const jobs = referenceRun(batch, 6);
  jobs[0].attempts![0].container!.reason = OOM_REASON;
  logs.on(FilterLogEventsCommand).resolves({
    events: jobs
      .slice(0, 5)
      .map((j) => ({ timestamp: T0, message: taskEvent(`${j.jobId}0`, 'batch', T0, 30720, 1024) })),
  });
  const got = await mockedPipelineClient().rightsize({ jobQueue: 'standard', runId: 'week-48' });
  expect(got.advice.steps[0]).toMatchObject({ jobs: 5, unmeasured: 1 });
  expect(got.advice.steps[0].warnings).toEqual([
    expect.stringMatching(/^align: measured peak 30 GiB is 100% of the 30 GiB requested: out-of-memory risk/),
    'align: 1 job(s) had an attempt stopped for running out of memory: their peak is the limit they hit, not what ' +
      'they needed',
  ]);
});

describe('task ARNs and events', () => {
  test('the long ARN gives cluster and task id; the old one (no cluster) gives nothing', () => {
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids
    expect(taskRefOf('arn:aws:ecs:us-west-2:637146863587:task/MyCluster/7ac4dfba69214411b4783a3b8189c9ba')).toEqual({
      cluster: 'MyCluster',
      taskId: '7ac4dfba69214411b4783a3b8189c9ba',
    });
    expect(taskRefOf('arn:aws:ecs:us-west-2:637146863587:task/7ac4dfba69214411b4783a3b8189c9ba')).toBeUndefined();
    expect(taskRefOf(undefined)).toBeUndefined();
  });

  test('only Task events of wanted tasks count; CPU units become vCPUs; a line that is not JSON is skipped', () => {
    const peaks = new Map<string, TaskPeak>();
    const wanted = new Set(['t1']);
    foldEvent(taskEvent('t1', 'c', 0, 100, 2048), wanted, peaks);
    foldEvent(taskEvent('t1', 'c', 1, 50, 4096), wanted, peaks);
    foldEvent(JSON.stringify({ ...DOC_CONTAINER_EVENT, TaskId: 't1', MemoryUtilized: 900 }), wanted, peaks);
    foldEvent('not json', wanted, peaks);
    foldEvent(taskEvent('t2', 'c', 0, 900, 9000), wanted, peaks);
    expect(peaks).toEqual(new Map([['t1', { memoryMiB: 100, vcpus: 4, samples: 2 }]]));
  });
});

test("an execution: its jobs on the queues its definition names, steps from the workflow's job names", async () => {
  // GIVEN execution week-48 of a state machine whose align step submits `<execution>-align-<index>` to queue standard
  // (the definition's shape: lib/workflow/states/step-states.ts)
  const jobs = referenceRun(batch, 6, (i) => `week-48-align-${i}`);
  sfn.on(DescribeStateMachineForExecutionCommand).resolves({
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Genomics',
    name: 'Genomics',
    roleArn: 'arn:aws:iam::123456789012:role/sfn',
    updateDate: new Date(T0),
    definition: JSON.stringify({
      States: {
        Align: {
          Parameters: {
            JobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/standard',
            'JobName.$': "States.Format('{}-align-{}', $$.Execution.Name, $.index)",
          },
        },
      },
    }),
  });
  logs.on(FilterLogEventsCommand).resolves({ events: referenceEvents(jobs, 11 * 1024, 1638) });
  const got = await mockedPipelineClient().rightsize({
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Genomics:week-48',
  });
  expect(got.target).toBe('execution week-48');
  expect(got.advice.steps.map((s) => [s.step, s.jobs])).toEqual([['align', 6]]);
  // Listed in the slices the definition's name format gives (report's nameFilters)
  const filters = batch.commandCalls(ListJobsCommand).map((c) => c.args[0].input.filters?.[0]?.values?.[0]);
  expect(filters).toContain('week-48-align-0*');
});

test('--since: every job created on the queue since then, by job definition', async () => {
  const jobs = referenceRun(batch, 6);
  logs.on(FilterLogEventsCommand).resolves({ events: referenceEvents(jobs, 11 * 1024, 1638) });
  const got = await mockedPipelineClient().rightsize({ jobQueue: 'standard', since: T0 - 7 * 24 * 60 * MIN });
  expect(batch.commandCalls(ListJobsCommand)[0].args[0].input.filters).toEqual([
    { name: 'AFTER_CREATED_AT', values: [String(T0 - 7 * 24 * 60 * MIN)] },
  ]);
  expect(got.advice.steps.map((s) => [s.step, s.jobs])).toEqual([['Genomics_Align', 6]]);
  expect(got.advice.steps[0].change).toBe(
    "vcpus: 2, memory: Size.gibibytes(14) on the Job of job definition 'Genomics_Align'",
  );
});
