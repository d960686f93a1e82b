import { Annotations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CostAssumptions, CostEstimate, CostModelError, estimateCost, formatCostTable, Workload } from './cost-model';
import { ICapacity } from '../compute/capacity';
import { Ec2Capacity } from '../compute/ec2-capacity';

/** Props of `CostReport`. */
export interface CostReportProps {
  /** What the pipeline runs. */
  readonly workload: Workload;
  /**
   * The capacity jobs run on: its maxvCpus (and, for an `Ec2Capacity`, its instance types) feed the estimate. Any
   * capacity, imported or Fargate, is accepted; only an `Ec2Capacity` says which instance types to price.
   * @default - the assumptions' instance types (or the library's default set), no maxvCpus limit
   */
  readonly capacity?: ICapacity;
  /**
   * Prices, discounts and rates.
   * @default - the documented defaults of `CostAssumptions`
   */
  readonly assumptions?: CostAssumptions;
}

/** Metadata type under which the estimate is stored in the cloud assembly. */
export const COST_ESTIMATE_METADATA = 'cdk-batch-pipelines:cost-estimate';

/**
 * Adds what the pipeline will cost and how long a burst takes to the cloud assembly (construct metadata
 * `cdk-batch-pipelines:cost-estimate`) and prints the table at synth as an info message. A workload the model cannot
 * price becomes a warning, never a failed synth.
 */
export class CostReport extends Construct {
  /** The estimate, when the workload could be priced. */
  public readonly estimate?: CostEstimate;

  constructor(scope: Construct, id: string, props: CostReportProps) {
    super(scope, id);
    try {
      this.estimate = estimateCost(props.workload, {
        ...props.assumptions,
        instanceTypes:
          props.assumptions?.instanceTypes ??
          (props.capacity instanceof Ec2Capacity ? props.capacity.instanceTypeNames : undefined),
        maxvCpus: props.assumptions?.maxvCpus ?? props.capacity?.maxvCpus,
      });
    } catch (e) {
      if (!(e instanceof CostModelError)) {
        throw e;
      }
      Annotations.of(this).addWarningV2(
        'cdk-batch-pipelines:cost-estimate',
        `${this.node.path}: no cost estimate: ${e.message}`,
      );
      return;
    }
    const e = this.estimate;
    this.node.addMetadata(COST_ESTIMATE_METADATA, {
      jobHoursPerMonth: Math.round(e.jobHoursPerMonth),
      instanceType: e.placement?.instanceType,
      monthlyUsd: Object.fromEntries([...e.lines, e.floor].map((l) => [l.option, Math.round(l.monthlyUsd)])),
      burstHours: e.makespan.hours,
      assumptions: e.assumptions,
    });
    Annotations.of(this).addInfo(
      `Cost estimate (us-east-1 On-Demand prices, ${e.assumptions.spotDiscount * 100}% Spot discount):\n${formatCostTable(e)}`,
    );
  }
}
