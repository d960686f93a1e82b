import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFinding, acknowledgeWildcards } from '../private/nag';
import { bookkeepingTable } from '../private/tables';
import { vendedLogGroupName } from '../private/names';
import { WORKFLOW_JOB_PARAMETER } from '../contract/job-env';
import { fanOutPaths } from '../contract/run-state';
import {
  endedBadlyMessage,
  fanOutLine,
  RUN_SUBJECTS,
  RunPaths,
  succeededMessage,
} from '../workflow/states/run-summary-text';
import { Workflow } from '../workflow/workflow';
import { EVENTBRIDGE_MAX_EVENT_AGE_HOURS, EVENTBRIDGE_MAX_RETRY_ATTEMPTS } from '../private/limits';

/* The notifier: one state machine that turns a failed job or a finished workflow run into one readable message. */

/**
 * The subject of a failed-job notification. Fixed: SNS refuses subjects of 100 characters or more, and a Batch job
 * name alone may have 128 (the name is in the message). https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
const JOB_FAILED_SUBJECT = 'Batch job failed';

/** Where a Step Functions status-change event names the run. */
const EVENT_RUN: RunPaths = { name: '$.detail.name', arn: '$.detail.executionArn' };

/**
 * The notifier: formats a Batch job failure or a workflow execution failure as a short subject and a readable
 * message (job, queue, reason, attempts, where the logs are), then publishes it.
 */
export function createNotifier(
  scope: Construct,
  topic: sns.ITopic,
  retention: logs.RetentionDays,
  workflow: Workflow | undefined,
  notifyRunSucceeded: boolean,
): sfn.StateMachine {
  const region = Aws.REGION;
  const publish = (id: string) =>
    new sfn.CustomState(scope, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::sns:publish`,
        Parameters: {
          TopicArn: topic.topicArn,
          'Subject.$': '$.subject',
          'Message.$': '$.message',
        },
        // A throttled publish or KMS call is retried within the notifier's minute; what still fails ends the
        // execution FAILED, which the notifier's alarm counts. States.TaskFailed matches every task error but a
        // timeout. https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
        Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }],
        End: true,
      },
    });
  const jobLink = `'https://${region}.console.aws.amazon.com/batch/home?region=${region}#jobs/detail/{}'`;
  const jobWithLogs = new sfn.Pass(scope, 'Job failed with logs', {
    parameters: {
      subject: JOB_FAILED_SUBJECT,
      'message.$':
        "States.Format('Batch job {} ({}) FAILED on queue {} after {} attempt(s).\n\nReason: {}\nExit code: {}\n" +
        "Log stream: {}\nJob: {}', $.detail.jobName, $.detail.jobId, $.detail.jobQueue, " +
        '$.attempts, $.reason, $.detail.container.exitCode, ' +
        `$.detail.container.logStreamName, States.Format(${jobLink}, $.detail.jobId))`,
    },
  });
  const jobWithoutExit = new sfn.Pass(scope, 'Job failed without an exit code', {
    parameters: {
      subject: JOB_FAILED_SUBJECT,
      'message.$':
        "States.Format('Batch job {} ({}) FAILED on queue {} after {} attempt(s); its container did not exit by " +
        "itself (e.g. the Spot instance was reclaimed).\n\nReason: {}\nLog stream: {}\nJob: {}', " +
        '$.detail.jobName, $.detail.jobId, $.detail.jobQueue, $.attempts, ' +
        `$.reason, $.detail.container.logStreamName, States.Format(${jobLink}, $.detail.jobId))`,
    },
  });
  const jobWithoutLogs = new sfn.Pass(scope, 'Job failed before it ran', {
    parameters: {
      subject: JOB_FAILED_SUBJECT,
      'message.$':
        "States.Format('Batch job {} ({}) FAILED on queue {} after {} attempt(s), before a container ran.\n\n" +
        "Reason: {}\nJob: {}', $.detail.jobName, $.detail.jobId, $.detail.jobQueue, " +
        `$.attempts, $.reason, States.Format(${jobLink}, $.detail.jobId))`,
    },
  });
  const execution = new sfn.Pass(scope, 'Workflow execution ended badly', {
    parameters: {
      // A fixed text and a status of at most 9 characters: SNS refuses subjects of 100 characters or more, and
      // execution names alone may have 80. https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
      'subject.$': "States.Format('Workflow run {}', $.detail.status)",
      'message.$': endedBadlyMessage(EVENT_RUN, '$.detail.status', '$.errorText', '$.causeText', region),
    },
  });
  // Aborted and timed-out executions carry no error or cause.
  const executionDetails = new sfn.Pass(scope, 'Read error and cause', {
    parameters: {
      'detail.$': '$.detail',
      'errorText.$': "States.Format('{}', $.detail.error)",
      'causeText.$': "States.Format('{}', $.detail.cause)",
    },
  });
  const noDetails = new sfn.Pass(scope, 'No error or cause', {
    parameters: { 'detail.$': '$.detail', errorText: '(none)', causeText: '(none)' },
  });
  const C = sfn.Condition;
  const batch = C.stringEquals('$.source', 'aws.batch');
  // Jobs a workflow submitted (WORKFLOW_JOB_PARAMETER) and array children never start the notifier: the rule's
  // pattern leaves them out (notifiedJobFailures). An array job's children fail with their parent, which reports
  // once. https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html
  const arrayParent = new sfn.Pass(scope, 'Array job failed', {
    parameters: {
      subject: JOB_FAILED_SUBJECT,
      'message.$':
        "States.Format('Array job {} ({}) FAILED on queue {}: children by status {}.\n\nEach child has its own " +
        "reason and log stream: open the job and its child jobs.\nJob: {}', $.detail.jobName, $.detail.jobId, " +
        '$.detail.jobQueue, States.JsonToString($.detail.arrayProperties.statusSummary), ' +
        `States.Format(${jobLink}, $.detail.jobId))`,
    },
  });
  const failure = new sfn.Choice(scope, 'Which job failure?')
    .when(C.isPresent('$.detail.arrayProperties.statusSummary'), arrayParent.next(publish('Publish array job failure')))
    .when(
      C.and(C.isPresent('$.detail.container.logStreamName'), C.isPresent('$.detail.container.exitCode')),
      jobWithLogs.next(publish('Publish job failure')),
    )
    .when(
      C.isPresent('$.detail.container.logStreamName'),
      jobWithoutExit.next(publish('Publish job failure (no exit code)')),
    )
    .otherwise(jobWithoutLogs.next(publish('Publish job failure (no logs)')));
  const sent = createSentTable(scope);
  const definition = new sfn.Choice(scope, 'What happened?')
    .when(C.and(batch, C.isPresent('$.detail.arrayProperties.index')), new sfn.Succeed(scope, 'An array child'))
    .when(
      C.and(batch, C.isPresent(`$.detail.parameters.${WORKFLOW_JOB_PARAMETER}`)),
      new sfn.Succeed(scope, 'A workflow job'),
    )
    .when(batch, readJob(scope, failure))
    .when(
      C.stringEquals('$.detail.status', 'SUCCEEDED'),
      runSucceeded(scope, workflow, region, publish('Publish run outcome'), notifyRunSucceeded),
    )
    .when(
      C.and(
        C.isPresent('$.detail.error'),
        C.isString('$.detail.error'),
        C.isPresent('$.detail.cause'),
        C.isString('$.detail.cause'),
      ),
      executionDetails.next(execution),
    )
    .otherwise(noDetails.next(execution));
  execution.next(publish('Publish execution failure'));

  const machine = new sfn.StateMachine(scope, 'Notifier', {
    stateMachineType: sfn.StateMachineType.EXPRESS,
    definitionBody: sfn.DefinitionBody.fromChainable(once(scope, sent, definition)),
    timeout: Duration.minutes(1),
    tracingEnabled: true,
    logs: {
      destination: new logs.LogGroup(scope, 'NotifierLogs', {
        logGroupName: vendedLogGroupName(scope, 'Notifier'),
        retention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      level: sfn.LogLevel.ALL,
      includeExecutionData: false,
    },
  });
  topic.grantPublish(machine);
  sent.grant(machine, 'dynamodb:PutItem');
  acknowledgeWildcards(
    scope,
    [(machine.role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined)?.document],
    (actions) =>
      actions.some((a) => a.startsWith('kms:'))
        ? 'KMS data-key generation for the topic key only; GenerateDataKey* is how KMS names its variants.'
        : 'X-Ray trace writes and CloudWatch Logs delivery actions have no resource-level permissions.',
  );
  return machine;
}

/**
 * The messages sent, by key: a conditional write claims a message before it is composed, so an event that arrives
 * twice sends once. Batch delivers its events at least once, EventBridge delivers to a target at least once, and an
 * Express execution runs at least once. No TTL: the events carry no time as epoch seconds to expire by; an item is
 * under 200 bytes, one per message.
 * https://docs.aws.amazon.com/eventbridge/latest/ref/event-delivery-level.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html (Express: at least once)
 */
function createSentTable(scope: Construct): dynamodb.Table {
  return bookkeepingTable(scope, 'NotifierSent');
}

/**
 * Claims the event's message in `sent` before `next` composes it; a claim already made ends the execution quietly.
 * The key: the job id for a job (a failed job fails once), the execution ARN, status and stop date for a run (a
 * redriven execution can end again). When the table cannot be written (throttled, denied), the message is sent
 * anyway: a duplicate is better than a loss.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html
 */
function once(scope: Construct, sent: dynamodb.ITable, next: sfn.IChainable): sfn.State {
  const C = sfn.Condition;
  // The optimized DynamoDB integration names service errors `DynamoDB.<exception>`; AWS lists no name for this one,
  // and ASL written for the aws-sdk integration spells it `DynamoDb.` (Stedi/ts2asl examples): both are caught, so a
  // spelling we guessed wrong can never send a second message.
  const conditionFailed = ['DynamoDB.ConditionalCheckFailedException', 'DynamoDb.ConditionalCheckFailedException'];
  const claim = new sfn.CustomState(scope, 'Claim the message', {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Aws.PARTITION}:states:::dynamodb:putItem`,
      Parameters: {
        TableName: sent.tableName,
        Item: { id: { 'S.$': '$.claim.key' } },
        ConditionExpression: 'attribute_not_exists(id)',
      },
      ResultPath: null,
      Retry: [
        { ErrorEquals: conditionFailed, MaxAttempts: 0 },
        { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 },
      ],
    },
  });
  claim.addCatch(new sfn.Succeed(scope, 'Already sent'), { errors: conditionFailed });
  claim.addCatch(next, { errors: ['States.ALL'], resultPath: '$.claimError' });
  claim.next(next);
  const key = (id: string, format: string) =>
    new sfn.Pass(scope, id, { parameters: { 'key.$': format }, resultPath: '$.claim' }).next(claim);
  return new sfn.Choice(scope, 'Which message?')
    .when(
      C.and(C.stringEquals('$.source', 'aws.batch'), C.isPresent('$.detail.jobId')),
      key('Key: the job', "States.Format('job#{}', $.detail.jobId)"),
    )
    .when(
      C.and(C.isPresent('$.detail.executionArn'), C.isPresent('$.detail.status'), C.isPresent('$.detail.stopDate')),
      key('Key: the run', "States.Format('run#{}#{}#{}', $.detail.executionArn, $.detail.status, $.detail.stopDate)"),
    )
    .otherwise(next);
}

/**
 * Reads the two fields of a job's event that JobDetail does not promise (`statusReason`, `attempts`: "Required: No")
 * into `$.reason` and `$.attempts`, with a stand-in when absent: States.Format and States.ArrayLength fail the
 * execution with States.Runtime on a missing path, which no Retry or Catch handles. The fields the messages read
 * otherwise are required (jobName, jobId, jobQueue) or checked before use (container, arrayProperties).
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (States.Runtime)
 */
function readJob(scope: Construct, next: sfn.IChainable): sfn.State {
  const C = sfn.Condition;
  const given = (path: string) => C.and(C.isPresent(path), C.not(C.isNull(path)));
  const attempts = new sfn.Choice(scope, 'Attempts listed?')
    .when(
      given('$.detail.attempts'),
      new sfn.Pass(scope, 'Count attempts', {
        parameters: {
          'detail.$': '$.detail',
          'reason.$': '$.reason',
          'attempts.$': 'States.ArrayLength($.detail.attempts)',
        },
      }).next(next),
    )
    .otherwise(
      new sfn.Pass(scope, 'No attempts listed', {
        parameters: { 'detail.$': '$.detail', 'reason.$': '$.reason', attempts: 0 },
      }).next(next),
    );
  return new sfn.Choice(scope, 'Status reason given?')
    .when(
      C.and(C.isPresent('$.detail.statusReason'), C.isString('$.detail.statusReason')),
      new sfn.Pass(scope, 'Read status reason', {
        parameters: { 'detail.$': '$.detail', 'reason.$': '$.detail.statusReason' },
      }).next(attempts),
    )
    .otherwise(
      new sfn.Pass(scope, 'No status reason', {
        parameters: { 'detail.$': '$.detail', reason: '(none given)' },
      }).next(attempts),
    );
}

/**
 * The message of a run that succeeded: per fan-out its status (SUCCEEDED, or PARTIAL when items failed within the
 * policy), how many items failed, where the outcomes are, and the command that lists and reruns the failed items.
 * The event carries the execution's output as a string, or null when it is too large to include
 * (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html): every path is checked first.
 */
function runSucceeded(
  scope: Construct,
  workflow: Workflow | undefined,
  region: string,
  publish: sfn.IChainable,
  notifyRunSucceeded: boolean,
): sfn.State {
  const C = sfn.Condition;
  const fanOuts = [...new Set((workflow?.steps ?? []).flatMap((s) => (s.forEach ? [s.forEach] : [])))];
  const parse = new sfn.Pass(scope, 'Read run output', {
    parameters: { 'detail.$': '$.detail', 'output.$': 'States.StringToJson($.detail.output)', text: '' },
  });
  const notIncluded = new sfn.Pass(scope, 'Run output not included', {
    parameters: {
      'detail.$': '$.detail',
      output: {},
      text: '\n(The run output was too large for the event: see the execution.)',
    },
  });
  const read = new sfn.Choice(scope, 'Run output included?')
    .when(C.and(C.isPresent('$.detail.output'), C.isString('$.detail.output')), parse)
    .otherwise(notIncluded);
  const message = new sfn.Pass(scope, 'Run outcome', {
    parameters: {
      'subject.$': '$.subject',
      'message.$': succeededMessage(EVENT_RUN, '$.text', region),
    },
  });
  message.next(publish);
  const subject = (id: string, text: string) =>
    new sfn.Pass(scope, id, { parameters: { 'detail.$': '$.detail', 'text.$': '$.text', subject: text } }).next(
      message,
    );
  const partial = fanOuts.map((f) => {
    const status = `$.output.${fanOutPaths(f.name).summary.slice(2)}.status`;
    return C.and(C.isPresent(status), C.isString(status), C.stringEquals(status, 'PARTIAL'));
  });
  // notifyRunSucceeded: false keeps quiet only when nothing failed: a PARTIAL run's failed items are reported nowhere
  // else (the notifier leaves workflow jobs to the run's message).
  const allSucceeded = notifyRunSucceeded
    ? subject('All items succeeded', RUN_SUBJECTS.succeeded)
    : new sfn.Succeed(scope, 'All items succeeded: no message asked for');
  // One line per fan-out, appended when its summary is in the output.
  let next: sfn.IChainable =
    partial.length === 0
      ? allSucceeded
      : new sfn.Choice(scope, 'Any items failed?')
          .when(
            partial.length === 1 ? partial[0] : C.or(...partial),
            subject('Some items failed', RUN_SUBJECTS.partial),
          )
          .otherwise(allSucceeded);
  for (const f of [...fanOuts].reverse()) {
    const summary = `$.output.${fanOutPaths(f.name).summary.slice(2)}`;
    const line = (id: string, withResults: boolean, withCached: boolean) => {
      const l = fanOutLine(f.name, summary, withResults, withCached);
      return new sfn.Pass(scope, `${f.name}: ${id}`, {
        parameters: {
          'detail.$': '$.detail',
          'output.$': '$.output',
          'text.$': `States.Format('{}${l.template}', $.text, ${l.args.join(', ')})`,
        },
      }).next(next);
    };
    const counted = C.and(
      ...['status', 'failed', 'items'].map((k) => C.isPresent(`${summary}.${k}`)),
      C.isString(`${summary}.status`),
    );
    const given = (k: string) => C.and(C.isPresent(`${summary}.${k}`), C.isString(`${summary}.${k}`));
    next = new sfn.Choice(scope, `${f.name}: summary in the output?`)
      .when(C.and(counted, given('results'), given('cached')), line('line with results and cache', true, true))
      .when(C.and(counted, given('results')), line('line with results', true, false))
      .when(C.and(counted, given('cached')), line('line with cache', false, true))
      .when(counted, line('line', false, false))
      .otherwise(next);
  }
  parse.next(next);
  notIncluded.next(next);
  return read;
}

/**
 * The failed-job events worth a message, as a rule pattern over `pattern` (the queues' FAILED events): without the
 * workflow's job parameter (the workflow reports its jobs in the run's message) and without an array index (a
 * child's parent reports). Both are fields the documented event carries: its detail is the job's JobDetail, with the
 * `parameters` SubmitJob passed and `arrayProperties.index` for a child; user tags it does not carry. `exists: false`
 * also matches when `parameters` or `arrayProperties` is absent altogether.
 * https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (exists matching)
 */
export function notifiedJobFailures(pattern: events.EventPattern): events.EventPattern {
  return {
    ...pattern,
    detail: {
      ...pattern.detail,
      parameters: { [WORKFLOW_JOB_PARAMETER]: [{ exists: false }] },
      arrayProperties: { index: [{ exists: false }] },
    },
  };
}

/**
 * Where events the notifier could not be started for go: kept 14 days (SQS's longest), for the alarm to say so and
 * a person to read them.
 */
export function createNotifierDeadLetters(scope: Construct): sqs.Queue {
  const queue = new sqs.Queue(scope, 'NotifierDeadLetters', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeFinding(queue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the notifier rules.');
  return queue;
}

/**
 * The notifier as a rule target: EventBridge retries a start that failed (throttling, a permission or a deploy in
 * progress) for up to a day, then leaves the event in the dead-letter queue.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 */
export function notifierTarget(machine: sfn.IStateMachine, deadLetters: sqs.IQueue): events.IRuleTarget {
  return new targets.SfnStateMachine(machine, {
    retryAttempts: EVENTBRIDGE_MAX_RETRY_ATTEMPTS,
    maxEventAge: Duration.hours(EVENTBRIDGE_MAX_EVENT_AGE_HOURS),
    deadLetterQueue: deadLetters,
  });
}

/**
 * The alarms that make a lost message visible. An Express execution EventBridge started ends out of its sight: a
 * publish that failed after its retries, a KMS denial or a runtime error counts only in the state machine's
 * ExecutionsFailed (or ExecutionsTimedOut); an event EventBridge could not deliver lands in the dead-letter queue.
 * Both alarms notify the topic as the CloudWatch service, which the topic's key and policy admit on their own.
 * https://docs.aws.amazon.com/step-functions/latest/dg/procedures-cw-metrics.html
 */
export function createNotifierAlarms(
  scope: Construct,
  machine: sfn.StateMachine,
  deadLetters: sqs.Queue,
): Array<[string, cloudwatch.Alarm]> {
  const five = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
  const failed = new cloudwatch.MathExpression({
    expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
    usingMetrics: { failed: machine.metricFailed(five), timedOut: machine.metricTimedOut(five) },
    period: Duration.minutes(5),
    label: 'Notifier executions failed or timed out',
  }).createAlarm(scope, 'NotifierFailed', {
    alarmDescription:
      'The notifier could not send a message (a publish refused after retries, a KMS denial, an event it could not ' +
      'read): a failed job or a run ended without its message. Read the notifier state machine executions for the ' +
      'event and the error.',
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const undelivered = new cloudwatch.Alarm(scope, 'NotifierUndelivered', {
    alarmDescription:
      'EventBridge could not start the notifier for a day of retries: the events are in the notifier dead-letter ' +
      'queue (receive them for the job or run and the error attribute); no message was sent for them.',
    metric: deadLetters.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return [
    ['NotifierFailed', failed],
    ['NotifierUndelivered', undelivered],
  ];
}
