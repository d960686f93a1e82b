import { tailJobLog } from './tail';
import { FailedJobLog, FailedJobLogs, JobLogTail } from './types';
import { GET_LOG_EVENTS_CALLS_PER_SECOND } from '../../private/limits';
import { AwsCalls } from '../aws-calls';
import { executionFailures } from '../executions/failures';
import { listRunJobs } from '../jobs/describe';
import { jobFailures } from '../jobs/failures';
import { PipelineClientError } from '../errors';

/** The failed jobs of a run, each with the last lines of its log. */

/**
 * Logs read at once: a few (each tail is a DescribeJobs and one or more GetLogEvents), so a run with hundreds of
 * failures is read in seconds. It bounds calls in flight, not calls a second: a throttled call is retried.
 */
const CONCURRENT_TAILS = Math.max(1, Math.floor(GET_LOG_EVENTS_CALLS_PER_SECOND / 5));

/**
 * A job's last lines, or why they could not be read (a log group the caller may not read, throttling past the
 * retries): one job's log never stops the listing of the others.
 */
async function tailOrSay(aws: AwsCalls, jobId: string, lines: number): Promise<JobLogTail> {
  try {
    return await tailJobLog(aws, { jobId }, lines);
  } catch (e) {
    const error = e as { name?: string; message?: string };
    return { jobId, lines: [], missing: `could not read it: ${error.name ?? 'Error'}: ${error.message ?? String(e)}` };
  }
}

/** Each failed job (or array child) of the run of jobs `runId` on `jobQueue`, with the last `lines` of its log. */
export async function failedRunJobLogs(
  aws: AwsCalls,
  jobQueue: string,
  runId: string,
  lines: number,
): Promise<FailedJobLogs> {
  const jobs = await listRunJobs(aws, jobQueue, runId);
  if (jobs.length === 0) {
    throw new PipelineClientError(
      'input',
      `no jobs of run ${runId} on queue ${jobQueue} (named ${runId}-* and tagged with the run): check --run-id and --queue`,
    );
  }
  // Once each: a child found both under its array job and on its own (a queue's listing that includes children).
  const found = await jobFailures(
    aws,
    jobs.map((j) => j.jobId),
  );
  const failures = [...new Map(found.map((f) => [f.jobId, f])).values()];
  const failed = await inTurns(failures, async (f): Promise<FailedJobLog> => {
    const reason = [f.statusReason, f.containerReason].filter((r) => r).join('; ');
    return {
      ...(f.itemIndex === undefined ? {} : { item: `#${f.itemIndex}` }),
      step: f.arrayIndex === undefined ? f.jobName : `${f.jobName}[${f.arrayIndex}]`,
      reason: reason || 'no reason given',
      ...(f.exitCode === undefined ? {} : { exitCode: f.exitCode }),
      log: await tailOrSay(aws, f.jobId, lines),
    };
  });
  return { run: `run ${runId} on queue ${jobQueue}`, failed };
}

/** Each failed item of a finished workflow run, with the last `lines` of its failed step's job's log. */
export async function failedExecutionLogs(aws: AwsCalls, executionArn: string, lines: number): Promise<FailedJobLogs> {
  const run = await executionFailures(aws, executionArn);
  const items = [...run.failed, ...run.invalid].sort((a, b) => a.index - b.index);
  const failed = await inTurns(items, async (f): Promise<FailedJobLog> => {
    const log: JobLogTail | undefined = f.jobId ? await tailOrSay(aws, f.jobId, lines) : undefined;
    return {
      item: f.index < 0 ? f.id : `${f.id ?? 'item'} (#${f.index})`,
      ...(f.step ? { step: f.step } : {}),
      reason: `${f.error}: ${f.reason || 'no reason given'}${f.jobId ? '' : ' (no job ran for it: it has no log)'}`,
      ...(f.exitCode === undefined ? {} : { exitCode: f.exitCode }),
      ...(log ? { log } : {}),
    };
  });
  return { run: `workflow run ${run.name} (${run.status})`, failed };
}

/** `fn` over `items`, `CONCURRENT_TAILS` at a time, results in the items' order. */
async function inTurns<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_TAILS, items.length) }, worker));
  return out;
}
