import type { CostEstimate, CostLine } from './cost-types';

/**
 * What a `CostReport` built from a workflow or jobs reports: each step's job priced on the capacities of the queue it
 * is submitted to, the workflow's state transitions, and their sum.
 */

/** One step's (or job's) cost, on the capacity its queue uses. */
export interface StepCost {
  /** The step's name (or the job's construct id). */
  readonly step: string;
  /** The construct path of the queue the step submits to. */
  readonly queue: string;
  /** What its queue's first capacity is, e.g. `Fargate Spot` or `EC2 Spot`. */
  readonly capacity: string;
  /** Jobs a month (array children counted). */
  readonly jobsPerMonth: number;
  /** Hours one job runs. */
  readonly hoursPerJob: number;
  /** Where those hours come from: `runtimes` or `its job's timeout`. */
  readonly hoursFrom: string;
  /** The estimate on the queue's first capacity, which the monthly sum takes. */
  readonly estimate: CostEstimate;
  /** What the step costs a month on the queue's first capacity. */
  readonly line: CostLine;
  /** The same work on each other capacity of the queue (its fallbacks), for comparison. */
  readonly fallbackLines: CostLine[];
}

/** The workflow's Step Functions Standard state transitions, from its definition. */
export interface TransitionEstimate {
  /** Transitions a run makes outside its fan-outs, when every job succeeds at its first attempt. */
  readonly perRun: number;
  /** Transitions one item of the fan-outs makes (summed over the fan-outs), its child execution's start included. */
  readonly perItem: number;
  /**
   * Of `perItem`, the transitions that start an item's child execution: 1 for each fan-out run as a Distributed Map
   * (Step Functions charges one for each child execution a Distributed Map starts), 0 for an Inline Map.
   * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html
   */
  readonly childExecutionsPerItem: number;
  /** Runs a month: items a month / the fan-out's `expectedItems` (each item a run when there is no fan-out). */
  readonly runsPerMonth: number;
  /** Transitions a month. */
  readonly perMonth: number;
  /** USD a month, before the free tier (4,000 a month). */
  readonly monthlyUsd: number;
}

/** What a workflow's step cache costs and saves (`WorkflowProps.cache`). */
export interface StepCacheEstimate {
  /** The cached steps. */
  readonly steps: string[];
  /**
   * Transitions a first run of an item adds beyond `TransitionEstimate.perItem` (which follows a run where no lookup
   * misses): per cached step, the lookup that finds no record and the mark that the item ran.
   */
  readonly missTransitionsPerItem: number;
  /** Those transitions a month, in USD. */
  readonly missMonthlyUsd: number;
  /** The share of items assumed to fail at one step and be rerun (0.02). */
  readonly failedShare: number;
  /** Compute a month to rerun them without the cache: every step of each failed item again. */
  readonly rerunWithoutUsd: number;
  /** With the cache: at most the costliest cached step of each failed item (the others are served from the cache). */
  readonly rerunWithUsd: number;
}

/** The estimate of a `CostReport` built from a workflow or jobs. */
export interface DeclaredCostEstimate {
  /** Items a month the estimate assumes. */
  readonly itemsPerMonth: number;
  /** Each step (or job), in the workflow's order. */
  readonly steps: StepCost[];
  /** The workflow's state transitions; undefined for jobs without a workflow. */
  readonly transitions?: TransitionEstimate;
  /** The workflow's step cache, when it has one. */
  readonly cache?: StepCacheEstimate;
  /** Compute a month: each step on its queue's first capacity. */
  readonly computeMonthlyUsd: number;
  /** Compute and transitions, a month. */
  readonly monthlyUsd: number;
  /** What needs acting on, each naming its step (empty when nothing does). */
  readonly warnings: string[];
  /** Steps that could not be priced, with why. */
  readonly notPriced: string[];
}
