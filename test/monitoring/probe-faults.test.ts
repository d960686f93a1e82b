import { ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { Match } from 'aws-cdk-lib/assertions';
import { aslOf, indexOfMachine } from '../support/asl';
import { monitored, ref } from './monitored';

/**
 * The queue probe's own faults, run through its synthesized state machine (aws-local-stepfunctions) and read by the
 * synthesized alarms: a ListJobs that never answers, and one that fails every attempt. What a look ends as is what
 * CloudWatch counts: an execution that exceeds its TimeoutSeconds is TIMED_OUT (ExecutionsTimedOut), one that fails
 * is FAILED (ExecutionsFailed), https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html; a
 * look that publishes nothing leaves the queue's gauges missing.
 */
const m = monitored();
const { template, stack } = m;
const probe = m.monitoring.probe;
const asl = aslOf(template, indexOfMachine(template, ref(stack, probe.stateMachine))) as {
  TimeoutSeconds: number;
  States: Record<string, unknown>;
};
// aslOf's placeholder for a queue's ARN (test/support/asl.ts), as the schedule passes the queues in.
const arnOf = (q: { jobQueue: { node: { defaultChild?: unknown } } }) =>
  `arn:aws:batch:us-east-1:123456789012:job-queue/${ref(stack, q.jobQueue)}`;
const QUEUES = [m.standard, m.urgent].map(arnOf);
/** Template and definition JSON, read field by field below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON whose shape the assertions check
type Json = Record<string, any>;

const LISTINGS = ['List waiting jobs', 'List running jobs', 'List pending jobs'];

/** A state of the definition by name, at the top or inside a Map's item processor. */
function stateOf(name: string, states: Json = asl.States): Json | undefined {
  if (states[name]) {
    return states[name];
  }
  for (const state of Object.values(states)) {
    const inner = state.ItemProcessor?.States ?? state.Iterator?.States;
    const found = inner && stateOf(name, inner);
    if (found) {
      return found;
    }
  }
  return undefined;
}

type Status = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
type ListJobs = (input: { JobQueue: string; JobStatus: string }) => Promise<unknown>;

/**
 * One look of the probe over both queues, ListJobs answered by `listJobs`: how it ended, and the gauges it published
 * (queue ARN → values). Retries run without their pauses; with `fakeTime` (jest's fake timers on), the clock is moved
 * past the execution's TimeoutSeconds, so a hang is not waited for either.
 */
async function look(
  listJobs: ListJobs,
  fakeTime = false,
): Promise<{ status: Status; gauges: Map<string, Record<string, number>> }> {
  const gauges = new Map<string, Record<string, number>>();
  const publish = async (input: {
    MetricData: Array<{ MetricName: string; Value: number; Dimensions: Array<{ Value: string }> }>;
  }) => {
    input.MetricData.forEach((d) =>
      gauges.set(d.Dimensions[0].Value, { ...gauges.get(d.Dimensions[0].Value), [d.MetricName]: d.Value }),
    );
    return {};
  };
  const execution = new StateMachine(asl as never, { validationOptions: { checkArn: false } }).run(
    { queues: QUEUES } as never,
    {
      overrides: {
        taskResourceLocalHandlers: {
          ...Object.fromEntries(LISTINGS.map((s) => [s, listJobs])),
          Publish: publish,
        } as never,
        retryIntervalOverrides: Object.fromEntries([...LISTINGS, 'Publish'].map((s) => [s, 0])),
      },
    },
  );
  const settled = execution.result.then(
    () => 'SUCCEEDED' as const,
    (e: unknown) => {
      if (e instanceof ExecutionTimeoutError) {
        return 'TIMED_OUT' as const;
      }
      if (e instanceof ExecutionError) {
        return 'FAILED' as const;
      }
      throw e;
    },
  );
  if (fakeTime) {
    // Past the state machine's TimeoutSeconds, on jest's fake clock.
    await jest.advanceTimersByTimeAsync(asl.TimeoutSeconds * 1000);
  }
  return { status: await settled, gauges };
}

/** A template alarm's properties, found by the start of its description. */
function alarm(description: string): Json {
  const found = Object.values(
    template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmDescription: Match.stringLikeRegexp(`^${description}`) },
    }),
  );
  expect(found).toHaveLength(1);
  return found[0].Properties;
}

/**
 * The state QueueProbeFailed reaches over one 15-minute period (three looks) whose executions ended as `statuses`:
 * its metric math evaluated as CloudWatch does (each id the Sum of its metric, FILL(id, 0) for an id without data).
 */
function queueProbeFailedState(statuses: Status[]): 'ALARM' | 'OK' {
  const a = alarm('The queue probe failed, timed out or was not started');
  // What each execution status adds to, per the Step Functions metrics page.
  const counted: Record<string, string> = { FAILED: 'ExecutionsFailed', TIMED_OUT: 'ExecutionsTimedOut' };
  const sums: Record<string, number> = {};
  for (const q of a.Metrics.filter((x: Json) => x.MetricStat)) {
    const n = statuses.filter((s) => counted[s] === q.MetricStat.Metric.MetricName).length;
    if (n > 0) {
      sums[q.Id] = n;
    }
  }
  const expression: string = a.Metrics.find((x: Json) => x.Expression).Expression;
  const terms = expression.split('+').map((t) => /^FILL\((\w+), 0\)$/.exec(t.trim()));
  expect(terms.every(Boolean)).toBe(true);
  const value = terms.reduce((total, t) => total + (sums[t![1]] ?? 0), 0);
  expect(a.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
  return value >= a.Threshold ? 'ALARM' : 'OK';
}

/**
 * The state a queue's ProbeSilent alarm reaches over its period: its metric is the sample count of the queue's
 * JobsWaiting gauge, so no gauge published means no data, which it treats as breaching
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
 */
function probeSilentState(label: 'Standard' | 'Urgent', looks: Array<Map<string, Record<string, number>>>) {
  const a = alarm(`The queue probe published nothing for .*${label}`);
  const queue = QUEUES[label === 'Standard' ? 0 : 1];
  expect(a.Dimensions[0].Value).toEqual({
    'Fn::GetAtt': [queue.split('/').pop(), 'JobQueueArn'],
  });
  const samples = looks.filter((g) => g.get(queue)?.[a.MetricName] !== undefined).length;
  if (samples === 0) {
    return a.TreatMissingData === 'breaching' ? 'ALARM' : 'OK';
  }
  expect(a.ComparisonOperator).toBe('LessThanThreshold');
  return samples < a.Threshold ? 'ALARM' : 'OK';
}

const idle: ListJobs = async () => ({ JobSummaryList: [] });

describe('a probe that cannot look is seen by its alarms, not taken for a quiet queue', () => {
  afterEach(() => jest.useRealTimers());

  test('ListJobs never answers: each look times out (TIMED_OUT), publishes nothing, and both alarms fire', async () => {
    // An AWS SDK task without its own TimeoutSeconds waits for the answer as long as the execution lets it
    // (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-stuck-execution.html); the probe's execution has one.
    expect(asl.TimeoutSeconds).toBe(120);
    LISTINGS.forEach((s) => expect(stateOf(s)).toMatchObject({ Type: 'Task' }));
    LISTINGS.forEach((s) => expect(stateOf(s)).not.toHaveProperty('TimeoutSeconds'));
    jest.useFakeTimers();
    const hang: ListJobs = () => new Promise(() => undefined);
    const looks = [await look(hang, true), await look(hang, true), await look(hang, true)];
    expect(looks.map((l) => l.status)).toEqual(['TIMED_OUT', 'TIMED_OUT', 'TIMED_OUT']);
    expect(looks.map((l) => l.gauges.size)).toEqual([0, 0, 0]);
    expect(queueProbeFailedState(looks.map((l) => l.status))).toBe('ALARM');
    const gauges = looks.map((l) => l.gauges);
    expect([probeSilentState('Standard', gauges), probeSilentState('Urgent', gauges)]).toEqual(['ALARM', 'ALARM']);
  });

  test('ListJobs fails every attempt (ServerException): each look fails after its retries and both alarms fire', async () => {
    // ListJobs' errors are ClientException (400) and ServerException (500, "a server issue")
    // (https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html#API_ListJobs_Errors); an AWS SDK task
    // raises it as `<service>.<exception>`
    // (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html#use-awssdk-integ).
    const calls: string[] = [];
    const failing: ListJobs = async (input) => {
      calls.push(`${input.JobQueue.split('/').pop()} ${input.JobStatus}`);
      throw Object.assign(new Error('Internal server error'), { name: 'Batch.ServerException' });
    };
    const looks = [await look(failing), await look(failing), await look(failing)];
    expect(looks.map((l) => l.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(looks.map((l) => l.gauges.size)).toEqual([0, 0, 0]);
    // Each queue's first listing is tried 1 + 3 times (the state's Retry) in each look, and nothing after it runs.
    const retry = stateOf('List waiting jobs')!.Retry[0];
    expect(calls).toHaveLength(3 * QUEUES.length * (1 + retry.MaxAttempts));
    expect(new Set(calls)).toEqual(new Set(QUEUES.map((q) => `${q.split('/').pop()} RUNNABLE`)));
    expect(queueProbeFailedState(looks.map((l) => l.status))).toBe('ALARM');
    const gauges = looks.map((l) => l.gauges);
    expect([probeSilentState('Standard', gauges), probeSilentState('Urgent', gauges)]).toEqual(['ALARM', 'ALARM']);
  });

  test('one ServerException, then answers: the look succeeds on its retry, gauges arrive, neither alarm fires', async () => {
    let first = true;
    const once: ListJobs = async (input) => {
      if (first) {
        first = false;
        throw Object.assign(new Error('Internal server error'), { name: 'Batch.ServerException' });
      }
      return idle(input);
    };
    const looks = [await look(once), await look(idle), await look(idle)];
    expect(looks.map((l) => l.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(looks[0].gauges.get(QUEUES[0])).toEqual({ JobsWaiting: 0, QueueBlocked: 0, JobsRunning: 0 });
    expect(queueProbeFailedState(looks.map((l) => l.status))).toBe('OK');
    const gauges = looks.map((l) => l.gauges);
    expect([probeSilentState('Standard', gauges), probeSilentState('Urgent', gauges)]).toEqual(['OK', 'OK']);
  });
});
