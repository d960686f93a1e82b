import { Construct } from 'constructs';
import { StateRead } from '../asl/reads';
import { FanOut, WorkflowStep } from '../step';
import { fanOutStateKeys, STEP_STATE_KEYS } from '../../contract/run-state';
import { fail } from '../../private/errors';

/**
 * A reference path (fields and indexes only): it selects one value, which a Choice rule can test for presence and
 * type; a filter or wildcard selects an array, the wrong type for SubmitJob's strings and numbers.
 */
const REFERENCE_PATH = /^\$\$?((\.[A-Za-z_][A-Za-z0-9_]*)|(\[[0-9]+\]))+$/;
/**
 * Context paths a step may read: always present while a task runs. The execution input's fields are read (and checked
 * at the run's start) outside fan-outs only.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
 */
const CONTEXT_PATHS = [
  '$$.Execution.Id',
  '$$.Execution.Name',
  '$$.Execution.StartTime',
  '$$.Execution.RoleArn',
  '$$.StateMachine.Id',
  '$$.StateMachine.Name',
  '$$.State.Name',
  '$$.State.EnteredTime',
  '$$.State.RetryCount',
];
const INPUT_FIELD = /^\$\$\.Execution\.Input(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])+$/;

/** A value given as a JSONPath must start with `$` (the state) or `$$` (the context). */
export function checkPath(scope: Construct, prop: string, path: string): void {
  if (!path.startsWith('$')) {
    fail(scope, {
      prop,
      received: `'${path}'`,
      allowed: "a JSONPath starting with '$' (state) or '$$' (context)",
      fix: `use e.g. '$.item.${path}'`,
    });
  }
}

/**
 * A path a step reads must be one the run can check first: a reference path, inside a fan-out one of the item's
 * (the item's steps see only `$.item`, and in a Distributed Map `$$.Execution.Input` is the child execution's),
 * outside one not an item's.
 */
export function checkStepRead(scope: Construct, step: WorkflowStep, read: StateRead): void {
  const { path, prop } = read;
  if (!REFERENCE_PATH.test(path)) {
    fail(scope, {
      prop,
      received: `'${path}'`,
      allowed:
        "a reference path of field names and indexes, e.g. '$.item.lab' or '$.item.files[0]' (no filters, wildcards or quoted names)",
      fix: `name the field directly, e.g. '${step.forEach ? '$.item.lab' : '$$.Execution.Input.reference'}'`,
    });
  }
  // The field named in the fix: the path's last name (a made-up one when the path names the input itself).
  const field = path === '$$.Execution.Input' ? 'reference' : (/[A-Za-z0-9_]+$/.exec(path)?.[0] ?? 'field');
  const inputInFanOut = step.forEach !== undefined && path.startsWith('$$.Execution.Input');
  const knownContext = CONTEXT_PATHS.includes(path) || (!step.forEach && INPUT_FIELD.test(path));
  if (path.startsWith('$$') && !knownContext && !inputInFanOut) {
    fail(scope, {
      prop,
      received: `'${path}'`,
      allowed: `a field of the execution input ('$$.Execution.Input.<field>', outside fan-outs) or one of ${CONTEXT_PATHS.join(', ')}`,
      fix: step.forEach
        ? `read the item, e.g. '$.item.${field}'`
        : `read an input field, e.g. '$$.Execution.Input.${field}'`,
    });
  }
  if (step.forEach) {
    if (path.startsWith('$$.Execution.Input')) {
      fail(scope, {
        prop,
        received: `'${path}', in fan-out '${step.forEach.name}'`,
        allowed:
          "item paths ('$.item.<field>'): in a Distributed Map each item runs as a child execution whose input is the item, not the workflow's",
        fix: `put the value in each item and read '$.item.${field}', or give the job a default for it`,
      });
    }
    if (path.startsWith('$.') && !path.startsWith('$.item.') && !path.startsWith('$.item[')) {
      fail(scope, {
        prop,
        received: `'${path}', in fan-out '${step.forEach.name}'`,
        allowed: "item paths ('$.item.<field>'): an item's steps see only the item",
        fix: `read '$.item.${field}'`,
      });
    }
  } else if (path.startsWith('$.item.') || path.startsWith('$.item[')) {
    fail(scope, {
      prop,
      received: `'${path}', in step '${step.name}', which is not part of a fan-out`,
      allowed: 'paths of the execution input outside a fan-out',
      fix: `read it from the input, e.g. '$$.Execution.Input.${field}', or set forEach`,
    });
  }
}

/**
 * Every value a fan-out's steps read from an item, each path once: the declared item fields (strings), then the paths
 * the steps name (`$.item.lab`, `$.item.chunks`). The item's check tests them all.
 * @param stepReads what the fan-out's steps read (their plans' `reads`)
 */
export function itemReads(scope: Construct, f: FanOut, stepReads: readonly StateRead[]): StateRead[] {
  const declared = f.itemFields.map((field) => ({
    path: `$.item.${field}`,
    type: 'string' as const,
    prop: `forEach '${f.name}'.itemFields`,
  }));
  const named = stepReads.filter((r) => r.path.startsWith('$.item'));
  return distinctReads(scope, [...declared, ...named]);
}

/**
 * The values steps outside any fan-out read from the execution input (`$$.Execution.Input.x`, or `$.x`, which the
 * run's first state sees as the input), each once: the run checks them at its start, before any job runs. Paths under
 * the keys the workflow writes itself (`$.<fan-out>Summary`…) are not input and are not checked.
 * @param stepReads what the steps outside fan-outs read (their plans' `reads`)
 */
export function inputReads(scope: Construct, fanOuts: readonly FanOut[], stepReads: readonly StateRead[]): StateRead[] {
  const written = [
    ...Object.values(STEP_STATE_KEYS),
    ...fanOuts.flatMap((f) => Object.values(fanOutStateKeys(f.name))),
  ];
  const reads = stepReads.filter((r) => {
    if (r.path.startsWith('$$.')) {
      return r.path.startsWith('$$.Execution.Input');
    }
    const key = /^\$\.([A-Za-z_][A-Za-z0-9_]*)/.exec(r.path)?.[1];
    return key !== undefined && !written.includes(key);
  });
  return distinctReads(scope, reads);
}

/** Each path once; a path read as a string in one place and as a number in another is refused. */
function distinctReads(scope: Construct, reads: StateRead[]): StateRead[] {
  const byPath = new Map<string, StateRead>();
  for (const r of reads) {
    const seen = byPath.get(r.path);
    if (seen && seen.type !== r.type) {
      fail(scope, {
        prop: r.prop,
        received: `'${r.path}', read as a ${r.type} here and as a ${seen.type} by ${seen.prop}`,
        allowed: 'one type per path (parameters, environment and share identifiers are strings, array sizes numbers)',
        fix: 'read the array size and the string from different fields',
      });
    }
    byPath.set(r.path, seen ?? r);
  }
  return [...byPath.values()];
}
