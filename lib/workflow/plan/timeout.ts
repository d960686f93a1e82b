import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { stepsOf, Unit, unitDepsOf, unitsOf } from './graph';
import { StepPlan } from './step-plan';
import { WorkflowStep } from '../step';
import { fail } from '../../private/errors';
import { levelsOf } from '../../private/graph';
import { MAX_EXECUTION_DAYS } from '../../private/limits';

/** What the timeout needs of a step's plan: how many escalation levels it may climb. */
export type EscalationLevels = Pick<StepPlan, 'memoryLevelsMiB' | 'onDemandQueue'>;

/**
 * The execution timeout derived from the steps: each step's worst case (job timeout × Batch attempts × memory levels
 * × 2 with Spot escalation), levels of the graph one after the other (the longest unit of a level counts), a fan-out
 * in waves of `maxConcurrency` over `expectedItems`; capped at Step Functions' one year (MAX_EXECUTION_DAYS).
 */
export function deriveTimeout(
  steps: readonly WorkflowStep[],
  planOf: (step: WorkflowStep) => EscalationLevels,
): Duration {
  const worst = (s: WorkflowStep) => {
    const plan = planOf(s);
    const job = s._options.job;
    return (
      job.timeout.toSeconds() * job.retryPolicy.attempts * plan.memoryLevelsMiB.length * (plan.onDemandQueue ? 2 : 1)
    );
  };
  const unitSeconds = (u: Unit): number => {
    if (u instanceof WorkflowStep) {
      return worst(u);
    }
    const members = stepsOf(steps, u);
    const levels = levelsOf(members, (s) => s.dependencies.filter((d) => d.forEach === u));
    const perItem = levels.reduce((sum, l) => sum + Math.max(...l.map(worst)), 0);
    return Math.ceil(u.expectedItems / u.maxConcurrency) * perItem;
  };
  const levels = levelsOf(unitsOf(steps), (u) => unitDepsOf(steps, u));
  const seconds = levels.reduce((sum, l) => sum + Math.max(...l.map(unitSeconds)), 0);
  return Duration.seconds(Math.min(seconds, MAX_EXECUTION_DAYS * 24 * 3600));
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
