import { Annotations, CfnResource, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import { Construct } from 'constructs';
import { estimateCost, formatCostTable } from './cost-model';
import {
  CostAssumptions,
  CostEstimate,
  CostModelError,
  DEFAULT_FARGATE_SPOT_DISCOUNT,
  DEFAULT_SPOT_DISCOUNT,
  FixedCosts,
  LIBRARY_INPUT_NAMES,
  Workload,
} from './cost-types';
import { estimateDeclared, unitsOfJobs, unitsOfWorkflow } from './declared-cost';
import { renderDeclaredTable } from './declared-cost-table';
import type { DeclaredCostEstimate } from './declared-cost-types';
import { COST_REPORT_PROPS_KEYS, CostReportProps } from './cost-report-props';
import { checkDeclaredProps } from './report-props';
import { Ec2Capacity } from '../compute/ec2-capacity';
import { checkKnownProps } from '../private/known-props';
import { CONTAINER_INSIGHTS_METRICS_PER_CLUSTER, CONTAINER_INSIGHTS_METRICS_PER_TASK_FAMILY } from '../private/limits';

/** Metadata type under which the estimate is stored in the cloud assembly. */
export const COST_ESTIMATE_METADATA = 'cdk-batch-pipelines:cost-estimate';

/** Warning id for an estimate whose work outruns its capacity (acknowledge it with this id). */
export const COST_BACKLOG_WARNING = 'cdk-batch-pipelines:cost-estimate-backlog';

/**
 * Adds what the pipeline will cost and how long a burst takes to the cloud assembly (construct metadata
 * `cdk-batch-pipelines:cost-estimate` on the report's own stack) and prints the table at synth as an info message
 * of that stack, so `cdk synth <Stack>` prints it for each stack that has a report. Built from a `workflow` (or
 * `jobs`) it prices what the stack declares; from a `workload`, what was typed. When the work outruns the capacity,
 * each of the estimate's warnings is also a CDK warning (`cdk-batch-pipelines:cost-estimate-backlog`). A workload
 * the model cannot price becomes a warning, never a failed synth.
 */
export class CostReport extends Construct {
  private current?: CostEstimate;
  private declared?: DeclaredCostEstimate;
  private reported = false;

  constructor(scope: Construct, id: string, props: CostReportProps) {
    super(scope, id);
    checkKnownProps(this, 'CostReportProps', props, COST_REPORT_PROPS_KEYS);
    const itemsPerMonth = checkDeclaredProps(this, props);
    if (itemsPerMonth !== undefined) {
      this.reportDeclared(props, itemsPerMonth);
      return;
    }
    // checkDeclaredProps has made sure a workload is given when neither workflow nor jobs is.
    this.reportWorkload({ ...props, workload: props.workload! });
  }

  /**
   * The estimate, when the workload could be priced. With `includeFixedCosts`, its `fixedCosts` hold the stack's
   * counts only after synth has begun; before that they hold what `fixedCosts` gave. Undefined for a report built
   * from a workflow or jobs: see `declaredEstimate`.
   */
  public get estimate(): CostEstimate | undefined {
    return this.current;
  }

  /** The estimate of a report built from a workflow or jobs: each step, the transitions and the sum. */
  public get declaredEstimate(): DeclaredCostEstimate | undefined {
    return this.declared;
  }

  private reportDeclared(props: CostReportProps, itemsPerMonth: number): void {
    const e = estimateDeclared({
      units: props.workflow ? unitsOfWorkflow(props.workflow) : unitsOfJobs(props.jobs ?? []),
      workflow: props.workflow,
      itemsPerMonth,
      runtimes: props.runtimes ?? {},
      assumptions: props.assumptions ?? {},
    });
    this.declared = e;
    this.node.addMetadata(COST_ESTIMATE_METADATA, {
      itemsPerMonth: Math.round(itemsPerMonth * 10) / 10,
      monthlyUsd: Math.round(e.monthlyUsd),
      computeMonthlyUsd: Math.round(e.computeMonthlyUsd),
      steps: e.steps.map((s) => ({
        step: s.step,
        capacity: s.capacity,
        instanceType: s.estimate.placement?.instanceType,
        hoursPerJob: s.hoursPerJob,
        hoursFrom: s.hoursFrom,
        monthlyUsd: Math.round(s.line.monthlyUsd),
      })),
      transitions: e.transitions && {
        perItem: e.transitions.perItem,
        perRun: e.transitions.perRun,
        perMonth: Math.round(e.transitions.perMonth),
        monthlyUsd: Math.round(e.transitions.monthlyUsd * 100) / 100,
      },
      warnings: e.warnings,
      notPriced: e.notPriced,
    });
    const what = props.workflow ? `workflow ${props.workflow.node.path}` : `${props.jobs?.length ?? 0} job(s)`;
    const spot = props.assumptions?.spotDiscount ?? DEFAULT_SPOT_DISCOUNT;
    const fargateSpot = props.assumptions?.fargateSpotDiscount ?? DEFAULT_FARGATE_SPOT_DISCOUNT;
    Annotations.of(this).addInfo(
      `Cost estimate of ${what}, ${Math.round(itemsPerMonth).toLocaleString('en-US')} items a month (us-east-1 ` +
        `prices; Spot ${Math.round(spot * 100)}% and Fargate Spot ${Math.round(fargateSpot * 100)}% off):\n` +
        renderDeclaredTable(e),
    );
    for (const warning of [...e.warnings, ...e.notPriced]) {
      Annotations.of(this).addWarningV2(COST_BACKLOG_WARNING, `${this.node.path}: ${warning}`);
    }
  }

  private reportWorkload(props: CostReportProps & { workload: Workload }): void {
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
    // The capacity's architecture sets Fargate's rate (Linux/ARM is priced below Linux/x86).
    const architecture = props.capacity?.architecture;
    const estimate = (fixedCosts?: FixedCosts) =>
      estimateCost(props.workload, assumptions, { fixedCosts, inputNames, architecture });
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

  private countFixedCosts(): FixedCosts {
    const resources = Stack.of(this)
      .node.findAll()
      .filter((c): c is CfnResource => c instanceof CfnResource);
    const count = (type: string) => resources.filter((r) => r.cfnResourceType === type).length;
    // Compute environments with Container Insights on (ENABLED or ENHANCED): each its ECS cluster's metrics, and 8
    // for each job definition that may run there (every one in the stack: a count from above for one capacity).
    const insights = resources.filter(
      (r) => r instanceof batch.CfnComputeEnvironment && ['ENABLED', 'ENHANCED'].includes(insightsOf(r) ?? ''),
    ).length;
    return {
      natGateways: count('AWS::EC2::NatGateway'),
      kmsKeys: count('AWS::KMS::Key'),
      alarms: count('AWS::CloudWatch::Alarm'),
      ...(insights > 0
        ? {
            containerInsightsMetrics:
              insights *
              (CONTAINER_INSIGHTS_METRICS_PER_CLUSTER +
                CONTAINER_INSIGHTS_METRICS_PER_TASK_FAMILY * count('AWS::Batch::JobDefinition')),
          }
        : {}),
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

/** A compute environment's Container Insights setting, when it is a plain value (not a token). */
function insightsOf(cfn: batch.CfnComputeEnvironment): string | undefined {
  const settings = cfn.ecsSettings as batch.CfnComputeEnvironment.EcsSettingsProperty | undefined;
  return typeof settings?.containerInsights === 'string' ? settings.containerInsights : undefined;
}

/** The fields of `f` that were given, so an undefined one does not hide a counted one. */
function definedOnly(f: FixedCosts | undefined): FixedCosts {
  return Object.fromEntries(Object.entries(f ?? {}).filter(([, v]) => v !== undefined));
}
