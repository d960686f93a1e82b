import { StateMachine } from 'aws-local-stepfunctions';
import { MAX_STATE_PAYLOAD_BYTES } from '../../lib/private/limits';
import { aslOf, indexOfMachine } from '../support/asl';
import { monitored, ref } from './monitored';

/**
 * The queue probe at its largest: every listing it makes returns a full first page. Step Functions fails an execution
 * whose state input or output (or a task's result) exceeds 256 KiB with States.DataLimitExceeded, a terminal error
 * States.ALL does not match (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html,
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): a probe that kept every
 * JobSummary it listed went blind on a queue holding a few large array jobs.
 */
const m = monitored();
/** Template and definition JSON, read field by field below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON whose shape the assertions check
type Json = Record<string, any>;
const asl = aslOf(m.template, indexOfMachine(m.template, ref(m.stack, m.monitoring.probe.stateMachine))) as Json;
const QUEUE = 'arn:aws:batch:us-east-1:123456789012:job-queue/StandardQueue';
// ListJobs returns at most 100 summaries a page (maxResults "between 1 and 100"), and the probe reads the first page.
// https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html
const PAGE = 100;
const BLOCKED_REASON =
  'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested for instance type r5.4xlarge';

/**
 * A JobSummary as the Step Functions AWS SDK integration returns ListJobs' (its fields in PascalCase:
 * https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html; fields:
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_JobSummary.html), filled to a realistic size: a job name
 * of the 128 characters SubmitJob allows (https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html),
 * a job definition ARN as CloudFormation names it, a capacity use and a share; an array child's id is
 * `<parent id>:<index>` (https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html).
 */
function summary(id: string, status: string, extra: Json = {}): Json {
  return {
    JobArn: `arn:aws:batch:us-east-1:123456789012:job/${id}`,
    JobId: id,
    JobName: `genomics-2026-11-29-align-sample-${'x'.repeat(95)}`,
    CapacityUsage: [{ CapacityUnit: 'VCPU', Quantity: 16 }],
    CreatedAt: 1764400000000,
    ShareIdentifier: 'genomics',
    Status: status,
    ...(status === 'RUNNING' ? { StartedAt: 1764400600000 } : {}),
    JobDefinition:
      'arn:aws:batch:us-east-1:123456789012:job-definition/GenomicsPipelineAlignJobDefinition5E0F1B2C-Xyz0AbCdEfGh:3',
    IsCancelled: false,
    IsTerminated: false,
    ...extra,
  };
}
const uuid = (n: number) => `${String(n).padStart(8, '0')}-0a82-49aa-ba5a-4727fcce14a8`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const parents = range(PAGE).map((p) => summary(uuid(p), 'PENDING', { ArrayProperties: { Size: 2 * PAGE } }));
/** The first page of an array job's children in a status; the one blocking the queue is child 0 of job 57. */
const children = (parent: string, status: string) =>
  range(PAGE).map((i) =>
    summary(`${parent}:${i}`, status, {
      ArrayProperties: { Index: status === 'RUNNABLE' ? i : PAGE + i },
      ...(parent === uuid(57) && i === 0 && status === 'RUNNABLE' ? { StatusReason: BLOCKED_REASON } : {}),
    }),
  );
const queueListing: Record<string, Json[]> = {
  RUNNABLE: range(PAGE).map((i) => summary(uuid(1000 + i), 'RUNNABLE')),
  RUNNING: range(PAGE).map((i) => summary(uuid(2000 + i), 'RUNNING')),
  PENDING: parents,
};

/** The Map state each item processor of a definition belongs to, by the processor's StartAt (unique names). */
function processorsOf(states: Json, into: Map<string, string> = new Map()) {
  for (const [name, state] of Object.entries(states)) {
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) {
      into.set(inner.StartAt, name);
      processorsOf(inner.States, into);
    }
  }
  return into;
}

/** The names of the states at least `depth` Maps deep (1: in the item processor of a top-level Map, or deeper). */
function statesFrom(depth: number, states: Json): string[] {
  return Object.values(states).flatMap((state: Json) => {
    const inner = state.ItemProcessor?.States ?? state.Iterator?.States;
    return inner ? [...(depth <= 1 ? Object.keys(inner) : []), ...statesFrom(depth - 1, inner)] : [];
  });
}

/**
 * One look over the queue: what it published and the size (JSON characters) of everything the 256 KiB limit applies
 * to: each state's input and output, each task's result, and what each Map collected from its iterations (their
 * outputs, an array, before ResultSelector).
 *
 * aws-local-stepfunctions 3.0.0 runs each Map iteration as an execution of its own (`StateMachine.prototype.run`) and
 * forwards that execution's events to the parent's log afterwards, so events of states nested two Maps deep can arrive
 * after the parent's log closed and be lost. Here every execution's own events are read from its own log instead
 * (none lost: an execution logs its states before it closes), and nothing is forwarded.
 */
async function look(definition: Json) {
  const sizes: Array<{ of: string; bytes: number }> = [];
  const size = (of: string, json: unknown) => sizes.push({ of, bytes: JSON.stringify(json ?? null).length });
  const mapOf = processorsOf(definition.States);
  const collected = new Map<unknown, { map: string; outputs: unknown[] }>();
  const reading: Array<Promise<void>> = [];
  const run = StateMachine.prototype.run;
  const spy = jest.spyOn(StateMachine.prototype, 'run').mockImplementation(function (this: StateMachine, ...args) {
    const execution = run.apply(this, args);
    const machine = this as unknown as { definition: { StartAt: string } };
    const map = mapOf.get(machine.definition.StartAt);
    reading.push(
      (async () => {
        for await (const event of execution.eventLogs) {
          if (event.type === 'StateEntered') {
            size(`${event.state.name} (input)`, event.state.input);
          } else if (event.type === 'StateExited') {
            size(`${event.state.name} (output)`, event.state.output);
          } else if (event.type === 'ExecutionSucceeded' && map) {
            // One Map state's run has one iteration state machine: its iterations' outputs are what the Map collects.
            const entry = collected.get(this) ?? { map, outputs: [] };
            entry.outputs.push(event.output);
            collected.set(this, entry);
          }
        }
      })(),
    );
    return { ...execution, eventLogs: (async function* () {})() };
  });
  const published: Json[] = [];
  const answer = (task: string, jobs: Json[]) => {
    size(`${task} (result)`, { JobSummaryList: jobs });
    return { JobSummaryList: jobs };
  };
  try {
    await new StateMachine(definition as never, { validationOptions: { checkArn: false } }).run(
      { queues: [QUEUE] } as never,
      {
        overrides: {
          taskResourceLocalHandlers: {
            'List waiting jobs': async () => answer('List waiting jobs', queueListing.RUNNABLE),
            'List running jobs': async () => answer('List running jobs', queueListing.RUNNING),
            'List pending jobs': async () => answer('List pending jobs', queueListing.PENDING),
            'List waiting children': async (input: Json) =>
              answer('List waiting children', children(input.ArrayJobId, 'RUNNABLE')),
            'List running children': async (input: Json) =>
              answer('List running children', children(input.ArrayJobId, 'RUNNING')),
            Publish: async (input: Json) => (published.push(input), {}),
          } as never,
        },
      },
    ).result;
    await Promise.all(reading);
  } finally {
    spy.mockRestore();
  }
  collected.forEach(({ map, outputs }) => size(`${map} (collected)`, outputs));
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return { largest, sizes, published };
}

describe('the queue probe holds marks of jobs, not their summaries', () => {
  test('100 PENDING array jobs, 100 waiting and 100 running children each: all counted, no state near 256 KiB', async () => {
    // GIVEN full first pages everywhere, of summaries of a realistic size
    const one = JSON.stringify(children(uuid(0), 'RUNNABLE')[1]).length;
    expect(one).toBeGreaterThan(550);
    // WHEN the probe looks at the queue
    const { largest, sizes, published } = await look(asl);
    // THEN it publishes every waiting and running job once (the queue's own 100, and 100 x 100 children), one blocking
    expect(published).toHaveLength(1);
    expect(Object.fromEntries(published[0].MetricData.map((d: Json) => [d.MetricName, d.Value]))).toEqual({
      JobsWaiting: PAGE + PAGE * PAGE,
      QueueBlocked: 1,
      JobsRunning: PAGE + PAGE * PAGE,
    });
    // ...every state was measured, those of Maps nested in 'Each queue' too (one a job listed by an array job)...
    const deep = new Set(statesFrom(2, asl.States).map((name) => `${name} (input)`));
    expect(sizes.filter((s) => deep.has(s.of)).length).toBeGreaterThanOrEqual(PAGE * PAGE);
    // ...and none holds more than one page of summaries (a page, plus the array job it lists and small marks), far
    // below Step Functions' limit (JSON.stringify's length counts characters; these are all ASCII, one byte each)
    const page = Math.max(...sizes.filter((s) => s.of.endsWith('(result)')).map((s) => s.bytes));
    expect(page).toBeGreaterThan(PAGE * one);
    expect(sizes.filter((s) => s.bytes >= MAX_STATE_PAYLOAD_BYTES)).toEqual([]);
    expect(largest.bytes).toBeLessThan(page + 2048);
  });
});
