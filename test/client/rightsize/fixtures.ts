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
