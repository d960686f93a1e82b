import { Duration } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { CapacityPlatform, ICapacity, PurchaseOption } from './capacity';
import { fitOnFargateCapacity } from './capacity-fit';
import { FitResult, JobResources } from './fit';
import { ImportedFargateCapacity, ImportedFargateCapacityOptions } from './imported-capacity';
import { updateTimeoutMinutes } from '../private/job-timeouts';
import { fail } from '../private/errors';
import { claimPhysicalName } from '../private/names';
import { defaultPrivateSubnets } from '../private/subnets';
import type { KnownKeys } from '../private/known-props';
import { checkKnownProps } from '../private/known-props';
import { PipelineTag } from '../core/pipeline-tag';

/** Props of `FargateCapacity`. */
export interface FargateCapacityProps {
  /** The VPC tasks run in. A private subnet needs a NAT gateway or VPC endpoints (ECR, Logs, S3) to pull images. */
  readonly vpc: ec2.IVpc;

  /**
   * Fargate Spot or Fargate (On-Demand). Fargate Spot is x86_64 only and does not fall back to On-Demand by itself:
   * put a Fargate capacity after it in the queue.
   * @default PurchaseOption.SPOT
   */
  readonly purchaseOption?: PurchaseOption;

  /**
   * CPU architecture of the jobs this capacity runs (Fargate picks it per job definition; the queue checks that
   * all its capacities agree).
   * @default ec2.InstanceArchitecture.X86_64
   */
  readonly architecture?: ec2.InstanceArchitecture;

  /**
   * The most vCPUs of tasks running at once. The account's Fargate vCPU quota (small by default) may be lower.
   * @default 256
   */
  readonly maxvCpus?: number;

  /**
   * Subnets tasks run in.
   * @default - the VPC's private subnets with egress, or its isolated subnets when it has none; never public
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the tasks.
   * @default - one new group with no inbound rules and all outbound
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * How long an infrastructure update lets running jobs finish.
   * @default - as long as the longest timeout of the jobs bound to queues of this capacity (at least 30 minutes,
   * Batch's default; at most 7,200, Batch's maximum), so a deploy never ends a job that is within its timeout
   */
  readonly updateTimeout?: Duration;

  /**
   * Physical name of the compute environment.
   * @default - CloudFormation generates one
   */
  readonly computeEnvironmentName?: string;
}

/** Every prop of `FargateCapacityProps`, for the run-time check of keys (lib/private/known-props.ts). */
export const FARGATE_CAPACITY_PROPS_KEYS: KnownKeys<FargateCapacityProps> = {
  vpc: true,
  purchaseOption: true,
  architecture: true,
  maxvCpus: true,
  vpcSubnets: true,
  securityGroups: true,
  updateTimeout: true,
  computeEnvironmentName: true,
};

// Props of EC2 capacity that mean nothing on Fargate; JavaScript callers (and object spreads) can still pass them.
const EC2_ONLY_PROPS = [
  'instanceTypes',
  'instanceClasses',
  'gpus',
  'minvCpus',
  'allocationStrategy',
  'spotBidPercentage',
  'launchTemplate',
  'rootVolumeSize',
  'scratchVolumeSize',
  'instanceRole',
];

/**
 * Fargate or Fargate Spot capacity for Batch jobs: no instances to manage, pay per task-second, nothing when idle.
 * Job sizes must be valid Fargate vCPU/memory pairs; `fit()` names the nearest valid ones.
 *
 * @see https://docs.aws.amazon.com/batch/latest/userguide/fargate.html
 */
export class FargateCapacity extends Construct implements ICapacity {
  /**
   * A Fargate compute environment another stack or team owns, to declare an imported queue's capacity
   * (`JobQueue.fromJobQueueArn(..., { capacities })`).
   */
  public static fromComputeEnvironmentArn(
    scope: Construct,
    id: string,
    computeEnvironmentArn: string,
    options: ImportedFargateCapacityOptions,
  ): ICapacity {
    return new ImportedFargateCapacity(scope, id, computeEnvironmentArn, options);
  }

  public readonly computeEnvironment: batch.IManagedComputeEnvironment;
  /** The same compute environment with its Fargate type. */
  public readonly fargateComputeEnvironment: batch.FargateComputeEnvironment;
  public readonly platform = CapacityPlatform.FARGATE;
  public readonly purchaseOption: PurchaseOption;
  public readonly architecture: ec2.InstanceArchitecture;
  public readonly maxvCpus: number;

  constructor(scope: Construct, id: string, props: FargateCapacityProps) {
    super(scope, id);
    PipelineTag.applyTo(this);
    if (props.computeEnvironmentName !== undefined) {
      claimPhysicalName(this, 'compute environment', 'computeEnvironmentName', props.computeEnvironmentName);
    }
    for (const key of EC2_ONLY_PROPS) {
      if ((props as unknown as Record<string, unknown>)[key] !== undefined) {
        fail(this, {
          prop: key,
          received: 'on Fargate capacity',
          allowed: 'vpc, purchaseOption, architecture, maxvCpus, vpcSubnets, securityGroups, updateTimeout',
          fix:
            key === 'gpus'
              ? 'Fargate has no GPUs: use Ec2Capacity with GPU instance types (g4dn, g5)'
              : `remove ${key}, or use Ec2Capacity if you need to choose instances`,
        });
      }
    }
    // After the EC2-only props, which get a message of their own.
    checkKnownProps(this, 'FargateCapacityProps', props, FARGATE_CAPACITY_PROPS_KEYS);
    this.purchaseOption = props.purchaseOption ?? PurchaseOption.SPOT;
    this.architecture = props.architecture ?? ec2.InstanceArchitecture.X86_64;
    if (this.purchaseOption === PurchaseOption.SPOT && this.architecture === ec2.InstanceArchitecture.ARM_64) {
      fail(this, {
        prop: 'architecture',
        received: 'ARM_64 with Fargate Spot',
        allowed: 'X86_64 for Fargate Spot (Fargate Spot runs x86_64 Linux only)',
        fix: 'use purchaseOption: PurchaseOption.ON_DEMAND for arm64 jobs, or architecture X86_64',
      });
    }
    this.maxvCpus = props.maxvCpus ?? 256;
    if (!Number.isInteger(this.maxvCpus) || this.maxvCpus < 1) {
      fail(this, {
        prop: 'maxvCpus',
        received: `${this.maxvCpus}`,
        allowed: 'a whole number of at least 1',
        fix: 'give the most vCPUs of tasks that may run at once',
      });
    }
    this.fargateComputeEnvironment = new batch.FargateComputeEnvironment(this, 'Resource', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? defaultPrivateSubnets(this, props.vpc),
      securityGroups: props.securityGroups,
      spot: this.purchaseOption === PurchaseOption.SPOT,
      maxvCpus: this.maxvCpus,
      replaceComputeEnvironment: false,
      updateTimeout: props.updateTimeout ?? Duration.minutes(updateTimeoutMinutes(this)),
      computeEnvironmentName: props.computeEnvironmentName,
    });
    this.computeEnvironment = this.fargateComputeEnvironment;
  }

  public fit(request: JobResources): FitResult {
    return fitOnFargateCapacity(request, this.maxvCpus);
  }
}
