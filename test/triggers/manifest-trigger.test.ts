import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { StateMachine } from 'aws-local-stepfunctions';
import { BatchPipelinesValidationError, FanOut, ManifestTrigger, Workflow, WorkflowStep } from '../../lib';
import { runNameFor, runNameSource } from '../../lib/contract/run-names';
import { aslOf } from '../support/asl';
import { genomicsPipeline, SAMPLE_ITEMS } from '../support/pipeline';
import {
  S3_OBJECT_CREATED_EVENT,
  START_EXECUTION_ALREADY_EXISTS_ERRORS,
  START_EXECUTION_THROTTLED_ERRORS,
} from '../support/sfn-shapes';

function triggered(topic = true) {
  const { stack, workflow, samples } = withManifest();
  const t = new ManifestTrigger(stack, 'Trigger', {
    workflow,
    alarmTopic: topic ? new sns.Topic(stack, 'Alarms') : undefined,
  });
  return { stack, workflow, samples, trigger: t, template: Template.fromStack(stack) };
}

function withManifest(bucketProps: s3.BucketProps = { eventBridgeEnabled: true }, manifest: object = {}) {
  const base = genomicsPipeline();
  const stack = base.stack;
  const input = new s3.Bucket(stack, 'Input', bucketProps);
  const samples = new FanOut('samples', {
    ...SAMPLE_ITEMS,
    manifest: { bucket: input, prefix: 'manifests/', ...manifest },
    results: { bucket: input, prefix: 'runs/' },
  });
  const align = new WorkflowStep('align', { job: base.jobs.align, forEach: samples });
  const workflow = new Workflow(stack, 'Triggered', { steps: [align] });
  return { stack, workflow, samples, input };
}

/** The starter's definition (the only Express state machine of the template). */
function starterAsl(template: Template): Record<string, unknown> {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  return aslOf(
    template,
    machines.findIndex((m) => m.Properties.StateMachineType === 'EXPRESS'),
  );
}

/** Runs a starter definition locally with the given handlers for its two Task states. */
async function runAsl(
  asl: Record<string, unknown>,
  event: unknown,
  start: (input: Record<string, unknown>) => unknown,
  send: (input: Record<string, unknown>) => unknown = () => ({ MessageId: 'm-1' }),
) {
  const machine = new StateMachine(asl as never, { validationOptions: { checkArn: false } });
  const execution = machine.run(event as never, {
    overrides: {
      taskResourceLocalHandlers: {
        'start the run': async (i) => start(i as never) as never,
        'keep for a person': async (i) => send(i as never) as never,
      },
      retryIntervalOverrides: { 'start the run': 0, 'keep for a person': 0 },
    },
    context: { Execution: { Input: event } } as never,
  });
  return execution.result as Promise<Record<string, unknown>>;
}

const runStarter = (
  template: Template,
  event: unknown,
  start: (input: Record<string, unknown>) => unknown,
  send?: (input: Record<string, unknown>) => unknown,
) => runAsl(starterAsl(template), event, start, send);

const named = (name: string, message = name) => Object.assign(new Error(message), { name });

describe('ManifestTrigger', () => {
  test('an upload under the prefix starts the Express starter, retried for a day, with a dead-letter queue', () => {
    const { template } = triggered();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { object: { key: [{ wildcard: 'manifests/*.json' }] } },
      },
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
  });

  test('the starter logs to a /aws/vendedlogs/ log group, which does not grow the account log resource policy', () => {
    const { template } = triggered();
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      // Ending in the stack id's UUID, so a retained group of a deleted stack does not block the next create.
      LogGroupName: {
        'Fn::Join': [
          '',
          [
            Match.stringLikeRegexp('^/aws/vendedlogs/states/.*-Starter-$'),
            Match.objectLike({ 'Fn::Select': [2, Match.anyValue()] }),
          ],
        ],
      },
    });
  });

  test('both alarms notify the topic', () => {
    const { template } = triggered();
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms)).toHaveLength(2);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alarms/) }]);
    }
  });

  describe('run locally', () => {
    const { template } = triggered();
    const event = S3_OBJECT_CREATED_EVENT;
    const manifest = {
      bucket: event.detail.bucket.name,
      key: event.detail.object.key,
      etag: event.detail.object.etag,
    };

    test('names the run as the command line does (SHA-1 of bucket, key and ETag) and passes the manifest', async () => {
      // aws-local-stepfunctions 3.0.0 computes SHA-1 wrongly for inputs longer than one block (55 bytes): Node's crypto
      // and Python's hashlib agree on 1483f446… for this event, the local runner says 9e67f2a6…. So the local run
      // checks what is hashed, and the hash itself is checked against hashlib's digest below.
      const asl = starterAsl(template);
      const states = asl.States as Record<string, { Parameters: Record<string, string> }>;
      const hashed = states['name the run'].Parameters['name.$'];
      expect(hashed).toMatch(/^States\.Hash\((.*), 'SHA-1'\)$/);
      states['name the run'].Parameters['name.$'] = hashed.replace(/^States\.Hash\((.*), 'SHA-1'\)$/, '$1');
      const starts: Array<Record<string, unknown>> = [];
      await runAsl(asl, event, (i) => {
        starts.push(i);
        return { ExecutionArn: 'arn:aws:states:us-east-1:123456789012:execution:w:x', StartDate: 0 };
      });
      expect(starts).toHaveLength(1);
      expect(starts[0].Name).toBe(runNameSource(manifest));
      expect(starts[0].Input).toEqual({ manifest });
      // The digest Python's hashlib gives for the same text:
      //   hashlib.sha1(b'amzn-s3-demo-bucket1/example-key/b1946ac92492d2347c6235b4d2611184').hexdigest()
      expect(runNameFor(manifest)).toBe('1483f446cb0783e85ecf38cc7562915048189c73');
    });

    test.each([...START_EXECUTION_ALREADY_EXISTS_ERRORS])(
      'a duplicated event (%s) is not retried and not kept: the run exists',
      async (error) => {
        let calls = 0;
        const sent: unknown[] = [];
        await runStarter(
          template,
          event,
          () => {
            calls++;
            throw named(error, 'Execution Already Exists');
          },
          (m) => sent.push(m),
        );
        expect(calls).toBe(1);
        expect(sent).toEqual([]);
      },
    );

    test.each([...START_EXECUTION_THROTTLED_ERRORS])(
      'a start refused with %s is retried, then its event is kept in the dead-letter queue with the error',
      async (error) => {
        let calls = 0;
        const sent: Array<Record<string, unknown>> = [];
        await runStarter(
          template,
          event,
          () => {
            calls++;
            throw named(error, 'Rate exceeded');
          },
          (m) => {
            sent.push(m);
            return { MessageId: 'm-1' };
          },
        );
        expect(calls).toBe(7);
        expect(sent).toHaveLength(1);
        const body = sent[0].MessageBody as Record<string, unknown>;
        expect(body.error).toEqual({ Error: error, Cause: 'Rate exceeded' });
        expect(body.event).toEqual(event);
      },
    );

    test('an event without an ETag is kept, not failed at run time', async () => {
      const sent: Array<Record<string, unknown>> = [];
      const object: Record<string, unknown> = { ...event.detail.object };
      delete object.etag;
      const broken = { ...event, detail: { ...event.detail, object } };
      await runStarter(
        template,
        broken,
        () => {
          throw new Error('must not start');
        },
        (m) => {
          sent.push(m);
          return {};
        },
      );
      expect((sent[0].MessageBody as { error: { Error: string } }).error.Error).toBe('Manifest.EventUnreadable');
    });
  });

  test('a workflow that reads no manifest is refused with the fix', () => {
    const p = genomicsPipeline();
    expect(() => new ManifestTrigger(p.stack, 'Trigger', { workflow: p.workflow })).toThrow(
      /Trigger: workflow a workflow whose fan-outs read no manifest is not allowed; allowed: a workflow with one fan-out that reads a manifest from S3\. Fix: give the fan-out a manifest/,
    );
  });

  test('a manifest named elsewhere in the input is refused: the trigger passes { manifest: { bucket, key, etag } }', () => {
    const { stack, workflow } = withManifest({ eventBridgeEnabled: true }, { keyPath: '$.where.key' });
    expect(() => new ManifestTrigger(stack, 'Trigger', { workflow })).toThrow(BatchPipelinesValidationError);
    expect(() => new ManifestTrigger(stack, 'Trigger2', { workflow })).toThrow(/manifest\.keyPath\) '\$\.where\.key'/);
  });

  test('a bucket that sends no events to EventBridge fails synth: no upload would ever start a run', () => {
    const { stack, workflow } = withManifest({});
    new ManifestTrigger(stack, 'Trigger', { workflow });
    expect(() => Template.fromStack(stack)).toThrow(/does not send events to EventBridge.*eventBridgeEnabled: true/s);
  });

  test('events enabled on the CfnBucket directly (no custom resource) are recognized', () => {
    const { stack, workflow, input } = withManifest({});
    (input.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    new ManifestTrigger(stack, 'Trigger', { workflow });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('two triggers in one stack do not collide', () => {
    const { stack, workflow } = withManifest();
    new ManifestTrigger(stack, 'A', { workflow });
    new ManifestTrigger(stack, 'B', { workflow });
    const template = Template.fromStack(stack);
    const names = Object.values(template.findResources('AWS::Logs::LogGroup'))
      .map((g) => JSON.stringify(g.Properties.LogGroupName))
      .filter((n) => n !== undefined);
    expect(new Set(names).size).toBe(names.length);
    template.resourcePropertiesCountIs('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS' }, 2);
  });
});
