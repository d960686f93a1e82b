import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { JOB_METRICS_NAMESPACE, JobMetric } from '../queues/job-metrics';
import { IJobQueue } from '../queues/job-queue-base';
import { acknowledgeWildcards } from '../private/nag';
import { vendedLogGroupName } from '../private/names';
import { BLOCKED_REASON_PATTERNS } from '../private/limits';
import { checkKnownProps, KnownKeys } from '../private/known-props';

/** Props of `QueueProbe`. */
export interface QueueProbeProps {
  /** The queues to look at. */
  readonly queues: IJobQueue[];
  /** How long its logs are kept. */
  readonly logRetention: logs.RetentionDays;
}

/** Every prop of `QueueProbeProps`, for the run-time check of unknown keys. */
const QUEUE_PROBE_PROPS_KEYS: KnownKeys<QueueProbeProps> = { queues: true, logRetention: true };

/** How often the probe looks. */
export const PROBE_INTERVAL = Duration.minutes(5);

/**
 * Looks at each queue every 5 minutes and publishes what it sees as gauges: how many jobs wait in RUNNABLE
 * (`JobMetric.WAITING`), how many run (`JobMetric.RUNNING`), and whether Batch reports a waiting job as blocking the
 * queue (`JobMetric.BLOCKED`). It reads the first 100 of each (ListJobs does not say in which order), so counts stop
 * at 100 and a blocked job at the head of a longer queue may be missed. Array jobs are seen through their children
 * only when Batch lists them on the queue (a parent waits in PENDING). Job
 * state-change events say when jobs enter RUNNABLE, not that they are still there: a queue stuck for longer than an
 * alarm's window sends no more events, and an alarm on them returns to OK while nothing runs. A gauge stays up as
 * long as the jobs wait.
 *
 * An Express state machine calls ListJobs (first page, 100 jobs) and PutMetricData; it needs no Lambda. Its failures
 * are its own (no Catch): a probe that cannot look fails its execution, which `PipelineMonitoring` alarms on, so a
 * blind stuck-queue alarm does not pass for a quiet one.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html
 * @see https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html
 */
export class QueueProbe extends Construct {
  /** The Express state machine that looks at the queues (its failed and timed-out executions are alarmed on). */
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: QueueProbeProps) {
    super(scope, id);
    checkKnownProps(this, 'QueueProbeProps', props, QUEUE_PROBE_PROPS_KEYS);
    const C = sfn.Condition;
    // The first page (100) of the queue's jobs in a status, kept at `resultPath`.jobs; retried, never caught.
    const listJobs = (id: string, status: string, resultPath: string) => {
      const task = new sfn.CustomState(this, id, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:batch:listJobs`,
          Parameters: { 'JobQueue.$': '$.queue', JobStatus: status, MaxResults: 100 },
          ResultSelector: { 'jobs.$': '$.JobSummaryList' },
          ResultPath: resultPath,
        },
      });
      task.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
      return task;
    };
    const list = listJobs('List waiting jobs', 'RUNNABLE', '$.listed');
    const mark = new sfn.Map(this, 'Blocked?', { itemsPath: '$.listed.jobs', resultPath: '$.marks' });
    mark.itemProcessor(
      new sfn.Choice(this, 'Blocking the queue?')
        .when(
          C.and(
            C.isPresent('$.StatusReason'),
            C.isString('$.StatusReason'),
            C.or(...BLOCKED_REASON_PATTERNS.map((p) => C.stringMatches('$.StatusReason', p))),
          ),
          new sfn.Pass(this, 'Blocking', { result: sfn.Result.fromString('blocked') }),
        )
        .otherwise(new sfn.Pass(this, 'Waiting', { result: sfn.Result.fromString('waiting') })),
    );
    const counted = (blocked: number) =>
      new sfn.Pass(this, blocked ? 'Count (blocked)' : 'Count', {
        parameters: {
          'queue.$': '$.queue',
          'waiting.$': 'States.ArrayLength($.listed.jobs)',
          'running.$': 'States.ArrayLength($.running.jobs)',
          blocked,
        },
      });
    // Jobs running now: waiting jobs behind running ones are taking their turn, not stuck.
    const running = listJobs('List running jobs', 'RUNNING', '$.running');
    const publish = new sfn.CustomState(this, 'Publish', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:cloudwatch:putMetricData`,
        Parameters: {
          Namespace: JOB_METRICS_NAMESPACE,
          MetricData: [
            {
              MetricName: JobMetric.WAITING,
              Dimensions: [{ Name: 'JobQueue', 'Value.$': '$.queue' }],
              'Value.$': '$.waiting',
              Unit: 'Count',
            },
            {
              MetricName: JobMetric.BLOCKED,
              Dimensions: [{ Name: 'JobQueue', 'Value.$': '$.queue' }],
              'Value.$': '$.blocked',
              Unit: 'Count',
            },
            {
              MetricName: JobMetric.RUNNING,
              Dimensions: [{ Name: 'JobQueue', 'Value.$': '$.queue' }],
              'Value.$': '$.running',
              Unit: 'Count',
            },
          ],
        },
        End: true,
      },
    });
    publish.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
    const anyBlocked = new sfn.Pass(this, 'Any blocked?', {
      parameters: {
        'queue.$': '$.queue',
        'listed.$': '$.listed',
        'blocked.$': "States.ArrayContains($.marks, 'blocked')",
      },
    });
    list
      .next(mark)
      .next(anyBlocked)
      .next(running)
      .next(
        new sfn.Choice(this, 'Blocked')
          .when(C.booleanEquals('$.blocked', true), counted(1).next(publish))
          .otherwise(counted(0).next(publish)),
      );
    const eachQueue = new sfn.Map(this, 'Each queue', {
      itemsPath: '$.queues',
      itemSelector: { 'queue.$': '$$.Map.Item.Value' },
      resultPath: sfn.JsonPath.DISCARD,
    });
    eachQueue.itemProcessor(list);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromChainable(eachQueue),
      timeout: Duration.minutes(2),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'Logs', {
          logGroupName: vendedLogGroupName(this, 'QueueProbe'),
          retention: props.logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    // ListJobs has no resource-level permissions; PutMetricData is limited to the library's namespace.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbatch.html
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:ListJobs'], resources: ['*'] }));
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': JOB_METRICS_NAMESPACE } },
      }),
    );
    acknowledgeWildcards(
      this,
      [(this.stateMachine.role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined)?.document],
      () =>
        'batch:ListJobs, cloudwatch:PutMetricData (limited to its namespace by condition), X-Ray and log delivery have no resource-level permissions.',
    );
    new events.Rule(this, 'Schedule', {
      description: 'Looks at the pipeline queues every 5 minutes: jobs waiting in RUNNABLE, and whether one blocks',
      schedule: events.Schedule.rate(PROBE_INTERVAL),
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({ queues: props.queues.map((q) => q.jobQueueArn) }),
          retryAttempts: 2,
        }),
      ],
    });
  }
}
