import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_METRICS_NAMESPACE, JobMetric, spotInterruptionFilterPatterns } from '../queues/job-metrics';
import { createDashboard } from './dashboard';
import { eventsLogGroup, eventsTargetArn } from './events-log-group';
import {
  createNotifier,
  createNotifierAlarms,
  createNotifierDeadLetters,
  notifiedJobFailures,
  notifierTarget,
} from './notifier';
import { PROBE_INTERVAL, QueueProbe } from './queue-probe';
import { IJobQueue } from '../queues/job-queue-base';
import { fail } from '../private/errors';
import { denyGrantsExceptForAwsServices } from '../private/kms';
import { MAX_ALARM_WINDOW_SECONDS, MIN_ALARM_WINDOW_SECONDS } from '../private/limits';
import { UNCATCHABLE_ERRORS } from '../workflow/states/run-summary-states';
import { Workflow } from '../workflow/workflow';
import { checkKnownProps, KnownKeys } from '../private/known-props';
import { PipelineTag } from '../core/pipeline-tag';

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

/** Every prop of `PipelineMonitoringProps`, for the run-time check of unknown keys. */
const PIPELINE_MONITORING_PROPS_KEYS: KnownKeys<PipelineMonitoringProps> = {
  queues: true,
  workflow: true,
  notificationEmail: true,
  stuckAfter: true,
  spotInterruptionPercent: true,
  logRetention: true,
  notifyRunSucceeded: true,
};

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
  /**
   * Events EventBridge could not start the notifier for in a day of retries; the NotifierUndelivered alarm watches it.
   */
  public readonly notifierDeadLetters: sqs.Queue;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Looks at the queues every 5 minutes: jobs waiting in RUNNABLE, and whether one blocks the queue. */
  public readonly probe: QueueProbe;
  /** Every alarm, by name. */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};

  private readonly queues: IJobQueue[];

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    PipelineTag.applyTo(this);
    checkKnownProps(this, 'PipelineMonitoringProps', props, PIPELINE_MONITORING_PROPS_KEYS);
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
    this.notifier = createNotifier(this, this.topic, retention, props.workflow, props.notifyRunSucceeded ?? true);
    // The workflow sends its runs' messages itself; the status-change events cover what it cannot see (routeFailures).
    props.workflow?.notifyRunsTo(this.topic, { notifyRunSucceeded: props.notifyRunSucceeded ?? true });
    this.notifierDeadLetters = createNotifierDeadLetters(this);
    this.routeFailures(props.workflow);
    this.createMetricFilters();
    this.createAlarms(stuckAfter, percent, props.workflow);
    this.dashboard = createDashboard(this, this.queues, this.jobEventsLogGroup, props.workflow);
  }

  private createJobEventsLog(retention: logs.RetentionDays): logs.LogGroup {
    // Its resource policy is the log group's own, not one of the account's 10 (see eventsLogGroup).
    const group = eventsLogGroup(this, 'JobEvents', this, retention);
    new events.Rule(this, 'JobStateChanges', {
      description: 'Every Batch job state change of the pipeline queues, for metrics and investigation',
      eventPattern: this.jobPattern(),
      // The log group's own ARN ends in ':*'; an EventBridge target names the group without it, as aws-cdk-lib's
      // CloudWatchLogGroup target does. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
      targets: [{ bind: () => ({ arn: eventsTargetArn(group) }) }],
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

  private routeFailures(workflow: Workflow | undefined): void {
    new events.Rule(this, 'JobFailed', {
      description:
        'Notifies when a job of the pipeline fails for good (its retries used up), unless a workflow run reports it',
      eventPattern: notifiedJobFailures(this.jobPattern(['FAILED'])),
      targets: [notifierTarget(this.notifier, this.notifierDeadLetters)],
    });
    if (workflow) {
      // A run reports its own end when it succeeds or fails through its failure paths (Workflow.notifyRunsTo); the
      // status-change event, which EventBridge receives best effort, is left to the ends a run cannot see: timed out,
      // stopped, or failed with an error no Catch handles.
      // https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html
      new events.Rule(this, 'WorkflowRunEnded', {
        description:
          'Notifies when a workflow run times out, is stopped, or fails with an error it cannot catch (a run reports ' +
          'its other ends itself)',
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          detail: {
            stateMachineArn: [workflow.stateMachine.stateMachineArn],
            // One rule, not two: rules on the default bus are an account-level quota (limits.ts).
            // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html ($or matching)
            $or: [{ status: ['TIMED_OUT', 'ABORTED'] }, { status: ['FAILED'], error: [...UNCATCHABLE_ERRORS] }],
          },
        },
        targets: [notifierTarget(this.notifier, this.notifierDeadLetters)],
      });
    }
  }

  private createMetricFilters(): void {
    const filters: Array<[JobMetric, string]> = [
      [JobMetric.RUNNABLE, '{ $.detail.status = "RUNNABLE" }'],
      [JobMetric.STARTING, '{ $.detail.status = "STARTING" }'],
      [JobMetric.SUCCEEDED, '{ $.detail.status = "SUCCEEDED" }'],
      [JobMetric.FAILED, '{ $.detail.status = "FAILED" }'],
      // Attempts ended by a Spot reclaim, each counted once from the job's last event (one filter per attempt index).
      ...spotInterruptionFilterPatterns().map((p): [JobMetric, string] => [JobMetric.SPOT_INTERRUPTIONS, p]),
    ];
    const count = new Map<JobMetric, number>();
    for (const [metric, pattern] of filters) {
      const n = count.get(metric) ?? 0;
      count.set(metric, n + 1);
      new logs.MetricFilter(this, `${metric}Filter${n === 0 ? '' : n}`, {
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
      // Batch Job Queue Blocked events (array children too) within the window.
      const blockedEvents = queue.metricJobs(JobMetric.BLOCKED_EVENTS, { period: stuckAfter });
      add(
        `${label}Stuck`,
        new cloudwatch.MathExpression({
          expression:
            'IF((FILL(waiting, 0) > 0 AND FILL(running, 0) == 0 AND FILL(started, 0) == 0) OR FILL(blocked, 0) > 0 ' +
            'OR FILL(blockedEvents, 0) > 0, 1, 0)',
          usingMetrics: { waiting, running, started, blocked, blockedEvents },
          period: stuckAfter,
          label: `${label}: jobs waiting with none running or starting, or the queue blocked`,
        }).createAlarm(this, `Stuck${i}`, {
          alarmDescription:
            `Jobs waited in RUNNABLE on ${queue.node.path} for ${stuckAfter.toHumanString()} while none ran or started, or ` +
            'Batch reported a job blocking the queue (a Batch Job Queue Blocked event, or the queue probe saw it all ' +
            'that time): no capacity can place them (instance types, maxvCpus, Spot shortage or a vCPU quota). The ' +
            'alarm stays on while it lasts. See the README, "When something goes wrong".',
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // Missing gauges read as a quiet queue here; the ProbeSilent alarm below says when they stop arriving.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
      const looks = PROBE_INTERVAL.toMinutes() * 3;
      add(
        `${label}ProbeSilent`,
        this.probe.metricLooks(queue, Duration.minutes(looks)).createAlarm(this, `ProbeSilent${i}`, {
          alarmDescription:
            `The queue probe published nothing for ${queue.node.path} for ${looks} minutes: its stuck-queue alarm cannot ` +
            'see the queue. Read the probe state machine executions and its schedule rule (FailedInvocations).',
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          // No data is the failure this alarm is for.
          // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
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
            `Spot reclaimed more attempts on ${queue.node.path} in an hour than ${spotPercent}% of the attempts started ` +
            'there (at least 3; reclaimed attempts are counted when their job ends). Add instance types to diversify ' +
            'Spot pools, or move long jobs to On-Demand.',
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
      this.probe.metricFailedLooks(Duration.minutes(15)).createAlarm(this, 'QueueProbeFailed', {
        alarmDescription:
          'The queue probe failed, timed out or was not started 3 times in 15 minutes: the stuck-queue alarms are ' +
          'blind. Read the probe state machine executions and its schedule rule (FailedInvocations) for the error.',
        threshold: 3,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    for (const [name, alarm] of createNotifierAlarms(this, this.notifier, this.notifierDeadLetters)) {
      add(name, alarm);
    }
    if (workflow) {
      const five = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
      const alarms: Array<[string, cloudwatch.Metric, string]> = [
        ['WorkflowExecutionsFailed', workflow.metricFailed(five), 'A workflow execution failed.'],
        [
          'WorkflowRunSummariesUnsent',
          workflow.metricRunSummariesUnsent(five),
          'A workflow run could not publish its message to the notification topic after retries (the run itself ' +
            'ended as it would have): read the execution history for the publish error (a KMS or topic policy denial).',
        ],
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
}
