import { Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/*
 * Counts the Step Functions state transitions of one run of a workflow from its synthesized definition, for the cost
 * report. Step Functions Standard "counts a state transition each time a step of your workflow is executed ...
 * including retries" and charges $0.025 per 1,000 in us-east-1 (https://aws.amazon.com/step-functions/pricing/,
 * looked up 2026-12; the price is FIXED_COST_PRICES.stateTransitionUsd). Internal to lib/cost (not re-exported).
 */

/** Transitions of a run where every job succeeds at its first attempt: the least a run costs. */
export interface TransitionCount {
  /** Transitions a run makes outside its fan-outs (each fan-out's Map state counts here). */
  readonly perRun: number;
  /**
   * Transitions one item of each fan-out makes, by the fan-out's Map state name: the states it enters, plus one for
   * the child execution a Distributed Map starts for it.
   */
  readonly perItem: Record<string, number>;
  /**
   * Distributed Map states whose child executions are Express: only the start of each child is a transition counted
   * in `perItem`; the child's own states are billed per request and duration, which this count does not price.
   */
  readonly expressItems: string[];
  /** Top-level Map states in Distributed mode: each item is a child execution, whose start `perItem` includes. */
  readonly distributed: string[];
}

type States = Record<string, State>;
interface State {
  readonly Type: string;
  readonly Parameters?: Record<string, unknown>;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: Array<{ Next: string }>;
  readonly Branches?: Array<{ StartAt: string; States: States }>;
  readonly ItemProcessor?: {
    StartAt: string;
    States: States;
    ProcessorConfig?: { Mode?: string; ExecutionType?: string };
  };
  readonly Iterator?: { StartAt: string; States: States };
}

/** A path's cost: transitions, and the jobs it runs (a path that runs more jobs is the one a successful run takes). */
interface Path {
  readonly transitions: number;
  /** Batch jobs submitted (a Task that names a job definition): not the S3 or DynamoDB calls around them. */
  readonly tasks: number;
  readonly perItem: Record<string, number>;
  readonly expressItems: string[];
  readonly distributed: string[];
}

const EMPTY: Path = { transitions: 0, tasks: 0, perItem: {}, expressItems: [], distributed: [] };

/**
 * The transitions of a run in which every job succeeds at its first attempt, read from the state machine's
 * definition (references rendered as placeholders: only the states' shape matters).
 */
export function countTransitions(stateMachine: sfn.StateMachine): TransitionCount {
  const cfn = stateMachine.node.defaultChild as sfn.CfnStateMachine;
  const resolved = Stack.of(stateMachine).resolve(cfn.definitionString);
  const asl = JSON.parse(render(resolved)) as { StartAt: string; States: States };
  const path = walk(asl.States, asl.StartAt, new Set(), true);
  if (!path) {
    // Unreachable for a definition Workflow builds: every one has a successful end.
    return { perRun: 0, perItem: {}, expressItems: [], distributed: [] };
  }
  return {
    perRun: path.transitions,
    perItem: path.perItem,
    expressItems: path.expressItems,
    distributed: path.distributed,
  };
}

/**
 * What one item of a Map state costs in transitions. Step Functions charges one state transition for each child
 * workflow execution a Distributed Map state starts, and none for an iteration of an Inline Map
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html, "Transitions in Distributed Map
 * state"), so a Distributed item costs its states + 1. An Express child's own states are not transitions: Express
 * is billed per request and duration (https://aws.amazon.com/step-functions/pricing/), so it costs the 1 that starts
 * it. Workflow's fan-outs start Standard children only (a `.sync` Batch job needs Standard).
 */
function itemCost(s: State, steps: Path): { transitions: number; distributed: boolean; express: boolean } {
  const config = s.ItemProcessor?.ProcessorConfig;
  if (config?.Mode !== 'DISTRIBUTED') {
    return { transitions: steps.transitions, distributed: false, express: false };
  }
  return config.ExecutionType === 'EXPRESS'
    ? { transitions: 1, distributed: true, express: true }
    : { transitions: steps.transitions + 1, distributed: true, express: false };
}

/** The definition as text: a CloudFormation reference becomes a placeholder inside the string that holds it. */
function render(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map(render).join(sep);
  }
  return 'REF';
}

/**
 * The successful path from `name` to an end: through a Choice, the branch that runs the most jobs, then the one with
 * the fewest transitions (the "all succeeded" branch); never a Fail state or a loop (a rerun is not the happy path).
 */
function walk(states: States, name: string, seen: Set<string>, topLevel: boolean): Path | undefined {
  if (seen.has(name)) {
    return undefined;
  }
  const s = states[name];
  if (!s || s.Type === 'Fail') {
    return undefined;
  }
  const here = new Set(seen).add(name);
  const rest = (next?: string): Path | undefined =>
    next === undefined || s.End ? EMPTY : walk(states, next, here, topLevel);
  const job = s.Type === 'Task' && s.Parameters !== undefined && 'JobDefinition' in s.Parameters;
  let own: Path = { ...EMPTY, transitions: 1, tasks: job ? 1 : 0 };
  if (s.Type === 'Choice') {
    const options = [...(s.Choices ?? []).map((c) => c.Next), ...(s.Default ? [s.Default] : [])]
      .map((n) => walk(states, n, here, topLevel))
      .filter((p): p is Path => p !== undefined)
      .sort((x, y) => y.tasks - x.tasks || x.transitions - y.transitions);
    return options[0] && add(own, options[0]);
  }
  if (s.Type === 'Parallel') {
    for (const b of s.Branches ?? []) {
      const branch = walk(b.States, b.StartAt, new Set(), topLevel);
      if (!branch) {
        return undefined;
      }
      own = add(own, branch);
    }
  }
  const processor = s.ItemProcessor ?? s.Iterator;
  if (s.Type === 'Map' && processor) {
    const steps = walk(processor.States, processor.StartAt, new Set(), false);
    if (!steps) {
      return undefined;
    }
    const item = itemCost(s, steps);
    const express = item.express ? [name] : [];
    // A top-level Map's items are counted per item; a Map inside an item runs once per item here (its own items are
    // unknown).
    own = topLevel
      ? {
          ...own,
          tasks: own.tasks + steps.tasks,
          perItem: { [name]: item.transitions },
          expressItems: [...steps.expressItems, ...express],
          distributed: item.distributed ? [name] : [],
        }
      : add(own, { ...steps, transitions: item.transitions, expressItems: [...steps.expressItems, ...express] });
  }
  const after = rest(s.Next);
  return after && add(own, after);
}

function add(a: Path, b: Path): Path {
  return {
    transitions: a.transitions + b.transitions,
    tasks: a.tasks + b.tasks,
    perItem: { ...a.perItem, ...b.perItem },
    expressItems: [...a.expressItems, ...b.expressItems],
    distributed: [...a.distributed, ...b.distributed],
  };
}
