import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeWildcards } from '../private/nag';
import { vendedLogGroupName } from '../private/names';
import { WORKFLOW_TAG } from '../contract/job-env';
import { fanOutPaths } from '../contract/run-state';
import { Workflow } from '../workflow/workflow';

/* The notifier: one state machine that turns a failed job or a finished workflow run into one readable message. */

/**
 * The subject of a failed-job notification. Fixed: SNS refuses subjects of 100 characters or more, and a Batch job
 * name alone may have 128 (the name is in the message). https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
const JOB_FAILED_SUBJECT = 'Batch job failed';

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
        'States.ArrayLength($.detail.attempts), $.detail.statusReason, $.detail.container.exitCode, ' +
        `$.detail.container.logStreamName, States.Format(${jobLink}, $.detail.jobId))`,
    },
  });
  const jobWithoutExit = new sfn.Pass(scope, 'Job failed without an exit code', {
    parameters: {
      subject: JOB_FAILED_SUBJECT,
      'message.$':
        "States.Format('Batch job {} ({}) FAILED on queue {} after {} attempt(s); its container did not exit by " +
        "itself (e.g. the Spot instance was reclaimed).\n\nReason: {}\nLog stream: {}\nJob: {}', " +
        '$.detail.jobName, $.detail.jobId, $.detail.jobQueue, States.ArrayLength($.detail.attempts), ' +
        `$.detail.statusReason, $.detail.container.logStreamName, States.Format(${jobLink}, $.detail.jobId))`,
    },
  });
  const jobWithoutLogs = new sfn.Pass(scope, 'Job failed before it ran', {
    parameters: {
      subject: JOB_FAILED_SUBJECT,
      'message.$':
        "States.Format('Batch job {} ({}) FAILED on queue {} after {} attempt(s), before a container ran.\n\n" +
        "Reason: {}\nJob: {}', $.detail.jobName, $.detail.jobId, $.detail.jobQueue, " +
        `States.ArrayLength($.detail.attempts), $.detail.statusReason, States.Format(${jobLink}, $.detail.jobId))`,
    },
  });
  const executionLink = `'https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/{}'`;
  const execution = new sfn.Pass(scope, 'Workflow execution ended badly', {
    parameters: {
      // A fixed text and a status of at most 9 characters: SNS refuses subjects of 100 characters or more, and
      // execution names alone may have 80. https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
      'subject.$': "States.Format('Workflow run {}', $.detail.status)",
      'message.$':
        "States.Format('Workflow execution {} ended {}.\n\nError: {}\nCause: {}\nExecution: {}', " +
        `$.detail.name, $.detail.status, $.errorText, $.causeText, States.Format(${executionLink}, $.detail.executionArn))`,
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
  const batch = sfn.Condition.stringEquals('$.source', 'aws.batch');
  // The jobs a workflow submits carry its tag: the workflow recovers their Spot and out-of-memory failures itself and
  // reports what it could not in its run's message, so a person gets one message per run instead of one per failed
  // attempt. (The event's detail is the job's JobDetail, tags included; without them a job is reported as any
  // other.) An array job's children fail with their parent, which reports once.
  // https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html
  // https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html
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
  const definition = new sfn.Choice(scope, 'What happened?')
    .when(
      sfn.Condition.and(batch, sfn.Condition.isPresent('$.detail.arrayProperties.index')),
      new sfn.Succeed(scope, 'An array child: its parent job reports'),
    )
    .when(
      sfn.Condition.and(batch, sfn.Condition.isPresent(`$.detail.tags.${WORKFLOW_TAG}`)),
      new sfn.Succeed(scope, 'A workflow job: its run reports'),
    )
    .when(
      sfn.Condition.and(batch, sfn.Condition.isPresent('$.detail.arrayProperties.statusSummary')),
      arrayParent.next(publish('Publish array job failure')),
    )
    .when(
      sfn.Condition.and(
        sfn.Condition.stringEquals('$.source', 'aws.batch'),
        sfn.Condition.isPresent('$.detail.container.logStreamName'),
        sfn.Condition.isPresent('$.detail.container.exitCode'),
      ),
      jobWithLogs.next(publish('Publish job failure')),
    )
    .when(
      sfn.Condition.and(
        sfn.Condition.stringEquals('$.source', 'aws.batch'),
        sfn.Condition.isPresent('$.detail.container.logStreamName'),
      ),
      jobWithoutExit.next(publish('Publish job failure (no exit code)')),
    )
    .when(
      sfn.Condition.stringEquals('$.source', 'aws.batch'),
      jobWithoutLogs.next(publish('Publish job failure (no logs)')),
    )
    .when(
      sfn.Condition.stringEquals('$.detail.status', 'SUCCEEDED'),
      runSucceeded(scope, workflow, executionLink, publish('Publish run outcome'), notifyRunSucceeded),
    )
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent('$.detail.error'),
        sfn.Condition.isString('$.detail.error'),
        sfn.Condition.isPresent('$.detail.cause'),
        sfn.Condition.isString('$.detail.cause'),
      ),
      executionDetails.next(execution),
    )
    .otherwise(noDetails.next(execution));
  execution.next(publish('Publish execution failure'));

  const machine = new sfn.StateMachine(scope, 'Notifier', {
    stateMachineType: sfn.StateMachineType.EXPRESS,
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
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
 * The message of a run that succeeded: per fan-out its status (SUCCEEDED, or PARTIAL when items failed within the
 * policy), how many items failed, where the outcomes are, and the command that lists and reruns the failed items.
 * The event carries the execution's output as a string, or null when it is too large to include
 * (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html): every path is checked first.
 */
function runSucceeded(
  scope: Construct,
  workflow: Workflow | undefined,
  executionLink: string,
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
      'message.$':
        "States.Format('Workflow execution {} ended SUCCEEDED.\n{}\n\nList the failed items and their reasons: " +
        "batch-pipelines rerun --execution-arn {} --dry-run (without --dry-run it reruns them).\nExecution: {}', " +
        `$.detail.name, $.text, $.detail.executionArn, States.Format(${executionLink}, $.detail.executionArn))`,
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
    ? subject('All items succeeded', 'Workflow run SUCCEEDED')
    : new sfn.Succeed(scope, 'All items succeeded: no message asked for');
  // One line per fan-out, appended when its summary is in the output.
  let next: sfn.IChainable =
    partial.length === 0
      ? allSucceeded
      : new sfn.Choice(scope, 'Any items failed?')
          .when(
            partial.length === 1 ? partial[0] : C.or(...partial),
            subject('Some items failed', 'Workflow run SUCCEEDED, some items failed'),
          )
          .otherwise(allSucceeded);
  for (const f of [...fanOuts].reverse()) {
    const summary = `$.output.${fanOutPaths(f.name).summary.slice(2)}`;
    const line = (id: string, format: string, args: string) =>
      new sfn.Pass(scope, `${f.name}: ${id}`, {
        parameters: {
          'detail.$': '$.detail',
          'output.$': '$.output',
          'text.$': `States.Format('{}\n${f.name}: {}, {} of {} items failed${format}', $.text, ${summary}.status, ${summary}.failed, ${summary}.items${args})`,
        },
      }).next(next);
    const counted = C.and(
      ...['status', 'failed', 'items'].map((k) => C.isPresent(`${summary}.${k}`)),
      C.isString(`${summary}.status`),
    );
    next = new sfn.Choice(scope, `${f.name}: summary in the output?`)
      .when(
        C.and(counted, C.isPresent(`${summary}.results`), C.isString(`${summary}.results`)),
        line('line with results', '; outcomes: {}', `, ${summary}.results`),
      )
      .when(counted, line('line', '', ''))
      .otherwise(next);
  }
  parse.next(next);
  notIncluded.next(next);
  return read;
}
