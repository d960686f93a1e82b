import {
  BatchClientResolvedConfig,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  JobDetail,
  ListJobsCommand,
  ServiceInputTypes,
  ServiceOutputTypes,
} from '@aws-sdk/client-batch';
import type { AwsStub } from 'aws-sdk-client-mock';
import { jobDetail, MIN, T0 } from '../report/jobs';

/**
 * A Container Insights performance log event of `"Type": "Task"`, exactly as the CloudWatch User Guide shows it
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html,
 * "Type: Task"); `taskEvent` changes only the task's id, cluster, timestamp, memory and CPU used.
 */
export const DOC_TASK_EVENT = {
  Version: '0',
  Type: 'Task',
  TaskId: '7ac4dfba69214411b4783a3b8189c9ba',
  TaskDefinitionFamily: 'sleep360',
  TaskDefinitionRevision: '1',
  ContainerInstanceId: '0d7650e6dec34c1a9200f72098071e8f',
  EC2InstanceId: 'i-0c470579dbcdbd2f3',
  ClusterName: 'MyCluster',
  AccountID: '637146863587',
  Region: 'us-west-2',
  AvailabilityZone: 'us-west-2b',
  KnownStatus: 'RUNNING',
  LaunchType: 'EC2',
  PullStartedAt: 1623963608201,
  PullStoppedAt: 1623963610065,
  CreatedAt: 1623963607094,
  StartedAt: 1623963610382,
  Timestamp: 1623963900000,
  CpuUtilized: 0.0,
  CpuReserved: 10.0,
  MemoryUtilized: 0,
  MemoryReserved: 10,
  StorageReadBytes: 0,
  StorageWriteBytes: 0,
  NetworkRxBytes: 0,
  NetworkRxDropped: 0,
  NetworkRxErrors: 0,
  NetworkRxPackets: 14,
  NetworkTxBytes: 0,
  NetworkTxDropped: 0,
  NetworkTxErrors: 0,
  NetworkTxPackets: 0,
  CloudWatchMetrics: [
    {
      Namespace: 'ECS/ContainerInsights',
      Metrics: [
        { Name: 'CpuUtilized', Unit: 'None' },
        { Name: 'CpuReserved', Unit: 'None' },
        { Name: 'MemoryUtilized', Unit: 'Megabytes' },
        { Name: 'MemoryReserved', Unit: 'Megabytes' },
        { Name: 'StorageReadBytes', Unit: 'Bytes/Second' },
        { Name: 'StorageWriteBytes', Unit: 'Bytes/Second' },
        { Name: 'NetworkRxBytes', Unit: 'Bytes/Second' },
        { Name: 'NetworkTxBytes', Unit: 'Bytes/Second' },
      ],
      Dimensions: [['ClusterName'], ['ClusterName', 'TaskDefinitionFamily']],
    },
  ],
};

/**
 * The same page's "Type: Container" event: one a minute for each container, beside the task's; it must not count.
 */
export const DOC_CONTAINER_EVENT = {
  Version: '0',
  Type: 'Container',
  ContainerName: 'sleep',
  TaskId: '7ac4dfba69214411b4783a3b8189c9ba',
  TaskDefinitionFamily: 'sleep360',
  TaskDefinitionRevision: '1',
  ContainerInstanceId: '0d7650e6dec34c1a9200f72098071e8f',
  EC2InstanceId: 'i-0c470579dbcdbd2f3',
  ClusterName: 'MyCluster',
  Image: 'busybox',
  ContainerKnownStatus: 'RUNNING',
  Timestamp: 1623963900000,
  CpuUtilized: 0.0,
  CpuReserved: 10.0,
  MemoryUtilized: 0,
  MemoryReserved: 10,
};

/** A Task event of `taskId` on `cluster` at `timestamp` that used `memoryMiB` and `cpuUnits`. */
export function taskEvent(taskId: string, cluster: string, timestamp: number, memoryMiB: number, cpuUnits: number) {
  return JSON.stringify({
    ...DOC_TASK_EVENT,
    TaskId: taskId,
    ClusterName: cluster,
    Timestamp: timestamp,
    MemoryUtilized: memoryMiB,
    CpuUtilized: cpuUnits,
  });
}

/**
 * Run week-48's align (mocked on `batch`): `n` jobs of 4 vCPU / 30 GiB, each run for 4 h, on queue standard. Their
 * attempts' task ARNs are `arn:aws:ecs:us-east-1:123456789012:task/batch/<job id>0` (test/client/report/jobs.ts,
 * DescribeJobs' shape). The queue's one compute environment is On-Demand r6i.xlarge, as DescribeJobQueues and
 * DescribeComputeEnvironments describe it (https://docs.aws.amazon.com/batch/latest/APIReference/API_JobQueueDetail.html,
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeResource.html).
 */
export function referenceRun(
  batch: AwsStub<ServiceInputTypes, ServiceOutputTypes, BatchClientResolvedConfig>,
  n: number,
  name = (i: number) => `week-48-align-S${i}`,
): JobDetail[] {
  const jobs = Array.from({ length: n }, (_, i) => ({
    ...jobDetail({
      id: `a${i}`,
      name: name(i),
      queue: 'standard',
      created: 0,
      tries: [{ start: 1, stop: 241, exitCode: 0 }],
    }),
  }));
  batch.on(ListJobsCommand).resolves({ jobSummaryList: jobs.map((j) => ({ jobId: j.jobId!, jobName: j.jobName! })) });
  batch
    .on(DescribeJobsCommand)
    .callsFake(async (input: { jobs: string[] }) => ({ jobs: jobs.filter((j) => input.jobs.includes(j.jobId!)) }));
  batch.on(DescribeJobQueuesCommand).resolves({
    jobQueues: [
      {
        jobQueueName: 'standard',
        jobQueueArn: 'arn:aws:batch:us-east-1:123456789012:job-queue/standard',
        state: 'ENABLED',
        priority: 1,
        computeEnvironmentOrder: [
          { order: 1, computeEnvironment: 'arn:aws:batch:us-east-1:123456789012:compute-environment/od' },
        ],
      },
    ],
  });
  batch.on(DescribeComputeEnvironmentsCommand).resolves({
    computeEnvironments: [
      {
        computeEnvironmentName: 'od',
        computeEnvironmentArn: 'arn:aws:batch:us-east-1:123456789012:compute-environment/od',
        status: 'VALID',
        computeResources: { type: 'EC2', instanceTypes: ['r6i.xlarge'], maxvCpus: 256, subnets: [] },
      },
    ],
  });
  return jobs;
}

/**
 * Two Task events a job (the 30th and 90th minute): the second at `peakMiB` for the last job and 10,000 MiB for the
 * others, both at `cpuUnits`.
 */
export function referenceEvents(jobs: JobDetail[], peakMiB: number, cpuUnits: number) {
  return jobs.flatMap((j, i) => [
    { timestamp: T0 + 30 * MIN, message: taskEvent(`${j.jobId}0`, 'batch', T0 + 30 * MIN, 9000, cpuUnits * 0.7) },
    {
      timestamp: T0 + 90 * MIN,
      message: taskEvent(`${j.jobId}0`, 'batch', T0 + 90 * MIN, i === jobs.length - 1 ? peakMiB : 10000, cpuUnits),
    },
  ]);
}
