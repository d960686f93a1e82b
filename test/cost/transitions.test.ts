import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine } from 'aws-local-stepfunctions';
import { countTransitions } from '../../lib/cost/transitions';
import { FanOutMode } from '../../lib';
import { aslOf } from '../support/asl';
import { genomicsPipeline, threeSamples } from '../support/pipeline';

/** A state machine: a Pass, then a Map of `mode` over two Pass states per item, then the end. */
function machineWith(mode: 'inline' | 'standard' | 'express'): sfn.StateMachine {
  const stack = new Stack(new App(), 'Test');
  const item = new sfn.Pass(stack, 'check').next(new sfn.Pass(stack, 'work'));
  const map =
    mode === 'inline'
      ? new sfn.Map(stack, 'items', { itemsPath: '$.items' })
      : new sfn.DistributedMap(stack, 'items', {
          itemsPath: '$.items',
          mapExecutionType: mode === 'express' ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
        });
  map.itemProcessor(item);
  return new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'start').next(map)),
  });
}

describe('countTransitions', () => {
  test('counts the states a successful run enters, as a local run of the definition does', async () => {
    // GIVEN the reference pipeline: per sample align, then callVariants and qc in parallel; then aggregate; its
    // fan-out of 100 samples runs as a Distributed Map
    const p = genomicsPipeline();
    expect(p.workflow.fanOutMode(p.workflow.steps[0].forEach!)).toBe(FanOutMode.DISTRIBUTED);
    // WHEN its transitions are counted from the definition
    const count = countTransitions(p.workflow.stateMachine);
    // THEN a run of three samples where every job succeeds enters as many states as counted: Step Functions bills
    // "a state transition each time a step of your workflow is executed" (https://aws.amazon.com/step-functions/pricing/)
    const asl = aslOf(Template.fromStack(p.stack)) as Record<string, unknown>;
    delete asl.TimeoutSeconds;
    const handlers: Record<string, () => Promise<unknown>> = {};
    const submitted: string[] = [];
    for (const name of ['align', 'callVariants', 'qc', 'aggregate']) {
      handlers[name] = async () => {
        submitted.push(name);
        return { JobId: 'job-1', JobName: name, Status: 'SUCCEEDED' };
      };
    }
    const machine = new StateMachine(asl as never, { validationOptions: { checkArn: false } });
    const execution = machine.run(threeSamples as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: { Execution: { Name: 'run-1', Input: threeSamples } } as never,
    });
    let enteredAtTop = 0;
    let enteredInItems = 0;
    let branchSubmitsEntered = 0;
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') {
        if ((event as { index?: number }).index === undefined) {
          enteredAtTop++;
        } else {
          enteredInItems++;
          const name = (event as unknown as { state: { name: string } }).state.name;
          branchSubmitsEntered += name === 'callVariants' || name === 'qc' ? 1 : 0;
        }
      }
    }
    await execution.result;
    const perItem = Object.values(count.perItem);
    expect(perItem).toHaveLength(1);
    // the run: the item checks (any items?, count, fit?), the map, its outcome checks (any outcomes?, statuses,
    // failed?, any failed?, all succeeded, done), aggregate's plan, 'Spot lost?', 'rerun the step' and its submit
    expect(enteredAtTop).toBe(count.perRun);
    // an item whose id is its own: its check, 'first line?', the item's Parallel, per step a plan, 'Spot lost?',
    // 'rerun the step' and the submit (12), the inner Parallel, 'went On-Demand?', its outcome (18); plus the start of
    // its child execution,
    // which Step Functions bills for a Distributed Map (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html)
    expect({ perRun: count.perRun, perItem: perItem[0] }).toEqual({ perRun: 14, perItem: 19 });
    // Every item's jobs ran...
    expect(submitted.filter((n) => n !== 'aggregate').sort()).toEqual(
      ['align', 'callVariants', 'qc'].flatMap((n) => [n, n, n]).sort(),
    );
    // ...and the items' states entered are the counted path, with two differences: the two lines after the first also
    // enter 'id on an earlier line?' and 'first line with this id?' (the count takes the shorter path, so it is low by
    // two for such lines), and aws-local-stepfunctions 3.0.0 may report no StateEntered for the last state of a
    // Parallel branch inside a Map iteration (whether it does depends on when the iteration's event log closes): the
    // callVariants and qc submits, which ran (see above), are counted as entered.
    expect(enteredInItems + (3 * 2 - branchSubmitsEntered)).toBe(3 * (perItem[0] - 1) + 2 * 2);
    expect(count.distributed).toEqual(Object.keys(count.perItem));
  });

  // "Transitions in Distributed Map state": Step Functions charges one state transition for each child workflow
  // execution a Distributed Map starts, and none for each iteration of an Inline Map
  // (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html). Express executions are billed per
  // request and duration, not per transition (https://aws.amazon.com/step-functions/pricing/).
  test.each([
    ['an Inline Map: the item states only', 'inline', 2, [], []],
    [
      'a Distributed Map of Standard children: the item states + 1 for the child execution',
      'standard',
      3,
      ['items'],
      [],
    ],
    ['a Distributed Map of Express children: only the 1 that starts each child', 'express', 1, ['items'], ['items']],
  ] as const)('%s', (_, mode, perItem, distributed, express) => {
    // GIVEN a Pass, then a Map over two Pass states per item
    // WHEN its transitions are counted
    const count = countTransitions(machineWith(mode));
    // THEN a run makes 2 (the Pass and the Map) and an item as many as its mode is billed for
    expect(count).toEqual({
      perRun: 2,
      perItem: { items: perItem },
      distributed: [...distributed],
      expressItems: [...express],
    });
  });
});
