import { AwsCalls } from '../aws-calls';
import { containerInsightsLogGroup, ECS_CPU_UNITS_PER_VCPU } from '../../private/limits';

/**
 * Reading what ECS tasks used from Container Insights' performance log events. Each running task writes a
 * `"Type": "Task"` event a minute to `/aws/ecs/containerinsights/<cluster>/performance` with its `TaskId` (the last
 * part of the task's ARN), `MemoryUtilized` (MiB, "Megabytes") and `CpuUtilized` (CPU units, 1,024 a vCPU):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
 *
 * Read with FilterLogEvents rather than Logs Insights (StartQuery/GetQueryResults): it answers at once, page by page
 * (no query to start and poll), returns the events themselves so the peak of each task is exact at the one-minute
 * sampling, and is not charged per GB scanned as a Logs Insights query is. The `{ $.Type = "Task" }` filter pattern
 * leaves the other event types (Container, Cluster, Service…) on the server.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 */

/** An ECS task's cluster and id, from its ARN `arn:aws:ecs:<region>:<account>:task/<cluster>/<task id>`. */
export interface TaskRef {
  readonly cluster: string;
  readonly taskId: string;
}

/**
 * The cluster and task id of an ECS task ARN in the long format (ECS's default since 2021); undefined for the old
 * format (`task/<task id>`, no cluster) and anything else.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids
 */
export function taskRefOf(taskArn: string | undefined): TaskRef | undefined {
  const m = /^arn:aws[\w-]*:ecs:[\w-]+:\d{12}:task\/([\w-]+)\/([0-9a-f]{32}|[\w-]+)$/.exec(taskArn ?? '');
  return m ? { cluster: m[1], taskId: m[2] } : undefined;
}

/** A task's peak memory (MiB) and vCPUs over its performance events. */
export interface TaskPeak {
  readonly memoryMiB: number;
  readonly vcpus: number;
  /** Performance events read for it. */
  readonly samples: number;
}

/** The time window to read: epoch milliseconds. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** What was read of one cluster: each wanted task's peak, and why nothing was, when so. */
export interface ClusterPeaks {
  readonly logGroupName: string;
  readonly peaks: Map<string, TaskPeak>;
  readonly missing?: string;
}

/** Folds one performance event into `peaks`, when it is a Task event of a wanted task. */
export function foldEvent(message: string | undefined, wanted: Set<string>, peaks: Map<string, TaskPeak>): void {
  let e: { Type?: unknown; TaskId?: unknown; MemoryUtilized?: unknown; CpuUtilized?: unknown };
  try {
    e = JSON.parse(message ?? '');
  } catch {
    return;
  }
  if (e?.Type !== 'Task' || typeof e.TaskId !== 'string' || !wanted.has(e.TaskId)) {
    return;
  }
  const memory = Number(e.MemoryUtilized);
  const cpu = Number(e.CpuUtilized);
  if (!Number.isFinite(memory) || !Number.isFinite(cpu)) {
    return;
  }
  const before = peaks.get(e.TaskId);
  peaks.set(e.TaskId, {
    memoryMiB: Math.max(before?.memoryMiB ?? 0, memory),
    vcpus: Math.max(before?.vcpus ?? 0, cpu / ECS_CPU_UNITS_PER_VCPU),
    samples: (before?.samples ?? 0) + 1,
  });
}

/** The peaks of `taskIds` in `cluster`'s performance log group over `window`. */
export async function clusterPeaks(
  aws: AwsCalls,
  cluster: string,
  taskIds: Set<string>,
  window: Window,
): Promise<ClusterPeaks> {
  const logGroupName = containerInsightsLogGroup(cluster);
  const peaks = new Map<string, TaskPeak>();
  try {
    // Each page retried on throttling (AwsCalls.pages).
    for await (const page of aws.pages((nextToken) =>
      aws.logs.send(
        new aws.logsSdk.FilterLogEventsCommand({
          logGroupName,
          startTime: window.start,
          endTime: window.end,
          filterPattern: '{ $.Type = "Task" }',
          nextToken,
        }),
      ),
    )) {
      for (const event of page.events ?? []) {
        foldEvent(event.message, taskIds, peaks);
      }
    }
  } catch (e) {
    if ((e as { name?: string }).name !== 'ResourceNotFoundException') {
      throw e;
    }
    return {
      logGroupName,
      peaks,
      missing: `log group ${logGroupName} does not exist: Container Insights is off on cluster ${cluster}`,
    };
  }
  return { logGroupName, peaks };
}
