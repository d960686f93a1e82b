import { Size } from 'aws-cdk-lib';
import { WorkflowStep } from '../../../lib';
import { largestFittingMemory, memoryLadder } from '../../../lib/workflow/plan/memory-ladder';
import { gib } from '../../../lib/private/errors';
import { genomicsJobs, scopeAt } from '../../support/pipeline';

const g = genomicsJobs();
const queues = [g.standard, g.urgent];
const ladder = (step: WorkflowStep) => memoryLadder(scopeAt('Test/Wf'), step, queues);

describe('memoryLadder', () => {
  test("the job's memory, then ×1.5 twice by default", () => {
    expect(ladder(new WorkflowStep('align', { job: g.jobs.align }))).toEqual([30720, 46080, 69120]);
  });

  test('false keeps one level', () => {
    expect(ladder(new WorkflowStep('align', { job: g.jobs.align, memoryEscalation: false }))).toEqual([30720]);
  });

  test('levels stop at the largest memory every queue of the step can place', () => {
    const fits = Math.min(...queues.map((q) => largestFittingMemory(q, g.jobs.qc)));
    expect(gib(fits)).toBe('121.5 GiB');
    expect(ladder(new WorkflowStep('qc', { job: g.jobs.qc, memoryEscalation: { factor: 2, maxTimes: 5 } }))).toEqual([
      7168,
      14336,
      28672,
      57344,
      114688,
      fits,
    ]);
  });

  test('a given ceiling caps the levels', () => {
    const step = new WorkflowStep('qc', {
      job: g.jobs.qc,
      memoryEscalation: { factor: 2, maxTimes: 5, ceiling: Size.gibibytes(20) },
    });
    expect(ladder(step)).toEqual([7168, 14336, 20480]);
  });

  test('a factor of 1 is refused', () => {
    expect(() => ladder(new WorkflowStep('qc', { job: g.jobs.qc, memoryEscalation: { factor: 1 } }))).toThrow(
      "Test/Wf: steps['qc'].memoryEscalation factor 1, maxTimes 2 is not allowed; allowed: a factor above 1 and 0..5 times. Fix: use e.g. { factor: 1.5, maxTimes: 2 }, or false to turn escalation off",
    );
  });

  test('a ceiling at or below the job memory is refused', () => {
    const step = new WorkflowStep('qc', { job: g.jobs.qc, memoryEscalation: { ceiling: Size.gibibytes(7) } });
    expect(() => ladder(step)).toThrow(
      "Test/Wf: steps['qc'].memoryEscalation.ceiling 7 GiB, for job Test/Qc of 7 GiB is not allowed; allowed: a ceiling above the job memory (at or below it, escalation would silently never happen). Fix: raise the ceiling above 7 GiB (at most 121.5 GiB), or set memoryEscalation: false",
    );
  });
});
