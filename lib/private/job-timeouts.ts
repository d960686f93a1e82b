import { Lazy } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { DEFAULT_UPDATE_TIMEOUT_MINUTES, MAX_UPDATE_TIMEOUT_MINUTES } from './limits';

/** A queue as the registry sees it: its capacities, read at synth (capacities can be added after jobs are bound). */
interface QueueView {
  readonly capacities: readonly IConstruct[];
}

/** Per app: each queue and the longest timeout (seconds) of the jobs bound to it. */
const registry = new WeakMap<IConstruct, Map<QueueView, number>>();

/** Records that a job with `timeoutSeconds` may run on `queue` (called by the jobs layer when a job is bound). */
export function noteJobTimeout(queue: IConstruct & QueueView, timeoutSeconds: number): void {
  const root = queue.node.root;
  const queues = registry.get(root) ?? new Map<QueueView, number>();
  registry.set(root, queues);
  queues.set(queue, Math.max(queues.get(queue) ?? 0, timeoutSeconds));
}

/**
 * The longest timeout (seconds) of the jobs that may run on `capacity`, through any queue, or undefined when no job
 * is bound yet. Read at synth by the compute layer, which does not know the queues above it.
 */
export function longestJobSeconds(capacity: IConstruct): number | undefined {
  let longest: number | undefined;
  for (const [queue, seconds] of registry.get(capacity.node.root) ?? []) {
    if (queue.capacities.includes(capacity)) {
      longest = Math.max(longest ?? 0, seconds);
    }
  }
  return longest;
}

/**
 * `UpdatePolicy.JobExecutionTimeoutMinutes` of a compute environment: how long an infrastructure update (a changed
 * launch template, instance types, subnets) lets running jobs finish before their instances go. Batch's default, 30
 * minutes, ends a 6-hour job of a running workflow mid-way; this waits as long as the longest job bound to the
 * capacity may run (at least Batch's 30 minutes, at most its 7,200).
 * @see https://docs.aws.amazon.com/batch/latest/userguide/updating-compute-environments.html
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_UpdatePolicy.html
 */
export function updateTimeoutMinutes(capacity: IConstruct): number {
  return Lazy.number({
    produce: () =>
      Math.min(
        MAX_UPDATE_TIMEOUT_MINUTES,
        Math.max(DEFAULT_UPDATE_TIMEOUT_MINUTES, Math.ceil((longestJobSeconds(capacity) ?? 0) / 60)),
      ),
  });
}
