import { splitFix } from './aws-errors';
import { CANCEL_HELP, cancelCommand } from './cancel-command';
import { DIAGNOSE_HELP, diagnoseCommand } from './diagnose-command';
import { CliError, EXIT_CODE_OF } from './errors';
import { ESTIMATE_HELP, estimateCommand } from './estimate-command';
import { CommandIO, ExitCode } from './io';
import { LOGS_HELP, logsCommand } from './logs-command';
import { REPORT_HELP, reportCommand } from './report-command';
import { RERUN_HELP, rerunCommand } from './rerun-command';
import { RIGHTSIZE_HELP, rightsizeCommand } from './rightsize-command';
import { SPEND_HELP, spendCommand } from './spend-command';
import { START_HELP, startCommand } from './start-command';
import { SUBMIT_HELP, submitCommand } from './submit-command';
import { WATCH_HELP, watchCommand } from './watch-command';

export const MAIN_HELP = `Usage: batch-pipelines <command> [options]

Commands:
  submit     submit a run's items as Batch jobs (array jobs, idempotent on retry)
  start      start a workflow execution over a manifest in S3 (once per manifest)
  rerun      start a new run over the items of a finished run that failed
  watch      follow jobs or a workflow run until done, naming what failed and why
  diagnose   explain jobs stuck in RUNNABLE and how to fix them
  cancel     cancel a run's queued jobs and terminate its running ones
  logs       print a job's log, an item's step's, or every failed job's (CloudWatch Logs)
  report     write one HTML page about a run: timeline, per-step time and cost, failures with logs
  rightsize  per step: memory and vCPU asked vs used (Container Insights), a size that fits and what it saves
  estimate   what a workload costs a month and how long a burst takes (no AWS calls)
  spend      what a pipeline actually cost by day or week (Cost Explorer, by its tag) beside its runs and estimate

Run batch-pipelines <command> --help for a command's options.

Exit codes: 0 success; 1 AWS or runtime error; 2 invalid arguments; 3 watched jobs or items failed, or stuck jobs found.

Region, profile and credentials come from the standard AWS SDK configuration chain (AWS_REGION, AWS_PROFILE, ...).
`;

type Command = (args: string[], io: CommandIO) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  submit: { run: (a, io) => submitCommand(a, io), help: SUBMIT_HELP },
  start: { run: (a, io) => startCommand(a, io), help: START_HELP },
  rerun: { run: (a, io) => rerunCommand(a, io), help: RERUN_HELP },
  watch: { run: (a, io) => watchCommand(a, io), help: WATCH_HELP },
  diagnose: { run: (a, io) => diagnoseCommand(a, io), help: DIAGNOSE_HELP },
  cancel: { run: (a, io) => cancelCommand(a, io), help: CANCEL_HELP },
  logs: { run: (a, io) => logsCommand(a, io), help: LOGS_HELP },
  report: { run: (a, io) => reportCommand(a, io), help: REPORT_HELP },
  rightsize: { run: (a, io) => rightsizeCommand(a, io), help: RIGHTSIZE_HELP },
  estimate: { run: estimateCommand, help: ESTIMATE_HELP },
  spend: { run: (a, io) => spendCommand(a, io), help: SPEND_HELP },
};

/** Runs the command line; returns the exit code. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(MAIN_HELP);
    return name ? ExitCode.OK : ExitCode.USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`batch-pipelines: unknown command '${name}'; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return ExitCode.USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    // A command's own failures are CliErrors of a kind; anything else is a bug, reported with its name.
    const error = CliError.isCliError(e) ? e : new CliError('runtime', `${(e as Error).name}: ${(e as Error).message}`);
    const code = EXIT_CODE_OF[error.kind];
    if (rest.includes('--json')) {
      // Every line on stdout stays JSON: the error is the last record, where a reader of the stream looks.
      io.out(
        JSON.stringify({ error: { command: name, kind: error.kind, ...splitFix(error.message), exitCode: code } }),
      );
    } else {
      io.err(`batch-pipelines ${name}: ${error.message}`);
    }
    return code;
  }
}
