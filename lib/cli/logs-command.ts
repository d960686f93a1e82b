import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, parseFlags, RUN_OPTIONS } from './common';
import { CliError } from './errors';
import { CommandIO, ExitCode } from './io';
import { FailedJobLog, FailedJobLogs, JobLogTail } from '../client/logs/types';
import { PipelineClient } from '../client/pipeline-client';
import { GET_LOG_EVENTS_MAX_EVENTS } from '../private/limits';

export const LOGS_HELP = `Usage: batch-pipelines logs --job-id ID [--lines N] [--follow] [options]
       batch-pipelines logs --execution-arn ARN --step NAME [--item ID] [--lines N] [--follow] [options]
       batch-pipelines logs --failed --execution-arn ARN [--lines N] [options]
       batch-pipelines logs --failed --queue Q --run-id ID [--lines N] [options]

Prints the end of a Batch job's log from CloudWatch Logs: the log group its job definition names (this library's
jobs write to their pipeline's own group; others to Batch's /aws/batch/job) and its last attempt's stream. A job
that has not started, or failed before its container ran, has no log: the command says so.

  --job-id ID              the job (an array child is <array job id>:<index>)
  --execution-arn ARN      or the job of a step in this workflow run:
  --step NAME              the step
  --item ID                the item: its id, or its index in the manifest (from 0); not for a step outside a fan-out
  --failed                 or every failed job of the run (--execution-arn, or --queue and --run-id), each headed
                           by its item, step, reason and exit code
  --queue Q --run-id ID    the run of jobs, with --failed
  --lines N                lines of each log, the last ones (default 50; 20 with --failed; at most ${GET_LOG_EVENTS_MAX_EVENTS.toLocaleString('en-US')})
  --follow                 then print each new line until the job ends (polls every --interval seconds)
  --interval S             with --follow, seconds between looks (default 5)
${COMMON_HELP}

--json prints one record: the log {"jobId", "status", "logGroupName", "logStreamName", "lines", "missing"}, or with
--failed {"run", "failed": [{"item", "step", "reason", "exitCode", "log"}]}; with --follow one {"lines"} record per
batch of new lines, then {"done": true, "status", ...}.
Permissions: Workflow.grantWatch (workflow runs) or JobQueue.grantOperate (runs of jobs, --job-id).

Exit codes: 0 done (a job without a log is said, not an error); 1 AWS error; 2 invalid arguments; 3 the followed
job failed.
`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...RUN_OPTIONS,
  'job-id': { type: 'string' },
  step: { type: 'string' },
  item: { type: 'string' },
  failed: { type: 'boolean' },
  lines: { type: 'string' },
  follow: { type: 'boolean' },
  interval: { type: 'string' },
} as const;

/** `batch-pipelines logs`. */
export async function logsCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseFlags('logs', { args, options: OPTIONS });
  if (values.help) {
    io.out(LOGS_HELP);
    return ExitCode.OK;
  }
  checkCombination(values);
  const lines = linesOf(values.lines, values.failed ? 20 : 50);
  const json = Boolean(values.json);
  const client = factory(values);
  if (values.failed) {
    const run = values['execution-arn']
      ? { executionArn: values['execution-arn'] }
      : { jobQueue: values.queue!, runId: values['run-id']! };
    const logs = await aws(() => client.failedJobLogs(run, lines));
    io.out(json ? JSON.stringify(logs) : failedText(logs, lines));
    return ExitCode.OK;
  }
  let jobId = values['job-id'];
  let heading = '';
  if (!jobId) {
    const job = await aws(() => client.itemStepJob(values['execution-arn']!, values.step!, values.item));
    jobId = job.jobId;
    heading = `${values.item === undefined ? '' : `item ${values.item} · `}step ${values.step} · `;
  }
  if (values.follow) {
    return follow(client, jobId, heading, lines, intervalOf(values.interval), io, json);
  }
  const tail = await aws(() => client.tailJobLog(jobId, lines));
  if (tail.status === undefined) {
    throw CliError.usage(
      `--job-id ${jobId}: ${tail.missing}. Fix: pass a job id as submit or watch printed it, in the region it ran in ` +
        '(--region)',
    );
  }
  io.out(json ? JSON.stringify(tail) : tailText(tail, heading));
  return ExitCode.OK;
}

type Values = ReturnType<typeof parseFlags<{ args: string[]; options: typeof OPTIONS }>>['values'];

/** One of the three ways to name a log, and only the flags that go with it. */
function checkCombination(values: Values): void {
  const arn = values['execution-arn'];
  const ofJobs = values.queue !== undefined || values['run-id'] !== undefined;
  const help = 'batch-pipelines logs --help';
  if (arn?.includes(':stateMachine:')) {
    throw CliError.usage(
      `--execution-arn ${arn} is a state machine's ARN; allowed: an execution's ARN ` +
        `(arn:aws:states:<region>:<account>:execution:<state machine>:<name>). Fix: pass the ARN batch-pipelines ` +
        `start printed (started <name>: <ARN>)`,
    );
  }
  if (values.failed) {
    if (values['job-id'] !== undefined || values.step !== undefined || values.item !== undefined || values.follow) {
      throw CliError.usage(
        `--failed prints the failed jobs of a whole run; it does not take --job-id, --step, --item or --follow. Fix: ` +
          `batch-pipelines logs --failed --execution-arn <ARN> (or --queue <Q> --run-id <ID>), or drop --failed`,
      );
    }
    if ((arn === undefined) === !(values.queue && values['run-id'])) {
      // Say what was given and what is missing: a --queue without its --run-id is not "neither".
      const given = arn
        ? 'both --execution-arn and a run of jobs'
        : values.queue
          ? '--queue without --run-id'
          : values['run-id']
            ? '--run-id without --queue'
            : 'neither';
      throw CliError.usage(
        `--failed needs one run: --execution-arn ARN, or --queue Q and --run-id ID (got ${given}). ` +
          `Fix: batch-pipelines logs --failed --execution-arn <ARN>, or --failed --queue <Q> --run-id <ID>`,
      );
    }
    return;
  }
  if (ofJobs) {
    throw CliError.usage(
      `--queue and --run-id name a run of jobs, whose logs logs prints with --failed. Fix: add --failed, or name one ` +
        `job with --job-id <ID>; see ${help}`,
    );
  }
  if ((values['job-id'] === undefined) === (arn === undefined)) {
    throw CliError.usage(
      `give --job-id ID, or --execution-arn ARN with --step (got ${arn ? 'both' : 'neither'}). Fix: batch-pipelines ` +
        'logs --job-id <ID>, or logs --execution-arn <ARN> --step <name> --item <id>, or logs --failed ...',
    );
  }
  if (arn !== undefined && values.step === undefined) {
    throw CliError.usage(
      `--execution-arn names a workflow run; say which step's job: add --step <name> (and --item <id> for a step of a ` +
        `fan-out), or --failed for every failed job of the run. Fix: batch-pipelines logs --execution-arn ${arn} ` +
        '--step <name> --item <id>',
    );
  }
  if (arn === undefined && (values.step !== undefined || values.item !== undefined)) {
    throw CliError.usage(
      `--step and --item name a job of a workflow run: they go with --execution-arn, not --job-id. Fix: drop them, ` +
        'or pass --execution-arn <ARN> instead of --job-id',
    );
  }
  if (!values.follow && values.interval !== undefined) {
    throw CliError.usage(`--interval paces --follow. Fix: add --follow, or drop --interval`);
  }
}

/** `--lines`: a whole number from 1 to GetLogEvents' page. */
function linesOf(value: string | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > GET_LOG_EVENTS_MAX_EVENTS) {
    throw CliError.usage(
      `--lines '${value}' is not allowed; allowed: a whole number from 1 to ${GET_LOG_EVENTS_MAX_EVENTS} (the most ` +
        `CloudWatch Logs returns at once). Fix: --lines ${Number.isFinite(n) && n > GET_LOG_EVENTS_MAX_EVENTS ? GET_LOG_EVENTS_MAX_EVENTS : 50}`,
    );
  }
  return n;
}

function intervalOf(value: string | undefined): number {
  const s = value === undefined ? 5 : Number(value);
  if (!(s > 0)) {
    throw CliError.usage(`--interval '${value}' is not allowed; allowed: seconds above 0. Fix: --interval 5`);
  }
  return s * 1000;
}

async function follow(
  client: PipelineClient,
  jobId: string,
  heading: string,
  lines: number,
  intervalMs: number,
  io: CommandIO,
  json: boolean,
): Promise<number> {
  if (!json) {
    io.out(`${heading}following job ${jobId} until it ends (Ctrl-C stops following, not the job)`);
  }
  const end = await aws(() =>
    client.followJobLog(jobId, {
      lines,
      intervalMs,
      onLines: (batch) => io.out(json ? JSON.stringify({ jobId, lines: batch }) : batch.join('\n')),
      onStatus: (status) => !json && io.out(`job ${jobId} is ${status}: waiting for it to start`),
    }),
  );
  if (json) {
    io.out(JSON.stringify({ done: true, ...end }));
  } else if (end.missing) {
    io.out(`no log to follow: ${end.missing}`);
  } else {
    const why = [end.statusReason, end.exitCode === undefined ? undefined : `exit code ${end.exitCode}`];
    const detail = why.filter((w) => w).join('; ');
    io.out(`job ${jobId} ${end.status}${detail ? `: ${detail}` : ''}`);
  }
  return end.status === 'FAILED' ? ExitCode.JOBS_FAILED : ExitCode.OK;
}

/** A job's log under a line saying which job, where its log is, and how many lines. */
function tailText(tail: JobLogTail, heading = '', indent = ''): string {
  const where = tail.logStreamName ? ` · ${tail.logGroupName} ${tail.logStreamName}` : '';
  const head = `${indent}${heading}job ${tail.jobId} (${tail.status ?? 'unknown'})${where}`;
  if (tail.missing) {
    return `${head}\n${indent}  no log: ${tail.missing}`;
  }
  if (tail.lines.length === 0) {
    return `${head}\n${indent}  (the log is empty)`;
  }
  return [head, ...tail.lines.map((l) => `${indent}  | ${l}`)].join('\n');
}

/** Each failed job under a heading: item, step, reason and exit code, then where its log is and its last lines. */
function failedText(logs: FailedJobLogs, lines: number): string {
  if (logs.failed.length === 0) {
    return `no failed jobs in ${logs.run}`;
  }
  const blocks = logs.failed.map((f) => `${failedHeading(f)}\n${f.log ? tailText(f.log, '', '  ') : ''}`.trimEnd());
  return [`${logs.failed.length} failed in ${logs.run}; the last ${lines} line(s) of each log:`, ...blocks].join(
    '\n\n',
  );
}

function failedHeading(f: FailedJobLog): string {
  const which = [f.item ? `item ${f.item}` : undefined, f.step ? `step ${f.step}` : undefined].filter((p) => p);
  const exit = f.exitCode === undefined ? '' : ` · exit code ${f.exitCode}`;
  return `== ${which.join(' · ')}: ${f.reason}${exit}`;
}
