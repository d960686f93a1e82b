import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { stepsOf, Unit, unitDepsOf, unitsOf } from './graph';
import { StepPlan } from './step-plan';
import { WorkflowStep } from '../step';
import { fail } from '../../private/errors';
import { levelsOf } from '../../private/graph';
import { humanDuration, inHours } from '../../private/durations';
import { MAX_EXECUTION_DAYS } from '../../private/limits';
import { count } from '../../private/plural';

/** What the timeout needs of a step's plan: how many escalation levels it may climb. */
export type EscalationLevels = Pick<StepPlan, 'memoryLevelsMiB' | 'onDemandQueue'>;

/** The derived execution timeout, and how it was derived, for the info message and `Workflow.timeoutDerivation`. */
export interface DerivedTimeout {
  readonly timeout: Duration;
  /**
   * The figures it comes from, e.g. `17.7 days = fan-out 'videos': 500 items in 10 waves of 50 × 42.5 h an item
   * (align 4 h × 3 attempts × 2 memory levels × 2 for Spot then On-Demand = 48 h, …)`.
   */
  readonly derivation: string;
}

/** A worst case in seconds and the words that say how it was reached. */
interface Term {
  readonly seconds: number;
  readonly text: string;
}

/**
 * The execution timeout derived from the steps: each step's worst case (job timeout × Batch attempts × memory levels
 * × 2 with Spot escalation), levels of the graph one after the other (the longest unit of a level counts), a fan-out
 * in waves of `maxConcurrency` over `expectedItems`; capped at Step Functions' one year (MAX_EXECUTION_DAYS).
 */
export function deriveTimeout(
  steps: readonly WorkflowStep[],
  planOf: (step: WorkflowStep) => EscalationLevels,
): Duration {
  return derivedTimeout(steps, planOf).timeout;
}

/** `deriveTimeout` with the figures it comes from, in words. */
export function derivedTimeout(
  steps: readonly WorkflowStep[],
  planOf: (step: WorkflowStep) => EscalationLevels,
): DerivedTimeout {
  const worst = (s: WorkflowStep): Term => {
    const plan = planOf(s);
    const job = s._options.job;
    const factors = [
      count(job.retryPolicy.attempts, 'attempt'),
      plan.memoryLevelsMiB.length > 1 ? count(plan.memoryLevelsMiB.length, 'memory level') : undefined,
      plan.onDemandQueue ? '2 for Spot then On-Demand' : undefined,
    ].filter((f) => f !== undefined);
    const seconds =
      job.timeout.toSeconds() * job.retryPolicy.attempts * plan.memoryLevelsMiB.length * (plan.onDemandQueue ? 2 : 1);
    const text = `${s.name} ${inHours(job.timeout.toSeconds())} × ${factors.join(' × ')}`;
    return { seconds, text: `${text} = ${inHours(seconds)}` };
  };
  const unitTerm = (u: Unit): Term => {
    if (u instanceof WorkflowStep) {
      return worst(u);
    }
    const members = stepsOf(steps, u);
    const perItem = inSequence(
      levelsOf(members, (s) => s.dependencies.filter((d) => d.forEach === u)),
      worst,
    );
    const waves = Math.ceil(u.expectedItems / u.maxConcurrency);
    const seconds = waves * perItem.seconds;
    return {
      seconds,
      text:
        `fan-out '${u.name}': ${count(u.expectedItems, 'item')} (expectedItems) in ${count(waves, 'wave')} of ` +
        `${u.maxConcurrency} (maxConcurrency) × ${inHours(perItem.seconds)} an item (${perItem.text}) = ` +
        inHours(seconds),
    };
  };
  const total = inSequence(
    levelsOf(unitsOf(steps), (u) => unitDepsOf(steps, u)),
    unitTerm,
  );
  const cap = MAX_EXECUTION_DAYS * 24 * 3600;
  const seconds = Math.min(total.seconds, cap);
  const capped = total.seconds > cap ? `, capped at Step Functions' ${MAX_EXECUTION_DAYS} days` : '';
  return {
    timeout: Duration.seconds(seconds),
    derivation: `${humanDuration(seconds)}${seconds >= 2 * 86400 ? ` (${inHours(seconds)})` : ''} = ${total.text}${capped}`,
  };
}

/** Levels one after the other, the longest unit of each counting: "a, then the longest of b, c: b". */
function inSequence<T>(levels: T[][], termOf: (x: T) => Term): Term {
  const parts = levels.map((level) => {
    const terms = level.map(termOf);
    const longest = terms.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    return {
      seconds: longest.seconds,
      text: terms.length > 1 ? `the longest of ${terms.length} in parallel: ${longest.text}` : longest.text,
    };
  });
  return {
    seconds: parts.reduce((sum, p) => sum + p.seconds, 0),
    text: parts.map((p) => p.text).join(', then '),
  };
}

/** A given timeout must leave every step at least one attempt of its job. */
export function checkTimeout(scope: Construct, steps: readonly WorkflowStep[], timeout: Duration | undefined): void {
  if (timeout === undefined) {
    return;
  }
  const longest = Math.max(...steps.map((s) => s._options.job.timeout.toSeconds()));
  const seconds = timeout.toSeconds();
  if (!(seconds >= longest)) {
    const step = steps.find((s) => s._options.job.timeout.toSeconds() === longest)!;
    fail(scope, {
      prop: 'timeout',
      received: `${seconds} seconds, shorter than step '${step.name}''s job timeout (${longest} seconds)`,
      allowed: `at least the longest job timeout of the steps (${longest} seconds): a shorter run stops its jobs mid-attempt`,
      fix: 'leave timeout out (it is derived from the steps), or give at least the longest job timeout',
    });
  }
}
