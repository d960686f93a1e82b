import { Size } from 'aws-cdk-lib';
import { parseFlags } from './common';
import { CliError } from './errors';
import { CommandIO } from './io';
import { quotaGroupOf } from '../client/ec2-quotas';
import { InstanceCatalog } from '../compute/instance-catalog';
import { PipelineErrors } from '../core/validation-error';
import { count as plural } from '../private/plural';
import { estimateCost, formatCostTable } from '../cost/cost-model';
import {
  CostAssumptions,
  CostEstimate,
  CostInputNames,
  FixedCosts,
  LIBRARY_INPUT_NAMES,
  Workload,
} from '../cost/cost-types';

export const ESTIMATE_HELP = `Usage: batch-pipelines estimate [options]

What a workload costs a month on Batch (On-Demand, Spot, Fargate, Fargate Spot) against always-on fleets, the
floor, whether the capacity keeps up, and how long a burst takes. Compute only unless you ask for the fixed costs
below. No AWS calls: prices come from the library's instance catalog.

Workload:
  --items-per-day N        items (samples) arriving a day     (give one of the three;
  --items-per-week N       items arriving a week               a month is 365/12 days
  --items-per-month N      items arriving a month              or 52/12 weeks)
  --hours H                hours one item's job runs          (required)
  --vcpus N                vCPUs per job                      (required)
  --memory-gib N           memory per job, GiB                (required)
  --gpus N                 GPUs per job                       (default 0)
  --concurrency N          jobs at once                       (default 50)
  --burst N                items arriving at once             (default: a day's items once a day with
                                                              --items-per-day, else a week's once a week)
Capacity and prices:
  --instance-types A,B     EC2 instance types                 (default r5, r6i, r7i in xlarge..4xlarge)
  --max-vcpus N            compute environment maxvCpus       (default: enough for --concurrency)
  --spot-discount F        Spot discount, 0..1                (default 0.65)
  --interruptions-per-hour F  Spot interruptions per instance-hour (default 0.03)
  --rerun-overhead F       Spot re-run overhead, instead of deriving it (e.g. 0.15)
  --checkpointing          jobs checkpoint (an interruption loses 5%, not 50%)
  --dedicated-utilization F   utilization of an always-on fleet (default 0.85)
Beyond compute (each priced in its own block when given; us-east-1 list prices):
  --nat-gateways N         NAT gateways, $0.045 an hour each  (default: not priced)
  --kms-keys N             customer-managed KMS keys, $1 a month each (default: not priced)
  --alarms N               standard CloudWatch alarms, $0.10 a month each (default: not priced)
  --transitions-per-item N Step Functions Standard state transitions per item, $0.025 per 1,000
                                                              (default: not priced)
Output:
  --json                   machine-readable estimate
  -h, --help               this help

A new AWS account's EC2 vCPU quotas are small (5 vCPUs of Standard instances On-Demand and 5 on Spot, 0 of GPU
and other groups): when the concurrency planned needs more, the estimate says which quotas to raise.

Exit codes: 0 estimate printed; 2 invalid input (the message says which and what is allowed).

Examples (the reference genomics workload; 2,000 videos a day, 15 minutes each):
  batch-pipelines estimate --items-per-week 500 --hours 4 --vcpus 4 --memory-gib 30 --concurrency 50
  batch-pipelines estimate --items-per-day 2000 --hours 0.25 --vcpus 2 --memory-gib 4
`;

/** What the estimate's messages call its inputs here: this command's flags, memory in GiB as typed. */
const CLI_INPUT_NAMES: CostInputNames = {
  ...LIBRARY_INPUT_NAMES,
  itemsPerMonth: '--items-per-month',
  hoursPerItem: '--hours',
  vcpus: '--vcpus',
  memory: '--memory-gib',
  gpus: '--gpus',
  maxConcurrency: '--concurrency',
  burstSize: '--burst',
  instanceTypes: '--instance-types',
  maxvCpus: '--max-vcpus',
  spotDiscount: '--spot-discount',
  spotInterruptionsPerHour: '--interruptions-per-hour',
  spotRerunOverhead: '--rerun-overhead',
  dedicatedUtilization: '--dedicated-utilization',
  natGateways: '--nat-gateways',
  kmsKeys: '--kms-keys',
  alarms: '--alarms',
  stateTransitionsPerItem: '--transitions-per-item',
  areFlags: true,
};

function num(
  name: string,
  value: string | undefined,
  opts: { integer?: boolean; min?: number } = {},
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw CliError.usage(
      `--${name} '${value}' is not allowed; allowed: ${opts.integer ? 'a whole number' : 'a number'}` +
        `${opts.min !== undefined ? ` >= ${opts.min}` : ''}`,
    );
  }
  return n;
}

/**
 * How many of each rate flag's period make a month: 365/12 days (the 730-hour month of the cost model's prices, so a
 * day's burst recurs every 24 h) and 52/12 weeks (the cost model's default burst, a week's items, is
 * itemsPerMonth × 12 / 52).
 */
const PERIODS_A_MONTH = { day: 365 / 12, week: 52 / 12, month: 1 } as const;
type Period = keyof typeof PERIODS_A_MONTH;

/**
 * The monthly item rate from the one rate flag given, and the burst it implies: a day's items once a day for
 * `--items-per-day` (a daily workload drains daily); otherwise the cost model's default, a week's items once a week.
 */
function itemRate(values: Partial<Record<`items-per-${Period}`, string>>): {
  itemsPerMonth: number;
  burstSize?: number;
} {
  const given = (Object.keys(PERIODS_A_MONTH) as Period[])
    .map((period) => ({ period, n: num(`items-per-${period}`, values[`items-per-${period}`], { min: 0 }) }))
    .filter((g): g is { period: Period; n: number } => g.n !== undefined);
  if (given.length === 0) {
    throw CliError.usage(
      'how many items arrive is required: give --items-per-day, --items-per-week or --items-per-month. ' +
        'Fix: e.g. --items-per-day 2000; see batch-pipelines estimate --help',
    );
  }
  if (given.length > 1) {
    const flags = given.map((g) => `--items-per-${g.period} ${g.n}`);
    // Each rate in items a month, so the user sees which of them they meant.
    const monthly = given
      .filter((g) => g.period !== 'month')
      .map((g) => `${count(g.n)} a ${g.period} is ${count(g.n * PERIODS_A_MONTH[g.period])} a month`)
      .join(', ');
    throw CliError.usage(
      `${flags.slice(0, -1).join(', ')} and ${flags[flags.length - 1]} were ${given.length > 2 ? 'all' : 'both'} ` +
        `given; give one of them (${monthly})`,
    );
  }
  const { period, n } = given[0];
  return {
    itemsPerMonth: n * PERIODS_A_MONTH[period],
    burstSize: period === 'day' && n >= 1 ? Math.round(n) : undefined,
  };
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `batch-pipelines estimate`: prints the cost table (or JSON). */
export function estimateCommand(args: string[], io: CommandIO): number {
  const { values } = parseFlags('estimate', {
    args,
    options: {
      'items-per-day': { type: 'string' },
      'items-per-week': { type: 'string' },
      'items-per-month': { type: 'string' },
      hours: { type: 'string' },
      vcpus: { type: 'string' },
      'memory-gib': { type: 'string' },
      gpus: { type: 'string' },
      concurrency: { type: 'string' },
      burst: { type: 'string' },
      'instance-types': { type: 'string' },
      'max-vcpus': { type: 'string' },
      'spot-discount': { type: 'string' },
      'interruptions-per-hour': { type: 'string' },
      'rerun-overhead': { type: 'string' },
      checkpointing: { type: 'boolean' },
      'dedicated-utilization': { type: 'string' },
      'nat-gateways': { type: 'string' },
      'kms-keys': { type: 'string' },
      alarms: { type: 'string' },
      'transitions-per-item': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(ESTIMATE_HELP);
    return 0;
  }
  for (const required of ['hours', 'vcpus', 'memory-gib'] as const) {
    if (values[required] === undefined) {
      throw CliError.usage(`--${required} is required; see batch-pipelines estimate --help`);
    }
  }
  const rate = itemRate(values);
  const workload: Workload = {
    itemsPerMonth: rate.itemsPerMonth,
    hoursPerItem: num('hours', values.hours, { min: 0 })!,
    vcpus: num('vcpus', values.vcpus, { min: 0 })!,
    memory: Size.mebibytes(Math.round(num('memory-gib', values['memory-gib'], { min: 0 })! * 1024)),
    gpus: num('gpus', values.gpus, { integer: true, min: 0 }),
    maxConcurrency: num('concurrency', values.concurrency, { integer: true, min: 1 }) ?? 50,
    burstSize: num('burst', values.burst, { integer: true, min: 0 }) ?? rate.burstSize,
  };
  const assumptions: CostAssumptions = {
    instanceTypes: values['instance-types']
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    maxvCpus: num('max-vcpus', values['max-vcpus'], { integer: true, min: 1 }),
    spotDiscount: num('spot-discount', values['spot-discount']),
    spotInterruptionsPerHour: num('interruptions-per-hour', values['interruptions-per-hour'], { min: 0 }),
    spotRerunOverhead: num('rerun-overhead', values['rerun-overhead'], { min: 0 }),
    checkpointing: values.checkpointing,
    dedicatedUtilization: num('dedicated-utilization', values['dedicated-utilization']),
  };
  const fixedCosts: FixedCosts = {
    natGateways: num('nat-gateways', values['nat-gateways'], { integer: true, min: 0 }),
    kmsKeys: num('kms-keys', values['kms-keys'], { integer: true, min: 0 }),
    alarms: num('alarms', values.alarms, { integer: true, min: 0 }),
    stateTransitionsPerItem: num('transitions-per-item', values['transitions-per-item'], { integer: true, min: 0 }),
  };
  let estimate;
  try {
    estimate = estimateCost(workload, assumptions, { fixedCosts, inputNames: CLI_INPUT_NAMES });
  } catch (e) {
    if (PipelineErrors.isCostModelError(e)) {
      throw CliError.usage((e as Error).message);
    }
    throw e;
  }
  const quotas = newAccountQuotas(estimate);
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          ...estimate,
          placement: estimate.placement && { ...estimate.placement, alternatives: undefined },
          accountQuotas: quotas,
        },
        null,
        2,
      ),
    );
  } else {
    io.out(formatCostTable(estimate));
    if (quotas?.warning) {
      io.out(quotas.warning);
    }
  }
  return 0;
}

/** What the planned concurrency needs of the account's EC2 vCPU quotas, against a new account's. */
export interface NewAccountQuotas {
  /** The instance type the estimate places jobs on. */
  readonly instanceType: string;
  /** vCPUs of the instances the planned concurrency runs at once. */
  readonly vcpus: number;
  /** The On-Demand and Spot quotas the instance type draws on, with a new account's vCPUs of each. */
  readonly quotas: Array<{ code: string; name: string; purchase: string; newAccountDefault: number }>;
  /** Set when the vCPUs exceed a new account's quotas: which to raise and how to check. */
  readonly warning?: string;
}

/**
 * The EC2 vCPU quotas the estimate's concurrency needs, against a new account's defaults (AWS's quota tables:
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-on-demand-instances.html#ec2-on-demand-instances-limits,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-spot-limits.html). EC2 raises quotas as an account is
 * used, so an older account may have more: the warning says how to check. Undefined without an EC2 placement.
 */
export function newAccountQuotas(estimate: CostEstimate): NewAccountQuotas | undefined {
  const placement = estimate.placement;
  const instance = placement && InstanceCatalog.tryLookup(placement.instanceType);
  const group = placement && quotaGroupOf(placement.instanceType);
  if (!placement || !instance || !group) {
    return undefined;
  }
  const instances = Math.ceil(estimate.throughput.concurrency / placement.jobsPerInstance);
  const vcpus = instances * instance.vcpus;
  const quotas = [
    { ...group.onDemand, purchase: 'On-Demand' },
    ...(group.spot ? [{ ...group.spot, purchase: 'Spot' }] : []),
  ].map((q) => ({ code: q.code, name: q.name, purchase: q.purchase, newAccountDefault: q.newAccountDefault }));
  const short = quotas.filter((q) => q.newAccountDefault < vcpus);
  const warning =
    short.length === 0
      ? undefined
      : `Account quotas: ${plural(estimate.throughput.concurrency, 'job')} at once on ${placement.instanceType} take ` +
        `${vcpus} vCPUs (${instances} × ${instance.vcpus}). A new AWS account starts with ` +
        short.map((q) => `${q.newAccountDefault} vCPUs of ${q.name} (${q.code})`).join(' and ') +
        `: jobs beyond them wait in RUNNABLE with a reason that does not name the quota. Check yours with ` +
        '`batch-pipelines diagnose --queue <queue>` (or `aws service-quotas get-service-quota --service-code ec2 ' +
        `--quota-code ${short[0].code}\`) and request ${vcpus} before the first run.`;
  return { instanceType: placement.instanceType, vcpus, quotas, warning };
}
