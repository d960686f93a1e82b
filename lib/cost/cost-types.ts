import { Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { FargateSize, InstanceFit } from '../compute/fit';
import type { CostInputNames } from './cost-input-names';
import { CapacityPlatform } from '../compute/capacity';
import { markError } from '../core/validation-error';

export { LIBRARY_INPUT_NAMES } from './cost-input-names';
export type { CostInputNames, InputKey } from './cost-input-names';

/**
 * The cost model's inputs, outputs, prices and error: what `estimateCost` (cost-model.ts) and the files that render
 * and compute its parts (cost-table.ts, throughput.ts, fixed-costs.ts) share, so none of them imports another's values.
 */

/** Hours in an average month (365 × 24 / 12), the basis of AWS's monthly prices. */
export const HOURS_PER_MONTH = 730;

/**
 * Fargate Linux/x86 prices in us-east-1, per vCPU-hour and per GB-hour.
 * @see https://aws.amazon.com/fargate/pricing/
 */
export const FARGATE_PRICE: FargatePrice = { vcpuHourUsd: 0.04048, gbHourUsd: 0.004445 };

/**
 * Fargate Linux/ARM (Graviton) prices in us-east-1, per vCPU-hour and per GB-hour: Fargate prices "CPU Architecture"
 * as a dimension of its own (https://aws.amazon.com/fargate/pricing/, whose per-Region rates render dynamically); the
 * Linux/ARM figures, $0.03238 per vCPU-hour and $0.00356 per GB-hour, are transcribed from that page's us-east-1 table
 * at https://www.vantage.sh/blog/fargate-pricing, looked up 2026-12.
 * @see https://aws.amazon.com/fargate/pricing/
 */
export const FARGATE_ARM_PRICE: FargatePrice = { vcpuHourUsd: 0.03238, gbHourUsd: 0.00356 };

/** The Fargate price of an architecture: Linux/ARM for `ARM_64`, Linux/x86 otherwise. */
export function fargatePriceOf(architecture?: ec2.InstanceArchitecture): FargatePrice {
  return architecture === ec2.InstanceArchitecture.ARM_64 ? FARGATE_ARM_PRICE : FARGATE_PRICE;
}

/**
 * Fargate bills each task per second with a one-minute minimum (Linux).
 * @see https://aws.amazon.com/fargate/pricing/
 */
export const FARGATE_MIN_BILLED_SECONDS = 60;

/**
 * The Spot discount off On-Demand an estimate assumes unless told (`CostAssumptions.spotDiscount`): the middle of the
 * 55..72% below On-Demand seen for memory-optimized pools in 2026. `PipelineClient.runCost` prices with it too.
 */
export const DEFAULT_SPOT_DISCOUNT = 0.65;

/**
 * The Fargate Spot discount off Fargate an estimate assumes unless told (`CostAssumptions.fargateSpotDiscount`):
 * AWS's "up to 70%", which Fargate Spot tracks closely.
 * @see https://aws.amazon.com/fargate/pricing/
 */
export const DEFAULT_FARGATE_SPOT_DISCOUNT = 0.7;

/**
 * us-east-1 list prices of what a pipeline pays for beyond compute, used only when an estimate is asked for them
 * (`EstimateOptions.fixedCosts`). Prices are inputs to an estimate, not quotes: verify before publishing a number.
 * Composite and high-resolution alarms, interface VPC endpoints and KMS requests are not priced.
 */
export const FIXED_COST_PRICES: FixedCostPrices = {
  // $0.045 per NAT gateway-hour, looked up 2026-11-29. https://aws.amazon.com/vpc/pricing/ renders its per-Region
  // table dynamically; its own worked example (US East (Ohio)) reads "$0.045 per hour", as transcribed from the page
  // on 2026-09-20 (https://raw.githubusercontent.com/api-evangelist/amazon-vpc/refs/heads/main/plans/amazon-vpc-plans-pricing.yml),
  // and us-east-1's $0.045 is from https://costpatrol.io/blog/reduce-aws-nat-gateway-costs ("$0.045 per hour in
  // us-east-1") and https://rajesh.medampudi.com/blog/aws-nat-gateway-hidden-tax (N. Virginia and Ohio). The
  // $0.045 per GB processed is traffic, not a fixed cost, and is not priced here.
  natGatewayHourlyUsd: 0.045,
  // "Each AWS KMS key that you create in KMS costs $1/month", https://aws.amazon.com/kms/pricing/, looked up
  // 2026-11-29 (automatic rotation adds $1/month per rotated backing key; requests are extra, 20,000 a month free).
  kmsKeyMonthlyUsd: 1,
  // $0.10 per standard-resolution alarm metric a month, looked up 2026-11-29: https://aws.amazon.com/cloudwatch/pricing/
  // as stored shows the free tier (10 alarm metrics) but not the paid rate; the rate is from
  // https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm ("$0.10/alarm-month for standard resolution") and
  // https://raw.githubusercontent.com/api-evangelist/cloudwatch/refs/heads/main/plans/cloudwatch-plans-pricing.yml
  // (us-east-1, sourced from the AWS page).
  alarmMonthlyUsd: 0.1,
  // "$0.025 per 1,000 state transitions" (US East (N. Virginia) $0.0250), https://aws.amazon.com/step-functions/pricing/,
  // looked up 2026-11-29; 4,000 transitions a month are free.
  stateTransitionUsd: 0.025 / 1000,
  // Container Insights "are charged as custom metrics by CloudWatch"
  // (https://docs.aws.amazon.com/batch/latest/userguide/cloudwatch-container-insights.html): $0.30 per metric a month
  // for the first 10,000, prorated by the hour, from https://c3x.dev/blog/aws-cloudwatch-metrics-cost/ ("$0.30/metric/
  // month (first 10k)"), as https://aws.amazon.com/cloudwatch/pricing/ as stored does not show the paid rate.
  customMetricMonthlyUsd: 0.3,
};

/** Fargate's price per vCPU-hour and per GB-hour. */
export interface FargatePrice {
  /** USD per vCPU-hour. */
  readonly vcpuHourUsd: number;
  /** USD per GB-hour of memory. */
  readonly gbHourUsd: number;
}

/** Prices of what a pipeline pays for beyond compute. */
export interface FixedCostPrices {
  /** USD per NAT gateway-hour. */
  readonly natGatewayHourlyUsd: number;
  /** USD per customer-managed KMS key a month. */
  readonly kmsKeyMonthlyUsd: number;
  /** USD per standard-resolution CloudWatch alarm a month. */
  readonly alarmMonthlyUsd: number;
  /** USD per Step Functions Standard state transition. */
  readonly stateTransitionUsd: number;
  /** USD per CloudWatch custom metric a month (the first 10,000), which Container Insights' metrics are billed as. */
  readonly customMetricMonthlyUsd: number;
}

/** What the pipeline runs. */
export interface Workload {
  /** Items (samples) per month. */
  readonly itemsPerMonth: number;
  /** Hours one item's job runs. */
  readonly hoursPerItem: number;
  /** vCPUs per job. */
  readonly vcpus: number;
  /** Memory per job. */
  readonly memory: Size;
  /**
   * GPUs per job.
   * @default 0
   */
  readonly gpus?: number;
  /**
   * Items that arrive at once (a burst), for the makespan. Bursts are taken to arrive evenly: one every
   * `burstSize / itemsPerMonth × 730` hours.
   * @default - a week's items (itemsPerMonth × 12 / 52), so one burst a week
   */
  readonly burstSize?: number;
  /** Jobs that may run at once (the workflow's fan-out concurrency). */
  readonly maxConcurrency: number;
}

/** Where it runs and the prices and rates to assume. Every number is an input with a stated default. */
export interface CostAssumptions {
  /**
   * EC2 instance types Batch may launch.
   * @default - `Ec2Capacity.DEFAULT_INSTANCE_TYPES` (r5, r6i, r7i in xlarge..4xlarge)
   */
  readonly instanceTypes?: string[];
  /**
   * The compute environment's maxvCpus, which can cap concurrency below `maxConcurrency`.
   * @default - enough for `maxConcurrency` jobs
   */
  readonly maxvCpus?: number;
  /**
   * Spot discount off On-Demand (0..1).
   * @default 0.65 - the middle of the 55..72% below On-Demand seen for memory-optimized pools in 2026
   */
  readonly spotDiscount?: number;
  /**
   * Fargate Spot discount off Fargate (0..1).
   * @default 0.7 - AWS's "up to 70%"; Fargate Spot tracks it closely
   */
  readonly fargateSpotDiscount?: number;
  /**
   * Spot interruptions per instance-hour.
   * @default 0.03 - an assumption (AWS publishes monthly frequencies per pool, not hourly); replace it with your
   * own from the SpotInterruptions metric
   */
  readonly spotInterruptionsPerHour?: number;
  /**
   * Whether jobs checkpoint, which bounds the work an interruption loses.
   * @default false
   */
  readonly checkpointing?: boolean;
  /**
   * Fraction of a job lost per interruption.
   * @default - 0.5 without checkpointing (on average half the job), 0.05 with
   */
  readonly lostFractionPerInterruption?: number;
  /**
   * Re-run overhead on Spot as a fraction of job-hours, instead of deriving it from the interruption rate.
   * @default - derived: interruptions per job × lost fraction
   */
  readonly spotRerunOverhead?: number;
  /**
   * Attempts before a Spot-interrupted job escalates to On-Demand (the job's retry attempts).
   * @default 3
   */
  readonly spotAttempts?: number;
  /**
   * Utilization an always-on dedicated fleet sustains: it must absorb bursts, so it is sized above the average load.
   * @default 0.85
   */
  readonly dedicatedUtilization?: number;
}

/**
 * What a pipeline pays for beyond compute, priced in a block of its own (never folded into the per-item lines) when
 * given. A count left out is not priced and stays in the estimate's `notIncluded` list.
 */
export interface FixedCosts {
  /**
   * NAT gateways, each billed every hour it exists (traffic through it is not priced).
   * @default - not priced
   */
  readonly natGateways?: number;
  /**
   * Customer-managed KMS keys.
   * @default - not priced
   */
  readonly kmsKeys?: number;
  /**
   * Standard-resolution CloudWatch alarms.
   * @default - not priced
   */
  readonly alarms?: number;
  /**
   * Step Functions Standard state transitions per item that runs (the workflow's transitions for one item,
   * retries included). Not fixed: it grows with the items run, but it is shown in the same block.
   * @default - not priced
   */
  readonly stateTransitionsPerItem?: number;
  /**
   * CloudWatch custom metrics Container Insights keeps (`Ec2Capacity` `containerInsights`), billed as custom metrics;
   * `CostReport` with `includeFixedCosts` counts them from the stack. The performance log events they come from are
   * log ingestion, not priced.
   * @default - not priced
   */
  readonly containerInsightsMetrics?: number;
}

/** How an estimate is made beyond the workload and the assumptions. */
export interface EstimateOptions {
  /**
   * What else to price, in a block of its own.
   * @default - compute only
   */
  readonly fixedCosts?: FixedCosts;
  /**
   * What warnings and errors call the inputs, and so which fix they name (`raise maxConcurrency to 6` or
   * `raise --concurrency to 6`).
   * @default - `LIBRARY_INPUT_NAMES`, the library's props
   */
  readonly inputNames?: CostInputNames;
  /**
   * Price only one platform, the one the capacity has: `EC2` prices Batch On-Demand and Spot on `instanceTypes`,
   * `FARGATE` prices Fargate and Fargate Spot (and no EC2 instance type). Either leaves out the always-on fleets,
   * which are a comparison, not an option a Batch stack has.
   * @default - both platforms and the always-on fleets, for comparison
   */
  readonly platform?: CapacityPlatform;
  /**
   * The CPU architecture Fargate lines are priced at: `ARM_64` prices Linux/ARM (`CostModel.FARGATE_ARM_PRICE`) and
   * leaves out Fargate Spot, which runs only Linux/x86 tasks ("Linux tasks with the ARM64 architecture don't support
   * the Fargate Spot capacity provider", https://docs.aws.amazon.com/AmazonECS/latest/userguide/fargate-capacity-providers.html;
   * for Batch: "Fargate Spot is not supported for ARM64", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-jobdefinition-runtimeplatform.html).
   * EC2 lines are priced by `instanceTypes` whatever this says: name Graviton types there for arm64 on EC2.
   * @default ec2.InstanceArchitecture.X86_64 - Fargate at Linux/x86 prices
   */
  readonly architecture?: ec2.InstanceArchitecture;
}

/** Where the job lands on EC2. */
export interface Placement {
  /** Instance type with the lowest cost per job-hour. */
  readonly instanceType: string;
  /** Jobs one instance runs at once. */
  readonly jobsPerInstance: number;
  /** Packing efficiency (0..1). */
  readonly packingEfficiency: number;
  /** On-Demand USD per hour of the instance. */
  readonly onDemandHourlyUsd: number;
  /** On-Demand USD per job-hour (instance price / jobs per instance). */
  readonly onDemandPerJobHourUsd: number;
  /** Every instance type that fits, cheapest per job-hour first. */
  readonly alternatives: InstanceFit[];
}

/** One way to run the workload, priced per month. */
export interface CostLine {
  /** What it is. */
  readonly option: string;
  /** USD per month. */
  readonly monthlyUsd: number;
  /** USD per item that runs. */
  readonly perItemUsd: number;
  /** How it was computed, in one line. */
  readonly basis: string;
}

/** What limits how fast a burst finishes. */
export enum MakespanLimit {
  /** The burst is smaller than the concurrency: one wave. */
  ITEMS = 'items',
  /** The workflow's fan-out concurrency. */
  WORKFLOW_CONCURRENCY = 'workflow maxConcurrency',
  /** The compute environment's maxvCpus. */
  MAX_VCPUS = 'compute environment maxvCpus',
}

/** Spot's overhead on a workload. */
export interface SpotOverhead {
  /** Expected interruptions per job. */
  readonly interruptionsPerJob: number;
  /** Re-run overhead as a fraction of job-hours. */
  readonly rerunOverhead: number;
  /** Share of jobs whose Spot attempts are all interrupted, so they run again On-Demand. */
  readonly onDemandEscalationShare: number;
}

/** How long a burst takes. */
export interface Makespan {
  /** Items in the burst. */
  readonly burstSize: number;
  /** Jobs running at once. */
  readonly concurrency: number;
  /** Waves of `concurrency` jobs. */
  readonly waves: number;
  /** Hours until every item of one burst is done, starting from an empty queue (waves × hours per item). */
  readonly hours: number;
  /** What caps the concurrency. */
  readonly limitedBy: MakespanLimit;
  /** Hours between bursts (burstSize / itemsPerMonth × 730), or undefined when no items arrive. */
  readonly intervalHours?: number;
  /** Whether the queue empties between bursts; false when the work outruns capacity. */
  readonly drains: boolean;
  /** When the queue never drains, how many hours later each burst finishes than the one before; 0 otherwise. */
  readonly lagPerBurstHours: number;
}

/** Work left over each period when the work outruns capacity. It accumulates: the queue grows without end. */
export interface Backlog {
  /** Items a month that arrive but cannot run. */
  readonly itemsPerMonth: number;
  /** Items a week that arrive but cannot run. */
  readonly itemsPerWeek: number;
  /** Job-hours a month beyond capacity. */
  readonly jobHoursPerMonth: number;
}

/** How much work the capacity can run against how much arrives. */
export interface Throughput {
  /** Jobs that can run at once: the workflow's maxConcurrency, or fewer when maxvCpus allows fewer. */
  readonly concurrency: number;
  /** Which limit sets `concurrency` (`WORKFLOW_CONCURRENCY` or `MAX_VCPUS`). */
  readonly limitedBy: MakespanLimit;
  /** vCPUs of maxvCpus one running job takes (its instance's vCPUs / jobs per instance, or its Fargate size's). */
  readonly vcpusPerJob: number;
  /** Job-hours a month the work asks for (items × hours per item). */
  readonly demandJobHoursPerMonth: number;
  /** Job-hours a month the capacity can run (concurrency × 730). */
  readonly capacityJobHoursPerMonth: number;
  /** Job-hours a month that run: the smaller of demand and capacity. What the Batch and Fargate lines price. */
  readonly runJobHoursPerMonth: number;
  /** Items a month that run; per-item figures divide by this. */
  readonly itemsRunPerMonth: number;
  /** Jobs at once needed to keep up with the demand: ceil(demand job-hours / 730). */
  readonly concurrencyNeeded: number;
  /** Jobs at once the maxvCpus given allows, or undefined when none was given. */
  readonly jobsWithinMaxvCpus?: number;
  /** maxvCpus that lets `concurrencyNeeded` jobs run at once, in whole instances. */
  readonly maxvCpusNeeded: number;
  /** What is left over when the work outruns capacity; undefined when capacity keeps up. */
  readonly backlog?: Backlog;
}

/** One priced item beyond compute. */
export interface FixedCostLine {
  /** What it is, e.g. `NAT gateways`. */
  readonly item: string;
  /** How many (gateways, keys, alarms, or state transitions a month). */
  readonly quantity: number;
  /** USD per month. */
  readonly monthlyUsd: number;
  /** How it was computed, in one line. */
  readonly basis: string;
}

/** What was priced beyond compute. */
export interface FixedCostEstimate {
  /** One line per item given. */
  readonly lines: FixedCostLine[];
  /** Their sum, USD per month. */
  readonly monthlyUsd: number;
}

/** What one job asks for. */
export interface JobRequest {
  /** vCPUs. */
  readonly vcpus: number;
  /** Memory in MiB. */
  readonly memoryMiB: number;
  /** GPUs. */
  readonly gpus: number;
}

/** The assumptions an estimate used, defaults filled in. */
export interface ResolvedAssumptions {
  /** EC2 instance types. */
  readonly instanceTypes: string[];
  /** The compute environment's maxvCpus, if given. */
  readonly maxvCpus?: number;
  /** Spot discount (0..1). */
  readonly spotDiscount: number;
  /** Fargate Spot discount (0..1). */
  readonly fargateSpotDiscount: number;
  /** Spot interruptions per instance-hour. */
  readonly spotInterruptionsPerHour: number;
  /** Whether jobs checkpoint. */
  readonly checkpointing: boolean;
  /** Fraction of a job lost per interruption. */
  readonly lostFractionPerInterruption: number;
  /** Re-run overhead given instead of derived, if any. */
  readonly spotRerunOverhead?: number;
  /** Spot attempts before On-Demand. */
  readonly spotAttempts: number;
  /** Utilization of an always-on fleet. */
  readonly dedicatedUtilization: number;
}

/** The estimate. */
export interface CostEstimate {
  /** Job-hours per month the work asks for (see `throughput` for what runs). */
  readonly jobHoursPerMonth: number;
  /** Jobs running at once on average: what runs / 730, never more than the concurrency. */
  readonly averageConcurrentJobs: number;
  /** What one job asks for. */
  readonly job: JobRequest;
  /** Where the job lands on EC2, or undefined if it fits no instance type given. */
  readonly placement?: Placement;
  /**
   * The Fargate size the job is priced at: the smallest valid one that holds it, which is larger than `job` when
   * the request is not itself a valid size. Undefined with GPUs.
   */
  readonly fargateSize?: FargateSize;
  /**
   * Monthly cost per option, in the order: dedicated (average), dedicated (peak), Batch On-Demand, Batch Spot,
   * Fargate, Fargate Spot (none for `architecture` ARM_64: Fargate Spot runs x86 only).
   */
  readonly lines: CostLine[];
  /** The floor: the cheapest fitting capacity × job-hours that run, no overhead. */
  readonly floor: CostLine;
  /** Spot: interruptions per job, re-run overhead, and the share of jobs escalated to On-Demand. */
  readonly spot: SpotOverhead;
  /** Concurrency, capacity against demand, the concurrency needed to keep up, and any backlog. */
  readonly throughput: Throughput;
  /** A burst: hours until every item is done, the concurrency reached, what limits it, and whether it drains. */
  readonly makespan: Makespan;
  /** What needs acting on, in words that name the fix (empty when nothing does). */
  readonly warnings: string[];
  /** What was priced beyond compute, when asked (`EstimateOptions.fixedCosts`). */
  readonly fixedCosts?: FixedCostEstimate;
  /** Costs the estimate leaves out. */
  readonly notIncluded: string[];
  /** The assumptions used, with defaults filled in. */
  readonly assumptions: ResolvedAssumptions;
}

/**
 * Thrown for a workload or assumption the model cannot price. Other languages: `PipelineErrors.isCostModelError`.
 * @jsii ignore
 */
export class CostModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CostModelError';
    markError(this, 'cost-model');
  }
}
