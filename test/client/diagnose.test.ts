import {
  BatchClient,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { clockedClient as client } from './clocked-client';

const batchMock = mockClient(BatchClient);

beforeEach(() => {
  batchMock.reset();
  batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
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
      const stuck = await c.diagnose('standard', { olderThanMinutes: 30 });
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
    const [s] = await c.diagnose('q', { olderThanMinutes: 30 });
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
    const [s] = await c.diagnose('q', { olderThanMinutes: 30 });
    expect(s.diagnosis).toContain(expected);
  });
});
