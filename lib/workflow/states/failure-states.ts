import { Lazy } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { C } from '../asl/conditions';
import { FanOut } from '../step';
import {
  BATCH_API_ERRORS,
  CAPACITY_CANCELLED_REASON_PATTERN,
  FARGATE_SPOT_REASON_PATTERN,
  JOB_TIMEOUT_REASON_PATTERN,
  OUT_OF_MEMORY_REASON_PATTERN,
  SPOT_RECLAIM_REASON_PATTERN,
  SPOT_WAIT_REASON_PATTERN,
} from '../../private/limits';
import { BUDGET_STOP_CAUSE_PATTERN, budgetStopReason } from '../../contract/budget-stop';
import { FailureKind, OutcomeStatus } from '../../contract/outcome';
import { PipelineTag } from '../../core/pipeline-tag';
import { ATTEMPT_FIELDS, OUTCOME_FIELDS, STEP_STATE_KEYS } from '../../contract/run-state';

/**
 * The states a group of steps shares for failure handling: the top level, each parallel branch and each fan-out item
 * have their own (a state belongs to exactly one of them). Shared states keep a step to two states of its own, which
 * is what lets a long pipeline fit in one definition.
 *
 * Every failure ends as one outcome record and a Fail state named `<step>.<kind>` whose cause is that record as
 * JSON. Nothing on the way can raise `States.Runtime` (which no Catch handles): every path read is guarded by a
 * Choice or backed by a default, and the job description is parsed only when the error is `States.TaskFailed` with a
 * JSON cause, which is what the `.sync` integration reports for a failed job.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export class FailureScope {
  private jobFailure?: sfn.Choice;
  private apiFailure?: sfn.Pass;
  private budgetStop?: sfn.Pass;
  private classified?: sfn.Choice;
  private record?: sfn.Pass;
  private escalate?: sfn.Choice;
  private router?: sfn.Choice;
  private onDemand?: sfn.Pass;
  private carry?: sfn.Choice;
  private errorRouter?: sfn.Choice;
  private ladder?: sfn.Pass;

  private afterRead?: sfn.Pass;

  constructor(
    private readonly states: Construct,
    private readonly label: string,
    /** Every scope of the workflow, so that `finishAll` can link them once all steps are built. */
    private readonly registry: FailureScope[],
    /** The fan-out whose items these steps run for, if any: its records carry the item's index and id. */
    public readonly fanOut?: FanOut,
  ) {
    registry.push(this);
  }

  /** Links each scope's job reader to its escalation choice (when a step of the scope escalates) or its classifier. */
  public static finishAll(registry: FailureScope[]): void {
    for (const scope of registry) {
      scope.afterRead?.next(scope.escalate ? scope.ladder!.next(scope.escalate) : scope.classify());
    }
  }

  /** The scope of a parallel branch inside this one. */
  public branch(name: string): FailureScope {
    return new FailureScope(this.states, `${this.label}${name} branch: `, this.registry, this.fanOut);
  }

  /**
   * Routes the submit state's failures: Batch API errors (after the state's own retries) to a SubmitFailed record,
   * everything else to the job-failure reader (and escalation, where the step escalates).
   */
  public handle(submit: sfn.CustomState | sfn.Parallel, escalates: boolean): void {
    if (escalates) {
      this.escalation();
    }
    // One catcher per step, routed by a Choice the scope shares: two catchers on every step cost ~140 bytes of
    // template each, which is what keeps a long pipeline in one stack. The error name is always present in a
    // catcher's output, so the Choice reads no missing path.
    submit.addCatch(this.routeError(), { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  }

  /** Where a step's caught error (in `$.error`) goes: see `routeError`. */
  public routeErrors(): sfn.Choice {
    return this.routeError();
  }

  private routeError(): sfn.Choice {
    const cause = '$.error.Cause';
    // A refusal by the pipeline's budget stop is known by its cause (IAM's message names the deny policy), whatever
    // name the error arrives under; other Batch API errors are submit failures.
    this.errorRouter ??= new sfn.Choice(this.states, this.name('which error?'))
      .when(
        C.and(C.isPresent(cause), C.isString(cause), C.stringMatches(cause, BUDGET_STOP_CAUSE_PATTERN)),
        this.budgetStopped(),
      )
      .when(C.or(...BATCH_API_ERRORS.map((e) => C.stringEquals('$.error.Error', e))), this.submitFailed())
      .otherwise(this.readJob());
    return this.errorRouter;
  }

  /** Makes the rerun router send `step`'s escalated attempts back to its submit state. */
  public resubmitTo(step: string, submit: sfn.State): void {
    this.escalation();
    this.router!.when(C.stringEquals('$.attempt.step', step), submit);
  }

  /**
   * Where a step that escalates from Spot to On-Demand is entered (after its attempt record is written): when an
   * earlier step of the item already lost its Spot capacity (`$.spotLost`), the attempt goes On-Demand at once, so
   * an item does not start each step on Spot again while Spot is being reclaimed or is short; otherwise on to the
   * step's submit state. Both go through the rerun router (the step must be registered with `resubmitTo`).
   */
  public spotEntry(): sfn.Choice {
    this.escalation();
    // Made only here: a state linked to the graph is rendered, used or not. It keeps `$.spotLost` (the step and reason
    // the item lost Spot for, which its outcome reports).
    if (!this.onDemand) {
      this.onDemand = new sfn.Pass(this.states, this.name('stay On-Demand'), {
        parameters: {
          ...Object.fromEntries(ATTEMPT_FIELDS.filter((f) => f !== 'queue').map((f) => [`${f}.$`, `$.attempt.${f}`])),
          'queue.$': '$.attempt.onDemand',
        },
        resultPath: '$.attempt',
      });
      this.onDemand.next(this.router!);
    }
    this.carry ??= new sfn.Choice(this.states, this.name('Spot lost?'))
      .when(C.isPresent(`$.${STEP_STATE_KEYS.spotLost}`), this.onDemand, {
        comment: 'An earlier step lost its Spot capacity: start this one On-Demand',
      })
      .otherwise(this.router!);
    return this.carry;
  }

  private name(s: string): string {
    return `${this.label}${s}`;
  }

  /**
   * Reads a caught error. A failed job (`States.TaskFailed` with the job description as JSON cause) is parsed into
   * `$.failure.job` and `$.failure.container`, each merged over defaults so that absent fields (no exit code after a
   * Spot reclaim, no status reason) read as empty instead of failing the path.
   */
  private readJob(): sfn.Choice {
    if (!this.jobFailure) {
      const parse = new sfn.Pass(this.states, this.name('read job'), {
        parameters: {
          'parsed.$': 'States.StringToJson($.error.Cause)',
          base: { JobId: '', StatusReason: '', Attempts: [], Container: {} },
          // aws-cdk-lib drops a literal null from Parameters: the intrinsic gives one.
          containerBase: { 'ExitCode.$': "States.StringToJson('null')", Reason: '', LogStreamName: '' },
        },
        resultPath: '$.failure',
      });
      const merge = new sfn.Pass(this.states, this.name('read job fields'), {
        parameters: {
          'job.$': 'States.JsonMerge($.failure.base, $.failure.parsed, false)',
          'containerBase.$': '$.failure.containerBase',
        },
        resultPath: '$.failure',
      });
      const container = new sfn.Pass(this.states, this.name('read container'), {
        parameters: {
          'job.$': '$.failure.job',
          'container.$': 'States.JsonMerge($.failure.containerBase, $.failure.job.Container, false)',
          'attempts.$': 'States.ArrayLength($.failure.job.Attempts)',
        },
        resultPath: '$.failure',
      });
      parse.next(merge).next(container);
      this.afterRead = container;
      this.jobFailure = new sfn.Choice(this.states, this.name('job failed?'))
        .when(
          C.and(
            C.stringEquals('$.error.Error', 'States.TaskFailed'),
            C.isPresent('$.error.Cause'),
            C.isString('$.error.Cause'),
            C.stringMatches('$.error.Cause', '{*}'),
          ),
          parse,
          {
            comment:
              'The .sync integration reports a failed job as States.TaskFailed with its description as cause; a cause is at most 32,768 characters, so one cut short (not a whole object) is recorded as it is',
          },
        )
        .otherwise(this.otherError());
    }
    return this.jobFailure;
  }

  /** A record for an error that is not a failed job and not a Batch API error: its name and cause as they are. */
  private otherError(): sfn.Choice {
    const withCause = this.failureOf(
      'other error',
      FailureKind.WORKFLOW_ERROR,
      "States.Format('{}: {}', $.error.Error, $.error.Cause)",
    );
    const bare = this.failureOf(
      'other error without cause',
      FailureKind.WORKFLOW_ERROR,
      "States.Format('{}', $.error.Error)",
    );
    return new sfn.Choice(this.states, this.name('error has a cause?'))
      .when(C.and(C.isPresent('$.error.Cause'), C.isString('$.error.Cause')), withCause)
      .otherwise(bare);
  }

  /** Batch refused the job: a client error, or throttling and server errors that outlasted the retries. */
  private submitFailed(): sfn.Pass {
    this.apiFailure ??= this.failureOf(
      'submit failed',
      FailureKind.SUBMIT_FAILED,
      "States.Format('Batch did not accept the job ({}): {}', $.error.Error, $.error.Cause)",
    );
    return this.apiFailure;
  }

  /** The pipeline's budget stop (PipelineBudget's deny policy) refused the job: the reason says how to lift it. */
  private budgetStopped(): sfn.Pass {
    // Read when the template is written: PipelineTag.set may name the pipeline after the workflow is built.
    const reason = Lazy.string({ produce: () => budgetStopReason(PipelineTag.of(this.states).value) });
    this.budgetStop ??= this.failureOf('stopped by the budget', FailureKind.BUDGET_STOPPED, undefined, reason);
    return this.budgetStop;
  }

  /**
   * A failure without a job description: `$.failure` gets the same shape as a parsed one, with empty job fields. The
   * reason is an intrinsic over the state (`reason`), or a text (`text`).
   */
  private failureOf(name: string, kind: FailureKind, reason: string | undefined, text?: string): sfn.Pass {
    const pass = new sfn.Pass(this.states, this.name(name), {
      parameters: {
        job: { JobId: '', StatusReason: '' },
        container: { 'ExitCode.$': "States.StringToJson('null')", Reason: '', LogStreamName: '' },
        attempts: 0,
        why: reason === undefined ? { kind, reason: text } : { kind, 'reason.$': reason },
      },
      resultPath: '$.failure',
    });
    pass.next(this.recordFailure());
    return pass;
  }

  /** Names the kind of a job failure in words a person can act on. */
  private classify(): sfn.Choice {
    if (!this.classified) {
      const why = (name: string, kind: FailureKind, reason: string) => {
        const pass = new sfn.Pass(this.states, this.name(name), {
          parameters: { kind, 'reason.$': reason },
          resultPath: '$.failure.why',
        });
        pass.next(this.recordFailure());
        return pass;
      };
      this.classified = new sfn.Choice(this.states, this.name('why did it fail?'))
        .when(
          C.or(
            C.stringMatches('$.failure.container.Reason', OUT_OF_MEMORY_REASON_PATTERN),
            C.stringMatches('$.failure.job.StatusReason', OUT_OF_MEMORY_REASON_PATTERN),
          ),
          why(
            'out of memory',
            FailureKind.OUT_OF_MEMORY,
            "States.Format('ran out of memory at {} MiB, its last memory level ({}); raise the job memory or the step memoryEscalation ceiling, then rerun', $.attempt.memory, $.failure.container.Reason)",
          ),
        )
        .when(
          C.or(
            C.stringMatches('$.failure.job.StatusReason', SPOT_RECLAIM_REASON_PATTERN),
            C.stringMatches('$.failure.job.StatusReason', FARGATE_SPOT_REASON_PATTERN),
          ),
          why(
            'spot interrupted',
            FailureKind.SPOT_INTERRUPTED,
            "States.Format('lost its Spot capacity on every attempt ({}); rerun it, or bind the job to an On-Demand queue so the step escalates', $.failure.job.StatusReason)",
          ),
        )
        .when(
          C.stringMatches('$.failure.job.StatusReason', CAPACITY_CANCELLED_REASON_PATTERN),
          why(
            'no capacity',
            FailureKind.JOB_FAILED,
            "States.Format('waited in RUNNABLE until its queue cancelled it for want of instance capacity ({}); rerun it when capacity returns, or bind the job to an On-Demand queue so the step escalates', $.failure.job.StatusReason)",
          ),
        )
        .when(
          C.stringMatches('$.failure.job.StatusReason', JOB_TIMEOUT_REASON_PATTERN),
          why(
            'timed out',
            FailureKind.TIMED_OUT,
            "States.Format('ran past the job timeout ({}); raise the job timeout or split the work, then rerun', $.failure.job.StatusReason)",
          ),
        )
        .when(
          C.and(C.isNumeric('$.failure.container.ExitCode'), C.not(C.numberEquals('$.failure.container.ExitCode', 0))),
          why(
            'application error',
            FailureKind.APPLICATION_ERROR,
            "States.Format('the container exited with code {}; its output is in log stream {}', $.failure.container.ExitCode, $.failure.container.LogStreamName)",
          ),
        )
        .otherwise(
          why(
            'job failed',
            FailureKind.JOB_FAILED,
            "States.Format('Batch ended the job: {} {}', $.failure.job.StatusReason, $.failure.container.Reason)",
          ),
        );
    }
    return this.classified;
  }

  /**
   * The outcome record of the failed step (`$.outcome`), then a Fail state named `<step>.<kind>` with the record as
   * its cause: at the top level that fails the execution; inside an item, the item's wrapper turns it into the item's
   * outcome.
   */
  private recordFailure(): sfn.Pass {
    if (!this.record) {
      const f = this.fanOut;
      this.record = new sfn.Pass(this.states, this.name('record failure'), {
        parameters: {
          ...(f ? { 'index.$': '$.index', [`${OUTCOME_FIELDS.id}.$`]: `$.item.${f.idField}` } : {}),
          status: OutcomeStatus.FAILED,
          'step.$': '$.attempt.step',
          'error.$': "States.Format('{}.{}', $.attempt.step, $.failure.why.kind)",
          'kind.$': '$.failure.why.kind',
          'reason.$': '$.failure.why.reason',
          'exitCode.$': '$.failure.container.ExitCode',
          'containerReason.$': '$.failure.container.Reason',
          'statusReason.$': '$.failure.job.StatusReason',
          'logStream.$': '$.failure.container.LogStreamName',
          'jobId.$': '$.failure.job.JobId',
          'attempts.$': '$.failure.attempts',
          'queue.$': '$.attempt.queue',
          'memoryMiB.$': 'States.StringToJson($.attempt.memory)',
        },
        resultPath: '$.outcome',
      });
      const asCause = new sfn.Pass(this.states, this.name('step failed'), {
        parameters: { 'error.$': '$.outcome.error', 'cause.$': 'States.JsonToString($.outcome)' },
        resultPath: '$.failed',
      });
      this.record.next(asCause).next(
        new sfn.Fail(this.states, this.name('fail step'), {
          errorPath: '$.failed.error',
          causePath: '$.failed.cause',
        }),
      );
    }
    return this.record;
  }

  /**
   * Where a job failure of an escalating step goes: after Spot interruptions, On-Demand with the same memory; after
   * an out-of-memory kill, the next memory level; otherwise the failure is classified and recorded.
   */
  private escalation(): sfn.Choice {
    if (!this.escalate) {
      this.readJob();
      // The attempt record with some fields changed (a Pass state replaces the whole record).
      const copy = (overrides: Record<string, unknown>) => {
        const changed = Object.keys(overrides).map((k) => k.replace(/\.\$$/, ''));
        return {
          ...Object.fromEntries(
            ATTEMPT_FIELDS.filter((f) => !changed.includes(f)).map((f) => [`${f}.$`, `$.attempt.${f}`]),
          ),
          ...overrides,
        };
      };
      const onDemandQueue = new sfn.Pass(this.states, this.name('run On-Demand'), {
        parameters: copy({ 'queue.$': '$.attempt.onDemand' }),
        resultPath: '$.attempt',
      });
      // Later steps of the item start On-Demand (see spotEntry).
      const remember = new sfn.Pass(this.states, this.name('remember Spot lost'), {
        parameters: { 'step.$': '$.attempt.step', 'reason.$': '$.failure.job.StatusReason' },
        resultPath: `$.${STEP_STATE_KEYS.spotLost}`,
      });
      const moreMemory = new sfn.Pass(this.states, this.name('add memory'), {
        parameters: copy({
          'level.$': '$.failure.ladder.next',
          'memory.$': 'States.ArrayGetItem($.attempt.levels, $.failure.ladder.next)',
        }),
        resultPath: '$.attempt',
      });
      // Out-of-memory is read from the container's reason, where Batch reports it, not from the exit code: 137 also
      // ends timed-out jobs, and out-of-memory kills were seen with other codes. Every step's attempt record (its plan
      // state's, or the one the step before it handed over) has all attempt fields (a step without escalation: its
      // own queue as On-Demand, one memory level), so no path here can be missing.
      // Where the attempt is on its memory ladder, computed here once for every step of the scope rather than
      // written into each step's attempt record (Choice rules cannot call intrinsics).
      this.ladder = new sfn.Pass(this.states, this.name('memory ladder'), {
        parameters: {
          'next.$': 'States.MathAdd($.attempt.level, 1)',
          'levels.$': 'States.ArrayLength($.attempt.levels)',
        },
        resultPath: '$.failure.ladder',
      });
      const oom = C.and(
        C.numberLessThanJsonPath('$.failure.ladder.next', '$.failure.ladder.levels'),
        C.or(
          C.stringMatches('$.failure.container.Reason', OUT_OF_MEMORY_REASON_PATTERN),
          C.stringMatches('$.failure.job.StatusReason', OUT_OF_MEMORY_REASON_PATTERN),
        ),
      );
      // Spot interruptions used up the job's retries, or the queue cancelled the job after it waited for instance
      // capacity longer than its cancelOnInsufficientCapacityAfter (a Spot drought).
      const spotLost = C.and(
        C.not(C.stringEqualsJsonPath('$.attempt.queue', '$.attempt.onDemand')),
        C.or(
          C.stringMatches('$.failure.job.StatusReason', SPOT_RECLAIM_REASON_PATTERN),
          C.stringMatches('$.failure.job.StatusReason', FARGATE_SPOT_REASON_PATTERN),
          C.stringMatches('$.failure.job.StatusReason', CAPACITY_CANCELLED_REASON_PATTERN),
          C.stringMatches('$.failure.job.StatusReason', SPOT_WAIT_REASON_PATTERN),
        ),
      );
      this.escalate = new sfn.Choice(this.states, this.name('escalate?'))
        .when(spotLost, onDemandQueue, {
          comment: 'Spot interruptions used up the retries, or no capacity came in time: run On-Demand',
        })
        .when(oom, moreMemory, { comment: 'Out of memory: run again with more memory' })
        .otherwise(this.classify());
      this.router = new sfn.Choice(this.states, this.name('rerun the step'));
      onDemandQueue.next(remember).next(this.router);
      moreMemory.next(this.router);
      this.router.otherwise(this.classify());
    }
    return this.jobFailure!;
  }
}
