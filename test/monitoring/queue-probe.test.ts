import { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { PipelineMonitoring } from '../../lib';
import { aslOf, indexOfMachine } from '../support/asl';
import { genomicsPipeline } from '../support/pipeline';

const ref = (stack: Stack, c: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(c.node.defaultChild as CfnElement);

function monitored() {
  const p = genomicsPipeline();
  const monitoring = new PipelineMonitoring(p.stack, 'Monitoring', {
    queues: [p.standard, p.urgent],
    workflow: p.workflow,
  });
  return { ...p, monitoring, template: Template.fromStack(p.stack) };
}

describe('the queue probe looks at the queues, array children included', () => {
  const m = monitored();
  const asl = aslOf(m.template, indexOfMachine(m.template, ref(m.stack, m.monitoring.probe.stateMachine))) as Record<
    string,
    unknown
  >;
  const QUEUE = 'arn:aws:batch:us-east-1:123456789012:job-queue/StandardQueue';
  const PARENT = '1a2b3c4d-0a82-49aa-ba5a-4727fcce14a8';
  /**
   * ListJobs JobSummary entries as the Step Functions AWS SDK integration returns them (the API's fields in
   * PascalCase: https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html; fields:
   * https://docs.aws.amazon.com/batch/latest/APIReference/API_JobSummary.html). An array parent carries
   * ArrayProperties.Size, a child ArrayProperties.Index and the id `<parent id>:<index>`
   * (https://docs.aws.amazon.com/batch/latest/APIReference/API_ArrayPropertiesSummary.html,
   * https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html). The blocked reason is the one
   * https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable_capacity.html gives.
   */
  const summary = (i: number, status: string, extra: Record<string, unknown> = {}) => ({
    JobArn: `arn:aws:batch:us-east-1:123456789012:job/0000000${i}-0a82-49aa-ba5a-4727fcce14a8`,
    JobId: `0000000${i}-0a82-49aa-ba5a-4727fcce14a8`,
    JobName: `photos-2026-48-resize-${i}`,
    CreatedAt: 1764400000000 + i,
    Status: status,
    JobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/Test_Resize:3',
    ...extra,
  });
  const BLOCKED_REASON =
    'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested for instance type r5.4xlarge';
  const parent = summary(9, 'PENDING', { JobId: PARENT, ArrayProperties: { Size: 3 } });
  const child = (index: number, status: string, extra: Record<string, unknown> = {}) =>
    summary(index, status, { JobId: `${PARENT}:${index}`, ArrayProperties: { Index: index }, ...extra });

  interface Listing {
    queue?: Record<string, unknown[]>;
    children?: Record<string, unknown[]>;
  }
  const look = async ({ queue = {}, children = {} }: Listing) => {
    const published: Array<{ MetricData: Array<{ MetricName: string; Value: number; Dimensions: unknown[] }> }> = [];
    const childCalls: unknown[] = [];
    const list = (of: Record<string, unknown[]>, status: string) => async (input: { JobStatus: string }) => {
      expect(input.JobStatus).toBe(status);
      return { JobSummaryList: of[status] ?? [] };
    };
    const listChildren = (status: string) => async (input: { ArrayJobId: string; JobStatus: string }) => {
      childCalls.push(input);
      return list(children, status)(input);
    };
    await new StateMachine(asl as never, { validationOptions: { checkArn: false } }).run({ queues: [QUEUE] } as never, {
      overrides: {
        taskResourceLocalHandlers: {
          'List waiting jobs': list(queue, 'RUNNABLE'),
          'List running jobs': list(queue, 'RUNNING'),
          'List pending jobs': list(queue, 'PENDING'),
          'List waiting children': listChildren('RUNNABLE'),
          'List running children': listChildren('RUNNING'),
          Publish: async (input: never) => (published.push(input), {}),
        } as never,
      },
    }).result;
    expect(published).toHaveLength(1);
    expect(published[0].MetricData[0].Dimensions).toEqual([{ Name: 'JobQueue', Value: QUEUE }]);
    return {
      gauges: Object.fromEntries(published[0].MetricData.map((d) => [d.MetricName, d.Value])),
      childCalls,
    };
  };

  test('an idle queue: nothing waits, runs or blocks', async () => {
    const { gauges, childCalls } = await look({});
    expect(gauges).toEqual({ JobsWaiting: 0, QueueBlocked: 0, JobsRunning: 0 });
    expect(childCalls).toEqual([]);
  });

  test('jobs waiting their turn are counted, not blocked; a plain PENDING job lists no children', async () => {
    const { gauges, childCalls } = await look({
      queue: {
        RUNNABLE: [summary(1, 'RUNNABLE'), summary(2, 'RUNNABLE'), summary(3, 'RUNNABLE')],
        RUNNING: [summary(4, 'RUNNING')],
        PENDING: [summary(5, 'PENDING')],
      },
    });
    expect(gauges).toEqual({ JobsWaiting: 3, QueueBlocked: 0, JobsRunning: 1 });
    expect(childCalls).toEqual([]);
  });

  test('a job Batch reports as blocking the queue marks it blocked', async () => {
    const { gauges } = await look({
      queue: { RUNNABLE: [summary(1, 'RUNNABLE'), summary(2, 'RUNNABLE', { StatusReason: BLOCKED_REASON })] },
    });
    expect(gauges).toEqual({ JobsWaiting: 2, QueueBlocked: 1, JobsRunning: 0 });
  });

  // ListJobs takes a queue or an array job id, and an array's parent is PENDING while a child is RUNNABLE
  // (https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html,
  // https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html): the children are listed through the parent.
  test('children of an array job waiting in PENDING are counted, and a blocked child blocks the queue', async () => {
    const { gauges, childCalls } = await look({
      queue: { PENDING: [summary(5, 'PENDING'), parent] },
      children: {
        RUNNABLE: [child(0, 'RUNNABLE'), child(1, 'RUNNABLE', { StatusReason: BLOCKED_REASON })],
        RUNNING: [child(2, 'RUNNING')],
      },
    });
    expect(gauges).toEqual({ JobsWaiting: 2, QueueBlocked: 1, JobsRunning: 1 });
    expect(childCalls).toEqual([
      { ArrayJobId: PARENT, JobStatus: 'RUNNABLE', MaxResults: 100 },
      { ArrayJobId: PARENT, JobStatus: 'RUNNING', MaxResults: 100 },
    ]);
  });

  test('children waiting with none running: the stuck-queue alarm sees jobs waiting and nothing running', async () => {
    const { gauges } = await look({
      queue: { PENDING: [parent] },
      children: { RUNNABLE: [child(0, 'RUNNABLE'), child(1, 'RUNNABLE'), child(2, 'RUNNABLE')] },
    });
    expect(gauges).toEqual({ JobsWaiting: 3, QueueBlocked: 0, JobsRunning: 0 });
  });

  test('children that the queue listing holds too are counted once', async () => {
    const { gauges } = await look({
      queue: {
        PENDING: [parent],
        RUNNABLE: [summary(1, 'RUNNABLE'), child(0, 'RUNNABLE'), child(1, 'RUNNABLE')],
        RUNNING: [child(2, 'RUNNING')],
      },
      children: { RUNNABLE: [child(0, 'RUNNABLE'), child(1, 'RUNNABLE')], RUNNING: [child(2, 'RUNNING')] },
    });
    expect(gauges).toEqual({ JobsWaiting: 3, QueueBlocked: 0, JobsRunning: 1 });
  });

  test('a probe that cannot list fails its execution (no Catch), for the QueueProbeFailed alarm', async () => {
    const run = new StateMachine(asl as never, { validationOptions: { checkArn: false } }).run(
      { queues: [QUEUE] } as never,
      {
        overrides: {
          taskResourceLocalHandlers: {
            'List waiting jobs': async () => {
              // The error a Step Functions AWS SDK task raises for a Batch ClientException
              // (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html#use-awssdk-integ).
              throw Object.assign(new Error('Job queue does not exist'), { name: 'Batch.ClientException' });
            },
          } as never,
          // Its 3 retries (after 2 s, 4 s, 8 s) are not waited for.
          retryIntervalOverrides: { 'List waiting jobs': 0 },
        },
      },
    );
    await expect(run.result).rejects.toThrow();
  });
});

describe('the probe cannot go blind without an alarm', () => {
  const m = monitored();
  const { template, stack } = m;
  const probe = m.monitoring.probe;
  const topic = { Ref: ref(stack, m.monitoring.topic) };

  // A probe that times out is counted in ExecutionsTimedOut, not ExecutionsFailed
  // (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html), and one EventBridge cannot start
  // shows only in its rule's FailedInvocations (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
  test('QueueProbeFailed counts failed, timed-out and aborted looks and schedule invocations that failed', () => {
    const machine = { Ref: ref(stack, probe.stateMachine) };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^The queue probe failed, timed out or was not started 3 times'),
      Threshold: 3,
      AlarmActions: [topic],
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0) + FILL(notStarted, 0)',
        }),
        ...[
          ['failed', 'ExecutionsFailed'],
          ['timedOut', 'ExecutionsTimedOut'],
          ['aborted', 'ExecutionsAborted'],
        ].map(([id, name]) =>
          Match.objectLike({
            Id: id,
            MetricStat: Match.objectLike({
              Stat: 'Sum',
              Metric: {
                Namespace: 'AWS/States',
                MetricName: name,
                Dimensions: [{ Name: 'StateMachineArn', Value: machine }],
              },
            }),
          }),
        ),
        Match.objectLike({
          Id: 'notStarted',
          MetricStat: Match.objectLike({
            Stat: 'Sum',
            Metric: {
              Namespace: 'AWS/Events',
              MetricName: 'FailedInvocations',
              Dimensions: [{ Name: 'RuleName', Value: { Ref: ref(stack, probe.schedule) } }],
            },
          }),
        }),
      ]),
    });
  });

  // Missing data is treated as breaching: a probe that stopped publishing must not look like a quiet queue, which the
  // stuck alarm (missing data not breaching) would take it for.
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
  test.each([
    ['Standard', 0],
    ['Urgent', 1],
  ])('%s queue: ProbeSilent alarms when its gauges stop arriving for 15 minutes', (label, i) => {
    const queue = [m.standard, m.urgent][i];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp(`^The queue probe published nothing for .*${label}.* for 15 minutes`),
      Namespace: 'CdkBatchPipelines/Jobs',
      MetricName: 'JobsWaiting',
      Statistic: 'SampleCount',
      Period: 900,
      Dimensions: [{ Name: 'JobQueue', Value: { 'Fn::GetAtt': [ref(stack, queue.jobQueue), 'JobQueueArn'] } }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [topic],
    });
    expect(m.monitoring.alarms[`${label}ProbeSilent`]).toBeDefined();
  });

  // Shape of the event: https://docs.aws.amazon.com/batch/latest/userguide/batch-job-queue-blocked-events.html
  test('Batch Job Queue Blocked events of the queues are counted per queue from a log group of their own', () => {
    const group = probe.blockedEventsLogGroup;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.batch'],
        'detail-type': ['Batch Job Queue Blocked'],
        detail: {
          jobQueue: [m.standard, m.urgent].map((q) => ({ 'Fn::GetAtt': [ref(stack, q.jobQueue), 'JobQueueArn'] })),
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/events/'),
      ResourcePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({ Principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] } }),
        ],
      }),
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: ref(stack, group) },
      FilterPattern: '{ $.detail.status = "RUNNABLE" }',
      MetricTransformations: [
        Match.objectLike({
          MetricName: 'QueueBlockedEvents',
          MetricNamespace: 'CdkBatchPipelines/Jobs',
          Dimensions: [{ Key: 'JobQueue', Value: '$.detail.jobQueue' }],
        }),
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('Batch Job Queue Blocked event'),
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression:
            'IF((FILL(waiting, 0) > 0 AND FILL(running, 0) == 0 AND FILL(started, 0) == 0) OR FILL(blocked, 0) > 0 ' +
            'OR FILL(blockedEvents, 0) > 0, 1, 0)',
        }),
        Match.objectLike({
          Id: 'blockedEvents',
          MetricStat: Match.objectLike({ Stat: 'Sum', Metric: Match.objectLike({ MetricName: 'QueueBlockedEvents' }) }),
        }),
      ]),
    });
  });

  test('the dashboard graphs blocked-queue events per queue beside Spot interruptions', () => {
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('Spot interruptions and blocked-queue events');
    for (const label of ['Standard', 'Urgent']) {
      expect(body).toContain(`${label} blocked (Batch Job Queue Blocked)`);
    }
    expect(body).toContain('QueueBlockedEvents');
  });

  test('no account-level CloudWatch Logs resource policy (an account holds at most 10 per Region)', () => {
    // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html
    template.resourceCountIs('AWS::Logs::ResourcePolicy', 0);
  });
});
