import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, parseFlags, RUN_OPTIONS } from './common';
import { CliError } from './errors';
import { CommandIO, ExitCode } from './io';
import { RightsizeTarget } from '../client/rightsize';
import { formatRightsize } from '../cost/rightsize-format';
import { RIGHTSIZE_HEADROOM, RIGHTSIZE_MIN_JOBS } from '../private/limits';

export const RIGHTSIZE_HELP = `Usage: batch-pipelines rightsize --execution-arn ARN [options]
       batch-pipelines rightsize --queue Q --run-id ID [options]
       batch-pipelines rightsize --queue Q --since 7d [options]

Per step: the memory and vCPUs its jobs asked for against the p50/p95/max they used (read from CloudWatch Container
Insights: each ECS task's "Type": "Task" performance events, joined to the Batch job by its attempts' task ARN); a
recommended size (the measured max + ${Math.round(RIGHTSIZE_HEADROOM * 100)}%, rounded up to whole GiB and vCPUs;
vCPUs never above the request), checked against the queue's instance types and priced by the cost model; the prop to
change; a warning when a measured peak is within 10% of the request (out-of-memory risk). Steps with fewer than
--min-jobs measured jobs say so instead of advising.

Needs Container Insights on the queue's compute environment while the jobs run:
  new Ec2Capacity(this, 'Spot', { vpc, containerInsights: ecs.ContainerInsights.ENABLED })

  --execution-arn ARN      a workflow run (its jobs on the queues its state machine names), by step
  --queue Q --run-id ID    or a run of jobs submitted with batch-pipelines submit, by stage
  --queue Q --since T      or every job created on the queue since T (7d, 36h, or an ISO date), by job definition
  --items-per-week N       the workload the saving is priced at (default: 500 a week)
  --items-per-month N      or the same a month
  --hours-per-item H       hours a job runs at that workload (default: each step's measured mean)
  --headroom PCT           percent over the measured max (default: ${Math.round(RIGHTSIZE_HEADROOM * 100)})
  --min-jobs N             fewest measured jobs a step needs for advice (default: ${RIGHTSIZE_MIN_JOBS})
${COMMON_HELP}

Permissions: Workflow.grantWatch for a workflow run, JobQueue.grantOperate for a queue (both include the Batch reads
and logs:FilterLogEvents on /aws/ecs/containerinsights/*/performance).

Exit codes: 0 advice printed (or too few measured jobs, said per step); 1 AWS error; 2 invalid arguments, or no job
of the run has Container Insights measurements.
`;

/** `batch-pipelines rightsize`. */
export async function rightsizeCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseFlags('rightsize', {
    args,
    options: {
      ...COMMON_OPTIONS,
      ...RUN_OPTIONS,
      since: { type: 'string' },
      'items-per-week': { type: 'string' },
      'items-per-month': { type: 'string' },
      'hours-per-item': { type: 'string' },
      headroom: { type: 'string' },
      'min-jobs': { type: 'string' },
    },
  });
  if (values.help) {
    io.out(RIGHTSIZE_HELP);
    return ExitCode.OK;
  }
  const target = targetOf(values, Date.now());
  if (values['items-per-week'] !== undefined && values['items-per-month'] !== undefined) {
    throw CliError.usage(
      '--items-per-week and --items-per-month both give the workload; allowed: one of them. Fix: drop --items-per-month',
    );
  }
  const perWeek = num('items-per-week', values['items-per-week'], 0);
  const perMonth = num('items-per-month', values['items-per-month'], 0);
  const headroom = num('headroom', values.headroom, 0);
  const minJobs = num('min-jobs', values['min-jobs'], 1, true);
  const hoursPerItem = num('hours-per-item', values['hours-per-item'], Number.MIN_VALUE);
  const client = factory(values);
  const result = await aws(() =>
    client.rightsize(target, {
      itemsPerMonth: perMonth ?? (perWeek !== undefined ? (perWeek * 52) / 12 : undefined),
      hoursPerItem,
      headroom: headroom !== undefined ? headroom / 100 : undefined,
      minJobs,
    }),
  );
  if (values.json) {
    io.out(JSON.stringify(result));
    return ExitCode.OK;
  }
  io.out(`${result.target}: checked against and priced on the instance types of queue ${result.queue}`);
  io.out(formatRightsize(result.advice));
  for (const note of result.notes) {
    io.out(`note: ${note}`);
  }
  return ExitCode.OK;
}

type Values = Record<string, string | boolean | undefined>;

/** The run, execution or period asked for; every wrong combination is a usage error with its fix. */
function targetOf(values: Values, now: number): RightsizeTarget {
  const arn = values['execution-arn'] as string | undefined;
  const queue = values.queue as string | undefined;
  const runId = values['run-id'] as string | undefined;
  const since = values.since as string | undefined;
  if (arn !== undefined && (queue !== undefined || runId !== undefined || since !== undefined)) {
    throw CliError.usage(
      '--execution-arn reads a workflow run; --queue with --run-id or --since reads jobs on a queue: give one. Fix: ' +
        'drop --queue, --run-id and --since, or --execution-arn',
    );
  }
  if (arn !== undefined) {
    if (arn.includes(':stateMachine:')) {
      throw CliError.usage(
        `--execution-arn ${arn} is a state machine's ARN; allowed: an execution's ARN ` +
          '(arn:aws:states:<region>:<account>:execution:<state machine>:<name>). Fix: pass the ARN batch-pipelines ' +
          'start printed (started <name>: <ARN>)',
      );
    }
    return { executionArn: arn };
  }
  if (runId !== undefined && since !== undefined) {
    throw CliError.usage('--run-id reads one run; --since every job of a period: give one. Fix: drop --since');
  }
  if (queue === undefined || (runId === undefined && since === undefined)) {
    throw CliError.usage(
      `rightsize needs ${queue === undefined && (runId !== undefined || since !== undefined) ? '--queue' : '--execution-arn, or --queue with --run-id or --since'}. ` +
        'Fix: batch-pipelines rightsize --execution-arn <ARN start printed>, or batch-pipelines rightsize --queue ' +
        '<queue> --since 7d',
    );
  }
  return runId !== undefined ? { jobQueue: queue, runId } : { jobQueue: queue, since: sinceOf(since!, now) };
}

/** `7d`, `36h`, `90m` before now, or an ISO date. */
export function sinceOf(value: string, now: number): number {
  const m = /^(\d+(?:\.\d+)?)([dhm])$/.exec(value);
  if (m) {
    return now - Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
  }
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(t) || t > now) {
    throw CliError.usage(
      `--since '${value}' is not allowed; allowed: a period back from now (7d, 36h, 90m) or a past ISO date ` +
        '(2026-12-01 or 2026-12-01T08:00:00Z). Fix: --since 7d',
    );
  }
  return t;
}

function num(name: string, value: string | undefined, min: number, integer = false): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    const allowed = `${integer ? 'a whole number' : 'a number'} ${min === Number.MIN_VALUE ? 'above 0' : `>= ${min}`}`;
    const example = { headroom: 20, 'min-jobs': 5, 'items-per-week': 500, 'items-per-month': 2167 }[name] ?? 4;
    throw CliError.usage(`--${name} '${value}' is not allowed; allowed: ${allowed}. Fix: --${name} ${example}`);
  }
  return n;
}
