import type { JobDetail } from '@aws-sdk/client-batch';
import type { GetLogEventsResponse } from '@aws-sdk/client-cloudwatch-logs';

/**
 * What Batch and CloudWatch Logs answer about a job's log, in the shapes of their API references:
 * - a job's description: https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html (JobDetail),
 *   its `container` (https://docs.aws.amazon.com/batch/latest/APIReference/API_ContainerDetail.html: `logStreamName`,
 *   `logConfiguration` `{ logDriver, options }`, `exitCode`, `reason`) and `attempts`
 *   (https://docs.aws.amazon.com/batch/latest/APIReference/API_AttemptDetail.html); the stream name as the awslogs
 *   driver names it with a stream prefix, `<prefix>/default/<ECS task id>`
 *   (https://docs.aws.amazon.com/batch/latest/userguide/using_awslogs.html).
 * - GetLogEvents' response: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
 *   (its example: `events` of `{ ingestionTime, timestamp, message }`, `nextBackwardToken` `b/…`, `nextForwardToken`
 *   `f/…`).
 */

export const GROUP = '/pipeline/GenomicsStack-BatchPipelinesSharedLogs1A2B3C4D-x9Yz';
export const STREAM = 'GenomicsStack_Align/default/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d';
export const FIRST_STREAM = 'GenomicsStack_Align/default/9f8e7d6c5b4a39281706f5e4d3c2b1a0';
export const JOB_ID = '876da822-4198-45f2-a252-6cea32512ea8';

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/batch/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d';

/** A job of this library that failed on its second attempt (its definition names the pipeline's log group). */
export function failedJob(overrides: Partial<JobDetail> = {}): JobDetail {
  return {
    jobArn: `arn:aws:batch:us-east-1:123456789012:job/${JOB_ID}`,
    jobName: 'run1-align-3',
    jobId: JOB_ID,
    jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/Genomics-Spot',
    status: 'FAILED',
    statusReason: 'Essential container in task exited',
    createdAt: 1700000000000,
    startedAt: 1700000060000,
    stoppedAt: 1700000360000,
    jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/GenomicsStack_Align:3',
    attempts: [
      {
        container: { taskArn: TASK, exitCode: 137, logStreamName: FIRST_STREAM, networkInterfaces: [] },
        startedAt: 1700000060000,
        stoppedAt: 1700000200000,
        statusReason: 'Essential container in task exited',
      },
      {
        container: { taskArn: TASK, exitCode: 1, logStreamName: STREAM, networkInterfaces: [] },
        startedAt: 1700000210000,
        stoppedAt: 1700000360000,
        statusReason: 'Essential container in task exited',
      },
    ],
    container: {
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/align:1.4',
      command: ['align'],
      exitCode: 1,
      taskArn: TASK,
      logStreamName: STREAM,
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': GROUP, 'awslogs-stream-prefix': 'GenomicsStack_Align' },
      },
      networkInterfaces: [],
    },
    ...overrides,
  } as JobDetail;
}

/** A job still waiting for capacity: no attempt, no stream (streams come at RUNNING). */
export function runnableJob(): JobDetail {
  const job = failedJob();
  return {
    ...job,
    status: 'RUNNABLE',
    statusReason: undefined,
    attempts: [],
    startedAt: undefined,
    stoppedAt: undefined,
    container: { ...job.container, exitCode: undefined, logStreamName: undefined, taskArn: undefined },
  };
}

/** A page of GetLogEvents, oldest first, with the tokens of the reference's example. */
export function logPage(messages: string[], backward: string, forward: string): GetLogEventsResponse {
  return {
    events: messages.map((message, i) => ({ timestamp: 1700000210000 + i, ingestionTime: 1700000211000 + i, message })),
    nextBackwardToken: backward,
    nextForwardToken: forward,
  };
}
