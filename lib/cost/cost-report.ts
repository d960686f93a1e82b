import { Annotations, CfnResource, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { estimateCost, formatCostTable } from './cost-model';
import { CostAssumptions, CostEstimate, CostModelError, FixedCosts, LIBRARY_INPUT_NAMES, Workload } from './cost-types';
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
  /**
   * Price the NAT gateways, customer-managed KMS keys and CloudWatch alarms this report's stack contains (counted at
   * synth, once the stack is complete), in a block of their own beside the compute estimate.
   * @default false - compute only; the table lists what it leaves out
   */
  readonly includeFixedCosts?: boolean;
  /**
   * Counts to price beyond compute, in a block of their own. With `includeFixedCosts`, a count given here replaces
   * the one counted in the stack (e.g. `stateTransitionsPerItem`, which no stack can count).
   * @default - none
   */
  readonly fixedCosts?: FixedCosts;
}

/** Metadata type under which the estimate is stored in the cloud assembly. */
export const COST_ESTIMATE_METADATA = 'cdk-batch-pipelines:cost-estimate';

/** Warning id for an estimate whose work outruns its capacity (acknowledge it with this id). */
export const COST_BACKLOG_WARNING = 'cdk-batch-pipelines:cost-estimate-backlog';

/**
 * Adds what the pipeline will cost and how long a burst takes to the cloud assembly (construct metadata
 * `cdk-batch-pipelines:cost-estimate`) and prints the table at synth as an info message. When the work outruns the
 * capacity, each of the estimate's warnings is also a CDK warning (`cdk-batch-pipelines:cost-estimate-backlog`). A
 * workload the model cannot price becomes a warning, never a failed synth.
 */
export class CostReport extends Construct {
  private current?: CostEstimate;
  private reported = false;

  constructor(scope: Construct, id: string, props: CostReportProps) {
    super(scope, id);
    const assumptions: CostAssumptions = {
      ...props.assumptions,
      instanceTypes:
        props.assumptions?.instanceTypes ??
        (props.capacity instanceof Ec2Capacity ? props.capacity.instanceTypeNames : undefined),
      maxvCpus: props.assumptions?.maxvCpus ?? props.capacity?.maxvCpus,
    };
    // The capacity's maxvCpus is set on the capacity, so the fix says where.
    const inputNames =
      props.assumptions?.maxvCpus === undefined && props.capacity
        ? { ...LIBRARY_INPUT_NAMES, maxvCpus: 'maxvCpus of the capacity' }
        : LIBRARY_INPUT_NAMES;
    const estimate = (fixedCosts?: FixedCosts) => estimateCost(props.workload, assumptions, { fixedCosts, inputNames });
    try {
      this.current = estimate(props.fixedCosts);
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
    if (props.includeFixedCosts) {
      // Counted once the tree is complete: validation runs after every construct and aspect has been added.
      this.node.addValidation({
        validate: () => {
          if (!this.reported) {
            this.current = estimate({ ...this.countFixedCosts(), ...definedOnly(props.fixedCosts) });
            this.report(this.current);
          }
          return [];
        },
      });
    } else {
      this.report(this.current);
    }
  }

  /**
   * The estimate, when the workload could be priced. With `includeFixedCosts`, its `fixedCosts` hold the stack's
   * counts only after synth has begun; before that they hold what `fixedCosts` gave.
   */
  public get estimate(): CostEstimate | undefined {
    return this.current;
  }

  private countFixedCosts(): FixedCosts {
    const resources = Stack.of(this)
      .node.findAll()
      .filter((c): c is CfnResource => c instanceof CfnResource);
    const count = (type: string) => resources.filter((r) => r.cfnResourceType === type).length;
    return {
      natGateways: count('AWS::EC2::NatGateway'),
      kmsKeys: count('AWS::KMS::Key'),
      alarms: count('AWS::CloudWatch::Alarm'),
    };
  }

  private report(e: CostEstimate): void {
    this.reported = true;
    this.node.addMetadata(COST_ESTIMATE_METADATA, {
      jobHoursPerMonth: Math.round(e.jobHoursPerMonth),
      instanceType: e.placement?.instanceType,
      monthlyUsd: Object.fromEntries([...e.lines, e.floor].map((l) => [l.option, Math.round(l.monthlyUsd)])),
      burstHours: e.makespan.hours,
      concurrency: e.throughput.concurrency,
      concurrencyNeeded: e.throughput.concurrencyNeeded,
      backlogItemsPerMonth: e.throughput.backlog && Math.round(e.throughput.backlog.itemsPerMonth * 10) / 10,
      fixedMonthlyUsd: e.fixedCosts && Math.round(e.fixedCosts.monthlyUsd * 100) / 100,
      warnings: e.warnings,
      assumptions: e.assumptions,
    });
    Annotations.of(this).addInfo(
      `Cost estimate (us-east-1 On-Demand prices, ${e.assumptions.spotDiscount * 100}% Spot discount):\n${formatCostTable(e)}`,
    );
    for (const warning of e.warnings) {
      Annotations.of(this).addWarningV2(COST_BACKLOG_WARNING, `${this.node.path}: ${warning}`);
    }
  }
}

/** The fields of `f` that were given, so an undefined one does not hide a counted one. */
function definedOnly(f: FixedCosts | undefined): FixedCosts {
  return Object.fromEntries(Object.entries(f ?? {}).filter(([, v]) => v !== undefined));
}
