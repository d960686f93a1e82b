import { JOB_METRICS_NAMESPACE, JobMetric } from '../../lib';
import { matchesFilter } from './filter-pattern';
import { monitored } from './monitored';
import * as samples from './sample-events';

/**
 * The events of one job reclaimed by Spot on its first attempt and retried: AWS's example event shape, in the order
 * Batch's job states go (RUNNABLE, STARTING, RUNNING; a retry moves the job back to RUNNABLE:
 * https://docs.aws.amazon.com/batch/latest/userguide/job_retries.html). The attempts' status reasons are those of a
 * captured describe-jobs of a job reclaimed once (awslabs/ec2-spot-workshops,
 * content/rendering-with-batch/monitor/optional_fis.md). The job-level statusReason after the reclaim is not
 * documented for the later events: here it stays the reclaim's, the case a filter on it counts again on each event.
 */
function retriedJobEvents(last: 'SUCCEEDED' | 'FAILED', secondReason: string) {
  const reclaimed = {
    startedAt: 1641944300058,
    stoppedAt: 1641944400058,
    statusReason: 'Host EC2 (instance i-04b17daec78ef4a0b) terminated.',
  };
  const second = { startedAt: 1641944500058, stoppedAt: 1641944600058, statusReason: secondReason };
  const at = (status: string, attempts: unknown[], statusReason?: string) => ({
    ...samples.awsExampleJobEvent,
    detail: { ...samples.awsExampleJobEvent.detail, status, attempts, ...(statusReason ? { statusReason } : {}) },
  });
  return [
    at('RUNNABLE', []),
    at('STARTING', []),
    at('RUNNING', []),
    at('RUNNABLE', [reclaimed], reclaimed.statusReason),
    at('STARTING', [reclaimed], reclaimed.statusReason),
    at('RUNNING', [reclaimed], reclaimed.statusReason),
    at(last, [reclaimed, second], secondReason),
  ];
}

describe('Spot interruptions are counted per attempt, not per event', () => {
  const m = monitored();
  const filters = Object.values(m.template.findResources('AWS::Logs::MetricFilter'))
    .map((f) => f.Properties)
    .filter((p) => p.MetricTransformations[0].MetricName === JobMetric.SPOT_INTERRUPTIONS);
  /** What the SpotInterruptions metric adds up to over `events`: each matching filter puts 1 for an event. */
  const count = (events: unknown[]) =>
    events.reduce<number>((n, e) => n + filters.filter((f) => matchesFilter(f.FilterPattern, e)).length, 0);

  test('one filter per attempt a job can have (at most 10), each putting 1 per queue', () => {
    // Retry strategy attempts 1..10: https://docs.aws.amazon.com/batch/latest/APIReference/API_RetryStrategy.html
    expect(filters).toHaveLength(10);
    for (const f of filters) {
      expect(f.MetricTransformations).toEqual([
        {
          MetricNamespace: JOB_METRICS_NAMESPACE,
          MetricName: 'SpotInterruptions',
          MetricValue: '1',
          Dimensions: [{ Key: 'JobQueue', Value: '$.detail.jobQueue' }],
        },
      ]);
    }
  });

  test('a job reclaimed once, then succeeding, counts 1 (a filter on the status reason of every event counts 3)', () => {
    const events = retriedJobEvents('SUCCEEDED', 'Essential container in task exited');
    expect(count(events)).toBe(1);
    expect(events.filter((e) => matchesFilter('{ $.detail.statusReason = "Host EC2*" }', e))).toHaveLength(3);
  });

  test('a job reclaimed on both attempts counts 2, once its last event says FAILED', () => {
    const events = retriedJobEvents('FAILED', 'Host EC2 (instance i-0f8e1c2d3b4a59687) terminated.');
    expect(count(events)).toBe(2);
    expect(count(events.slice(0, -1))).toBe(0);
  });

  test('a Fargate Spot reclaim counts too; other failures do not', () => {
    // ECS's stopped reason for a reclaimed Fargate Spot task (FARGATE_SPOT_REASON_PATTERN in lib/private/limits.ts).
    expect(count(retriedJobEvents('FAILED', 'Your Spot Task was interrupted.').slice(-1))).toBe(2);
    expect(count([samples.outOfMemory, samples.applicationError, samples.awsExampleJobFailed])).toBe(0);
    // The sample of three reclaimed attempts (every attempt's status reason a reclaim) counts 3.
    expect(count([samples.spotInterrupted])).toBe(3);
  });
});
