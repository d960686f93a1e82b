import { spawnSync } from 'child_process';
import { Match } from 'aws-cdk-lib/assertions';
import { WORKFLOW_JOB_PARAMETER } from '../../lib/contract/job-env';
import { aslOf, indexOfMachine } from '../support/asl';
import { matchesPattern } from './event-pattern';
import { monitored, notifierOf, ref } from './monitored';
import * as samples from './sample-events';

describe('which failed jobs start the notifier (the rule pattern, over AWS example event shape)', () => {
  const m = monitored();
  const rule = Object.values(m.template.findResources('AWS::Events::Rule')).find(
    (r) => r.Properties.EventPattern?.detail?.status?.[0] === 'FAILED',
  )!;
  // The queue ARNs are tokens at synth: the example event's queue stands in for them.
  const pattern = {
    ...rule.Properties.EventPattern,
    detail: { ...rule.Properties.EventPattern.detail, jobQueue: [samples.awsExampleJobFailed.detail.jobQueue] },
  };
  const matches = (event: unknown) => matchesPattern(pattern, event);

  test('a failed job of a watched queue, as AWS documents the event (no tags, no status reason), starts it', () => {
    // https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html
    expect(matches(samples.awsExampleJobFailed)).toBe(true);
    expect(matches(samples.spotInterrupted)).toBe(false); // another queue
    expect(matches(samples.awsExampleJobEvent)).toBe(false); // RUNNABLE
  });

  test("a job the workflow submitted does not: the event carries SubmitJob's parameters, the workflow's mark among them", () => {
    // JobDetail.parameters: https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html
    const workflowJob = samples.withParameters(samples.awsExampleJobFailed, {
      sampleId: 'NA12878',
      [WORKFLOW_JOB_PARAMETER]: 'Test/Pipeline/Workflow',
    });
    expect(matches(workflowJob)).toBe(false);
    // A job with parameters of its own (e.g. batch-pipelines submit) still notifies.
    expect(matches(samples.withParameters(samples.awsExampleJobFailed, { sampleId: 'NA12878' }))).toBe(true);
    // A tag, which the event does not carry anyway, does not decide it.
    const tagged = {
      ...samples.awsExampleJobFailed,
      detail: { ...samples.awsExampleJobFailed.detail, tags: { BatchPipelinesWorkflow: 'Test/Pipeline' } },
    };
    expect(matches(tagged)).toBe(true);
  });

  // moto's EventBridge pattern matching (moto.events.models.EventPattern, what its TestEventPattern answers with) is an
  // implementation of the same rules written apart from ours: both must agree on every event here.
  const moto = spawnSync('python3', ['-c', 'import moto.events.models'], { encoding: 'utf8' }).status === 0;
  // CI has moto (.ci/run checks it before the end-to-end suite): there this cross-check must run, not be skipped.
  test('moto is there to cross-check the pattern, where CI runs', () => {
    if (process.env.CI) {
      expect(moto).toBe(true);
    }
  });
  (moto ? test : test.skip)('moto, matching the same pattern on its own, agrees on every case', () => {
    const inQueue = <E extends { detail: object }>(e: E) => ({
      ...e,
      detail: { ...e.detail, jobQueue: samples.awsExampleJobFailed.detail.jobQueue },
    });
    const events = [
      samples.awsExampleJobFailed,
      samples.awsExampleJobEvent,
      samples.withParameters(samples.awsExampleJobFailed, { [WORKFLOW_JOB_PARAMETER]: 'Test/Pipeline/Workflow' }),
      samples.withParameters(samples.awsExampleJobFailed, { sampleId: 'NA12878' }),
      inQueue(samples.arrayChildFailed),
      inQueue(samples.arrayParentFailed),
    ];
    const script = [
      'import json, sys',
      'from moto.events.models import EventPattern',
      'data = json.load(sys.stdin)',
      'p = EventPattern.load(json.dumps(data["pattern"]))',
      'print(json.dumps([p.matches_event(e) for e in data["events"]]))',
    ].join('\n');
    const run = spawnSync('python3', ['-c', script], { input: JSON.stringify({ pattern, events }), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(events.map(matches));
    expect(events.map(matches)).toEqual([true, false, false, true, false, true]);
  });

  test('an array child does not (its parent reports), the array parent does', () => {
    // Children carry arrayProperties.index, parents statusSummary and size:
    // https://docs.aws.amazon.com/batch/latest/APIReference/API_ArrayPropertiesDetail.html
    const inQueue = <E extends { detail: object }>(e: E) => ({
      ...e,
      detail: { ...e.detail, jobQueue: samples.awsExampleJobFailed.detail.jobQueue },
    });
    expect(matches(inQueue(samples.arrayChildFailed))).toBe(false);
    expect(matches(inQueue(samples.arrayParentFailed))).toBe(true);
  });
});

describe('the notifier never loses a message silently', () => {
  const m = monitored();
  const notify = notifierOf(m);
  const { template, stack } = m;

  test("every path is total: AWS's example event, without status reason or logs, gets its message", async () => {
    // statusReason and attempts are "Required: No" in JobDetail; a missing path in States.Format is a
    // States.Runtime error, which no Retry or Catch handles.
    // https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html
    const [msg] = await notify(samples.awsExampleJobFailed);
    expect(msg.Message).toBe(
      'Batch job event-test (4c7599ae-0a82-49aa-ba5a-4727fcce14a8) FAILED on queue ' +
        'arn:aws:batch:us-east-1:123456789012:job-queue/PexjEHappyPathCanary2JobQueue after 0 attempt(s), before a ' +
        'container ran.\n\nReason: (none given)\n' +
        'Job: https://us-east-1.console.aws.amazon.com/batch/home?region=us-east-1#jobs/detail/4c7599ae-0a82-49aa-ba5a-4727fcce14a8',
    );
    const { attempts: _a, statusReason: _r, ...bare } = samples.spotInterrupted.detail;
    void _a;
    void _r;
    const [noAttempts] = await notify({ ...samples.spotInterrupted, detail: bare });
    expect(noAttempts.Message).toContain('after 0 attempt(s); its container did not exit by itself');
    expect(noAttempts.Message).toContain('Reason: (none given)\n');
    const [nullReason] = await notify({
      ...samples.outOfMemory,
      detail: { ...samples.outOfMemory.detail, statusReason: null, attempts: null },
    });
    expect(nullReason.Message).toContain('after 0 attempt(s).\n\nReason: (none given)\nExit code: 137');
  });

  test('each publish retries a throttled or refused call before the execution fails', () => {
    const asl = aslOf(template, indexOfMachine(template, ref(stack, m.monitoring.notifier)));
    const publishes = Object.entries(asl.States as Record<string, Record<string, unknown>>).filter(([n]) =>
      n.startsWith('Publish'),
    );
    expect(publishes.length).toBeGreaterThan(4);
    for (const [name, state] of publishes) {
      // States.TaskFailed matches every task error but a timeout:
      // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
      expect([name, state.Retry]).toEqual([
        name,
        [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }],
      ]);
    }
  });

  test('events EventBridge cannot deliver for a day land in a dead-letter queue, which alarms', () => {
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
    const dlq = ref(stack, m.monitoring.notifierDeadLetters);
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.Targets).includes(ref(stack, m.monitoring.notifier)),
    );
    expect(rules).toHaveLength(2);
    for (const r of rules) {
      expect(r.Properties.Targets[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } },
      });
    }
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      Threshold: 1,
      AlarmActions: [{ Ref: ref(stack, m.monitoring.topic) }],
    });
  });

  test('a failed or timed-out notifier execution alarms (EventBridge sees only that it started)', () => {
    // Express workflows publish ExecutionsFailed/ExecutionsTimedOut:
    // https://docs.aws.amazon.com/step-functions/latest/dg/procedures-cw-metrics.html
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^The notifier could not send a message'),
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)' }),
        Match.objectLike({
          Id: 'failed',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              MetricName: 'ExecutionsFailed',
              Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: ref(stack, m.monitoring.notifier) } }],
            }),
          }),
        }),
      ]),
      Threshold: 1,
      AlarmActions: [{ Ref: ref(stack, m.monitoring.topic) }],
    });
    expect(Object.keys(m.monitoring.alarms)).toEqual(expect.arrayContaining(['NotifierFailed', 'NotifierUndelivered']));
  });
});

describe('an event that arrives twice sends one message', () => {
  // Batch delivers its events at least once (durable), EventBridge delivers to a target at least once, an Express
  // execution runs at least once: https://docs.aws.amazon.com/eventbridge/latest/ref/event-delivery-level.html
  const m = monitored();

  test('the same failed job, delivered twice: one message', async () => {
    const notify = notifierOf(m, new Set());
    expect(await notify(samples.applicationError)).toHaveLength(1);
    expect(await notify(samples.applicationError)).toEqual([]);
    // Another job's failure is its own message.
    const other = {
      ...samples.outOfMemory,
      detail: { ...samples.outOfMemory.detail, jobId: 'b5d2f0c1-0000-4000-8000-000000000001' },
    };
    expect(await notify(other)).toHaveLength(1);
  });

  test("the same run's end, delivered twice: one message; the run redriven and failing again: a second", async () => {
    const notify = notifierOf(m, new Set());
    expect(await notify(samples.executionFailed)).toHaveLength(1);
    expect(await notify(samples.executionFailed)).toEqual([]);
    // A redriven execution keeps its ARN and ends again later (another stopDate):
    // https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
    const again = {
      ...samples.executionFailed,
      detail: { ...samples.executionFailed.detail, stopDate: 1763665200000 },
    };
    expect(await notify(again)).toHaveLength(1);
  });

  test('the claim is a conditional PutItem the notifier alone may make; when it cannot be written, the message goes anyway', async () => {
    const asl = aslOf(m.template, indexOfMachine(m.template, ref(m.stack, m.monitoring.notifier)));
    const claim = (asl.States as Record<string, Record<string, unknown>>)['Claim the message'];
    expect(claim).toMatchObject({
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Parameters: { Item: { id: { 'S.$': '$.claim.key' } }, ConditionExpression: 'attribute_not_exists(id)' },
    });
    m.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    const policies = JSON.stringify(m.template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('"Action":"dynamodb:PutItem"');
    // A throttled or denied table: the local run's claim fails with another error, and the message is still sent.
    const published = await (async () => {
      const failing = notifierOf(m, {
        has: () => {
          throw Object.assign(new Error('Rate exceeded'), { name: 'DynamoDB.ProvisionedThroughputExceededException' });
        },
      } as unknown as Set<string>);
      return failing(samples.applicationError);
    })();
    expect(published).toHaveLength(1);
  });
});
