import { Duration } from 'aws-cdk-lib';
import { FanOut, WorkflowStep } from '../../../lib';
import { planStep } from '../../../lib/workflow/plan/step-plan';
import { checkTimeout, deriveTimeout } from '../../../lib/workflow/plan/timeout';
import { MAX_EXECUTION_DAYS } from '../../../lib/private/limits';
import { genomicsJobs, genomicsSteps, scopeAt } from '../../support/pipeline';

const g = genomicsJobs();

describe('deriveTimeout', () => {
  test('the reference pipeline: each step × 3 attempts × 3 memory levels × 2 (Spot escalation), 2 waves', () => {
    const all = Object.values(genomicsSteps(g).steps);
    // Per sample: align 6 h, then max(call-variants 4 h, qc 1 h), each × 18 = 180 h; 100 samples / 50 at once = 2
    // waves -> 360 h; aggregate 2 h × 18 = 36 h. Total 396 h.
    expect(deriveTimeout(all, (s) => planStep(scopeAt('Test/Wf'), s)).toHours()).toBe(396);
  });

  test('without escalation levels only attempts multiply', () => {
    const all = Object.values(genomicsSteps(g).steps);
    // align 18 h + call-variants 12 h = 30 h × 2 waves + aggregate 6 h.
    expect(deriveTimeout(all, () => ({ memoryLevelsMiB: [1] })).toHours()).toBe(66);
  });

  test("capped at Step Functions' one year", () => {
    const many = new FanOut('many', { maxConcurrency: 1, expectedItems: 10_000 });
    const step = new WorkflowStep('long', { job: g.jobs.align, forEach: many });
    expect(deriveTimeout([step], () => ({ memoryLevelsMiB: [1] })).toDays()).toBe(MAX_EXECUTION_DAYS);
  });
});

describe('checkTimeout', () => {
  test('a given timeout shorter than a job timeout is refused', () => {
    const again = new WorkflowStep('again', { job: g.jobs.aggregate });
    expect(() => checkTimeout(scopeAt('Test/Short'), [again], Duration.hours(1))).toThrow(
      "Test/Short: timeout 3600 seconds, shorter than step 'again''s job timeout (7200 seconds) is not allowed; allowed: at least the longest job timeout of the steps (7200 seconds): a shorter run stops its jobs mid-attempt. Fix: leave timeout out (it is derived from the steps), or give at least the longest job timeout",
    );
    expect(() => checkTimeout(scopeAt('Test/Wf'), [again], Duration.hours(2))).not.toThrow();
    expect(() => checkTimeout(scopeAt('Test/Wf'), [again], undefined)).not.toThrow();
  });
});
