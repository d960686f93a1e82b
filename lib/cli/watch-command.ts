import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, parseFlags } from './common';
import { CliError } from './errors';
import { CommandIO, ExitCode } from './io';
import { describeAwsError } from './aws-errors';
import { describeItem, describeJobFailure, printFailures } from './failure-text';
import { ProgressLine } from './progress';
import { PipelineClientError } from '../client/errors';
import { ExecutionFailures } from '../client/executions/failures';
import { ExecutionProgress } from '../client/executions/progress';
import { StatusCounts } from '../client/jobs/status';
import { PipelineClient } from '../client/pipeline-client';
import { RunCost } from '../client/run-cost';
import { PipelineErrors } from '../core/validation-error';

export const WATCH_HELP = `Usage: batch-pipelines watch --queue Q --run-id ID [options]
       batch-pipelines watch --job-id ID [--job-id ID ...] [options]
       batch-pipelines watch --execution-arn ARN [options]

Follows work until it is done. It says what it watches at once, then looks right away and after each interval (from
--interval seconds, growing to a minute). On a terminal one progress line is redrawn in place (done/total, counts,
elapsed, rate and ETA, and for how long nothing changed); otherwise one timestamped line per change, and while
nothing changes a "still ..." line after a minute, then every five; with --json one JSON record per change.
Ctrl-C stops watching, not the work.

Jobs (--queue and --run-id, or --job-id): counts array children by status. At the end it names each failed job or
array child with Batch's reason, the exit code and the log stream (the first 20 in text; --json lists all), what
the run cost (the hours of every attempt × the catalog price of the queue's cheapest fitting instance type, or of
the Fargate size: as estimate prices it), and the command that reruns the failed items.

A workflow run (--execution-arn, e.g. what batch-pipelines start printed): the Distributed Map's item counts, each
failed item as it fails (its id, error and reason), and at the end the run's outcome, the items that did not succeed
and the command that reruns them. A fan-out without results in S3 (FanOut.results) keeps an item's failure inside
its child execution, which the Map Run counts as succeeded: such failures show at the end, from the outcomes.
Permissions: Workflow.grantWatch.

  --queue Q --run-id ID    the run's jobs
  --job-id ID              or these jobs (repeatable)
  --execution-arn ARN      or this workflow run
  --interval S             first polling interval in seconds (default 5)
${COMMON_HELP}

--json ends with a summary record {"done": true, ...}: for jobs {"counts", "failed": [...]}, for a workflow run
{"status", "items", "failed": [...], "invalid": [...], "rerun"}.

Exit codes: 0 all succeeded; 1 AWS error; 2 invalid arguments; 3 some jobs or items failed, or the run failed.
`;

/**
 * `batch-pipelines watch`. `now` is the clock the progress lines read (tests pass the fake one their client sleeps
 * on).
 */
export async function watchCommand(
  args: string[],
  io: CommandIO,
  factory = defaultClientFactory,
  now: () => number = Date.now,
): Promise<number> {
  const { values } = parseFlags('watch', {
    args,
    options: {
      ...COMMON_OPTIONS,
      queue: { type: 'string' },
      'run-id': { type: 'string' },
      'job-id': { type: 'string', multiple: true },
      'execution-arn': { type: 'string' },
      interval: { type: 'string' },
    },
  });
  if (values.help) {
    io.out(WATCH_HELP);
    return ExitCode.OK;
  }
  const jobs = values['job-id'] !== undefined || values.queue !== undefined || values['run-id'] !== undefined;
  if (values['execution-arn'] !== undefined && jobs) {
    throw CliError.usage(
      '--execution-arn follows a workflow run; --queue/--run-id and --job-id follow jobs: give one of them',
    );
  }
  if (values['execution-arn'] === undefined && !values['job-id'] && !(values.queue && values['run-id'])) {
    throw CliError.usage('give --queue and --run-id, --job-id, or --execution-arn; see batch-pipelines watch --help');
  }
  if (values['execution-arn']?.includes(':stateMachine:')) {
    throw CliError.usage(
      `--execution-arn ${values['execution-arn']} is a state machine's ARN; allowed: an execution's ARN ` +
        `(arn:aws:states:<region>:<account>:execution:<state machine>:<name>). Fix: pass the ARN batch-pipelines ` +
        `start printed (started <name>: <ARN>)`,
    );
  }
  const interval = values.interval === undefined ? 5 : Number(values.interval);
  if (!(interval > 0)) {
    throw CliError.usage(`--interval '${values.interval}' is not allowed; allowed: seconds above 0`);
  }
  const client = factory(values);
  const options = { initialMs: interval * 1000, now };
  const json = Boolean(values.json);
  if (!json) {
    // Said before the first call to AWS: a run that does not move still shows, at once, that the watch began.
    // The client's interval grows by half each poll to a minute (PollOptions).
    const then = interval < 60 ? `every ${interval}s, growing to every 1m` : `after ${interval}s, then every 1m`;
    io.out(`watching ${watchedThing(values)}: a look now, then ${then}`);
  }
  if (values['execution-arn'] !== undefined) {
    return watchRun(client, values['execution-arn'], io, json, options);
  }
  const ids =
    values['job-id'] ?? (await aws(() => client.listJobs(values.queue!, values['run-id']!))).map((j) => j.jobId);
  if (ids.length === 0) {
    throw CliError.usage(`no jobs named ${values['run-id']}-* on ${values.queue}; check --run-id and --queue`);
  }
  const run = values.queue && values['run-id'] ? { queue: values.queue, runId: values['run-id'] } : undefined;
  return watchJobs(client, ids, io, json, options, run);
}

/** What is watched, in the header line. */
function watchedThing(values: { queue?: string; 'run-id'?: string; 'job-id'?: string[]; 'execution-arn'?: string }) {
  if (values['execution-arn'] !== undefined) {
    return `workflow run ${values['execution-arn'].split(':').pop()}`;
  }
  const ids = values['job-id'];
  if (ids) {
    return `${ids.length} job(s) (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', ...' : ''})`;
  }
  return `run ${values['run-id']} on queue ${values.queue}`;
}

/** How `watchJobs` and `watchRun` poll, and the clock their lines read. */
interface WatchOptions {
  readonly initialMs: number;
  readonly now: () => number;
}

async function watchJobs(
  client: PipelineClient,
  ids: string[],
  io: CommandIO,
  json: boolean,
  { now, ...options }: WatchOptions,
  run?: { queue: string; runId: string },
): Promise<number> {
  // Drawn from the first look: the run's elapsed time counts from its first job's submission to its last one's stop.
  let progress: ProgressLine | undefined;
  let last = '';
  const final = await aws(() =>
    client.watchJobs(ids, {
      ...options,
      onProgress: (counts, span) => {
        progress ??= new ProgressLine(io, span.startedAt?.getTime() ?? now(), now);
        const detail = countsLine(counts);
        if (json) {
          if (detail !== last) {
            io.out(JSON.stringify({ time: new Date(now()).toISOString(), ...counts }));
          }
        } else {
          const total = Object.values(counts).reduce((a, b) => a + b, 0);
          progress.update({
            done: counts.SUCCEEDED + counts.FAILED,
            total,
            detail,
            endedAt: span.stoppedAt?.getTime(),
          });
        }
        last = detail;
      },
    }),
  );
  progress?.end();
  // Which jobs (or array children) failed, and why: what a person needs to act on, not only how many.
  const failed = final.FAILED > 0 ? await aws(() => client.jobFailures(ids)) : [];
  const rerun = failed.length > 0 ? await rerunCommandFor(client, ids, run) : undefined;
  const runArgs = run ? `--queue ${run.queue} --run-id ${run.runId}` : rerun?.replace('batch-pipelines rerun ', '');
  const next = runArgs ? nextCommands(runArgs, failed.length > 0) : undefined;
  // What it cost, as `estimate` prices it; a watch that cannot price (a permission, an unknown type) still reports.
  let cost: RunCost | { error: string };
  try {
    cost = await client.runCost(ids);
  } catch (e) {
    cost = { error: describeAwsError(e) };
  }
  if (json) {
    io.out(
      JSON.stringify({ done: true, time: new Date(now()).toISOString(), counts: final, failed, rerun, ...next, cost }),
    );
  } else {
    io.out(
      final.FAILED > 0
        ? `done: ${final.FAILED} failed, ${final.SUCCEEDED} succeeded`
        : `done: all ${final.SUCCEEDED} succeeded`,
    );
    printFailures(io, failed, describeJobFailure);
    io.out(describeCost(cost));
    if (rerun) {
      io.out(`rerun the failed items: ${rerun}`);
    }
    printNext(io, next);
  }
  return final.FAILED > 0 ? ExitCode.JOBS_FAILED : ExitCode.OK;
}

/** The command that reruns the failed items of the watched jobs: their run (the run tag) on their queue. */
async function rerunCommandFor(
  client: PipelineClient,
  ids: string[],
  run?: { queue: string; runId: string },
): Promise<string | undefined> {
  const job = run ? undefined : await aws(() => client.jobRunOf(ids[0]));
  const queue = run?.queue ?? job?.jobQueue;
  const runId = run?.runId ?? job?.runId;
  return queue && runId ? `batch-pipelines rerun --queue ${queue} --run-id ${runId}` : undefined;
}

async function watchRun(
  client: PipelineClient,
  executionArn: string,
  io: CommandIO,
  json: boolean,
  { now, ...options }: WatchOptions,
): Promise<number> {
  let progress: ProgressLine | undefined;
  let last = '';
  const end = await aws(() =>
    client.followExecution(executionArn, {
      ...options,
      onProgress: (p) => {
        progress ??= new ProgressLine(io, p.startDate?.getTime() ?? now(), now);
        const items = itemTotals(p);
        const detail = runLine(p, items);
        if (json) {
          if (detail !== last || p.newFailures.length > 0) {
            io.out(
              JSON.stringify({ time: new Date(now()).toISOString(), status: p.status, items, failed: p.newFailures }),
            );
          }
        } else {
          for (const f of p.newFailures) {
            progress.print(`  failed: ${describeItem(f)}`);
          }
          progress.update({
            done: items.succeeded + items.failed + items.aborted,
            total: items.total,
            detail,
            endedAt: p.stopDate?.getTime(),
          });
        }
        last = detail;
      },
    }),
  );
  progress?.end();
  const items = itemTotals(end);
  // The run's own outcome list is the authority at the end: it includes items that never started.
  const outcomes = await aws(async (): Promise<ExecutionFailures | undefined> => {
    try {
      return await client.executionFailures(executionArn);
    } catch (e) {
      // A run that kept no outcomes (it stopped before its fan-out ended): the Map Run's counts and the cause say it.
      if (PipelineErrors.isClientError(e) && (e as PipelineClientError).kind === 'state') {
        return undefined;
      }
      throw e;
    }
  });
  const failed = outcomes?.failed ?? [];
  const invalid = outcomes?.invalid ?? [];
  const rerun = failed.length > 0 ? `batch-pipelines rerun --execution-arn ${executionArn}` : undefined;
  // Logs when a job failed: an item's (its outcome says), or the run's without outcomes (a step outside a fan-out).
  const jobFailed = failed.length > 0 || (!outcomes && end.status !== 'SUCCEEDED');
  const next = nextCommands(`--execution-arn ${executionArn}`, jobFailed);
  const ok = end.status === 'SUCCEEDED' && failed.length === 0 && invalid.length === 0;
  if (json) {
    io.out(
      JSON.stringify({
        done: true,
        time: new Date(now()).toISOString(),
        status: end.status,
        error: end.error,
        items,
        failed,
        invalid,
        ...(outcomes?.cached ? { cached: outcomes.cached } : {}),
        rerun,
        ...next,
      }),
    );
    return ok ? ExitCode.OK : ExitCode.JOBS_FAILED;
  }
  // The outcomes decide what succeeded: a fan-out without `results` catches an item's failure inside its child
  // execution, which the Map Run then counts as succeeded.
  const succeeded = outcomes ? items.total - failed.length - invalid.length : items.succeeded;
  const counted = items.total > 0 ? `: ${Math.max(0, succeeded)} of ${items.total} item(s) succeeded` : '';
  io.out(`done: ${end.name} ${end.status}${counted}${end.error ? ` (${end.error})` : ''}`);
  if (!outcomes && end.status !== 'SUCCEEDED') {
    io.out(`  ${end.cause ?? 'no cause given'}`);
  }
  if (outcomes?.cached) {
    const steps = Object.entries(outcomes.cached).map(([step, n]) => `${step} ${n}`);
    io.out(`  served from the step cache (items): ${steps.join(', ')}`);
  }
  printFailures(io, failed, describeItem);
  if (invalid.length > 0) {
    io.out(`not rerunnable as they are, fix these in the manifest first:`);
    printFailures(io, invalid, describeItem);
  }
  if (rerun) {
    io.out(`rerun the ${failed.length} failed item(s): ${rerun}`);
  }
  printNext(io, next);
  return ok ? ExitCode.OK : ExitCode.JOBS_FAILED;
}

/**
 * What to look at next, for the run named by `run` (`--execution-arn A` or `--queue Q --run-id R`): the run's report
 * (where the time and money went), and the logs of its failed jobs when some failed.
 */
function nextCommands(run: string, anyFailed: boolean): { report: string; logs?: string } {
  return {
    report: `batch-pipelines report ${run}`,
    ...(anyFailed ? { logs: `batch-pipelines logs --failed ${run}` } : {}),
  };
}

function printNext(io: CommandIO, next: { report: string; logs?: string } | undefined): void {
  if (next?.logs) {
    io.out(`the failed jobs' logs: ${next.logs}`);
  }
  if (next) {
    io.out(`where the time and money went: ${next.report}`);
  }
}

/** Items over every Map Run of the execution. */
function itemTotals(p: ExecutionProgress) {
  const sum = (k: 'total' | 'pending' | 'running' | 'succeeded' | 'failed' | 'aborted') =>
    p.mapRuns.reduce((n, r) => n + r[k], 0);
  return {
    total: sum('total'),
    pending: sum('pending'),
    running: sum('running'),
    succeeded: sum('succeeded'),
    failed: sum('failed'),
    aborted: sum('aborted'),
  };
}

function runLine(p: ExecutionProgress, items: ReturnType<typeof itemTotals>): string {
  if (p.mapRuns.length === 0) {
    return p.status === 'RUNNING'
      ? 'RUNNING, no Distributed Map run yet (an inline fan-out has no item counts)'
      : p.status;
  }
  const counts = Object.entries(items)
    .filter(([k, n]) => k !== 'total' && n > 0)
    .map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`)
    .join(', ');
  return `${p.status}: ${counts || 'no items yet'}`;
}

function countsLine(counts: StatusCounts): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n.toLocaleString('en-US')}`)
    .join(', ');
}

/** The run's compute cost in one line a person compares with `estimate`'s per-item figures. */
function describeCost(cost: RunCost | { error: string }): string {
  if ('error' in cost) {
    return `cost: not computed (${cost.error})`;
  }
  const count = (n: number) => n.toLocaleString('en-US');
  const usd = (v: number) => `$${v < 100 ? v.toFixed(2) : Math.round(v).toLocaleString('en-US')}`;
  const hours = cost.jobHours < 10 ? cost.jobHours.toFixed(2) : Math.round(cost.jobHours).toLocaleString('en-US');
  const parts = [
    `cost: ${hours} job-hours (${count(cost.jobs)} job(s), ${count(cost.attempts)} attempt(s)) ≈ ${usd(cost.onDemandUsd)} On-Demand`,
  ];
  if (cost.spotUsd !== undefined) {
    parts.push(`≈ ${usd(cost.spotUsd)} on Spot at the estimate's discount`);
  }
  if (cost.succeeded > 0) {
    parts.push(
      `${usd((cost.spotUsd ?? cost.onDemandUsd) / cost.succeeded)} per succeeded item${cost.spotUsd === undefined ? '' : ' on Spot'}`,
    );
  }
  const unpriced = cost.unpricedJobHours > 0 ? `; ${cost.unpricedJobHours.toFixed(2)} job-hours not priced` : '';
  return `${parts.join(', ')} (${cost.basis.join('; ') || 'no size known'}${unpriced})`;
}
