import {
  BatchClient,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  ListCostAllocationTagsCommand,
  UpdateCostAllocationTagsStatusCommand,
} from '@aws-sdk/client-cost-explorer';
import { mockClient } from 'aws-sdk-client-mock';
import { PipelineClient } from '../../../lib';
import { periodsOf } from '../../../lib/client/spend/periods';
import { day, EMPTY, GROUP_DEFINITIONS, THREE_DAYS } from './fixtures';

const ce = mockClient(CostExplorerClient);
const batch = mockClient(BatchClient);
const H = 3_600_000;
const DEC_1 = Date.parse('2026-12-01T00:00:00Z');

function client(): PipelineClient {
  return new PipelineClient({
    batch: new BatchClient({ region: 'eu-west-1' }),
    costExplorer: new CostExplorerClient({ region: 'us-east-1' }),
    sleep: async () => undefined,
  });
}

/**
 * The genomics pipeline's Batch records: one queue tagged with it (DescribeJobQueues returns `tags`,
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_JobQueueDetail.html), another pipeline's queue, and
 * two finished align jobs of 4 vCPU / 30 GiB, 4 hours each, on r6i.xlarge Spot capacity.
 */
function batchRecords(): void {
  batch.on(DescribeJobQueuesCommand).resolves({
    jobQueues: [
      { jobQueueName: 'genomics-standard', jobQueueArn: 'arn:q1', tags: { 'batch-pipelines:pipeline': 'Genomics' } },
      { jobQueueName: 'other', jobQueueArn: 'arn:q2', tags: { 'batch-pipelines:pipeline': 'Thumbnails' } },
    ] as never,
  });
  batch.on(DescribeJobQueuesCommand, { jobQueues: ['genomics-standard'] }).resolves({
    jobQueues: [
      { jobQueueName: 'genomics-standard', computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }] },
    ] as never,
  });
  batch.on(DescribeComputeEnvironmentsCommand).resolves({
    computeEnvironments: [{ computeResources: { type: 'SPOT', instanceTypes: ['r6i.xlarge'], maxvCpus: 64 } }] as never,
  });
  batch.on(ListJobsCommand).resolves({ jobSummaryList: [] });
  batch.on(ListJobsCommand, { jobQueue: 'genomics-standard', jobStatus: 'SUCCEEDED' }).resolves({
    jobSummaryList: [
      { jobId: 'a1', jobName: 'r1-align-s1', startedAt: DEC_1, createdAt: DEC_1 },
      { jobId: 'a2', jobName: 'r1-align-s2', startedAt: DEC_1 + H, createdAt: DEC_1 },
      // Before the period: not counted.
      { jobId: 'old', jobName: 'r0-align-s1', startedAt: DEC_1 - 30 * 24 * H, createdAt: DEC_1 - 30 * 24 * H },
    ],
  });
  const job = (jobId: string, startedAt: number) => ({
    jobId,
    jobName: jobId,
    jobQueue: 'genomics-standard',
    status: 'SUCCEEDED',
    startedAt,
    stoppedAt: startedAt + 4 * H,
    attempts: [{ startedAt, stoppedAt: startedAt + 4 * H }],
    container: {
      resourceRequirements: [
        { type: 'VCPU', value: '4' },
        { type: 'MEMORY', value: '30720' },
      ],
    },
  });
  batch.on(DescribeJobsCommand).resolves({ jobs: [job('a1', DEC_1), job('a2', DEC_1 + H)] as never });
}

beforeEach(() => {
  ce.reset();
  batch.reset();
});

describe('PipelineClient.spend', () => {
  test('asks Cost Explorer for the pipeline tag, daily, grouped by service, and sums by day and service', async () => {
    ce.on(GetCostAndUsageCommand).resolves(THREE_DAYS);
    batchRecords();
    const report = await client().spend({ pipeline: 'Genomics', start: '2026-11-30', end: '2026-12-03' });

    const input = ce.commandCalls(GetCostAndUsageCommand)[0].args[0].input;
    expect(input).toEqual({
      TimePeriod: { Start: '2026-11-30', End: '2026-12-03' },
      Granularity: 'DAILY',
      Metrics: ['UnblendedCost'],
      Filter: { Tags: { Key: 'batch-pipelines:pipeline', Values: ['Genomics'], MatchOptions: ['EQUALS'] } },
      GroupBy: GROUP_DEFINITIONS,
    });
    expect(report.periods.map((p) => [p.start, Math.round(p.usd * 100) / 100, p.estimated])).toEqual([
      ['2026-11-30', 46.26, false],
      ['2026-12-01', 43.1, false],
      ['2026-12-02', 2.3, true],
    ]);
    expect(report.services.map((s) => s.service)).toEqual([
      'Amazon Elastic Compute Cloud - Compute',
      'EC2 - Other',
      'Amazon Simple Storage Service',
      'AmazonCloudWatch',
    ]);
    expect(report.usd).toBeCloseTo(46.2579 + 43.1 + 2.3, 3);
    expect(report.requests).toBe(1);
  });

  test('the runs: jobs of the queues tagged with the pipeline that started in the period, at list prices', async () => {
    ce.on(GetCostAndUsageCommand).resolves(THREE_DAYS);
    batchRecords();
    const report = await client().spend({ pipeline: 'Genomics', start: '2026-11-30', end: '2026-12-03' });
    expect(report.runs?.queues).toEqual(['genomics-standard']);
    expect(report.runs?.cost.jobs).toBe(2);
    expect(report.runs?.cost.jobHours).toBe(8);
    // r6i.xlarge holds one 30 GiB job: $0.252 an hour On-Demand, 65% off on Spot.
    expect(report.runs?.cost.onDemandUsd).toBeCloseTo(8 * 0.252, 6);
    expect(report.runs?.usd).toBeCloseTo(8 * 0.252 * 0.35, 6);
    // Only the tagged queue's jobs were listed.
    expect(batch.commandCalls(ListJobsCommand).map((c) => c.args[0].input.jobQueue)).toEqual([
      'genomics-standard',
      'genomics-standard',
    ]);
  });

  test('explains the differences: idle compute against the runs, NAT and volumes, storage, logs', async () => {
    ce.on(GetCostAndUsageCommand).resolves(THREE_DAYS);
    batchRecords();
    const report = await client().spend({ pipeline: 'Genomics', start: '2026-11-30', end: '2026-12-03' });
    const compute = report.differences.find((d) => d.what === 'compute');
    expect(compute?.usd).toBeCloseTo(41.2034518 + 38.99 - 8 * 0.252 * 0.35, 4);
    expect(compute?.explanation).toMatch(/capacity paid while no job ran on it/);
    expect(report.differences.find((d) => d.what === 'EC2 - Other')?.explanation).toMatch(/NAT gateway/);
    expect(report.differences.find((d) => d.what === 'AmazonCloudWatch')?.explanation).toMatch(/log ingestion/);
    expect(report.differences.find((d) => d.what === 'Amazon Simple Storage Service')?.explanation).toMatch(/storage/);
  });

  test('reads every page (NextPageToken), each a billed request', async () => {
    ce.on(GetCostAndUsageCommand)
      .resolvesOnce({ ...THREE_DAYS, ResultsByTime: THREE_DAYS.ResultsByTime!.slice(0, 2), NextPageToken: 'p2' })
      .resolvesOnce({ ...THREE_DAYS, ResultsByTime: THREE_DAYS.ResultsByTime!.slice(2) });
    const report = await client().spend({ pipeline: 'Genomics', start: '2026-11-30', end: '2026-12-03', runs: false });
    expect(ce.commandCalls(GetCostAndUsageCommand)[1].args[0].input.NextPageToken).toBe('p2');
    expect(report.requests).toBe(2);
    expect(report.periods).toHaveLength(3);
    expect(report.runs).toBeUndefined();
  });

  test.each<['Active' | 'Inactive' | undefined, RegExp]>([
    ['Inactive', /not activated as a cost allocation tag\. Fix: activate it in the Billing console/],
    ['Active', /The tag is active: nothing carrying this value was billed/],
    [undefined, /not yet among the account's cost allocation tags: it appears after a tagged resource has been billed/],
  ])('an empty bill says why, from the tag status (%s)', async (status, note) => {
    ce.on(GetCostAndUsageCommand).resolves(EMPTY);
    ce.on(ListCostAllocationTagsCommand).resolves({
      // https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_CostAllocationTag.html
      CostAllocationTags: status ? [{ TagKey: 'batch-pipelines:pipeline', Type: 'UserDefined', Status: status }] : [],
    });
    const report = await client().spend({ pipeline: 'Genomics', start: '2026-11-30', end: '2026-12-03', runs: false });
    expect(report.usd).toBe(0);
    expect(report.periods.map((p) => p.usd)).toEqual([0, 0, 0]);
    expect(report.notes.join('\n')).toMatch(note);
  });

  test('an empty bill whose tag status cannot be read still says what to do', async () => {
    // moto's documented default answer: days with no groups (moto ce get_cost_and_usage, "Groups": []).
    ce.on(GetCostAndUsageCommand).resolves({ ...EMPTY, ResultsByTime: [day('2026-11-30', '2026-12-01', {})] });
    ce.on(ListCostAllocationTagsCommand).rejects(
      Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }),
    );
    const report = await client().spend({ pipeline: 'Genomics', start: '2026-11-30', end: '2026-12-01', runs: false });
    expect(report.notes.join('\n')).toMatch(
      /status could not be read \(AccessDeniedException: not authorized\)\. A tag not activated .* returns nothing/,
    );
  });

  test('a period that is not a range of days is refused before any call', async () => {
    await expect(client().spend({ pipeline: 'G', start: '2026-12-03', end: '2026-12-01' })).rejects.toThrow(
      "the period 2026-12-03 to 2026-12-01 is not a range of days; allowed: start and end as YYYY-MM-DD, start before end (exclusive). Fix: e.g. { start: '2026-11-01', end: '2026-12-01' } for November",
    );
    expect(ce.commandCalls(GetCostAndUsageCommand)).toHaveLength(0);
  });

  test('activateCostTag: UpdateCostAllocationTagsStatus with the key, Active; per-tag errors returned', async () => {
    ce.on(UpdateCostAllocationTagsStatusCommand).resolves({
      // https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_UpdateCostAllocationTagsStatusError.html
      Errors: [{ TagKey: 'batch-pipelines:pipeline', Code: 'TagKeysNotFoundException', Message: 'not found' }],
    });
    expect(await client().activateCostTag()).toEqual(['batch-pipelines:pipeline: TagKeysNotFoundException not found']);
    expect(ce.commandCalls(UpdateCostAllocationTagsStatusCommand)[0].args[0].input).toEqual({
      CostAllocationTagsStatus: [{ TagKey: 'batch-pipelines:pipeline', Status: 'Active' }],
    });
  });
});

describe('weeks', () => {
  test('Monday to Sunday, summed from days; weeks cut by the range are partial', () => {
    const days = [
      { day: '2026-11-29', services: [{ service: 'S3', usd: 1 }], estimated: false }, // a Sunday
      { day: '2026-11-30', services: [{ service: 'S3', usd: 2 }], estimated: false }, // Monday
      { day: '2026-12-06', services: [{ service: 'S3', usd: 3 }], estimated: true }, // Sunday
      { day: '2026-12-07', services: [{ service: 'S3', usd: 4 }], estimated: false }, // Monday
    ];
    const weeks = periodsOf(days, '2026-11-29', '2026-12-08', 'week');
    expect(weeks.map((w) => [w.start, w.end, w.usd, w.partial, w.estimated])).toEqual([
      ['2026-11-29', '2026-11-30', 1, true, false],
      ['2026-11-30', '2026-12-07', 5, false, true],
      ['2026-12-07', '2026-12-08', 4, true, false],
    ]);
  });
});
