import { createHash } from 'crypto';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RunOptions } from 'aws-local-stepfunctions';
import { StateMachine } from './local-sfn';
import { Construct } from 'constructs';

type Handlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type Json = Parameters<Handlers[string]>[0];
import { capacities } from './capacity';
import { aslOf } from './asl';
import { stackWithVpc } from './stacks';
import { applicationError, JobDescription } from './batch-failures';
import { FanOut, FanOutOptions, Job, JobQueue, Workflow, WorkflowStep, WorkflowStepOptions } from '../../lib';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');

/**
 * The reference pipeline's items: samples in the input's `samples` field, each `{ sampleId, inputUri, outputUri }`
 * (the library's defaults are neutral: `$.items`, `id`, just the id).
 */
export const SAMPLE_ITEMS = {
  itemsPath: '$.samples',
  idField: 'sampleId',
  itemFields: ['sampleId', 'inputUri', 'outputUri'],
} satisfies FanOutOptions;

/** The reference pipeline's stack, queues and jobs (align, call-variants, qc, aggregate), without steps. */
export function genomicsJobs() {
  const { app, stack, vpc } = stackWithVpc();
  const c = capacities(stack, vpc);
  const standard = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
  const urgent = new JobQueue(stack, 'Urgent', { capacities: [c.onDemand], priority: 100 });
  const job = (id: string, command: string[], memory = 30, hours = 6) =>
    new Job(stack, id, {
      queues: [standard, urgent],
      image,
      command,
      vcpus: 4,
      memory: Size.gibibytes(memory),
      timeout: Duration.hours(hours),
    });
  const jobs = {
    align: job('Align', ['align', 'Ref::sampleId', 'Ref::inputUri']),
    callVariants: job('CallVariants', ['call', 'Ref::sampleId'], 15, 4),
    qc: job('Qc', ['qc', 'Ref::sampleId'], 7, 1),
    aggregate: job('Aggregate', ['aggregate'], 30, 2),
  };
  return { app, stack, standard, urgent, jobs };
}

/**
 * The reference pipeline's steps over `g`'s jobs: per sample align, then call-variants and qc in parallel; then
 * aggregate. Steps are values: a plan can be made of them without a workflow (and without a synth).
 */
export function genomicsSteps(
  g: ReturnType<typeof genomicsJobs>,
  fanOutOptions: FanOutOptions = {},
  stepOptions: Partial<Record<'align' | 'callVariants' | 'qc' | 'aggregate', Partial<WorkflowStepOptions>>> = {},
) {
  const jobs = g.jobs;
  // 100 samples: outcomes kept in the execution state hold at most MAX_ITEMS_IN_STATE (134) items, every one of which
  // may fail with a full record.
  const samples = new FanOut('samples', { ...SAMPLE_ITEMS, expectedItems: 100, ...fanOutOptions });
  const align = new WorkflowStep('align', { job: jobs.align, forEach: samples, ...stepOptions.align });
  const callVariants = new WorkflowStep('callVariants', {
    job: jobs.callVariants,
    forEach: samples,
    dependsOn: [align],
    ...stepOptions.callVariants,
  });
  const qc = new WorkflowStep('qc', { job: jobs.qc, forEach: samples, dependsOn: [align], ...stepOptions.qc });
  const aggregate = new WorkflowStep('aggregate', {
    job: jobs.aggregate,
    dependsOn: [callVariants, qc],
    ...stepOptions.aggregate,
  });
  return { samples, steps: { align, callVariants, qc, aggregate } };
}

/** The reference pipeline: per sample align, then call-variants and qc in parallel; then aggregate. */
export function genomicsPipeline(
  fanOutOptions: FanOutOptions = {},
  stepOptions: Partial<Record<'align' | 'callVariants' | 'qc' | 'aggregate', Partial<WorkflowStepOptions>>> = {},
) {
  const g = genomicsJobs();
  const { samples, steps } = genomicsSteps(g, fanOutOptions, stepOptions);
  const workflow = new Workflow(g.stack, 'Pipeline', {
    steps: [steps.align, steps.callVariants, steps.qc, steps.aggregate],
  });
  return { ...g, samples, steps, workflow };
}

/** A simulated Batch in which `step`'s job of `sampleId` exits 2 (an application error); every other job succeeds. */
export function failingJob(step: string, sampleId: string): JobSimulator {
  return (c) => {
    if (c.state === step && c.input.Parameters?.sampleId === sampleId) {
      throw jobFailure(applicationError(2));
    }
  };
}

/**
 * The reference pipeline with its outcomes in S3, so that its workflow caches its fan-out steps by default (in the
 * results bucket); up to half the items may fail and the cohort step still runs.
 */
export function cachedGenomicsPipeline(
  stepOptions: Partial<Record<'align' | 'callVariants' | 'qc' | 'aggregate', Partial<WorkflowStepOptions>>> = {},
  fanOutOptions: (stack: Stack) => Partial<FanOutOptions> = () => ({}),
) {
  const g = genomicsJobs();
  const results = new s3.Bucket(g.stack, 'Results');
  const { steps } = genomicsSteps(
    g,
    { results: { bucket: results, prefix: 'runs/' }, maxFailedPercentage: 50, ...fanOutOptions(g.stack) },
    stepOptions,
  );
  const workflow = new Workflow(g.stack, 'Pipeline', { steps: Object.values(steps) });
  return { ...g, results, workflow };
}

/** A construct at `path` (e.g. 'Test/Wf'), for plan checks whose messages name the construct they are for. */
export function scopeAt(path: string): Construct {
  let scope = new Construct(undefined as unknown as Construct, '');
  for (const id of path.split('/')) {
    scope = new Construct(scope, id);
  }
  return scope;
}

/**
 * A stack with a fair-share queue (one share, `lab_a`) on On-Demand capacity, and a small job on it (an array job
 * unless `arrayJob: false`): what the share-identifier and array-size tests need.
 */
export function fairShareJob(jobId = 'Tiles', options: { arrayJob?: boolean } = {}) {
  const { stack, vpc } = stackWithVpc();
  const q = new JobQueue(stack, 'Fair', {
    capacities: [capacities(stack, vpc).onDemand],
    fairShare: { shares: [{ shareIdentifier: 'lab_a', weightFactor: 1 }] },
  });
  const job = new Job(stack, jobId, {
    queues: [q],
    image,
    vcpus: 1,
    memory: Size.gibibytes(2),
    arrayJob: options.arrayJob ?? true,
  });
  return { stack, q, job };
}

/** One call of a submit state, as the local run saw it. */
export interface SubmitCall {
  /** The step's submit state: a Spot attempt's watched copy (`<step>: on Spot`) is reported as the step's. */
  readonly state: string;
  /** Whether the submit was a watched Spot attempt (a step with `spotWaitLimit`). */
  readonly watched?: boolean;
  /** The id the local Batch gave the job. */
  readonly jobId?: string;
  readonly input: {
    JobName: string;
    JobQueue: string;
    JobDefinition: string;
    Parameters?: Record<string, string>;
    ContainerOverrides?: { ResourceRequirements?: Array<{ Type: string; Value: string }>; Environment?: unknown[] };
  };
}

/**
 * Decides what a simulated Batch job does: return to succeed, throw (`jobFailure`, `apiError`) to fail; a promise
 * holds the `.sync` submit until it settles (a job waiting for capacity).
 */
export type JobSimulator = (call: SubmitCall, attempt: number) => void | Promise<void>;

/** Other Batch calls of the workflow (a Spot watcher's ListJobs and CancelJob), by state name and input. */
export type BatchApiSimulator = (state: string, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** What else a local run can be given. */
export interface LocalRunOptions {
  /** Batch calls other than submits (spot-wait-states.ts). */
  readonly batchApi?: BatchApiSimulator;
  /** Every Wait state waits this long (ms). @default 0 */
  readonly waitMs?: number;
  /**
   * The step cache's records (S3 key -> body), read and written by the run's cache states
   * (lib/workflow/states/cache-states.ts); pass the same map to several runs to rerun with the cache.
   * @default - an empty cache of this run's own
   */
  readonly cacheStore?: Map<string, string>;
  /** Changes the definition before the run, e.g. a job definition's revision as a deploy of a new image makes it. */
  readonly rewriteAsl?: (asl: string) => string;
  /**
   * The items' input objects (`FanOutOptions.inputObjects`), `s3://<bucket>/<key>` -> quoted ETag, for the HeadObject
   * of each (input-object-states.ts); an object not in the map is missing.
   * @default - every object exists, its ETag derived from its URI
   */
  readonly inputObjects?: Map<string, string>;
}

/**
 * S3 GetObject of a missing key as the aws-sdk:s3 integration raises it: `S3.NoSuchKeyException` (errors of AWS SDK
 * service integrations are named `<service>.<exception class>`,
 * https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html#supported-services-awssdk-exceptions;
 * S3's error code NoSuchKey, https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_Errors).
 */
export function noSuchKey(key: string): Error {
  const e = new Error(`The specified key does not exist. (Service: S3, Status Code: 404, Key: ${key})`);
  e.name = 'S3.NoSuchKeyException';
  return e;
}

/**
 * A Batch job failure as Step Functions reports it: `States.TaskFailed`, the job description as cause (fixtures in
 * ./batch-failures, each with its source).
 */
export function jobFailure(description: JobDescription): Error {
  const e = new Error(JSON.stringify(description));
  e.name = 'States.TaskFailed';
  return e;
}

/** A Batch API error as Step Functions reports it (fixtures in ./batch-failures). */
export function apiError(error: { name: string; message: string }): Error {
  const e = new Error(error.message);
  e.name = error.name;
  return e;
}

type States = Record<string, Record<string, unknown>>;

/** The names of every Task state of a definition's states, nested Maps and Parallel branches included. */
export function taskStates(states: States, out: string[] = []): string[] {
  for (const [name, s] of Object.entries(states)) {
    if (s.Type === 'Task') {
      out.push(name);
    }
    const processor = (s.ItemProcessor ?? s.Iterator) as { States: States } | undefined;
    if (processor) {
      taskStates(processor.States, out);
    }
    for (const b of (s.Branches as Array<{ States: States }>) ?? []) {
      taskStates(b.States, out);
    }
  }
  return out;
}

/** The names of every Wait state of a definition's states, nested Maps and Parallel branches included. */
function waitStates(states: States, out: string[] = []): string[] {
  for (const [name, s] of Object.entries(states)) {
    if (s.Type === 'Wait') {
      out.push(name);
    }
    const processor = (s.ItemProcessor ?? s.Iterator) as { States: States } | undefined;
    if (processor) {
      waitStates(processor.States, out);
    }
    for (const b of (s.Branches as Array<{ States: States }>) ?? []) {
      waitStates(b.States, out);
    }
  }
  return out;
}

/**
 * Where aws-local-stepfunctions falls short of Step Functions, the definition is adapted before the run (the rest
 * runs unchanged):
 * - it cannot read S3: a Distributed Map that reads its items from a manifest is handed the manifest's items from
 *   `$.manifestItems` of the input instead;
 * - it has neither ResultWriter nor tolerated-failure thresholds: a map that writes results to S3 keeps them in the
 *   state instead (`outcomes`, beside a local `MapRunArn`), its items end in a Pass instead of their Fail (so the
 *   map goes on, as with ToleratedFailurePercentage 100), and the following DescribeMapRun call (handled locally) is
 *   handed those outcomes to count, as Step Functions' Map Run would.
 */
function adaptForLocalRun(asl: Record<string, unknown>): void {
  for (const state of Object.values(asl.States as States)) {
    if (state.ItemReader) {
      delete state.ItemReader;
      state.ItemsPath = '$.manifestItems';
    }
    if (state.ResultWriter) {
      delete state.ResultWriter;
      delete state.ToleratedFailurePercentage;
      state.ResultSelector = {
        MapRunArn: 'arn:aws:states:us-east-1:123456789012:mapRun:local/run:1',
        'outcomes.$': '$',
        ResultWriterDetails: { Bucket: 'results-bucket', Key: 'results/local-run/manifest.json' },
      };
      // The count follows the map, after the step cache's hit count where there is one.
      const fanOut = Object.entries(asl.States as States)
        .find(([, s]) => s === state)![0]
        .replace(/: for each item$/, '');
      const count = (asl.States as States)[`${fanOut}: count outcomes`];
      const parameters = count.Parameters as Record<string, string>;
      parameters['outcomes.$'] = parameters['MapRunArn.$'].replace(/MapRunArn$/, 'outcomes');
      const processor = (state.ItemProcessor as { States: States }).States;
      for (const [name, s] of Object.entries(processor)) {
        if (s.Type === 'Fail' && name.endsWith(': item failed')) {
          processor[name] = { Type: 'Pass', End: true };
        }
      }
    }
  }
}

/** DescribeMapRun's ItemCounts for the outcomes a locally run map produced (see `adaptForLocalRun`). */
function describeLocalMapRun(input: { MapRunArn: string; outcomes: Array<{ cause?: string; status?: string }> }) {
  const outcomes = input.outcomes;
  const failed = outcomes.filter((o) => o.cause !== undefined || o.status === 'FAILED').length;
  return {
    MapRunArn: 'arn:aws:states:us-east-1:123456789012:mapRun:local/samples:1',
    ItemCounts: {
      Total: outcomes.length,
      Succeeded: outcomes.length - failed,
      Failed: failed,
      TimedOut: 0,
      Aborted: 0,
      Pending: 0,
      Running: 0,
      ResultsWritten: outcomes.length,
    },
  };
}

/**
 * Runs the stack's state machine locally (aws-local-stepfunctions), every Batch submit state handled by `simulate`.
 * Returns the output (or the error) and the submit calls in the order they were made.
 */
export async function runLocally(
  stack: Stack,
  input: unknown,
  simulate: JobSimulator = () => undefined,
  executionName = 'run-1',
  options: LocalRunOptions = {},
) {
  let asl = aslOf(Template.fromStack(stack)) as Record<string, unknown>;
  if (options.rewriteAsl) {
    asl = JSON.parse(options.rewriteAsl(JSON.stringify(asl)));
  }
  adaptForLocalRun(asl);
  // The derived execution timeout is weeks long; the local runner's timer cannot hold it.
  delete asl.TimeoutSeconds;
  const machine = new StateMachine(asl as never, { validationOptions: { checkArn: false } });
  const calls: SubmitCall[] = [];
  const attempts = new Map<string, number>();
  const claims = new Set<string>();
  const handlers: Record<string, (input: Json) => Promise<Json>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  const cacheStore = options.cacheStore ?? new Map<string, string>();
  const hitTable = new Map<string, Record<string, { S?: string; N?: string }>>();
  const waitTimeOverrides = Object.fromEntries(waitStates(asl.States as States).map((w) => [w, options.waitMs ?? 0]));
  for (const state of taskStates(asl.States as States)) {
    retryIntervalOverrides[state] = 0;
    if (state.endsWith(': count outcomes')) {
      handlers[state] = async (taskInput: Json) => describeLocalMapRun(taskInput as never) as unknown as Json;
      continue;
    }
    // A manifest line's id claim (lib/workflow/states/duplicate-ids.ts), in a bucket of this run: PutObject, then
    // ListObjectsV2 under the id's claims, whose response always carries KeyCount (the keys returned, at most MaxKeys).
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html#API_ListObjectsV2_ResponseSyntax
    if (state.endsWith(': claim the id')) {
      handlers[state] = async (taskInput: Json) => {
        claims.add((taskInput as { Key: string }).Key);
        return {} as Json;
      };
      continue;
    }
    // The run's own message and its unsent-summary metric (lib/workflow/states/run-summary-states.ts): not Batch jobs.
    if (state.startsWith('run summary: ')) {
      handlers[state] = async () => ({}) as Json;
      continue;
    }
    // The step cache (lib/workflow/states/cache-states.ts): GetObject returns the object's Body (a string through the
    // aws-sdk:s3 integration: "read back, it is a string", issue 29's facts) with ContentLength and the quoted ETag,
    // PutObject the ETag (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_ResponseSyntax,
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#API_PutObject_ResponseSyntax).
    if (state.endsWith(': look up the cache')) {
      handlers[state] = async (taskInput: Json) => {
        const { Key } = taskInput as { Key: string };
        const body = cacheStore.get(Key);
        if (body === undefined) {
          throw noSuchKey(Key);
        }
        return { Body: body, ContentLength: body.length, ETag: '"9b2cf535f27731c974343645a3985328"' } as Json;
      };
      continue;
    }
    if (state.endsWith(': record the result')) {
      handlers[state] = async (taskInput: Json) => {
        const { Key, Body } = taskInput as { Key: string; Body: string };
        cacheStore.set(Key, Body);
        return { ETag: '"9b2cf535f27731c974343645a3985328"' } as Json;
      };
      continue;
    }
    // The step cache's hit counts (lib/workflow/states/cache-count-states.ts), in a table of this run: PutItem,
    // UpdateItem with ADD on a number attribute, GetItem (the item's attributes as AttributeValues under `Item`, and
    // no `Item` when there is none), DeleteItem.
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html#API_GetItem_ResponseSyntax
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html (ADD)
    const hitRow = (input: Json) => (input as { Key: { id: { S: string } } }).Key.id.S;
    if (state.endsWith(': start counting cache hits')) {
      handlers[state] = async (taskInput: Json) => {
        const item = (taskInput as { Item: Record<string, { S?: string; N?: string }> }).Item;
        hitTable.set(item.id.S!, { ...item });
        return {} as Json;
      };
      continue;
    }
    if (state.endsWith(': count the hit')) {
      handlers[state] = async (taskInput: Json) => {
        const { UpdateExpression } = taskInput as { UpdateExpression: string };
        const attribute = /^ADD (\w+) :one$/.exec(UpdateExpression)![1];
        const row = hitTable.get(hitRow(taskInput)) ?? { id: { S: hitRow(taskInput) } };
        row[attribute] = { N: String(Number(row[attribute]?.N ?? 0) + 1) };
        hitTable.set(hitRow(taskInput), row);
        return {} as Json;
      };
      continue;
    }
    if (state.endsWith(': read the cache hits')) {
      handlers[state] = async (taskInput: Json) => {
        const row = hitTable.get(hitRow(taskInput));
        return (row ? { Item: row } : {}) as Json;
      };
      continue;
    }
    if (state.endsWith(': forget the cache hits')) {
      handlers[state] = async (taskInput: Json) => {
        hitTable.delete(hitRow(taskInput));
        return {} as Json;
      };
      continue;
    }
    // An item's input object (lib/workflow/states/input-object-states.ts): HeadObject answers with the object's
    // metadata, its ETag a quoted hex MD5 for a single-part upload
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#API_HeadObject_ResponseSyntax,
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html: ETag), or fails with 404 for a missing one.
    if (/^[^:]+: \S+ object$/.test(state)) {
      handlers[state] = async (taskInput: Json) => {
        const { Bucket, Key } = taskInput as { Bucket: string; Key: string };
        const uri = `s3://${Bucket}/${Key}`;
        const etag = options.inputObjects
          ? options.inputObjects.get(uri)
          : `"${createHash('md5').update(uri).digest('hex')}"`;
        if (etag === undefined) {
          // A HEAD response has no body, so no error code: the Java SDK Step Functions uses raises a generic
          // S3Exception for it (404, or 403 without s3:ListBucket: API_HeadObject's "If the object you request doesn't
          // exist"). https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
          const e = new Error(`null (Service: S3, Status Code: 403, Key: ${Key})`);
          e.name = 'S3.S3Exception';
          throw e;
        }
        return { ETag: etag, ContentLength: 1024, ContentType: 'application/octet-stream' } as Json;
      };
      continue;
    }
    // A Spot watcher's Batch calls (lib/workflow/states/spot-wait-states.ts).
    if (/: (list the job|count running jobs|cancel for On-Demand)$/.test(state)) {
      handlers[state] = async (taskInput: Json) => {
        // Without a simulator, the watcher finds no job of the name: the watch ends and the job runs as it would.
        return (await (options.batchApi ?? (async () => ({ JobSummaryList: [] })))(
          state,
          taskInput as Record<string, unknown>,
        )) as Json;
      };
      continue;
    }
    if (state.endsWith(': list the claims of the id')) {
      handlers[state] = async (taskInput: Json) => {
        const { Prefix, MaxKeys } = taskInput as { Prefix: string; MaxKeys: number };
        const keys = [...claims].filter((k) => k.startsWith(Prefix)).slice(0, MaxKeys);
        return { KeyCount: keys.length, Contents: keys.map((Key) => ({ Key })), Prefix } as unknown as Json;
      };
      continue;
    }
    handlers[state] = async (taskInput: Json) => {
      const jobId = `job-${calls.length + 1}`;
      const watched = state.endsWith(': on Spot');
      const call = {
        state: watched ? state.slice(0, -': on Spot'.length) : state,
        watched,
        jobId,
        input: taskInput as unknown as SubmitCall['input'],
      };
      calls.push(call);
      const key = `${call.state}|${JSON.stringify(call.input.Parameters ?? {})}|${call.input.JobName}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      try {
        await simulate(call, attempt);
      } catch (e) {
        // Batch's description of a failed job carries the name, queue and id it was submitted with.
        const error = e as Error;
        if (error.name === 'States.TaskFailed' && error.message.endsWith('}')) {
          const description = JSON.parse(error.message);
          error.message = JSON.stringify({
            ...description,
            JobId: jobId,
            JobName: call.input.JobName,
            JobQueue: call.input.JobQueue,
          });
        }
        throw error;
      }
      return { JobId: jobId, JobName: call.input.JobName, Status: 'SUCCEEDED' };
    };
  }
  try {
    const output = await machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides, waitTimeOverrides },
      context: {
        Execution: {
          Name: executionName,
          Id: `arn:aws:states:us-east-1:123456789012:execution:Pipeline:${executionName}`,
          Input: input as never,
        },
      } as never,
    }).result;
    return { output: output as Record<string, unknown>, error: undefined, calls };
  } catch (e) {
    return { output: undefined, error: e as Error & { cause?: unknown }, calls };
  }
}

/** Three samples as an execution input. */
export const threeSamples = {
  samples: ['s1', 's2', 's3'].map((id) => ({
    sampleId: id,
    inputUri: `s3://in/${id}.fq`,
    outputUri: `s3://out/${id}/`,
  })),
};
