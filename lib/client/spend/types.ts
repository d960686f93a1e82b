import type { RunCost } from '../run-cost';

/** What `PipelineClient.spend` reads and returns. */

/**
 * Options of `PipelineClient.spend`.
 * @jsii ignore
 */
export interface SpendOptions {
  /** The pipeline: the value of its `batch-pipelines:pipeline` tag (by default the stack's name). */
  readonly pipeline: string;
  /** The first day, `YYYY-MM-DD` (UTC, as Cost Explorer's days are). */
  readonly start: string;
  /** The day after the last, `YYYY-MM-DD` (exclusive, as Cost Explorer's `TimePeriod.End`). */
  readonly end: string;
  /**
   * One row a day, or a week (Monday to Sunday). Cost Explorer has DAILY, MONTHLY and HOURLY granularity but no
   * weekly one: weeks are summed from its days.
   * @default 'day'
   */
  readonly by?: 'day' | 'week';
  /**
   * Also price the jobs that ran in the period from Batch's records (the pipeline's queues are found by the tag).
   * @default true
   */
  readonly runs?: boolean;
}

/**
 * One service's cost, as Cost Explorer's SERVICE dimension names it.
 * @jsii ignore
 */
export interface ServiceCost {
  /** E.g. `Amazon Elastic Compute Cloud - Compute`, `EC2 - Other`, `AmazonCloudWatch`. */
  readonly service: string;
  /** Unblended cost, USD. */
  readonly usd: number;
}

/**
 * A day or a week of spend.
 * @jsii ignore
 */
export interface SpendPeriod {
  /** First day, `YYYY-MM-DD`. */
  readonly start: string;
  /** The day after the last, `YYYY-MM-DD`. */
  readonly end: string;
  /** Unblended cost, USD. */
  readonly usd: number;
  /** By service, most expensive first. */
  readonly services: ServiceCost[];
  /** Whether Cost Explorer marks a day of it as estimated (the month's bill is not final). */
  readonly estimated: boolean;
  /** A week cut by the range's start or end: fewer than 7 days. */
  readonly partial: boolean;
}

/**
 * The list price of the jobs Batch recorded in the period.
 * @jsii ignore
 */
export interface RunsInPeriod {
  /** The pipeline's queues (tagged with its name). */
  readonly queues: string[];
  /** Their finished jobs that started in the period, priced as `watch` and `estimate` price. */
  readonly cost: RunCost;
  /** The list price that compares with what was billed: Spot when the queues have Spot capacity, else On-Demand. */
  readonly usd: number;
}

/**
 * A difference between the bill and the runs, and what explains it.
 * @jsii ignore
 */
export interface SpendDifference {
  /** The service, or `compute` for EC2 and Fargate together. */
  readonly what: string;
  /** USD of the bill this line is about. */
  readonly usd: number;
  /** Why it is there. */
  readonly explanation: string;
}

/**
 * A cost-allocation tag: its key and the value a pipeline's resources carry.
 * @jsii ignore
 */
export interface SpendTag {
  /** The tag's key, `batch-pipelines:pipeline`. */
  readonly key: string;
  /** The pipeline's name. */
  readonly value: string;
}

/**
 * What a pipeline cost in a period, by Cost Explorer, beside the list price of its runs.
 * @jsii ignore
 */
export interface SpendReport {
  /** The tag filtered on. */
  readonly tag: SpendTag;
  /** The first day, `YYYY-MM-DD` (UTC). */
  readonly start: string;
  /** The day after the last, `YYYY-MM-DD` (exclusive, as Cost Explorer's `TimePeriod.End`). */
  readonly end: string;
  /** Whether the periods are days or weeks (Monday to Sunday, summed from Cost Explorer's days). */
  readonly by: 'day' | 'week';
  /** Days or weeks, oldest first. */
  readonly periods: SpendPeriod[];
  /** The whole range by service, most expensive first. */
  readonly services: ServiceCost[];
  /** Unblended cost of the whole range, USD. */
  readonly usd: number;
  /** Cost Explorer requests made (each page costs $0.01). */
  readonly requests: number;
  /** The runs of the period, when asked for. */
  readonly runs?: RunsInPeriod;
  /** Differences between the bill and the runs that the report can explain. */
  readonly differences: SpendDifference[];
  /** What the reader should know: data delay, an inactive tag, estimated days. */
  readonly notes: string[];
}
