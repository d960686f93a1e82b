import { IJob, ImportedJob, ImportedJobOptions } from './job-ref';
import { Annotations, Duration, SizeRoundingBehavior, Stack, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  acknowledgeRevisions,
  allowNfsFrom,
  EfsMountOptions,
  grantReadPrefix,
  grantWritePrefix,
  mountEfsVolume,
  ownJobRole,
  warnSharedRoleGrant,
} from './job-access';
import { RetryPolicy } from './retry-policy';
import { SharedJobResources } from './shared-job-resources';
import { CapacityPlatform, ICapacity, PurchaseOption } from '../compute/capacity';
import { JobResources } from '../compute/fit';
import { describeProblem } from '../core/validation-error';
import { IJobQueue } from '../queues/job-queue-base';
import { allRevisionsArn, checkSameEnvironment, jobDefinitionArnPattern } from '../private/arns';
import { noteJobTimeout } from '../private/job-timeouts';
import { fail } from '../private/errors';
import { grantRunTagging } from '../private/run-names';
import { checkFit } from './fit-check';
import { LONG_SPOT_JOB_SECONDS } from '../private/limits';
import {
  checkEnvironment,
  checkFargateOnly,
  checkImage,
  checkParameterDefaults,
  checkResources,
  checkScratch,
  checkTags,
  checkTimeout,
  refParameters,
} from './job-checks';
import { JobProps } from './job-props';
import { checkContainerSettings, containerSettingsProps, efsVolumes, warnSwap } from './container-settings';
import { checkBatchName, claimPhysicalName, defaultJobDefinitionName } from '../private/names';
import { ensureStackLimitChecks } from '../private/stack-limits';
import { checkKnownProps } from '../private/known-props';
import { JOB_PROPS_KEYS } from './job-props';
import { PipelineTag } from '../core/pipeline-tag';

/**
 * A Batch job definition bound to the queues it is submitted to, checked at synth against every capacity of those
 * queues: it must fit (usable memory, vCPUs, GPUs, maxvCpus, Fargate sizes), should pack well, and retries only what
 * is worth retrying.
 */
export class Job extends Construct implements IJob, iam.IGrantable {
  /**
   * A job definition another stack or team owns, for grants (`grantSubmit`). A workflow step needs a `Job` this app
   * defines, since it plans memory, timeouts and retries from the job's own settings.
   */
  public static fromJobDefinitionArn(
    scope: Construct,
    id: string,
    jobDefinitionArn: string,
    options: ImportedJobOptions = {},
  ): IJob {
    return new ImportedJob(scope, id, jobDefinitionArn, options);
  }

  /** Environment variable from which an array job's child reads its index (0-based). */
  public static readonly ARRAY_INDEX_VARIABLE = 'AWS_BATCH_JOB_ARRAY_INDEX';

  /** The aws-cdk-lib job definition underneath (escape hatch). */
  public readonly jobDefinition: batch.EcsJobDefinition;
  /** The container definition (EC2 or Fargate, following the queues). */
  public readonly container: batch.EcsEc2ContainerDefinition | batch.EcsFargateContainerDefinition;
  /** Name jobs are submitted with (a workflow names the jobs it submits after its steps). */
  public readonly jobName: string;
  /** Physical name of the job definition. */
  public readonly jobDefinitionName: string;
  /** EC2 or Fargate. */
  public readonly platform: CapacityPlatform;
  /** What one job asks for. */
  public readonly resources: JobResources;
  /** Timeout of one attempt. */
  public readonly timeout: Duration;
  /** The retry policy. */
  public readonly retryPolicy: RetryPolicy;
  /** The role containers run as. */
  public readonly jobRole: iam.IRole;
  private readonly roleGiven: boolean;
  /** What the job shares with the rest of the pipeline. */
  public readonly shared: SharedJobResources;
  /** Whether the job runs as an array job. */
  public readonly arrayJob: boolean;
  /**
   * The job's role, so that grants read the CDK way: `bucket.grantRead(job)`. (`job.grantRead(bucket, prefix)` grants
   * less: one prefix.)
   */
  public get grantPrincipal(): iam.IPrincipal {
    return this.jobRole;
  }

  /** Whether the job checkpoints (see `JobProps.checkpointing`; a workflow step with `checkpoint` sets it). */
  public get checkpointing(): boolean {
    return this._checkpointing;
  }

  /** Whether a workflow reruns the job On-Demand when Spot interruptions outlast its retries (set by `Workflow`). */
  public get spotEscalated(): boolean {
    return this._spotEscalated;
  }

  /**
   * Records what a workflow step does for the job: it checkpoints, or it escalates Spot interruptions On-Demand.
   * @internal
   */
  public _markByWorkflow(what: { checkpointing?: boolean; spotEscalated?: boolean }): void {
    this._checkpointing ||= what.checkpointing ?? false;
    this._spotEscalated ||= what.spotEscalated ?? false;
  }

  private _checkpointing: boolean;
  private _spotEscalated = false;

  private readonly timeoutGiven: boolean;
  /** Names of the `Ref::` parameters the command uses. */
  public readonly parameterNames: string[];
  /** Defaults of `Ref::` parameters. */
  public readonly parameterDefaults: Readonly<Record<string, string>>;
  /** Environment variable names the job declares. */
  public readonly environmentNames: string[];

  private readonly _queues: IJobQueue[] = [];
  private readonly efsMounts: efs.IFileSystem[] = [];
  private readonly scratchPath?: string;
  private readonly packingThreshold: number;

  constructor(scope: Construct, id: string, props: JobProps) {
    super(scope, id);
    PipelineTag.applyTo(this);
    checkKnownProps(this, 'JobProps', props, JOB_PROPS_KEYS);
    if (props.queues.length === 0) {
      fail(this, {
        prop: 'queues',
        received: '[]',
        allowed: 'at least one JobQueue',
        fix: 'pass the queue(s) this job is submitted to',
      });
    }
    const platform = props.queues[0].platform;
    if (platform === undefined) {
      fail(this, {
        prop: 'queues',
        received: `[${props.queues[0].node.path}] (a queue with no capacity and no platform yet)`,
        allowed: 'queues whose platform is known',
        fix: 'create the queue with its capacities, or with `platform`, before binding jobs to it',
      });
    }
    this.platform = platform;
    this.jobName = props.jobName ?? id;
    checkBatchName(this, props.jobName ? 'jobName' : 'jobName (from the construct id)', this.jobName);
    if (props.jobDefinitionName !== undefined && !Token.isUnresolved(props.jobDefinitionName)) {
      checkBatchName(this, 'jobDefinitionName', props.jobDefinitionName);
    }
    this.jobDefinitionName = props.jobDefinitionName ?? defaultJobDefinitionName(this);
    claimPhysicalName(this, 'job definition', 'jobDefinitionName', this.jobDefinitionName);
    this.resources = { vcpus: props.vcpus, memory: props.memory, gpus: props.gpus ?? 0 };
    checkResources(this, this.platform, props);
    checkImage(this, props.image);
    checkContainerSettings(this, props, {
      platform,
      memory: props.memory,
      // The scratch mount and mountEfs name their volumes `scratch` and `efs<n>`.
      reservedVolumeNames: (name) => name === 'scratch' || /^efs\d+$/.test(name),
    });
    this.timeout = checkTimeout(this, this.platform, props.timeout ?? Duration.hours(24));
    this.retryPolicy = props.retryPolicy ?? RetryPolicy.spotInterruptions(3);
    this.retryPolicy._validate(this);
    checkEnvironment(this, props.environment ?? {});
    checkTags(this, props.tags ?? {});
    this.parameterNames = refParameters(props.command ?? []);
    this.parameterDefaults = { ...(props.parameters ?? {}) };
    checkParameterDefaults(this, this.parameterNames, this.parameterDefaults);
    this.environmentNames = Object.keys(props.environment ?? {});
    this.arrayJob = props.arrayJob ?? false;
    this._checkpointing = props.checkpointing ?? false;
    this.timeoutGiven = props.timeout !== undefined;
    this.scratchPath = props.scratchPath;
    this.packingThreshold = props.packingThreshold ?? 0.6;

    this.shared = props.shared ?? SharedJobResources.of(this);
    this.jobRole = props.jobRole ?? ownJobRole(this, this.jobName);
    this.roleGiven = props.jobRole !== undefined;

    const common: batch.EcsContainerDefinitionProps = {
      image: props.image,
      cpu: props.vcpus,
      memory: props.memory,
      command: props.command,
      environment: props.environment,
      secrets: props.secrets,
      executionRole: this.shared.executionRole,
      jobRole: this.jobRole,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.shared.logGroup, streamPrefix: this.jobName }),
      ...containerSettingsProps(this, 'LinuxParameters', props),
    };
    warnSwap(this, props);
    if (platform === CapacityPlatform.EC2) {
      if (props.ephemeralStorage) {
        fail(this, {
          prop: 'ephemeralStorage',
          received: `${props.ephemeralStorage.toGibibytes({ rounding: SizeRoundingBehavior.NONE })} GiB on EC2`,
          allowed: 'ephemeralStorage only on Fargate',
          fix: 'on EC2 use the capacity scratch volume (Ec2Capacity.scratchVolumeSize) and scratchPath',
        });
      }
      this.container = new batch.EcsEc2ContainerDefinition(this, 'Container', {
        ...common,
        gpu: props.gpus || undefined,
        privileged: props.privileged,
        ulimits: props.ulimits,
        volumes: [
          ...(props.scratchPath
            ? [batch.EcsVolume.host({ name: 'scratch', containerPath: props.scratchPath, hostPath: '/scratch' })]
            : []),
          ...(props.volumes ?? []),
        ],
      });
    } else {
      checkFargateOnly(this, props);
      this.container = new batch.EcsFargateContainerDefinition(this, 'Container', {
        ...common,
        fargateCpuArchitecture:
          props.queues[0].architecture === ec2.InstanceArchitecture.ARM_64
            ? ecs.CpuArchitecture.ARM64
            : ecs.CpuArchitecture.X86_64,
        fargatePlatformVersion: ecs.FargatePlatformVersion.LATEST,
        ephemeralStorageSize: props.ephemeralStorage,
        assignPublicIp: false,
      });
    }

    this.jobDefinition = new batch.EcsJobDefinition(this, 'Resource', {
      container: this.container,
      jobDefinitionName: this.jobDefinitionName,
      parameters: props.parameters,
      timeout: this.timeout,
      retryAttempts: this.retryPolicy.attempts,
      retryStrategies: this.retryPolicy
        ._rulesFor(this.platform)
        .map((r) =>
          batch.RetryStrategy.of(
            r.action === 'RETRY' ? batch.Action.RETRY : batch.Action.EXIT,
            batch.Reason.custom({ onStatusReason: r.onStatusReason, onReason: r.onReason, onExitCode: r.onExitCode }),
          ),
        ),
      propagateTags: true,
      // A deploy registers a new revision; the old one stays active, so a workflow run that started before the deploy
      // (and submits the revision it started with) keeps working. Without it CloudFormation deregisters the old
      // revision and every job such a run has yet to submit fails ("is not in ACTIVE status").
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-jobdefinition-resourceretentionpolicy.html
      skipDeregisterOnUpdate: true,
    });
    const cfn = this.jobDefinition.node.defaultChild as batch.CfnJobDefinition;
    for (const [key, value] of Object.entries(props.tags ?? {})) {
      cfn.tags.setTag(key, value);
    }
    // Defaults the L2 writes out anyway: leaving them out keeps each job definition smaller in the template, which
    // bounds how many steps one stack holds.
    if (Object.keys(props.environment ?? {}).length === 0) {
      cfn.addPropertyDeletionOverride('ContainerProperties.Environment');
    }
    if (props.readonlyRootFilesystem !== true) {
      cfn.addPropertyDeletionOverride('ContainerProperties.ReadonlyRootFilesystem');
    }
    // The L2 renders empty device and tmpfs lists whenever Linux parameters are given.
    if ((props.linuxParameters?.devices ?? []).length === 0) {
      cfn.addPropertyDeletionOverride('ContainerProperties.LinuxParameters.Devices');
    }
    if ((props.linuxParameters?.tmpfs ?? []).length === 0) {
      cfn.addPropertyDeletionOverride('ContainerProperties.LinuxParameters.Tmpfs');
    }
    // awslogs sends to the job's own Region when none is given:
    // https://docs.aws.amazon.com/batch/latest/userguide/using_awslogs.html
    cfn.addPropertyDeletionOverride('ContainerProperties.LogConfiguration.Options.awslogs-region');
    if (platform === CapacityPlatform.EC2) {
      // EC2 is the default platform: https://docs.aws.amazon.com/batch/latest/APIReference/API_RegisterJobDefinition.html
      cfn.addPropertyDeletionOverride('PlatformCapabilities');
    }
    if (this.retryPolicy.rules.length === 0) {
      // The L2 renders an empty evaluateOnExit list; "never retry" is attempts 1 with no rules at all.
      cfn.addPropertyOverride('RetryStrategy.EvaluateOnExit', undefined);
    }

    for (const q of props.queues) {
      this.addQueue(q);
    }
    this.wireEfsVolumes(props);
    this.node.addValidation({ validate: () => this.validateOnQueues() });
    ensureStackLimitChecks(this);
  }

  /** The queues this job is submitted to; the first is its default. */
  public get queues(): IJobQueue[] {
    return [...this._queues];
  }

  /** The job definition's ARN (with revision). */
  public get jobDefinitionArn(): string {
    return this.jobDefinition.jobDefinitionArn;
  }

  /**
   * ARN pattern of every revision of this job definition (`job-definition/<name>:*`), for IAM: a submit permission
   * on one revision breaks at the next deploy.
   */
  public get jobDefinitionArnAllRevisions(): string {
    if (Token.isUnresolved(this.jobDefinitionName)) {
      return allRevisionsArn(this.jobDefinitionArn);
    }
    return jobDefinitionArnPattern(Stack.of(this), `${this.jobDefinitionName}:*`);
  }

  /** Binds the job to one more queue (e.g. an On-Demand escalation queue). Checked at synth like the others. */
  public addQueue(queue: IJobQueue): void {
    checkSameEnvironment(this, 'queues', queue);
    if (queue.platform !== undefined && queue.platform !== this.platform) {
      fail(this, {
        prop: 'queues',
        received: `${queue.node.path} (${queue.platform}) for a ${this.platform} job`,
        allowed: `${this.platform} queues only (the job definition is built for ${this.platform})`,
        fix: `define a separate ${queue.platform} job for that queue`,
      });
    }
    if (!this._queues.includes(queue)) {
      this._queues.push(queue);
    }
    noteJobTimeout(queue, this.timeout.toSeconds());
  }

  /**
   * Grants `grantee` permission to submit this job (every revision of its definition) to its queues.
   */
  public grantSubmit(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['batch:SubmitJob'],
      resourceArns: [this.jobDefinitionArnAllRevisions, ...this._queues.map((q) => q.jobQueueArn)],
    });
    acknowledgeRevisions(this, grantee, this.jobDefinitionArnAllRevisions);
    grantRunTagging(this, grantee);
    return grant;
  }

  /**
   * Lets the job read objects under `prefix` of `bucket` (GetObject, and ListBucket limited to the prefix), plus
   * decrypt with the bucket's KMS key.
   * @param prefix a folder, ending with `/`, e.g. `samples/`: granted as given. A prefix without the trailing `/` also
   *   reaches keys that merely start with it (`samples-old/…`) and warns
   *   (`cdk-batch-pipelines:grant-prefix-not-folder`); `*`, `?` (IAM wildcards) and `${` (a policy variable) are
   *   refused. On a job that shares its role, the grant reaches every job of that role (and warns so).
   * @default prefix - the whole bucket
   */
  public grantRead(bucket: s3.IBucket, prefix = ''): iam.Grant {
    this.noteGrant(`grantRead(${bucket.node.path}, '${prefix}')`);
    return grantReadPrefix(this, this.jobRole, bucket, prefix);
  }

  /**
   * Lets the job write objects under `prefix` of `bucket` (PutObject, AbortMultipartUpload), plus encrypt with the
   * bucket's KMS key.
   * @param prefix a folder, ending with `/`, e.g. `results/`: granted as given. A prefix without the trailing `/` also
   *   reaches keys that merely start with it (`results-old/…`) and warns
   *   (`cdk-batch-pipelines:grant-prefix-not-folder`); `*`, `?` (IAM wildcards) and `${` (a policy variable) are
   *   refused. On a job that shares its role, the grant reaches every job of that role (and warns so).
   * @default prefix - the whole bucket
   */
  public grantWrite(bucket: s3.IBucket, prefix = ''): iam.Grant {
    this.noteGrant(`grantWrite(${bucket.node.path}, '${prefix}')`);
    return grantWritePrefix(this, this.jobRole, bucket, prefix);
  }

  /** A grant on a job that was given its role reaches every job of that role: say so. */
  private noteGrant(what: string): void {
    if (this.roleGiven) {
      warnSharedRoleGrant(this, this.jobRole, what);
    }
  }

  /**
   * Mounts an EFS file system into the job: transit encryption on, IAM authorization with the job role, ingress
   * from every capacity of the job's queues on the NFS port.
   */
  public mountEfs(fileSystem: efs.IFileSystem, options: EfsMountOptions): void {
    if (this.platform === CapacityPlatform.EC2 && !(this.container instanceof batch.EcsEc2ContainerDefinition)) {
      return;
    }
    mountEfsVolume(
      {
        job: this,
        jobRole: this.jobRole,
        containers: [this.container],
        capacities: this._queues.flatMap((q) => q.capacities),
        index: this.efsMounts.length,
      },
      fileSystem,
      options,
    );
    this.efsMounts.push(fileSystem);
  }

  /**
   * EFS volumes given in `volumes`: NFS ingress from every capacity (at synth, so capacity added later counts), and
   * with `useJobRole` (IAM authorization) the job role's mount and, unless read-only, write permission.
   */
  private wireEfsVolumes(props: JobProps): void {
    for (const v of efsVolumes(props.volumes)) {
      if (v.useJobRole) {
        v.fileSystem.grant(
          this.jobRole,
          ...(v.readonly
            ? ['elasticfilesystem:ClientMount']
            : ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']),
        );
      }
      this.efsMounts.push(v.fileSystem);
    }
  }

  private validateOnQueues(): string[] {
    const errors: string[] = [];
    for (const queue of this._queues) {
      if (queue.platform !== this.platform) {
        errors.push(
          describeProblem(this, {
            prop: 'queues',
            received: `${queue.node.path} (${queue.platform})`,
            allowed: `${this.platform} queues only`,
            fix: `define a separate ${queue.platform} job for that queue`,
          }),
        );
        continue;
      }
      const found = checkFit(
        { scope: this, resources: this.resources, packingThreshold: this.packingThreshold },
        queue,
      );
      errors.push(...found.errors);
      for (const w of found.warnings) {
        Annotations.of(this).addWarningV2(w.id, w.message);
      }
      errors.push(...checkScratch(this, this.scratchPath, queue.capacities));
      this.checkEfsIngress(queue.capacities);
    }
    this.warnLongSpot();
    return errors;
  }

  private checkEfsIngress(capacities: readonly ICapacity[]): void {
    // Capacity added to a queue after the mount: allow it too.
    for (const fs of this.efsMounts) {
      allowNfsFrom(fs, capacities);
    }
  }

  private warnLongSpot(): void {
    const spot = this._queues.flatMap((q) => q.capacities).find((c) => c.purchaseOption === PurchaseOption.SPOT);
    // Only a timeout the user gave says how long the job runs (the 24-hour default is a ceiling, not a length), and a
    // workflow that escalates Spot-exhausted jobs to On-Demand already gives what the warning advises.
    if (
      !spot ||
      this.checkpointing ||
      this.spotEscalated ||
      !this.timeoutGiven ||
      this.timeout.toSeconds() <= LONG_SPOT_JOB_SECONDS
    ) {
      return;
    }
    Annotations.of(this).addWarningV2(
      'cdk-batch-pipelines:long-spot-job',
      `${this.node.path}: may run up to ${this.timeout.toHumanString()} on Spot capacity ${spot.node.path} without ` +
        'checkpointing; AWS advises against Spot for jobs of an hour or more that cannot resume, since an ' +
        'interruption loses all work so far. Make the job resume from a checkpoint and set checkpointing: true, or ' +
        "let the workflow's Spot escalation rerun it on the On-Demand queue.",
    );
  }
}
