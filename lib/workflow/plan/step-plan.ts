import { Construct } from 'constructs';
import { memoryLadder } from './memory-ladder';
import { checkPath, checkStepRead } from './paths';
import { checkShareIdentifier, onDemandQueueFor, stepQueue } from './queues';
import { checkStatePrefix } from './prefixes';
import { planSpotWait, SpotWaitPlan } from './spot-wait';
import { StateRead } from '../asl/reads';
import { FanOut, WorkflowStep } from '../step';
import { resultsEnvName } from '../../contract/job-env';
import { fanOutPaths, SUMMARY_FIELDS } from '../../contract/run-state';
import { IJobQueue } from '../../queues/job-queue-base';
import { tsString } from '../../private/code-text';
import { didYouMean } from '../../private/did-you-mean';
import { fail } from '../../private/errors';
import { MAX_ARRAY_SIZE, MIN_ARRAY_SIZE, RESERVED_ENV_PREFIX } from '../../private/limits';

/** How one step is submitted: resolved queues, memory ladder and what the state fills in. */
export interface StepPlan {
  readonly step: WorkflowStep;
  readonly queue: IJobQueue;
  readonly onDemandQueue?: IJobQueue;
  /** The bound on a Spot attempt's wait for capacity, when the step sets `spotWaitLimit`. */
  readonly spotWait?: SpotWaitPlan;
  readonly memoryLevelsMiB: number[];
  readonly parameters: Record<string, string>;
  readonly environment: Record<string, string>;
  /**
   * Variables the step gets from the fan-outs it follows that write results to S3: `<FAN-OUT>_RESULTS`, the S3 URI
   * of the map run's result manifest, read from the fan-out's summary (name -> JSONPath or intrinsic).
   */
  readonly resultsEnvironment: Record<string, string>;
  /** The fan-outs with results in S3 whose result files the step reads (those it waits for, each once). */
  readonly resultsReadFrom: FanOut[];
  /** Every value the step's submit state reads from the state or the execution's context. */
  readonly reads: StateRead[];
}

/**
 * Checks and plans one step: its queue and On-Demand queue, share identifier and array size, the job parameters and
 * environment it fills from the state (each path checked), and its memory ladder. Reads the step and its job;
 * changes nothing (what the plan implies for the job, such as grants, is applied by `grants.ts`).
 */
export function planStep(scope: Construct, step: WorkflowStep): StepPlan {
  const queue = stepQueue(scope, step);
  const checkpointPrefix = step._options.checkpoint?.prefix;
  if (checkpointPrefix !== undefined) {
    checkStatePrefix(scope, `steps['${step.name}'].checkpoint.prefix`, checkpointPrefix);
  }
  const onDemandQueue = onDemandQueueFor(scope, step, queue);
  const queues = [queue, ...(onDemandQueue ? [onDemandQueue] : [])];
  checkShareIdentifier(scope, step, queues);
  checkArraySize(scope, step);
  const parameters = resolveParameters(scope, step);
  const environment = resolveEnvironment(scope, step);
  const reads = stepReads(step, parameters, environment);
  for (const read of reads) {
    checkStepRead(scope, step, read);
  }
  const resultsReadFrom = resultsReadBy(step);
  return {
    step,
    queue,
    onDemandQueue,
    spotWait: planSpotWait(scope, step, queue, onDemandQueue),
    memoryLevelsMiB: memoryLadder(scope, step, queues),
    parameters,
    environment,
    resultsEnvironment: Object.fromEntries(
      resultsReadFrom.map((f) => [resultsEnvName(f.name), `${fanOutPaths(f.name).summary}.${SUMMARY_FIELDS.results}`]),
    ),
    resultsReadFrom,
    reads,
  };
}

/** Every value the step's submit state reads: parameters, environment, a share identifier path, an array size path. */
function stepReads(
  step: WorkflowStep,
  parameters: Record<string, string>,
  environment: Record<string, string>,
): StateRead[] {
  const { shareIdentifier, arraySizePath } = step._options;
  const at = `steps['${step.name}']`;
  return [
    ...Object.entries(parameters).map(([k, path]) => ({
      path,
      type: 'string' as const,
      prop: `${at}.parameters.${k}`,
    })),
    ...Object.entries(environment).map(([k, path]) => ({
      path,
      type: 'string' as const,
      prop: `${at}.environment.${k}`,
    })),
    ...(shareIdentifier?.startsWith('$')
      ? [{ path: shareIdentifier, type: 'string' as const, prop: `${at}.shareIdentifier` }]
      : []),
    ...(arraySizePath !== undefined
      ? [{ path: arraySizePath, type: 'number' as const, prop: `${at}.arraySizePath` }]
      : []),
  ];
}

/**
 * A step after a fan-out whose outcomes are in S3 reads its result files (the cohort step knows which items to use);
 * a step inside a fan-out reads none.
 */
function resultsReadBy(step: WorkflowStep): FanOut[] {
  if (step.forEach) {
    return [];
  }
  const out: FanOut[] = [];
  for (const d of step.dependencies) {
    if (d.forEach?.results && !out.includes(d.forEach)) {
      out.push(d.forEach);
    }
  }
  return out;
}

/**
 * An array job runs as one job unless SubmitJob gives it ArrayProperties; a plain job must not get them.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ArrayProperties.html
 */
function checkArraySize(scope: Construct, step: WorkflowStep): void {
  const { job, arraySize, arraySizePath } = step._options;
  const prop = `steps['${step.name}'].arraySize`;
  const given = arraySize !== undefined || arraySizePath !== undefined;
  if (job.arrayJob && !given) {
    fail(scope, {
      prop,
      received: `none, for array job ${job.node.path}`,
      allowed: `the number of children (${MIN_ARRAY_SIZE}..${MAX_ARRAY_SIZE}), fixed or read from the state`,
      fix: "set arraySize: 100, or arraySizePath: '$.item.chunks'",
    });
  }
  if (!job.arrayJob && given) {
    fail(scope, {
      prop,
      received: `${arraySize ?? arraySizePath}, for job ${job.node.path}, which is not an array job`,
      allowed: 'arraySize only for jobs created with arrayJob: true',
      fix: 'create the job with arrayJob: true, or remove arraySize',
    });
  }
  if (arraySize !== undefined && arraySizePath !== undefined) {
    fail(scope, {
      prop,
      received: `both arraySize ${arraySize} and arraySizePath '${arraySizePath}'`,
      allowed: 'one of them',
      fix: 'keep the one that says where the size comes from',
    });
  }
  if (
    arraySize !== undefined &&
    (!Number.isInteger(arraySize) || arraySize < MIN_ARRAY_SIZE || arraySize > MAX_ARRAY_SIZE)
  ) {
    fail(scope, {
      prop,
      received: `${arraySize}`,
      allowed: `a whole number from ${MIN_ARRAY_SIZE} to ${MAX_ARRAY_SIZE}`,
      fix: `use a size in that range, or several steps for more than ${MAX_ARRAY_SIZE} children`,
    });
  }
  if (arraySizePath !== undefined) {
    checkPath(scope, `steps['${step.name}'].arraySizePath`, arraySizePath);
  }
}

function resolveParameters(scope: Construct, step: WorkflowStep): Record<string, string> {
  const job = step._options.job;
  const given = step._options.parameters ?? {};
  for (const [name, path] of Object.entries(given)) {
    if (!job.parameterNames.includes(name)) {
      const meant = didYouMean(name, job.parameterNames);
      fail(scope, {
        prop: `steps['${step.name}'].parameters.${name}`,
        received: `'${name}', which job ${job.node.path} does not use`,
        allowed: `the job's Ref:: parameters: ${job.parameterNames.join(', ') || 'none'}`,
        fix: meant
          ? `did you mean \`${meant}\` (the job's Ref::${meant})? \`parameters: { ${meant}: ${tsString(path)} }\``
          : `use Ref::${name} in the job's command, or remove it`,
      });
    }
    checkPath(scope, `steps['${step.name}'].parameters.${name}`, path);
  }
  const out: Record<string, string> = {};
  for (const name of job.parameterNames) {
    if (given[name]) {
      out[name] = given[name];
    } else if (step.forEach?.itemFields.includes(name)) {
      out[name] = `$.item.${name}`;
    } else if (!step.forEach && !(name in job.parameterDefaults)) {
      out[name] = `$$.Execution.Input.${name}`;
    } else if (!(name in job.parameterDefaults)) {
      const field = didYouMean(name, step.forEach?.itemFields ?? []);
      fail(scope, {
        prop: `steps['${step.name}'].parameters`,
        received: `no value for Ref::${name} of job ${job.node.path}`,
        allowed: `parameters filled by the step, by an item field (${step.forEach?.itemFields.join(', ')}), or by a job default`,
        fix: field
          ? `did you mean \`Ref::${field}\` (the items' field ${field})? Use it in the job's command, or map ` +
            `the name the command uses: \`parameters: { ${name}: '$.item.${field}' }\``
          : `map it, e.g. parameters: { ${name}: '$.item.${name}' }, or add '${name}' to the fan-out's itemFields`,
      });
    }
  }
  return out;
}

function resolveEnvironment(scope: Construct, step: WorkflowStep): Record<string, string> {
  const env = { ...(step._options.environment ?? {}) };
  for (const [name, path] of Object.entries(env)) {
    if (name.startsWith(RESERVED_ENV_PREFIX)) {
      fail(scope, {
        prop: `steps['${step.name}'].environment.${name}`,
        received: `'${name}'`,
        allowed: `names not starting with ${RESERVED_ENV_PREFIX} (reserved by Batch)`,
        fix: 'rename the variable',
      });
    }
    checkPath(scope, `steps['${step.name}'].environment.${name}`, path);
  }
  return env;
}
