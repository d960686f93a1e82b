import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { CapacityPlatform, ICapacity, PurchaseOption } from '../compute/capacity';
import { describeProblem } from '../core/validation-error';
import { fairSharePolicy, FairShareOptions } from './fair-share';
import { ImportedJobQueue, ImportedJobQueueOptions } from './imported-job-queue';
import { IJobQueue, JobQueueBase } from './job-queue-base';
import { fail } from '../private/errors';
import { checkSameEnvironment } from '../private/arns';
import { checkBatchName, claimPhysicalName } from '../private/names';
import {
  MAX_COMPUTE_ENVIRONMENTS_PER_QUEUE,
  MAX_QUEUE_PRIORITY,
  MAX_STATE_TIME_LIMIT_SECONDS,
  MIN_QUEUE_PRIORITY,
  MIN_STATE_TIME_LIMIT_SECONDS,
} from '../private/limits';
import type { KnownKeys } from '../private/known-props';
import { checkKnownProps } from '../private/known-props';
import { PipelineTag } from '../core/pipeline-tag';

export type { FairShare, FairShareOptions } from './fair-share';

/** Props of `JobQueue`. */
export interface JobQueueProps {
  /**
   * Capacities in fallback order: Batch places jobs on the first with room, then the next. At most 3, all EC2 or all
   * Fargate, one CPU architecture. More can be added with `addCapacity`.
   * @default - none yet; add them with `addCapacity` before synth (give `platform` so jobs can be bound meanwhile)
   */
  readonly capacities?: ICapacity[];

  /**
   * EC2 or Fargate, for a queue created before its capacities. Must agree with the capacities when both are given.
   * @default - the platform of the first capacity
   */
  readonly platform?: CapacityPlatform;

  /**
   * Scheduling priority among queues sharing capacity (0..1000, higher first).
   * @default 10 - room above for urgent queues and below for backfill
   */
  readonly priority?: number;

  /**
   * Cancel a job that has sat at the head of the queue in RUNNABLE this long because it cannot ever run
   * (`MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT`, `MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE`), instead of
   * letting it block the queue silently (600 s..24 h).
   * @default Duration.minutes(30)
   */
  readonly cancelUnrunnableAfter?: Duration;

  /**
   * Also cancel jobs stuck this long because every capacity reports insufficient instance capacity
   * (`CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY`). Capacity shortages usually pass, so they wait by default.
   * @default - jobs wait for capacity
   */
  readonly cancelOnInsufficientCapacityAfter?: Duration;

  /**
   * Fair-share scheduling. Jobs submitted to a fair-share queue must carry a share identifier.
   *
   * Decide it when the queue is created: Batch cannot add a fair-share policy to a deployed first-in-first-out queue,
   * nor remove one, and CloudFormation updates the queue in place rather than replacing it, so adding or removing
   * `fairShare` on a deployed queue fails the deploy (it rolls back; the queue and its jobs are untouched). To switch,
   * add a second `JobQueue` with a new id, submit to it, and remove the old one once it is empty: deleting a queue
   * ends the jobs still in it. Synth says so in an info message (`cdk-batch-pipelines:fair-share-at-creation`).
   *
   * At most 500 share identifiers can be active in the queue at once; a workflow step that reads its share
   * identifier from item data (`shareIdentifier: '$.item.lab'`) is warned about at synth
   * (`cdk-batch-pipelines:share-identifiers-from-data`).
   * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_CreateJobQueue.html
   * @default - first in, first out
   */
  readonly fairShare?: FairShareOptions;

  /**
   * Physical name of the queue.
   * @default - CloudFormation generates one
   */
  readonly jobQueueName?: string;

  /**
   * Whether the queue accepts jobs.
   * @default true
   */
  readonly enabled?: boolean;
}

/** Every prop of `JobQueueProps`, for the run-time check of keys (lib/private/known-props.ts). */
export const JOB_QUEUE_PROPS_KEYS: KnownKeys<JobQueueProps> = {
  capacities: true,
  platform: true,
  priority: true,
  cancelUnrunnableAfter: true,
  cancelOnInsufficientCapacityAfter: true,
  fairShare: true,
  jobQueueName: true,
  enabled: true,
};

/** Options of the queue presets. */
export interface QueuePresetOptions {
  /**
   * Scheduling priority (0..1000).
   * @default 10
   */
  readonly priority?: number;
  /**
   * See `JobQueueProps.cancelUnrunnableAfter`.
   * @default Duration.minutes(30)
   */
  readonly cancelUnrunnableAfter?: Duration;
}

/**
 * A prioritized Batch job queue over an ordered list of capacities, which cancels jobs that can never run instead
 * of letting them wait silently, and checks at construction that its capacities can share a queue.
 */
export class JobQueue extends JobQueueBase {
  /**
   * Spot first, then On-Demand when Spot is short: the usual shape for interruptible batch work.
   */
  public static spotFirst(
    scope: Construct,
    id: string,
    spot: ICapacity,
    onDemand: ICapacity,
    options: QueuePresetOptions = {},
  ): JobQueue {
    const q = new JobQueue(scope, id, { ...options, capacities: [spot, onDemand] });
    q.expectPurchase('spot', spot, PurchaseOption.SPOT);
    q.expectPurchase('onDemand', onDemand, PurchaseOption.ON_DEMAND);
    return q;
  }

  /**
   * Fargate Spot first, then Fargate: Fargate Spot never falls back to On-Demand by itself.
   */
  public static fargateSpotFirst(
    scope: Construct,
    id: string,
    fargateSpot: ICapacity,
    fargate: ICapacity,
    options: QueuePresetOptions = {},
  ): JobQueue {
    const q = new JobQueue(scope, id, { ...options, capacities: [fargateSpot, fargate] });
    for (const [name, c] of [
      ['fargateSpot', fargateSpot],
      ['fargate', fargate],
    ] as const) {
      if (c.platform !== CapacityPlatform.FARGATE) {
        fail(q, {
          prop: name,
          received: `${c.node.path} (${c.platform})`,
          allowed: 'FargateCapacity',
          fix: 'pass FargateCapacity constructs, or use JobQueue.spotFirst for EC2 capacity',
        });
      }
    }
    q.expectPurchase('fargateSpot', fargateSpot, PurchaseOption.SPOT);
    q.expectPurchase('fargate', fargate, PurchaseOption.ON_DEMAND);
    return q;
  }

  /**
   * A queue another stack or team owns, by ARN. Jobs bound to it are checked against the capacities you declare
   * (import them with `Ec2Capacity.fromComputeEnvironmentArn` / `FargateCapacity.fromComputeEnvironmentArn`): without
   * them this app cannot know its instance types, so a job too big for every one of them is not caught at synth (a
   * warning says so). The queue must be in this stack's account and region: Batch submits only to those.
   */
  public static fromJobQueueArn(
    scope: Construct,
    id: string,
    jobQueueArn: string,
    options: ImportedJobQueueOptions = {},
  ): IJobQueue {
    return new ImportedJobQueue(scope, id, jobQueueArn, options);
  }

  /** A queue another stack or team owns, by name, in this stack's account and region (see `fromJobQueueArn`). */
  public static fromJobQueueName(
    scope: Construct,
    id: string,
    jobQueueName: string,
    options: ImportedJobQueueOptions = {},
  ): IJobQueue {
    if (!Token.isUnresolved(jobQueueName) && jobQueueName.startsWith('arn:')) {
      fail(scope, {
        prop: `fromJobQueueName('${id}').jobQueueName`,
        received: `'${jobQueueName}'`,
        allowed: 'a queue name (up to 128 letters, digits, - and _)',
        fix: `use JobQueue.fromJobQueueArn(scope, '${id}', '${jobQueueName}')`,
      });
    }
    if (!Token.isUnresolved(jobQueueName)) {
      checkBatchName(scope, `fromJobQueueName('${id}').jobQueueName`, jobQueueName);
    }
    const arn = Stack.of(scope).formatArn({ service: 'batch', resource: 'job-queue', resourceName: jobQueueName });
    return new ImportedJobQueue(scope, id, arn, options);
  }

  /** The aws-cdk-lib job queue underneath (escape hatch). */
  public readonly jobQueue: batch.JobQueue;
  /** Scheduling priority. */
  public readonly priority: number;
  /** The fair-share policy, when one was asked for. */
  public readonly schedulingPolicy?: batch.FairshareSchedulingPolicy;
  private readonly _capacities: ICapacity[] = [];
  private _platform?: CapacityPlatform;

  constructor(scope: Construct, id: string, props: JobQueueProps = {}) {
    super(scope, id);
    PipelineTag.applyTo(this);
    checkKnownProps(this, 'JobQueueProps', props, JOB_QUEUE_PROPS_KEYS);
    this.priority = props.priority ?? 10;
    if (
      !Token.isUnresolved(this.priority) &&
      (!Number.isInteger(this.priority) || this.priority < MIN_QUEUE_PRIORITY || this.priority > MAX_QUEUE_PRIORITY)
    ) {
      fail(this, {
        prop: 'priority',
        received: `${this.priority}`,
        allowed: `a whole number from ${MIN_QUEUE_PRIORITY} to ${MAX_QUEUE_PRIORITY} (higher runs first)`,
        fix: 'use e.g. 100 for urgent, 10 for standard, 1 for backfill',
      });
    }
    if (props.jobQueueName !== undefined && !Token.isUnresolved(props.jobQueueName)) {
      checkBatchName(this, 'jobQueueName', props.jobQueueName);
      claimPhysicalName(this, 'job queue', 'jobQueueName', props.jobQueueName);
    }
    this._platform = props.platform;
    this.schedulingPolicy = props.fairShare ? fairSharePolicy(this, props.fairShare) : undefined;

    this.jobQueue = new batch.JobQueue(this, 'Resource', {
      priority: this.priority,
      jobQueueName: props.jobQueueName,
      enabled: props.enabled ?? true,
      schedulingPolicy: this.schedulingPolicy,
      jobStateTimeLimitActions: this.stuckJobActions(props),
    });
    for (const c of props.capacities ?? []) {
      this.addCapacity(c);
    }
    this.node.addValidation({
      validate: () =>
        this._capacities.length > 0
          ? []
          : [
              describeProblem(this, {
                prop: 'capacities',
                received: '[] (the queue has no capacity)',
                allowed: `1 to ${MAX_COMPUTE_ENVIRONMENTS_PER_QUEUE} capacities`,
                fix: 'pass capacities, or call addCapacity() before synth; jobs submitted here would never run',
              }),
            ],
    });
  }

  /** The queue's ARN. */
  public get jobQueueArn(): string {
    return this.jobQueue.jobQueueArn;
  }

  /** The queue's name (CloudFormation's, unless `jobQueueName` was given). */
  public get jobQueueName(): string {
    return this.jobQueue.jobQueueName;
  }

  /** Capacities in fallback order. */
  public get capacities(): ICapacity[] {
    return [...this._capacities];
  }

  /** EC2 or Fargate, once known (from `platform` or the first capacity). */
  public get platform(): CapacityPlatform | undefined {
    return this._platform;
  }

  /** CPU architecture of the queue's capacities, once it has any. */
  public get architecture(): ec2.InstanceArchitecture | undefined {
    return this._capacities[0]?.architecture;
  }

  /** Whether jobs here need a share identifier when submitted. */
  public get fairShare(): boolean {
    return this.schedulingPolicy !== undefined;
  }

  /**
   * Adds a capacity after the existing ones (it is tried last). Jobs already bound to the queue are checked against
   * it at synth.
   */
  public addCapacity(capacity: ICapacity): void {
    checkSameEnvironment(this, 'capacities', capacity);
    if (this._capacities.includes(capacity)) {
      fail(this, {
        prop: 'capacities',
        received: `${capacity.node.path} twice`,
        allowed: 'each capacity once, in fallback order',
        fix: 'remove the duplicate',
      });
    }
    if (this._capacities.length >= MAX_COMPUTE_ENVIRONMENTS_PER_QUEUE) {
      fail(this, {
        prop: 'capacities',
        received: `${this._capacities.length + 1} capacities`,
        allowed: `at most ${MAX_COMPUTE_ENVIRONMENTS_PER_QUEUE} per queue (AWS Batch quota)`,
        fix: 'use fewer, larger capacities (more instance types each), or a second queue',
      });
    }
    if (this._platform !== undefined && capacity.platform !== this._platform) {
      fail(this, {
        prop: 'capacities',
        received: `${capacity.node.path} (${capacity.platform}) in a ${this._platform} queue`,
        allowed: 'all EC2 or all Fargate capacities in one queue',
        fix: `put ${capacity.platform} capacity in its own queue`,
      });
    }
    const arch = this.architecture;
    if (arch !== undefined && capacity.architecture !== arch) {
      fail(this, {
        prop: 'capacities',
        received: `${capacity.node.path} (${capacity.architecture}) in a queue of ${arch} capacity`,
        allowed: 'one CPU architecture per queue',
        fix: `put ${capacity.architecture} capacity in its own queue, with job definitions built for it`,
      });
    }
    this._platform = capacity.platform;
    this._capacities.push(capacity);
    this.jobQueue.addComputeEnvironment(capacity.computeEnvironment, this._capacities.length);
  }

  private expectPurchase(prop: string, capacity: ICapacity, expected: PurchaseOption): void {
    if (capacity.purchaseOption !== expected) {
      fail(this, {
        prop,
        received: `${capacity.node.path} (${capacity.purchaseOption})`,
        allowed: `${expected} capacity in this position`,
        fix: 'swap the two capacities, or build the queue with new JobQueue({ capacities }) for another order',
      });
    }
  }

  private stuckJobActions(props: JobQueueProps): batch.JobStateTimeLimitAction[] {
    const unrunnable = this.checkStateTime(
      'cancelUnrunnableAfter',
      props.cancelUnrunnableAfter ?? Duration.minutes(30),
    );
    const actions: batch.JobStateTimeLimitAction[] = [
      batch.JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT,
      batch.JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE,
    ].map((reason) => ({
      reason,
      maxTime: unrunnable,
      action: batch.JobStateTimeLimitActionsAction.CANCEL,
      state: batch.JobStateTimeLimitActionsState.RUNNABLE,
    }));
    if (props.cancelOnInsufficientCapacityAfter) {
      actions.push({
        reason: batch.JobStateTimeLimitActionsReason.INSUFFICIENT_INSTANCE_CAPACITY,
        maxTime: this.checkStateTime('cancelOnInsufficientCapacityAfter', props.cancelOnInsufficientCapacityAfter),
        action: batch.JobStateTimeLimitActionsAction.CANCEL,
        state: batch.JobStateTimeLimitActionsState.RUNNABLE,
      });
    }
    return actions;
  }

  private checkStateTime(prop: string, d: Duration): Duration {
    if (d.isUnresolved()) {
      return d;
    }
    const s = d.toSeconds();
    if (s < MIN_STATE_TIME_LIMIT_SECONDS || s > MAX_STATE_TIME_LIMIT_SECONDS) {
      fail(this, {
        prop,
        received: `${s} seconds`,
        allowed: `${MIN_STATE_TIME_LIMIT_SECONDS}..${MAX_STATE_TIME_LIMIT_SECONDS} seconds (10 minutes to 24 hours)`,
        fix: 'give e.g. Duration.minutes(30)',
      });
    }
    return d;
  }
}
