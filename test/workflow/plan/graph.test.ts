import { FanOut, WorkflowStep } from '../../../lib';
import { checkGraph, stepsOf, unitDepsOf, unitsOf } from '../../../lib/workflow/plan/graph';
import { genomicsJobs, genomicsSteps, scopeAt } from '../../support/pipeline';

const g = genomicsJobs();

describe('checkGraph', () => {
  test('returns the fan-outs in the order their first step is declared', () => {
    const { samples, steps } = genomicsSteps(g);
    const lanes = new FanOut('lanes');
    const perLane = new WorkflowStep('perLane', { job: g.jobs.qc, forEach: lanes, dependsOn: [steps.aggregate] });
    const { align, callVariants, qc, aggregate } = steps;
    expect(checkGraph(scopeAt('Test/Wf'), [aggregate, perLane, align, callVariants, qc])).toEqual([lanes, samples]);
  });

  test('a cycle is refused with its path', () => {
    const a = new WorkflowStep('a', { job: g.jobs.qc });
    const b = new WorkflowStep('b', { job: g.jobs.qc, dependsOn: [a] });
    a.addDependency(b);
    expect(() => checkGraph(scopeAt('Test/Wf'), [a, b])).toThrow(
      'Test/Wf: steps.dependsOn a cycle: a -> b -> a is not allowed; allowed: dependencies without cycles. Fix: remove one of the dependencies on that path',
    );
  });

  test('a step name that is not a valid state name is refused with a suggestion', () => {
    expect(() => checkGraph(scopeAt('Test/Wf'), [new WorkflowStep('2 qc!', { job: g.jobs.qc })])).toThrow(
      "Test/Wf: steps.name '2 qc!' is not allowed; allowed: up to 40 letters, digits, hyphens and underscores, starting with a letter. Fix: rename the step, e.g. 'qc-'",
    );
  });
});

describe('units of the top-level graph', () => {
  test('a fan-out is one unit with its steps; it waits for what its steps wait for outside it', () => {
    const { samples, steps } = genomicsSteps(g);
    const all = Object.values(steps);
    expect(unitsOf(all)).toEqual([samples, steps.aggregate]);
    expect(stepsOf(all, samples)).toEqual([steps.align, steps.callVariants, steps.qc]);
    expect(unitDepsOf(all, samples)).toEqual([]);
    expect(unitDepsOf(all, steps.aggregate)).toEqual([samples]);
  });
});
