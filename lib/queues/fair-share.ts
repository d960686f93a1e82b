import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import { IConstruct } from 'constructs';
import type { IJobQueue } from './job-queue-base';
import { fail } from '../private/errors';
import {
  MAX_COMPUTE_RESERVATION,
  MAX_SHARE_DECAY_SECONDS,
  MAX_SHARE_IDENTIFIER_LENGTH,
  MAX_WEIGHT_FACTOR,
  MIN_WEIGHT_FACTOR,
  MAX_ACTIVE_SHARE_IDENTIFIERS,
} from '../private/limits';

/*
 * Fair share's rules that reach past one prop: the policy's ranges, the one-way switch from first-in-first-out, and
 * the number of share identifiers a queue can hold at once. Internal to lib/queues and lib/workflow (not re-exported).
 */

/** One share of a fair-share queue. */
export interface FairShare {
  /** The share identifier jobs are submitted with (up to 255 characters; may end in `*` to match a prefix). */
  readonly shareIdentifier: string;
  /** Relative weight: a lower weight gets more of the queue (0.0001..999.9999). */
  readonly weightFactor: number;
}

/**
 * Fair-share scheduling of a queue. At most 500 share identifiers can be active in the queue at once (a share is
 * active while it has jobs queued or running, and for `shareDecay` after): once 500 are, every job submitted with a
 * new one fails.
 */
export interface FairShareOptions {
  /** The shares and their weights. */
  readonly shares: FairShare[];
  /**
   * Percentage (0..99) of the maximum vCPUs kept free for share identifiers that have no running jobs yet.
   * @default 0
   */
  readonly computeReservation?: number;
  /**
   * Over how long past usage counts against a share (0..7 days). A share stays active (counting towards the 500) for
   * this long after its last job.
   * @default Duration.seconds(0) - only current usage counts
   */
  readonly shareDecay?: Duration;
}

/** The id of the warning about share identifiers read from item data (acknowledge it with this id). */
export const SHARE_IDENTIFIERS_FROM_DATA_WARNING = 'cdk-batch-pipelines:share-identifiers-from-data';

/** The id of the note that fair share is chosen when a queue is created. */
export const FAIR_SHARE_AT_CREATION_INFO = 'cdk-batch-pipelines:fair-share-at-creation';

/**
 * The fair-share policy of `queue`, its options checked. Also notes (info, not a warning: nothing in this app is
 * wrong) that fair share is decided when the queue is created: Batch neither adds a policy to a first-in-first-out
 * queue nor removes one (CreateJobQueue and UpdateJobQueue `schedulingPolicyArn`), and CloudFormation updates
 * `SchedulingPolicyArn` in place (it is not among AWS::Batch::JobQueue's create-only properties), so it does not
 * replace the queue: the update is refused and the stack rolls back.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_CreateJobQueue.html
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_UpdateJobQueue.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-batch-jobqueue.html
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_DeleteJobQueue.html (deleting a queue ends its jobs)
 */
export function fairSharePolicy(queue: IConstruct, options: FairShareOptions): batch.FairshareSchedulingPolicy {
  if (options.shares.length === 0) {
    fail(queue, {
      prop: 'fairShare.shares',
      received: '[]',
      allowed: 'at least one share',
      fix: 'list the share identifiers jobs will be submitted with, or remove fairShare',
    });
  }
  for (const s of options.shares) {
    const id = s.shareIdentifier;
    if (id.length === 0 || id.length > MAX_SHARE_IDENTIFIER_LENGTH || id.slice(0, -1).includes('*')) {
      fail(queue, {
        prop: 'fairShare.shares.shareIdentifier',
        received: `'${id}'`,
        allowed: `1..${MAX_SHARE_IDENTIFIER_LENGTH} characters, '*' only at the end`,
        fix: 'shorten the identifier or move the wildcard to the end',
      });
    }
    if (s.weightFactor < MIN_WEIGHT_FACTOR || s.weightFactor > MAX_WEIGHT_FACTOR) {
      fail(queue, {
        prop: `fairShare.shares['${id}'].weightFactor`,
        received: `${s.weightFactor}`,
        allowed: `${MIN_WEIGHT_FACTOR}..${MAX_WEIGHT_FACTOR} (lower gets more)`,
        fix: 'use e.g. 1 for a normal share, 0.5 for a share that gets twice as much',
      });
    }
  }
  const ids = options.shares.map((s) => s.shareIdentifier);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) {
    fail(queue, {
      prop: 'fairShare.shares',
      received: `'${dup}' twice`,
      allowed: 'each share identifier once',
      fix: 'remove the duplicate share',
    });
  }
  const reservation = options.computeReservation ?? 0;
  if (!Number.isInteger(reservation) || reservation < 0 || reservation > MAX_COMPUTE_RESERVATION) {
    fail(queue, {
      prop: 'fairShare.computeReservation',
      received: `${reservation}`,
      allowed: `a whole percentage from 0 to ${MAX_COMPUTE_RESERVATION}`,
      fix: 'use e.g. 10 to keep 10% of vCPUs for shares that have no jobs running yet',
    });
  }
  const decay = options.shareDecay?.toSeconds() ?? 0;
  if (decay < 0 || decay > MAX_SHARE_DECAY_SECONDS) {
    fail(queue, {
      prop: 'fairShare.shareDecay',
      received: `${decay} seconds`,
      allowed: `0..${MAX_SHARE_DECAY_SECONDS} seconds (up to 7 days)`,
      fix: 'give e.g. Duration.hours(1)',
    });
  }
  Annotations.of(queue).addInfoV2(
    FAIR_SHARE_AT_CREATION_INFO,
    `${queue.node.path}: fairShare is decided when the queue is created. Batch cannot add a fair-share policy to a ` +
      'deployed first-in-first-out queue, nor remove one, and CloudFormation updates the queue in place rather than ' +
      'replacing it: adding or removing fairShare on a deployed queue fails the deploy, which rolls back. To switch, ' +
      'add a second JobQueue with a new id, submit to it, and remove the old queue once it is empty (deleting a ' +
      'queue ends the jobs still in it).',
  );
  return new batch.FairshareSchedulingPolicy(queue, 'FairShare', {
    shares: options.shares.map((s) => ({ shareIdentifier: s.shareIdentifier, weightFactor: s.weightFactor })),
    computeReservation: reservation,
    shareDecay: options.shareDecay ?? Duration.seconds(0),
  });
}

/**
 * Warns that a share identifier read from each item's data (`'$.item.lab'`) can exceed the active share identifiers
 * a fair-share queue allows: once 500 are active, every SubmitJob with a new one fails, for the rest of the run. The
 * data is not known at synth, so this warns (acknowledgeable) rather than refuses.
 * @param scope what the warning is attached to (the workflow)
 * @param prop the prop that holds the path, as the user wrote it (`steps['tiles'].shareIdentifier`)
 * @param path the JSONPath the share identifier is read from
 * @param queues the queues the step submits to
 */
export function warnShareIdentifiersFromData(scope: IConstruct, prop: string, path: string, queues: IJobQueue[]): void {
  const fair = queues.filter((q) => q.fairShare);
  if (fair.length === 0 || Token.isUnresolved(path)) {
    return;
  }
  Annotations.of(scope).addWarningV2(
    SHARE_IDENTIFIERS_FROM_DATA_WARNING,
    `${scope.node.path}: ${prop} '${path}' takes each job's share identifier from the item data. A fair-share queue ` +
      `(${fair.map((q) => q.node.path).join(', ')}) accepts at most ${MAX_ACTIVE_SHARE_IDENTIFIERS} active share ` +
      'identifiers (a share stays active while it has queued or running jobs, and for the share decay after); ' +
      'once that many are active, every job submitted with a new one fails. Keep the distinct values of ' +
      `${path} under ${MAX_ACTIVE_SHARE_IDENTIFIERS} (e.g. group labs in the manifest), or use a fixed ` +
      `shareIdentifier; acknowledge this warning (${SHARE_IDENTIFIERS_FROM_DATA_WARNING}) when the data holds few ` +
      'values.',
  );
}
