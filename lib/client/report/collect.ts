import type { JobDetail, JobStatus } from '@aws-sdk/client-batch';
import { nameOf, PlacedJob } from './attempts';
import { buildRunReport, QueuePricing } from './build';
import { ReportFailure, RunReport } from './types';
import { RUN_TAG } from '../../contract/job-env';
import { AwsCalls } from '../aws-calls';
import type { JobLogTail } from '../logs/types';
import { PipelineClientError } from '../errors';
import { executionFailures } from '../executions/failures';
import { DESCRIBE_JOBS_PER_CALL } from '../../private/limits';
import { childIds, describeJobs } from '../jobs/describe';
import { queueCapacity } from '../queue-capacity';

/** Reading a run for its report: the execution or the run id, its jobs on their queues, their queues, the logs. */

/**
 * Reads the last `lines` lines of a job's log.
 * @jsii ignore
 */
export type TailJobLog = (jobId: string, lines: number) => Promise<JobLogTail>;

/**
 * Options of `PipelineClient.runReport`.
 * @jsii ignore
 */
export interface RunReportOptions {
  /**
   * Reads a failed job's last log lines.
   * @default - `PipelineClient.tailJobLog` (CloudWatch Logs)
   */
  readonly tailLog?: TailJobLog;
  /**
   * Log lines read per failed job.
   * @default 20
   */
  readonly logLines?: number;
  /**
   * Failed jobs whose logs are read (the first ones, by step and item); the others name the `logs` command only.
   * @default 20
   */
  readonly maxLogs?: number;
  /**
   * Slowest items listed.
   * @default 20
   */
  readonly slowest?: number;
}

/** Batch calls in flight at once: ListJobs of different name filters, DescribeJobs of different ids. */
const CALLS_AT_ONCE = 8;

/** Every job status: ListJobs by array job id lists one status a call. */
const STATUSES: JobStatus[] = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'];

/** Job queue ARNs in a state machine definition (the steps' queues and their On-Demand ones). */
export const QUEUE_ARN = /arn:aws[\w-]*:batch:[\w-]+:\d{12}:job-queue\/[\w-]+/g;

/**
 * The report of a workflow execution. Its jobs are found on the queues its state machine's definition names
 * (DescribeStateMachineForExecution: the definition the execution ran,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachineForExecution.html) by the
 * run's job-name prefix and tag; the steps served from the step cache come from its outcomes.
 */
export async function executionReport(
  aws: AwsCalls,
  executionArn: string,
  options: RunReportOptions = {},
): Promise<RunReport> {
  const execution = await aws.call(() => aws.sfn.send(new aws.sdk.sfn.DescribeExecutionCommand({ executionArn })));
  const name = execution.name ?? executionArn.split(':').pop()!;
  const notes: string[] = [];
  const machine = await aws.call(() =>
    aws.sfn.send(new aws.sdk.sfn.DescribeStateMachineForExecutionCommand({ executionArn })),
  );
  const queues = [...new Set(machine.definition?.match(QUEUE_ARN) ?? [])];
  if (queues.length === 0) {
    throw new PipelineClientError(
      'state',
      `the state machine of execution ${name} names no Batch job queue: report reads runs of a Workflow's state ` +
        'machine. Fix: pass the ARN of an execution of a Workflow (batch-pipelines start prints it)',
    );
  }
  const jobs: PlacedJob[] = [];
  const pricing: Record<string, QueuePricing> = {};
  const filters = nameFilters(machine.definition ?? '', name);
  for (const queue of queues) {
    const q = await pricingOf(aws, queue, notes);
    pricing[q.name] = q.pricing;
    for (const job of await runJobs(aws, queue, name, filters)) {
      jobs.push({ job, ...nameOf(job, name, 'execution'), queue: q.name, spot: q.pricing.spot });
    }
  }
  let cached: Record<string, number> | undefined;
  const ids: Record<string, string> = {};
  const status = execution.status ?? 'UNKNOWN';
  if (status !== 'RUNNING' && status !== 'PENDING_REDRIVE') {
    // The run's outcomes: the steps served from the step cache, and the failed items' ids (job names carry indexes).
    try {
      const outcomes = await executionFailures(aws, executionArn);
      cached = outcomes.cached;
      for (const item of [...outcomes.failed, ...outcomes.invalid]) {
        if (item.id !== undefined) {
          ids[String(item.index)] = item.id;
        }
      }
    } catch (e) {
      notes.push(`the run's outcomes (step cache counts, failed items' ids) were not read: ${(e as Error).message}`);
    }
  }
  const report = buildRunReport({
    run: {
      kind: 'execution',
      name,
      executionArn,
      status,
      start: execution.startDate?.getTime(),
      end: execution.stopDate?.getTime(),
    },
    jobs,
    queues: pricing,
    cached,
    ids,
    now: aws.now(),
    rerun: `batch-pipelines rerun --execution-arn ${executionArn}`,
    notes,
    slowest: options.slowest,
  });
  return withLogs(report, options);
}

/** The report of a run of jobs (`batch-pipelines submit`) on a queue. */
export async function jobsReport(
  aws: AwsCalls,
  jobQueue: string,
  runId: string,
  options: RunReportOptions = {},
): Promise<RunReport> {
  const notes: string[] = [];
  const q = await pricingOf(aws, jobQueue, notes);
  const jobs: PlacedJob[] = (await runJobs(aws, jobQueue, runId)).map((job) => ({
    job,
    ...nameOf(job, runId, 'jobs'),
    queue: q.name,
    spot: q.pricing.spot,
  }));
  if (jobs.length === 0) {
    throw new PipelineClientError(
      'input',
      `no jobs named ${runId}-* and tagged ${RUN_TAG}=${runId} on queue ${jobQueue}. Fix: check --run-id (the id ` +
        'submit printed) and --queue (the queue it submitted to)',
    );
  }
  const open = jobs.some((j) => j.job.status !== 'SUCCEEDED' && j.job.status !== 'FAILED');
  const report = buildRunReport({
    run: {
      kind: 'jobs',
      name: runId,
      queue: jobQueue,
      status: open ? 'RUNNING' : jobs.some((j) => j.job.status === 'FAILED') ? 'FAILED' : 'SUCCEEDED',
    },
    jobs,
    queues: { [q.name]: q.pricing },
    now: aws.now(),
    rerun: `batch-pipelines rerun --queue ${jobQueue} --run-id ${runId}`,
    notes,
    slowest: options.slowest,
  });
  return withLogs(report, options);
}

/**
 * Every job (array children instead of their parent) on the queue named `<run>-…` and tagged with the run: ListJobs
 * with a JOB_NAME filter returns jobs of any status
 * (https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html), DescribeJobs 100 ids a call.
 */
export async function runJobs(
  aws: AwsCalls,
  jobQueue: string,
  run: string,
  filters: string[] = [`${run}-*`],
): Promise<JobDetail[]> {
  const lists = await inParallel(filters, (filter) =>
    aws.all(
      (nextToken) =>
        aws.batch.send(
          new aws.sdk.batch.ListJobsCommand({ jobQueue, filters: [{ name: 'JOB_NAME', values: [filter] }], nextToken }),
        ),
      (page) => page.jobSummaryList,
    ),
  );
  // Filters match names case-insensitively: a job two filters found is read once.
  const listed = [...new Map(lists.flat().map((j) => [j.jobId!, j])).values()];
  const out: JobDetail[] = [];
  // The name filter is a prefix: run `run1` would also find run `run1-b`. The run tag decides.
  const described = await describeInParallel(
    aws,
    listed.map((j) => j.jobId!),
  );
  for (const job of described.filter((d) => d.tags?.[RUN_TAG] === run)) {
    if (job.arrayProperties?.size) {
      out.push(...(await describeInParallel(aws, await childIds(aws, job.jobId!, STATUSES))));
    } else {
      out.push(job);
    }
  }
  return out;
}

/**
 * DescribeJobs of many ids, `CALLS_AT_ONCE` calls of 100 ids in flight: a 10,000-sample run of three steps has 30,000
 * jobs, 300 calls, which one after another take most of a minute. Each call is retried on throttling (`AwsCalls.call`).
 */
async function describeInParallel(aws: AwsCalls, ids: string[]): Promise<JobDetail[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += DESCRIBE_JOBS_PER_CALL) {
    chunks.push(ids.slice(i, i + DESCRIBE_JOBS_PER_CALL));
  }
  return (await inParallel(chunks, (chunk) => describeJobs(aws, chunk))).flat();
}

/** `f` of every input, `CALLS_AT_ONCE` at a time, results in the inputs' order. */
async function inParallel<T, R>(inputs: T[], f: (input: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const n = next++;
      out[n] = await f(inputs[n]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CALLS_AT_ONCE, inputs.length) }, worker));
  return out;
}

/**
 * The JOB_NAME filters that find an execution's jobs in slices listed side by side: a workflow names a fan-out step's
 * jobs `<run>-<step>-<index>` and a step of the run `<run>-<step>` (the `States.Format` of its submit state's
 * `JobName.$`, lib/workflow/states/step-states.ts), so `<run>-align-0*` … `<run>-align-9*` and `<run>-aggregate`
 * cover them, ten slices a fan-out step. A filter ending in `*` matches names that begin with what is before it,
 * otherwise the whole name, case-insensitively (https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html); ListJobs
 * returns at most 100 jobs a page with a filter, each page asked with the previous one's token, so one filter over
 * 30,000 jobs takes 300 calls one after another. Without such formats in the definition: `<run>-*`.
 */
export function nameFilters(definition: string, run: string): string[] {
  const filters = new Set<string>();
  for (const m of definition.matchAll(/States\.Format\('\{\}-([\w-]+?)(-\{\})?'/g)) {
    if (m[2]) {
      for (let d = 0; d <= 9; d++) {
        filters.add(`${run}-${m[1]}-${d}*`);
      }
    } else {
      filters.add(`${run}-${m[1]}`);
    }
  }
  return filters.size > 0 ? [...filters] : [`${run}-*`];
}

/** A queue's name and what prices its jobs; a queue that cannot be read is priced as unknown, with a note. */
async function pricingOf(
  aws: AwsCalls,
  queue: string,
  notes: string[],
): Promise<{ name: string; pricing: QueuePricing }> {
  const name = queue.split('/').pop()!;
  try {
    const c = await queueCapacity(aws, queue);
    return { name, pricing: { types: c.types, spot: c.spot } };
  } catch (e) {
    notes.push(`queue ${name} was not read (${(e as Error).message}): its jobs are not priced`);
    return { name, pricing: { types: [], spot: false } };
  }
}

/** The report with the last log lines of its first `maxLogs` failures. */
async function withLogs(report: RunReport, options: RunReportOptions): Promise<RunReport> {
  const tail = options.tailLog;
  if (!tail || report.failures.length === 0) {
    return report;
  }
  const max = options.maxLogs ?? 20;
  const failures: ReportFailure[] = [];
  for (const [n, f] of report.failures.entries()) {
    if (n >= max) {
      failures.push({ ...f, logMissing: `not read: only the first ${max} failures' logs are` });
      continue;
    }
    try {
      const t = await tail(f.jobId, options.logLines ?? 20);
      const { logMissing, ...rest } = f;
      void logMissing;
      failures.push({
        ...rest,
        ...(t.logGroupName ? { logGroupName: t.logGroupName } : {}),
        ...(t.logStreamName ? { logStreamName: t.logStreamName } : {}),
        logLines: t.lines,
        ...(t.lines.length === 0 ? { logMissing: t.missing ?? 'the log is empty' } : {}),
      });
    } catch (e) {
      failures.push({ ...f, logMissing: `not read: ${(e as Error).message}` });
    }
  }
  return { ...report, failures };
}
