import { Duration, Size } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { CapacityPlatform, ICapacity, PurchaseOption } from './capacity';
import { fitOnEc2Capacity, warnUnknownInstanceTypes } from './capacity-fit';
import {
  checkArchitecture,
  checkPlacementGroup,
  defaultInstanceTypes,
  expandInstances,
  resolveMaxvCpus,
  validateSpotOptions,
  validateVcpus,
  validateVolume,
} from './ec2-capacity-checks';
import { resolveImages } from './ec2-capacity-images';
import { Ec2CapacityProps } from './ec2-capacity-props';
import { createInstanceRole, createLaunchTemplate } from './ec2-instance-setup';
import { ImportedEc2Capacity, ImportedEc2CapacityOptions } from './imported-capacity';
import { FitResult, JobResources } from './fit';
import { updateTimeoutMinutes } from '../private/job-timeouts';
import { fail } from '../private/errors';
import { claimPhysicalName } from '../private/names';
import { defaultPrivateSubnets } from '../private/subnets';
import { ECS_AMI_MIN_ROOT_GIB } from '../private/limits';
import { checkKnownProps } from '../private/known-props';
import { EC2_CAPACITY_PROPS_KEYS } from './ec2-capacity-props';
import { PipelineTag } from '../core/pipeline-tag';

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
  /** The Container Insights setting of the environment's ECS cluster, when one was given. */
  public readonly containerInsights?: ecs.ContainerInsights;

  private readonly unknownTypes: string[];
  private warnedUnknown = false;

  constructor(scope: Construct, id: string, props: Ec2CapacityProps) {
    super(scope, id);
    PipelineTag.applyTo(this);
    checkKnownProps(this, 'Ec2CapacityProps', props, EC2_CAPACITY_PROPS_KEYS);
    if (props.computeEnvironmentName !== undefined) {
      claimPhysicalName(this, 'compute environment', 'computeEnvironmentName', props.computeEnvironmentName);
    }
    this.purchaseOption = props.purchaseOption ?? PurchaseOption.SPOT;
    const spot = this.purchaseOption === PurchaseOption.SPOT;
    validateSpotOptions(this, props, spot);

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
    this.architecture = checkArchitecture(this, types, classes);

    this.maxvCpus = resolveMaxvCpus(this, props, this.instanceTypeNames);
    const minvCpus = props.minvCpus ?? 0;
    validateVcpus(this, minvCpus, this.maxvCpus, this.instanceTypeNames);

    const rootGib = validateVolume(
      this,
      'rootVolumeSize',
      props.rootVolumeSize ?? Size.gibibytes(50),
      ECS_AMI_MIN_ROOT_GIB,
    );
    const scratchGib = props.scratchVolumeSize
      ? validateVolume(this, 'scratchVolumeSize', props.scratchVolumeSize, 1)
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

    this.launchTemplate = createLaunchTemplate(
      this,
      rootGib,
      scratchGib,
      this.scratchMountPath,
      props.containerMetadataAccess ?? false,
      props.detailedMonitoring ?? false,
    );

    const images = resolveImages(
      this,
      props.images,
      // As given, so a GPU family the catalog does not know (an instance class like g6) still counts.
      [...types.map((t) => t.toString()), ...classes],
      this.architecture,
      scratchGib !== undefined,
    );

    const subnets = props.vpcSubnets ?? defaultPrivateSubnets(this, props.vpc);
    checkPlacementGroup(this, props, subnets);
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
      instanceRole: props.instanceRole ?? createInstanceRole(this),
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
    this.containerInsights = props.containerInsights;
    if (props.containerInsights !== undefined) {
      // The L2 has no prop for EcsSettings; CloudFormation takes ENABLED | ENHANCED | DISABLED, aws-cdk-lib's enum
      // holds them in lower case.
      cfn.ecsSettings = { containerInsights: props.containerInsights.toUpperCase() };
    }
  }

  /** Whether every instance type the capacity launches is in the catalog (so its names can be checked against). */
  public get instanceTypesKnown(): boolean {
    return this.unknownTypes.length === 0;
  }

  public fit(request: JobResources): FitResult {
    if (this.unknownTypes.length > 0 && !this.warnedUnknown) {
      this.warnedUnknown = true;
      warnUnknownInstanceTypes(this, this.unknownTypes);
    }
    return fitOnEc2Capacity(request, this.instanceTypeNames, this.unknownTypes, this.maxvCpus);
  }
}
