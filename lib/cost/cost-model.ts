import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { renderCostTable } from './cost-table';
import { unfittableMessage } from './fit-advice';
import { notIncluded, priceFixedCosts } from './fixed-costs';
import { capacityWarnings, computeMakespan, computeThroughput, WarningHints } from './throughput';
import { CapacityPlatform } from '../compute/capacity';
import { defaultInstanceTypes } from '../compute/ec2-capacity-checks';
import { fitOnInstances, InstanceFit, nearestFargateSizes } from '../compute/fit';
import { InstanceCatalog } from '../compute/instance-catalog';
import {
  CostAssumptions,
  CostEstimate,
  CostInputNames,
  CostLine,
  CostModelError,
  DEFAULT_FARGATE_SPOT_DISCOUNT,
  DEFAULT_SPOT_DISCOUNT,
  EstimateOptions,
  FARGATE_ARM_PRICE,
  FARGATE_PRICE,
  FargatePrice,
  fargatePriceOf,
  FIXED_COST_PRICES,
  FixedCostPrices,
  HOURS_PER_MONTH,
  InputKey,
  LIBRARY_INPUT_NAMES,
  Placement,
  Workload,
} from './cost-types';

/**
 * Prices a workload on Batch (On-Demand, Spot, Fargate, Fargate Spot) against always-on fleets, with Spot re-runs,
 * the floor, what the capacity can keep up with, and how long a burst takes. Pure arithmetic over the instance
 * catalog: no AWS calls.
 */
export function estimateCost(
  workload: Workload,
  assumptions: CostAssumptions = {},
  options: EstimateOptions = {},
): CostEstimate {
  return estimateWithHints(workload, assumptions, options, {});
}

/**
 * `estimateCost` with what only the library's own front ends know (how to say a runtime's fix when it was given as
 * a `Duration`). Internal to lib/cost.
 */
export function estimateWithHints(
  workload: Workload,
  assumptions: CostAssumptions,
  options: EstimateOptions,
  hints: WarningHints,
): CostEstimate {
  const w = workload;
  const platform = options.platform;
  const names: CostInputNames = { ...LIBRARY_INPUT_NAMES, ...options.inputNames };
  const check = (ok: boolean, key: InputKey, received: unknown, allowed: string, fix: string): void => {
    if (!ok) {
      const subject = names.areFlags ? `${names[key]} ${String(received)}` : `${names[key]}: ${String(received)}`;
      throw new CostModelError(`${subject} is not allowed; allowed: ${allowed}. Fix: ${fix}`);
    }
  };
  check(
    Number.isFinite(w.itemsPerMonth) && w.itemsPerMonth >= 0,
    'itemsPerMonth',
    w.itemsPerMonth,
    'a number >= 0',
    'give the items per month, e.g. 2167',
  );
  check(w.hoursPerItem > 0, 'hoursPerItem', w.hoursPerItem, 'a number > 0', 'give how long one job runs, e.g. 4');
  check(w.vcpus > 0, 'vcpus', w.vcpus, 'a number > 0', 'give the vCPUs of one job, e.g. 4');
  check(
    Number.isInteger(w.maxConcurrency) && w.maxConcurrency >= 1,
    'maxConcurrency',
    w.maxConcurrency,
    'a whole number >= 1',
    'give how many jobs run at once, e.g. 50',
  );
  check(
    w.burstSize === undefined || (Number.isInteger(w.burstSize) && w.burstSize >= 0),
    'burstSize',
    w.burstSize,
    'a whole number >= 0',
    'give the items that arrive at once, e.g. 500',
  );
  const a = {
    // Fargate capacity launches no instance type: none is priced.
    instanceTypes: platform === CapacityPlatform.FARGATE ? [] : (assumptions.instanceTypes ?? defaultInstanceTypes()),
    spotDiscount: assumptions.spotDiscount ?? DEFAULT_SPOT_DISCOUNT,
    fargateSpotDiscount: assumptions.fargateSpotDiscount ?? DEFAULT_FARGATE_SPOT_DISCOUNT,
    spotInterruptionsPerHour: assumptions.spotInterruptionsPerHour ?? 0.03,
    checkpointing: assumptions.checkpointing ?? false,
    lostFractionPerInterruption: assumptions.lostFractionPerInterruption ?? (assumptions.checkpointing ? 0.05 : 0.5),
    spotAttempts: assumptions.spotAttempts ?? 3,
    dedicatedUtilization: assumptions.dedicatedUtilization ?? 0.85,
    maxvCpus: assumptions.maxvCpus,
    spotRerunOverhead: assumptions.spotRerunOverhead,
  };
  for (const key of ['spotDiscount', 'fargateSpotDiscount', 'lostFractionPerInterruption'] as const) {
    check(a[key] >= 0 && a[key] < 1, key, a[key], 'a fraction from 0 to below 1', 'give e.g. 0.65 for 65%');
  }
  check(
    a.dedicatedUtilization > 0 && a.dedicatedUtilization <= 1,
    'dedicatedUtilization',
    a.dedicatedUtilization,
    'a fraction above 0, at most 1',
    'give e.g. 0.85',
  );
  check(
    a.spotInterruptionsPerHour >= 0,
    'spotInterruptionsPerHour',
    a.spotInterruptionsPerHour,
    'a number >= 0',
    'give e.g. 0.03',
  );
  check(
    a.maxvCpus === undefined || a.maxvCpus > 0,
    'maxvCpus',
    a.maxvCpus,
    'a number > 0',
    'give the compute environment maxvCpus, e.g. 256',
  );
  const fixedInput = options.fixedCosts ?? {};
  for (const key of ['natGateways', 'kmsKeys', 'alarms', 'stateTransitionsPerItem'] as const) {
    const v = fixedInput[key];
    check(v === undefined || (Number.isInteger(v) && v >= 0), key, v, 'a whole number >= 0', 'give a count, e.g. 1');
  }
  const metrics = fixedInput.containerInsightsMetrics;
  if (metrics !== undefined && !(Number.isInteger(metrics) && metrics >= 0)) {
    // Not among the input names: it comes from CostReport's count of the stack, or from fixedCosts in code.
    throw new CostModelError(
      `fixedCosts.containerInsightsMetrics: ${metrics} is not allowed; allowed: a whole number >= 0. Fix: give a ` +
        'count, e.g. 19 (11 a cluster and 8 a job definition)',
    );
  }

  const unknown = a.instanceTypes.filter((t) => !InstanceCatalog.tryLookup(t));
  const families = [...new Set(InstanceCatalog.all().map((i) => i.family))];
  check(
    unknown.length === 0,
    'instanceTypes',
    unknown.join(', '),
    `types the instance catalog knows (${InstanceCatalog.all().length} of them)`,
    `name types the catalog knows, e.g. r6i.xlarge; its families are ${families.join(', ')}`,
  );

  const resources = { vcpus: w.vcpus, memory: w.memory, gpus: w.gpus ?? 0 };
  const fit = fitOnInstances(resources, a.instanceTypes);
  const perJobHour = (p: InstanceFit) => p.instance.onDemandHourlyUsd / p.jobsPerInstance;
  const alternatives = [...fit.placements].sort((x, y) => perJobHour(x) - perJobHour(y));
  const best = alternatives[0];
  const placement: Placement | undefined = best && {
    instanceType: best.instanceType,
    jobsPerInstance: best.jobsPerInstance,
    packingEfficiency: best.packingEfficiency,
    onDemandHourlyUsd: best.instance.onDemandHourlyUsd,
    onDemandPerJobHourUsd: perJobHour(best),
    alternatives,
  };
  const memMiB = w.memory.toMebibytes();
  const fargateSize =
    (w.gpus ?? 0) > 0 || platform === CapacityPlatform.EC2
      ? undefined
      : nearestFargateSizes(w.vcpus, memMiB).find((s) => s.vcpus >= w.vcpus && s.memoryMiB >= memMiB);
  if (!placement && !fargateSize) {
    throw new CostModelError(unfittableMessage(resources, a.instanceTypes, names));
  }

  const throughput = computeThroughput(w, a.maxvCpus, placement, fargateSize, names);
  const run = throughput.runJobHoursPerMonth;
  const itemsRun = throughput.itemsRunPerMonth;
  const averageConcurrent = run / HOURS_PER_MONTH;
  const line = (option: string, monthlyUsd: number, basis: string): CostLine => ({
    option,
    monthlyUsd,
    perItemUsd: itemsRun > 0 ? monthlyUsd / itemsRun : 0,
    basis,
  });
  const jobHours = `${Math.round(run).toLocaleString('en-US')} job-hours`;

  // Spot: an attempt of h hours is interrupted with probability q = 1 - e^(-rate * h); a job escalates to
  // On-Demand when all its Spot attempts are interrupted (q^attempts).
  const interruptionsPerJob = a.spotInterruptionsPerHour * w.hoursPerItem;
  const rerunOverhead = a.spotRerunOverhead ?? interruptionsPerJob * a.lostFractionPerInterruption;
  const q = 1 - Math.exp(-a.spotInterruptionsPerHour * w.hoursPerItem);
  const escalation = a.spotRerunOverhead !== undefined ? 0 : Math.pow(q, a.spotAttempts);

  const lines: CostLine[] = [];
  // Always-on fleets are a comparison for the model's users, not an option of a stack's own capacity.
  const fleets = platform === undefined;
  if (placement) {
    const od = placement.onDemandPerJobHourUsd;
    // Never more instances than the peak fleet: the average cannot exceed what can run at once.
    const instancesPeak = Math.ceil(throughput.concurrency / placement.jobsPerInstance);
    const instancesForAverage = Math.ceil(averageConcurrent / a.dedicatedUtilization / placement.jobsPerInstance);
    const instancesAvg = Math.min(instancesForAverage, instancesPeak);
    const spotPerJobHour = od * (1 - a.spotDiscount);
    const fleetLines = [
      line(
        'Dedicated, sized for average load',
        instancesAvg * placement.onDemandHourlyUsd * HOURS_PER_MONTH,
        `${instancesAvg} × ${placement.instanceType} always on (${averageConcurrent.toFixed(1)} jobs on average at ` +
          `${Math.round(a.dedicatedUtilization * 100)}% utilization` +
          `${instancesForAverage > instancesPeak ? `; capped at the peak fleet of ${instancesPeak}` : ''})`,
      ),
      line(
        'Dedicated, sized for peak',
        instancesPeak * placement.onDemandHourlyUsd * HOURS_PER_MONTH,
        `${instancesPeak} × ${placement.instanceType} always on (${throughput.concurrency} jobs at once)`,
      ),
    ];
    lines.push(
      ...(fleets ? fleetLines : []),
      line('Batch On-Demand', run * od, `${jobHours} × $${od.toFixed(4)} per job-hour`),
      line(
        'Batch Spot',
        run * spotPerJobHour * (1 + rerunOverhead) + run * escalation * od,
        `${jobHours} × $${spotPerJobHour.toFixed(4)} × ${(1 + rerunOverhead).toFixed(3)} re-runs` +
          (escalation > 0 ? ` + ${(escalation * 100).toFixed(2)}% escalated to On-Demand` : ''),
      ),
    );
  }
  // Fargate prices Linux/ARM below Linux/x86, and runs Fargate Spot on x86 only (see EstimateOptions.architecture).
  const arm = options.architecture === ec2.InstanceArchitecture.ARM_64;
  const fargatePrice = fargatePriceOf(options.architecture);
  const fargateHourly =
    fargateSize &&
    fargateSize.vcpus * fargatePrice.vcpuHourUsd + (fargateSize.memoryMiB / 1024) * fargatePrice.gbHourUsd;
  if (fargateSize && fargateHourly !== undefined) {
    const size = `${fargateSize.vcpus} vCPU / ${fargateSize.memoryMiB / 1024} GiB${arm ? ' arm64' : ''}`;
    lines.push(line('Fargate', run * fargateHourly, `${jobHours} × $${fargateHourly.toFixed(4)} (${size})`));
    if (!arm) {
      lines.push(
        line(
          'Fargate Spot',
          run * fargateHourly * (1 - a.fargateSpotDiscount) * (1 + rerunOverhead),
          `${jobHours} × $${(fargateHourly * (1 - a.fargateSpotDiscount)).toFixed(4)} × ` +
            `${(1 + rerunOverhead).toFixed(3)} re-runs`,
        ),
      );
    }
  }
  const floorRates: Array<[string, number]> = [];
  if (placement) {
    floorRates.push([`Spot ${placement.instanceType}`, placement.onDemandPerJobHourUsd * (1 - a.spotDiscount)]);
  }
  if (fargateHourly !== undefined) {
    floorRates.push(
      arm ? ['Fargate arm64', fargateHourly] : ['Fargate Spot', fargateHourly * (1 - a.fargateSpotDiscount)],
    );
  }
  const [floorName, floorRate] = floorRates.sort((x, y) => x[1] - y[1])[0];
  const floor = line('Floor', run * floorRate, `${floorName}: ${jobHours} × $${floorRate.toFixed(4)}, no overhead`);

  const makespan = computeMakespan(w, throughput);
  const warnings = capacityWarnings(w, throughput, makespan, names, hints);
  const fixedCosts = priceFixedCosts(fixedInput, itemsRun);

  return {
    jobHoursPerMonth: throughput.demandJobHoursPerMonth,
    averageConcurrentJobs: averageConcurrent,
    job: { vcpus: w.vcpus, memoryMiB: memMiB, gpus: w.gpus ?? 0 },
    placement,
    fargateSize,
    lines,
    floor,
    spot: { interruptionsPerJob, rerunOverhead, onDemandEscalationShare: escalation },
    throughput,
    makespan,
    warnings,
    fixedCosts,
    notIncluded: notIncluded(fixedInput),
    assumptions: { ...a, instanceTypes: [...a.instanceTypes] },
  };
}

/** The estimate as a short plain-text table, for the terminal and synth output, warnings included. */
export function formatCostTable(estimate: CostEstimate): string {
  return renderCostTable(estimate);
}

/**
 * The cost model as static members, for every language the library is built for (jsii packages classes, not free
 * functions or constants): `estimateCost` and `formatCostTable` in TypeScript. Methods whose last parameter would be
 * a struct end with one that is not, so Python passes the struct positionally instead of as keyword arguments.
 */
export class CostModel {
  /** Hours in an average month (365 × 24 / 12), the basis of AWS's monthly prices. */
  public static readonly HOURS_PER_MONTH: number = HOURS_PER_MONTH;
  /** Fargate Linux/x86 prices in us-east-1, per vCPU-hour and per GB-hour. */
  public static readonly FARGATE_PRICE: FargatePrice = FARGATE_PRICE;
  /** Fargate Linux/ARM prices in us-east-1, per vCPU-hour and per GB-hour (`EstimateOptions.architecture` ARM_64). */
  public static readonly FARGATE_ARM_PRICE: FargatePrice = FARGATE_ARM_PRICE;
  /** Prices of what a pipeline pays for beyond compute. */
  public static readonly FIXED_COST_PRICES: FixedCostPrices = FIXED_COST_PRICES;
  /** The library's own input names (its props), which messages use unless told otherwise. */
  public static readonly LIBRARY_INPUT_NAMES: CostInputNames = LIBRARY_INPUT_NAMES;

  /** Prices a workload: see `estimateCost`. */
  public static estimate(
    workload: Workload,
    assumptions: CostAssumptions = {},
    options: EstimateOptions = {},
  ): CostEstimate {
    return estimateCost(workload, assumptions, options);
  }

  /**
   * The estimate as a short plain-text table: see `formatCostTable`.
   * @param includeNotes whether to end with the warnings and what the estimate leaves out (a parameter that is not a
   * struct comes last, so Python passes the estimate positionally)
   */
  public static formatTable(estimate: CostEstimate, includeNotes = true): string {
    return renderCostTable(estimate, includeNotes);
  }

  private constructor() {}
}
