import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
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
import { eventsLogGroup, eventsTargetArn } from './events-log-group';
import { PipelineTag } from '../core/pipeline-tag';

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

/** Array jobs whose children are listed at once, per queue and look. */
const ARRAY_LISTING_CONCURRENCY = 5;

/**
 * Looks at each queue every 5 minutes and publishes what it sees as gauges: how many jobs wait in RUNNABLE
 * (`JobMetric.WAITING`), how many run (`JobMetric.RUNNING`), and whether Batch reports a waiting job as blocking the
 * queue (`JobMetric.BLOCKED`). It reads the first page (100 jobs) of each listing (ListJobs does not say in which
 * order), so a listing's count stops at 100 and a blocked job at the head of a longer queue may be missed. Job
 * state-change events say when jobs enter RUNNABLE, not that they are still there: a queue stuck for longer than an
 * alarm's window sends no more events, and an alarm on them returns to OK while nothing runs. A gauge stays up as long
 * as the jobs wait.
 *
 * Array jobs: ListJobs takes a queue or an array job's id ("You must specify only one of … a job queue ID … an array
 * job ID to return a list of the children for that job"), and an array's parent is PENDING while its children wait
 * ("An array parent job is updated to PENDING when any child job is updated to RUNNABLE"). AWS does not say that a
 * queue's listing holds the children, so the probe lists the children of each array job among the queue's first 100
 * PENDING jobs by `arrayJobId` (RUNNABLE and RUNNING, first 100 of each), and leaves out of the queue's own listings
 * any job that is an array child (it has `arrayProperties.index`): each child is counted once whichever way Batch lists
 * it.
 *
 * What a look holds: Step Functions fails an execution whose state input or output, or a task's result, exceeds
 * 256 KiB (States.DataLimitExceeded, a terminal error that States.ALL does not match, so neither Retry nor Catch
 * handles it), and a page of 100 job summaries is about 60 KB. So each page is replaced, as soon as it is listed, by
 * one small number a job (a mark), and the next page is listed only then: a state holds at most one page of summaries
 * besides the marks (at most 20,201 numbers, about 40 KB, for 100 array jobs of 100 waiting and 100 running children).
 * The marks are flattened and counted by intrinsic functions.
 *
 * Batch also sends a "Batch Job Queue Blocked" event whenever it finds a RUNNABLE job blocking a queue, array children
 * included; the probe counts those per queue (`JobMetric.BLOCKED_EVENTS`) from a log group of their own. The event is
 * sent when Batch finds the job, not while it stays: the gauge says it lasts.
 *
 * An Express state machine calls ListJobs and PutMetricData; it needs no Lambda. Its failures are its own (no Catch):
 * a probe that cannot look fails or times out its execution, and one that EventBridge cannot start fails the
 * schedule's invocation; `metricFailedLooks()` counts all of them and `metricLooks()` shows when a queue's gauges stop
 * arriving, so a blind stuck-queue alarm does not pass for a quiet one.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html
 * @see https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html
 * @see https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html
 * @see https://docs.aws.amazon.com/batch/latest/userguide/batch-job-queue-blocked-events.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (States.DataLimitExceeded)
 */
export class QueueProbe extends Construct {
  /** The Express state machine that looks at the queues (its failed and timed-out executions are alarmed on). */
  public readonly stateMachine: sfn.StateMachine;
  /** The rule that starts the state machine every 5 minutes. */
  public readonly schedule: events.Rule;
  /** "Batch Job Queue Blocked" events of the queues, as EventBridge delivered them. */
  public readonly blockedEventsLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: QueueProbeProps) {
    super(scope, id);
    PipelineTag.applyTo(this);
    checkKnownProps(this, 'QueueProbeProps', props, QUEUE_PROBE_PROPS_KEYS);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition()),
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
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Looks at the pipeline queues every 5 minutes: jobs waiting in RUNNABLE, and whether one blocks',
      schedule: events.Schedule.rate(PROBE_INTERVAL),
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({ queues: props.queues.map((q) => q.jobQueueArn) }),
          retryAttempts: 2,
        }),
      ],
    });
    this.blockedEventsLogGroup = this.countBlockedEvents(props);
  }

  /**
   * Looks of the probe that failed within each period: executions that failed, timed out or were aborted, and
   * schedule invocations EventBridge gave up on (the rule's `FailedInvocations`, after its retries). Express
   * executions cannot be stopped, so none should be aborted; they are counted all the same.
   * @see https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html
   * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html (not for EXPRESS)
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
   */
  public metricFailedLooks(period: Duration): cloudwatch.MathExpression {
    const sum = { period, statistic: cloudwatch.Stats.SUM };
    return new cloudwatch.MathExpression({
      expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0) + FILL(notStarted, 0)',
      usingMetrics: {
        failed: this.stateMachine.metricFailed(sum),
        timedOut: this.stateMachine.metricTimedOut(sum),
        aborted: this.stateMachine.metricAborted(sum),
        notStarted: new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName: 'FailedInvocations',
          dimensionsMap: { RuleName: this.schedule.ruleName },
          ...sum,
        }),
      },
      period,
      label: 'Queue probe looks that failed, timed out or were not started',
    });
  }

  /**
   * How many looks of the probe published `queue`'s gauges within each period (the sample count of its
   * `JobMetric.WAITING`). No data means the probe published nothing for the queue: alarm on it with missing data
   * treated as breaching, since the stuck-queue alarm reads missing gauges as a quiet queue.
   * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
   */
  public metricLooks(queue: IJobQueue, period: Duration): cloudwatch.Metric {
    return queue.metricJobs(JobMetric.WAITING, { period, statistic: cloudwatch.Stats.SAMPLE_COUNT });
  }

  /** Routes the queues' "Batch Job Queue Blocked" events to a log group and counts them per queue. */
  private countBlockedEvents(props: QueueProbeProps): logs.LogGroup {
    const group = eventsLogGroup(this, 'BlockedEvents', this, props.logRetention);
    new events.Rule(this, 'QueueBlocked', {
      description: 'Batch found a job blocking a pipeline queue (Batch Job Queue Blocked), for the stuck-queue alarm',
      // https://docs.aws.amazon.com/batch/latest/userguide/batch-job-queue-blocked-events.html
      eventPattern: {
        source: ['aws.batch'],
        detailType: ['Batch Job Queue Blocked'],
        detail: { jobQueue: props.queues.map((q) => q.jobQueueArn) },
      },
      targets: [{ bind: () => ({ arn: eventsTargetArn(group) }) }],
    });
    new logs.MetricFilter(this, 'BlockedEventsFilter', {
      logGroup: group,
      // Every event of this log group is a blocked event; its detail is the blocking job, RUNNABLE.
      filterPattern: logs.FilterPattern.literal('{ $.detail.status = "RUNNABLE" }'),
      metricNamespace: JOB_METRICS_NAMESPACE,
      metricName: JobMetric.BLOCKED_EVENTS,
      metricValue: '1',
      dimensions: { JobQueue: '$.detail.jobQueue' },
    });
    return group;
  }

  /**
   * Per queue: list a page, replace it by its marks, list the next; then gather the marks of the queue's own jobs and
   * of its array jobs' children, flatten them, and publish their counts.
   */
  private definition(): sfn.IChainable {
    const C = sfn.Condition;
    // The first page (100) of jobs in a status, of the queue or of an array job; retried, never caught.
    const listJobs = (id: string, of: 'JobQueue' | 'ArrayJobId', path: string, status: string, resultPath: string) => {
      const task = new sfn.CustomState(this, id, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:batch:listJobs`,
          Parameters: { [`${of}.$`]: path, JobStatus: status, MaxResults: 100 },
          ResultSelector: { 'jobs.$': '$.JobSummaryList' },
          ResultPath: resultPath,
        },
      });
      task.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
      return task;
    };
    const blocking = C.and(
      C.isPresent('$.StatusReason'),
      C.isString('$.StatusReason'),
      C.or(...BLOCKED_REASON_PATTERNS.map((p) => C.stringMatches('$.StatusReason', p))),
    );
    // A page of jobs, replaced by its marks (the Map's ResultPath is the page's): 1 a job, 2 a waiting job that blocks
    // the queue (not 0: aws-local-stepfunctions 3.0.0 takes a Pass state's Result 0 for none). In the queue's own pages
    // each mark is wrapped ([1], [2]) and an array child's is [] (its parent's listing counts it), so every list of
    // marks has the same depth.
    const marks = (id: string, page: string, { own, waiting }: { own: boolean; waiting: boolean }) => {
      const map = new sfn.Map(this, id, { itemsPath: `${page}.jobs`, resultPath: page });
      const mark = (name: string, n: number) =>
        new sfn.Pass(this, `${id}: ${name}`, { result: own ? sfn.Result.fromArray([n]) : sfn.Result.fromNumber(n) });
      const rules: Array<[sfn.Condition, sfn.IChainable]> = [];
      if (own) {
        rules.push([
          C.isPresent('$.ArrayProperties.Index'),
          new sfn.Pass(this, `${id}: array child`, { result: sfn.Result.fromArray([]) }),
        ]);
      }
      if (waiting) {
        rules.push([blocking, mark('blocking', 2)]);
      }
      const other = mark(waiting ? 'waiting' : 'running', 1);
      map.itemProcessor(
        rules.length === 0
          ? other
          : rules
              .reduce((c, [when, next]) => c.when(when, next), new sfn.Choice(this, `${id}: which?`))
              .otherwise(other),
      );
      return map;
    };
    // The children of each array job among the PENDING ones: their marks, {waiting, running} for each PENDING job.
    const children = new sfn.Map(this, 'Children of array jobs', {
      itemsPath: '$.pending.jobs',
      maxConcurrency: ARRAY_LISTING_CONCURRENCY,
      resultSelector: { 'waiting.$': '$[*].waiting', 'running.$': '$[*].running' },
      resultPath: '$.pending',
    });
    children.itemProcessor(
      new sfn.Choice(this, 'Array job?')
        .when(
          C.isPresent('$.ArrayProperties.Size'),
          listJobs('List waiting children', 'ArrayJobId', '$.JobId', 'RUNNABLE', '$.waiting')
            .next(marks('Waiting children', '$.waiting', { own: false, waiting: true }))
            .next(listJobs('List running children', 'ArrayJobId', '$.JobId', 'RUNNING', '$.running'))
            .next(marks('Running children', '$.running', { own: false, waiting: false }))
            .next(
              new sfn.Pass(this, 'Children', { parameters: { 'waiting.$': '$.waiting', 'running.$': '$.running' } }),
            ),
        )
        .otherwise(
          new sfn.Pass(this, 'Not an array job', { result: sfn.Result.fromObject({ waiting: [], running: [] }) }),
        ),
    );
    // A path matching nothing fails the state ("does not point to a value"), so the Map runs only over a list that has
    // an item, and every flattened list starts with a mark 1 that the counts leave out.
    const anyPending = new sfn.Choice(this, 'Any pending?')
      .when(C.isPresent('$.pending.jobs[0]'), children)
      .otherwise(
        new sfn.Pass(this, 'No pending jobs', {
          result: sfn.Result.fromObject({ waiting: [], running: [] }),
          resultPath: '$.pending',
        }),
      )
      .afterwards();
    // Every waiting and running job's mark once: the queue's own (children left out) and the array jobs' children, as
    // lists of lists of lists flattened by [*][*][*] (https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html).
    const first = 'States.Array(States.Array(1))';
    const gather = new sfn.Pass(this, 'Gather', {
      parameters: {
        'queue.$': '$.queue',
        'waiting.$': `States.Array(${first}, $.waiting, $.pending.waiting)`,
        'running.$': `States.Array(${first}, $.running, $.pending.running)`,
      },
    });
    const flatten = new sfn.Pass(this, 'Flatten', {
      parameters: { 'queue.$': '$.queue', 'waiting.$': '$.waiting[*][*][*]', 'running.$': '$.running[*][*][*]' },
    });
    // Counts leave out the first mark; the waiting marks' distinct values are [1] or [1, 2], so one less is whether a
    // job blocks the queue (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html).
    const publish = new sfn.CustomState(this, 'Publish', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:cloudwatch:putMetricData`,
        Parameters: {
          Namespace: JOB_METRICS_NAMESPACE,
          MetricData: [
            [JobMetric.WAITING, 'States.ArrayLength($.waiting)'],
            [JobMetric.BLOCKED, 'States.ArrayLength(States.ArrayUnique($.waiting))'],
            [JobMetric.RUNNING, 'States.ArrayLength($.running)'],
          ].map(([name, marks]) => ({
            MetricName: name,
            Dimensions: [{ Name: 'JobQueue', 'Value.$': '$.queue' }],
            'Value.$': `States.MathAdd(${marks}, -1)`,
            Unit: 'Count',
          })),
        },
        End: true,
      },
    });
    publish.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
    const list = listJobs('List waiting jobs', 'JobQueue', '$.queue', 'RUNNABLE', '$.waiting');
    list
      .next(marks('Own waiting jobs', '$.waiting', { own: true, waiting: true }))
      .next(listJobs('List running jobs', 'JobQueue', '$.queue', 'RUNNING', '$.running'))
      .next(marks('Own running jobs', '$.running', { own: true, waiting: false }))
      .next(listJobs('List pending jobs', 'JobQueue', '$.queue', 'PENDING', '$.pending'))
      .next(anyPending)
      .next(gather)
      .next(flatten)
      .next(publish);
    const eachQueue = new sfn.Map(this, 'Each queue', {
      itemsPath: '$.queues',
      itemSelector: { 'queue.$': '$$.Map.Item.Value' },
      resultPath: sfn.JsonPath.DISCARD,
    });
    eachQueue.itemProcessor(list);
    return eachQueue;
  }
}
