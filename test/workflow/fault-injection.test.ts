import { App } from 'aws-cdk-lib';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';
import { applicationError, bareFailure, BATCH_API_ERRORS, outOfMemory, spotReclaimed } from '../support/batch-failures';
import { OUTCOME_BYTES } from '../../lib/workflow/plan/budgets';
import {
  BATCH_ATTEMPTS,
  FAULT_ITEMS,
  FAULT_SEED,
  faultWeekManifest,
  random,
  SPOT_RATE,
  THROTTLE_RATE,
} from '../support/fault-week';
import { apiError, genomicsPipeline, jobFailure, runLocally, SubmitCall } from '../support/pipeline';

/**
 * A bad week, seeded: the example's own state machine runs locally over 500 samples while Batch misbehaves the way AWS
 * reports it (fixtures in ../support/batch-failures, each with its source). Figures are in docs/fault-injection.md.
 */

const SEED = FAULT_SEED;
const ITEMS = FAULT_ITEMS;
/**
 * Events one submit of a step can add to an item's history: plan 2, the check whether Spot was lost before and the
 * router 4, task 6, failure reading and escalation 14.
 */
const EVENTS_PER_SUBMIT = 26;
/** An item's own events: iteration, check and wrapper 10, its duplicate-id claim and listing 12, a parallel level 4. */
const EVENTS_PER_ITEM_FIXED = 10 + 12 + 4;

const indexOf = (c: SubmitCall) => Number(c.input.JobName.split('-').pop());
const queueOf = (c: SubmitCall) => (c.input.JobQueue.includes('UrgentQueue') ? 'OnDemand' : 'Spot');
const memoryOf = (c: SubmitCall) =>
  c.input.ContainerOverrides?.ResourceRequirements?.find((r) => r.Type === 'MEMORY')?.Value;

const manifest = faultWeekManifest;

describe('a seeded bad week over the example state machine', () => {
  const stack = new GenomicsPipelineStack(new App(), 'Genomics');
  const items = manifest();
  const rand = random(SEED);
  const oomOnce = new Set(Array.from({ length: ITEMS }, (_, i) => i).filter(() => rand() < 0.03));
  const brokenSamples = new Set(Array.from({ length: ITEMS }, (_, i) => i).filter(() => rand() < 0.02));
  let spotFailures = 0;
  let throttled = 0;
  let run: Awaited<ReturnType<typeof runLocally>>;

  beforeAll(async () => {
    run = await runLocally(
      stack,
      { manifest: { bucket: 'input', key: 'manifests/week-48.json' }, manifestItems: items },
      (call, attempt) => {
        if (rand() < THROTTLE_RATE) {
          throttled++;
          throw apiError(BATCH_API_ERRORS.throttled);
        }
        const index = call.state === 'aggregate' ? -1 : indexOf(call);
        if (
          queueOf(call) === 'Spot' &&
          Array.from({ length: BATCH_ATTEMPTS }, () => rand()).every((r) => r < SPOT_RATE)
        ) {
          spotFailures++;
          throw jobFailure(spotReclaimed());
        }
        if (call.state === 'align' && oomOnce.has(index) && memoryOf(call) === '30720') {
          throw jobFailure(outOfMemory());
        }
        if (call.state === 'callVariants' && brokenSamples.has(index)) {
          throw jobFailure(applicationError(2));
        }
        void attempt;
      },
      'week-48',
    );
  }, 120_000);

  const outcomes = () => {
    const results = run.output!.samplesResults as { outcomes: Array<Record<string, unknown>> };
    return results.outcomes.map((o) => (typeof o.cause === 'string' ? JSON.parse(o.cause) : o)) as Array<{
      index: number;
      status: string;
      kind?: string;
      reason?: string;
      error?: string;
    }>;
  };

  test('no item is lost: every item has exactly one outcome', () => {
    expect(run.error).toBeUndefined();
    const seen = outcomes()
      .map((o) => o.index)
      .sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: ITEMS }, (_, i) => i));
  });

  test('every failed item is reported with a reason a person can act on', () => {
    const failed = outcomes().filter((o) => o.status === 'FAILED');
    const invalid = failed.filter((o) => o.error === 'Item.Invalid').map((o) => o.index);
    expect(invalid.sort((a, b) => a - b)).toEqual([17, 230, 401]);
    // The duplicated id: line 12 ran, line 499 was refused before any of its jobs, its claim beside line 12's.
    const duplicates = failed.filter((o) => o.error === 'Item.Duplicate');
    expect(duplicates).toEqual([
      expect.objectContaining({
        index: 499,
        kind: 'InvalidItem',
        reason: expect.stringMatching(
          /^item 499 has the id S0012 of another line of the manifest \(their claims are under s3:\/\/\S+\/runs\/ids\/week-48\/S0012\//,
        ),
      }),
    ]);
    expect(run.calls.some((c) => c.input.Parameters?.inputUri === 's3://in/S12-resequenced.fq')).toBe(false);
    expect(run.calls.some((c) => c.state === 'align' && indexOf(c) === 12)).toBe(true);
    const broken = [...brokenSamples].filter((i) => ![17, 230, 401, 499].includes(i));
    for (const i of broken) {
      const o = failed.find((x) => x.index === i)!;
      expect(o).toMatchObject({ error: 'callVariants.ApplicationError', kind: 'ApplicationError' });
      expect(o.reason).toMatch(/^the container exited with code 2; its output is in log stream \S+$/);
    }
    // Nothing else failed: Spot, out-of-memory kills and throttling were all recovered.
    expect(failed).toHaveLength(invalid.length + duplicates.length + broken.length);
    figures.failed = failed.length;
    figures.succeeded = ITEMS - failed.length;
  });

  test('the cohort step runs exactly once, after every sample, over the rest (the policy allows 10%)', () => {
    const aggregate = run.calls.filter((c) => c.state === 'aggregate');
    // Submitted again only after throttling; one job name, the last call of the run.
    expect(new Set(aggregate.map((c) => c.input.JobName))).toEqual(new Set(['week-48-aggregate']));
    expect(run.calls[run.calls.length - 1].state).toBe('aggregate');
    expect(run.output!.samplesSummary).toMatchObject({ status: 'PARTIAL', items: ITEMS });
    figures.cohortRuns = 1;
  });

  test('escalations: Spot-exhausted jobs rerun On-Demand with the same memory, out-of-memory ones with the next level', () => {
    const byJob = new Map<string, SubmitCall[]>();
    for (const c of run.calls) {
      byJob.set(c.input.JobName, [...(byJob.get(c.input.JobName) ?? []), c]);
    }
    let spotEscalations = 0;
    let memoryEscalations = 0;
    for (const calls of byJob.values()) {
      for (let i = 1; i < calls.length; i++) {
        const [before, after] = [calls[i - 1], calls[i]];
        if (queueOf(before) === 'Spot' && queueOf(after) === 'OnDemand') {
          expect(memoryOf(after)).toBe(memoryOf(before));
          spotEscalations++;
        } else if (memoryOf(before) !== memoryOf(after)) {
          expect([memoryOf(before), memoryOf(after)]).toEqual(['30720', '46080']);
          memoryEscalations++;
        }
      }
    }
    expect(spotEscalations).toBeGreaterThan(0);
    expect(memoryEscalations).toBe([...oomOnce].filter((i) => ![17, 230, 401, 499].includes(i)).length);
    // An item that lost its Spot capacity at align starts its later steps On-Demand: every later step of such an item
    // was first submitted On-Demand, and no step of it went back to Spot.
    const lostAtAlign = new Set(
      [...byJob.values()]
        .filter((calls) => calls[0].state === 'align' && calls.some((c) => queueOf(c) === 'OnDemand'))
        .map((calls) => indexOf(calls[0])),
    );
    const carried = [...byJob.values()].filter((calls) => calls[0].state !== 'align' && calls[0].state !== 'aggregate');
    const afterLoss = carried.filter((calls) => lostAtAlign.has(indexOf(calls[0])));
    expect(afterLoss.length).toBeGreaterThan(0);
    for (const calls of afterLoss) {
      expect(calls.map(queueOf)).toEqual(calls.map(() => 'OnDemand'));
    }
    Object.assign(figures, {
      spotEscalations,
      startedOnDemand: afterLoss.length,
      memoryEscalations,
      spotFailures,
      throttled,
      submits: run.calls.length,
    });
  });

  test("the largest item's history stays far below 25,000 events", () => {
    const perItem = new Map<number, number>();
    for (const c of run.calls.filter((x) => x.state !== 'aggregate')) {
      perItem.set(indexOf(c), (perItem.get(indexOf(c)) ?? 0) + 1);
    }
    const largest = EVENTS_PER_ITEM_FIXED + Math.max(...perItem.values()) * EVENTS_PER_SUBMIT;
    expect(largest).toBeLessThan(1000);
    figures.largestItemEvents = largest;
  });

  test('an empty manifest fails at once, saying so, with no job submitted', async () => {
    const empty = await runLocally(stack, {
      manifest: { bucket: 'input', key: 'manifests/empty.json' },
      manifestItems: [],
    });
    expect((empty.error!.cause as Error).name).toBe('samples.NoItems');
    expect(empty.calls).toEqual([]);
  });

  afterAll(() => {
    // The figures docs/fault-injection.md reports, for a reader re-running the test.
    process.stdout.write(`fault-injection figures: ${JSON.stringify(figures)}\n`);
  });
});

const figures: Record<string, number> = {};

describe('a systemic failure (a broken image) stops the run with a bounded summary', () => {
  test('134 samples (the most the state holds) all failing: the cause names the count and the first failures, under 32,768 characters', async () => {
    const p = genomicsPipeline();
    const samples = Array.from({ length: 134 }, (_, i) => ({
      sampleId: `sample-with-a-long-identifier-${i}`,
      inputUri: `s3://in/${i}.fq`,
      outputUri: `s3://out/${i}/`,
    }));
    const run = await runLocally(p.stack, { samples }, () => {
      throw jobFailure(applicationError(127));
    });
    const failure = run.error!.cause as Error;
    expect(failure.name).toBe('samples.TooManyItemsFailed');
    expect(failure.message.length).toBeLessThan(32_768);
    const summary = JSON.parse(failure.message);
    expect(summary).toMatchObject({ status: 'FAILED', items: 134, failed: 134 });
    expect(summary.firstFailures).toHaveLength(10);
    expect(summary.where).toContain('samplesOutcomes');
    expect(run.calls.some((c) => c.state === 'aggregate')).toBe(false);
  }, 60_000);

  test('one item more than the state holds: the run fails before any job, naming the limit', async () => {
    const p = genomicsPipeline();
    const samples = Array.from({ length: 135 }, (_, i) => ({ sampleId: `s${i}`, inputUri: 'x', outputUri: 'y' }));
    const run = await runLocally(p.stack, { samples });
    expect((run.error!.cause as Error).name).toBe('samples.TooManyItems');
    expect((run.error!.cause as Error).message).toContain('More than 134 items');
    expect(run.calls).toEqual([]);
  });

  test('the longest failure record stays within the bytes the state check allows per outcome', async () => {
    // Reasons at Batch's longest (container reasons are cut at 255 characters by ECS), a 64-character id, the
    // longest log stream and queue names: the size OUTCOME_BYTES reserves for every item.
    const p = genomicsPipeline({ maxFailedItems: 1 });
    const long = (c: string, n: number) => c.repeat(n);
    const failure = applicationError(1);
    const huge = {
      ...failure,
      StatusReason: long('s', 255),
      Container: { ...failure.Container, Reason: long('r', 255), LogStreamName: long('l', 170) },
    };
    const sampleId = long('i', 64);
    const run = await runLocally(
      p.stack,
      {
        samples: [
          { sampleId, inputUri: 'x', outputUri: 'y' },
          { sampleId: 'b', inputUri: 'x', outputUri: 'y' },
        ],
      },
      (call) => {
        if (call.input.Parameters?.sampleId === sampleId && call.state === 'align') {
          throw jobFailure({ ...huge, Container: { ...huge.Container, ExitCode: undefined } });
        }
      },
    );
    const record = (run.output!.samplesOutcomes as unknown[])[0];
    expect(record).toMatchObject({ status: 'FAILED', kind: 'JobFailed' });
    // The queue ARN in the local run is short; Batch queue names may have 128 characters (~180 with the ARN).
    const bytes = Buffer.byteLength(JSON.stringify(record)) - (record as { queue: string }).queue.length + 180;
    expect(bytes).toBeLessThanOrEqual(OUTCOME_BYTES);
  });

  test('a job description longer than a cause may be (cut short, not JSON) is recorded as it is, not parsed', async () => {
    // An error's cause is at most 32,768 characters (TaskFailedEventDetails:
    // https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html): a description
    // with a long command cannot arrive whole. Parsing the rest would raise States.Runtime, which no Catch handles.
    const p = genomicsPipeline();
    const failure = applicationError(1);
    const long = JSON.stringify({ ...failure, Container: { ...failure.Container, Command: ['x'.repeat(40_000)] } });
    const cut = new Error(long.slice(0, 32_768));
    cut.name = 'States.TaskFailed';
    const run = await runLocally(p.stack, { samples: [{ sampleId: 'a', inputUri: 'x', outputUri: 'y' }] }, (call) => {
      if (call.state === 'aggregate') {
        throw cut;
      }
    });
    // The cohort step fails with a record of the error as it is. (The record is read as text: the local runner's
    // intrinsics drop every backslash from a string result, so its States.JsonToString of a text with quotes is not
    // valid JSON there; Step Functions escapes them.)
    const error = run.error!.cause as Error;
    expect(error.name).toBe('aggregate.WorkflowError');
    // The cause is the outcome record as JSON (States.JsonToString), its reason the error and the cut-short cause.
    const outcome = JSON.parse(error.message);
    expect(outcome).toMatchObject({ status: 'FAILED', step: 'aggregate', error: 'aggregate.WorkflowError' });
    expect(outcome.reason).toMatch(/^States\.TaskFailed: \{"Status":"FAILED"/);
  });

  test('a step whose job description lacks a status reason fails with a record, not States.Runtime', async () => {
    const p = genomicsPipeline();
    const run = await runLocally(p.stack, { samples: [{ sampleId: 'a', inputUri: 'x', outputUri: 'y' }] }, () => {
      throw jobFailure(bareFailure());
    });
    const summary = JSON.parse((run.error!.cause as Error).message);
    expect(summary.firstFailures[0]).toMatchObject({ kind: 'JobFailed', statusReason: '', exitCode: null });
  });
});
