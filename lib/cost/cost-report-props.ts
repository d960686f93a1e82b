import { Duration } from 'aws-cdk-lib';
import { CostAssumptions, FixedCosts, Workload } from './cost-types';
import { ICapacity } from '../compute/capacity';
import { Job } from '../jobs/job';
import { Workflow } from '../workflow/workflow';
import type { KnownKeys } from '../private/known-props';

/** Props of `CostReport`: `workflow` (or `jobs`) and the items a month, or a `workload` typed by hand. */
export interface CostReportProps {
  /**
   * Price this workflow as the stack declares it: each step's job (vCPUs, memory, GPUs, timeout) on the capacities
   * of the queue it is submitted to (Fargate or EC2, Spot or On-Demand, the capacity's own instance types and
   * maxvCpus), its fan-out's `expectedItems` and `maxConcurrency`, and the state transitions of its definition.
   * Give `itemsPerMonth` or `itemsPerDay` with it.
   * @default - not built from a workflow (`jobs` or `workload`)
   */
  readonly workflow?: Workflow;
  /**
   * Price these jobs, each run once per item on its first queue's first capacity (no state transitions). Give
   * `itemsPerMonth` or `itemsPerDay` with them.
   * @default - not built from jobs (`workflow` or `workload`)
   */
  readonly jobs?: Job[];
  /**
   * Items a month (with `workflow` or `jobs`): a fan-out's item each, or a run each when the workflow has no fan-out.
   * @default - `itemsPerDay` × 730 / 24; one of the two is required with `workflow` or `jobs`
   */
  readonly itemsPerMonth?: number;
  /**
   * Items a day (with `workflow` or `jobs`), for a workload that arrives daily.
   * @default - `itemsPerMonth`
   */
  readonly itemsPerDay?: number;
  /**
   * How long a step's job typically runs, by step name (or, with `jobs`, by the job's construct id), e.g.
   * `{ transcode: Duration.minutes(20) }`.
   * @default - each job's timeout: an upper bound, marked "(timeout)" in the table
   */
  readonly runtimes?: Record<string, Duration>;
  /**
   * What the pipeline runs, typed by hand: the explicit form, for a workload not (yet) declared as jobs. Prefer
   * `workflow`, which reads the same numbers from the stack.
   * @default - none: give `workflow` or `jobs`
   */
  readonly workload?: Workload;
  /**
   * With `workload` only: the capacity jobs run on: its maxvCpus, its architecture (an arm64 capacity's Fargate
   * lines are priced at Linux/ARM rates, without Fargate Spot) and, for an `Ec2Capacity`, its instance types feed
   * the estimate. Any capacity, imported or Fargate, is accepted; only an `Ec2Capacity` says which instance
   * types to price. With `workflow` or `jobs` each step's queue says its capacity.
   * @default - the assumptions' instance types (or the library's default set), no maxvCpus limit
   */
  readonly capacity?: ICapacity;
  /**
   * Prices, discounts and rates.
   * @default - the documented defaults of `CostAssumptions`
   */
  readonly assumptions?: CostAssumptions;
  /**
   * Price the NAT gateways, customer-managed KMS keys and CloudWatch alarms this report's stack contains (counted at
   * synth, once the stack is complete), in a block of their own beside the compute estimate. With `workload` only.
   * @default false - compute only; the table lists what it leaves out
   */
  readonly includeFixedCosts?: boolean;
  /**
   * Counts to price beyond compute, in a block of their own. With `includeFixedCosts`, a count given here replaces
   * the one counted in the stack (e.g. `stateTransitionsPerItem`, which `workflow` counts itself). With `workload`
   * only.
   * @default - none
   */
  readonly fixedCosts?: FixedCosts;
}

/** Every prop of `CostReportProps`, for the run-time check of unknown keys. */
export const COST_REPORT_PROPS_KEYS: KnownKeys<CostReportProps> = {
  workflow: true,
  jobs: true,
  itemsPerMonth: true,
  itemsPerDay: true,
  runtimes: true,
  workload: true,
  capacity: true,
  assumptions: true,
  includeFixedCosts: true,
  fixedCosts: true,
};
