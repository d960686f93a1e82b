import { readFileSync } from 'fs';
import { join } from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { failedFromRecords, findOutcomes } from '../../lib/client/run-outcomes';
import { CHECKPOINT_ENV, ITEM_ENV, resultsEnvName, RUN_TAG, WORKFLOW_JOB_PARAMETER } from '../../lib/contract/job-env';
import {
  ATTEMPT_FIELDS,
  fanOutStateKeys,
  ITEM_ERROR_KEY,
  ITEM_CHECK_KEY,
  ITEM_PROCESSED_KEY,
  RUN_CACHE_KEY,
  ITEM_INPUT_KEYS,
  OUTCOME_FIELDS,
  STEP_STATE_KEYS,
  SUMMARY_FIELDS,
} from '../../lib/contract/run-state';
import { Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { FanOut, Job, JobQueue, Workflow, WorkflowStep } from '../../lib';
import { capacities } from '../support/capacity';
import { stackWithVpc } from '../support/stacks';
import { aslOf } from '../support/asl';
import { applicationError } from '../support/batch-failures';
import { genomicsPipeline, jobFailure, runLocally, threeSamples } from '../support/pipeline';
import { matchesPattern } from '../monitoring/event-pattern';
import { monitored } from '../monitoring/monitored';
import { awsExampleJobFailed, withParameters } from '../monitoring/sample-events';

/**
 * The run contract (lib/contract/) names what the state machine writes and the client, CLI and monitoring read. These
 * tests read the synthesized definition and hold it to the contract in both directions: a key, record field or
 * environment name changed on one side only fails here.
 */

type State = Record<string, unknown>;

/** Every state of a definition, nested ones (Parallel branches, Map item processors) included, with its name. */
function allStates(asl: State): Array<[string, State]> {
  const out: Array<[string, State]> = [];
  const visit = (machine: State) => {
    for (const [name, state] of Object.entries((machine.States ?? {}) as Record<string, State>)) {
      out.push([name, state]);
      for (const branch of (state.Branches ?? []) as State[]) {
        visit(branch);
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as State | undefined;
      if (processor) {
        visit(processor);
      }
    }
  };
  visit(asl);
  return out;
}

/** The top-level keys a state writes: its result path and its catchers' (output paths select, as OutputPath does). */
function writtenKeys(s: State): string[] {
  const paths = [s.ResultPath, s.OutputPath, ...((s.Catch ?? []) as State[]).map((c) => c.ResultPath)];
  return paths.map(topKey).filter((k): k is string => k !== undefined);
}

/** `{ 'a.$': …, b: … }` → ['a', 'b']. */
const keysOf = (o: unknown) => Object.keys((o ?? {}) as object).map((k) => k.replace(/\.\$$/, ''));

/** The top-level state key a path writes (`$.samplesCounts.items` → `samplesCounts`). */
const topKey = (path: unknown) =>
  typeof path === 'string' ? /^\$\.([A-Za-z_][A-Za-z0-9_]*)/.exec(path)?.[1] : undefined;

describe('the run contract', () => {
  const p = genomicsPipeline();
  const asl = aslOf(Template.fromStack(p.stack));
  const states = allStates(asl);

  test('every top-level key a state writes is a contract key, and every contract key is written', () => {
    const written = new Set(states.flatMap(([, s]) => writtenKeys(s)));
    const contract = new Set<string>([
      // Outcomes in the state: no results bucket, so no step cache (WorkflowProps.cache).
      ...Object.values(STEP_STATE_KEYS).filter((k) => k !== STEP_STATE_KEYS.cache),
      ITEM_ERROR_KEY,
      // Each item's duplicate-id check (duplicate-ids.ts).
      ITEM_CHECK_KEY,
      // Each item's state after its steps, which its outcome reads (fan-out-states.ts).
      ITEM_PROCESSED_KEY,
      // This pipeline's fan-out keeps its outcomes in the state: it writes no result-writer output.
      ...Object.entries(fanOutStateKeys('samples'))
        .filter(([k]) => k !== 'results' && k !== 'error' && k !== 'cacheHits')
        .map(([, v]) => v),
    ]);
    expect([...written].sort()).toEqual([...contract].sort());
  });

  test("the map's item selector writes exactly the item input's keys", () => {
    const maps = states.filter(([, s]) => s.Type === 'Map');
    expect(maps.length).toBeGreaterThan(0);
    for (const [, map] of maps) {
      expect(keysOf(map.ItemSelector).sort()).toEqual(
        Object.values(ITEM_INPUT_KEYS)
          .filter((k) => k !== ITEM_INPUT_KEYS.cache)
          .sort(),
      );
    }
  });

  test('every attempt record a state writes has exactly the attempt fields', () => {
    const attempts = states.filter(([, s]) => s.ResultPath === `$.${STEP_STATE_KEYS.attempt}`);
    expect(attempts.length).toBeGreaterThan(3);
    for (const [name, s] of attempts) {
      // A plan state's Result, an escalation's Parameters, or the record a step hands the next one (ResultSelector).
      const record = s.Type === 'Task' ? s.ResultSelector : (s.Result ?? s.Parameters);
      expect([name, keysOf(record).sort()]).toEqual([name, [...ATTEMPT_FIELDS].sort()]);
    }
  });

  test('every outcome record a state writes uses only outcome fields, and the fields are all written', () => {
    const records = states.filter(
      ([name, s]) =>
        s.ResultPath === `$.${STEP_STATE_KEYS.outcome}` ||
        /: item (succeeded|succeeded On-Demand|invalid|error|error without cause)$/.test(name),
    );
    const fields = new Set(records.flatMap(([, s]) => keysOf(s.Parameters)));
    expect([...fields].sort()).toEqual(
      Object.values(OUTCOME_FIELDS)
        .filter((f) => f !== OUTCOME_FIELDS.cached)
        .sort(),
    );
  });

  test('every fan-out summary uses only summary fields', () => {
    const summaries = states.filter(([, s]) => s.ResultPath === `$.${fanOutStateKeys('samples').summary}`);
    expect(summaries.length).toBeGreaterThan(0);
    for (const [, s] of summaries) {
      expect(Object.values(SUMMARY_FIELDS)).toEqual(expect.arrayContaining(keysOf(s.Parameters)));
    }
  });

  test('jobs are tagged with the run tag (the workflow is marked by a job parameter, which events carry)', () => {
    const submits = states.filter(([, s]) => String(s.Resource ?? '').includes(':batch:submitJob'));
    expect(submits.length).toBe(4);
    for (const [, s] of submits) {
      expect(keysOf((s.Parameters as State).Tags).sort()).toEqual([RUN_TAG]);
    }
  });

  test("every job the workflow submits carries the workflow's job parameter, and the failed-job rule leaves exactly those out", () => {
    // Batch's job state change event carries the job's parameters (its detail is the JobDetail) and no user tags:
    // https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html
    const m = monitored();
    const machine = allStates(aslOf(m.template)).filter(([, s]) =>
      String(s.Resource ?? '').includes(':batch:submitJob'),
    );
    const rules = Object.values(m.template.findResources('AWS::Events::Rule')).map(
      (r) => r.Properties.EventPattern as { detail?: { status?: string[] } & Record<string, unknown> } | undefined,
    );
    const failedJobs = rules.find((r) => r?.detail?.status?.[0] === 'FAILED')!;
    // The queue ARNs are tokens at synth: the example event's queue stands in for them.
    const pattern = {
      ...failedJobs,
      detail: { ...failedJobs.detail, jobQueue: [awsExampleJobFailed.detail.jobQueue] },
    } as Record<string, unknown>;
    expect(machine.length).toBe(4);
    for (const [name, s] of machine) {
      const parameters = (s.Parameters as State).Parameters as Record<string, string>;
      expect([name, typeof parameters[WORKFLOW_JOB_PARAMETER]]).toEqual([name, 'string']);
      // The event of this job, as Batch sends it: its parameters are what the submit state passed (paths resolved).
      const literal = Object.entries(parameters).filter(([k]) => !k.endsWith('.$'));
      const event = withParameters(awsExampleJobFailed, { ...Object.fromEntries(literal), sampleId: 'NA12878' });
      expect([name, matchesPattern(pattern, event)]).toEqual([name, false]);
    }
    expect(matchesPattern(pattern, awsExampleJobFailed)).toBe(true);
  });

  test('what the state machine writes for a failed item is what the client reads: its index, id and error', async () => {
    const run = await runLocally(genomicsPipeline({ maxFailedItems: 1 }).stack, threeSamples, (call) => {
      if (call.state === 'align' && call.input.Parameters?.sampleId === 's2') {
        throw jobFailure(applicationError());
      }
    });
    const source = findOutcomes(run.output, 'the execution output');
    expect(source).toMatchObject({
      kind: 'records',
      where: `the execution output (${fanOutStateKeys('samples').outcomes})`,
    });
    const failed = failedFromRecords((source as { records: Array<Record<string, unknown>> }).records);
    expect(failed).toEqual([
      expect.objectContaining({ index: 1, id: 's2', error: 'align.ApplicationError', kind: 'ApplicationError' }),
    ]);
  });
});

describe('the run contract with outcomes in S3', () => {
  // A manifest fan-out writing its outcomes to S3, a checkpointed step in it, and a cohort step after it.
  const { stack, vpc } = stackWithVpc();
  const c = capacities(stack, vpc);
  const queue = new JobQueue(stack, 'Q', { capacities: [c.onDemand] });
  const bucket = new s3.Bucket(stack, 'Work');
  const job = (id: string) =>
    new Job(stack, id, {
      queues: [queue],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
  const lanes = new FanOut('lanes', {
    manifest: { bucket },
    results: { bucket },
    idField: 'laneId',
    itemFields: ['laneId'],
  });
  const perLane = new WorkflowStep('perLane', { job: job('PerLane'), forEach: lanes, checkpoint: { bucket } });
  new Workflow(stack, 'Wf', {
    steps: [perLane, new WorkflowStep('cohort', { job: job('Cohort'), dependsOn: [perLane] })],
  });
  const states = allStates(aslOf(Template.fromStack(stack)));

  test('every top-level key a state writes is a contract key, and every contract key is written', () => {
    const written = new Set(states.flatMap(([, s]) => writtenKeys(s)));
    const contract = new Set<string>([
      ...Object.values(STEP_STATE_KEYS),
      ITEM_ERROR_KEY,
      // Each item's duplicate-id check (duplicate-ids.ts).
      ITEM_CHECK_KEY,
      // Each item's state after its steps, which its outcome reads (fan-out-states.ts).
      ITEM_PROCESSED_KEY,
      // Whether the run reads the step cache, for the items' cache (cache-states.ts).
      RUN_CACHE_KEY,
      // Outcomes in S3: the state keeps no outcome records, and no item count runs before the map.
      ...Object.entries(fanOutStateKeys('lanes'))
        .filter(([k]) => k !== 'outcomes')
        .map(([, v]) => v),
    ]);
    expect([...written].sort()).toEqual([...contract].sort());
  });

  test('containers get the checkpoint and results variables, read from the summary the fan-out writes', () => {
    const env = (name: string) =>
      ((states.find(([n]) => n === name)![1].Parameters as State).ContainerOverrides as { Environment: State[] })
        .Environment;
    expect(env('perLane')).toEqual([{ Name: CHECKPOINT_ENV, 'Value.$': expect.stringContaining('$.item.laneId') }]);
    expect(env('cohort')).toEqual([
      { Name: resultsEnvName('lanes'), 'Value.$': `$.${fanOutStateKeys('lanes').summary}.${SUMMARY_FIELDS.results}` },
    ]);
    const summary = states.filter(([, s]) => s.ResultPath === `$.${fanOutStateKeys('lanes').summary}`);
    expect(summary.every(([, s]) => keysOf(s.Parameters).includes(SUMMARY_FIELDS.results))).toBe(true);
  });

  test('with a step cache, items start from the run cache and succeeded outcomes name the cached steps', () => {
    const map = states.find(([, st]) => st.Type === 'Map')![1];
    expect(keysOf(map.ItemSelector)).toContain(ITEM_INPUT_KEYS.cache);
    const succeeded = states.filter(([n]) => /: item succeeded/.test(n));
    expect(succeeded.length).toBe(2);
    expect(succeeded.every(([, st]) => keysOf(st.Parameters).includes(OUTCOME_FIELDS.cached))).toBe(true);
  });

  test("a failed item's record, as the cause of its child execution, is read by the client with its id", () => {
    const record = states.find(([, s]) => s.ResultPath === `$.${STEP_STATE_KEYS.outcome}`)![1];
    expect((record.Parameters as State)[`${OUTCOME_FIELDS.id}.$`]).toBe('$.item.laneId');
  });
});

describe('the names containers read', () => {
  // Containers are the users' code: a variable renamed in the contract would break them silently at run time. Each
  // name must be the one the README documents.
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

  test.each([...Object.values(ITEM_ENV), CHECKPOINT_ENV, resultsEnvName('samples')])('%s is documented', (name) => {
    expect(readme).toMatch(new RegExp(`\\b${name}\\b`));
  });
});
