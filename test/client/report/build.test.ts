import type { JobDetail } from '@aws-sdk/client-batch';
import { nameOf } from '../../../lib/client/report/attempts';
import { buildRunReport } from '../../../lib/client/report/build';
import { spread } from '../../../lib/client/report/timing';
import { jobDetail, MIN, placed, QUEUES, smallWeek, SPOT_REASON, T0 } from './jobs';

const report = (jobs = smallWeek()) =>
  buildRunReport({
    run: { kind: 'execution', name: 'week-48', executionArn: 'arn:x', status: 'FAILED' },
    jobs,
    queues: QUEUES,
    cached: { qc: 2 },
    now: T0 + 300 * MIN,
    rerun: 'batch-pipelines rerun --execution-arn arn:x',
  });

describe('the attempts of an item step', () => {
  test("Batch's tries and the workflow's resubmissions are one item step, each try with how it ended", () => {
    // GIVEN sample 0's align: three Spot tries reclaimed, then the workflow's On-Demand job
    const align0 = report().itemSteps.find((s) => s.step === 'align' && s.item === '0')!;
    // THEN
    expect(align0.attempts.map((a) => [a.queue, a.end, a.onDemandFallback])).toEqual([
      ['SpotQueue', 'spot-interruption', false],
      ['SpotQueue', 'spot-interruption', false],
      ['SpotQueue', 'spot-interruption', false],
      ['OnDemandQueue', 'succeeded', true],
    ]);
    expect(align0.attempts[0].reason).toBe(SPOT_REASON);
    // The second try waited from the first one's end (20) to its start (30); the On-Demand job from 56 to 60.
    expect(align0.queuedMs).toBe((5 + 10 + 10 + 4) * MIN);
    expect(align0.runMs).toBe((15 + 10 + 5 + 60) * MIN);
    expect(align0.status).toBe('SUCCEEDED');
  });

  test('an out-of-memory kill then a larger job is a memory escalation', () => {
    const align1 = report().itemSteps.find((s) => s.step === 'align' && s.item === '1')!;
    expect(align1.attempts.map((a) => [a.end, a.memoryMiB, a.memoryEscalation, a.exitCode])).toEqual([
      ['out-of-memory', 30720, false, 137],
      ['succeeded', 46080, true, 0],
    ]);
  });

  test('a job still running ends now on the timeline and counts its running time so far', () => {
    const running = jobDetail({
      id: 'r',
      name: 'week-48-align-3',
      queue: 'SpotQueue',
      created: 0,
      status: 'RUNNING',
      tries: [{ start: 10, stop: 0 }],
    });
    const s = report([placed(running, 'align', '3')]).itemSteps[0];
    expect(s).toMatchObject({ status: 'RUNNING', end: T0 + 300 * MIN, queuedMs: 10 * MIN, runMs: 290 * MIN });
  });

  test('a Spot wait limit cancellation is told apart from a failure', () => {
    const cancelled = jobDetail({
      id: 'w',
      name: 'week-48-align-4',
      queue: 'SpotQueue',
      created: 0,
      status: 'FAILED',
      tries: [],
    });
    const s = report([
      placed(
        {
          ...cancelled,
          statusReason: 'Spot wait limit: no Spot capacity within 1 hour (spotWaitLimit); running On-Demand',
        },
        'align',
        '4',
      ),
      placed(
        jobDetail({
          id: 'w2',
          name: 'week-48-align-4',
          queue: 'OnDemandQueue',
          created: 60,
          tries: [{ start: 62, stop: 90, exitCode: 0 }],
        }),
        'align',
        '4',
      ),
    ]).itemSteps[0];
    expect(s.attempts.map((a) => a.end)).toEqual(['spot-wait', 'succeeded']);
    // It waited from its submission until the On-Demand job was submitted.
    expect(s.attempts[0].endedAt).toBe(T0 + 60 * MIN);
    expect(s.queuedMs).toBe(62 * MIN);
  });
});

describe('job names', () => {
  test.each([
    ['a workflow fan-out step', 'week-48-callVariants-12', 'execution', { step: 'callVariants', item: '12' }],
    ['a workflow step of the run', 'week-48-aggregate', 'execution', { step: 'aggregate', item: '(run)' }],
    ['a run of jobs, an item id with a dash', 'run1-align-S-7', 'jobs', { step: 'align', item: 'S-7' }],
  ] as const)('%s', (_, name, kind, expected) => {
    expect(nameOf({ jobName: name } as JobDetail, name.startsWith('run1') ? 'run1' : 'week-48', kind)).toEqual(
      expected,
    );
  });

  test('a run of jobs whose stage name holds a dash: read as rerun reads it (the item is the parameter it ends with)', () => {
    const job = { jobName: 'run1-call-variants-S-7', parameters: { sampleId: 'S-7' } };
    expect(nameOf(job as unknown as JobDetail, 'run1', 'jobs')).toEqual({ step: 'call-variants', item: 'S-7' });
    const chunk = {
      jobName: 'run1-call-variants-2',
      arrayProperties: { index: 3 },
      container: { environment: [{ name: 'BATCH_PIPELINES_OFFSET', value: '200' }] },
    };
    expect(nameOf(chunk as unknown as JobDetail, 'run1', 'jobs')).toEqual({ step: 'call-variants', item: '203' });
  });

  test("an array child's item is its chunk's offset plus its index", () => {
    const child = {
      jobName: 'run1-align-1',
      arrayProperties: { index: 7 },
      container: { environment: [{ name: 'BATCH_PIPELINES_OFFSET', value: '10000' }] },
    };
    expect(nameOf(child as unknown as JobDetail, 'run1', 'jobs')).toEqual({ step: 'align', item: '10007' });
  });
});

describe('per step', () => {
  test('items, outcomes, cache hits, Spot losses and escalations', () => {
    const steps = report().steps;
    expect(steps.map((s) => s.step)).toEqual(['align', 'callVariants', 'aggregate', 'qc']);
    expect(steps[0]).toMatchObject({
      items: 3,
      succeeded: 3,
      failed: 0,
      cached: 0,
      spotInterruptions: 3,
      onDemandFallbacks: 1,
      memoryEscalations: 1,
    });
    expect(steps[1]).toMatchObject({ items: 3, succeeded: 2, failed: 1 });
    expect(steps[3]).toMatchObject({ step: 'qc', items: 2, cached: 2, jobHours: 0 });
  });

  test('median and p95 of queued and run time over the items', () => {
    const align = report().steps[0];
    // Run: sample 0 90 min, sample 1 30 + 60, sample 2 60.
    expect(align.run).toEqual({ median: 90 * MIN, p95: 90 * MIN });
    expect(spread([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])).toEqual({
      median: 10,
      p95: 19,
    });
  });

  test("job-hours are every try's, priced as watch prices them (On-Demand and the Spot discount)", () => {
    const r = report();
    const align = r.steps[0];
    expect(align.jobHours).toBeCloseTo((15 + 10 + 5 + 60 + 30 + 60 + 60) / 60, 6);
    expect(align.onDemandUsd).toBeGreaterThan(0);
    expect(align.spotUsd).toBeCloseTo(align.onDemandUsd * 0.35, 6);
    expect(r.cost.jobHours).toBeCloseTo(
      r.steps.reduce((n, s) => n + s.jobHours, 0),
      6,
    );
  });
});

describe('where the time went', () => {
  test('wall time: running, waiting for capacity with none running, and idle', () => {
    const { time } = report();
    // 02:00 to 04:40: the first minutes wait (0-2), something runs until 145; nothing is submitted until the cohort
    // step at 146 (idle), which waits until 150 and runs until 160.
    expect(time.wallMs).toBe(160 * MIN);
    expect(time.waitingMs).toBe((2 + 4) * MIN);
    expect(time.runningMs).toBe((143 + 10) * MIN);
    expect(time.idleMs).toBe(1 * MIN);
  });

  test('the critical path runs back from the cohort step through the item that ended last', () => {
    const path = report().criticalPath.map((l) => `${l.step}:${l.item}`);
    expect(path).toEqual(['align:0', 'callVariants:0', 'aggregate:(run)']);
  });

  test('the slowest items first', () => {
    expect(report().slowest.map((s) => s.item)).toEqual(['0', '1', '2']);
  });
});

describe('failures', () => {
  test('each failed step with its reason, exit code, log stream, the logs command, and the rerun command', () => {
    const r = report();
    expect(r.failures).toEqual([
      {
        item: '2',
        step: 'callVariants',
        jobId: 'c2',
        reason: 'Essential container in task exited',
        exitCode: 2,
        logStreamName: 'Genomics_Align/default/c2-0',
        logLines: [],
        logMissing: 'not read',
        logsCommand: 'batch-pipelines logs --job-id c2',
      },
    ]);
    expect(r.rerun).toBe('batch-pipelines rerun --execution-arn arn:x');
  });

  test('no failure, no rerun command', () => {
    expect(report(smallWeek().filter((j) => j.job.jobId !== 'c2')).rerun).toBeUndefined();
  });
});

describe('the estimate beside the actual', () => {
  test("the model, told the step's median run time and size, against every try's hours", () => {
    const align = report().estimate.find((e) => e.step === 'align')!;
    expect(align.items).toBe(3);
    expect(align.hoursPerItem).toBe(1);
    // The model expects a little Spot overhead on 3 job-hours; the run lost 1.5 more hours to retries.
    expect(align.estimatedJobHours).toBeGreaterThanOrEqual(3);
    expect(align.estimatedJobHours).toBeLessThan(align.actualJobHours);
    expect(align.estimatedUsd).toBeGreaterThan(0);
    expect(align.actualSpanHours).toBe(2);
    expect(align.note).toBeUndefined();
  });

  test('a step without a succeeded try says why it has no estimate', () => {
    const only = smallWeek().filter((j) => j.job.jobId === 'c2');
    expect(report(only).estimate[0].note).toBe('no attempt succeeded: no run time to estimate from');
  });
});

test('the report is plain JSON: it survives a round trip unchanged', () => {
  const r = report();
  expect(JSON.parse(JSON.stringify(r))).toEqual(r);
});

test('a run every step of which was served from the step cache: no job, the counts, an empty timeline', () => {
  const r = buildRunReport({
    run: { kind: 'execution', name: 'week-49', status: 'SUCCEEDED', start: T0, end: T0 + 2 * MIN },
    jobs: [],
    queues: QUEUES,
    cached: { align: 3, qc: 3 },
    now: T0 + 10 * MIN,
  });
  expect(r.steps.map((s) => [s.step, s.items, s.cached, s.jobHours])).toEqual([
    ['align', 3, 3, 0],
    ['qc', 3, 3, 0],
  ]);
  expect(r).toMatchObject({ items: 0, jobs: 0, criticalPath: [], failures: [], estimate: [] });
  expect(r.time).toMatchObject({ wallMs: 2 * MIN, idleMs: 2 * MIN });
});
