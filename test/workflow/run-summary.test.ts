import { Template } from 'aws-cdk-lib/assertions';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PipelineMonitoring, Workflow, WorkflowStep } from '../../lib';
import { reportRunEnds } from '../../lib/workflow/states/run-summary-states';
import { aslOf, indexOfMachine } from '../support/asl';
import { applicationError } from '../support/batch-failures';
import { genomicsJobs, genomicsPipeline, jobFailure, taskStates, threeSamples } from '../support/pipeline';
import { matchesPattern } from '../monitoring/event-pattern';
import { ref } from '../monitoring/monitored';
import * as samples from '../monitoring/sample-events';

type States = Record<string, Record<string, unknown>>;
const ARN = 'arn:aws:states:us-east-1:123456789012:execution:Pipeline:run-1';
const LINK = `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${ARN}`;

/** GIVEN the genomics pipeline (or its aggregate step alone) watched by PipelineMonitoring. */
function monitoredPipeline(
  fanOut: { maxFailedItems?: number; results?: { bucket: s3.IBucket } } = {},
  notifyRunSucceeded?: boolean,
  alone = false,
) {
  const p = alone ? aggregateAlone() : genomicsPipeline(fanOut);
  const monitoring = new PipelineMonitoring(p.stack, 'Monitoring', {
    queues: [p.standard, p.urgent],
    workflow: p.workflow,
    notifyRunSucceeded,
  });
  const template = Template.fromStack(p.stack);
  const asl = aslOf(template, indexOfMachine(template, ref(p.stack, p.workflow.stateMachine))) as {
    States: States;
    TimeoutSeconds?: number;
  };
  return { ...p, monitoring, template, asl };
}

function aggregateAlone() {
  const g = genomicsJobs();
  const workflow = new Workflow(g.stack, 'Pipeline', {
    steps: [new WorkflowStep('aggregate', { job: g.jobs.aggregate })],
  });
  return { ...g, workflow };
}

/**
 * Runs the workflow locally (aws-local-stepfunctions): every job succeeds except `failing` samples' align; the
 * publish fails when `publishFails`. Returns what was published, the unsent-summary metric data, and the run's end.
 */
async function run(
  m: ReturnType<typeof monitoredPipeline>,
  failing: string[],
  options: { publishFails?: boolean; failStep?: string } = {},
) {
  const asl = JSON.parse(JSON.stringify(m.asl)) as typeof m.asl;
  delete asl.TimeoutSeconds;
  const published: Array<{ TopicArn: string; Subject: string; Message: string }> = [];
  const unsent: unknown[] = [];
  const handlers: Record<string, (input: never) => Promise<unknown>> = {};
  for (const state of taskStates(asl.States)) {
    if (state.startsWith('run summary: publish')) {
      handlers[state] = async (input: never) => {
        if (options.publishFails) {
          // SNS's error when the topic's KMS key refuses the publisher, as the SNS integration reports it.
          // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors
          throw Object.assign(new Error('KMS access denied'), { name: 'SNS.KMSAccessDeniedException' });
        }
        published.push(input);
        return {};
      };
    } else if (state === 'run summary: not sent') {
      handlers[state] = async (input: never) => (unsent.push(input), {});
    } else {
      // Items are named by their index in the job name (run-1-align-1 is s2's).
      handlers[state] = async (input: { JobName?: string }) => {
        const index = Number(/-(\d+)$/.exec(input.JobName ?? '')?.[1]);
        if ((state === 'align' && failing.includes(`s${index + 1}`)) || state === options.failStep) {
          throw jobFailure(applicationError());
        }
        return { JobId: 'job-1', Status: 'SUCCEEDED' };
      };
    }
  }
  const machine = new StateMachine(asl as never, { validationOptions: { checkArn: false } });
  try {
    const output = await machine.run(threeSamples as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        retryIntervalOverrides: Object.fromEntries(taskStates(asl.States).map((s) => [s, 0])),
      },
      context: { Execution: { Name: 'run-1', Id: ARN } } as never,
    }).result;
    return { published, unsent, output: output as Record<string, unknown>, error: undefined };
  } catch (e) {
    // The local runner wraps the Fail state's error: its name and message are the run's error and cause. Anything else
    // (a timeout, an abort, a runner error) is not a run that failed by its own states: let it fail the test.
    if (!(e instanceof ExecutionError)) {
      throw e;
    }
    return { published, unsent, output: undefined, error: (e as { cause: Error }).cause };
  }
}

describe('a run sends its own message', () => {
  test('a run where every sample succeeded: one message, the run succeeds with its usual output', async () => {
    const m = monitoredPipeline();
    const r = await run(m, []);
    expect(r.error).toBeUndefined();
    expect(r.published).toHaveLength(1);
    expect(r.published[0].Subject).toBe('Workflow run SUCCEEDED');
    expect(r.published[0].Message).toBe(
      'Workflow execution run-1 ended SUCCEEDED.\n\nsamples: SUCCEEDED, 0 of 3 items failed\n\n' +
        `List the failed items and their reasons: batch-pipelines rerun --execution-arn ${ARN} --dry-run ` +
        `(without --dry-run it reruns them).\nWhere the time and money went: batch-pipelines report --execution-arn ${ARN}\n` +
        `Execution: ${LINK}`,
    );
    expect(r.published[0].TopicArn).toMatch(/Topic/);
    expect(Object.keys(r.output!)).not.toContain('runFailure');
    expect(r.output!.samplesSummary).toMatchObject({ status: 'SUCCEEDED', items: 3, failed: 0 });
  });

  test('a partial run: one message with the fan-out outcome, the same text the notifier sent from the event', async () => {
    const m = monitoredPipeline({ maxFailedItems: 1 });
    const r = await run(m, ['s2']);
    expect(r.error).toBeUndefined();
    expect(r.published).toHaveLength(1);
    expect(r.published[0].Subject).toBe('Workflow run SUCCEEDED, some items failed');
    expect(r.published[0].Message).toBe(
      'Workflow execution run-1 ended SUCCEEDED.\n\nsamples: PARTIAL, 1 of 3 items failed\n\n' +
        `List the failed items and their reasons: batch-pipelines rerun --execution-arn ${ARN} --dry-run ` +
        `(without --dry-run it reruns them).\nWhere the time and money went: batch-pipelines report --execution-arn ${ARN}\n` +
        `Execution: ${LINK}`,
    );
  });

  test('a failed run (TooManyItemsFailed): one message, then the run fails with the same error and cause', async () => {
    const m = monitoredPipeline({ maxFailedItems: 0 });
    const r = await run(m, ['s2']);
    expect(r.error?.name).toBe('samples.TooManyItemsFailed');
    expect(r.published).toHaveLength(1);
    expect(r.published[0].Subject).toBe('Workflow run FAILED');
    const cause = r.error!.message;
    expect(JSON.parse(cause)).toMatchObject({ status: 'FAILED', items: 3, failed: 1 });
    expect(r.published[0].Message).toBe(
      `Workflow execution run-1 ended FAILED.\n\nError: samples.TooManyItemsFailed\nCause: ${cause}\n` +
        `Logs of the failed jobs: batch-pipelines logs --failed --execution-arn ${ARN}\n` +
        `Where the time and money went: batch-pipelines report --execution-arn ${ARN}\nExecution: ${LINK}`,
    );
  });

  test('a step outside the fan-out that fails: one message naming its error', async () => {
    const r = await run(monitoredPipeline(), [], { failStep: 'aggregate' });
    expect(r.error?.name).toBe('aggregate.ApplicationError');
    expect(r.published).toHaveLength(1);
    expect(r.published[0].Subject).toBe('Workflow run FAILED');
    expect(r.published[0].Message).toContain('ended FAILED.\n\nError: aggregate.ApplicationError\nCause: {');
  });

  test('a workflow without fan-outs: the message has no fan-out lines', async () => {
    const r = await run(monitoredPipeline({}, true, true), []);
    expect(r.error).toBeUndefined();
    expect(r.published.map((p) => p.Message)).toEqual([
      'Workflow execution run-1 ended SUCCEEDED.\n\n\n' +
        `List the failed items and their reasons: batch-pipelines rerun --execution-arn ${ARN} --dry-run ` +
        `(without --dry-run it reruns them).\nWhere the time and money went: batch-pipelines report --execution-arn ${ARN}\n` +
        `Execution: ${LINK}`,
    ]);
  });

  test('a publish that keeps failing does not fail the run: it is counted in RunSummariesUnsent', async () => {
    const m = monitoredPipeline();
    const ok = await run(m, [], { publishFails: true });
    expect(ok.error).toBeUndefined();
    expect(ok.published).toEqual([]);
    expect(ok.unsent).toEqual([
      {
        Namespace: 'CdkBatchPipelines/Jobs',
        MetricData: [
          {
            MetricName: 'RunSummariesUnsent',
            Dimensions: [{ Name: 'Workflow', Value: 'Test/Pipeline' }],
            Value: 1,
            Unit: 'Count',
          },
        ],
      },
    ]);
    const failed = await run(monitoredPipeline({ maxFailedItems: 0 }), ['s2'], { publishFails: true });
    expect(failed.error?.name).toBe('samples.TooManyItemsFailed');
    expect(failed.unsent).toHaveLength(1);
  });

  test('notifyRunSucceeded: false keeps a fully succeeded run quiet, not a partial one', async () => {
    expect((await run(monitoredPipeline({}, false), [])).published).toEqual([]);
    expect((await run(monitoredPipeline({ maxFailedItems: 1 }, false), ['s2'])).published).toHaveLength(1);
  });
});

describe('the run-summary states', () => {
  test('only a monitored workflow has them, once', () => {
    const plain = genomicsPipeline();
    const t = Template.fromStack(plain.stack);
    const asl = aslOf(t, indexOfMachine(t, ref(plain.stack, plain.workflow.stateMachine))) as { States: States };
    expect(Object.keys(asl.States).filter((s) => s.startsWith('run summary'))).toEqual([]);
    const m = monitoredPipeline();
    const names = Object.keys(m.asl.States).filter((s) => s.startsWith('run summary'));
    expect(names).toContain('run summary');
    expect(names.filter((s) => s.startsWith('run summary: publish'))).toHaveLength(5);
  });

  test("no Fail and no End is left at the top level but the summary's own", () => {
    const m = monitoredPipeline({ maxFailedItems: 0 });
    for (const [name, s] of Object.entries(m.asl.States)) {
      if (!name.startsWith('run summary')) {
        expect([name, s.Type === 'Fail' || s.Type === 'Succeed' || s.End === true]).toEqual([name, false]);
      }
    }
    expect(m.asl.States['samples: stop']).toMatchObject({
      Type: 'Pass',
      Parameters: { Error: 'samples.TooManyItemsFailed', 'Cause.$': '$.samplesFailure.cause' },
      ResultPath: '$.runFailure',
      Next: 'run summary',
    });
  });

  test('with outcomes in S3, the message says where they are and what the step cache served', () => {
    const results = s3.Bucket.fromBucketName(genomicsJobs().stack, 'Results', 'results-bucket');
    const m = monitoredPipeline({ maxFailedItems: 1, results: { bucket: results } });
    const publish = m.asl.States['run summary: publish PARTIAL'] as { Parameters: Record<string, string> };
    expect(publish.Parameters['Message.$']).toContain(
      "States.Format('\nsamples: {}, {} of {} items failed; outcomes: {}; from the step cache: {}', " +
        '$.samplesSummary.status, $.samplesSummary.failed, $.samplesSummary.items, $.samplesSummary.results, ' +
        '$.samplesSummary.cached)',
    );
    expect(m.asl.States['samples: some failed']).toMatchObject({
      Parameters: {
        'results.$': expect.stringContaining('ResultWriterDetails'),
        'cached.$': '$.samplesCacheHits.text',
      },
    });
  });

  test('every top-level end goes to the summary; nested states and catch-alls stay as they were', () => {
    const asl = {
      StartAt: 'a',
      States: {
        a: { Type: 'Parallel', Branches: [{ StartAt: 'x', States: { x: { Type: 'Fail', Error: 'E' } } }], Next: 'b' },
        b: { Type: 'Task', Resource: 'r', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'c' }], Next: 'd' },
        c: { Type: 'Fail', ErrorPath: '$.e', CausePath: '$.c' },
        d: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'e' }], Default: 'f' },
        e: { Type: 'Succeed', OutputPath: '$.o' },
        f: { Type: 'Pass', End: true },
        g: { Type: 'Fail' },
      },
    };
    const summary = { StartAt: 'run summary', States: { 'run summary': { Type: 'Succeed' } } };
    const to = { ResultPath: '$.runFailure', Next: 'run summary' };
    expect(reportRunEnds(asl, summary).States).toEqual({
      a: { ...asl.States.a, Catch: [{ ErrorEquals: ['States.ALL'], ...to }] },
      b: asl.States.b,
      c: { Type: 'Pass', Comment: expect.any(String), Parameters: { 'Error.$': '$.e', 'Cause.$': '$.c' }, ...to },
      d: asl.States.d,
      e: { Type: 'Pass', OutputPath: '$.o', Next: 'run summary' },
      f: { Type: 'Pass', Next: 'run summary' },
      g: { Type: 'Pass', Comment: expect.any(String), Parameters: {}, ...to },
      'run summary': { Type: 'Succeed' },
    });
  });

  test('the workflow role may publish to the topic, use its key, and count unsent summaries in its namespace', () => {
    const m = monitoredPipeline();
    const role = ref(m.stack, m.workflow.stateMachine.role as never);
    m.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: {
        Statement: [
          { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: ref(m.stack, m.monitoring.topic) } },
          {
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: { 'Fn::GetAtt': [ref(m.stack, m.monitoring.key), 'Arn'] },
          },
          {
            Action: 'cloudwatch:PutMetricData',
            Resource: '*',
            Condition: { StringEquals: { 'cloudwatch:namespace': 'CdkBatchPipelines/Jobs' } },
          },
        ],
      },
    });
  });

  test('a workflow notifies one topic', () => {
    const m = monitoredPipeline();
    expect(() => m.workflow.notifyRunsTo(m.monitoring.topic)).toThrow(
      /notifyRunsTo\(topic\).*a second topic.*one topic a workflow.*watch the workflow from one PipelineMonitoring/s,
    );
  });
});

describe('the notifier is started only for the run ends a run cannot report', () => {
  const m = monitoredPipeline();
  const rules = m.template.findResources('AWS::Events::Rule');
  const machineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:Workflow';
  const patterns = Object.values(rules)
    .map((r) => r.Properties.EventPattern as Record<string, unknown> | undefined)
    .filter((p): p is Record<string, unknown> => (p?.source as string[] | undefined)?.[0] === 'aws.states')
    .map((p) => {
      const detail = { ...(p.detail as Record<string, unknown>), stateMachineArn: [machineArn] };
      return { ...p, detail };
    });
  const starts = (event: unknown) => patterns.filter((p) => matchesPattern(p, event)).length;

  test.each([
    ['SUCCEEDED (the run sent it)', samples.executionSucceeded('{}'), 0],
    ['FAILED through its failure paths (the run sent it)', samples.executionFailed, 0],
    ['TIMED_OUT', samples.executionTimedOut, 1],
    [
      'ABORTED, with the error StopExecution was given',
      {
        ...samples.executionTimedOut,
        detail: { ...samples.executionTimedOut.detail, status: 'ABORTED', error: 'Cancelled' },
      },
      1,
    ],
  ])('%s', (_, event, n) => {
    expect(starts(event)).toBe(n);
  });

  test('FAILED with an error no Catch handles (States.Runtime)', () => {
    const e = samples.executionFailed as { detail: Record<string, unknown> };
    expect(starts({ ...e, detail: { ...e.detail, error: 'States.Runtime' } })).toBe(1);
  });
});
