import { Duration } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { FanOut, Workflow, WorkflowStep } from '../../../lib';
import { planStep } from '../../../lib/workflow/plan/step-plan';
import { checkTimeout, deriveTimeout, derivedTimeout } from '../../../lib/workflow/plan/timeout';
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

describe('the derived timeout says how it was derived', () => {
  test('the reference pipeline: every factor, the waves, the longest of parallel steps, the sum', () => {
    const all = Object.values(genomicsSteps(g).steps);
    const derived = derivedTimeout(all, (s) => planStep(scopeAt('Test/Wf'), s));
    expect(derived.timeout.toHours()).toBe(396);
    expect(derived.derivation).toBe(
      "16.5 days (396 h) = fan-out 'samples': 100 items (expectedItems) in 2 waves of 50 (maxConcurrency) × 180 h an item " +
        '(align 6 h × 3 attempts × 3 memory levels × 2 for Spot then On-Demand = 108 h, then the longest of 2 in ' +
        'parallel: callVariants 4 h × 3 attempts × 3 memory levels × 2 for Spot then On-Demand = 72 h) = 360 h, then ' +
        'aggregate 2 h × 3 attempts × 3 memory levels × 2 for Spot then On-Demand = 36 h',
    );
  });

  test('a factor that does not apply is left out; one item reads singular', () => {
    const one = new FanOut('one', { maxConcurrency: 1, expectedItems: 1 });
    const step = new WorkflowStep('qc', { job: g.jobs.qc, forEach: one });
    expect(derivedTimeout([step], () => ({ memoryLevelsMiB: [1] })).derivation).toBe(
      "3 h = fan-out 'one': 1 item (expectedItems) in 1 wave of 1 (maxConcurrency) × 3 h an item (qc 1 h × 3 " +
        'attempts = 3 h) = 3 h',
    );
  });

  test("a cap says so: capped at Step Functions' 365 days", () => {
    const many = new FanOut('many', { maxConcurrency: 1, expectedItems: 10_000 });
    const step = new WorkflowStep('long', { job: g.jobs.align, forEach: many });
    expect(derivedTimeout([step], () => ({ memoryLevelsMiB: [1] })).derivation).toMatch(
      /^365 days \(8760 h\) = fan-out 'many': 10000 items .* = 180000 h, capped at Step Functions' 365 days$/,
    );
  });

  test('a workflow shows it at synth as info (cdk-batch-pipelines:derived-timeout); a given timeout shows nothing', () => {
    const p = genomicsJobs();
    const steps = Object.values(genomicsSteps(p).steps);
    const derived = new Workflow(p.stack, 'Derived', { steps });
    const given = new Workflow(p.stack, 'Given', {
      steps: Object.values(genomicsSteps(p).steps),
      timeout: Duration.days(2),
    });
    const infos = Annotations.fromStack(p.stack)
      .findInfo('*', Match.stringLikeRegexp('derived-timeout'))
      .map((i) => `${i.id} ${i.entry.data}`);
    expect(infos).toEqual([
      expect.stringMatching(
        /^\/Test\/Derived Test\/Derived: execution timeout 16\.5 days \(396 h\) = fan-out 'samples'/,
      ),
    ]);
    expect(infos[0]).toContain('Set timeout to give another. [ack: cdk-batch-pipelines:derived-timeout]');
    expect(derived.timeout.toHours()).toBe(396);
    expect(given.timeout.toDays()).toBe(2);
  });
});
