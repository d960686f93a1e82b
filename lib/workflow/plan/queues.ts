import { Construct } from 'constructs';
import { checkPath } from './paths';
import { WorkflowStep } from '../step';
import { PurchaseOption } from '../../compute/capacity';
import { warnShareIdentifiersFromData } from '../../queues/fair-share';
import { IJobQueue } from '../../queues/job-queue-base';
import { fail } from '../../private/errors';
import {
  LONG_SPOT_JOB_SECONDS,
  MAX_SCHEDULING_PRIORITY,
  MAX_SHARE_IDENTIFIER_LENGTH,
  MIN_SCHEDULING_PRIORITY,
} from '../../private/limits';

/** The queue a step submits to: the one it names, else its job's first; either way one the job is bound to. */
export function stepQueue(scope: Construct, step: WorkflowStep): IJobQueue {
  const job = step._options.job;
  const queue = step._options.queue ?? job.queues[0];
  if (!job.queues.includes(queue)) {
    fail(scope, {
      prop: `steps['${step.name}'].queue`,
      received: `${queue.node.path}, which job ${job.node.path} is not bound to`,
      allowed: `one of the job's queues (${job.queues.map((q) => q.node.path).join(', ')})`,
      fix: `add the queue to the job's queues so it is fit-checked, or use one of them`,
    });
  }
  return queue;
}

/**
 * The On-Demand queue a Spot-exhausted job of the step reruns on. On by default whenever the step's queue has Spot
 * capacity and the job has an On-Demand queue, however short the job: a 1-hour qc job loses its sample to Spot as
 * surely as a 6-hour one. A long Spot job with nowhere to escalate is an error unless escalation is turned off.
 */
export function onDemandQueueFor(scope: Construct, step: WorkflowStep, queue: IJobQueue): IJobQueue | undefined {
  const job = step._options.job;
  const hasSpot = queue.capacities.some((c) => c.purchaseOption === PurchaseOption.SPOT);
  if (step._options.spotEscalation === false || (!hasSpot && step._options.spotEscalation === undefined)) {
    return undefined;
  }
  const onDemandQueue =
    step._options.onDemandQueue ??
    job.queues.find(
      (q) => q.capacities.length > 0 && q.capacities.every((c) => c.purchaseOption === PurchaseOption.ON_DEMAND),
    );
  if (!onDemandQueue) {
    if (step._options.spotEscalation === undefined && job.timeout.toSeconds() <= LONG_SPOT_JOB_SECONDS) {
      // A short Spot job without an On-Demand queue: its retries are all it has, which the job's owner chose.
      return undefined;
    }
    fail(scope, {
      prop: `steps['${step.name}'].spotEscalation`,
      received: `on (job ${job.node.path} may run ${job.timeout.toHumanString()} on Spot) with no On-Demand queue`,
      allowed: 'Spot escalation with a queue of On-Demand capacity among the job’s queues',
      fix: 'bind the job to an On-Demand queue too (queues: [standard, onDemandOnly]), set onDemandQueue, or set spotEscalation: false',
    });
  }
  if (!job.queues.includes(onDemandQueue)) {
    fail(scope, {
      prop: `steps['${step.name}'].onDemandQueue`,
      received: `${onDemandQueue.node.path}, which job ${job.node.path} is not bound to`,
      allowed: "one of the job's queues, so the job is fit-checked against it",
      fix: 'add the queue to the job’s queues',
    });
  }
  const spotThere = onDemandQueue.capacities.find((c) => c.purchaseOption === PurchaseOption.SPOT);
  if (spotThere) {
    fail(scope, {
      prop: `steps['${step.name}'].onDemandQueue`,
      received: `${onDemandQueue.node.path}, which has Spot capacity ${spotThere.node.path}`,
      allowed: 'a queue of On-Demand capacity only',
      fix: 'escalate to a queue whose capacities are all On-Demand',
    });
  }
  return onDemandQueue === queue ? undefined : onDemandQueue;
}

/**
 * SubmitJob requires a share identifier on a fair-share queue and refuses one elsewhere.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html
 */
export function checkShareIdentifier(scope: Construct, step: WorkflowStep, queues: IJobQueue[]): void {
  const share = step._options.shareIdentifier;
  const fairShare = queues.filter((q) => q.fairShare);
  const prop = `steps['${step.name}'].shareIdentifier`;
  if (share === undefined && fairShare.length > 0) {
    fail(scope, {
      prop,
      received: `none, for fair-share queue ${fairShare[0].node.path}`,
      allowed:
        'a share identifier on every step that submits to a fair-share queue (Batch refuses the job without one)',
      fix: "set shareIdentifier, e.g. 'default' or '$.item.lab' to read it from each item",
    });
  }
  if (share !== undefined && fairShare.length !== queues.length) {
    const plain = queues.find((q) => !q.fairShare)!;
    fail(scope, {
      prop,
      received: `'${share}', for ${plain.node.path}, which has no fair-share policy`,
      allowed: 'a share identifier only when every queue the step submits to has a fair-share policy',
      fix: 'remove shareIdentifier, or give the queue a fairShare policy',
    });
  }
  const priority = step._options.schedulingPriority;
  if (priority !== undefined && share === undefined) {
    fail(scope, {
      prop: `steps['${step.name}'].schedulingPriority`,
      received: `${priority}, without a share identifier`,
      allowed: 'a scheduling priority only on a fair-share step (with shareIdentifier)',
      fix: 'set shareIdentifier too, or remove schedulingPriority',
    });
  }
  if (
    priority !== undefined &&
    (!Number.isInteger(priority) || priority < MIN_SCHEDULING_PRIORITY || priority > MAX_SCHEDULING_PRIORITY)
  ) {
    fail(scope, {
      prop: `steps['${step.name}'].schedulingPriority`,
      received: `${priority}`,
      allowed: `a whole number from ${MIN_SCHEDULING_PRIORITY} to ${MAX_SCHEDULING_PRIORITY} (higher runs first)`,
      fix: 'use e.g. 0, or 100 for a step that should go first',
    });
  }
  if (share !== undefined && share.startsWith('$')) {
    checkPath(scope, prop, share);
    warnShareIdentifiersFromData(scope, prop, share, queues);
  } else if (
    share !== undefined &&
    (share.length === 0 || share.length > MAX_SHARE_IDENTIFIER_LENGTH || !/^[A-Za-z0-9_]+$/.test(share))
  ) {
    fail(scope, {
      prop,
      received: `'${share}'`,
      allowed: `1..${MAX_SHARE_IDENTIFIER_LENGTH} letters, digits and underscores, or a JSONPath starting with $`,
      fix: `use e.g. '${share.replace(/[^A-Za-z0-9_]/g, '_').slice(0, MAX_SHARE_IDENTIFIER_LENGTH) || 'default'}'`,
    });
  }
}
