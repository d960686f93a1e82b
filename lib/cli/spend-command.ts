import { existsSync } from 'fs';
import { BatchClient } from '@aws-sdk/client-batch';
import { aws, COMMON_OPTIONS, parseFlags } from './common';
import { CliError } from './errors';
import { CommandIO, ExitCode } from './io';
import { PipelineClient } from '../client/pipeline-client';
import { COST_EXPLORER_REGION, loadCostExplorerSdk } from '../client/spend/cost-explorer';
import { estimateFromAssembly, proRate, SpendEstimate } from '../client/spend/estimate';
import { addDays, dayMs, daysBetween, isoDay } from '../client/spend/periods';
import { SpendReport } from '../client/spend/types';
import { PIPELINE_TAG_KEY } from '../contract/cost-tag';

export const SPEND_HELP = `Usage: batch-pipelines spend --pipeline NAME [--days N | --start DAY [--end DAY]] [--by day|week] [options]
       batch-pipelines spend --activate-tag [options]

What a pipeline actually cost, from Cost Explorer (GetCostAndUsage, unblended USD), for what carries its
cost-allocation tag ${PIPELINE_TAG_KEY}=NAME, by day or week and by service; beside it the list price of the
jobs Batch ran in the period (as watch prices them) and the stack's estimate (its CostReport in cdk.out), with the
differences it can explain (idle capacity, NAT, logs, storage).

  --pipeline NAME          the tag's value: the stack's name, unless PipelineTag.set gave another (required)
  --days N                 the last N days, today included (default 14)
  --start DAY              or from DAY (YYYY-MM-DD, UTC) ...
  --end DAY                ... to DAY, included (default today)
  --by day|week            a row a day, or a week, Monday to Sunday (default day; Cost Explorer has no weekly
                           granularity: weeks are summed from its days)
  --skip-runs              do not price the period's jobs from Batch's records
  --stack NAME             the stack whose estimate to show (default: --pipeline)
  --assembly DIR           the cloud assembly holding it (default cdk.out, when there is one)
  --estimate-monthly-usd N or compare with this monthly estimate instead
  --activate-tag           activate ${PIPELINE_TAG_KEY} as a cost allocation tag, then stop
AWS:
  --region R               the pipeline's region, for its Batch jobs (Cost Explorer is always us-east-1)
  --profile P              profile (default: AWS_PROFILE or default)
  --endpoint URL           a different endpoint for both (a local test server)
Output:
  --json                   machine-readable output
  -h, --help               this help

The tag must be activated as a cost allocation tag before Cost Explorer reports it, and only usage after activation
counts: in the Billing console (Cost allocation tags) or with --activate-tag, from the management account. The key
appears there only once a tagged resource has been billed. Data arrive about 24 hours after the usage; a tag not
(yet) active returns nothing, and the command says so.
Each Cost Explorer request costs $0.01 (one per page; a few weeks by service is one page).
Permissions: PipelineTag.grantSpend (ce:GetCostAndUsage, ce:ListCostAllocationTags; Cost Explorer has no
resource-level permissions, so it reads the account's cost data) and JobQueue.grantOperate for the jobs;
--activate-tag needs ce:UpdateCostAllocationTagsStatus.

--json prints the report: {"tag", "start", "end", "by", "periods": [{"start", "end", "usd", "services",
"estimated", "partial"}], "services", "usd", "requests", "runs", "differences", "notes", "estimate"}.

Exit codes: 0 report printed (an empty bill is said, not an error); 1 AWS error; 2 invalid arguments.
`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  pipeline: { type: 'string' },
  days: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  by: { type: 'string' },
  'skip-runs': { type: 'boolean' },
  stack: { type: 'string' },
  assembly: { type: 'string' },
  'estimate-monthly-usd': { type: 'string' },
  'activate-tag': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseFlags<{ args: string[]; options: typeof OPTIONS }>>['values'];

/** A PipelineClient with the Batch and Cost Explorer clients `spend` needs; tests inject their own. */
export type SpendClientFactory = (flags: { region?: string; profile?: string; endpoint?: string }) => PipelineClient;

export const spendClientFactory: SpendClientFactory = (flags) => {
  if (flags.profile) {
    process.env.AWS_PROFILE = flags.profile;
  }
  // One SDK attempt each: the PipelineClient retries throttling itself.
  const config = { endpoint: flags.endpoint, maxAttempts: 1 };
  const { CostExplorerClient } = loadCostExplorerSdk();
  return new PipelineClient({
    batch: new BatchClient({ ...config, region: flags.region }),
    costExplorer: new CostExplorerClient({ ...config, region: COST_EXPLORER_REGION }),
  });
};

/** `batch-pipelines spend`. */
export async function spendCommand(
  args: string[],
  io: CommandIO,
  factory: SpendClientFactory = spendClientFactory,
  now: () => number = Date.now,
): Promise<number> {
  const { values } = parseFlags('spend', { args, options: OPTIONS });
  if (values.help) {
    io.out(SPEND_HELP);
    return ExitCode.OK;
  }
  const json = Boolean(values.json);
  if (values['activate-tag']) {
    const errors = await costExplorerCall(() => factory(values).activateCostTag());
    if (errors.length > 0) {
      throw new CliError(
        'aws',
        `Cost Explorer did not activate ${PIPELINE_TAG_KEY}: ${errors.join('; ')}. Fix: run it from the ` +
          'management account once a tagged resource has been billed (the key is listed from then on, up to 24 ' +
          'hours after deploy), or activate it in the Billing console under Cost allocation tags',
      );
    }
    io.out(
      json
        ? JSON.stringify({ activated: PIPELINE_TAG_KEY })
        : `Activated ${PIPELINE_TAG_KEY} as a cost allocation tag: usage from now on is reported by it, about 24 ` +
            'hours later.',
    );
    return ExitCode.OK;
  }
  const pipeline = values.pipeline;
  if (pipeline === undefined) {
    throw CliError.usage(
      `--pipeline is required: the value of the pipeline's ${PIPELINE_TAG_KEY} tag. Fix: batch-pipelines spend ` +
        '--pipeline <stack name> (or the name PipelineTag.set gave)',
    );
  }
  const { start, end } = periodOf(values, now());
  const by = byOf(values.by);
  const estimate = estimateOf(values, pipeline, daysBetween(start, end));
  const report = await costExplorerCall(() =>
    factory(values).spend({ pipeline, start, end, by, runs: !values['skip-runs'] }),
  );
  io.out(
    json
      ? JSON.stringify({ ...report, estimate: estimate.estimate ?? null, estimateMissing: estimate.missing })
      : spendText(report, estimate),
  );
  return ExitCode.OK;
}

/**
 * Cost Explorer's own failures, with their fix: access denied names the grant (the shared AWS error line names the
 * Batch grants), and an account whose Cost Explorer is not enabled yet says how to enable it.
 * https://docs.aws.amazon.com/cost-management/latest/userguide/ce-enable.html
 */
async function costExplorerCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const { name, message = '' } = e as { name?: string; message?: string };
    const line = message.split('\n')[0];
    if (name === 'DataUnavailableException') {
      throw new CliError(
        'aws',
        `Cost Explorer has no data for this account (${name}: ${line}). Fix: enable Cost Explorer in the Billing ` +
          'and Cost Management console (it prepares the data in about 24 hours), then run spend again',
      );
    }
    if ((name === 'AccessDeniedException' || name === 'AccessDenied') && /\bce:/.test(line)) {
      throw new CliError(
        'aws',
        `access denied: ${line}. Fix: PipelineTag.grantSpend(<your role>) grants ce:GetCostAndUsage and ` +
          'ce:ListCostAllocationTags (--activate-tag needs ce:UpdateCostAllocationTagsStatus in the management ' +
          "account); the period's jobs need JobQueue.grantOperate",
      );
    }
    // Everything else as every command reports AWS's errors.
    return aws(() => Promise.reject(e));
  }
}

/** The days asked for: `--days` back from today, or `--start` to `--end` (included), as Cost Explorer's range. */
export function periodOf(values: Values, nowMs: number): { start: string; end: string } {
  const today = isoDay(nowMs);
  if (values.days !== undefined && (values.start !== undefined || values.end !== undefined)) {
    throw CliError.usage(
      `--days ${values.days} and --start/--end both name the period; allowed: one of them. Fix: drop --days, or ` +
        'drop --start and --end',
    );
  }
  for (const flag of ['start', 'end'] as const) {
    const v = values[flag];
    if (v !== undefined && Number.isNaN(dayMs(v))) {
      throw CliError.usage(`--${flag} '${v}' is not a day; allowed: YYYY-MM-DD (UTC). Fix: --${flag} ${today}`);
    }
  }
  if (values.start !== undefined) {
    const last = values.end ?? today;
    if (last < values.start) {
      throw CliError.usage(
        `--end ${last} is before --start ${values.start}; allowed: an end on or after the start. Fix: --start ` +
          `${last} --end ${values.start}`,
      );
    }
    return { start: values.start, end: addDays(last, 1) };
  }
  if (values.end !== undefined) {
    throw CliError.usage(
      `--end ${values.end} without --start; allowed: --end with --start. Fix: --start ${addDays(values.end, -13)} ` +
        `--end ${values.end}`,
    );
  }
  const days = values.days === undefined ? 14 : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    throw CliError.usage(
      `--days '${values.days}' is not allowed; allowed: a whole number of days from 1 to 365 (Cost Explorer keeps ` +
        'daily data about a year back). Fix: --days 14',
    );
  }
  const end = addDays(today, 1);
  return { start: addDays(end, -days), end };
}

function byOf(by: string | undefined): 'day' | 'week' {
  if (by === undefined || by === 'day' || by === 'week') {
    return by ?? 'day';
  }
  const guess = /^w/i.test(by) ? 'week' : 'day';
  throw CliError.usage(`--by '${by}' is not allowed; allowed: day or week. Fix: --by ${guess}`);
}

/** The estimate to compare with: `--estimate-monthly-usd`, else the stack's CostReport in the cloud assembly. */
function estimateOf(values: Values, pipeline: string, days: number): { estimate?: SpendEstimate; missing?: string } {
  const given = values['estimate-monthly-usd'];
  if (given !== undefined) {
    const monthlyUsd = Number(given);
    if (!Number.isFinite(monthlyUsd) || monthlyUsd < 0) {
      throw CliError.usage(
        `--estimate-monthly-usd '${given}' is not allowed; allowed: a number of USD a month, 0 or more. Fix: ` +
          '--estimate-monthly-usd 1728 (what batch-pipelines estimate or cdk synth printed)',
      );
    }
    return {
      estimate: {
        source: '--estimate-monthly-usd',
        basis: 'as given',
        monthlyUsd,
        periodUsd: proRate(monthlyUsd, days),
      },
    };
  }
  const dir = values.assembly ?? 'cdk.out';
  if (values.assembly === undefined && !existsSync(dir)) {
    return { missing: 'no cdk.out here: pass --assembly DIR or --estimate-monthly-usd N to compare with an estimate' };
  }
  return estimateFromAssembly(dir, values.stack ?? pipeline, days);
}

const usd = (v: number) => `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** The report for people. */
export function spendText(report: SpendReport, estimate: { estimate?: SpendEstimate; missing?: string }): string {
  const days = daysBetween(report.start, report.end);
  const lines = [
    `Spend of pipeline ${report.tag.value} (${report.tag.key}=${report.tag.value}), ${report.start} to ` +
      `${addDays(report.end, -1)} (${days} ${days === 1 ? 'day' : 'days'}), from Cost Explorer (unblended USD):`,
    '',
    `  ${report.by === 'day' ? 'day       ' : 'week of   '}  ${'total'.padStart(10)}  top services`,
  ];
  for (const p of report.periods) {
    const top = p.services
      .slice(0, 3)
      .map((s) => `${s.service} ${usd(s.usd)}`)
      .join(', ');
    const flags = [p.partial ? `${daysBetween(p.start, p.end)} days` : '', p.estimated ? 'estimated' : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${p.start}  ${usd(p.usd).padStart(10)}  ${top || '-'}${flags ? `  (${flags})` : ''}`);
  }
  lines.push(`  ${'total'.padEnd(10)}  ${usd(report.usd).padStart(10)}`, '');
  if (report.services.length > 0) {
    lines.push('By service:');
    const width = Math.max(...report.services.map((s) => s.service.length));
    for (const s of report.services) {
      lines.push(`  ${s.service.padEnd(width)}  ${usd(s.usd).padStart(10)}`);
    }
    lines.push('');
  }
  lines.push('Beside it:');
  if (report.runs) {
    const r = report.runs;
    const price = r.cost.spotUsd !== undefined ? `at Spot (${usd(r.cost.onDemandUsd)} On-Demand)` : 'On-Demand';
    lines.push(
      r.queues.length === 0
        ? '  runs: no job queue carries the tag in this Region'
        : `  runs: ${r.cost.jobs.toLocaleString('en-US')} jobs (${r.cost.attempts.toLocaleString('en-US')} ` +
            `attempts, ${Math.round(r.cost.jobHours).toLocaleString('en-US')} job-hours) on ${r.queues.join(', ')}: ` +
            `${usd(r.usd)} ${price} at list prices` +
            (r.cost.unpricedJobHours > 0 ? `; ${Math.round(r.cost.unpricedJobHours)} job-hours not priced` : ''),
    );
  } else {
    lines.push('  runs: not priced (--skip-runs)');
  }
  if (estimate.estimate) {
    const e = estimate.estimate;
    lines.push(
      `  estimate: ${usd(e.periodUsd)} for ${days} ${days === 1 ? 'day' : 'days'} (${usd(e.monthlyUsd)} a month, ` +
        `${e.basis}; ${e.source})`,
    );
  } else {
    lines.push(`  estimate: none (${estimate.missing})`);
  }
  if (report.differences.length > 0) {
    lines.push('', 'Differences it can explain:');
    for (const d of report.differences) {
      lines.push(`  - ${d.what} ${usd(d.usd)}: ${d.explanation}`);
    }
  }
  lines.push('', ...report.notes.map((n) => `Note: ${n}`));
  lines.push(`(${report.requests} Cost Explorer ${report.requests === 1 ? 'request' : 'requests'}, $0.01 each)`);
  return lines.join('\n');
}
