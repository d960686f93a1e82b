import { checkSameEnvironment } from '../private/arns';
import { grantSubmitJob, IJob } from './job-ref';
import { Annotations, Duration, Size, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  allowNfsFrom,
  EfsMountOptions,
  grantReadPrefix,
  grantWritePrefix,
  mountEfsVolume,
  ownJobRole,
  warnSharedRoleGrant,
} from './job-access';
import {
  checkContainerSettings,
  ContainerSettings,
  containerSettingsProps,
  efsVolumes,
  warnSwap,
} from './container-settings';
import { RetryPolicy } from './retry-policy';
import { SharedJobResources } from './shared-job-resources';
import { CapacityPlatform, ICapacity, PurchaseOption } from '../compute/capacity';
import { fitOnInstances } from '../compute/fit';
import { describeProblem } from '../core/validation-error';
import { IJobQueue } from '../queues/job-queue-base';
import { fail } from '../private/errors';
import { checkFit } from './fit-check';
import { checkEnvironment, checkImage, checkTags, checkTimeout } from './job-checks';
import { MAX_NODE_RANGES } from '../private/limits';
import { checkBatchName, claimPhysicalName, defaultJobDefinitionName } from '../private/names';
import { checkKnownProps, KnownKeys } from '../private/known-props';
import { PipelineTag } from '../core/pipeline-tag';

/**
 * The container run on a range of nodes of a multi-node parallel job, with the container settings of
 * `ContainerSettings` (e.g. `linuxParameters.sharedMemorySize` for NCCL, a `memlock` ulimit for EFA/RDMA).
 */
export interface NodeRange extends ContainerSettings {
  /** First node (0-based) of the range. */
  readonly startNode: number;
  /** Last node of the range, inclusive. */
  readonly endNode: number;
  /** The container image. */
  readonly image: ecs.ContainerImage;
  /**
   * The command.
   * @default - the image's CMD
   */
  readonly command?: string[];
  /** vCPUs per node (whole number). */
  readonly vcpus: number;
  /** Memory per node. */
  readonly memory: Size;
  /**
   * GPUs per node.
   * @default 0
   */
  readonly gpus?: number;
  /**
   * Environment variables (names starting with `AWS_BATCH` are reserved).
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Secrets (Secrets Manager or SSM) exposed as environment variables; read access is granted to the execution role.
   * @default - none
   */
  readonly secrets?: Record<string, batch.Secret>;
}

/** Every prop of `NodeRange`, for the run-time check of keys (lib/private/known-props.ts). */
// prettier-ignore
export const NODE_RANGE_KEYS: KnownKeys<NodeRange> = {
  startNode: true, endNode: true, image: true, command: true, vcpus: true, memory: true, gpus: true,
  environment: true, secrets: true, linuxParameters: true, ulimits: true, user: true, readonlyRootFilesystem: true,
  volumes: true,
};

/** Props of `MultiNodeJob`. */
export interface MultiNodeJobProps {
  /** Queues the job is submitted to: EC2 On-Demand capacity only (Batch runs no multi-node jobs on Spot or Fargate). */
  readonly queues: IJobQueue[];
  /** Node ranges: together they cover nodes 0..N-1 with no gap or overlap; at most 5. */
  readonly nodeRanges: NodeRange[];
  /**
   * The node that coordinates the others (e.g. runs `mpirun`).
   * @default 0
   */
  readonly mainNode?: number;
  /**
   * Instance type every node runs on. It must be one the queues' capacities launch (checked at synth: otherwise the
   * job waits in RUNNABLE forever).
   * @default - Batch picks from the queue's instance types
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * How long one attempt may run.
   * @default Duration.hours(24)
   */
  readonly timeout?: Duration;
  /**
   * When Batch runs a failed attempt again.
   * @default RetryPolicy.never() - a multi-node job runs on On-Demand capacity, where failures are not interruptions
   */
  readonly retryPolicy?: RetryPolicy;
  /**
   * Tags of the definition, propagated to the jobs.
   * @default - none
   */
  readonly tags?: Record<string, string>;
  /**
   * Name jobs of this definition are submitted with.
   * @default - the construct id
   */
  readonly jobName?: string;
  /**
   * Name of the job definition.
   * @default - `<stack>_<construct path>`, as for `Job`: one IAM pattern covers every job definition of the stack
   */
  readonly jobDefinitionName?: string;
  /**
   * The shared log group and execution role.
   * @default - `SharedJobResources.of(this)`
   */
  readonly shared?: SharedJobResources;
  /**
   * The role the containers run as. A role given here may be shared: every grant on this job then reaches every job
   * that runs as it, and the grant helpers warn so.
   * @default - a role of the job's own (a grant on this job reaches no other job)
   */
  readonly jobRole?: iam.IRole;
}

/** Every prop of `MultiNodeJobProps`, for the run-time check of keys (lib/private/known-props.ts). */
// prettier-ignore
export const MULTI_NODE_JOB_PROPS_KEYS: KnownKeys<MultiNodeJobProps> = {
  queues: true, nodeRanges: true, mainNode: true, instanceType: true, timeout: true, retryPolicy: true, tags: true,
  jobName: true, jobDefinitionName: true, shared: true, jobRole: true,
};

/**
 * A multi-node parallel (MPI) job: gang-scheduled containers across N nodes, on EC2 On-Demand capacity, with node
 * ranges checked at construction (no gaps or overlaps, main node in range) and each range's size checked against
 * the queues at synth.
 *
 * Nodes talk to each other: each node's network interface gets the compute environment's security groups, so the
 * job adds one self-referencing rule to them (all traffic from the same group, nothing wider) for MPI/NCCL; every job
 * on that capacity can then reach the others, so give multi-node jobs a capacity of their own. For
 * low-latency traffic give the capacity a cluster placement group (`Ec2Capacity.placementGroup`). Like `Job`, it
 * mounts EFS (`mountEfs`), reads and writes S3 prefixes (`grantRead`/`grantWrite`), takes secrets, is named
 * `<stack>_<path>` and keeps earlier revisions registered on deploy. It is not a workflow step.
 *
 * @see https://docs.aws.amazon.com/batch/latest/userguide/multi-node-parallel-jobs.html
 */
export class MultiNodeJob extends Construct implements IJob, iam.IGrantable {
  /** The aws-cdk-lib multi-node job definition underneath. */
  public readonly jobDefinition: batch.MultiNodeJobDefinition;
  /** Number of nodes. */
  public readonly numNodes: number;
  /** The coordinating node. */
  public readonly mainNode: number;
  /** Name jobs are submitted with. */
  public readonly jobName: string;
  private readonly boundQueues: IJobQueue[];
  /** Name of the job definition. */
  public readonly jobDefinitionName: string;
  /** The role the containers run as. */
  public readonly jobRole: iam.IRole;
  private readonly roleGiven: boolean;

  /** The job definition's ARN (this revision). */
  public get jobDefinitionArn(): string {
    return this.jobDefinition.jobDefinitionArn;
  }

  /** The nodes' role, so that grants read the CDK way: `bucket.grantRead(job)`. */
  public get grantPrincipal(): iam.IPrincipal {
    return this.jobRole;
  }

  private readonly containers: batch.EcsEc2ContainerDefinition[] = [];
  private efsMounts = 0;

  /** Queues the job is submitted to. */
  public get queues(): IJobQueue[] {
    return [...this.boundQueues];
  }

  constructor(scope: Construct, id: string, props: MultiNodeJobProps) {
    super(scope, id);
    PipelineTag.applyTo(this);
    checkKnownProps(this, 'MultiNodeJobProps', props, MULTI_NODE_JOB_PROPS_KEYS);
    (props.nodeRanges ?? []).forEach((r, i) =>
      checkKnownProps(this, 'NodeRange', r, NODE_RANGE_KEYS, `nodeRanges[${i}].`),
    );
    this.jobName = props.jobName ?? id;
    checkBatchName(this, props.jobName ? 'jobName' : 'jobName (from the construct id)', this.jobName);
    if (props.queues.length === 0) {
      fail(this, {
        prop: 'queues',
        received: '[]',
        allowed: 'at least one EC2 On-Demand JobQueue',
        fix: 'pass the queue this job is submitted to',
      });
    }
    for (const q of props.queues) {
      checkSameEnvironment(this, 'queues', q);
      if (q.platform === CapacityPlatform.FARGATE) {
        fail(this, {
          prop: 'queues',
          received: `${q.node.path} (FARGATE)`,
          allowed: 'EC2 queues only: Fargate does not run multi-node parallel jobs',
          fix: 'submit the job to a queue of On-Demand Ec2Capacity',
        });
      }
    }
    this.boundQueues = [...props.queues];
    this.numNodes = this.checkRanges(props.nodeRanges);
    this.mainNode = props.mainNode ?? 0;
    if (!Number.isInteger(this.mainNode) || this.mainNode < 0 || this.mainNode >= this.numNodes) {
      fail(this, {
        prop: 'mainNode',
        received: `${this.mainNode}`,
        allowed: `a node index from 0 to ${this.numNodes - 1}`,
        fix: 'use 0, or a node inside one of the ranges',
      });
    }
    props.nodeRanges.forEach((r) => checkImage(this, r.image));
    const timeout = checkTimeout(this, CapacityPlatform.EC2, props.timeout ?? Duration.hours(24));
    const retryPolicy = props.retryPolicy ?? RetryPolicy.never();
    retryPolicy._validate(this);
    checkTags(this, props.tags ?? {});
    props.nodeRanges.forEach((r) => checkEnvironment(this, r.environment ?? {}));
    for (const r of props.nodeRanges) {
      // Multi-node jobs run on EC2 only (checked above); mountEfs names its volumes `efs<n>`.
      const prefix = `nodeRanges[${r.startNode}..${r.endNode}].`;
      checkContainerSettings(this, r, {
        platform: CapacityPlatform.EC2,
        memory: r.memory,
        prefix,
        reservedVolumeNames: (name) => /^efs\d+$/.test(name),
      });
      warnSwap(this, r, prefix);
    }
    if (props.instanceType) {
      for (const r of props.nodeRanges) {
        const fit = fitOnInstances({ vcpus: r.vcpus, memory: r.memory, gpus: r.gpus }, [props.instanceType.toString()]);
        if (fit.unknownInstanceTypes.length === 0 && !fit.fits) {
          fail(this, {
            prop: `nodeRanges[${r.startNode}..${r.endNode}]`,
            received: `${r.vcpus} vCPU / ${r.memory.toMebibytes()} MiB`,
            problem: `does not fit instanceType ${props.instanceType}`,
            allowed: `what one ${props.instanceType} offers (${fit.reason})`,
            fix: 'ask for less per node, or choose a larger instanceType',
          });
        }
      }
    }

    if (props.jobDefinitionName !== undefined && !Token.isUnresolved(props.jobDefinitionName)) {
      checkBatchName(this, 'jobDefinitionName', props.jobDefinitionName);
    }
    this.jobDefinitionName = props.jobDefinitionName ?? defaultJobDefinitionName(this);
    claimPhysicalName(this, 'job definition', 'jobDefinitionName', this.jobDefinitionName);
    const shared = props.shared ?? SharedJobResources.of(this);
    const jobRole = props.jobRole ?? ownJobRole(this, this.jobName);
    this.jobRole = jobRole;
    this.roleGiven = props.jobRole !== undefined;
    this.jobDefinition = new batch.MultiNodeJobDefinition(this, 'Resource', {
      jobDefinitionName: this.jobDefinitionName,
      // As for Job: a deploy keeps the earlier revision registered, so a job submitted with it still runs.
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-jobdefinition-resourceretentionpolicy.html
      skipDeregisterOnUpdate: true,
      mainNode: this.mainNode,
      instanceType: props.instanceType,
      timeout,
      retryAttempts: retryPolicy.attempts,
      retryStrategies: retryPolicy
        ._rulesFor(CapacityPlatform.EC2)
        .map((r) =>
          batch.RetryStrategy.of(
            r.action === 'RETRY' ? batch.Action.RETRY : batch.Action.EXIT,
            batch.Reason.custom({ onStatusReason: r.onStatusReason, onReason: r.onReason, onExitCode: r.onExitCode }),
          ),
        ),
      propagateTags: true,
      containers: props.nodeRanges.map((r, i) => {
        const container = new batch.EcsEc2ContainerDefinition(this, `Nodes${i}`, {
          image: r.image,
          command: r.command,
          cpu: r.vcpus,
          memory: r.memory,
          gpu: r.gpus || undefined,
          environment: r.environment,
          secrets: r.secrets,
          executionRole: shared.executionRole,
          jobRole,
          logging: ecs.LogDrivers.awsLogs({ logGroup: shared.logGroup, streamPrefix: this.jobName }),
          ...containerSettingsProps(this, `LinuxParameters${i}`, r),
          ulimits: r.ulimits,
        });
        this.containers.push(container);
        return { startNode: r.startNode, endNode: r.endNode, container };
      }),
    });
    // Node-to-node traffic (MPI, NCCL): each node's interface carries the compute environment's security groups,
    // which admit nothing by default. One self-referencing rule per group, no wider.
    // https://docs.aws.amazon.com/batch/latest/userguide/multi-node-parallel-jobs.html
    for (const c of this.capacities()) {
      // Another multi-node job on the same group adds the same rule: aws-cdk-lib keeps one.
      // An imported compute environment comes without its security groups (its owner opens node-to-node traffic).
      for (const sg of c.computeEnvironment.connections?.securityGroups ?? []) {
        sg.addIngressRule(sg, ec2.Port.allTraffic(), 'Multi-node parallel jobs: traffic between the nodes of a job');
      }
    }
    // EFS volumes given in a range: NFS ingress from the capacities; with useJobRole, the role may mount (and write).
    for (const v of props.nodeRanges.flatMap((r) => efsVolumes(r.volumes))) {
      if (v.useJobRole) {
        v.fileSystem.grant(
          jobRole,
          ...(v.readonly
            ? ['elasticfilesystem:ClientMount']
            : ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']),
        );
      }
      allowNfsFrom(v.fileSystem, this.capacities());
    }
    const cfn = this.jobDefinition.node.defaultChild as batch.CfnJobDefinition;
    for (const [key, value] of Object.entries(props.tags ?? {})) {
      cfn.tags.setTag(key, value);
    }
    if (retryPolicy.rules.length === 0) {
      cfn.addPropertyOverride('RetryStrategy.EvaluateOnExit', undefined);
    }

    this.node.addValidation({
      validate: () => {
        const errors: string[] = [];
        for (const q of this.queues) {
          for (const c of q.capacities) {
            if (c.purchaseOption === PurchaseOption.SPOT) {
              errors.push(
                describeProblem(this, {
                  prop: 'queues',
                  received: `${q.node.path} (capacity ${c.node.path} is Spot)`,
                  allowed: 'queues of On-Demand EC2 capacity only: Batch does not run multi-node parallel jobs on Spot',
                  fix: 'submit the job to a queue of On-Demand Ec2Capacity (ideally with a cluster placement group)',
                }),
              );
            }
          }
          if (props.instanceType) {
            errors.push(...this.checkInstanceType(q, props.instanceType.toString()));
          }
          for (const r of props.nodeRanges) {
            const found = checkFit(
              { scope: this, resources: { vcpus: r.vcpus, memory: r.memory, gpus: r.gpus }, packingThreshold: 0 },
              q,
            );
            errors.push(...found.errors);
            found.warnings.forEach((w) => Annotations.of(this).addWarningV2(w.id, w.message));
          }
        }
        return errors;
      },
    });
  }

  /**
   * Lets the nodes read objects under `prefix` of `bucket` (GetObject, and ListBucket limited to the prefix), plus
   * decrypt with the bucket's KMS key.
   * @default prefix - the whole bucket
   */
  public grantRead(bucket: s3.IBucket, prefix = ''): iam.Grant {
    if (this.roleGiven) {
      warnSharedRoleGrant(this, this.jobRole, `grantRead(${bucket.node.path}, '${prefix}')`);
    }
    return grantReadPrefix(this, this.jobRole, bucket, prefix);
  }

  /**
   * Lets the nodes write objects under `prefix` of `bucket` (PutObject, AbortMultipartUpload), plus encrypt with the
   * bucket's KMS key.
   * @default prefix - the whole bucket
   */
  public grantWrite(bucket: s3.IBucket, prefix = ''): iam.Grant {
    if (this.roleGiven) {
      warnSharedRoleGrant(this, this.jobRole, `grantWrite(${bucket.node.path}, '${prefix}')`);
    }
    return grantWritePrefix(this, this.jobRole, bucket, prefix);
  }

  /**
   * Mounts an EFS file system into every node (e.g. for checkpoints): transit encryption on, IAM authorization with
   * the job role, NFS ingress from every capacity of the job's queues.
   */
  public mountEfs(fileSystem: efs.IFileSystem, options: EfsMountOptions): void {
    mountEfsVolume(
      {
        job: this,
        jobRole: this.jobRole,
        containers: this.containers,
        capacities: this.capacities(),
        index: this.efsMounts,
      },
      fileSystem,
      options,
    );
    this.efsMounts += 1;
  }

  /** Grants `grantee` permission to submit this job to its queues. */
  public grantSubmit(grantee: iam.IGrantable): iam.Grant {
    return grantSubmitJob(this, grantee, this.jobDefinition.jobDefinitionArn, this.queues);
  }

  private capacities(): ICapacity[] {
    return [...new Set(this.queues.flatMap((q) => q.capacities))];
  }

  /**
   * A job pinned to an instance type that none of a queue's capacities launches waits in RUNNABLE forever. Types and
   * families (`p4d.24xlarge`, or the family `p4d`) the capacity names count.
   */
  private checkInstanceType(queue: IJobQueue, instanceType: string): string[] {
    const family = instanceType.split('.')[0];
    return queue.capacities
      .filter((c) => c.platform === CapacityPlatform.EC2)
      .filter((c) => {
        // Only capacities whose types the catalog knows can be checked (an unknown class may hold the type).
        const known = c as { instanceTypeNames?: string[]; instanceTypesKnown?: boolean };
        const names = known.instanceTypeNames;
        return (
          names !== undefined &&
          known.instanceTypesKnown !== false &&
          !names.includes(instanceType) &&
          !names.includes(family)
        );
      })
      .map((c) =>
        describeProblem(this, {
          prop: 'instanceType',
          received: `${instanceType}`,
          problem: `is not launched by capacity ${c.node.path} of queue ${queue.node.path} (${(c as { instanceTypeNames?: string[] }).instanceTypeNames!.join(', ')}): the job would wait in RUNNABLE forever`,
          allowed: 'an instance type (or family) every EC2 capacity of the queues launches',
          fix: `add ${instanceType} to the instanceTypes of ${c.node.path}, or choose one of its types`,
        }),
      );
  }

  private checkRanges(ranges: NodeRange[]): number {
    if (ranges.length === 0 || ranges.length > MAX_NODE_RANGES) {
      fail(this, {
        prop: 'nodeRanges',
        received: `${ranges.length} ranges`,
        allowed: `1 to ${MAX_NODE_RANGES} node ranges`,
        fix: 'merge ranges that run the same container',
      });
    }
    const sorted = [...ranges].sort((a, b) => a.startNode - b.startNode);
    let next = 0;
    for (const r of sorted) {
      const label = `nodeRanges[${r.startNode}..${r.endNode}]`;
      if (!Number.isInteger(r.startNode) || !Number.isInteger(r.endNode) || r.endNode < r.startNode) {
        fail(this, {
          prop: label,
          received: `start ${r.startNode}, end ${r.endNode}`,
          allowed: 'whole node indexes with startNode <= endNode',
          fix: 'give endNode at least startNode',
        });
      }
      if (r.startNode > next) {
        fail(this, {
          prop: 'nodeRanges',
          received: `a gap: nodes ${next}..${r.startNode - 1} have no range`,
          allowed: 'ranges that cover nodes 0..N-1 with no gap',
          fix: `start the next range at node ${next}, or extend the previous one`,
        });
      }
      if (r.startNode < next) {
        fail(this, {
          prop: 'nodeRanges',
          received: `an overlap: node ${r.startNode} is in two ranges`,
          allowed: 'ranges that do not overlap',
          fix: `start this range at node ${next}`,
        });
      }
      next = r.endNode + 1;
    }
    return next;
  }
}
