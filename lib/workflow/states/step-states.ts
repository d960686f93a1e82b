import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FailureScope } from './failure-states';
import { CACHE_JOB_ID_RESULT, StepCacheContext, withCache } from './cache-states';
import { SPOT_ATTEMPT_FAILED_ERROR, SPOT_JOB_FAILED_ERROR, SPOT_WATCH_DONE_ERROR, spotWatch } from './spot-wait-states';
import { C } from '../asl/conditions';
import { Fragment } from '../asl/fragment';
import { Substitutions } from '../asl/substitutions';
import { StepPlan } from '../plan/step-plan';
import {
  BATCH_API_RETRYABLE_ERRORS,
  SUBMIT_RETRY_MAX_ATTEMPTS,
  SUBMIT_RETRY_MAX_DELAY_SECONDS,
} from '../../private/limits';
import { CHECKPOINT_ENV, RUN_TAG, WORKFLOW_JOB_PARAMETER } from '../../contract/job-env';
import { AttemptRecord, STEP_STATE_KEYS } from '../../contract/run-state';

/**
 * The workflow's job parameter (WORKFLOW_JOB_PARAMETER): its path kept to what a tag value allows, at most 256
 * letters, digits, spaces and + - = . _ : / @, as it was one. https://docs.aws.amazon.com/batch/latest/APIReference/API_TagResource.html
 * Every submit state repeats it: as a substitution it is written once in the template (a few bytes a step instead of
 * the path's length), and CloudFormation fills it in.
 */
export function workflowPathOf(workflow: Construct, s: Substitutions): string {
  return s.of(workflow.node.path.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256), 'Wf');
}

/** What the step builder needs from the workflow beyond the step's plan. */
export interface StepContext {
  readonly states: Construct;
  readonly substitutions: Substitutions;
  /** The value of the workflow's job parameter on every job it submits (its construct path, at most 256 characters). */
  readonly workflowPath: string;
}

/**
 * One step: a plan state that records the attempt in `$.attempt` (step, queue, On-Demand queue, memory ladder), then
 * a `.sync` submit of the step's job. A step that escalates submits to the queue and memory in `$.attempt`, which the
 * scope's shared escalation states update before sending the attempt back to this submit state; any other failure is
 * recorded as the step's outcome by the scope's shared failure states.
 */
export function buildStep(
  plan: StepPlan,
  scope: FailureScope,
  ctx: StepContext,
  escalates: boolean,
  cache?: StepCacheContext,
): Fragment {
  const frag = buildStepStates(plan, scope, ctx, escalates, cache?.cached ?? false);
  return cache ? withCache(frag, plan, cache) : frag;
}

function buildStepStates(
  plan: StepPlan,
  scope: FailureScope,
  ctx: StepContext,
  escalates: boolean,
  recordsJob: boolean,
): Fragment {
  const step = plan.step;
  const s = ctx.substitutions;
  const levels = plan.memoryLevelsMiB;
  const queue = s.of(plan.queue.jobQueueArn, plan.queue.node.id);
  const onDemand = plan.onDemandQueue ? s.of(plan.onDemandQueue.jobQueueArn, plan.onDemandQueue.node.id) : queue;
  // Every attempt field is present for every step, so the shared failure states never read a missing path.
  const record = {
    step: step.name,
    queue,
    // The same queue when there is no Spot escalation: "run On-Demand" is then never chosen.
    onDemand,
    memory: `${levels[0]}`,
    levels: levels.map((l) => `${l}`),
    level: 0,
  } satisfies AttemptRecord;
  const { stateJson: json, jobName } = submitJson(plan, ctx, escalates);
  // A cached step keeps its job's id for the cache's record, as `Cause` so that a watched attempt's, carried as its
  // Fail state's cause to the Parallel's Catch, is read from the same path.
  const stateJson = recordsJob
    ? { ...json, ResultSelector: { 'Cause.$': '$.JobId' }, ResultPath: CACHE_JOB_ID_RESULT }
    : json;
  const submit = new SubmitState(ctx.states, step.name, { stateJson });
  addSubmitRetry(submit);
  scope.handle(submit, escalates);
  // With a Spot wait limit, Spot attempts go to a watched copy of the submit state (spot-wait-states.ts).
  const watch = plan.spotWait
    ? spotWatch(
        ctx.states,
        s,
        step.name,
        plan.spotWait,
        watchedSubmit(ctx, step.name, stateJson),
        jobName,
        recordsJob ? `${CACHE_JOB_ID_RESULT}.Cause` : undefined,
      )
    : undefined;
  if (watch) {
    watch.dispatch
      .when(C.not(C.stringEqualsJsonPath('$.attempt.queue', '$.attempt.onDemand')), watch.watched)
      .otherwise(submit);
    watch.watched.addCatch(watch.succeeded, {
      errors: [SPOT_WATCH_DONE_ERROR],
      resultPath: recordsJob ? CACHE_JOB_ID_RESULT : sfn.JsonPath.DISCARD,
    });
    watch.watched.addCatch(watch.jobFailed, { errors: [SPOT_JOB_FAILED_ERROR], resultPath: '$.error' });
    watch.watched.addCatch(watch.unwrap.start, { errors: [SPOT_ATTEMPT_FAILED_ERROR], resultPath: '$.error' });
    watch.jobFailed.next(scope.routeErrors());
    watch.unwrap.end.next(scope.routeErrors());
    scope.handle(watch.watched, true);
  }
  if (escalates) {
    scope.resubmitTo(step.name, watch?.dispatch ?? submit);
  }
  // A step that escalates from Spot starts On-Demand when an earlier step of the item already lost its Spot capacity.
  const enter = escalates && plan.onDemandQueue ? scope.spotEntry() : submit;
  // The plan state is made only when something enters the step through it: CDK renders every state linked to the
  // graph, so one made and then bypassed would still cost its bytes.
  let planState: sfn.Pass | undefined;
  return {
    get start(): sfn.State {
      if (!planState) {
        planState = new sfn.Pass(ctx.states, `${step.name}: plan`, {
          result: sfn.Result.fromObject(record),
          resultPath: `$.${STEP_STATE_KEYS.attempt}`,
        });
        planState.next(enter);
      }
      return planState;
    },
    ends: watch ? [submit, watch.succeeded] : [submit],
    entry: { attempt: record, submit, enter },
    handOver: (next) => {
      submit.handOver(next);
      watch?.succeeded.handOver(next);
    },
  };
}

/**
 * A step's submit state. When another step follows it directly, a successful job's result (which the state would
 * discard) is replaced by the next step's attempt record, so the next step needs no plan state: a Pass state a step
 * is ~250 bytes of template, which is what keeps a long pipeline in one stack. A failed job keeps this step's attempt,
 * as the failure states need it.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html (ResultSelector)
 */
class SubmitState extends sfn.CustomState {
  private nextAttempt?: object;

  public handOver(attempt: object): void {
    this.nextAttempt = attempt;
  }

  public override toStateJson(...args: Parameters<sfn.CustomState['toStateJson']>): object {
    const json = super.toStateJson(...args);
    return this.nextAttempt
      ? { ...json, ResultSelector: this.nextAttempt, ResultPath: `$.${STEP_STATE_KEYS.attempt}` }
      : json;
  }
}

/** The submit state's definition, and the expression of its job name. */
function submitJson(plan: StepPlan, ctx: StepContext, escalates: boolean): { stateJson: object; jobName: string } {
  const step = plan.step;
  const job = step._options.job;
  const s = ctx.substitutions;
  const fanOut = step.forEach;
  const environment = Object.entries({ ...plan.resultsEnvironment, ...plan.environment }).map(([k, path]) => ({
    Name: k,
    'Value.$': path,
  }));
  if (step._options.checkpoint) {
    const prefix = step._options.checkpoint.prefix ?? 'checkpoints/';
    const idPath = fanOut ? `$.item.${fanOut.idField}` : '$$.Execution.Name';
    const bucket = step._options.checkpoint.bucket;
    environment.push({
      Name: CHECKPOINT_ENV,
      'Value.$': `States.Format('s3://${s.of(bucket.bucketName, bucket.node.id)}/${prefix}{}/${step.name}/', ${idPath})`,
    });
  }
  const overrides: Record<string, unknown> = {};
  if (escalates && plan.memoryLevelsMiB.length > 1) {
    overrides.ResourceRequirements = [{ Type: 'MEMORY', 'Value.$': '$.attempt.memory' }];
  }
  if (environment.length > 0) {
    overrides.Environment = environment;
  }
  const parameters = Object.fromEntries(Object.entries(plan.parameters).map(([k, path]) => [`${k}.$`, path]));
  const share = step._options.shareIdentifier;
  // Job names say which run, step and item a job is (the console, `watch`, `cancel` and `diagnose` find them by the
  // run's prefix): `<execution name>-<step>-<item index>`. A Distributed Map's child execution has a name of its own,
  // so the run's name comes from the item selector. https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html
  const jobName = fanOut
    ? `States.Format('{}-${step.name}-{}', $.run, $.index)`
    : `States.Format('{}-${step.name}', $$.Execution.Name)`;
  // The submit state is named after the step: it is the step in the console's graph and history.
  // aws-stepfunctions-tasks' BatchSubmitJob grants SubmitJob on every job definition (job-definition/*); a custom
  // state lets the workflow grant exactly its own definitions and queues.
  const stateJson = {
    Type: 'Task',
    Resource: s.integration('batch:submitJob.sync', 'SubmitJobSync'),
    Parameters: {
      'JobName.$': jobName,
      JobDefinition: s.of(job.jobDefinitionArn, job.node.id),
      // The run's tag: `watch`/`cancel --run-id` tell this run's jobs from those of a run whose name it prefixes.
      // The run tag only: the workflow's mark is the job parameter below (Batch's events carry parameters, not tags),
      // and one mark a step keeps the definition small enough for a 400-step pipeline.
      Tags: { [`${RUN_TAG}.$`]: fanOut ? '$.run' : '$$.Execution.Name' },
      ...(escalates
        ? { 'JobQueue.$': '$.attempt.queue' }
        : { JobQueue: s.of(plan.queue.jobQueueArn, plan.queue.node.id) }),
      ...(share === undefined
        ? {}
        : share.startsWith('$')
          ? { 'ShareIdentifier.$': share }
          : { ShareIdentifier: share }),
      // Batch refuses a fair-share job without a scheduling priority (MIN_SCHEDULING_PRIORITY in limits.ts).
      ...(share === undefined ? {} : { SchedulingPriorityOverride: step._options.schedulingPriority ?? 0 }),
      ...(step._options.arraySize !== undefined ? { ArrayProperties: { Size: step._options.arraySize } } : {}),
      ...(step._options.arraySizePath !== undefined
        ? { ArrayProperties: { 'Size.$': step._options.arraySizePath } }
        : {}),
      // The workflow's mark, which Batch's job state change events carry (tags they do not): monitoring leaves the
      // job to the run's message (WORKFLOW_JOB_PARAMETER).
      Parameters: { ...parameters, [WORKFLOW_JOB_PARAMETER]: ctx.workflowPath },
      ...(Object.keys(overrides).length ? { ContainerOverrides: overrides } : {}),
      // No RetryStrategy here: one given at submit time replaces the job definition's retry rules.
    },
    ResultPath: null,
  };
  return { stateJson, jobName };
}

/** The Spot attempt's submit inside the watched Parallel: the same job, its failures caught by the Parallel. */
function watchedSubmit(ctx: StepContext, step: string, stateJson: object): sfn.CustomState {
  const state = new sfn.CustomState(ctx.states, `${step}: on Spot`, { stateJson: structuredClone(stateJson) });
  addSubmitRetry(state);
  return state;
}

function addSubmitRetry(state: sfn.CustomState): void {
  // Throttling and server errors of the Batch API, patiently (see SUBMIT_RETRY_MAX_ATTEMPTS): a throttling storm
  // delays samples instead of failing them. The interval and backoff rate are Step Functions' defaults (1 s, 2.0),
  // left out of the definition: every byte here is paid once a step. Client errors are not retried (a deleted queue
  // stays deleted).
  state.addRetry({
    errors: BATCH_API_RETRYABLE_ERRORS,
    maxAttempts: SUBMIT_RETRY_MAX_ATTEMPTS,
    maxDelay: Duration.seconds(SUBMIT_RETRY_MAX_DELAY_SECONDS),
    jitterStrategy: sfn.JitterType.FULL,
  });
}
