import { existsSync, statSync, writeFileSync } from 'fs';
import { dirname, resolve } from 'path';
import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, parseFlags, RUN_OPTIONS } from './common';
import { CliError } from './errors';
import { CommandIO, ExitCode } from './io';
import { RunReport } from '../client/report/types';
import { renderReportHtml } from '../report/html';

export const REPORT_HELP = `Usage: batch-pipelines report --execution-arn ARN [--out FILE] [--json] [options]
       batch-pipelines report --queue Q --run-id ID [--out FILE] [--json] [options]

Writes one self-contained HTML file about a run (it loads nothing when opened: styles inline, the timeline inline
SVG) and prints its path:
  - a timeline of every item's steps over wall-clock time, each attempt coloured by how it ended (waiting for
    capacity, running, Spot interruption, out-of-memory escalation, On-Demand fallback, failure); past 120 item
    steps, one lane per step (items running and waiting over time) and the 20 slowest items in detail;
  - per step: items, succeeded, failed, served from the step cache, median and p95 of queued and run time,
    job-hours, cost On-Demand and at the Spot discount (as watch prices it), Spot interruptions, escalations;
  - where the time went: running vs waiting for capacity, the critical path, the slowest items;
  - failures: reason, exit code, the last 20 lines of the log (of the first 20 failures), the logs and rerun
    commands;
  - the estimate beside the actual: what estimateCost predicts for each step's items against what the run used.
The run may still be running: what has not ended ends at the time of the report.

  --execution-arn ARN      a workflow run (its jobs are found on the queues its state machine names)
  --queue Q --run-id ID    or a run of jobs submitted with batch-pipelines submit
  --out FILE               where to write the page (default: ./report-<run>.html)
${COMMON_HELP}

--json prints the report's data (the same figures the page shows) on stdout as one JSON object, and the page's path
on stderr.
Permissions: Workflow.grantWatch for a workflow run, JobQueue.grantOperate for a run of jobs (both include the
Batch reads and the jobs' log lines, as batch-pipelines logs reads them).

Exit codes: 0 written (whatever the run's outcome: the report says it); 1 AWS error; 2 invalid arguments.
`;

/** `batch-pipelines report`. */
export async function reportCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseFlags('report', {
    args,
    options: {
      ...COMMON_OPTIONS,
      ...RUN_OPTIONS,
      out: { type: 'string' },
    },
  });
  if (values.help) {
    io.out(REPORT_HELP);
    return ExitCode.OK;
  }
  const arn = values['execution-arn'];
  const jobs = values.queue !== undefined || values['run-id'] !== undefined;
  if (arn !== undefined && jobs) {
    throw CliError.usage(
      '--execution-arn reports a workflow run; --queue/--run-id a run of jobs: give one of them. Fix: drop ' +
        '--queue and --run-id, or --execution-arn',
    );
  }
  if (arn === undefined && !(values.queue && values['run-id'])) {
    const missing = values.queue
      ? '--run-id'
      : values['run-id']
        ? '--queue'
        : '--execution-arn, or --queue and --run-id';
    throw CliError.usage(
      `report needs ${missing}. Fix: batch-pipelines report --execution-arn <ARN start printed>, or ` +
        'batch-pipelines report --queue <queue> --run-id <id submit printed>',
    );
  }
  if (arn?.includes(':stateMachine:')) {
    throw CliError.usage(
      `--execution-arn ${arn} is a state machine's ARN; allowed: an execution's ARN ` +
        `(arn:aws:states:<region>:<account>:execution:<state machine>:<name>). Fix: pass the ARN batch-pipelines ` +
        `start printed (started <name>: <ARN>)`,
    );
  }
  const name = arn ? arn.split(':').pop()! : values['run-id']!;
  const out = resolve(values.out ?? `report-${name.replace(/[^\w.-]/g, '_')}.html`);
  checkOut(values.out ?? out, out);
  const client = factory(values);
  const report: RunReport = await aws(() =>
    arn ? client.executionReport(arn) : client.jobsReport(values.queue!, values['run-id']!),
  );
  writeFileSync(out, renderReportHtml(report));
  if (values.json) {
    io.out(JSON.stringify(report));
    io.err(`wrote ${out}`);
  } else {
    const failed = report.failures.length;
    io.out(
      `${report.run.name} ${report.run.status}: ${report.items} item(s), ${report.attempts} attempt(s), ` +
        `${failed} failed item step(s)`,
    );
    io.out(out);
  }
  return ExitCode.OK;
}

/** The page's file must be writable: its folder exists and it is not a folder itself. Checked before AWS is read. */
function checkOut(given: string, path: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw CliError.usage(
      `--out ${given} is a directory; allowed: a file path. Fix: --out ${given.replace(/\/$/, '')}/report.html`,
    );
  }
  if (!existsSync(dirname(path))) {
    throw CliError.usage(
      `--out ${given}: its directory ${dirname(path)} does not exist; allowed: a file in an existing directory. ` +
        `Fix: mkdir -p ${dirname(path)}, or --out ./report.html`,
    );
  }
}
