import {
  BatchClient,
  CancelJobCommand,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  SubmitJobCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { ClientInputError, ITEM_ENV, PipelineClient } from '../../lib';
import { RUN_TAG } from '../../lib/contract/job-env';
import { countStatuses } from '../../lib/client/job-status';

const batchMock = mockClient(BatchClient);
const sfnMock = mockClient(SFNClient);

/** A client on a fake clock: sleeping advances time instantly and is recorded. */
function client() {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  const c = new PipelineClient({
    batch: new BatchClient({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  });
  return { c, sleeps, advance: (ms: number) => (clock += ms), now: () => clock };
}

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ sampleId: `S${i}` }));
const stages = [
  { name: 'align', jobDefinition: 'align', jobQueue: 'standard' },
  { name: 'call', jobDefinition: 'call', jobQueue: 'standard' },
];

beforeEach(() => {
  batchMock.reset();
  sfnMock.reset();
  batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
  let n = 0;
  batchMock.on(SubmitJobCommand).callsFake(async (input) => ({ jobId: `id-${++n}`, jobName: input.jobName }));
});

describe('submit', () => {
  test('array jobs: one per stage, children find items through the manifest, stages chained N_TO_N', async () => {
    const { c } = client();
    const jobs = await c.submit({
      runId: 'run1',
      items: items(500),
      stages,
      manifestUri: 's3://in/manifests/run1.json',
    });
    const calls = batchMock.commandCalls(SubmitJobCommand).map((x) => x.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({
      jobName: 'run1-align-0',
      jobQueue: 'standard',
      jobDefinition: 'align',
      arrayProperties: { size: 500 },
      containerOverrides: {
        environment: [
          { name: ITEM_ENV.manifest, value: 's3://in/manifests/run1.json' },
          { name: ITEM_ENV.offset, value: '0' },
        ],
      },
    });
    expect(calls[0].dependsOn).toBeUndefined();
    expect(calls[1]).toMatchObject({ jobName: 'run1-call-0', dependsOn: [{ jobId: 'id-1', type: 'N_TO_N' }] });
    expect(jobs.map((j) => [j.jobName, j.arraySize, j.submitted])).toEqual([
      ['run1-align-0', 500, true],
      ['run1-call-0', 500, true],
    ]);
  });

  test('10,001 items make 2 jobs per stage: an array of 10,000 and the last item at offset 10,000', async () => {
    const { c } = client();
    await c.submit({ runId: 'big', items: items(10_001), stages: [stages[0]], manifestUri: 's3://in/m.json' });
    const calls = batchMock.commandCalls(SubmitJobCommand).map((x) => x.args[0].input);
    expect(calls.map((x) => x.arrayProperties?.size)).toEqual([10_000, undefined]);
    expect(calls[1].containerOverrides!.environment).toContainEqual({ name: ITEM_ENV.offset, value: '10000' });
  });

  test('one job per item passes the item as parameters and names the job after it', async () => {
    const { c } = client();
    await c.submit({ runId: 'r', items: [{ sampleId: 'NA12878', inputUri: 's3://in/NA12878.fq' }], stages });
    const calls = batchMock.commandCalls(SubmitJobCommand).map((x) => x.args[0].input);
    expect(calls[0]).toMatchObject({
      jobName: 'r-align-NA12878',
      parameters: { sampleId: 'NA12878', inputUri: 's3://in/NA12878.fq' },
    });
    expect(calls[1]).toMatchObject({ jobName: 'r-call-NA12878', dependsOn: [{ jobId: 'id-1' }] });
  });

  test('a retried submit reuses the jobs that already exist and submits only the rest', async () => {
    batchMock.on(ListJobsCommand, { filters: [{ name: 'JOB_NAME', values: ['run1-align-0'] }] }).resolves({
      jobSummaryList: [{ jobId: 'existing-1', jobName: 'run1-align-0', status: 'RUNNING', createdAt: 1 }],
    });
    const { c } = client();
    const jobs = await c.submit({ runId: 'run1', items: items(10), stages, manifestUri: 's3://in/m.json' });
    expect(jobs.map((j) => [j.jobName, j.jobId, j.submitted])).toEqual([
      ['run1-align-0', 'existing-1', false],
      ['run1-call-0', 'id-1', true],
    ]);
    expect(batchMock.commandCalls(SubmitJobCommand)).toHaveLength(1);
    expect(batchMock.commandCalls(SubmitJobCommand)[0].args[0].input.dependsOn).toEqual([
      { jobId: 'existing-1', type: 'N_TO_N' },
    ]);
  });

  test('throttling backs off exponentially and the job is submitted once', async () => {
    const throttle = Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException' });
    batchMock.on(SubmitJobCommand).rejectsOnce(throttle).rejectsOnce(throttle).resolves({ jobId: 'ok', jobName: 'x' });
    const { c, sleeps } = client();
    const jobs = await c.submit({ runId: 'r', items: [{ sampleId: 'A' }], stages: [stages[0]] });
    expect(jobs[0].jobId).toBe('ok');
    expect(batchMock.commandCalls(SubmitJobCommand)).toHaveLength(3);
    // Backoff windows of 200 ms then 400 ms, each with jitter in its upper half.
    expect(sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(sleeps[0]).toBeLessThan(200);
    expect(sleeps[1]).toBeGreaterThanOrEqual(200);
    expect(sleeps[1]).toBeLessThan(400);
  });

  test('submits at most 50 per second', async () => {
    const { c, now } = client();
    const start = now();
    await c.submit({ runId: 'r', items: items(101), stages: [stages[0]] });
    // 101 submits at one per 20 ms: the last starts 100 × 20 ms = 2 s after the first.
    expect(now() - start).toBeGreaterThanOrEqual(2000);
  });

  test('bad requests fail before any call', async () => {
    const { c } = client();
    await expect(c.submit({ runId: 'r', items: items(3), stages, arrayJobs: true })).rejects.toThrow(
      'array jobs need manifestUri: where the children read their items (an S3 URI)',
    );
    await expect(c.submit({ runId: 'bad run', items: items(1), stages })).rejects.toThrow(ClientInputError);
    await expect(c.submit({ runId: 'r', items: [{ sampleId: 'a.b' }], stages })).rejects.toThrow(
      "item 0: sampleId 'a.b' is not allowed",
    );
    await expect(c.submit({ runId: 'r', items: [{ sampleId: 'a' }, { sampleId: 'a' }], stages })).rejects.toThrow(
      "item 1: sampleId 'a' appears twice",
    );
    expect(batchMock.commandCalls(SubmitJobCommand)).toHaveLength(0);
  });
});

describe('watching', () => {
  test('counts array children from the status summary, and plain jobs by status', () => {
    const counts = countStatuses([
      {
        jobId: 'a',
        jobName: 'a',
        jobQueue: 'q',
        jobDefinition: 'd',
        startedAt: 1,
        status: 'PENDING',
        arrayProperties: { size: 500, statusSummary: { RUNNING: 50, SUCCEEDED: 400, FAILED: 2, RUNNABLE: 40 } },
      },
      { jobId: 'b', jobName: 'b', jobQueue: 'q', jobDefinition: 'd', startedAt: 1, status: 'SUCCEEDED' },
    ]);
    // 500 - 492 children not created yet count as PENDING, with their parent.
    expect(counts).toEqual({
      SUBMITTED: 0,
      PENDING: 8,
      RUNNABLE: 40,
      STARTING: 0,
      RUNNING: 50,
      SUCCEEDED: 401,
      FAILED: 2,
    });
  });

  test('describes 100 ids per call', async () => {
    batchMock.on(DescribeJobsCommand).callsFake(async (input) => ({
      jobs: input.jobs.map((id: string) => ({
        jobId: id,
        jobName: id,
        jobQueue: 'q',
        jobDefinition: 'd',
        startedAt: 1,
        status: 'SUCCEEDED',
      })),
    }));
    const { c } = client();
    const counts = await c.progress(Array.from({ length: 250 }, (_, i) => `j${i}`));
    expect(batchMock.commandCalls(DescribeJobsCommand).map((x) => x.args[0].input.jobs!.length)).toEqual([
      100, 100, 50,
    ]);
    expect(counts.SUCCEEDED).toBe(250);
  });

  test('watch polls with a growing interval until every job is done', async () => {
    const statuses = ['RUNNABLE', 'RUNNING', 'RUNNING', 'SUCCEEDED'];
    let poll = 0;
    batchMock.on(DescribeJobsCommand).callsFake(async () => ({
      jobs: [{ jobId: 'j', jobName: 'j', jobQueue: 'q', jobDefinition: 'd', startedAt: 1, status: statuses[poll++] }],
    }));
    const { c, sleeps } = client();
    const seen: string[] = [];
    const final = await c.watch(['j'], (counts) => seen.push(Object.entries(counts).find(([, n]) => n > 0)![0]));
    expect(seen).toEqual(['RUNNABLE', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
    expect(sleeps).toEqual([5000, 7500, 11250]);
    expect(final.SUCCEEDED).toBe(1);
  });
});

describe('diagnose', () => {
  // Batch reports MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT only once it has looked; a job with no reason yet (as
  // moto's RUNNABLE jobs in e2e/cli.e2e.test.ts) that fits no instance type is stuck all the same.
  test.each([['MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement is not met.'], [undefined]])(
    'a job too big for every instance type of the queue (status reason %s) gets the fit check and its fix',
    async (reason) => {
      const { c, now } = client();
      const created = now() - 45 * 60_000;
      batchMock.on(ListJobsCommand, { jobQueue: 'standard', jobStatus: 'RUNNABLE' }).resolves({
        jobSummaryList: [
          { jobId: 'old', jobName: 'run1-align-0', createdAt: created, status: 'RUNNABLE' },
          { jobId: 'new', jobName: 'run1-align-1', createdAt: now() - 60_000, status: 'RUNNABLE' },
        ],
      });
      batchMock.on(DescribeJobsCommand).resolves({
        jobs: [
          {
            jobId: 'old',
            jobName: 'run1-align-0',
            jobQueue: 'standard',
            jobDefinition: 'align:1',
            startedAt: 0,
            createdAt: created,
            status: 'RUNNABLE',
            statusReason: reason,
            container: {
              resourceRequirements: [
                { type: 'VCPU', value: '4' },
                { type: 'MEMORY', value: '32768' },
              ],
            },
          },
        ],
      });
      batchMock.on(DescribeJobQueuesCommand).resolves({
        jobQueues: [
          {
            jobQueueName: 'standard',
            jobQueueArn: 'arn',
            state: 'ENABLED',
            priority: 10,
            computeEnvironmentOrder: [
              { order: 1, computeEnvironment: 'spot' },
              { order: 2, computeEnvironment: 'on-demand' },
            ],
          },
        ],
      });
      // Spot first, then On-Demand, on the same instance types (as JobQueue.spotFirst builds it): named once.
      batchMock.on(DescribeComputeEnvironmentsCommand).resolves({
        computeEnvironments: ['spot', 'on-demand'].map((name) => ({
          computeEnvironmentName: name,
          computeEnvironmentArn: `arn:aws:batch:us-east-1:123456789012:compute-environment/${name}`,
          status: 'VALID',
          computeResources: {
            type: name === 'spot' ? 'SPOT' : 'EC2',
            maxvCpus: 200,
            instanceTypes: ['r6i.xlarge'],
            subnets: [],
          },
        })),
      });
      const stuck = await c.diagnose('standard', 30);
      expect(stuck).toHaveLength(1);
      expect(stuck[0]).toMatchObject({ jobId: 'old', minutesRunnable: 45 });
      expect(stuck[0].diagnosis).toBe(
        "The job asks for 4 vCPU / 32768 MiB, which fits none of the queue's instance types (r6i.xlarge; largest usable " +
          'memory 31129 MiB on r6i.xlarge). Ask for at most 30 GiB, or add r6i.2xlarge.',
      );
    },
  );

  test.each([
    [
      'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - x',
      "than the compute environments' maxvCpus (200): raise maxvCpus",
    ],
    ['CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - x', "EC2 has no capacity for the queue's instance types right now"],
    [undefined, 'No reason from Batch yet: capacity may still be scaling up'],
  ])('%s', async (reason, expected) => {
    const { c, now } = client();
    batchMock
      .on(ListJobsCommand)
      .resolves({ jobSummaryList: [{ jobId: 'j', jobName: 'j', createdAt: now() - 3_600_000 }] });
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          jobId: 'j',
          jobName: 'j',
          jobQueue: 'q',
          jobDefinition: 'd',
          startedAt: 0,
          createdAt: now() - 3_600_000,
          status: 'RUNNABLE',
          statusReason: reason,
        },
      ],
    });
    batchMock.on(DescribeJobQueuesCommand).resolves({
      jobQueues: [
        {
          jobQueueName: 'q',
          jobQueueArn: 'a',
          state: 'ENABLED',
          priority: 1,
          computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }],
        },
      ],
    });
    batchMock.on(DescribeComputeEnvironmentsCommand).resolves({
      computeEnvironments: [
        {
          computeEnvironmentName: 'ce',
          computeEnvironmentArn: 'a',
          computeResources: { type: 'EC2', maxvCpus: 200, subnets: [] },
        },
      ],
    });
    const [s] = await c.diagnose('q', 30);
    expect(s.diagnosis).toContain(expected);
  });

  // The fit check's "fits none" is certain only for exact sizes the catalog knows: Batch may launch any size of a
  // listed family (the ComputeResource instanceTypes doc) and any type for `optimal`.
  test.each([
    // [instance types of the environment, job memory MiB, status reason, what diagnose says]
    [['r6i'], 307_200, undefined, 'No reason from Batch yet'],
    [['optimal', 'r5.xlarge'], 65_536, undefined, 'No reason from Batch yet'],
    [['r6i.xlarge', 'r6i.2xlarge'], 131_072, undefined, "which fits none of the queue's instance types"],
    [
      ['r6i.xlarge', 'r6i.2xlarge'],
      32_768,
      'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - x',
      'yet it fits r6i.2xlarge of the queue by the instance catalog',
    ],
    // A reason diagnose has no translation for is shown as Batch gave it (captured in apache/airflow#38298).
    [
      ['r6i.xlarge'],
      8_192,
      'UNDETERMINED - Batch job is blocked, root cause is undetermined.',
      'Batch says: UNDETERMINED - Batch job is blocked, root cause is undetermined.',
    ],
  ])('instance types %j, %d MiB, reason %s: %s', async (instanceTypes, memoryMiB, reason, expected) => {
    const { c, now } = client();
    batchMock
      .on(ListJobsCommand)
      .resolves({ jobSummaryList: [{ jobId: 'j', jobName: 'j', createdAt: now() - 3_600_000 }] });
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          jobId: 'j',
          jobName: 'j',
          jobQueue: 'q',
          jobDefinition: 'd',
          startedAt: 0,
          createdAt: now() - 3_600_000,
          status: 'RUNNABLE',
          statusReason: reason,
          container: {
            resourceRequirements: [
              { type: 'VCPU', value: '4' },
              { type: 'MEMORY', value: String(memoryMiB) },
            ],
          },
        },
      ],
    });
    batchMock.on(DescribeJobQueuesCommand).resolves({
      jobQueues: [
        {
          jobQueueName: 'q',
          jobQueueArn: 'a',
          state: 'ENABLED',
          priority: 1,
          computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ce' }],
        },
      ],
    });
    batchMock.on(DescribeComputeEnvironmentsCommand).resolves({
      computeEnvironments: [
        {
          computeEnvironmentName: 'ce',
          computeEnvironmentArn: 'a',
          status: 'VALID',
          computeResources: { type: 'EC2', maxvCpus: 200, instanceTypes, subnets: [] },
        },
      ],
    });
    const [s] = await c.diagnose('q', 30);
    expect(s.diagnosis).toContain(expected);
  });
});

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
  expect(await c.cancelRun('standard', 'r')).toEqual({ cancelled: 1, terminated: 1 });
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
  expect((await c.listRun('standard', 'run1')).map((j) => j.jobId)).toEqual(['a']);
  expect(await c.cancelRun('standard', 'run1')).toEqual({ cancelled: 1, terminated: 0 });
  expect(batchMock.commandCalls(CancelJobCommand).map((call) => call.args[0].input.jobId)).toEqual(['a']);
});

test('every job a run submits carries the run tag', async () => {
  batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
  batchMock.on(SubmitJobCommand).callsFake((input) => ({ jobId: `${input.jobName}-id` }));
  const { c } = client();
  await c.submit({ runId: 'w48', items: items(2), stages });
  await c.submit({ runId: 'w48-arrays', items: items(3), stages, arrayJobs: true, manifestUri: 's3://in/m.json' });
  const tags = batchMock.commandCalls(SubmitJobCommand).map((call) => call.args[0].input.tags);
  expect(tags).toEqual([...Array(4).fill({ [RUN_TAG]: 'w48' }), ...Array(2).fill({ [RUN_TAG]: 'w48-arrays' })]);
});
