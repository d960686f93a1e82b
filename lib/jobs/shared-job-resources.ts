import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { checkKnownProps, KnownKeys } from '../private/known-props';
import { PipelineTag } from '../core/pipeline-tag';

/** Props of `SharedJobResources`. */
export interface SharedJobResourcesProps {
  /**
   * How long job logs are kept.
   * @default logs.RetentionDays.ONE_MONTH - long enough to debug a weekly run, short enough not to pile up
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN - logs of past runs outlive the stack
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Every prop of `SharedJobResourcesProps`, for the run-time check of unknown keys. */
const SHARED_JOB_RESOURCES_PROPS_KEYS: KnownKeys<SharedJobResourcesProps> = {
  logRetention: true,
  logRemovalPolicy: true,
};

/**
 * What the jobs of one pipeline share: one log group (not the account-wide `/aws/batch/job`) and one execution role
 * (pull images, write logs, read the jobs' secrets). Each job runs as a role of its own unless it is given one; the
 * shared `jobRole` is for jobs that opt in (`jobRole: shared.jobRole`), e.g. to keep a pipeline of hundreds of jobs
 * under CloudFormation's 500 resources, knowing that a grant on any of them then reaches all of them.
 */
export class SharedJobResources extends Construct {
  /**
   * The stack's default shared resources, created on first use under the stack (id `BatchPipelinesShared`).
   */
  public static of(scope: Construct): SharedJobResources {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(SharedJobResources.DEFAULT_ID);
    return existing instanceof SharedJobResources
      ? existing
      : new SharedJobResources(stack, SharedJobResources.DEFAULT_ID);
  }

  private static readonly DEFAULT_ID = 'BatchPipelinesShared';

  /** The log group every job of the pipeline writes to. */
  public readonly logGroup: logs.LogGroup;
  /** The role ECS uses to start containers: pull images, write logs, read secrets. */
  public readonly executionRole: iam.Role;
  private sharedJobRole?: iam.Role;

  constructor(scope: Construct, id: string, props: SharedJobResourcesProps = {}) {
    super(scope, id);
    PipelineTag.applyTo(this);
    checkKnownProps(this, 'SharedJobResourcesProps', props, SHARED_JOB_RESOURCES_PROPS_KEYS);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Starts Batch job containers: pulls images, writes logs, reads job secrets',
    });
  }

  /**
   * A job role to share among jobs that opt in (`jobRole: shared.jobRole`), made on first use. Every grant on any of
   * those jobs reaches all of them: share it only among jobs that may touch the same data.
   */
  public get jobRole(): iam.Role {
    this.sharedJobRole ??= new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Role the Batch job containers that share it run as',
    });
    return this.sharedJobRole;
  }
}
