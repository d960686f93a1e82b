import { Size } from 'aws-cdk-lib';
import { compareItems, itemSteps, PlacedJob, RUN_ITEM } from './attempts';
import { criticalPath, peakRunning, slowestItems, spread, timeShares } from './timing';
import { ReportFailure, ReportItemStep, RunReport, StepEstimate, StepSummary } from './types';
import { estimateCost } from '../../cost/cost-model';
import {
  DEFAULT_FARGATE_SPOT_DISCOUNT,
  DEFAULT_SPOT_DISCOUNT,
  FARGATE_MIN_BILLED_SECONDS,
} from '../../cost/cost-types';
import { jobSize } from '../queue-capacity';
import { attemptHours, priceRun, RunCost, SizedHours } from '../run-cost';

/** A `RunReport` from a run's jobs and what the client read around them. Pure: no AWS call here. */

/** What a queue holds, as far as pricing goes (`QueueCapacity`'s `types` and `spot`). */
export interface QueuePricing {
  readonly types: string[];
  readonly spot: boolean;
}

/** What `buildRunReport` is given. */
export interface ReportInput {
  readonly run: Omit<RunReport['run'], 'start' | 'end' | 'generatedAt'> & { start?: number; end?: number };
  readonly jobs: PlacedJob[];
  /** Each queue's pricing, by queue name. */
  readonly queues: Record<string, QueuePricing>;
  /** Per step, items served from the step cache. */
  readonly cached?: Record<string, number>;
  /** Items' ids by item key, as the run's outcomes name them. */
  readonly ids?: Record<string, string>;
  /** When the report is made (what has not ended ends now). */
  readonly now: number;
  /** The command that reruns what failed. */
  readonly rerun?: string;
  readonly notes?: string[];
  /** Slowest items listed. */
  readonly slowest?: number;
}

/** Items listed as the slowest, unless told. */
export const DEFAULT_SLOWEST = 20;

export function buildRunReport(input: ReportInput): RunReport {
  const steps = itemSteps(input.jobs, input.now);
  // Folds, not Math.min(...xs): a run of 100,000 items has more steps than a call takes arguments.
  const start = steps.reduce((t, s) => Math.min(t, s.start), input.run.start ?? Infinity);
  const end = input.run.end ?? (steps.length ? steps.reduce((t, s) => Math.max(t, s.end), -Infinity) : input.now);
  const safeStart = Number.isFinite(start) ? start : end;
  const stepNames = orderOfSteps(steps, Object.keys(input.cached ?? {}));
  const summaries = stepNames.map((name) =>
    summarize(
      name,
      steps.filter((s) => s.step === name),
      input.jobs.filter((j) => j.step === name),
      input.queues,
      input.cached?.[name] ?? 0,
    ),
  );
  const total = priceJobs(input.jobs, input.queues);
  const failures: ReportFailure[] = steps
    .filter((s) => s.status === 'FAILED')
    .sort((a, b) => a.step.localeCompare(b.step) || compareItems(a.item, b.item))
    .map((s) => failureOf(s, input.ids?.[s.item]));
  return {
    version: 1,
    run: { ...input.run, start: safeStart, end, generatedAt: input.now },
    items: new Set(steps.filter((s) => s.item !== RUN_ITEM).map((s) => s.item)).size,
    jobs: input.jobs.length,
    attempts: steps.reduce((n, s) => n + s.attempts.length, 0),
    cost: {
      jobHours: total.jobHours,
      onDemandUsd: total.onDemandUsd,
      ...(total.spotUsd === undefined ? {} : { spotUsd: total.spotUsd }),
      unpricedJobHours: total.unpricedJobHours,
      basis: total.basis,
    },
    steps: summaries,
    time: timeShares(steps, safeStart, end),
    criticalPath: criticalPath(steps),
    slowest: slowestItems(steps, input.slowest ?? DEFAULT_SLOWEST),
    failures,
    ...(failures.length > 0 && input.rerun ? { rerun: input.rerun } : {}),
    estimate: stepNames.flatMap((name) => {
      const e = estimateStep(
        name,
        steps.filter((s) => s.step === name),
        input.jobs.filter((j) => j.step === name),
        input.queues,
      );
      return e ? [e] : [];
    }),
    itemSteps: steps,
    notes: input.notes ?? [],
  };
}

/** Steps in the order their first item started (cached-only steps last). */
function orderOfSteps(steps: ReportItemStep[], cached: string[]): string[] {
  const names = [...new Set(steps.map((s) => s.step))];
  return [...names, ...cached.filter((c) => !names.includes(c))];
}

function summarize(
  step: string,
  steps: ReportItemStep[],
  jobs: PlacedJob[],
  queues: Record<string, QueuePricing>,
  cached: number,
): StepSummary {
  const cost = priceJobs(jobs, queues);
  const attempts = steps.flatMap((s) => s.attempts);
  return {
    step,
    items: new Set(steps.map((s) => s.item)).size + cached,
    succeeded: steps.filter((s) => s.status === 'SUCCEEDED').length,
    failed: steps.filter((s) => s.status === 'FAILED').length,
    cached,
    queued: spread(steps.map((s) => s.queuedMs)),
    run: spread(steps.map((s) => s.runMs)),
    jobHours: cost.jobHours,
    onDemandUsd: cost.onDemandUsd,
    ...(cost.spotUsd === undefined ? {} : { spotUsd: cost.spotUsd }),
    unpricedJobHours: cost.unpricedJobHours,
    spotInterruptions: attempts.filter((a) => a.end === 'spot-interruption').length,
    onDemandFallbacks: steps.filter((s) => s.attempts.some((a) => a.onDemandFallback)).length,
    memoryEscalations: attempts.filter((a) => a.memoryEscalation).length,
  };
}

/**
 * What jobs cost, as `watch` prices a run (lib/client/cost.ts): every attempt's hours (Fargate billed for at least
 * `FARGATE_MIN_BILLED_SECONDS`) × the hourly rate of the job's size on its queue's cheapest fitting instance type.
 */
export function priceJobs(jobs: PlacedJob[], queues: Record<string, QueuePricing>): RunCost {
  const groups = new Map<string, SizedHours>();
  for (const { job, queue } of jobs) {
    const fargate = job.platformCapabilities?.includes('FARGATE') ?? false;
    const size = jobSize(job);
    const key = `${queue}|${fargate}|${size ? `${size.vcpus}/${size.memory.toMebibytes()}/${size.gpus}` : '?'}`;
    const h = attemptHours(job, fargate ? FARGATE_MIN_BILLED_SECONDS * 1000 : 0);
    const g = groups.get(key);
    groups.set(key, {
      hours: (g?.hours ?? 0) + h.hours,
      attempts: (g?.attempts ?? 0) + h.attempts,
      jobs: (g?.jobs ?? 0) + 1,
      succeeded: (g?.succeeded ?? 0) + (job.status === 'SUCCEEDED' ? 1 : 0),
      size: size && { vcpus: size.vcpus, memoryMiB: size.memory.toMebibytes(), gpus: size.gpus },
      fargate,
      instanceTypes: queues[queue]?.types ?? [],
      spot: queues[queue]?.spot ?? false,
    });
  }
  return priceRun([...groups.values()], DEFAULT_SPOT_DISCOUNT, DEFAULT_FARGATE_SPOT_DISCOUNT);
}

function failureOf(s: ReportItemStep, itemId: string | undefined): ReportFailure {
  const last = s.attempts[s.attempts.length - 1];
  return {
    item: s.item,
    ...(itemId === undefined ? {} : { itemId }),
    step: s.step,
    jobId: last.jobId,
    reason: last.reason ?? 'Batch gave no reason',
    ...(last.exitCode === undefined ? {} : { exitCode: last.exitCode }),
    ...(last.logStreamName ? { logStreamName: last.logStreamName } : {}),
    logLines: [],
    logMissing: 'not read',
    logsCommand: `batch-pipelines logs --job-id ${last.jobId}`,
  };
}

/**
 * What `estimateCost` predicts for the step's items, told what the run showed: the job's size, the median run time of
 * a succeeded attempt, the queues' instance types and the concurrency the step reached. Its Spot line adds the
 * model's re-run overhead and On-Demand escalations; the run's actual figures include every attempt. The items are
 * given as one month's and one burst, so the monthly figures are this run's.
 */
function estimateStep(
  step: string,
  steps: ReportItemStep[],
  jobs: PlacedJob[],
  queues: Record<string, QueuePricing>,
): StepEstimate | undefined {
  const succeeded = steps.flatMap((s) => s.attempts.filter((a) => a.end === 'succeeded' && a.startedAt !== undefined));
  const sized = jobs.map((j) => jobSize(j.job)).find((s) => s !== undefined);
  if (steps.length === 0) {
    return undefined;
  }
  const actual = priceJobs(jobs, queues);
  const spot = jobs.some((j) => queues[j.queue]?.spot);
  const fargate = jobs.some((j) => j.job.platformCapabilities?.includes('FARGATE'));
  const base = {
    step,
    items: steps.length,
    actualJobHours: actual.jobHours,
    actualUsd: spot ? actual.spotUsd : actual.onDemandUsd,
    actualSpanHours:
      (steps.reduce((t, s) => Math.max(t, s.end), -Infinity) - steps.reduce((t, s) => Math.min(t, s.start), Infinity)) /
      3_600_000,
  };
  const hoursPerItem = spread(succeeded.map((a) => a.endedAt - a.startedAt!)).median / 3_600_000;
  const unpriced = (note: string): StepEstimate => ({
    ...base,
    hoursPerItem,
    estimatedJobHours: steps.length * hoursPerItem,
    estimatedMakespanHours: 0,
    note,
  });
  if (!sized) {
    return unpriced('the jobs do not say their vCPUs and memory');
  }
  if (succeeded.length === 0 || hoursPerItem <= 0) {
    return unpriced('no attempt succeeded: no run time to estimate from');
  }
  const types = [...new Set(jobs.flatMap((j) => queues[j.queue]?.types ?? []))];
  try {
    const e = estimateCost(
      {
        itemsPerMonth: steps.length,
        burstSize: steps.length,
        hoursPerItem,
        vcpus: sized.vcpus,
        memory: Size.mebibytes(sized.memory.toMebibytes()),
        gpus: sized.gpus,
        maxConcurrency: Math.max(1, peakRunning(steps)),
      },
      types.length > 0 ? { instanceTypes: types } : {},
    );
    const option = fargate ? (spot ? 'Fargate Spot' : 'Fargate') : spot ? 'Batch Spot' : 'Batch On-Demand';
    const line = e.lines.find((l) => l.option === option);
    const run = e.throughput.runJobHoursPerMonth;
    const overhead = spot ? e.spot.rerunOverhead + e.spot.onDemandEscalationShare : 0;
    return {
      ...base,
      hoursPerItem,
      estimatedJobHours: run * (1 + overhead),
      ...(line ? { estimatedUsd: line.monthlyUsd } : {}),
      estimatedMakespanHours: e.makespan.hours,
      ...(line ? {} : { note: `the model has no ${option} line for this job` }),
    };
  } catch (e) {
    return unpriced((e as Error).message);
  }
}
