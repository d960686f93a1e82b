import { parseArgs } from 'util';
import { Size } from 'aws-cdk-lib';
import { CliUsageError, CommandIO } from './io';
import { CostAssumptions, CostModelError, estimateCost, formatCostTable, Workload } from '../cost/cost-model';

export const ESTIMATE_HELP = `Usage: batch-pipelines estimate [options]

What a workload costs a month on Batch (On-Demand, Spot, Fargate, Fargate Spot) against always-on fleets, the
floor, and how long a burst takes. No AWS calls: prices come from the library's instance catalog.

Workload:
  --items-per-week N       items (samples) per week           (or --items-per-month N)
  --hours H                hours one item's job runs          (required)
  --vcpus N                vCPUs per job                      (required)
  --memory-gib N           memory per job, GiB                (required)
  --gpus N                 GPUs per job                       (default 0)
  --concurrency N          jobs at once                       (default 50)
  --burst N                items arriving at once             (default: a week's items)
Capacity and prices:
  --instance-types A,B     EC2 instance types                 (default r5, r6i, r7i in xlarge..4xlarge)
  --max-vcpus N            compute environment maxvCpus       (default: enough for --concurrency)
  --spot-discount F        Spot discount, 0..1                (default 0.65)
  --interruptions-per-hour F  Spot interruptions per instance-hour (default 0.03)
  --rerun-overhead F       Spot re-run overhead, instead of deriving it (e.g. 0.15)
  --checkpointing          jobs checkpoint (an interruption loses 5%, not 50%)
  --dedicated-utilization F   utilization of an always-on fleet (default 0.85)
Output:
  --json                   machine-readable estimate
  -h, --help               this help

Exit codes: 0 estimate printed; 2 invalid input (the message says which and what is allowed).

Example (the reference genomics workload):
  batch-pipelines estimate --items-per-week 500 --hours 4 --vcpus 4 --memory-gib 30 --concurrency 50
`;

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
    throw new CliUsageError(
      `--${name} '${value}' is not allowed; allowed: ${opts.integer ? 'a whole number' : 'a number'}` +
        `${opts.min !== undefined ? ` >= ${opts.min}` : ''}`,
    );
  }
  return n;
}

/** `batch-pipelines estimate`: prints the cost table (or JSON). */
export function estimateCommand(args: string[], io: CommandIO): number {
  const { values } = parseArgs({
    args,
    options: {
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
      throw new CliUsageError(`--${required} is required; see batch-pipelines estimate --help`);
    }
  }
  const perWeek = num('items-per-week', values['items-per-week'], { min: 0 });
  const perMonth = num('items-per-month', values['items-per-month'], { min: 0 });
  if (perWeek === undefined && perMonth === undefined) {
    throw new CliUsageError('--items-per-week or --items-per-month is required; see batch-pipelines estimate --help');
  }
  const workload: Workload = {
    itemsPerMonth: perMonth ?? (perWeek! * 52) / 12,
    hoursPerItem: num('hours', values.hours, { min: 0 })!,
    vcpus: num('vcpus', values.vcpus, { min: 0 })!,
    memory: Size.mebibytes(Math.round(num('memory-gib', values['memory-gib'], { min: 0 })! * 1024)),
    gpus: num('gpus', values.gpus, { integer: true, min: 0 }),
    maxConcurrency: num('concurrency', values.concurrency, { integer: true, min: 1 }) ?? 50,
    burstSize: num('burst', values.burst, { integer: true, min: 0 }),
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
  let estimate;
  try {
    estimate = estimateCost(workload, assumptions);
  } catch (e) {
    if (e instanceof CostModelError) {
      throw new CliUsageError(e.message);
    }
    throw e;
  }
  if (values.json) {
    io.out(
      JSON.stringify(
        { ...estimate, placement: estimate.placement && { ...estimate.placement, alternatives: undefined } },
        null,
        2,
      ),
    );
  } else {
    io.out(formatCostTable(estimate));
  }
  return 0;
}
