import { Construct } from 'constructs';
import { FanOut, WorkflowStep } from '../step';
import { fail } from '../../private/errors';
import { findCycle } from '../../private/graph';

/** A unit of the top-level graph: a step that runs once, or a fan-out with its steps. */
export type Unit = WorkflowStep | FanOut;

const STEP_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

/**
 * Checks the declared graph: at least one step, valid and unique names, dependencies on steps of the workflow (and
 * not into another fan-out), no cycle. Returns the fan-outs in the order their first step is declared.
 */
export function checkGraph(scope: Construct, steps: readonly WorkflowStep[]): FanOut[] {
  if (steps.length === 0) {
    fail(scope, {
      prop: 'steps',
      received: '[]',
      allowed: 'at least one step',
      fix: 'pass the steps of the pipeline, e.g. [align, callVariants]',
    });
  }
  const fanOuts: FanOut[] = [];
  const names = new Set<string>();
  for (const s of steps) {
    if (!STEP_NAME.test(s.name)) {
      fail(scope, {
        prop: 'steps.name',
        received: `'${s.name}'`,
        allowed: 'up to 40 letters, digits, hyphens and underscores, starting with a letter',
        fix: `rename the step, e.g. '${s.name.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z]+/, '') || 'step'}'`,
      });
    }
    if (names.has(s.name)) {
      fail(scope, {
        prop: 'steps',
        received: `two steps named '${s.name}'`,
        allowed: 'unique step names',
        fix: 'rename one of them',
      });
    }
    names.add(s.name);
    if (s.forEach && !fanOuts.includes(s.forEach)) {
      fanOuts.push(s.forEach);
    }
  }
  for (const s of steps) {
    for (const d of s.dependencies) {
      if (!steps.includes(d)) {
        fail(scope, {
          prop: `steps['${s.name}'].dependsOn`,
          received: `'${d.name}', which is not a step of this workflow`,
          allowed: 'steps listed in `steps`',
          fix: `add '${d.name}' to the workflow's steps, or remove the dependency`,
        });
      }
      if (s.forEach && d.forEach && d.forEach !== s.forEach) {
        fail(scope, {
          prop: `steps['${s.name}'].dependsOn`,
          received: `'${d.name}', a step inside fan-out '${d.forEach.name}'`,
          allowed: `steps of the same fan-out ('${s.forEach.name}') or steps outside any fan-out`,
          fix: `move '${s.name}' out of its fan-out to run after all items of '${d.forEach.name}', or put both steps in one fan-out`,
        });
      }
    }
  }
  const cycle = findCycle([...steps], (s) => s.dependencies);
  if (cycle) {
    fail(scope, {
      prop: 'steps.dependsOn',
      received: `a cycle: ${cycle.map((s) => s.name).join(' -> ')}`,
      allowed: 'dependencies without cycles',
      fix: 'remove one of the dependencies on that path',
    });
  }
  return fanOuts;
}

/** The steps of a fan-out, in declaration order. */
export function stepsOf(steps: readonly WorkflowStep[], fanOut: FanOut): WorkflowStep[] {
  return steps.filter((s) => s.forEach === fanOut);
}

/** The top-level units in declaration order. */
export function unitsOf(steps: readonly WorkflowStep[]): Unit[] {
  const out: Unit[] = [];
  for (const s of steps) {
    const u = s.forEach ?? s;
    if (!out.includes(u)) {
      out.push(u);
    }
  }
  return out;
}

/** The units a unit waits for: a fan-out waits for whatever any of its steps waits for outside it. */
export function unitDepsOf(steps: readonly WorkflowStep[], u: Unit): Unit[] {
  const members = u instanceof WorkflowStep ? [u] : stepsOf(steps, u);
  const deps: Unit[] = [];
  for (const s of members) {
    for (const d of s.dependencies) {
      const du = d.forEach ?? d;
      if (du !== u && !deps.includes(du)) {
        deps.push(du);
      }
    }
  }
  return deps;
}
