import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { describeProblem } from '../core/validation-error';
import { fail } from '../private/errors';
import { acknowledgeFinding, acknowledgeWildcards } from '../private/nag';
import { vendedLogGroupName } from '../private/names';
import {
  START_EXECUTION_ALREADY_EXISTS_ERRORS,
  EVENTBRIDGE_MAX_EVENT_AGE_HOURS,
  EVENTBRIDGE_MAX_RETRY_ATTEMPTS,
} from '../private/limits';
import { runNameIntrinsic } from '../contract/run-names';
import { ManifestSource } from '../workflow/step';
import { Workflow } from '../workflow/workflow';
import type { KnownKeys } from '../private/known-props';
import { checkKnownProps } from '../private/known-props';
import { PipelineTag } from '../core/pipeline-tag';

/** Props of `ManifestTrigger`. */
export interface ManifestTriggerProps {
  /** The workflow to start. Its fan-out reads a manifest (`FanOut` `manifest`); uploads under its prefix start runs. */
  readonly workflow: Workflow;
  /**
   * Only keys that end so start a run.
   * @default '.json'
   */
  readonly suffix?: string;
  /**
   * Where the alarms on manifests whose run did not start send notifications.
   * @default - the alarms have no action: add one with `alarms`
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * How long the starter's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Every prop of `ManifestTriggerProps`, for the run-time check of keys (lib/private/known-props.ts). */
export const MANIFEST_TRIGGER_PROPS_KEYS: KnownKeys<ManifestTriggerProps> = {
  workflow: true,
  suffix: true,
  alarmTopic: true,
  logRetention: true,
};

/**
 * Starts one workflow run per manifest uploaded to S3, exactly once. S3 sends EventBridge events at least once, so the
 * rule does not start the workflow itself: it starts a small Express state machine that names the run after the
 * manifest (the SHA-1 of bucket, key and ETag, as `batch-pipelines start` does) and starts it. A duplicated event or a
 * `start` of the same manifest is then refused by Step Functions instead of running every sample twice; a new upload
 * of the key with other content runs (the same content does not: start it with `batch-pipelines start --name`).
 * EventBridge retries starting the starter for a day; the starter retries starting the run for about three minutes
 * (an Express execution lasts at most five); what still cannot start lands in a dead-letter queue with an alarm,
 * instead of vanishing.
 *
 * The run reads the manifest's current content: overwrite a manifest only after its run has started. On a bucket
 * encrypted with SSE-KMS or SSE-C, S3's ETags are not content hashes, so an upload of identical content starts a run.
 *
 * The manifest's bucket must send events to EventBridge (`eventBridgeEnabled: true`).
 */
export class ManifestTrigger extends Construct {
  /** The EventBridge rule on manifest uploads. */
  public readonly rule: events.Rule;
  /** The Express state machine that names and starts each run. */
  public readonly starter: sfn.StateMachine;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;
  /** Manifest uploads whose run could not be started, kept 14 days for a person. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Alarms: a manifest is in the dead-letter queue; the starter itself failed. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The manifest source the trigger watches. */
  public readonly manifest: ManifestSource;

  constructor(scope: Construct, id: string, props: ManifestTriggerProps) {
    super(scope, id);
    PipelineTag.applyTo(this);
    checkKnownProps(this, 'ManifestTriggerProps', props, MANIFEST_TRIGGER_PROPS_KEYS);
    this.manifest = this.manifestOf(props.workflow);
    const suffix = props.suffix ?? '.json';
    const prefix = this.manifest.prefix ?? 'manifests/';
    const bucket = this.manifest.bucket;
    this.node.addValidation({ validate: () => this.checkBucketEvents(bucket) });

    this.deadLetterQueue = new sqs.Queue(this, 'NotStarted', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeFinding(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the manifest trigger.',
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: vendedLogGroupName(this, 'Starter'),
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.starter = new sfn.StateMachine(this, 'Starter', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(props.workflow)),
      // Express executions run at most five minutes; the retries below fit in it.
      timeout: Duration.minutes(5),
      tracingEnabled: true,
      // The state data is a bucket, a key and an ETag: worth having in the logs when a run did not start.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    acknowledgeWildcards(
      this,
      [(this.starter.role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined)?.document],
      () => 'X-Ray trace writes and CloudWatch Logs delivery actions have no resource-level permissions.',
    );

    this.rule = new events.Rule(this, 'Uploaded', {
      description: `Starts a workflow run for each manifest uploaded under ${prefix}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [bucket.bucketName] },
          object: { key: [{ wildcard: `${escapeWildcard(prefix)}*${escapeWildcard(suffix)}` }] },
        },
      },
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(this.starter, {
        // EventBridge retries a failed start (throttling, a deploy in progress) for up to a day; what still fails
        // lands in the dead-letter queue. https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
        retryAttempts: EVENTBRIDGE_MAX_RETRY_ATTEMPTS,
        maxEventAge: Duration.hours(EVENTBRIDGE_MAX_EVENT_AGE_HOURS),
        deadLetterQueue: this.deadLetterQueue,
      }),
    );

    const notStarted = new cloudwatch.Alarm(this, 'ManifestNotStarted', {
      alarmDescription:
        `A manifest uploaded under ${prefix} did not start a workflow run: its event is in the dead-letter queue ` +
        '(receive it for the bucket, key and error), fix the cause, then run batch-pipelines start --bucket B --key K.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const period = Duration.minutes(5);
    const starterFailed = new cloudwatch.Alarm(this, 'StarterFailed', {
      alarmDescription:
        'The manifest starter failed, timed out or was stopped without keeping the event in its dead-letter queue: ' +
        'a manifest upload may have no run. Its logs name the bucket and key; run batch-pipelines start --bucket B --key K.',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
        usingMetrics: {
          failed: this.starter.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
          timedOut: this.starter.metricTimedOut({ period, statistic: cloudwatch.Stats.SUM }),
          aborted: this.starter.metricAborted({ period, statistic: cloudwatch.Stats.SUM }),
        },
        period,
        label: 'Manifest starter executions that ended badly',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [notStarted, starterFailed];
    if (props.alarmTopic) {
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
      }
    }
  }

  /** The starter: check the event, name the run, start it; keep what cannot be started for a person. */
  private definition(workflow: Workflow): sfn.IChainable {
    const C = sfn.Condition;
    const keep = new tasks.SqsSendMessage(this, 'keep for a person', {
      queue: this.deadLetterQueue,
      messageBody: sfn.TaskInput.fromObject({
        reason: 'The workflow run for this manifest could not be started',
        error: sfn.JsonPath.objectAt('$.error'),
        event: sfn.JsonPath.objectAt('$$.Execution.Input'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    keep.addRetry({
      errors: [sfn.Errors.ALL],
      interval: Duration.seconds(2),
      maxAttempts: 4,
      jitterStrategy: sfn.JitterType.FULL,
    });
    // The run did not start, but its event is kept and alarmed on (ManifestNotStarted); failing here too would send a
    // second notification for the same manifest.
    keep.next(new sfn.Succeed(this, 'kept for a person'));

    const start = new tasks.StepFunctionsStartExecution(this, 'start the run', {
      stateMachine: workflow.stateMachine,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      name: sfn.JsonPath.stringAt('$.run.name'),
      input: sfn.TaskInput.fromObject({ manifest: sfn.JsonPath.objectAt('$.run.manifest') }),
      resultPath: '$.started',
    });
    // A refused name is final (retrying cannot help); everything else (throttling, a quota of open executions, a
    // deploy) is retried for about three minutes, within the Express execution's five.
    start.addRetry({ errors: START_EXECUTION_ALREADY_EXISTS_ERRORS, maxAttempts: 0 });
    start.addRetry({
      errors: [sfn.Errors.ALL],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    });
    start.addCatch(new sfn.Succeed(this, 'already started', { comment: 'A duplicated event or an earlier start' }), {
      errors: START_EXECUTION_ALREADY_EXISTS_ERRORS,
    });
    start.addCatch(keep, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    start.next(new sfn.Succeed(this, 'started'));

    const paths = { bucket: '$.detail.bucket.name', key: '$.detail.object.key', etag: '$.detail.object.etag' };
    const name = new sfn.Pass(this, 'name the run', {
      parameters: {
        manifest: { 'bucket.$': paths.bucket, 'key.$': paths.key, 'etag.$': paths.etag },
        'name.$': runNameIntrinsic(paths),
      },
      resultPath: '$.run',
    });
    name.next(start);
    const unreadable = new sfn.Pass(this, 'event unreadable', {
      parameters: {
        Error: 'Manifest.EventUnreadable',
        Cause: 'The event names no bucket, key and ETag (an S3 Object Created event through EventBridge does)',
      },
      resultPath: '$.error',
    });
    unreadable.next(keep);
    return new sfn.Choice(this, 'event names a manifest?')
      .when(C.and(...Object.values(paths).flatMap((p) => [C.isPresent(p), C.isString(p)])), name)
      .otherwise(unreadable);
  }

  private manifestOf(workflow: Workflow): ManifestSource {
    const sources = workflow.steps.flatMap((s) => (s.forEach?.manifest ? [s.forEach] : []));
    const fanOuts = [...new Set(sources)];
    if (fanOuts.length !== 1) {
      fail(this, {
        prop: 'workflow',
        received:
          fanOuts.length === 0
            ? 'a workflow whose fan-outs read no manifest'
            : `${fanOuts.length} fan-outs that read manifests`,
        allowed: 'a workflow with one fan-out that reads a manifest from S3',
        fix: "give the fan-out a manifest: new FanOut('samples', { manifest: { bucket, prefix: 'manifests/' } })",
      });
    }
    const manifest = fanOuts[0].manifest!;
    for (const [prop, path, expected] of [
      ['bucketPath', manifest.bucketPath, '$.manifest.bucket'],
      ['keyPath', manifest.keyPath, '$.manifest.key'],
    ] as const) {
      if (path !== undefined && path !== expected) {
        fail(this, {
          prop: `workflow (fan-out ${fanOuts[0].name} manifest.${prop})`,
          received: `'${path}'`,
          allowed: `'${expected}': the trigger starts runs with { "manifest": { "bucket", "key", "etag" } }`,
          fix: `leave manifest.${prop} unset`,
        });
      }
    }
    return manifest;
  }

  private checkBucketEvents(bucket: s3.IBucket): string[] {
    if (!(bucket instanceof s3.Bucket)) {
      return [];
    }
    const cfn = bucket.node.defaultChild as s3.CfnBucket;
    const notifications = Stack.of(bucket).resolve(cfn.notificationConfiguration) as
      { eventBridgeConfiguration?: { eventBridgeEnabled?: boolean } } | undefined;
    // The L2 keeps `eventBridgeEnabled` private and applies it through a custom resource, not the CfnBucket.
    const viaL2 = (bucket as unknown as { eventBridgeEnabled?: boolean }).eventBridgeEnabled === true;
    if (viaL2 || notifications?.eventBridgeConfiguration?.eventBridgeEnabled === true) {
      return [];
    }
    return [
      describeProblem(this, {
        prop: 'workflow (the manifest bucket)',
        received: `bucket ${bucket.node.path}, which does not send events to EventBridge`,
        allowed: 'a bucket with EventBridge notifications on: without them no upload ever starts a run',
        fix: "create the bucket with eventBridgeEnabled: true, or set its CfnBucket's notificationConfiguration.eventBridgeConfiguration.eventBridgeEnabled",
      }),
    ];
  }
}

/** EventBridge wildcard patterns treat `*` as any and `\` as the escape. */
function escapeWildcard(s: string): string {
  return s.replace(/[\\*]/g, (c) => `\\${c}`);
}
