import { AwsCalls, PollOptions } from '../aws-calls';
import { failedFromChildExecution, FailedItem } from '../run-outcomes';

/** Following a workflow run: its status, its Distributed Map runs' item counts, and each item as it fails. */

/**
 * Item counts of a Distributed Map run, as `DescribeMapRun` reports them.
 * @jsii ignore
 */
export interface MapRunProgress {
  /** The Map Run. */
  readonly mapRunArn: string;
  /** RUNNING, SUCCEEDED, FAILED or ABORTED. */
  readonly status: string;
  /** Items in the Map Run. */
  readonly total: number;
  /** Items not started yet. */
  readonly pending: number;
  /** Items running. */
  readonly running: number;
  /** Items that succeeded. */
  readonly succeeded: number;
  /** Items that failed or timed out. */
  readonly failed: number;
  /** Items stopped (by a user, or because the Map Run failed). */
  readonly aborted: number;
}

/**
 * A workflow item that failed, found while the run goes on: its child execution and what it says.
 * @jsii ignore
 */
export interface ItemFailure extends FailedItem {
  /** The item's child execution (a Distributed Map runs each item as one). */
  readonly executionArn: string;
}

/**
 * One look at a workflow execution.
 * @jsii ignore
 */
export interface ExecutionProgress {
  /** The execution. */
  readonly executionArn: string;
  /** Its name. */
  readonly name: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE. */
  readonly status: string;
  /** When it started. */
  readonly startDate?: Date;
  /** When it ended, once it has. */
  readonly stopDate?: Date;
  /** The execution's error, once it failed. */
  readonly error?: string;
  /** The execution's cause, once it failed. */
  readonly cause?: string;
  /** Its Distributed Map runs (none for an inline fan-out, or before the fan-out starts). */
  readonly mapRuns: MapRunProgress[];
  /** Items that failed since the previous look (every one on the first). */
  readonly newFailures: ItemFailure[];
}

/**
 * Options of `PipelineClient.followExecution`.
 * @jsii ignore
 */
export interface FollowExecutionOptions extends PollOptions {
  /**
   * Called after each look; its `newFailures` are the items that failed since the previous call.
   * @default - nothing is called; only the last look is returned
   */
  readonly onProgress?: (progress: ExecutionProgress) => void;
}

/** Child executions already reported, per Map Run. */
type Seen = Map<string, Set<string>>;

/**
 * One look at a workflow execution: its status, each Distributed Map run's item counts (ListMapRuns,
 * DescribeMapRun), and the items that failed since the previous look. Failed items are the Map Run's FAILED and
 * TIMED_OUT child executions (ListExecutions by `mapRunArn`, read only when the failed count grew), each described
 * for its item and outcome. `seen` holds the child executions already reported, and gains the new ones.
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_MapRunItemCounts.html
 */
export async function executionProgress(
  aws: AwsCalls,
  executionArn: string,
  seen: Seen = new Map(),
): Promise<ExecutionProgress> {
  const execution = await aws.call(() => aws.sfn.send(new aws.sdk.sfn.DescribeExecutionCommand({ executionArn })));
  const listed = await aws.all(
    (nextToken) => aws.sfn.send(new aws.sdk.sfn.ListMapRunsCommand({ executionArn, maxResults: 1000, nextToken })),
    (page) => page.mapRuns,
  );
  const mapRuns: MapRunProgress[] = [];
  const newFailures: ItemFailure[] = [];
  for (const run of listed) {
    const d = await aws.call(() => aws.sfn.send(new aws.sdk.sfn.DescribeMapRunCommand({ mapRunArn: run.mapRunArn! })));
    const c = d.itemCounts;
    const progress: MapRunProgress = {
      mapRunArn: run.mapRunArn!,
      status: d.status ?? 'RUNNING',
      total: c?.total ?? 0,
      pending: c?.pending ?? 0,
      running: c?.running ?? 0,
      succeeded: c?.succeeded ?? 0,
      failed: (c?.failed ?? 0) + (c?.timedOut ?? 0),
      aborted: c?.aborted ?? 0,
    };
    mapRuns.push(progress);
    const reported = seen.get(progress.mapRunArn) ?? new Set<string>();
    seen.set(progress.mapRunArn, reported);
    if (progress.failed > reported.size) {
      newFailures.push(...(await newChildFailures(aws, progress.mapRunArn, reported)));
    }
  }
  return {
    executionArn,
    name: execution.name ?? '',
    status: execution.status ?? 'UNKNOWN',
    startDate: execution.startDate,
    stopDate: execution.stopDate,
    error: execution.error,
    cause: execution.cause,
    mapRuns,
    newFailures: newFailures.sort((a, b) => a.index - b.index),
  };
}

/** Polls a workflow execution until it ends; returns the last look. */
export async function followExecution(
  aws: AwsCalls,
  executionArn: string,
  options: FollowExecutionOptions,
): Promise<ExecutionProgress> {
  const seen: Seen = new Map();
  return aws.poll(
    async (poll) => {
      try {
        return await executionProgress(aws, executionArn, seen);
      } catch (e) {
        // DescribeExecution is eventually consistent: a run started a moment ago may not be found yet.
        if ((e as Error).name === 'ExecutionDoesNotExist' && poll < 3) {
          return undefined;
        }
        throw e;
      }
    },
    // PENDING_REDRIVE is not an end: a redrive was asked for and the execution runs again.
    // https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
    (progress) => progress.status !== 'RUNNING' && progress.status !== 'PENDING_REDRIVE',
    options.onProgress,
    options,
  );
}

/** The Map Run's failed and timed-out child executions not in `seen`, each read as its item. */
async function newChildFailures(aws: AwsCalls, mapRunArn: string, seen: Set<string>): Promise<ItemFailure[]> {
  const fresh: string[] = [];
  for (const statusFilter of ['FAILED', 'TIMED_OUT'] as const) {
    const listed = await aws.all(
      (nextToken) =>
        aws.sfn.send(new aws.sdk.sfn.ListExecutionsCommand({ mapRunArn, statusFilter, maxResults: 1000, nextToken })),
      (page) => page.executions,
    );
    fresh.push(...listed.map((e) => e.executionArn!).filter((arn) => !seen.has(arn)));
  }
  const out: ItemFailure[] = [];
  for (const arn of fresh) {
    const child = await aws.call(() => aws.sfn.send(new aws.sdk.sfn.DescribeExecutionCommand({ executionArn: arn })));
    seen.add(arn);
    try {
      out.push({ ...failedFromChildExecution(child, `child execution ${arn}`), executionArn: arn });
    } catch {
      // Not a fan-out item (another Map's child): report it as the execution says, without an index.
      out.push({
        index: -1,
        error: child.error ?? child.status ?? 'FAILED',
        reason: child.cause ?? '',
        executionArn: arn,
      });
    }
  }
  return out;
}
