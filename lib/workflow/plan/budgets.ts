import { Construct } from 'constructs';
import { FanOut, WorkflowStep } from '../step';
import { fail } from '../../private/errors';
import { levelsOf } from '../../private/graph';
import { MAX_STATE_PAYLOAD_BYTES } from '../../private/limits';

// What a fan-out may hold: items and outcomes in the execution state (256 KiB, MAX_STATE_PAYLOAD_BYTES), and events
// in an execution's history (25,000, MAX_HISTORY_EVENTS).
// https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html

/** Bytes one item takes in the execution input when the items are passed in the input (not a manifest). */
export const ITEM_BYTES = 150;
/**
 * Bytes one item's outcome may take in the execution state when outcomes are kept there, sized for every item
 * failing with the longest record, since a run must be able to report that (a state over 256 KiB raises
 * States.DataLimitExceeded, which no Catch handles): keys ~190, the reason ~400 (its text and a Batch reason or log
 * stream), the container reason and Batch's status reason ~255 each, the log stream ~170, the queue ARN ~180, the
 * job id 36, an id of up to 64 characters, step, error, kind and numbers ~150.
 */
export const OUTCOME_BYTES = 1800;
/**
 * The most items a run can pass in its input with their outcomes kept in the state: as many as fit the 256 KiB state at
 * ITEM_BYTES + OUTCOME_BYTES each (134).
 */
export const MAX_ITEMS_IN_STATE = Math.floor(MAX_STATE_PAYLOAD_BYTES / (ITEM_BYTES + OUTCOME_BYTES));

/** Events one `.sync` Batch task adds to a history: entered, scheduled, started, submitted, succeeded, exited. */
const EVENTS_PER_TASK = 6;
/**
 * Events of the step's entry: its plan state, and (a step that escalates from Spot) the check of whether an earlier
 * step lost its Spot capacity and the router to its submit state (entered, exited each).
 */
const EVENTS_PER_PLAN = 6;
/** Events of an escalation (failure caught, cause parsed and merged, choice, resubmission) allowed per task. */
const EVENTS_PER_ESCALATION = 14;
/**
 * A cached step's own states on a miss: its key, the cached? choice and the check that its job's id is known (2
 * each), the lookup and the record (S3 tasks of 5 events), and the mark that the item ran (2). A hit has fewer: key,
 * choice, lookup and the hit's count (a DynamoDB task of 5 events), 14.
 */
const EVENTS_PER_CACHED_STEP = 18;

/**
 * The most items a run of the fan-out can take when its outcomes are kept in the state (items in the input, no
 * results in S3), checked at the start of each run; undefined when its outcomes go to S3.
 */
export function maxItemsInState(f: FanOut): number | undefined {
  return f.results ? undefined : MAX_ITEMS_IN_STATE;
}

/**
 * Items passed in the input and outcomes kept in the state both count against the 256 KiB state limit: the fan-out's
 * `expectedItems` must fit.
 */
export function checkStateBudget(scope: Construct, f: FanOut): void {
  const perItem = (f.manifest ? 0 : ITEM_BYTES) + (f.results ? 0 : OUTCOME_BYTES);
  if (perItem > 0 && f.expectedItems * perItem > MAX_STATE_PAYLOAD_BYTES) {
    const kept = [f.manifest ? undefined : 'items in the input', f.results ? undefined : 'outcomes in the state']
      .filter(Boolean)
      .join(' and ');
    fail(scope, {
      prop: `fanOut '${f.name}'.expectedItems`,
      received: `${f.expectedItems} (${kept}, up to ~${perItem} bytes each, would exceed the ${MAX_STATE_PAYLOAD_BYTES / 1024} KiB state limit)`,
      allowed: `at most ${Math.floor(MAX_STATE_PAYLOAD_BYTES / perItem)} items per execution this way`,
      fix: [
        f.manifest ? undefined : 'read the items from a manifest in S3 (manifest)',
        f.results ? undefined : 'write outcomes to S3 (results)',
      ]
        .filter(Boolean)
        .join(' and ')
        .concat(', or split the items into several executions'),
    });
  }
}

/**
 * Estimated history events one item of the fan-out adds: its check, `.sync` tasks and the states around them, and
 * an allowance of one escalation per step. Inline fan-outs add this per item to the execution's single
 * 25,000-event history; Distributed ones to each child execution's own.
 * @param steps the fan-out's steps
 */
export function estimatedEventsPerItem(fanOut: FanOut, steps: readonly WorkflowStep[], cachedSteps = 0): number {
  const levels = levelsOf([...steps], (s) => s.dependencies.filter((d) => d.forEach === fanOut));
  const parallelLevels = levels.filter((l) => l.length > 1).length;
  // Iteration start/end (2), item check (2), item wrapper parallel (4), its outcome pass (2), per level-parallel 4;
  // the duplicate-id check: a manifest's line claims its id and lists the claims (two S3 tasks of 5 events: entered,
  // scheduled, started, succeeded, exited) and chooses (2), a line of the input chooses, computes and chooses (6).
  const idCheck = fanOut.manifest ? 12 : 6;
  return (
    10 +
    idCheck +
    parallelLevels * 4 +
    steps.length * (EVENTS_PER_PLAN + EVENTS_PER_TASK + EVENTS_PER_ESCALATION) +
    cachedSteps * EVENTS_PER_CACHED_STEP
  );
}
