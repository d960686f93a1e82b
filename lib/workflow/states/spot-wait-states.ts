import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { C } from '../asl/conditions';
import { Substitutions } from '../asl/substitutions';
import { SpotWaitPlan } from '../plan/spot-wait';
import { spotWaitReason } from '../../private/limits';

/**
 * The error the watched branch ends with when the step's job succeeded: a Parallel state stops its other branches
 * only when one fails, and the watcher would otherwise hold the item until its next look. The Parallel catches it
 * and goes on as after a plain submit.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html (Parallel state and error handling)
 */
export const SPOT_WATCH_DONE_ERROR = 'Workflow.SpotWatchDone';

/**
 * The error the watched branch ends with when the submit failed: the submit's own error (`States.TaskFailed` and the
 * job's description, or a Batch API error) as JSON in the cause, unwrapped after the Parallel for the step's failure
 * states. A branch ending in its own error name, not a `States.*` one, is what every Parallel of the workflow does
 * (moto 5.2.1's interpreter fails an item on a `States.TaskFailed` leaving a Parallel branch:
 * "Custom Error Names MUST NOT begin with the prefix 'States.'").
 */
export const SPOT_ATTEMPT_FAILED_ERROR = 'Workflow.SpotAttemptFailed';

/**
 * The error the watched branch ends with when the job failed (`States.TaskFailed`): its cause, the job's description,
 * passed on as it is (wrapping it in JSON again would escape every quote and could pass the 32,768-character limit
 * of a cause, https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html).
 */
export const SPOT_JOB_FAILED_ERROR = 'Workflow.SpotJobFailed';

/**
 * A Pass state after a step's job succeeded that, like the submit state, hands the next step its attempt record
 * when another step follows directly.
 */
export class HandOverPass extends sfn.Pass {
  private nextAttempt?: object;

  public handOver(attempt: object): void {
    this.nextAttempt = attempt;
  }

  public override toStateJson(...args: Parameters<sfn.Pass['toStateJson']>): object {
    const json = super.toStateJson(...args);
    return this.nextAttempt ? { ...json, Result: this.nextAttempt, ResultPath: '$.attempt' } : json;
  }
}

export interface SpotWatch {
  /** Where the step's attempts are sent: Spot attempts to the watched submit, the others to the plain one. */
  readonly dispatch: sfn.Choice;
  /** The Parallel of the watched submit and its watcher; its Catch routes the job's failures. */
  readonly watched: sfn.Parallel;
  /** Where a watched attempt's success goes on (the step's second end). */
  readonly succeeded: HandOverPass;
  /**
   * Where the Parallel's Catch of SPOT_ATTEMPT_FAILED_ERROR goes (`start`), and the state that leaves `$.error` as the
   * submit's own error and cause (`end`), to be followed by the step's failure states.
   */
  readonly unwrap: { readonly start: sfn.Pass; readonly end: sfn.Pass };
  /** Where the Parallel's Catch of SPOT_JOB_FAILED_ERROR goes: `$.error` back to States.TaskFailed and the job. */
  readonly jobFailed: sfn.Pass;
}

/**
 * A step's Spot attempt with a bound on its wait for capacity (`spotWaitLimit`): a Parallel of the `.sync` submit and
 * a watcher. Every `spotWaitLimit` the watcher lists the step's job by name (ListJobs with a JOB_NAME filter returns
 * the queue's jobs of that name in any status, most recent first: the current attempt). While it is RUNNABLE, it
 * counts the queue's RUNNING jobs: a queue running at least `busyAt` jobs is full and the job waits its turn;
 * otherwise Spot is short and the watcher cancels the job with the Spot-wait reason, which the submit's failure
 * carries to the step's escalation (On-Demand). A job that started, or that the watcher cannot look at (a Batch error
 * after retries), ends the watch: the job then waits as without a limit.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html (filters, JOB_NAME)
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_CancelJob.html
 */
export function spotWatch(
  states: Construct,
  substitutions: Substitutions,
  step: string,
  wait: SpotWaitPlan,
  submit: sfn.CustomState,
  jobName: string,
  /** Where the submit put the job id, for the step cache's record (carried as the Fail's cause). */
  jobIdPath?: string,
): SpotWatch {
  const stop = new sfn.Succeed(states, `${step}: stop watching`);
  const sdk = (id: string, action: string, parameters: object, resultSelector?: object, resultPath?: string | null) => {
    const task = new sfn.CustomState(states, id, {
      stateJson: {
        Type: 'Task',
        Resource: substitutions.integration(`aws-sdk:batch:${action}`, `Batch_${action}`),
        Parameters: parameters,
        ...(resultSelector ? { ResultSelector: resultSelector } : {}),
        ResultPath: resultPath === undefined ? null : resultPath,
      },
    });
    // Throttling and transient errors, patiently; then the watch ends and the job waits as without a limit.
    task.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 5, jitterStrategy: sfn.JitterType.FULL });
    task.addCatch(stop, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    return task;
  };
  const look = new sfn.Wait(states, `${step}: wait for Spot`, {
    time: sfn.WaitTime.duration(Duration.seconds(wait.seconds)),
  });
  const job = sdk(
    `${step}: list the job`,
    'listJobs',
    { 'JobQueue.$': '$.attempt.queue', Filters: [{ Name: 'JOB_NAME', 'Values.$': `States.Array(${jobName})` }] },
    { 'jobs.$': '$.JobSummaryList' },
    '$.watch',
  );
  const running = sdk(
    `${step}: count running jobs`,
    'listJobs',
    { 'JobQueue.$': '$.attempt.queue', JobStatus: 'RUNNING', MaxResults: wait.busyAt },
    { 'running.$': 'States.ArrayLength($.JobSummaryList)' },
    '$.watch.count',
  );
  const cancel = sdk(`${step}: cancel for On-Demand`, 'cancelJob', {
    'JobId.$': '$.watch.jobs[0].JobId',
    Reason: spotWaitReason(wait.text),
  });
  look.next(job);
  job.next(
    new sfn.Choice(states, `${step}: still RUNNABLE?`)
      .when(C.and(C.isPresent('$.watch.jobs[0].Status'), C.stringEquals('$.watch.jobs[0].Status', 'RUNNABLE')), running)
      .otherwise(stop),
  );
  running.next(
    new sfn.Choice(states, `${step}: queue full?`)
      .when(C.numberGreaterThanEquals('$.watch.count.running', wait.busyAt), look, {
        comment: 'The Spot capacity is busy, not short: the job waits its turn',
      })
      .otherwise(cancel),
  );
  cancel.next(stop);

  const done = new sfn.Fail(states, `${step}: job done`, {
    error: SPOT_WATCH_DONE_ERROR,
    ...(jobIdPath ? { causePath: jobIdPath } : { cause: 'The job succeeded: the watch ends' }),
  });
  // A failed job (States.TaskFailed, its description as cause, up to 32,768 characters) leaves the branch with its
  // cause as it is, under an error name of the workflow's; a Batch API error (a short cause) as JSON of the whole.
  const wrap = new sfn.Pass(states, `${step}: Spot attempt failed`, {
    parameters: { 'cause.$': 'States.JsonToString($.error)' },
    resultPath: '$.error',
  });
  wrap.next(
    new sfn.Fail(states, `${step}: end the watch`, { error: SPOT_ATTEMPT_FAILED_ERROR, causePath: '$.error.cause' }),
  );
  const failedOn = new sfn.Choice(states, `${step}: job failed on Spot?`)
    .when(
      C.and(
        C.stringEquals('$.error.Error', 'States.TaskFailed'),
        C.isPresent('$.error.Cause'),
        C.isString('$.error.Cause'),
      ),
      new sfn.Fail(states, `${step}: end the watch, job failed`, {
        error: SPOT_JOB_FAILED_ERROR,
        causePath: '$.error.Cause',
      }),
    )
    .otherwise(wrap);
  submit.addCatch(failedOn, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  // After the Parallel's Catch ({ Error, Cause } in $.error): the job's failure as the .sync task reports it, or the
  // API error read back from its JSON.
  const jobFailed = new sfn.Pass(states, `${step}: the Spot job's failure`, {
    parameters: { Error: 'States.TaskFailed', 'Cause.$': '$.error.Cause' },
    resultPath: '$.error',
  });
  const unwrapped = new sfn.Pass(states, `${step}: read the Spot attempt's error`, {
    parameters: { 'inner.$': 'States.StringToJson($.error.Cause)' },
    resultPath: '$.error',
  });
  const error = new sfn.Pass(states, `${step}: the Spot attempt's error`, {
    inputPath: '$.error.inner',
    resultPath: '$.error',
  });
  unwrapped.next(error);
  const watched = new sfn.Parallel(states, `${step}: on Spot, watched`, { resultPath: sfn.JsonPath.DISCARD });
  watched.branch(sfn.Chain.start(submit).next(done));
  watched.branch(look);
  // The caller adds the Catch of SPOT_WATCH_DONE_ERROR (to `succeeded`) before the step's catch-all.
  const succeeded = new HandOverPass(states, `${step}: succeeded`);
  // Never reached (the submit branch always ends in a failure), but a Parallel state needs a next state.
  watched.next(succeeded);
  const dispatch = new sfn.Choice(states, `${step}: on Spot?`);
  return { dispatch, watched, succeeded, unwrap: { start: unwrapped, end: error }, jobFailed };
}
