import { Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CapacityPlatform, ICapacity, PurchaseOption } from './capacity';
import { fitOnEc2Capacity, warnUnknownInstanceTypes } from './capacity-fit';
import { ImportedEc2Capacity, ImportedEc2CapacityOptions } from './imported-capacity';
import { fitOnInstances, FitResult, JobResources } from './fit';
import { InstanceCatalog } from './instance-catalog';
import { updateTimeoutMinutes } from '../private/job-timeouts';
import { fail, gib } from '../private/errors';
import { acknowledgeFinding } from '../private/nag';
import { claimPhysicalName } from '../private/names';
import { defaultPrivateSubnets } from '../private/subnets';
import { ECS_AMI_MIN_ROOT_GIB, GP3_MAX_GIB, MAX_SPOT_BID_PERCENTAGE, MIN_SPOT_BID_PERCENTAGE } from '../private/limits';

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

/**
 * EC2 capacity (Spot or On-Demand) for Batch jobs that scales to zero, with a launch template the construct owns:
 * IMDSv2 required, encrypted gp3 volumes, MIME multipart user data, and changes that actually roll out.
 *
 * Updates: `replaceComputeEnvironment` is false and no physical name is set. Changes Batch can apply in place
 * (instance types, launch template version, maxvCpus; allowed with the service-linked role and a
 * BEST_FIT_PROGRESSIVE or SPOT_* strategy, both defaults here) are rolled out as infrastructure updates that give
 * running jobs `updateTimeout` to finish. Replacement (CloudFormation's default) would instead create a new
 * environment and delete the old one with its running jobs; a change that cannot be applied in place fails the
 * deploy with Batch's reason rather than killing hours of work silently.
 *
 * @see https://docs.aws.amazon.com/batch/latest/userguide/updating-compute-environments.html
 */
/**
 * The default instance types, fresh each time (see `Ec2Capacity.DEFAULT_INSTANCE_TYPES`).
 * @internal
 */
export function defaultInstanceTypes(): string[] {
  return ['r5', 'r6i', 'r7i'].flatMap((f) => ['xlarge', '2xlarge', '4xlarge'].map((s) => `${f}.${s}`));
}

export class Ec2Capacity extends Construct implements ICapacity {
  /**
   * The default instance types: three current x86 memory-optimized families in three sizes. A copy: the library's
   * defaults do not change if it is changed.
   */
  public static readonly DEFAULT_INSTANCE_TYPES: string[] = defaultInstanceTypes();

  /**
   * An EC2 compute environment another stack or team owns, to declare an imported queue's capacity
   * (`JobQueue.fromJobQueueArn(..., { capacities })`): jobs bound to that queue are then checked against the instance
   * types you declare here, which this app cannot read at synth.
   */
  public static fromComputeEnvironmentArn(
    scope: Construct,
    id: string,
    computeEnvironmentArn: string,
    options: ImportedEc2CapacityOptions,
  ): ICapacity {
    return new ImportedEc2Capacity(scope, id, computeEnvironmentArn, options);
  }

  public readonly computeEnvironment: batch.IManagedComputeEnvironment;
  /** The same compute environment with its EC2 type, for what only an EC2 environment has. */
  public readonly ec2ComputeEnvironment: batch.ManagedEc2EcsComputeEnvironment;
  /** The launch template every instance starts from. */
  public readonly launchTemplate: ec2.LaunchTemplate;
  public readonly platform = CapacityPlatform.EC2;
  public readonly purchaseOption: PurchaseOption;
  public readonly architecture: ec2.InstanceArchitecture;
  public readonly maxvCpus: number;
  /** Instance types this capacity can launch, with instance classes expanded to the sizes the catalog knows. */
  public readonly instanceTypeNames: string[];
  /** Where the scratch volume is mounted on the host, when there is one. */
  public readonly scratchMountPath?: string;

  private readonly unknownTypes: string[];
  private warnedUnknown = false;

  constructor(scope: Construct, id: string, props: Ec2CapacityProps) {
    super(scope, id);
    if (props.computeEnvironmentName !== undefined) {
      claimPhysicalName(this, 'compute environment', 'computeEnvironmentName', props.computeEnvironmentName);
    }
    this.purchaseOption = props.purchaseOption ?? PurchaseOption.SPOT;
    const spot = this.purchaseOption === PurchaseOption.SPOT;
    this.validateSpotOptions(props, spot);

    const types =
      props.instanceTypes ?? (props.instanceClasses ? [] : defaultInstanceTypes().map((t) => new ec2.InstanceType(t)));
    const classes = props.instanceClasses ?? [];
    if (types.length === 0 && classes.length === 0) {
      fail(this, {
        prop: 'instanceTypes',
        received: '[] (and no instanceClasses)',
        allowed: 'at least one instance type or class',
        fix: 'leave instanceTypes unset for the default memory-optimized set, or list the types jobs should run on',
      });
    }
    const { names, unknown } = expandInstances(types, classes);
    this.instanceTypeNames = names;
    this.unknownTypes = unknown;
    this.architecture = this.checkArchitecture(types, classes);

    this.maxvCpus = this.resolveMaxvCpus(props);
    const minvCpus = props.minvCpus ?? 0;
    this.validateVcpus(minvCpus);

    const rootGib = this.validateVolume(
      'rootVolumeSize',
      props.rootVolumeSize ?? Size.gibibytes(50),
      ECS_AMI_MIN_ROOT_GIB,
    );
    const scratchGib = props.scratchVolumeSize
      ? this.validateVolume('scratchVolumeSize', props.scratchVolumeSize, 1)
      : undefined;
    this.scratchMountPath = scratchGib ? (props.scratchMountPath ?? '/scratch') : undefined;
    if (props.scratchMountPath && !scratchGib) {
      fail(this, {
        prop: 'scratchMountPath',
        received: `'${props.scratchMountPath}' without scratchVolumeSize`,
        allowed: 'a mount path only together with a scratch volume',
        fix: 'set scratchVolumeSize, or remove scratchMountPath',
      });
    }

    this.launchTemplate = this.createLaunchTemplate(
      rootGib,
      scratchGib,
      props.containerMetadataAccess ?? false,
      props.detailedMonitoring ?? false,
    );

    const hasGpu = this.instanceTypeNames.some((n) => (InstanceCatalog.tryLookup(n)?.gpus ?? 0) > 0);
    const allGpu = hasGpu && this.instanceTypeNames.every((n) => (InstanceCatalog.tryLookup(n)?.gpus ?? 0) > 0);
    const images: batch.EcsMachineImage[] = [];
    if (!allGpu) {
      images.push({ imageType: batch.EcsMachineImageType.ECS_AL2023 });
    }
    if (hasGpu) {
      // Batch picks the NVIDIA AMI for GPU instance types when both image types are listed.
      images.push({ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA });
    }

    const subnets = props.vpcSubnets ?? defaultPrivateSubnets(this, props.vpc);
    this.checkPlacementGroup(props, subnets);
    this.ec2ComputeEnvironment = new batch.ManagedEc2EcsComputeEnvironment(this, 'Resource', {
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: props.securityGroups,
      placementGroup: props.placementGroup,
      spot,
      instanceTypes: types,
      instanceClasses: classes,
      // The L2 otherwise adds Batch's "optimal" (old c4/m4/r4) to every list, which the fit check cannot see.
      useOptimalInstanceClasses: false,
      images,
      maxvCpus: this.maxvCpus,
      minvCpus,
      allocationStrategy: props.allocationStrategy,
      spotBidPercentage: props.spotBidPercentage,
      instanceRole: props.instanceRole ?? this.createInstanceRole(),
      launchTemplate: this.launchTemplate,
      replaceComputeEnvironment: false,
      updateTimeout: props.updateTimeout ?? Duration.minutes(updateTimeoutMinutes(this)),
      terminateOnUpdate: props.terminateOnUpdate ?? false,
      computeEnvironmentName: props.computeEnvironmentName,
    });
    // The L2 renders the launch template without a version, so Batch keeps the version it was created with and a
    // changed template never rolls out (aws-cdk issues #28137, #6686). Pin the latest version: a template change
    // gives a new version number, which CloudFormation applies as an in-place infrastructure update.
    this.computeEnvironment = this.ec2ComputeEnvironment;
    const cfn = this.ec2ComputeEnvironment.node.defaultChild as batch.CfnComputeEnvironment;
    cfn.addPropertyOverride('ComputeResources.LaunchTemplate.Version', this.launchTemplate.latestVersionNumber);
  }

  /** Whether every instance type the capacity launches is in the catalog (so its names can be checked against). */
  public get instanceTypesKnown(): boolean {
    return this.unknownTypes.length === 0;
  }

  /**
   * A cluster placement group packs instances in one Availability Zone: subnets in several would leave the
   * environment launching instances it cannot place.
   * https://docs.aws.amazon.com/batch/latest/userguide/mnp-ce.html
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/placement-strategies.html
   */
  private checkPlacementGroup(props: Ec2CapacityProps, subnets: ec2.SubnetSelection): void {
    const group = props.placementGroup as ec2.PlacementGroup | undefined;
    if (group?.strategy !== ec2.PlacementGroupStrategy.CLUSTER) {
      return;
    }
    const zones = [...new Set(props.vpc.selectSubnets(subnets).subnets.map((s) => s.availabilityZone))];
    if (zones.length > 1) {
      fail(this, {
        prop: 'placementGroup',
        received: `a cluster placement group with subnets in ${zones.length} Availability Zones`,
        allowed: 'a cluster placement group with subnets in one Availability Zone (it packs instances in one zone)',
        fix: 'give vpcSubnets in one zone, e.g. { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [vpc.availabilityZones[0]] }',
      });
    }
  }

  public fit(request: JobResources): FitResult {
    if (this.unknownTypes.length > 0 && !this.warnedUnknown) {
      this.warnedUnknown = true;
      warnUnknownInstanceTypes(this, this.unknownTypes);
    }
    return fitOnEc2Capacity(request, this.instanceTypeNames, this.unknownTypes, this.maxvCpus);
  }

  /**
   * The ECS container-instance role: what AmazonEC2ContainerServiceforEC2Role grants, written out.
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/instance_IAM_role.html
   */
  private createInstanceRole(): iam.Role {
    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'ECS agent on Batch instances: register with the cluster, pull images, ship logs',
      inlinePolicies: {
        EcsContainerInstance: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: [
                'ec2:DescribeTags',
                'ecs:CreateCluster',
                'ecs:DeregisterContainerInstance',
                'ecs:DiscoverPollEndpoint',
                'ecs:Poll',
                'ecs:RegisterContainerInstance',
                'ecs:StartTelemetrySession',
                'ecs:UpdateContainerInstancesState',
                'ecs:Submit*',
                'ecr:GetAuthorizationToken',
                'ecr:BatchCheckLayerAvailability',
                'ecr:GetDownloadUrlForLayer',
                'ecr:BatchGetImage',
                'logs:CreateLogStream',
                'logs:PutLogEvents',
              ],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    const reason =
      'The ECS agent on Batch instances needs these actions on the cluster and container instances Batch creates ' +
      '(names unknown at deploy) and ecr:GetAuthorizationToken/ecs:DiscoverPollEndpoint, which have no resource-level ' +
      'permissions; this is AWS AmazonEC2ContainerServiceforEC2Role written out inline.';
    acknowledgeFinding(role, 'AwsSolutions-IAM5[Resource::*]', reason);
    acknowledgeFinding(
      role,
      'AwsSolutions-IAM5[Action::ecs:Submit*]',
      `${reason} ecs:Submit* covers the agent's state reports.`,
    );
    return role;
  }

  private validateSpotOptions(props: Ec2CapacityProps, spot: boolean): void {
    const strategy = props.allocationStrategy;
    const spotStrategies = [
      batch.AllocationStrategy.SPOT_CAPACITY_OPTIMIZED,
      batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED,
    ];
    if (!spot && strategy && spotStrategies.includes(strategy)) {
      fail(this, {
        prop: 'allocationStrategy',
        received: `${strategy} on On-Demand capacity`,
        allowed: 'BEST_FIT_PROGRESSIVE or BEST_FIT for On-Demand',
        fix: 'remove allocationStrategy (On-Demand defaults to BEST_FIT_PROGRESSIVE), or set purchaseOption: PurchaseOption.SPOT',
      });
    }
    if (props.spotBidPercentage === undefined || Token.isUnresolved(props.spotBidPercentage)) {
      return;
    }
    if (!spot) {
      fail(this, {
        prop: 'spotBidPercentage',
        received: `${props.spotBidPercentage} on On-Demand capacity`,
        allowed: 'a bid percentage only on Spot capacity',
        fix: 'remove spotBidPercentage, or set purchaseOption: PurchaseOption.SPOT',
      });
    }
    const p = props.spotBidPercentage;
    if (!Number.isInteger(p) || p < MIN_SPOT_BID_PERCENTAGE || p > MAX_SPOT_BID_PERCENTAGE) {
      fail(this, {
        prop: 'spotBidPercentage',
        received: `${p}`,
        allowed: `a whole number from ${MIN_SPOT_BID_PERCENTAGE} to ${MAX_SPOT_BID_PERCENTAGE} (percent of the On-Demand price)`,
        fix: 'remove it to pay up to the On-Demand price, or give e.g. 60',
      });
    }
  }

  private checkArchitecture(types: ec2.InstanceType[], classes: ec2.InstanceClass[]): ec2.InstanceArchitecture {
    const seen = new Map<ec2.InstanceArchitecture, string[]>();
    const note = (arch: ec2.InstanceArchitecture, name: string) => seen.set(arch, [...(seen.get(arch) ?? []), name]);
    for (const t of types) {
      note(InstanceCatalog.tryLookup(t.toString())?.architecture ?? t.architecture, t.toString());
    }
    for (const c of classes) {
      const known = InstanceCatalog.family(c)[0];
      note(known?.architecture ?? new ec2.InstanceType(`${c}.large`).architecture, c);
    }
    if (seen.size > 1) {
      const parts = [...seen.entries()].map(([arch, names]) => `${arch}: ${names.join(', ')}`);
      fail(this, {
        prop: 'instanceTypes',
        received: `mixing CPU architectures (${parts.join('; ')})`,
        allowed: 'one CPU architecture per compute environment',
        fix: 'split them into two Ec2Capacity constructs, one per architecture, each with its own queue',
      });
    }
    return [...seen.keys()][0];
  }

  private resolveMaxvCpus(props: Ec2CapacityProps): number {
    if (props.maxvCpus !== undefined && props.concurrentJobs) {
      fail(this, {
        prop: 'maxvCpus',
        received: `${props.maxvCpus} together with concurrentJobs`,
        allowed: 'either maxvCpus or concurrentJobs',
        fix: 'remove one of them',
      });
    }
    if (!props.concurrentJobs) {
      return props.maxvCpus ?? 256;
    }
    const { jobs, resources } = props.concurrentJobs;
    if (!Number.isInteger(jobs) || jobs < 1) {
      fail(this, {
        prop: 'concurrentJobs.jobs',
        received: `${jobs}`,
        allowed: 'a whole number of at least 1',
        fix: 'give how many jobs must run at once, e.g. 50',
      });
    }
    const fit = fitOnInstances(resources, this.instanceTypeNames);
    if (!fit.fits) {
      fail(this, {
        prop: 'concurrentJobs.resources',
        received: `${resources.vcpus} vCPU / ${gib(resources.memory.toMebibytes())}`,
        allowed: `a size that fits one of ${this.instanceTypeNames.join(', ')} (largest usable memory ${gib(fit.largestUsableMemoryMiB ?? 0)} on ${fit.largestInstanceType ?? 'none'})`,
        fix: 'ask for less, or add larger instance types',
      });
    }
    // Instance vCPUs per job on the least dense placement, so N jobs fit whichever type Batch launches.
    const vcpusPerJob = Math.max(...fit.placements.map((p) => p.instance.vcpus / p.jobsPerInstance));
    return Math.ceil(jobs * vcpusPerJob);
  }

  private validateVcpus(minvCpus: number): void {
    if (Token.isUnresolved(minvCpus) || Token.isUnresolved(this.maxvCpus)) {
      return;
    }
    if (minvCpus < 0 || !Number.isInteger(minvCpus)) {
      fail(this, {
        prop: 'minvCpus',
        received: `${minvCpus}`,
        allowed: 'a whole number of at least 0',
        fix: 'use 0 so the environment scales to zero when idle',
      });
    }
    if (this.maxvCpus <= 0 || !Number.isInteger(this.maxvCpus)) {
      fail(this, {
        prop: 'maxvCpus',
        received: `${this.maxvCpus}`,
        allowed: 'a whole number of at least 1',
        fix: 'give the most vCPUs the environment may run, or use concurrentJobs to derive it',
      });
    }
    if (minvCpus > this.maxvCpus) {
      fail(this, {
        prop: 'minvCpus',
        received: `${minvCpus} (greater than maxvCpus ${this.maxvCpus})`,
        allowed: `0..${this.maxvCpus}`,
        fix: 'lower minvCpus (0 scales to zero) or raise maxvCpus',
      });
    }
    const known = this.instanceTypeNames.map((n) => InstanceCatalog.tryLookup(n)).filter((i) => i !== undefined);
    if (known.length === 0) {
      return;
    }
    const smallest = known.reduce((a, b) => (b.vcpus < a.vcpus ? b : a));
    if (this.maxvCpus < smallest.vcpus) {
      fail(this, {
        prop: 'maxvCpus',
        received: `${this.maxvCpus} (smaller than the ${smallest.vcpus} vCPUs of the smallest instance type, ${smallest.name})`,
        allowed: `at least ${smallest.vcpus}`,
        fix: `raise maxvCpus to at least ${smallest.vcpus}, or add smaller instance types`,
      });
    }
  }

  private validateVolume(prop: string, size: Size, minGib: number): number {
    const g = size.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
    if (!Number.isInteger(g) || g < minGib || g > GP3_MAX_GIB) {
      fail(this, {
        prop,
        // In the unit the user typed: whole GiB as GiB, anything else as MiB.
        received: Number.isInteger(g) ? `${g} GiB` : `${size.toMebibytes()} MiB`,
        allowed: `whole GiB from ${minGib} to ${GP3_MAX_GIB} (gp3${minGib === ECS_AMI_MIN_ROOT_GIB ? '; the ECS AMI needs 30 GiB' : ''})`,
        fix: `give Size.gibibytes(n) with n >= ${minGib}`,
      });
    }
    return g;
  }

  private createLaunchTemplate(
    rootGib: number,
    scratchGib: number | undefined,
    containerMetadataAccess: boolean,
    detailedMonitoring: boolean,
  ): ec2.LaunchTemplate {
    // Batch requires MIME multipart user data so it can add its own part.
    // https://docs.aws.amazon.com/batch/latest/userguide/launch-templates.html
    const userData = new ec2.MultipartUserData();
    const script = ec2.UserData.forLinux();
    userData.addUserDataPart(script, ec2.MultipartBody.SHELL_SCRIPT, true);
    const blockDevices: ec2.BlockDevice[] = [
      {
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(rootGib, {
          encrypted: true,
          volumeType: ec2.EbsDeviceVolumeType.GP3,
          deleteOnTermination: true,
        }),
      },
    ];
    if (scratchGib !== undefined && this.scratchMountPath) {
      blockDevices.push({
        deviceName: '/dev/xvdb',
        volume: ec2.BlockDeviceVolume.ebs(scratchGib, {
          encrypted: true,
          volumeType: ec2.EbsDeviceVolumeType.GP3,
          deleteOnTermination: true,
        }),
      });
      const mount = this.scratchMountPath;
      script.addCommands(
        'set -euo pipefail',
        // On Nitro instances the volume appears as NVMe; AL2023 links it to /dev/xvdb once udev has run.
        'for i in $(seq 1 60); do [ -e /dev/xvdb ] && break; sleep 1; done',
        'blkid /dev/xvdb || mkfs -t xfs /dev/xvdb',
        `mkdir -p ${mount}`,
        `mount /dev/xvdb ${mount}`,
        `chmod 1777 ${mount}`,
      );
    } else {
      script.addCommands('# no scratch volume configured');
    }
    return new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      requireImdsv2: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpEndpoint: true,
      // Hop limit 1 keeps IMDS (and the instance role) from containers on the bridge network; 2 lets them reach it.
      httpPutResponseHopLimit: containerMetadataAccess ? 2 : 1,
      detailedMonitoring: detailedMonitoring || undefined,
      blockDevices,
      userData,
    });
  }
}

function expandInstances(
  types: ec2.InstanceType[],
  classes: ec2.InstanceClass[],
): { names: string[]; unknown: string[] } {
  const names: string[] = [];
  const unknown: string[] = [];
  for (const t of types) {
    const name = t.toString();
    names.push(name);
    if (!InstanceCatalog.tryLookup(name)) {
      unknown.push(name);
    }
  }
  for (const c of classes) {
    const sizes = InstanceCatalog.family(c);
    if (sizes.length === 0) {
      unknown.push(`${c} (instance class)`);
    }
    names.push(...sizes.map((s) => s.name));
  }
  return { names: [...new Set(names)], unknown };
}
