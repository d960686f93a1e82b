import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { JobMetric } from '../queues/job-metrics';

import { IJobQueue } from '../queues/job-queue-base';
import { Workflow } from '../workflow/workflow';

export function createDashboard(
  scope: Construct,
  queues: IJobQueue[],
  jobEventsLogGroup: logs.ILogGroup,
  workflow: Workflow | undefined,
): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
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
      left: queues.flatMap((q) => [
        q.metricJobs(JobMetric.SUCCEEDED, { ...hour, label: `${q.node.id} succeeded` }),
        q.metricJobs(JobMetric.FAILED, { ...hour, label: `${q.node.id} failed` }),
      ]),
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Queued, waiting and started jobs; Spot interruptions and blocked-queue events',
      left: queues.flatMap((q) => [
        q.metricJobs(JobMetric.RUNNABLE, { ...hour, label: `${q.node.id} queued` }),
        q.metricJobs(JobMetric.WAITING, {
          ...hour,
          statistic: cloudwatch.Stats.MAXIMUM,
          label: `${q.node.id} waiting (most seen)`,
        }),
        q.metricJobs(JobMetric.STARTING, { ...hour, label: `${q.node.id} started` }),
      ]),
      right: queues.flatMap((q) => [
        q.metricJobs(JobMetric.SPOT_INTERRUPTIONS, { ...hour, label: `${q.node.id} Spot interruptions` }),
        q.metricJobs(JobMetric.BLOCKED_EVENTS, { ...hour, label: `${q.node.id} blocked (Batch Job Queue Blocked)` }),
      ]),
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.LogQueryWidget({
      title: 'Failed jobs: reason and log stream',
      logGroupNames: [jobEventsLogGroup.logGroupName],
      queryLines: [
        'fields @timestamp, detail.jobName, detail.jobQueue, detail.statusReason, detail.container.logStreamName',
        "filter detail.status = 'FAILED'",
        'sort @timestamp desc',
        'limit 50',
      ],
      width: 24,
    }),
  );
  const jobLogs = [...new Set(workflow?.steps.map((s) => s.job.shared.logGroup) ?? [])];
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
