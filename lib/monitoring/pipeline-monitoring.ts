import { ArnFormat, Aws, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { JOB_METRICS_NAMESPACE, JobMetric } from '../queues/job-metrics';
import { PROBE_INTERVAL, QueueProbe } from './queue-probe';
import { IJobQueue } from '../queues/job-queue-base';
import { fail } from '../private/errors';
import { denyGrantsExceptForAwsServices } from '../private/kms';
import { MAX_ALARM_WINDOW_SECONDS, MIN_ALARM_WINDOW_SECONDS, SPOT_RECLAIM_REASON_PATTERN } from '../private/limits';
import { acknowledgeWildcards } from '../private/nag';
import { vendedLogGroupName } from '../private/names';
import { WORKFLOW_TAG } from '../contract/job-env';
import { fanOutPaths } from '../contract/run-state';
import { Workflow } from '../workflow/workflow';

/**
 * The subject of a failed-job notification. Fixed: SNS refuses subjects of 100 characters or more, and a Batch job
 * name alone may have 128 (the name is in the message). https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
const JOB_FAILED_SUBJECT = 'Batch job failed';

/** Props of `PipelineMonitoring`. */
export interface PipelineMonitoringProps {
  /** The queues whose jobs are watched. */
  readonly queues: IJobQueue[];
  /**
   * The workflow whose executions are watched.
   * @default - no workflow alarms or notifications
   */
  readonly workflow?: Workflow;
  /**
   * E-mail address subscribed to the notification topic (the address must confirm the subscription).
   * @default - no subscription; subscribe to `topic` yourself
   */
  readonly notificationEmail?: string;
  /**
   * Alarm when jobs have waited in RUNNABLE for a window this long while none ran or started, or Batch reported a job
   * blocking the queue for the whole window (`CAPACITY:`/`MISCONFIGURATION:` reasons). The alarm stays on while that
   * lasts. At least 15 minutes (three looks of the queue probe).
   * @default Duration.hours(1)
   */
  readonly stuckAfter?: Duration;
  /**
   * Alarm when, within an hour, at least 3 Spot interruptions happened and they were more than this percentage of
   * the jobs that started.
   * @default 20
   */
  readonly spotInterruptionPercent?: number;
  /**
   * How long the logs this construct creates are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Send one message when a workflow run succeeds with every item, too. A run that succeeded with some items failed
   * (PARTIAL: each fan-out's outcome, where the outcomes are, the command that lists and reruns the failed ones), and
   * failed, timed-out and aborted runs, always send one.
   * @default true
   */
  readonly notifyRunSucceeded?: boolean;
}

/**
 * What a careful operator wires around a batch pipeline: a KMS-encrypted SNS topic, readable notifications of failed
 * jobs and failed/timed-out/aborted workflow executions, alarms on stuck queues, Spot interruption rates and
 * workflow failures, and a dashboard.
 *
 * Batch publishes no metrics of its own, so every job state change of the pipeline's queues goes to a log group
 * (`jobEventsLogGroup`), where metric filters turn them into per-queue metrics (`JobMetric`).
 */
export class PipelineMonitoring extends Construct {
  /** Where notifications and alarms go. */
  public readonly topic: sns.Topic;
  /** The key that encrypts the topic. */
  public readonly key: kms.Key;
  /** Every Batch job state change of the watched queues, as EventBridge delivered it. */
  public readonly jobEventsLogGroup: logs.LogGroup;
  /** Turns events into readable messages and publishes them (Express workflow: no Lambda to maintain). */
  public readonly notifier: sfn.StateMachine;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Looks at the queues every 5 minutes: jobs waiting in RUNNABLE, and whether one blocks the queue. */
  public readonly probe: QueueProbe;
  /** Every alarm, by name. */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};

  private readonly queues: IJobQueue[];

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    if (props.queues.length === 0) {
      fail(this, {
        prop: 'queues',
        received: '[]',
        allowed: 'at least one JobQueue',
        fix: 'pass the queues of the pipeline',
      });
    }
    const percent = props.spotInterruptionPercent ?? 20;
    if (!(percent > 0 && percent <= 100)) {
      fail(this, {
        prop: 'spotInterruptionPercent',
        received: `${percent}`,
        allowed: 'a percentage above 0 and at most 100',
        fix: 'use e.g. 20',
      });
    }
    const stuckAfter = props.stuckAfter ?? Duration.hours(1);
    const stuckSeconds = stuckAfter.toSeconds();
    // At least three looks of the queue probe, so that every window has samples of the gauges.
    const minStuck = Math.max(MIN_ALARM_WINDOW_SECONDS, 3 * PROBE_INTERVAL.toSeconds());
    if (stuckSeconds < minStuck || stuckSeconds % 60 !== 0 || stuckSeconds > MAX_ALARM_WINDOW_SECONDS) {
      fail(this, {
        prop: 'stuckAfter',
        received: stuckAfter.toHumanString(),
        allowed: `whole minutes from ${minStuck / 60} minutes (three looks of the queue probe) to 24 hours (a CloudWatch alarm period)`,
        fix: 'give e.g. Duration.hours(1)',
      });
    }
    if (props.notificationEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.notificationEmail)) {
      fail(this, {
        prop: 'notificationEmail',
        received: `'${props.notificationEmail}'`,
        allowed: 'an e-mail address',
        fix: 'give e.g. ops@example.org, or leave it out and subscribe to the topic yourself',
      });
    }
    this.queues = [...props.queues];
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.key = new kms.Key(this, 'TopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the batch pipeline notification topic',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch alarms publish to the topic as the CloudWatch service, which needs the key.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    denyGrantsExceptForAwsServices(this.key);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Batch pipeline notifications',
      masterKey: this.key,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default one: without this statement the
    // alarms' actions fail ("not authorized to perform SNS:Publish").
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    // https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    if (props.notificationEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.notificationEmail));
    }

    this.jobEventsLogGroup = this.createJobEventsLog(retention);
    this.probe = new QueueProbe(this, 'QueueProbe', { queues: this.queues, logRetention: retention });
    this.notifier = this.createNotifier(retention, props.workflow, props.notifyRunSucceeded ?? true);
    this.routeFailures(props.workflow);
    this.createMetricFilters();
    this.createAlarms(stuckAfter, percent, props.workflow);
    this.dashboard = this.createDashboard(props.workflow);
  }

  private createJobEventsLog(retention: logs.RetentionDays): logs.LogGroup {
    const group = new logs.LogGroup(this, 'JobEvents', {
      // EventBridge writes only to log groups named /aws/events/...
      logGroupName: `/aws/events/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`,
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The events-targets L2 installs this policy with a Lambda-backed custom resource; the L1 policy needs none.
    new logs.CfnResourcePolicy(this, 'JobEventsDelivery', {
      policyName: Names.uniqueResourceName(this, { maxLength: 200, separator: '-' }),
      policyDocument: Stack.of(this).toJsonString({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] },
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: `${group.logGroupArn}`,
          },
        ],
      }),
    });
    new events.Rule(this, 'JobStateChanges', {
      description: 'Every Batch job state change of the pipeline queues, for metrics and investigation',
      eventPattern: this.jobPattern(),
      // The log group's own ARN ends in ':*'; an EventBridge target names the group without it, as aws-cdk-lib's
      // CloudWatchLogGroup target does. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
      targets: [
        {
          bind: () => ({
            arn: Stack.of(this).formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: group.logGroupName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          }),
        },
      ],
    });
    return group;
  }

  private jobPattern(status?: string[]): events.EventPattern {
    return {
      source: ['aws.batch'],
      detailType: ['Batch Job State Change'],
      detail: {
        jobQueue: this.queues.map((q) => q.jobQueueArn),
        ...(status ? { status } : {}),
      },
    };
  }

  /**
   * The notifier: formats a Batch job failure or a workflow execution failure as a short subject and a readable
   * message (job, queue, reason, attempts, where the logs are), then publishes it.
   */
  private createNotifier(
    retention: logs.RetentionDays,
    workflow: Workflow | undefined,
    notifyRunSucceeded: boolean,
  ): sfn.StateMachine {
    const region = Aws.REGION;
    const publish = (id: string) =>
      new sfn.CustomState(this, id, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${Aws.PARTITION}:states:::sns:publish`,
          Parameters: {
            TopicArn: this.topic.topicArn,
            'Subject.$': '$.subject',
            'Message.$': '$.message',
          },
          End: true,
        },
      });
    const jobLink = `'https://${region}.console.aws.amazon.com/batch/home?region=${region}#jobs/detail/{}'`;
    const jobWithLogs = new sfn.Pass(this, 'Job failed with logs', {
      parameters: {
        subject: JOB_FAILED_SUBJECT,
        'message.$':
          "States.Format('Batch job {} ({}) FAILED on queue {} after {} attempt(s).\n\nReason: {}\nExit code: {}\n" +
          "Log stream: {}\nJob: {}', $.detail.jobName, $.detail.jobId, $.detail.jobQueue, " +
          'States.ArrayLength($.detail.attempts), $.detail.statusReason, $.detail.container.exitCode, ' +
          `$.detail.container.logStreamName, States.Format(${jobLink}, $.detail.jobId))`,
      },
    });
    const jobWithoutExit = new sfn.Pass(this, 'Job failed without an exit code', {
      parameters: {
        subject: JOB_FAILED_SUBJECT,
        'message.$':
          "States.Format('Batch job {} ({}) FAILED on queue {} after {} attempt(s); its container did not exit by " +
          "itself (e.g. the Spot instance was reclaimed).\n\nReason: {}\nLog stream: {}\nJob: {}', " +
          '$.detail.jobName, $.detail.jobId, $.detail.jobQueue, States.ArrayLength($.detail.attempts), ' +
          `$.detail.statusReason, $.detail.container.logStreamName, States.Format(${jobLink}, $.detail.jobId))`,
      },
    });
    const jobWithoutLogs = new sfn.Pass(this, 'Job failed before it ran', {
      parameters: {
        subject: JOB_FAILED_SUBJECT,
        'message.$':
          "States.Format('Batch job {} ({}) FAILED on queue {} after {} attempt(s), before a container ran.\n\n" +
          "Reason: {}\nJob: {}', $.detail.jobName, $.detail.jobId, $.detail.jobQueue, " +
          `States.ArrayLength($.detail.attempts), $.detail.statusReason, States.Format(${jobLink}, $.detail.jobId))`,
      },
    });
    const executionLink = `'https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/{}'`;
    const execution = new sfn.Pass(this, 'Workflow execution ended badly', {
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
    const executionDetails = new sfn.Pass(this, 'Read error and cause', {
      parameters: {
        'detail.$': '$.detail',
        'errorText.$': "States.Format('{}', $.detail.error)",
        'causeText.$': "States.Format('{}', $.detail.cause)",
      },
    });
    const noDetails = new sfn.Pass(this, 'No error or cause', {
      parameters: { 'detail.$': '$.detail', errorText: '(none)', causeText: '(none)' },
    });
    const batch = sfn.Condition.stringEquals('$.source', 'aws.batch');
    // The jobs a workflow submits carry its tag: the workflow recovers their Spot and out-of-memory failures itself and
    // reports what it could not in its run's message, so a person gets one message per run instead of one per failed
    // attempt. (The event's detail is the job's JobDetail, tags included; without them a job is reported as any
    // other.) An array job's children fail with their parent, which reports once.
    // https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html
    // https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html
    const arrayParent = new sfn.Pass(this, 'Array job failed', {
      parameters: {
        subject: JOB_FAILED_SUBJECT,
        'message.$':
          "States.Format('Array job {} ({}) FAILED on queue {}: children by status {}.\n\nEach child has its own " +
          "reason and log stream: open the job and its child jobs.\nJob: {}', $.detail.jobName, $.detail.jobId, " +
          '$.detail.jobQueue, States.JsonToString($.detail.arrayProperties.statusSummary), ' +
          `States.Format(${jobLink}, $.detail.jobId))`,
      },
    });
    const definition = new sfn.Choice(this, 'What happened?')
      .when(
        sfn.Condition.and(batch, sfn.Condition.isPresent('$.detail.arrayProperties.index')),
        new sfn.Succeed(this, 'An array child: its parent job reports'),
      )
      .when(
        sfn.Condition.and(batch, sfn.Condition.isPresent(`$.detail.tags.${WORKFLOW_TAG}`)),
        new sfn.Succeed(this, 'A workflow job: its run reports'),
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
        this.runSucceeded(workflow, executionLink, publish('Publish run outcome'), notifyRunSucceeded),
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

    const machine = new sfn.StateMachine(this, 'Notifier', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.minutes(1),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'NotifierLogs', {
          logGroupName: vendedLogGroupName(this, 'Notifier'),
          retention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    this.topic.grantPublish(machine);
    acknowledgeWildcards(
      this,
      [(machine.role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined)?.document],
      (actions) =>
        actions.some((a) => a.startsWith('kms:'))
          ? 'KMS data-key generation for the topic key only; GenerateDataKey* is how KMS names its variants.'
          : 'X-Ray trace writes and CloudWatch Logs delivery actions have no resource-level permissions.',
    );
    return machine;
  }

  private routeFailures(workflow: Workflow | undefined): void {
    new events.Rule(this, 'JobFailed', {
      description:
        'Notifies when a job of the pipeline fails for good (its retries used up), unless a workflow run reports it',
      eventPattern: this.jobPattern(['FAILED']),
      targets: [new targets.SfnStateMachine(this.notifier, { retryAttempts: 3 })],
    });
    if (workflow) {
      new events.Rule(this, 'WorkflowRunEnded', {
        description: 'Notifies once per workflow run: its outcome when it ends',
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          detail: {
            stateMachineArn: [workflow.stateMachine.stateMachineArn],
            status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
          },
        },
        targets: [new targets.SfnStateMachine(this.notifier, { retryAttempts: 3 })],
      });
    }
  }

  /**
   * The message of a run that succeeded: per fan-out its status (SUCCEEDED, or PARTIAL when items failed within the
   * policy), how many items failed, where the outcomes are, and the command that lists and reruns the failed items.
   * The event carries the execution's output as a string, or null when it is too large to include
   * (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html): every path is checked first.
   */
  private runSucceeded(
    workflow: Workflow | undefined,
    executionLink: string,
    publish: sfn.IChainable,
    notifyRunSucceeded: boolean,
  ): sfn.State {
    const C = sfn.Condition;
    const fanOuts = [...new Set((workflow?.steps ?? []).flatMap((s) => (s.forEach ? [s.forEach] : [])))];
    const parse = new sfn.Pass(this, 'Read run output', {
      parameters: { 'detail.$': '$.detail', 'output.$': 'States.StringToJson($.detail.output)', text: '' },
    });
    const notIncluded = new sfn.Pass(this, 'Run output not included', {
      parameters: {
        'detail.$': '$.detail',
        output: {},
        text: '\n(The run output was too large for the event: see the execution.)',
      },
    });
    const read = new sfn.Choice(this, 'Run output included?')
      .when(C.and(C.isPresent('$.detail.output'), C.isString('$.detail.output')), parse)
      .otherwise(notIncluded);
    const message = new sfn.Pass(this, 'Run outcome', {
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
      new sfn.Pass(this, id, { parameters: { 'detail.$': '$.detail', 'text.$': '$.text', subject: text } }).next(
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
      : new sfn.Succeed(this, 'All items succeeded: no message asked for');
    // One line per fan-out, appended when its summary is in the output.
    let next: sfn.IChainable =
      partial.length === 0
        ? allSucceeded
        : new sfn.Choice(this, 'Any items failed?')
            .when(
              partial.length === 1 ? partial[0] : C.or(...partial),
              subject('Some items failed', 'Workflow run SUCCEEDED, some items failed'),
            )
            .otherwise(allSucceeded);
    for (const f of [...fanOuts].reverse()) {
      const summary = `$.output.${fanOutPaths(f.name).summary.slice(2)}`;
      const line = (id: string, format: string, args: string) =>
        new sfn.Pass(this, `${f.name}: ${id}`, {
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
      next = new sfn.Choice(this, `${f.name}: summary in the output?`)
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

  private createMetricFilters(): void {
    const filters: Array<[JobMetric, string]> = [
      [JobMetric.RUNNABLE, '{ $.detail.status = "RUNNABLE" }'],
      [JobMetric.STARTING, '{ $.detail.status = "STARTING" }'],
      [JobMetric.SUCCEEDED, '{ $.detail.status = "SUCCEEDED" }'],
      [JobMetric.FAILED, '{ $.detail.status = "FAILED" }'],
      // A Spot reclaim ends the attempt with this status reason, whether the job is then retried or fails.
      [JobMetric.SPOT_INTERRUPTIONS, `{ $.detail.statusReason = "${SPOT_RECLAIM_REASON_PATTERN}" }`],
    ];
    for (const [metric, pattern] of filters) {
      new logs.MetricFilter(this, `${metric}Filter`, {
        logGroup: this.jobEventsLogGroup,
        filterPattern: logs.FilterPattern.literal(pattern),
        metricNamespace: JOB_METRICS_NAMESPACE,
        metricName: metric,
        metricValue: '1',
        dimensions: { JobQueue: '$.detail.jobQueue' },
      });
    }
  }

  private createAlarms(stuckAfter: Duration, spotPercent: number, workflow: Workflow | undefined): void {
    const action = new cwActions.SnsAction(this.topic);
    const add = (name: string, alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(action);
      this.alarms[name] = alarm;
    };
    this.queues.forEach((queue, i) => {
      const label = queue.node.id;
      // Gauges from the probe (Minimum: true for the whole window) and started jobs from the events.
      const waiting = queue.metricJobs(JobMetric.WAITING, { period: stuckAfter, statistic: cloudwatch.Stats.MINIMUM });
      const blocked = queue.metricJobs(JobMetric.BLOCKED, { period: stuckAfter, statistic: cloudwatch.Stats.MINIMUM });
      const started = queue.metricJobs(JobMetric.STARTING, { period: stuckAfter });
      // Maximum: something ran at some point of the window, so the waiting jobs were taking their turn.
      const running = queue.metricJobs(JobMetric.RUNNING, { period: stuckAfter, statistic: cloudwatch.Stats.MAXIMUM });
      add(
        `${label}Stuck`,
        new cloudwatch.MathExpression({
          expression:
            'IF((FILL(waiting, 0) > 0 AND FILL(running, 0) == 0 AND FILL(started, 0) == 0) OR FILL(blocked, 0) > 0, 1, 0)',
          usingMetrics: { waiting, running, started, blocked },
          period: stuckAfter,
          label: `${label}: jobs waiting with none running or starting, or the queue blocked`,
        }).createAlarm(this, `Stuck${i}`, {
          alarmDescription:
            `Jobs waited in RUNNABLE on ${queue.node.path} for ${stuckAfter.toHumanString()} while none ran or started, or ` +
            'Batch reported a job blocking the queue all that time: no capacity can place them (instance types, ' +
            'maxvCpus, Spot shortage or a vCPU quota). The alarm stays on while it lasts. See the README, "When ' +
            'something goes wrong".',
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      const hour = Duration.hours(1);
      add(
        `${label}SpotInterruptions`,
        new cloudwatch.MathExpression({
          // MAX takes time series only (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
          // the divisor is kept at 1 or more with IF instead.
          expression: 'IF(FILL(spot, 0) >= 3, 100 * FILL(spot, 0) / IF(FILL(started, 0) > 1, FILL(started, 0), 1), 0)',
          usingMetrics: {
            spot: queue.metricJobs(JobMetric.SPOT_INTERRUPTIONS, { period: hour }),
            started: queue.metricJobs(JobMetric.STARTING, { period: hour }),
          },
          period: hour,
          label: `${label}: Spot interruptions per started job (%)`,
        }).createAlarm(this, `SpotInterruptions${i}`, {
          alarmDescription:
            `More than ${spotPercent}% of the jobs started on ${queue.node.path} in an hour were interrupted by Spot ` +
            '(at least 3). Add instance types to diversify Spot pools, or move long jobs to On-Demand.',
          threshold: spotPercent,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    });
    // A probe that cannot look leaves the stuck-queue alarms blind: say so.
    add(
      'QueueProbeFailed',
      this.probe.stateMachine
        .metricFailed({ period: Duration.minutes(15), statistic: cloudwatch.Stats.SUM })
        .createAlarm(this, 'QueueProbeFailed', {
          alarmDescription:
            'The queue probe could not list the queues or publish what it saw for 15 minutes: the stuck-queue alarms are blind. ' +
            'Read the probe state machine executions for the error.',
          threshold: 3,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );
    if (workflow) {
      const five = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
      const alarms: Array<[string, cloudwatch.Metric, string]> = [
        ['WorkflowExecutionsFailed', workflow.metricFailed(five), 'A workflow execution failed.'],
        ['WorkflowExecutionsTimedOut', workflow.metricTimedOut(five), 'A workflow execution timed out.'],
        [
          'WorkflowExecutionsThrottled',
          workflow.metricThrottled(five),
          'Step Functions throttled state transitions of the workflow.',
        ],
      ];
      for (const [name, metric, description] of alarms) {
        add(
          name,
          metric.createAlarm(this, name, {
            alarmDescription: `${description} See the README, "When something goes wrong".`,
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
      }
    }
  }

  private createDashboard(workflow: Workflow | undefined): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
    });
    const hour = { period: Duration.hours(1) };
    if (workflow) {
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Workflow executions',
          left: [workflow.metricStarted(hour), workflow.metricSucceeded(hour), workflow.metricFailed(hour)],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Workflow duration (p50, p90, p99)',
          left: ['p50', 'p90', 'p99'].map((statistic) => workflow.metricTime({ ...hour, statistic })),
          width: 12,
        }),
      );
    }
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Jobs by final state, per queue',
        left: this.queues.flatMap((q) => [
          q.metricJobs(JobMetric.SUCCEEDED, { ...hour, label: `${q.node.id} succeeded` }),
          q.metricJobs(JobMetric.FAILED, { ...hour, label: `${q.node.id} failed` }),
        ]),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Queued, waiting and started jobs, and Spot interruptions',
        left: this.queues.flatMap((q) => [
          q.metricJobs(JobMetric.RUNNABLE, { ...hour, label: `${q.node.id} queued` }),
          q.metricJobs(JobMetric.WAITING, {
            ...hour,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: `${q.node.id} waiting (most seen)`,
          }),
          q.metricJobs(JobMetric.STARTING, { ...hour, label: `${q.node.id} started` }),
        ]),
        right: this.queues.map((q) =>
          q.metricJobs(JobMetric.SPOT_INTERRUPTIONS, { ...hour, label: `${q.node.id} Spot interruptions` }),
        ),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Failed jobs: reason and log stream',
        logGroupNames: [this.jobEventsLogGroup.logGroupName],
        queryLines: [
          'fields @timestamp, detail.jobName, detail.jobQueue, detail.statusReason, detail.container.logStreamName',
          "filter detail.status = 'FAILED'",
          'sort @timestamp desc',
          'limit 50',
        ],
        width: 24,
      }),
    );
    const jobLogs = [...new Set(workflow?.steps.map((s) => s.options.job.shared.logGroup) ?? [])];
    if (jobLogs.length > 0) {
      dashboard.addWidgets(
        new cloudwatch.LogQueryWidget({
          title: 'Errors in job logs',
          logGroupNames: jobLogs.map((g) => g.logGroupName),
          queryLines: [
            'fields @timestamp, @logStream, @message',
            'filter @message like /(?i)(error|exception|killed|out of memory)/',
            'sort @timestamp desc',
            'limit 100',
          ],
          width: 24,
        }),
      );
    }
    return dashboard;
  }
}
