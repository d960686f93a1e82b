import { Duration, Size } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ContainerSettings } from './container-settings';
import { RetryPolicy } from './retry-policy';
import { SharedJobResources } from './shared-job-resources';
import { IJobQueue } from '../queues/job-queue-base';
import type { KnownKeys } from '../private/known-props';

/**
 * Props of `Job`. The container settings (`linuxParameters`, `ulimits`, `user`, `readonlyRootFilesystem`, `volumes`)
 * come from `ContainerSettings`.
 */
export interface JobProps extends ContainerSettings {
  /**
   * Queues the job is submitted to; the first is where it normally runs, others (e.g. an On-Demand escalation
   * queue) must be of the same platform. The platform (EC2 or Fargate) follows them.
   */
  readonly queues: IJobQueue[];

  /** The container image. */
  readonly image: ecs.ContainerImage;

  /**
   * The command; `Ref::name` placeholders are replaced by submit-time parameters or `parameters` defaults.
   * @default - the image's CMD
   */
  readonly command?: string[];

  /**
   * Default values of `Ref::` parameters used in `command`.
   * @default - no defaults: every `Ref::` parameter must be passed at submit time
   */
  readonly parameters?: Record<string, string>;

  /**
   * Environment variables. Names starting with `AWS_BATCH` are reserved by Batch.
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * Secrets (Secrets Manager or SSM) exposed as environment variables; read access is granted to the execution role.
   * @default - none
   */
  readonly secrets?: Record<string, batch.Secret>;

  /** vCPUs per job: a whole number on EC2; 0.25, 0.5, 1, 2, 4, 8 or 16 on Fargate. */
  readonly vcpus: number;

  /** Memory per job. Must fit the usable memory of the queues' instance types (checked at synth). */
  readonly memory: Size;

  /**
   * GPUs per job (EC2 only).
   * @default 0
   */
  readonly gpus?: number;

  /**
   * How long one attempt may run before Batch stops it (at least 60 s; at most 14 days on Fargate).
   * @default Duration.hours(24) - a hung job does not run (and cost) forever
   */
  readonly timeout?: Duration;

  /**
   * When Batch runs a failed attempt again.
   * @default RetryPolicy.spotInterruptions(3) - retry Spot interruptions only, fail on anything else
   */
  readonly retryPolicy?: RetryPolicy;

  /**
   * Mount the EC2 capacity's scratch volume at this path in the container. Every EC2 capacity of the job's queues
   * must have a scratch volume (`Ec2Capacity.scratchVolumeSize`).
   * @default - no scratch mount
   */
  readonly scratchPath?: string;

  /**
   * Fargate only: ephemeral storage per task (21..200 GiB).
   * @default - Fargate's 20 GiB
   */
  readonly ephemeralStorage?: Size;

  /**
   * Tags of the job definition, propagated to the jobs and their ECS tasks.
   * @default - none
   */
  readonly tags?: Record<string, string>;

  /**
   * Name jobs of this definition are submitted with (up to 128 letters, digits, `-`, `_`), and the prefix of their
   * log streams. A `Workflow` names the jobs it submits after its steps instead.
   * @default - the construct id
   */
  readonly jobName?: string;

  /**
   * Physical name of the job definition.
   * @default - `<stack name>_<construct path below the stack>`: every job definition of a stack shares the
   * `<stack name>_` prefix, so a workflow's submit permission is one resource pattern however many jobs it runs
   */
  readonly jobDefinitionName?: string;

  /**
   * The log group and execution role this job shares with the rest of the pipeline.
   * @default - `SharedJobResources.of(this)`, one per stack
   */
  readonly shared?: SharedJobResources;

  /**
   * The role the container runs as. A role given here may be shared: every grant on this job (`grantRead`,
   * `grantWrite`, `bucket.grantRead(job)`) then reaches every job that runs as it, and the grant helpers warn so.
   * Share one (`SharedJobResources.of(stack).jobRole`) only to keep a pipeline of hundreds of jobs under
   * CloudFormation's 500 resources per stack.
   * @default - a role of the job's own (least privilege: a grant on this job reaches no other job; one resource)
   */
  readonly jobRole?: iam.IRole;

  /**
   * The job runs as an array job: each child reads `AWS_BATCH_JOB_ARRAY_INDEX` (0-based) to pick its item. The size
   * (2..10,000) is given at submit time.
   * @default false
   */
  readonly arrayJob?: boolean;

  /**
   * The job saves progress and resumes from it when run again, so a Spot interruption loses little work. Silences
   * the long-Spot-job warning.
   * @default false
   */
  readonly checkpointing?: boolean;

  /**
   * Run the container privileged (EC2 only).
   * @default false
   */
  readonly privileged?: boolean;

  /**
   * Packing efficiency (0..1) below which the fit check warns that the job wastes instances.
   * @default 0.6
   */
  readonly packingThreshold?: number;
}

/** Every prop of `JobProps`, for the run-time check of keys (lib/private/known-props.ts). */
export const JOB_PROPS_KEYS: KnownKeys<JobProps> = {
  queues: true,
  image: true,
  command: true,
  parameters: true,
  environment: true,
  secrets: true,
  vcpus: true,
  memory: true,
  gpus: true,
  timeout: true,
  retryPolicy: true,
  scratchPath: true,
  ephemeralStorage: true,
  tags: true,
  jobName: true,
  jobDefinitionName: true,
  shared: true,
  jobRole: true,
  arrayJob: true,
  checkpointing: true,
  privileged: true,
  packingThreshold: true,
  linuxParameters: true,
  ulimits: true,
  user: true,
  readonlyRootFilesystem: true,
  volumes: true,
};
