import { formatCount, formatHours } from './cost-format';
import { CostModelError, HOURS_PER_MONTH, MakespanLimit } from './cost-types';
import type { CostInputNames, Makespan, Placement, Throughput, Workload } from './cost-types';
import { FargateSize } from '../compute/fit';
import { InstanceCatalog } from '../compute/instance-catalog';

/*
 * What the capacity can keep up with, how long a burst takes, and the warnings when the work outruns it. Internal to
 * lib/cost (not re-exported). cost-model imports this file, so its values are read only inside functions, once both
 * files have loaded.
 */

/**
 * How many times the capacity that can run now the work may ask for before the warning questions the input rather
 * than proposing the capacity: a tenfold gap is a unit slip (minutes typed as hours, a year's items as a month's)
 * more often than a plan. Our threshold, not an AWS figure.
 */
export const IMPLAUSIBLE_CAPACITY_FACTOR = 10;

/** What a front end knows about how the runtime was given, so a warning's fix is written the way its user writes it. */
export interface WarningHints {
  /**
   * How to write a runtime of `minutes` minutes in the front end's terms.
   * @default - `hoursPerItem: 20 / 60` for a prop, `--hours-per-item 0.3333` for a flag
   */
  readonly writeMinutes?: (minutes: number) => string;
  /**
   * Where the hours came from when the user did not type them (e.g. `its job's timeout`), said in the warning.
   * @default - typed by the user
   */
  readonly hoursSource?: string;
}

export function computeThroughput(
  w: Workload,
  maxvCpus: number | undefined,
  placement: Placement | undefined,
  fargateSize: FargateSize | undefined,
  names: CostInputNames,
): Throughput {
  // maxvCpus counts whole instances: a job takes its instance's vCPUs / jobs per instance. Integer arithmetic keeps
  // `floor` exact, so the maxvCpus this suggests is itself enough.
  const instanceVcpus = placement ? InstanceCatalog.tryLookup(placement.instanceType)!.vcpus : undefined;
  const jobsPerInstance = placement?.jobsPerInstance ?? 1;
  const vcpusPerJob = instanceVcpus !== undefined ? instanceVcpus / jobsPerInstance : fargateSize!.vcpus;
  const jobsWithin = (vcpus: number) =>
    instanceVcpus !== undefined
      ? Math.floor((vcpus * jobsPerInstance) / instanceVcpus)
      : Math.floor(vcpus / fargateSize!.vcpus);
  const vcpusFor = (jobs: number) =>
    instanceVcpus !== undefined ? Math.ceil(jobs / jobsPerInstance) * instanceVcpus : Math.ceil(jobs * vcpusPerJob);
  const byVcpus = maxvCpus !== undefined ? jobsWithin(maxvCpus) : Infinity;
  if (byVcpus < 1) {
    const at = placement ? ` (one ${placement.instanceType} of ${instanceVcpus} vCPUs runs ${jobsPerInstance})` : '';
    throw new CostModelError(
      `${names.maxvCpus} ${maxvCpus} runs no job: one job takes ${formatCount(vcpusPerJob)} vCPUs${at}. Fix: raise ${names.maxvCpus} ` +
        `to at least ${vcpusFor(1)}`,
    );
  }
  const concurrency = Math.min(w.maxConcurrency, byVcpus);
  const demand = w.itemsPerMonth * w.hoursPerItem;
  const capacity = concurrency * HOURS_PER_MONTH;
  const run = Math.min(demand, capacity);
  // A hair of tolerance so that demand exactly at capacity (after floating-point division) is not a backlog.
  const concurrencyNeeded = Math.max(1, Math.ceil(demand / HOURS_PER_MONTH - 1e-9));
  const backlogJobHours = demand - capacity > 1e-6 ? demand - capacity : 0;
  return {
    concurrency,
    limitedBy: byVcpus < w.maxConcurrency ? MakespanLimit.MAX_VCPUS : MakespanLimit.WORKFLOW_CONCURRENCY,
    vcpusPerJob,
    demandJobHoursPerMonth: demand,
    capacityJobHoursPerMonth: capacity,
    runJobHoursPerMonth: run,
    itemsRunPerMonth: run / w.hoursPerItem,
    concurrencyNeeded,
    jobsWithinMaxvCpus: maxvCpus !== undefined ? byVcpus : undefined,
    maxvCpusNeeded: vcpusFor(concurrencyNeeded),
    backlog:
      backlogJobHours > 0
        ? {
            itemsPerMonth: backlogJobHours / w.hoursPerItem,
            itemsPerWeek: ((backlogJobHours / w.hoursPerItem) * 12) / 52,
            jobHoursPerMonth: backlogJobHours,
          }
        : undefined,
  };
}

export function computeMakespan(w: Workload, t: Throughput): Makespan {
  // Waves of `concurrency` jobs, each hoursPerItem long, from an empty queue.
  const burstSize = w.burstSize ?? Math.round((w.itemsPerMonth * 12) / 52);
  const concurrency = Math.min(t.concurrency, burstSize);
  const waves = concurrency > 0 ? Math.ceil(burstSize / concurrency) : 0;
  // Bursts arrive evenly, so the interval follows from the monthly rate; for the default burst it is a week. Each
  // burst brings burstSize × hoursPerItem job-hours and the capacity clears concurrency × interval of them, so when
  // the work outruns capacity every burst finishes the difference / concurrency later than the one before.
  const intervalHours = burstSize > 0 && w.itemsPerMonth > 0 ? (burstSize / w.itemsPerMonth) * HOURS_PER_MONTH : 0;
  const lag = t.backlog && intervalHours > 0 ? (burstSize * w.hoursPerItem) / t.concurrency - intervalHours : 0;
  return {
    burstSize,
    concurrency,
    waves,
    hours: waves * w.hoursPerItem,
    limitedBy: burstSize < t.concurrency ? MakespanLimit.ITEMS : t.limitedBy,
    intervalHours: intervalHours > 0 ? intervalHours : undefined,
    drains: t.backlog === undefined,
    lagPerBurstHours: Math.max(0, lag),
  };
}

export function capacityWarnings(
  w: Workload,
  t: Throughput,
  m: Makespan,
  names: CostInputNames,
  hints: WarningHints = {},
): string[] {
  if (!t.backlog) {
    return [];
  }
  const hours = (v: number) => Math.round(v).toLocaleString('en-US');
  const fixes: string[] = [];
  if (w.maxConcurrency < t.concurrencyNeeded) {
    fixes.push(`${names.maxConcurrency} to ${t.concurrencyNeeded}`);
  }
  // Both limits are checked: raising one while the other allows no more would not be a fix.
  if (t.jobsWithinMaxvCpus !== undefined && t.jobsWithinMaxvCpus < t.concurrencyNeeded) {
    fixes.push(`${names.maxvCpus} to ${t.maxvCpusNeeded}`);
  }
  const implausible = t.concurrencyNeeded > IMPLAUSIBLE_CAPACITY_FACTOR * t.concurrency;
  const warnings = [
    implausible
      ? implausibleWarning(w, t, names, hints, fixes)
      : `The work outruns capacity: it asks ${hours(t.demandJobHoursPerMonth)} job-hours a month and ` +
        `${t.concurrency} jobs at once run at most ${hours(t.capacityJobHoursPerMonth)} (× ${HOURS_PER_MONTH} h), so ` +
        `${formatCount(t.backlog.itemsPerMonth)} items a month (${formatCount(t.backlog.itemsPerWeek)} a week) are ` +
        'left over and the queue grows without end; the figures above price only the work that runs. ' +
        `Fix: raise ${fixes.join(' and ')} (${t.concurrencyNeeded} jobs at once keep up).`,
  ];
  if (m.intervalHours !== undefined && m.burstSize > 0) {
    warnings.push(
      `A burst of ${formatCount(m.burstSize)} takes ${formatHours(m.hours)} at ${m.concurrency} at once, longer ` +
        `than the ${formatHours(m.intervalHours)} between bursts: the queue never drains, and each burst finishes ` +
        `about ${formatHours(m.lagPerBurstHours)} later than the one before.`,
    );
  }
  return warnings;
}

/**
 * The work asks for many times the capacity there is: more likely a slip in the input than a plan, so the warning
 * asks about the input first (minutes typed as hours), then says what keeping up would take.
 */
function implausibleWarning(
  w: Workload,
  t: Throughput,
  names: CostInputNames,
  hints: WarningHints,
  fixes: string[],
): string {
  const h = w.hoursPerItem;
  const value = formatCount(h);
  const subject = hints.hoursSource
    ? `${names.hoursPerItem} (${hints.hoursSource}) ${formatHours(h)}`
    : `${names.hoursPerItem} ${hints.writeMinutes ? formatHours(h) : value}`;
  const writeMinutes =
    hints.writeMinutes ??
    ((minutes: number) =>
      names.areFlags
        ? `${names.hoursPerItem} ${Math.round((minutes / 60) * 10000) / 10000}`
        : `${names.hoursPerItem}: ${minutes} / 60`);
  // Minutes typed as hours: a whole number of an hour or more that reads as a plausible job length in minutes.
  const minutesSlip = h >= 1 && h <= 600 && Number.isInteger(h);
  const question = minutesSlip
    ? `if you meant ${value} minutes, write ${writeMinutes(h)}`
    : `check ${names.hoursPerItem} and ${names.itemsPerMonth}`;
  const ratio = Math.round(t.concurrencyNeeded / t.concurrency);
  const hours = (v: number) => Math.round(v).toLocaleString('en-US');
  return (
    `${subject}: each item would take ${formatHours(h)}; ${question}. ` +
    `At ${formatHours(h)} an item, ${formatCount(w.itemsPerMonth)} items a month (${names.itemsPerMonth}) ask ` +
    `${hours(t.demandJobHoursPerMonth)} job-hours and need ${t.concurrencyNeeded.toLocaleString('en-US')} jobs at ` +
    `once, ${ratio} times the ${t.concurrency} that can run now: the queue would grow without end, and the figures ` +
    `above price only the work that runs. If that is the workload, keeping up would take raising ${fixes.join(' and ')}.`
  );
}
