import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BatchPipelinesValidationError, JOB_METRICS_NAMESPACE, JobMetric, PipelineMonitoring } from '../../lib';
import { errorOf } from '../support/capacity';
import { applicationError } from '../support/batch-failures';
import { genomicsPipeline, jobFailure, runLocally, threeSamples } from '../support/pipeline';
import { stackWithVpc } from '../support/stacks';
import { monitored, notifierOf, ref } from './monitored';
import * as samples from './sample-events';

describe('PipelineMonitoring', () => {
  const m = monitored({ notificationEmail: 'ops@example.org' });
  const { template, stack } = m;
  const queueArns = [m.standard, m.urgent].map((q) => ({ 'Fn::GetAtt': [ref(stack, q.jobQueue), 'JobQueueArn'] }));

  test('notifications go to a KMS-encrypted, TLS-only SNS topic with the e-mail subscribed', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [ref(stack, m.monitoring.key), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          // The topic policy replaces SNS's default one: CloudWatch alarms may publish only if it says so.
          // https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org' });
  });

  test('every job state change of the pipeline queues is logged for metrics, with retention', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.batch'],
        'detail-type': ['Batch Job State Change'],
        detail: { jobQueue: queueArns },
      },
      // The group's ARN without the ':*' its GetAtt Arn ends in: EventBridge delivers nothing to a ':*' target.
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
      Targets: [
        Match.objectLike({
          Arn: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':logs:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':log-group:',
                { Ref: ref(stack, m.monitoring.jobEventsLogGroup) },
              ],
            ],
          },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/events/'),
      RetentionInDays: 30,
    });
    // EventBridge may write there by the log group's own resource policy: an account holds at most 10 account-level
    // ones and cannot raise that, but log-group ones do not count against it.
    // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html
    template.resourceCountIs('AWS::Logs::ResourcePolicy', 0);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/events/'),
      ResourcePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          Match.objectLike({
            Principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] },
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          }),
        ],
      },
    });
  });

  test('failed jobs, and the run ends a run cannot report itself (timed out, aborted, an uncatchable error), notify through the notifier', () => {
    const notifier = { Ref: ref(stack, m.monitoring.notifier) };
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.batch'],
        'detail-type': ['Batch Job State Change'],
        detail: {
          jobQueue: queueArns,
          status: ['FAILED'],
          parameters: { BatchPipelinesWorkflow: [{ exists: false }] },
          arrayProperties: { index: [{ exists: false }] },
        },
      },
      Targets: [Match.objectLike({ Arn: notifier })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [{ Ref: ref(stack, m.workflow.stateMachine) }],
          // States.ALL does not catch these: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
          $or: [
            { status: ['TIMED_OUT', 'ABORTED'] },
            { status: ['FAILED'], error: ['States.Runtime', 'States.DataLimitExceeded'] },
          ],
        },
      },
      Targets: [Match.objectLike({ Arn: notifier })],
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS' });
  });

  test('notifyRunSucceeded: false keeps quiet when every item succeeded, still reports a run with failed items', async () => {
    const notify = notifierOf(monitored({ notifyRunSucceeded: false }));
    const output = (status: string) =>
      JSON.stringify({ samplesSummary: { status, items: 3, failed: status === 'PARTIAL' ? 1 : 0 } });
    expect(await notify(samples.executionSucceeded(output('SUCCEEDED')))).toEqual([]);
    expect(await notify(samples.executionSucceeded(output('PARTIAL')))).toHaveLength(1);
  });

  test('metric filters count job states and Spot interruptions per queue', () => {
    const expected: Array<[JobMetric, string]> = [
      [JobMetric.RUNNABLE, '{ $.detail.status = "RUNNABLE" }'],
      [JobMetric.STARTING, '{ $.detail.status = "STARTING" }'],
      [JobMetric.SUCCEEDED, '{ $.detail.status = "SUCCEEDED" }'],
      [JobMetric.FAILED, '{ $.detail.status = "FAILED" }'],
      [
        JobMetric.SPOT_INTERRUPTIONS,
        '{ ($.detail.status = "SUCCEEDED" || $.detail.status = "FAILED") && ($.detail.attempts[0].statusReason = ' +
          '"Host EC2*" || $.detail.attempts[0].statusReason = "Your Spot Task was interrupted*") }',
      ],
    ];
    for (const [metric, pattern] of expected) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: pattern,
        MetricTransformations: [
          {
            MetricNamespace: JOB_METRICS_NAMESPACE,
            MetricName: metric,
            MetricValue: '1',
            Dimensions: [{ Key: 'JobQueue', Value: '$.detail.jobQueue' }],
          },
        ],
      });
    }
    expect(m.standard.metricJobsFailed().metricName).toBe('JobsFailed');
    expect(m.standard.metricSpotInterruptions().namespace).toBe(JOB_METRICS_NAMESPACE);
  });

  test('stuck-queue alarm: jobs waiting all hour while none ran or started, or the queue blocked all hour; stays on while it lasts', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp(
        '^Jobs waited in RUNNABLE on Test/Standard for 1 hour while none ran or started',
      ),
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression:
            'IF((FILL(waiting, 0) > 0 AND FILL(running, 0) == 0 AND FILL(started, 0) == 0) OR FILL(blocked, 0) > 0 ' +
            'OR FILL(blockedEvents, 0) > 0, 1, 0)',
        }),
        // Gauges, read as their Minimum: above 0 for the whole hour.
        Match.objectLike({
          Id: 'waiting',
          MetricStat: Match.objectLike({
            Period: 3600,
            Stat: 'Minimum',
            Metric: Match.objectLike({ MetricName: 'JobsWaiting' }),
          }),
        }),
        // Jobs waiting behind running ones are taking their turn: any running job in the hour clears it.
        Match.objectLike({
          Id: 'running',
          MetricStat: Match.objectLike({ Stat: 'Maximum', Metric: Match.objectLike({ MetricName: 'JobsRunning' }) }),
        }),
        Match.objectLike({
          Id: 'started',
          MetricStat: Match.objectLike({ Stat: 'Sum', Metric: Match.objectLike({ MetricName: 'JobsStarting' }) }),
        }),
        Match.objectLike({
          Id: 'blocked',
          MetricStat: Match.objectLike({ Stat: 'Minimum', Metric: Match.objectLike({ MetricName: 'QueueBlocked' }) }),
        }),
      ]),
      AlarmActions: [{ Ref: ref(stack, m.monitoring.topic) }],
    });
  });

  test('the queue probe runs every 5 minutes over the watched queues, may only list jobs and publish its own metrics', () => {
    const probe = { Ref: ref(stack, m.monitoring.probe.stateMachine) };
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: probe })],
    });
    const [rule] = Object.values(
      template.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'rate(5 minutes)' } }),
    );
    const input = JSON.stringify(rule.Properties.Targets[0].Input);
    for (const q of [m.standard, m.urgent]) {
      expect(input).toContain(ref(stack, q.jobQueue));
    }
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('"Action":"batch:ListJobs","Effect":"Allow","Resource":"*"');
    expect(policies).toContain(
      '"Action":"cloudwatch:PutMetricData","Condition":{"StringEquals":{"cloudwatch:namespace":"CdkBatchPipelines/Jobs"}}',
    );
    // Its alarms (QueueProbeFailed, ProbeSilent) are tested in queue-probe.test.ts.
  });

  test('Spot interruption alarm: over 20% of started jobs in an hour, at least 3', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 20,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: Match.arrayWith([
        // MAX takes time series only, not a number: the divisor is kept at 1 or more with IF.
        Match.objectLike({
          Expression: 'IF(FILL(spot, 0) >= 3, 100 * FILL(spot, 0) / IF(FILL(started, 0) > 1, FILL(started, 0), 1), 0)',
        }),
      ]),
      // SpotInterruptions counts reclaimed attempts when their job ends (spot-interruptions.test.ts).
      AlarmDescription: Match.stringLikeRegexp('reclaimed attempts are counted when their job ends'),
    });
  });

  test('workflow alarms on failed, timed-out and throttled executions notify the topic', () => {
    for (const metricName of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionThrottled']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metricName,
        Namespace: 'AWS/States',
        Threshold: 1,
        Period: 300,
        AlarmActions: [{ Ref: ref(stack, m.monitoring.topic) }],
      });
    }
    expect(Object.keys(m.monitoring.alarms).sort()).toEqual([
      'NotifierFailed',
      'NotifierUndelivered',
      'QueueProbeFailed',
      'StandardProbeSilent',
      'StandardSpotInterruptions',
      'StandardStuck',
      'UrgentProbeSilent',
      'UrgentSpotInterruptions',
      'UrgentStuck',
      'WorkflowExecutionsFailed',
      'WorkflowExecutionsThrottled',
      'WorkflowExecutionsTimedOut',
      'WorkflowRunSummariesUnsent',
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RunSummariesUnsent',
      Namespace: JOB_METRICS_NAMESPACE,
      Dimensions: [{ Name: 'Workflow', Value: m.workflow.node.path }],
      Statistic: 'Sum',
      Threshold: 1,
      AlarmActions: [{ Ref: ref(stack, m.monitoring.topic) }],
    });
  });

  test('a dashboard shows executions, durations, jobs by state, Spot interruptions and Logs Insights queries', () => {
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const text of [
      'Workflow executions',
      'Workflow duration (p50, p90, p99)',
      'Jobs by final state, per queue',
      'Spot interruptions',
      "filter detail.status = 'FAILED'",
      'Errors in job logs',
    ]) {
      expect(body).toContain(text);
    }
  });

  test('every log group it creates has a retention', () => {
    for (const g of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(g.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  test('state machines log under /aws/vendedlogs/states/, which keeps the account log resource policy small', () => {
    // https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
    const groups = template.findResources('AWS::Logs::LogGroup');
    for (const machine of Object.values(template.findResources('AWS::StepFunctions::StateMachine'))) {
      const arn = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn;
      const group = groups[arn['Fn::GetAtt'][0]];
      expect(group.Properties.LogGroupName['Fn::Join'][1][0]).toMatch(/^\/aws\/vendedlogs\/states\//);
    }
  });
});

describe('the notifier turns events into readable messages', () => {
  const m = monitored();
  const notify = notifierOf(m);

  test('a Spot interruption', async () => {
    const [msg] = await notify(samples.spotInterrupted);
    expect(msg.Subject).toBe('Batch job failed');
    expect(msg.Message).toBe(
      'Batch job Align (4c7599ae-0a82-49aa-ba5a-4727fcce14a8) FAILED on queue ' +
        'arn:aws:batch:us-east-1:123456789012:job-queue/StandardQueue after 3 attempt(s); its container did not exit ' +
        'by itself (e.g. the Spot instance was reclaimed).\n\n' +
        'Reason: Host EC2 (instance i-0f8e1c2d3b4a59687) terminated.\n' +
        'Log stream: Align/default/0a1b2c3d4e5f\n' +
        'Job: https://us-east-1.console.aws.amazon.com/batch/home?region=us-east-1#jobs/detail/4c7599ae-0a82-49aa-ba5a-4727fcce14a8',
    );
  });

  test('an out-of-memory kill', async () => {
    const [msg] = await notify(samples.outOfMemory);
    expect(msg.Subject).toBe('Batch job failed');
    expect(msg.Message).toContain(
      'FAILED on queue arn:aws:batch:us-east-1:123456789012:job-queue/StandardQueue after 1 attempt(s).',
    );
    expect(msg.Message).toContain('Reason: OutOfMemoryError: Container killed due to memory usage\nExit code: 137\n');
    expect(msg.Message).toContain('Log stream: CallVariants/default/9f8e7d6c');
  });

  test('an application failure', async () => {
    const [msg] = await notify(samples.applicationError);
    expect(msg.Message).toContain(
      'Reason: Essential container in task exited\nExit code: 2\nLog stream: Qc/default/5a6b7c8d',
    );
  });

  test('a job cancelled before it ran', async () => {
    const [msg] = await notify(samples.cancelledWhileRunnable);
    expect(msg.Message).toContain('after 0 attempt(s), before a container ran.');
    expect(msg.Message).toContain('Reason: MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - cancelled after 1800 seconds');
  });

  test('a failed and a timed-out workflow execution', async () => {
    const [failed] = await notify(samples.executionFailed);
    expect(failed.Subject).toBe('Workflow run FAILED');
    expect(failed.Message).toContain('Error: samples.ItemsFailed\nCause: [{"sampleId":"NA12878"');
    expect(failed.Message).toContain(
      '#/v2/executions/details/arn:aws:states:us-east-1:123456789012:execution:Workflow:batch-42',
    );
    const [timedOut] = await notify(samples.executionTimedOut);
    expect(timedOut.Subject).toBe('Workflow run TIMED_OUT');
    expect(timedOut.Message).toContain('Error: (none)\nCause: (none)');
  });

  test('a failed array child sends nothing: its parent fails and notifies once, with its children by status', async () => {
    expect(await notify(samples.arrayChildFailed)).toEqual([]);
    const [msg] = await notify(samples.arrayParentFailed);
    expect(msg.Subject).toBe('Batch job failed');
    expect(msg.Message).toContain(
      'Array job resize-photos (4c7599ae-0a82-49aa-ba5a-4727fcce14a8) FAILED on queue arn:aws:batch:us-east-1:123456789012:job-queue/StandardQueue: children by status {"SUCCEEDED":7,"FAILED":3}.',
    );
  });

  test('a run that succeeded with some items failed: one message with each fan-out outcome and the rerun command', async () => {
    // The event carries the output the workflow really produced: one sample of three failed, within the policy.
    const p = genomicsPipeline({ maxFailedItems: 1 });
    const run = await runLocally(p.stack, threeSamples, (call) => {
      if (call.state === 'align' && call.input.Parameters?.sampleId === 's2') {
        throw jobFailure(applicationError());
      }
    });
    const event = samples.executionSucceeded(JSON.stringify(run.output));
    const [msg] = await notify(event);
    expect(msg.Subject).toBe('Workflow run SUCCEEDED, some items failed');
    expect(msg.Message).toBe(
      'Workflow execution batch-42 ended SUCCEEDED.\n\nsamples: PARTIAL, 1 of 3 items failed\n\n' +
        'List the failed items and their reasons: batch-pipelines rerun --execution-arn ' +
        'arn:aws:states:us-east-1:123456789012:execution:Workflow:batch-42 --dry-run (without --dry-run it reruns them).\n' +
        'Where the time and money went: batch-pipelines report --execution-arn ' +
        'arn:aws:states:us-east-1:123456789012:execution:Workflow:batch-42\n' +
        'Execution: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/' +
        'arn:aws:states:us-east-1:123456789012:execution:Workflow:batch-42',
    );
  });

  test('with outcomes in S3, the message says where they are and what each step took from the step cache', async () => {
    // An imported bucket: a name, no reference into the pipeline's own app.
    const results = s3.Bucket.fromBucketName(stackWithVpc().stack, 'Results', 'results-bucket');
    const p = genomicsPipeline({ maxFailedItems: 1, results: { bucket: results } });
    const cacheStore = new Map<string, string>();
    const run = await runLocally(
      p.stack,
      threeSamples,
      (call) => {
        if (call.state === 'align' && call.input.Parameters?.sampleId === 's2') {
          throw jobFailure(applicationError());
        }
      },
      'run-1',
      { cacheStore },
    );
    expect(run.error).toBeUndefined();
    const [msg] = await notify(samples.executionSucceeded(JSON.stringify(run.output)));
    expect(msg.Message).toContain(
      '\nsamples: PARTIAL, 1 of 3 items failed; outcomes: s3://results-bucket/results/local-run/manifest.json; ' +
        'from the step cache: align 0, callVariants 0, qc 0\n',
    );
    // Run again once the input is fixed: the two samples that succeeded are served from the cache.
    const again = await runLocally(p.stack, threeSamples, undefined, 'run-2', { cacheStore });
    const [second] = await notify(samples.executionSucceeded(JSON.stringify(again.output)));
    expect(second.Message).toContain(
      '\nsamples: SUCCEEDED, 0 of 3 items failed; outcomes: s3://results-bucket/results/local-run/manifest.json; ' +
        'from the step cache: align 2, callVariants 2, qc 2\n',
    );
  });

  test('a run whose output was too large for the event still gets its message', async () => {
    const [msg] = await notify(samples.executionSucceeded(null));
    expect(msg.Subject).toBe('Workflow run SUCCEEDED');
    expect(msg.Message).toContain('(The run output was too large for the event: see the execution.)');
  });

  test('subjects stay under 100 characters with the longest names Batch and Step Functions allow', async () => {
    // SNS refuses a subject of 100 characters or more: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
    const job = samples.spotInterrupted as { detail: Record<string, unknown> };
    const execution = samples.executionTimedOut as { detail: Record<string, unknown> };
    const [jobMsg] = await notify({ ...job, detail: { ...job.detail, jobName: 'j'.repeat(128) } });
    const [runMsg] = await notify({ ...execution, detail: { ...execution.detail, name: 'e'.repeat(80) } });
    for (const msg of [jobMsg, runMsg]) {
      expect(msg.Subject.length).toBeLessThan(100);
    }
    expect(jobMsg.Message).toContain('j'.repeat(128));
    expect(runMsg.Message).toContain('e'.repeat(80));
  });
});

// The queue probe's looks are run in queue-probe.test.ts.

describe('PipelineMonitoring bad input', () => {
  test.each([
    [
      { queues: [] },
      'Test/Bad: queues [] is not allowed; allowed: at least one JobQueue. Fix: pass the queues of the pipeline',
    ],
    [
      { stuckAfter: Duration.minutes(1) },
      'Test/Bad: stuckAfter 1 minute is not allowed; allowed: whole minutes from 15 minutes (three looks of the queue probe) to 24 hours (a CloudWatch alarm period). Fix: give e.g. Duration.hours(1)',
    ],
    [
      { spotInterruptionPercent: 0 },
      'Test/Bad: spotInterruptionPercent 0 is not allowed; allowed: a percentage above 0 and at most 100. Fix: use e.g. 20',
    ],
    [
      { notificationEmail: 'ops' },
      "Test/Bad: notificationEmail 'ops' is not allowed; allowed: an e-mail address. Fix: give e.g. ops@example.org, or leave it out and subscribe to the topic yourself",
    ],
  ])('%p', (extra, message) => {
    const p = genomicsPipeline();
    const error = errorOf(() => new PipelineMonitoring(p.stack, 'Bad', { queues: [p.standard], ...(extra as object) }));
    expect(error).toBeInstanceOf(BatchPipelinesValidationError);
    expect(error.message).toBe(message);
  });
});
