import { Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { countTransitions } from '../../lib/cost/transitions';
import { aslOf } from '../support/asl';
import { genomicsPipeline, threeSamples } from '../support/pipeline';

describe('countTransitions', () => {
  test('counts the states a successful run enters, as a local run of the definition does', async () => {
    // GIVEN the reference pipeline: per sample align, then callVariants and qc in parallel; then aggregate
    const p = genomicsPipeline();
    // WHEN its transitions are counted from the definition
    const count = countTransitions(p.workflow.stateMachine);
    // THEN a run of three samples where every job succeeds enters as many states as counted: Step Functions bills
    // "a state transition each time a step of your workflow is executed" (https://aws.amazon.com/step-functions/pricing/)
    const asl = aslOf(Template.fromStack(p.stack)) as Record<string, unknown>;
    delete asl.TimeoutSeconds;
    const handlers: Record<string, () => Promise<unknown>> = {};
    for (const name of ['align', 'callVariants', 'qc', 'aggregate']) {
      handlers[name] = async () => ({ JobId: 'job-1', JobName: name, Status: 'SUCCEEDED' });
    }
    const machine = new StateMachine(asl as never, { validationOptions: { checkArn: false } });
    const execution = machine.run(threeSamples as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: { Execution: { Name: 'run-1', Input: threeSamples } } as never,
    });
    let entered = 0;
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') {
        entered++;
      }
    }
    await execution.result;
    const perItem = Object.values(count.perItem);
    expect(perItem).toHaveLength(1);
    expect(entered).toBe(count.perRun + 3 * perItem[0]);
    // an item: its check, the item's Parallel, a plan and a submit state per step, the inner Parallel, its outcome
    expect({ perRun: count.perRun, perItem: perItem[0], entered }).toEqual({ perRun: 12, perItem: 10, entered: 42 });
  });
});
