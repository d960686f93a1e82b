import { Duration, Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Job, JobQueue, Workflow, WorkflowStep } from '../../../lib';
import { outOfMemory } from '../../support/batch-failures';
import { capacities } from '../../support/capacity';
import { jobFailure, runLocally, SubmitCall } from '../../support/pipeline';
import { stackWithVpc } from '../../support/stacks';

// The failure states steps share (lib/workflow/states/failure-states.ts), run locally.

// Queue placeholders are the queue's logical id: its construct id and an 8-character hash.
const queueOf = (c: SubmitCall) =>
  c.input.JobQueue.split('/')
    .pop()!
    .replace(/[0-9A-F]{8}$/, '');
const memoryOf = (c: SubmitCall) =>
  c.input.ContainerOverrides?.ResourceRequirements?.find((r) => r.Type === 'MEMORY')?.Value;

describe('steps sharing failure handling', () => {
  /** A chain a -> b -> c at the top level: a and b escalate (6-hour Spot jobs), c does not. */
  function chain() {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const standard = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
    const urgent = new JobQueue(stack, 'Urgent', { capacities: [c.onDemand] });
    const job = (id: string, hours: number) =>
      new Job(stack, id, {
        queues: [standard, urgent],
        image: ecs.ContainerImage.fromRegistry('busybox'),
        vcpus: 4,
        memory: Size.gibibytes(15),
        timeout: Duration.hours(hours),
        checkpointing: true,
      });
    const a = new WorkflowStep('a', { job: job('A', 6) });
    const b = new WorkflowStep('b', { job: job('B', 6), dependsOn: [a] });
    const last = new WorkflowStep('c', { job: job('C', 1), dependsOn: [b], memoryEscalation: false });
    new Workflow(stack, 'Wf', { steps: [a, b, last] });
    return stack;
  }

  test('an escalation reruns the step that failed, not another step of the same branch', async () => {
    const run = await runLocally(chain(), {}, (call, attempt) => {
      if (call.state === 'b' && attempt === 1) {
        throw jobFailure(outOfMemory());
      }
    });
    expect(run.error).toBeUndefined();
    expect(run.calls.map((c) => [c.state, queueOf(c), memoryOf(c)])).toEqual([
      ['a', 'Standard', '15360'],
      ['b', 'Standard', '15360'],
      ['b', 'Standard', '23040'],
      ['c', 'Standard', undefined],
    ]);
  });

  test('a step without escalation fails with its own name, after escalating steps ran in the same branch', async () => {
    const run = await runLocally(chain(), {}, (call) => {
      if (call.state === 'c') {
        throw jobFailure(outOfMemory());
      }
    });
    expect(run.calls.map((c) => c.state)).toEqual(['a', 'b', 'c']);
    const failure = run.error!.cause as Error;
    expect(failure.name).toBe('c.OutOfMemory');
    expect(JSON.parse(failure.message)).toMatchObject({
      step: 'c',
      kind: 'OutOfMemory',
      exitCode: 137,
      containerReason: 'OutOfMemoryError: Container killed due to memory usage',
      memoryMiB: 15360,
    });
  });

  test('an escalating step that runs out of levels fails with the last reason', async () => {
    const run = await runLocally(chain(), {}, (call) => {
      if (call.state === 'a') {
        throw jobFailure(outOfMemory());
      }
    });
    // 15 GiB, then 1.5x twice; the third kill has nowhere to go.
    expect(run.calls.map(memoryOf)).toEqual(['15360', '23040', '34560']);
    expect((run.error!.cause as Error).name).toBe('a.OutOfMemory');
  });

  test("step names never clash with the workflow's own states and children", async () => {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const standard = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
    const urgent = new JobQueue(stack, 'Urgent', { capacities: [c.onDemand] });
    const job = new Job(stack, 'J', {
      queues: [standard, urgent],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 4,
      memory: Size.gibibytes(15),
      timeout: Duration.hours(6),
      checkpointing: true,
    });
    const logs = new WorkflowStep('Logs', { job });
    const machine = new WorkflowStep('StateMachine', { job, dependsOn: [logs] });
    new Workflow(stack, 'Wf', { steps: [logs, machine] });
    const run = await runLocally(stack, {}, (call, attempt) => {
      if (call.state === 'StateMachine' && attempt === 1) {
        throw jobFailure(outOfMemory());
      }
    });
    expect(run.error).toBeUndefined();
    expect(run.calls.map((x) => [x.state, memoryOf(x)])).toEqual([
      ['Logs', '15360'],
      ['StateMachine', '15360'],
      ['StateMachine', '23040'],
    ]);
  });
});
