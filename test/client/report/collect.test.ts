import {
  BatchClient,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  JobDetail,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { DescribeExecutionCommand, DescribeStateMachineForExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { jobDetail, T0 } from './jobs';
import { nameFilters } from '../../../lib/client/report/collect';
import { mockedPipelineClient } from '../../support/clients';

const batch = mockClient(BatchClient);
const sfn = mockClient(SFNClient);

/**
 * 250 jobs of run week-48 and one of run week-48-b on a queue, listed 100 a page as ListJobs pages a filtered list
 * (https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html: `jobSummaryList`, `nextToken`), and an
 * array job of 3 children (listed by `arrayJobId`, one status a call).
 */
function queueOf(jobs: JobDetail[], children: JobDetail[]) {
  const all = [...jobs, ...children];
  batch
    .on(ListJobsCommand)
    .callsFake(async (input: { arrayJobId?: string; jobStatus?: string; nextToken?: string }) => {
      if (input.arrayJobId) {
        return {
          jobSummaryList: children
            .filter((c) => c.status === input.jobStatus)
            .map((c) => ({ jobId: c.jobId, jobName: c.jobName })),
        };
      }
      const from = Number(input.nextToken ?? 0);
      return {
        jobSummaryList: jobs.slice(from, from + 100).map((j) => ({ jobId: j.jobId, jobName: j.jobName })),
        nextToken: from + 100 < jobs.length ? String(from + 100) : undefined,
      };
    });
  batch.on(DescribeJobsCommand).callsFake(async (input: { jobs: string[] }) => {
    if (input.jobs.length > 100) {
      throw new Error('DescribeJobs takes up to 100 ids');
    }
    return { jobs: all.filter((j) => input.jobs.includes(j.jobId!)) };
  });
  batch.on(DescribeJobQueuesCommand).resolves({ jobQueues: [] });
  batch.on(DescribeComputeEnvironmentsCommand).resolves({ computeEnvironments: [] });
}

beforeEach(() => {
  batch.reset();
  sfn.reset();
});

test("a run of jobs: every page, 100 ids a DescribeJobs call, the run's tag only, array children by their item", async () => {
  // GIVEN
  const jobs = Array.from({ length: 250 }, (_, i) =>
    jobDetail({
      id: `j${i}`,
      name: `week-48-align-S${i}`,
      queue: 'SpotQueue',
      created: i,
      tries: [{ start: i + 1, stop: i + 5, exitCode: 0 }],
    }),
  );
  const other = {
    ...jobDetail({ id: 'x', name: 'week-48-b-align-S0', queue: 'SpotQueue', created: 0, tries: [] }),
    tags: { 'batch-pipelines:run': 'week-48-b' },
  };
  const parent: JobDetail = {
    ...jobDetail({ id: 'arr', name: 'week-48-qc-0', queue: 'SpotQueue', created: 0, tries: [] }),
    status: 'SUCCEEDED',
    arrayProperties: { size: 3 },
    container: { environment: [{ name: 'BATCH_PIPELINES_OFFSET', value: '10000' }] },
  };
  const children = [0, 1, 2].map((n) => ({
    ...jobDetail({
      id: `arr:${n}`,
      name: 'week-48-qc-0',
      queue: 'SpotQueue',
      created: 0,
      tries: [{ start: 1, stop: 2, exitCode: 0 }],
    }),
    arrayProperties: { index: n },
    container: { ...parent.container, environment: [{ name: 'BATCH_PIPELINES_OFFSET', value: '10000' }] },
  }));
  queueOf([...jobs, other, parent], children);
  // WHEN
  const report = await mockedPipelineClient().jobsReport('SpotQueue', 'week-48', {
    tailLog: async () => ({ jobId: '', lines: [] }),
  });
  // THEN
  expect(report.jobs).toBe(253);
  expect(report.steps.map((s) => [s.step, s.items])).toEqual([
    ['align', 250],
    ['qc', 3],
  ]);
  expect(report.itemSteps.filter((s) => s.step === 'qc').map((s) => s.item)).toEqual(['10000', '10001', '10002']);
  expect(report.notes).toEqual([]);
});

test('a queue whose compute environments cannot be read is a note, its jobs unpriced', async () => {
  queueOf(
    [
      jobDetail({
        id: 'j',
        name: 'week-48-align-S0',
        queue: 'SpotQueue',
        created: 0,
        tries: [{ start: 1, stop: 61, exitCode: 0 }],
      }),
    ],
    [],
  );
  batch.on(DescribeJobQueuesCommand).rejects(
    Object.assign(new Error('User is not authorized to perform: batch:DescribeJobQueues'), {
      name: 'AccessDeniedException',
    }),
  );
  const report = await mockedPipelineClient().jobsReport('SpotQueue', 'week-48');
  expect(report.notes).toEqual([
    'queue SpotQueue was not read (User is not authorized to perform: batch:DescribeJobQueues): its jobs are not priced',
  ]);
  expect(report.cost).toMatchObject({ jobHours: 1, onDemandUsd: 0, unpricedJobHours: 1 });
});

test('no job of the run on the queue: the run id and queue to check', async () => {
  queueOf([], []);
  await expect(mockedPipelineClient().jobsReport('SpotQueue', 'week-49')).rejects.toThrow(
    'no jobs named week-49-* and tagged batch-pipelines:run=week-49 on queue SpotQueue. Fix: check --run-id (the id submit printed) and --queue (the queue it submitted to)',
  );
});

describe("an execution's jobs are listed in slices named from its definition", () => {
  // Submit states' JobName.$ as the example's synthesized definition writes them (cdk synth of bin/app.ts).
  const definition = JSON.stringify({
    States: {
      align: { Parameters: { 'JobName.$': "States.Format('{}-align-{}', $.run, $.index)" } },
      aggregate: { Parameters: { 'JobName.$': "States.Format('{}-aggregate', $$.Execution.Name)" } },
    },
  });

  test('ten index slices a fan-out step, the exact name of a step of the run', () => {
    expect(nameFilters(definition, 'week-48')).toEqual([
      ...Array.from({ length: 10 }, (_, d) => `week-48-align-${d}*`),
      'week-48-aggregate',
    ]);
  });

  test('a definition without those formats: every job of the run by its prefix', () => {
    expect(nameFilters('{"States":{}}', 'week-48')).toEqual(['week-48-*']);
  });

  test('each slice is listed and every job read once', async () => {
    const jobs = Array.from({ length: 25 }, (_, i) =>
      jobDetail({
        id: `j${i}`,
        name: `week-48-align-${i}`,
        queue: 'SpotQueue',
        created: i,
        tries: [{ start: i + 1, stop: i + 5, exitCode: 0 }],
      }),
    );
    const asked: string[] = [];
    queueOf(jobs, []);
    batch.on(ListJobsCommand).callsFake(async (input: { filters: Array<{ values: string[] }> }) => {
      const filter = input.filters[0].values[0];
      asked.push(filter);
      const prefix = filter.replace(/\*$/, '');
      return {
        jobSummaryList: jobs
          .filter((j) => (filter.endsWith('*') ? j.jobName!.startsWith(prefix) : j.jobName === prefix))
          .map((j) => ({ jobId: j.jobId, jobName: j.jobName })),
      };
    });
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: 'arn:e', name: 'week-48', status: 'RUNNING', startDate: new Date(T0) });
    sfn.on(DescribeStateMachineForExecutionCommand).resolves({
      stateMachineArn: 'arn:sm',
      name: 'G',
      roleArn: 'arn:role',
      updateDate: new Date(T0),
      definition: definition.replace(
        '"align":{',
        `"align":{"JobQueue":"arn:aws:batch:us-east-1:123456789012:job-queue/SpotQueue",`,
      ),
    });
    const report = await mockedPipelineClient().executionReport('arn:e');
    expect(asked.sort()).toEqual(nameFilters(definition, 'week-48').sort());
    expect(report.itemSteps.map((s) => s.item)).toEqual(jobs.map((_, i) => String(i)));
    expect(report.jobs).toBe(25);
  });
});
