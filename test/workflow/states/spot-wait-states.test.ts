import { Duration, Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Template } from 'aws-cdk-lib/assertions';
import { aslOf } from '../../support/asl';
import { errorOf } from '../../support/capacity';
import { apiError, jobFailure, genomicsPipeline, runLocally, SubmitCall, threeSamples } from '../../support/pipeline';
import { applicationError, BATCH_API_ERRORS } from '../../support/batch-failures';
import { Job, Workflow, WorkflowStep } from '../../../lib';

// A step's bounded wait for Spot capacity (lib/workflow/states/spot-wait-states.ts, `spotWaitLimit`).

// Queue placeholders are the queue's logical id: its construct id and an 8-character hash.
const queueOf = (c: SubmitCall) =>
  c.input.JobQueue.split('/')
    .pop()!
    .replace(/[0-9A-F]{8}$/, '');

/**
 * A job cancelled by CancelJob before it started, as the `.sync` submit reports it: `States.TaskFailed` whose cause is
 * the job's description, status FAILED, the reason given to CancelJob as `StatusReason` ("This message is returned by
 * future DescribeJobs operations on the job", https://docs.aws.amazon.com/batch/latest/APIReference/API_CancelJob.html),
 * and no attempts (it never ran; DescribeJobs' `attempts` lists only attempts that ran,
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html).
 */
const cancelled = (reason: string) => jobFailure({ Status: 'FAILED', StatusReason: reason, Attempts: [] });

/**
 * A ListJobs JobSummary as the aws-sdk integration returns it (PascalCase members of JobSummary,
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_JobSummary.html).
 */
const summary = (jobId: string, jobName: string, status: string, statusReason?: string) => ({
  JobArn: `arn:aws:batch:us-east-1:123456789012:job/${jobId}`,
  JobId: jobId,
  JobName: jobName,
  CreatedAt: 1764547200000,
  Status: status,
  ...(statusReason ? { StatusReason: statusReason } : {}),
});

/**
 * A Batch where watched Spot submits wait in RUNNABLE until cancelled (or, when `startsAfterLooks` is set, start
 * after that many looks of the watcher) and every other submit succeeds; `running` jobs run in each queue.
 */
function drought(options: { running?: number; startsAfterLooks?: number; failListJobs?: boolean } = {}) {
  const waiting = new Map<string, { name: string; queue: string; cancel: (reason: string) => void }>();
  const started = new Set<string>();
  const apiCalls: Array<{ state: string; input: Record<string, unknown> }> = [];
  let looks = 0;
  const simulate = (call: SubmitCall) => {
    // Steps without a limit (aggregate) are left out of the drought: they would wait as long as it lasts.
    if (queueOf(call) !== 'Standard' || !call.watched) {
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      waiting.set(call.jobId!, {
        name: call.input.JobName,
        queue: call.input.JobQueue,
        cancel: (reason) => reject(cancelled(reason)),
      });
      if (options.startsAfterLooks !== undefined) {
        // The job starts and then succeeds once the watcher has looked that many times.
        const poll = setInterval(() => {
          if (started.has(call.jobId!)) {
            clearInterval(poll);
            setTimeout(resolve, 5);
          }
        }, 1);
      }
    });
  };
  const batchApi = async (state: string, input: Record<string, unknown>) => {
    apiCalls.push({ state, input });
    if (options.failListJobs) {
      const e = new Error('Rate exceeded');
      e.name = 'Batch.BatchException';
      throw e;
    }
    if (state.endsWith(': list the job')) {
      looks++;
      const name = (input.Filters as Array<{ Values: string[] }>)[0].Values[0];
      const jobs = [...waiting.entries()]
        .filter(([, j]) => j.name === name && j.queue === input.JobQueue)
        .map(([id]) => {
          if (options.startsAfterLooks !== undefined && looks >= options.startsAfterLooks) {
            started.add(id);
          }
          return summary(id, name, started.has(id) ? 'RUNNING' : 'RUNNABLE');
        })
        .reverse();
      return { JobSummaryList: jobs };
    }
    if (state.endsWith(': count running jobs')) {
      const n = Math.min(options.running ?? 0, input.MaxResults as number);
      return {
        JobSummaryList: Array.from({ length: n }, (_, i) => summary(`other-${i}`, `other-${i}`, 'RUNNING')),
      };
    }
    const job = waiting.get(input.JobId as string)!;
    waiting.delete(input.JobId as string);
    job.cancel(input.Reason as string);
    return {};
  };
  return { simulate, batchApi, apiCalls };
}

const withLimit = (limit = Duration.minutes(30)) =>
  genomicsPipeline({}, { align: { spotWaitLimit: limit }, callVariants: { spotWaitLimit: limit } });

describe('spotWaitLimit, run locally', () => {
  test('in a Spot drought an item goes On-Demand after the limit, says why, and stays On-Demand', async () => {
    const p = withLimit();
    const d = drought();
    // The watcher's first look comes after the submit (at least 10 minutes on AWS, 20 ms here).
    const run = await runLocally(p.stack, threeSamples, d.simulate, 'run-1', { batchApi: d.batchApi, waitMs: 20 });
    expect(run.error).toBeUndefined();
    // Each sample's align waited on Spot, was cancelled, and ran On-Demand; its later steps went On-Demand at once.
    const perSample = (id: string) => run.calls.filter((c) => c.input.Parameters?.sampleId === id).map(queueOf);
    expect(perSample('s1')).toEqual(['Standard', 'Urgent', 'Urgent', 'Urgent']);
    const cancels = d.apiCalls.filter((c) => c.state.endsWith(': cancel for On-Demand'));
    expect(cancels).toHaveLength(3);
    expect(cancels[0].input.Reason).toBe(
      'Spot wait limit: no Spot capacity within 30 minutes (spotWaitLimit); running On-Demand',
    );
    const outcomes = run.output!.samplesOutcomes as Array<Record<string, unknown>>;
    expect(outcomes).toContainEqual({
      index: 0,
      id: 's1',
      status: 'SUCCEEDED',
      onDemandFrom: 'align',
      onDemandReason: 'Spot wait limit: no Spot capacity within 30 minutes (spotWaitLimit); running On-Demand',
    });
  });

  test('a full queue is busy, not short of Spot: the job keeps its place and is never cancelled', async () => {
    const p = withLimit();
    // The Spot capacity holds 64 such jobs at maxvCpus (busyAt, below); 64 run, the job starts at the third look.
    const d = drought({ running: 64, startsAfterLooks: 3 });
    const run = await runLocally(p.stack, { samples: threeSamples.samples.slice(0, 1) }, d.simulate, 'run-1', {
      batchApi: d.batchApi,
      waitMs: 20,
    });
    expect(run.error).toBeUndefined();
    expect(d.apiCalls.filter((c) => c.state.endsWith(': cancel for On-Demand'))).toEqual([]);
    // Two looks found it RUNNABLE in a full queue, the third found it RUNNING and ended the watch.
    const alignLooks = d.apiCalls.filter((c) => c.state.startsWith('align: '));
    expect(alignLooks.map((c) => c.state.replace(/^align: /, ''))).toEqual([
      'list the job',
      'count running jobs',
      'list the job',
      'count running jobs',
      'list the job',
    ]);
    expect(run.calls.map(queueOf)).toEqual(['Standard', 'Standard', 'Standard', 'Standard']);
    expect(run.output!.samplesOutcomes).toEqual([{ index: 0, id: 's1', status: 'SUCCEEDED' }]);
  });

  test('a job that succeeds ends the watch at once, without a look', async () => {
    const p = withLimit();
    const d = drought();
    const run = await runLocally(p.stack, threeSamples, () => undefined, 'run-1', {
      batchApi: d.batchApi,
      waitMs: 60_000,
    });
    expect(run.error).toBeUndefined();
    expect(d.apiCalls).toEqual([]);
    expect(run.output!.samplesOutcomes).toHaveLength(3);
  });

  test("a watched submit's failures reach the step's failure states as they are: a job's, and an API error's", async () => {
    const p = genomicsPipeline({ maxFailedPercentage: 100 }, { align: { spotWaitLimit: Duration.minutes(30) } });
    const run = await runLocally(
      p.stack,
      { samples: threeSamples.samples.slice(0, 2) },
      (call) => {
        if (call.watched && call.input.Parameters?.sampleId === 's1') {
          throw jobFailure(applicationError(2));
        }
        if (call.watched && call.input.Parameters?.sampleId === 's2') {
          throw apiError(BATCH_API_ERRORS.client);
        }
      },
      'run-1',
      { batchApi: async () => ({ JobSummaryList: [] }) },
    );
    expect(run.error).toBeUndefined();
    const outcomes = run.output!.samplesOutcomes as Array<Record<string, unknown>>;
    expect(outcomes.find((o) => o.id === 's1')).toMatchObject({
      status: 'FAILED',
      error: 'align.ApplicationError',
      exitCode: 2,
    });
    expect(outcomes.find((o) => o.id === 's2')).toMatchObject({
      status: 'FAILED',
      error: 'align.SubmitFailed',
      reason: expect.stringContaining('Batch did not accept the job (Batch.ClientException)'),
    });
  });

  test('a watcher that cannot call Batch stops watching and leaves the job be', async () => {
    const p = withLimit();
    const d = drought({ failListJobs: true, startsAfterLooks: 0 });
    const simulate = (call: SubmitCall) =>
      queueOf(call) === 'Standard' ? new Promise<void>((r) => setTimeout(r, 20)) : undefined;
    const run = await runLocally(p.stack, { samples: threeSamples.samples.slice(0, 1) }, simulate, 'run-1', {
      batchApi: d.batchApi,
    });
    expect(run.error).toBeUndefined();
    expect(run.calls.map(queueOf)).toEqual(['Standard', 'Standard', 'Standard', 'Standard']);
    expect(d.apiCalls.length).toBeGreaterThan(0);
  });
});

describe('spotWaitLimit, synthesized', () => {
  test('the watcher lists the job by name in its queue, counts running jobs up to busyAt, and may cancel', () => {
    const p = withLimit();
    const t = Template.fromStack(p.stack);
    const asl = JSON.stringify(aslOf(t));
    expect(asl).toContain('"align: on Spot, watched"');
    expect(asl).toContain('"Values.$":"States.Array(States.Format(\'{}-align-{}\', $.run, $.index))"');
    // busyAt: Test/Spot (Ec2Capacity defaults) at maxvCpus holds 16 of the largest job any step on it can ask for
    // (align at its last memory level, 4 vCPU and 67.5 GiB) on its worst-packing type: 16 running jobs fill it.
    expect(asl.match(/"MaxResults":\d+/g)).toEqual(['"MaxResults":16', '"MaxResults":16']);
    expect(asl).toContain('"Seconds":1800');
    const policies = t.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (r) =>
        (r as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties
          .PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toContain('batch:ListJobs');
    expect(actions).toContain('batch:CancelJob');
  });

  test('steps without a limit have no watcher and the role no ListJobs or CancelJob', () => {
    const p = genomicsPipeline();
    const t = Template.fromStack(p.stack);
    expect(JSON.stringify(aslOf(t))).not.toContain('watched');
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toMatch(/batch:(ListJobs|CancelJob)/);
  });
});

describe('spotWaitLimit, checked at synth', () => {
  const build = (limit: Duration, options: Record<string, unknown> = {}) => {
    const p = genomicsPipeline();
    return errorOf(
      () =>
        new Workflow(p.stack, 'Other', {
          steps: [new WorkflowStep('solo', { job: p.jobs.qc, spotWaitLimit: limit, ...options })],
        }),
    ).message;
  };

  test('below 10 minutes', () => {
    expect(build(Duration.minutes(5))).toContain(
      "Test/Other: steps['solo'].spotWaitLimit 5 minutes is not allowed; allowed: a whole number of seconds from 10 minutes to 24 hours. Fix: use e.g. spotWaitLimit: Duration.hours(1)",
    );
  });

  test('on an array job, whose parent never waits in RUNNABLE', () => {
    const p = genomicsPipeline();
    const tiles = new Job(p.stack, 'Tiles', {
      queues: [p.standard, p.urgent],
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36'),
      vcpus: 1,
      memory: Size.gibibytes(2),
      arrayJob: true,
    });
    const message = errorOf(
      () =>
        new Workflow(p.stack, 'Other', {
          steps: [new WorkflowStep('tiles', { job: tiles, arraySize: 10, spotWaitLimit: Duration.hours(1) })],
        }),
    ).message;
    expect(message).toContain("steps['tiles'].spotWaitLimit 1 hour, on array job Test/Tiles is not allowed");
  });

  test('on a step that does not escalate to On-Demand', () => {
    expect(build(Duration.hours(1), { spotEscalation: false })).toMatch(
      /spotWaitLimit.*on a step that does not escalate from Spot to On-Demand.*remove spotWaitLimit, or bind the job to an On-Demand queue too/s,
    );
  });
});
