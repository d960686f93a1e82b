import { ArnFormat, Aspects, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { grantContainerInsightsReads } from './insights-grant';
import { JOB_METRICS_NAMESPACE, JobMetric } from './job-metrics';
import { CapacityPlatform, ICapacity } from '../compute/capacity';
import { SharedJobResources } from '../jobs/shared-job-resources';
import { BATCH_DEFAULT_LOG_GROUP } from '../private/limits';
import { acknowledgeOnGrantee } from '../private/nag';
import { grantRunTagging } from '../private/run-names';

/**
 * A Batch job queue: one this app creates (`JobQueue`) or one another stack or team owns
 * (`JobQueue.fromJobQueueArn`). Jobs, workflows and monitoring take this interface.
 */
export interface IJobQueue extends IConstruct {
  /** The queue's ARN. */
  readonly jobQueueArn: string;
  /** The queue's name (the last part of its ARN). */
  readonly jobQueueName: string;
  /**
   * Its capacities in fallback order, as far as this app knows them: an imported queue has those it was given, so
   * jobs bound to it are checked against them at synth.
   */
  readonly capacities: ICapacity[];
  /** EC2 or Fargate, once known. Job definitions follow it. */
  readonly platform?: CapacityPlatform;
  /** CPU architecture of its capacities, once known. */
  readonly architecture?: ec2.InstanceArchitecture;
  /** Whether jobs submitted here need a share identifier (a fair-share queue). */
  readonly fairShare: boolean;

  /** A job metric of this queue, derived from Batch job state changes by `PipelineMonitoring`. */
  metricJobs(metric: JobMetric, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Jobs that failed for good on this queue. */
  metricJobsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Jobs that succeeded on this queue. */
  metricJobsSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Attempts on this queue ended by a Spot reclaim. */
  metricSpotInterruptions(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Grants `grantee` permission to submit jobs to this queue (and to tag them with the run tag). */
  grantSubmit(grantee: iam.IGrantable): iam.Grant;
  /** Grants `grantee` what `batch-pipelines watch`, `diagnose` and `cancel` call. */
  grantOperate(grantee: iam.IGrantable): iam.Grant;
}

/** What every job queue does the same way, created here or imported: metrics and grants. */
export abstract class JobQueueBase extends Construct implements IJobQueue {
  public abstract readonly jobQueueArn: string;
  public abstract readonly jobQueueName: string;
  public abstract readonly capacities: ICapacity[];
  public abstract readonly platform?: CapacityPlatform;
  public abstract readonly architecture?: ec2.InstanceArchitecture;
  public abstract readonly fairShare: boolean;

  /**
   * A job metric of this queue, derived from Batch job state changes by `PipelineMonitoring` (which must watch this
   * queue for the metric to have data).
   * @default props - sum over 5 minutes
   */
  public metricJobs(metric: JobMetric, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: JOB_METRICS_NAMESPACE,
      metricName: metric,
      dimensionsMap: { JobQueue: this.jobQueueArn },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** Jobs that failed for good on this queue (see `metricJobs`). */
  public metricJobsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricJobs(JobMetric.FAILED, props);
  }

  /** Jobs that succeeded on this queue (see `metricJobs`). */
  public metricJobsSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricJobs(JobMetric.SUCCEEDED, props);
  }

  /** Attempts on this queue ended by a Spot reclaim (see `metricJobs`). */
  public metricSpotInterruptions(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricJobs(JobMetric.SPOT_INTERRUPTIONS, props);
  }

  /**
   * Grants `grantee` what `batch-pipelines watch`, `diagnose`, `cancel` and `rerun` call for the jobs of any queue:
   * ListJobs, DescribeJobs, DescribeJobQueues, DescribeComputeEnvironments and DescribeJobDefinitions (which have no
   * resource-level permissions), and
   * CancelJob and TerminateJob on jobs (whose ids exist only at run time), and the Service Quotas reads `diagnose`
   * sets the account's EC2 vCPU quotas against the queue with (GetServiceQuota, GetAWSDefaultServiceQuota; read-only),
   * and the jobs' logs `batch-pipelines logs` reads (GetLogEvents in the log groups of the job resources shared in the
   * queue's stack, `SharedJobResources`, where its jobs write, and in Batch's default `/aws/batch/job`; a job whose
   * `shared` resources are in another stack: grant `logs:GetLogEvents` on `job.shared.logGroup.logGroupArn`), and
   * the Container Insights performance events `batch-pipelines rightsize` reads (FilterLogEvents in
   * `/aws/ecs/containerinsights/<cluster>/performance`). Submitting is `grantSubmit`.
   * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbatch.html
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_servicequotas.html
   */
  public grantOperate(grantee: iam.IGrantable): iam.Grant {
    const read = iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'batch:ListJobs',
        'batch:DescribeJobs',
        'batch:DescribeJobQueues',
        'batch:DescribeComputeEnvironments',
        'batch:DescribeJobDefinitions',
        'servicequotas:GetServiceQuota',
        'servicequotas:GetAWSDefaultServiceQuota',
      ],
      resourceArns: ['*'],
    });
    const jobs = Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
    const stop = iam.Grant.addToPrincipal({
      grantee,
      actions: ['batch:CancelJob', 'batch:TerminateJob'],
      resourceArns: [jobs],
    });
    acknowledgeOnGrantee(
      this,
      grantee,
      '*',
      'Batch List and Describe actions have no resource-level permissions; the EC2 quotas read are named at run time.',
    );
    acknowledgeOnGrantee(
      this,
      grantee,
      jobs,
      'Jobs to cancel or terminate exist only at run time, with ids no policy can name.',
    );
    return read.combine(stop).combine(grantJobLogs(this, grantee)).combine(grantContainerInsightsReads(this, grantee));
  }

  /** Grants `grantee` permission to submit jobs to this queue (with any job definition it is also granted). */
  public grantSubmit(grantee: iam.IGrantable): iam.Grant {
    grantRunTagging(this, grantee);
    return iam.Grant.addToPrincipal({ grantee, actions: ['batch:SubmitJob'], resourceArns: [this.jobQueueArn] });
  }
}

/**
 * GetLogEvents in Batch's default log group and in the log group of every `SharedJobResources` of `queue`'s stack.
 * Those are read when the app is synthesized (an aspect), so jobs defined after the grant count too. A log group's
 * ARN as IAM policies take it ends in `:*` (its streams).
 */
function grantJobLogs(queue: Construct, grantee: iam.IGrantable): iam.Grant {
  const stack = Stack.of(queue);
  const batchDefault = stack.formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: `${BATCH_DEFAULT_LOG_GROUP}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const grant = iam.Grant.addToPrincipal({ grantee, actions: ['logs:GetLogEvents'], resourceArns: [batchDefault] });
  acknowledgeOnGrantee(
    queue,
    grantee,
    batchDefault,
    "Batch's default log group, where jobs whose definition names no log group write: their streams are named at run time.",
  );
  const [statement] = grant.principalStatements;
  // Added when the app is synthesized, on the first node aspects visit (the app's root): before any role's own aspect
  // splits its policy and freezes the statements (role.js, on the role's node).
  const root = stack.node.root;
  let added = false;
  Aspects.of(root).add({
    visit: (node) => {
      if (node === root && statement && !added && !statement.frozen) {
        added = true;
        const groups = stack.node.findAll().filter((c): c is SharedJobResources => c instanceof SharedJobResources);
        statement.addResources(...groups.map((g) => g.logGroup.logGroupArn));
      }
    },
  });
  return grant;
}
