import { Duration, Size } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PurchaseOption } from './capacity';
import { JobResources } from './fit';
import type { KnownKeys } from '../private/known-props';

/** "N jobs of this size at once": the library derives `maxvCpus` from it. */
export interface ConcurrentJobs {
  /** How many jobs must be able to run at once. */
  readonly jobs: number;
  /** The size of one job. */
  readonly resources: JobResources;
}

/** Props of `Ec2Capacity`. */
export interface Ec2CapacityProps {
  /** The VPC the instances run in. */
  readonly vpc: ec2.IVpc;

  /**
   * Spot or On-Demand.
   * @default PurchaseOption.SPOT - batch work is interruptible and retried by the jobs' default retry policy
   */
  readonly purchaseOption?: PurchaseOption;

  /**
   * Instance types Batch may launch. Must all share one CPU architecture.
   * @default - `Ec2Capacity.DEFAULT_INSTANCE_TYPES` (r5, r6i, r7i in xlarge, 2xlarge and 4xlarge) unless
   * `instanceClasses` is given
   */
  readonly instanceTypes?: ec2.InstanceType[];

  /**
   * Instance families Batch may launch, any size. Combined with `instanceTypes` when both are given.
   * @default - none
   */
  readonly instanceClasses?: ec2.InstanceClass[];

  /**
   * The most vCPUs the environment scales to. Give this or `concurrentJobs`, not both.
   * @default - derived from `concurrentJobs` when given, else 256
   */
  readonly maxvCpus?: number;

  /**
   * Size the environment for "N concurrent jobs of this size": `maxvCpus` becomes enough instance vCPUs for N such
   * jobs on the least dense instance type they fit on, so whichever type Batch picks, N jobs run at once.
   * @default - `maxvCpus` is used
   */
  readonly concurrentJobs?: ConcurrentJobs;

  /**
   * vCPUs kept running when idle.
   * @default 0 - scales to zero and costs nothing when idle
   */
  readonly minvCpus?: number;

  /**
   * How Batch picks instances.
   * @default - SPOT_PRICE_CAPACITY_OPTIMIZED for Spot (AWS's recommendation: fewer interruptions at low price);
   * BEST_FIT_PROGRESSIVE for On-Demand (cheapest per vCPU, moves on when a type is short). Both allow in-place
   * infrastructure updates, BEST_FIT does not.
   */
  readonly allocationStrategy?: batch.AllocationStrategy;

  /**
   * Spot only: the most a Spot instance may cost, as a percentage of its On-Demand price (1..100).
   * @default - no limit below the On-Demand price (Batch's default, 100)
   */
  readonly spotBidPercentage?: number;

  /**
   * Let job containers reach the instance metadata service (IMDSv2 hop limit 2 instead of 1). Containers on the
   * bridge network are one hop further than the instance, so with hop limit 1 they cannot get an IMDSv2 token and
   * cannot take the instance role's credentials (the ECS agent's, with ECR pulls and logs on `*`): each job keeps to
   * its own job role, which reaches it through the ECS credentials endpoint, not IMDS. Turn it on only for a tool
   * that must read instance metadata itself.
   * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-options.html
   * @default false - hop limit 1
   */
  readonly containerMetadataAccess?: boolean;
  /**
   * Detailed (1-minute) CloudWatch monitoring of the instances. Costs extra per instance-hour (CloudWatch pricing
   * for detailed monitoring metrics); `ComplianceControls` turns it on for a whole app.
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/manage-detailed-monitoring.html
   * @default false - 5-minute basic monitoring, which costs nothing
   */
  readonly detailedMonitoring?: boolean;

  /**
   * CloudWatch Container Insights on the ECS cluster behind the compute environment (the compute environment's
   * `EcsSettings.ContainerInsights`): `ENABLED` writes a performance log event a minute for each running job's ECS
   * task (its memory and CPU used) to `/aws/ecs/containerinsights/<cluster>/performance`, which
   * `batch-pipelines rightsize` reads to size jobs by what they use; `ENHANCED` adds per-task and per-container
   * metrics. CloudWatch charges the metrics as custom metrics and the log events as log ingestion; `CostReport`
   * prices them when this is on. Once set, CloudFormation cannot return it to unset: removing the prop later sets
   * `DISABLED`. https://docs.aws.amazon.com/batch/latest/userguide/cloudwatch-container-insights.html
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-computeenvironment-ecssettings.html
   * @default - not set: Batch passes no setting and the account's ECS `containerInsights` default applies (off unless
   * the account turned it on), so nothing is paid for metrics no one reads; set `ENABLED` before running `rightsize`
   * https://docs.aws.amazon.com/batch/latest/userguide/cloudwatch-container-insights-default-behavior.html
   */
  readonly containerInsights?: ecs.ContainerInsights;

  /**
   * The AMIs the instances boot (one or two; Batch matches each to the instance types by `imageType`): aws-cdk-lib's
   * `batch.EcsMachineImage`, an image type (`ECS_AL2023`, or `ECS_AL2023_NVIDIA` for GPU instance types) and
   * optionally a custom `image`. Refused, each with the fix:
   * - GPU instance types (p3..p6 and g3..g6 families) without an NVIDIA image type or a custom image with the driver:
   *   the instances would boot without the NVIDIA driver and GPU jobs never leave RUNNABLE;
   * - an NVIDIA image type on Graviton (arm64), and Graviton GPU types (g5g), without a custom image: Batch's NVIDIA
   *   AMIs are x86_64 only;
   * - p3 and g3 types without a custom image: ECS_AL2023_NVIDIA does not support them;
   * - the Amazon Linux 2 image types without a custom image: since June 30, 2026 Batch blocks creating ECS compute
   *   environments with its Amazon Linux 2 AMIs.
   * https://docs.aws.amazon.com/batch/latest/APIReference/API_Ec2Configuration.html
   *
   * The launch template sets no AMI, so these decide (a launch template image would rank below
   * `imageIdOverride` anyway: https://docs.aws.amazon.com/batch/latest/userguide/ami-selection-order.html). It maps
   * the root volume as `/dev/xvda` (`rootVolumeSize`) and, with `scratchVolumeSize`, formats `/dev/xvdb` in user
   * data: a custom image must be an ECS-ready Linux AMI with that root device name, `blkid` and `mkfs.xfs`, a root
   * snapshot no larger than `rootVolumeSize`, and the capacity's CPU architecture.
   *
   * Changing images on a later deploy: CloudFormation updates the environment in place (this construct never
   * replaces it) and Batch runs an infrastructure update: new instances boot the new AMI, and running jobs get
   * `updateTimeout` to finish before their instances are replaced (or are stopped at once with
   * `terminateOnUpdate`). A custom `image` read from an SSM parameter (`ecs.EcsOptimizedImage.amazonLinux2023()`,
   * `ec2.MachineImage.fromSsmParameter`) resolves at every deploy, so the first deploy after AWS publishes a new AMI
   * rolls the instances even if nothing else changed; pin an AMI id (`ec2.MachineImage.genericLinux`) to roll them
   * only when you choose. Without a custom `image`, Batch picks the AMI when the environment is created and keeps it;
   * a changed `imageType` gets the latest AMI of the new type.
   * https://docs.aws.amazon.com/batch/latest/userguide/infrastructure-updates.html
   * @default - `[{ imageType: ECS_AL2023 }]`, plus `{ imageType: ECS_AL2023_NVIDIA }` when GPU instance types (by
   * family: p3..p6, g3..g6, as Batch's own GPU AMI choice) are launched (only the NVIDIA one when all are GPU types):
   * Batch's latest ECS-optimized Amazon Linux 2023 AMIs
   */
  readonly images?: batch.EcsMachineImage[];

  /**
   * Size of the encrypted gp3 root volume, which holds the OS and the container images.
   * @default Size.gibibytes(50) - the ECS AMI's 30 GiB plus room for large bioinformatics images
   */
  readonly rootVolumeSize?: Size;

  /**
   * Adds an encrypted gp3 scratch volume of this size to every instance, formatted XFS and mounted at
   * `scratchMountPath`, for large inputs that do not belong on the root volume.
   * @default - no scratch volume
   */
  readonly scratchVolumeSize?: Size;

  /**
   * Where the scratch volume is mounted on the host.
   * @default '/scratch'
   */
  readonly scratchMountPath?: string;

  /**
   * Subnets the instances run in.
   * @default - the VPC's private subnets with egress, or its isolated subnets when it has none; never public
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the instances.
   * @default - one new group with no inbound rules and all outbound (to pull images and reach S3)
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Placement group the instances launch in: a cluster group (`new ec2.PlacementGroup(this, 'Cluster', { strategy:
   * ec2.PlacementGroupStrategy.CLUSTER })`) puts the nodes of a multi-node job close together, for low-latency
   * MPI/NCCL traffic. https://docs.aws.amazon.com/batch/latest/userguide/multi-node-parallel-jobs.html
   * @default - none
   */
  readonly placementGroup?: ec2.IPlacementGroup;

  /**
   * Role of the instances (ECS agent).
   * @default - a new role with the permissions of AWS's AmazonEC2ContainerServiceforEC2Role, inline (an AWS managed
   * policy can change under you; cdk-nag AwsSolutions-IAM4)
   */
  readonly instanceRole?: iam.IRole;

  /**
   * How long a deploy that changes the environment's infrastructure (e.g. the launch template) lets running jobs
   * finish before their instances are replaced.
   * @default - as long as the longest timeout of the jobs bound to queues of this capacity (at least 30 minutes,
   * Batch's default; at most 7,200, Batch's maximum), so a deploy never ends a job that is within its timeout
   */
  readonly updateTimeout?: Duration;

  /**
   * Whether a deploy that changes the infrastructure terminates running jobs at once.
   * @default false - jobs get `updateTimeout` to finish
   */
  readonly terminateOnUpdate?: boolean;

  /**
   * Physical name of the compute environment. A fixed name prevents CloudFormation from replacing it.
   * @default - CloudFormation generates one
   */
  readonly computeEnvironmentName?: string;
}

/** Every prop of `Ec2CapacityProps`, for the run-time check of keys (lib/private/known-props.ts). */
export const EC2_CAPACITY_PROPS_KEYS: KnownKeys<Ec2CapacityProps> = {
  vpc: true,
  purchaseOption: true,
  instanceTypes: true,
  instanceClasses: true,
  maxvCpus: true,
  concurrentJobs: true,
  minvCpus: true,
  allocationStrategy: true,
  spotBidPercentage: true,
  containerMetadataAccess: true,
  detailedMonitoring: true,
  containerInsights: true,
  images: true,
  rootVolumeSize: true,
  scratchVolumeSize: true,
  scratchMountPath: true,
  vpcSubnets: true,
  securityGroups: true,
  placementGroup: true,
  instanceRole: true,
  updateTimeout: true,
  terminateOnUpdate: true,
  computeEnvironmentName: true,
};
