import { Aws, Lazy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { C } from '../asl/conditions';
import { FanOut } from '../step';
import { OutcomeStatus } from '../../contract/outcome';
import { fanOutPaths } from '../../contract/run-state';
import { acknowledgeWildcards } from '../../private/nag';
import { endedBadlyMessage, fanOutLine, RUN_SUBJECTS, RunPaths, succeededMessage } from './run-summary-text';

/*
 * The run's own summary: when monitoring asks for it (Workflow.notifyRunsTo), the workflow publishes its run's one
 * message itself, at its end, instead of leaving it to the Step Functions status-change event, which EventBridge
 * receives best effort (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html, "Delivery type:
 * Best effort"). The states are added once per workflow, at the top level of the definition, and only then.
 */

/** Where a run that fails keeps its error and cause (`Error`, `Cause`) until its summary is sent. */
export const RUN_FAILURE_KEY = 'runFailure';

/** The metric a run adds 1 to when its summary could not be published (after retries). */
export const RUN_SUMMARIES_UNSENT_METRIC = 'RunSummariesUnsent';

/** The dimension of that metric: the workflow's construct path. */
export const RUN_SUMMARIES_UNSENT_DIMENSION = 'Workflow';

/**
 * The errors no Catch can handle (`States.ALL` does not match them): a run failing with one of them ends without
 * its summary, and only the status-change event can tell.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export const UNCATCHABLE_ERRORS = ['States.Runtime', 'States.DataLimitExceeded'];

/** What the run-summary states need. */
export interface RunSummaryOptions {
  readonly topic: sns.ITopic;
  /** Send a message when every item succeeded, too. */
  readonly notifyRunSucceeded: boolean;
  /** The workflow's fan-outs, in any order: one line of the message each. */
  readonly fanOuts: FanOut[];
  /** The fan-outs whose summaries count what their steps took from the step cache. */
  readonly cachedFanOuts: FanOut[];
  /** Namespace and dimension value of the unsent-summary metric. */
  readonly metricNamespace: string;
  readonly workflowPath: string;
}

/** The run as the execution itself reads it (the context object). https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html */
const OWN_RUN: RunPaths = { name: '$$.Execution.Name', arn: '$$.Execution.Id' };

/**
 * The run-summary states, entered at their first state (`run summary`) from every end of the run: with
 * `$.runFailure` when the run fails (its error and cause), without when it succeeds. They publish the run's message
 * (the same text the notifier sends), then end the run as it would have ended: SUCCEEDED, or FAILED with the same
 * error and cause. A publish that still fails after its retries does not fail the run: it adds 1 to the
 * `RunSummariesUnsent` metric, which PipelineMonitoring alarms on. Every path read is checked first: nothing here can
 * raise States.Runtime.
 */
export function buildRunSummary(states: Construct, o: RunSummaryOptions): sfn.State {
  const region = Aws.REGION;
  const failure = `$.${RUN_FAILURE_KEY}`;
  const ended = endOfRun(states, failure);
  const notSent = new sfn.CustomState(states, 'run summary: not sent', {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:cloudwatch:putMetricData`,
      Parameters: {
        Namespace: o.metricNamespace,
        MetricData: [
          {
            MetricName: RUN_SUMMARIES_UNSENT_METRIC,
            Dimensions: [{ Name: RUN_SUMMARIES_UNSENT_DIMENSION, Value: o.workflowPath }],
            Value: 1,
            Unit: 'Count',
          },
        ],
      },
      ResultPath: null,
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
    },
  });
  notSent.addCatch(ended, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
  notSent.next(ended);
  const publish = (id: string, subject: string, message: string) => {
    const state = new sfn.CustomState(states, `run summary: ${id}`, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::sns:publish`,
        Parameters: { TopicArn: o.topic.topicArn, Subject: subject, 'Message.$': message },
        ResultPath: null,
        // A throttled publish or KMS call is retried; what still fails is counted and the run ends as it would have:
        // its own outcome matters more than its message. https://docs.aws.amazon.com/step-functions/latest/dg/connect-sns.html
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2 }],
      },
    });
    state.addCatch(notSent, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
    return state.next(ended);
  };

  // Succeeded: every fan-out has written its summary on the way to the run's end.
  const lines = o.fanOuts.map((f) =>
    fanOutLine(f.name, fanOutPaths(f.name).summary, f.results !== undefined, o.cachedFanOuts.includes(f)),
  );
  const text =
    lines.length === 0
      ? undefined
      : `States.Format('${lines.map((l) => l.template).join('')}', ${lines.flatMap((l) => l.args).join(', ')})`;
  const message = succeededMessage(OWN_RUN, text, region);
  const allSucceeded = o.notifyRunSucceeded ? publish('publish SUCCEEDED', RUN_SUBJECTS.succeeded, message) : ended;
  const partial = o.fanOuts.map((f) => C.stringEquals(`${fanOutPaths(f.name).summary}.status`, OutcomeStatus.PARTIAL));
  const succeeded =
    partial.length === 0
      ? allSucceeded
      : new sfn.Choice(states, 'run summary: any items failed?')
          .when(
            partial.length === 1 ? partial[0] : C.or(...partial),
            publish('publish PARTIAL', RUN_SUBJECTS.partial, message),
          )
          .otherwise(allSucceeded);

  // Failed: the error and cause of a Fail state or a Catch; a Fail state may name neither.
  const given = (path: string) => C.and(C.isPresent(path), C.isString(path));
  const failed = (id: string, error: string, cause: string) =>
    publish(id, RUN_SUBJECTS.failed, endedBadlyMessage(OWN_RUN, "'FAILED'", error, cause, region));
  const failedRun = new sfn.Choice(states, 'run summary: error and cause?')
    .when(
      C.and(given(`${failure}.Error`), given(`${failure}.Cause`)),
      failed('publish FAILED', `${failure}.Error`, `${failure}.Cause`),
    )
    .when(given(`${failure}.Error`), failed('publish FAILED without a cause', `${failure}.Error`, "'(none)'"))
    .otherwise(failed('publish FAILED without an error', "'(none)'", "'(none)'"));

  return new sfn.Choice(states, 'run summary').when(C.isPresent(failure), failedRun).otherwise(succeeded);
}

/** Ends the run as it would have ended without its summary. */
function endOfRun(states: Construct, failure: string): sfn.Choice {
  const given = (path: string) => C.and(C.isPresent(path), C.isString(path));
  return new sfn.Choice(states, 'run summary: end the run')
    .when(
      C.and(given(`${failure}.Error`), given(`${failure}.Cause`)),
      new sfn.Fail(states, 'run summary: run failed', {
        errorPath: `${failure}.Error`,
        causePath: `${failure}.Cause`,
      }),
    )
    .when(
      given(`${failure}.Error`),
      new sfn.Fail(states, 'run summary: run failed without a cause', { errorPath: `${failure}.Error` }),
    )
    .when(C.isPresent(failure), new sfn.Fail(states, 'run summary: run failed without an error'))
    .otherwise(new sfn.Succeed(states, 'run summary: run succeeded'));
}

/**
 * Lets the workflow's role publish to the topic (and use its key, as `Topic.grantPublish` does) and count unsent
 * summaries, in a policy of its own.
 */
export function grantRunSummary(scope: Construct, role: iam.IRole, o: RunSummaryOptions): void {
  const policy = new iam.Policy(scope, 'RunSummaryPolicy', {
    statements: [
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [o.topic.topicArn] }),
      ...(o.topic.masterKey
        ? [
            new iam.PolicyStatement({
              actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              resources: [o.topic.masterKey.keyArn],
            }),
          ]
        : []),
      // PutMetricData has no resource-level permissions; the namespace condition keeps it to the library's own.
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': o.metricNamespace } },
      }),
    ],
  });
  policy.attachToRole(role);
  acknowledgeWildcards(scope, [policy.document], (actions) =>
    actions.some((a) => a.startsWith('kms:'))
      ? 'KMS data-key generation for the notification topic key only; GenerateDataKey* is how KMS names its variants.'
      : 'PutMetricData has no resource-level permissions; the statement is limited to the library namespace.',
  );
}

type Asl = { StartAt: string; States: Record<string, Record<string, unknown>> } & Record<string, unknown>;

/**
 * The definition with the run-summary states: every top-level end of the run enters `summary` instead. A `Fail` state
 * becomes a `Pass` that keeps its error and cause in `$.runFailure`, a `Succeed` state and a state with `End` go on
 * to the summary, and a top-level Task, Map or Parallel state without a catch-all gets one (so a failure the workflow
 * does not handle itself, like a parallel branch's, is reported too). States nested in branches and items are left
 * as they are: their failures reach the top level through their Parallel or Map state.
 */
export function reportRunEnds(definition: Asl, summary: Asl): Asl {
  const toSummary = { ResultPath: `$.${RUN_FAILURE_KEY}`, Next: summary.StartAt };
  const states: Asl['States'] = {};
  for (const [name, original] of Object.entries(definition.States)) {
    let state: Record<string, unknown> = { ...original };
    if (state.Type === 'Fail') {
      const field = (key: 'Error' | 'Cause') =>
        state[`${key}Path`] !== undefined
          ? { [`${key}.$`]: state[`${key}Path`] }
          : state[key] !== undefined
            ? { [key]: state[key] }
            : {};
      state = {
        Type: 'Pass',
        Comment: 'The run fails here, after its summary is sent',
        Parameters: { ...field('Error'), ...field('Cause') },
        ...toSummary,
      };
    } else if (state.Type === 'Succeed') {
      state = { ...state, Type: 'Pass', Next: summary.StartAt };
    } else if (state.End === true) {
      delete state.End;
      state.Next = summary.StartAt;
    }
    const catches = (state.Catch as Array<{ ErrorEquals: string[] }> | undefined) ?? [];
    if (
      ['Task', 'Map', 'Parallel'].includes(state.Type as string) &&
      !catches.some((c) => c.ErrorEquals.includes('States.ALL'))
    ) {
      state.Catch = [...catches, { ErrorEquals: ['States.ALL'], ...toSummary }];
    }
    states[name] = state;
  }
  for (const [name, state] of Object.entries(summary.States)) {
    states[name] = state;
  }
  return { ...definition, States: states };
}

/**
 * A chain's definition whose text is read when the template is written, not when the state machine is made, so that
 * `Workflow.notifyRunsTo` (called by PipelineMonitoring, after the workflow) can still add the run-summary states.
 * The chain's own grants are applied by the state machine as for any chain; the summary's by `grantRunSummary`.
 */
export class RunDefinitionBody extends sfn.ChainDefinitionBody {
  constructor(
    chainable: sfn.IChainable,
    private readonly finish: (definition: Asl) => Asl,
  ) {
    super(chainable);
  }

  public override bind(
    scope: Construct,
    _principal: iam.IPrincipal,
    props: sfn.StateMachineProps,
    graph?: sfn.StateGraph,
  ): sfn.DefinitionConfig {
    const g = graph!;
    return {
      definitionString: Lazy.string({
        produce: () =>
          Stack.of(scope).toJsonString({
            ...this.finish(g.toGraphJson(props.queryLanguage) as Asl),
            Comment: props.comment,
            QueryLanguage: props.queryLanguage,
          }),
      }),
    };
  }
}
