import type { BatchClient, JobDetail, JobStatus, JobSummary, SubmitJobCommandInput } from '@aws-sdk/client-batch';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { Size } from 'aws-cdk-lib';
import { fitOnInstances } from '../compute/fit';
import { InstanceCatalog } from '../compute/instance-catalog';
import {
  BATCH_NAME_PATTERN,
  DESCRIBE_JOBS_PER_CALL,
  MAX_ARRAY_SIZE,
  MIN_ARRAY_SIZE,
  SUBMIT_JOB_CALLS_PER_SECOND,
} from '../private/limits';

/**
 * The AWS SDK, loaded when a client is first made: a CDK app imports this library to synthesize and should not pay
 * for loading the SDK (tens of milliseconds on every `cdk synth`).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const batchSdk = (): typeof import('@aws-sdk/client-batch') => require('@aws-sdk/client-batch');
const sfnSdk = (): typeof import('@aws-sdk/client-sfn') => require('@aws-sdk/client-sfn');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Batch's limits the client works within. @see https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html */
export const CLIENT_LIMITS = {
  /** Children of one array job. */
  maxArraySize: MAX_ARRAY_SIZE,
  /** SubmitJob calls per second per account. */
  submitPerSecond: SUBMIT_JOB_CALLS_PER_SECOND,
  /** Job ids per DescribeJobs call. */
  describeBatch: DESCRIBE_JOBS_PER_CALL,
} as const;

/** Environment variables an array child reads to find its item in the manifest. */
export const ITEM_ENV = {
  /** Where the manifest (a JSON array of items) is. */
  manifest: 'BATCH_PIPELINES_MANIFEST',
  /** Index of this array job's first item in the manifest; the child's item is offset + AWS_BATCH_JOB_ARRAY_INDEX. */
  offset: 'BATCH_PIPELINES_OFFSET',
} as const;

/** How a client waits; tests pass a fake. */
export type Sleep = (ms: number) => Promise<void>;

/** Options of `PipelineClient`. */
export interface PipelineClientOptions {
  /**
   * The Batch client.
   * @default - a new BatchClient from the standard AWS SDK configuration chain (region, profile, credentials)
   */
  readonly batch?: BatchClient;
  /**
   * The Step Functions client.
   * @default - a new SFNClient from the standard configuration chain
   */
  readonly sfn?: SFNClient;
  /**
   * SubmitJob calls per second.
   * @default 50 - Batch's account limit
   */
  readonly submitPerSecond?: number;
  /**
   * Attempts at a throttled (or 5xx) call before giving up. The client does the retrying: give it SDK clients
   * with `maxAttempts: 1` (as the default ones are) so the two do not multiply.
   * @default 8
   */
  readonly maxThrottleRetries?: number;
  /** @default - real timers */
  readonly sleep?: Sleep;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A stage of a run: one job definition over every item. */
export interface SubmitStage {
  /** Stage name, part of the job names (letters, digits, `-`, `_`). */
  readonly name: string;
  /** Job definition (name, name:revision or ARN). */
  readonly jobDefinition: string;
  /** Job queue (name or ARN). */
  readonly jobQueue: string;
  /**
   * Environment overrides for every job of the stage.
   * @default - none
   */
  readonly environment?: Record<string, string>;
}

/** What to submit. */
export interface SubmitRequest {
  /** Names the run: jobs are named `<runId>-<stage>-<chunk or item>`, which makes a retried submit idempotent. */
  readonly runId: string;
  /** The items (e.g. samples). With one job per item, each needs the `idField` field. */
  readonly items: Array<Record<string, string>>;
  /**
   * The item field that identifies an item.
   * @default 'sampleId'
   */
  readonly idField?: string;
  /** Stages in order; with array jobs, stage k+1's chunk waits for stage k's chunk child by child (N_TO_N). */
  readonly stages: SubmitStage[];
  /**
   * Submit array jobs (chunks of up to 10,000 items; children find their item through `manifestUri`) rather than one
   * job per item with the item's fields as parameters.
   * @default true when `manifestUri` is given
   */
  readonly arrayJobs?: boolean;
  /** Where the items are for array children (an S3 URI of the same JSON array); required for array jobs. */
  readonly manifestUri?: string;
}

/** One submitted job. */
export interface SubmittedJob {
  /** The stage it belongs to. */
  readonly stage: string;
  /** Its deterministic name. */
  readonly jobName: string;
  /** Batch's job id. */
  readonly jobId: string;
  /** Array size, for array jobs. */
  readonly arraySize?: number;
  /** The items it covers: [first, last] indexes in the request. */
  readonly items: [number, number];
  /** False when a job of that name already existed and was reused (a retried submit). */
  readonly submitted: boolean;
}

/** A started workflow execution. */
export interface StartedExecution {
  /** Its ARN. */
  readonly executionArn: string;
  /** Its name (from the manifest key). */
  readonly name: string;
  /** When it started. */
  readonly startDate?: Date;
}

/** What `cancelRun` did. */
export interface CancelResult {
  /** Queued jobs cancelled. */
  readonly cancelled: number;
  /** Started jobs terminated. */
  readonly terminated: number;
}

/** Counts per status across jobs and array children. */
export type StatusCounts = Record<JobStatus, number>;

/** A job stuck in RUNNABLE, and what to do about it. */
export interface StuckJob {
  /** Batch's job id. */
  readonly jobId: string;
  /** The job's name. */
  readonly jobName: string;
  /** Minutes since it was created. */
  readonly minutesRunnable: number;
  /** Batch's status reason, if it gave one. */
  readonly statusReason?: string;
  /** Batch's reason translated into a fix. */
  readonly diagnosis: string;
}

const ALL_STATUSES: JobStatus[] = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED'];

/** Thrown for a request the client will not send. */
export class ClientInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientInputError';
  }
}

/** Throttling, a server-side fault or a dropped connection: worth another try after a pause. */
function isRetryable(e: unknown): boolean {
  const err = e as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; message?: string };
  const status = err?.$metadata?.httpStatusCode ?? 0;
  return (
    err?.name === 'TooManyRequestsException' ||
    err?.name === 'ThrottlingException' ||
    status === 429 ||
    status >= 500 ||
    err?.code === 'ECONNRESET' ||
    /too many requests|rate exceeded/i.test(err?.message ?? '')
  );
}

/**
 * Submits, watches, diagnoses and cancels the work of a pipeline this library provisioned, on the AWS SDK for
 * JavaScript v3. Region, profile and credentials come from the SDK's standard configuration chain.
 */
export class PipelineClient {
  /** The Batch client in use. */
  public readonly batch: BatchClient;
  /** The Step Functions client in use. */
  public readonly sfn: SFNClient;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private readonly minInterval: number;
  private readonly maxThrottleRetries: number;
  private nextSubmitAt = 0;
  private readonly api = { batch: batchSdk(), sfn: sfnSdk() };

  constructor(options: PipelineClientOptions = {}) {
    this.batch = options.batch ?? new this.api.batch.BatchClient({ maxAttempts: 1 });
    this.sfn = options.sfn ?? new this.api.sfn.SFNClient({ maxAttempts: 1 });
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.minInterval = 1000 / (options.submitPerSecond ?? CLIENT_LIMITS.submitPerSecond);
    this.maxThrottleRetries = options.maxThrottleRetries ?? 8;
  }

  /**
   * Submits every stage over every item: as array jobs of up to 10,000 children (chunked beyond, stages chained
   * N_TO_N chunk by chunk), or one job per item. Re-running the same request after a failure or timeout submits
   * nothing twice: a job whose deterministic name already exists on the queue is reused.
   */
  public async submit(request: SubmitRequest): Promise<SubmittedJob[]> {
    const idField = request.idField ?? 'sampleId';
    const arrays = request.arrayJobs ?? request.manifestUri !== undefined;
    this.validate(request, idField, arrays);
    const out: SubmittedJob[] = [];
    const chunks: Array<[number, number]> = [];
    if (arrays) {
      for (let start = 0; start < request.items.length; start += CLIENT_LIMITS.maxArraySize) {
        chunks.push([start, Math.min(start + CLIENT_LIMITS.maxArraySize, request.items.length) - 1]);
      }
    }
    let previous: SubmittedJob[] = [];
    for (const stage of request.stages) {
      const current: SubmittedJob[] = [];
      if (arrays) {
        for (const [i, [first, last]] of chunks.entries()) {
          const size = last - first + 1;
          const jobName = `${request.runId}-${stage.name}-${i}`;
          const dependsOn = previous[i]
            ? [{ jobId: previous[i].jobId, type: size >= MIN_ARRAY_SIZE ? ('N_TO_N' as const) : undefined }]
            : undefined;
          const input: SubmitJobCommandInput = {
            jobName,
            jobQueue: stage.jobQueue,
            jobDefinition: stage.jobDefinition,
            // Batch rejects an array of size 1: a one-item chunk is a plain job at offset `first`.
            arrayProperties: size >= MIN_ARRAY_SIZE ? { size } : undefined,
            dependsOn,
            containerOverrides: {
              environment: Object.entries({
                ...stage.environment,
                [ITEM_ENV.manifest]: request.manifestUri!,
                [ITEM_ENV.offset]: String(first),
              }).map(([name, value]) => ({ name, value })),
            },
          };
          current.push(
            await this.submitOnce(input, stage.name, [first, last], size >= MIN_ARRAY_SIZE ? size : undefined),
          );
        }
      } else {
        for (const [i, item] of request.items.entries()) {
          const jobName = `${request.runId}-${stage.name}-${item[idField]}`;
          const dependsOn = previous[i] ? [{ jobId: previous[i].jobId }] : undefined;
          const input: SubmitJobCommandInput = {
            jobName,
            jobQueue: stage.jobQueue,
            jobDefinition: stage.jobDefinition,
            parameters: item,
            dependsOn,
            containerOverrides: stage.environment
              ? { environment: Object.entries(stage.environment).map(([name, value]) => ({ name, value })) }
              : undefined,
          };
          current.push(await this.submitOnce(input, stage.name, [i, i]));
        }
      }
      out.push(...current);
      previous = current;
    }
    return out;
  }

  /**
   * Starts a workflow execution over a manifest in S3 (the genomics example's input shape). The execution is named
   * after the manifest key, so starting the same manifest twice returns the running execution instead of a second.
   */
  public async startExecution(
    stateMachineArn: string,
    manifest: { bucket: string; key: string },
    name?: string,
  ): Promise<StartedExecution> {
    const executionName = (name ?? manifest.key.replace(/\.json$/, '')).replace(/[^A-Za-z0-9_-]/g, '-').slice(-80);
    const out = await this.sfn.send(
      new this.api.sfn.StartExecutionCommand({
        stateMachineArn,
        name: executionName,
        input: JSON.stringify({ manifest }),
      }),
    );
    return { executionArn: out.executionArn!, name: executionName, startDate: out.startDate };
  }

  /** Jobs whose names start with `<runId>-` on a queue, any status. */
  public async listRun(jobQueue: string, runId: string): Promise<JobSummary[]> {
    const out: JobSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call(() =>
        this.batch.send(
          new this.api.batch.ListJobsCommand({
            jobQueue,
            filters: [{ name: 'JOB_NAME', values: [`${runId}-*`] }],
            nextToken,
          }),
        ),
      );
      out.push(...(page.jobSummaryList ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }

  /** Describes jobs 100 ids at a time. */
  public async describe(jobIds: string[]): Promise<JobDetail[]> {
    const out: JobDetail[] = [];
    for (let i = 0; i < jobIds.length; i += CLIENT_LIMITS.describeBatch) {
      const page = await this.call(() =>
        this.batch.send(
          new this.api.batch.DescribeJobsCommand({ jobs: jobIds.slice(i, i + CLIENT_LIMITS.describeBatch) }),
        ),
      );
      out.push(...(page.jobs ?? []));
    }
    return out;
  }

  /** Counts per status, array jobs counted by their children (from Batch's status summary). */
  public async progress(jobIds: string[]): Promise<StatusCounts> {
    return countStatuses(await this.describe(jobIds));
  }

  /**
   * Polls until every job is done, calling `onProgress` after each poll. The interval starts at `initialMs` and
   * grows by half each poll up to `maxMs`, so a long run costs few calls.
   */
  public async watch(
    jobIds: string[],
    onProgress: (counts: StatusCounts) => void,
    options: { initialMs?: number; maxMs?: number; maxPolls?: number } = {},
  ): Promise<StatusCounts> {
    let interval = options.initialMs ?? 5_000;
    const maxMs = options.maxMs ?? 60_000;
    for (let poll = 0; ; poll++) {
      const counts = await this.progress(jobIds);
      onProgress(counts);
      const open = ALL_STATUSES.filter((s) => s !== 'SUCCEEDED' && s !== 'FAILED').reduce((n, s) => n + counts[s], 0);
      if (open === 0 || (options.maxPolls !== undefined && poll + 1 >= options.maxPolls)) {
        return counts;
      }
      await this.sleep(interval);
      interval = Math.min(maxMs, Math.round(interval * 1.5));
    }
  }

  /**
   * Jobs RUNNABLE for longer than `olderThanMinutes` on a queue, each with Batch's reason translated into a fix.
   * When the job definition is known, its size is checked against the queue's instance types with the library's fit
   * check.
   */
  public async diagnose(jobQueue: string, olderThanMinutes = 30): Promise<StuckJob[]> {
    const summaries: JobSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call(() =>
        this.batch.send(new this.api.batch.ListJobsCommand({ jobQueue, jobStatus: 'RUNNABLE', nextToken })),
      );
      summaries.push(...(page.jobSummaryList ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const now = this.now();
    const stuck = summaries.filter((j) => (now - (j.createdAt ?? now)) / 60_000 > olderThanMinutes);
    if (stuck.length === 0) {
      return [];
    }
    const details = await this.describe(stuck.map((j) => j.jobId!));
    const queueTypes = await this.queueInstanceTypes(jobQueue);
    const out: StuckJob[] = [];
    for (const job of details) {
      out.push({
        jobId: job.jobId!,
        jobName: job.jobName!,
        minutesRunnable: Math.round((now - (job.createdAt ?? now)) / 60_000),
        statusReason: job.statusReason,
        diagnosis: await this.explain(job, queueTypes),
      });
    }
    return out;
  }

  /** Cancels queued jobs and terminates started ones of a run. Returns how many of each. */
  public async cancelRun(
    jobQueue: string,
    runId: string,
    reason = 'Cancelled with batch-pipelines cancel',
  ): Promise<CancelResult> {
    const jobs = await this.listRun(jobQueue, runId);
    let cancelled = 0;
    let terminated = 0;
    for (const job of jobs) {
      if (job.status === 'SUBMITTED' || job.status === 'PENDING' || job.status === 'RUNNABLE') {
        await this.call(() => this.batch.send(new this.api.batch.CancelJobCommand({ jobId: job.jobId!, reason })));
        cancelled++;
      } else if (job.status === 'STARTING' || job.status === 'RUNNING') {
        await this.call(() => this.batch.send(new this.api.batch.TerminateJobCommand({ jobId: job.jobId!, reason })));
        terminated++;
      }
    }
    return { cancelled, terminated };
  }

  private validate(request: SubmitRequest, idField: string, arrays: boolean): void {
    if (!BATCH_NAME_PATTERN.test(request.runId) || request.runId.length > 60) {
      throw new ClientInputError(
        `runId '${request.runId}' is not allowed; allowed: up to 60 letters, digits, '-' and '_' (it starts every job name)`,
      );
    }
    if (request.stages.length === 0) {
      throw new ClientInputError('stages [] is not allowed; allowed: at least one stage (job definition and queue)');
    }
    for (const s of request.stages) {
      if (!BATCH_NAME_PATTERN.test(s.name)) {
        throw new ClientInputError(`stage name '${s.name}' is not allowed; allowed: letters, digits, '-' and '_'`);
      }
    }
    if (arrays && !request.manifestUri) {
      throw new ClientInputError('array jobs need manifestUri: where the children read their items (an S3 URI)');
    }
    if (!arrays) {
      const ids = new Set<string>();
      for (const [i, item] of request.items.entries()) {
        const id = item[idField];
        if (!id || !BATCH_NAME_PATTERN.test(id)) {
          throw new ClientInputError(
            `item ${i}: ${idField} '${id ?? ''}' is not allowed; allowed: letters, digits, '-' and '_' (it names the job). ` +
              'Fix the id, or submit array jobs with manifestUri',
          );
        }
        if (ids.has(id)) {
          throw new ClientInputError(`item ${i}: ${idField} '${id}' appears twice; ids must be unique within a run`);
        }
        ids.add(id);
      }
    }
  }

  /** Submits unless a job of that name already exists on the queue (a retried submit). */
  private async submitOnce(
    input: SubmitJobCommandInput,
    stage: string,
    items: [number, number],
    arraySize?: number,
  ): Promise<SubmittedJob> {
    const existing = await this.call(() =>
      this.batch.send(
        new this.api.batch.ListJobsCommand({
          jobQueue: input.jobQueue,
          filters: [{ name: 'JOB_NAME', values: [input.jobName!] }],
        }),
      ),
    );
    const found = (existing.jobSummaryList ?? []).find((j) => j.jobName === input.jobName);
    if (found) {
      return { stage, jobName: input.jobName!, jobId: found.jobId!, arraySize, items, submitted: false };
    }
    const wait = this.nextSubmitAt - this.now();
    if (wait > 0) {
      await this.sleep(wait);
    }
    this.nextSubmitAt = Math.max(this.now(), this.nextSubmitAt) + this.minInterval;
    const out = await this.call(() => this.batch.send(new this.api.batch.SubmitJobCommand(input)));
    return { stage, jobName: input.jobName!, jobId: out.jobId!, arraySize, items, submitted: true };
  }

  /** Runs `fn`, backing off exponentially (with jitter) while Batch throttles or fails on its side. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isRetryable(e) || attempt + 1 >= this.maxThrottleRetries) {
          throw e;
        }
        const base = Math.min(20_000, 200 * 2 ** attempt);
        await this.sleep(base / 2 + Math.floor(Math.random() * (base / 2)));
      }
    }
  }

  private async queueInstanceTypes(
    jobQueue: string,
  ): Promise<{ types: string[]; maxvCpus: number[]; states: string[] }> {
    const queues = await this.call(() =>
      this.batch.send(new this.api.batch.DescribeJobQueuesCommand({ jobQueues: [jobQueue] })),
    );
    const ces = (queues.jobQueues?.[0]?.computeEnvironmentOrder ?? []).map((o) => o.computeEnvironment!);
    if (ces.length === 0) {
      return { types: [], maxvCpus: [], states: [] };
    }
    const described = await this.call(() =>
      this.batch.send(new this.api.batch.DescribeComputeEnvironmentsCommand({ computeEnvironments: ces })),
    );
    const envs = described.computeEnvironments ?? [];
    return {
      // Instance classes (e.g. r7i) expand to the sizes the catalog knows.
      types: envs
        .flatMap((e) => e.computeResources?.instanceTypes ?? [])
        .flatMap((t) => (InstanceCatalog.tryLookup(t) ? [t] : InstanceCatalog.family(t).map((i) => i.name))),
      maxvCpus: envs.map((e) => e.computeResources?.maxvCpus ?? 0),
      states: envs
        .filter((e) => e.status === 'INVALID')
        .map((e) => `${e.computeEnvironmentName}: INVALID (${e.statusReason ?? 'no reason'})`),
    };
  }

  private async explain(
    job: JobDetail,
    queue: { types: string[]; maxvCpus: number[]; states: string[] },
  ): Promise<string> {
    const reason = job.statusReason ?? '';
    const invalid = queue.states.length ? ` Compute environments: ${queue.states.join('; ')}.` : '';
    const size = this.sizeOf(job);
    if (reason.startsWith('MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT')) {
      if (size) {
        const fit = fitOnInstances(size, queue.types);
        const types = queue.types.join(', ') || 'none';
        if (!fit.fits) {
          const largest = fit.largestInstanceType;
          const families = new Set(queue.types.map((t) => InstanceCatalog.tryLookup(t)?.family ?? t));
          const suggestion = InstanceCatalog.all()
            .filter((i) => families.has(i.family) && fitOnInstances(size, [i.name]).fits)
            .sort((a, b) => a.onDemandHourlyUsd - b.onDemandHourlyUsd)[0];
          return (
            `The job asks for ${size.vcpus} vCPU / ${size.memory.toMebibytes()} MiB${size.gpus ? ` / ${size.gpus} GPU` : ''}, ` +
            `which fits none of the queue's instance types (${types}; largest usable memory ` +
            `${fit.largestUsableMemoryMiB ?? 0} MiB on ${largest ?? 'none'}). Ask for at most ` +
            `${Math.floor((fit.largestUsableMemoryMiB ?? 0) / 1024)} GiB${suggestion ? `, or add ${suggestion.name}` : ''}.${invalid}`
          );
        }
      }
      return `No instance type of the queue's compute environments can hold the job's vCPU/memory/GPU request: lower it or add larger instance types.${invalid}`;
    }
    if (reason.startsWith('MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE')) {
      return (
        `The job needs more vCPUs${size ? ` (${size.vcpus})` : ''} than the compute environments' maxvCpus ` +
        `(${queue.maxvCpus.join(', ')}): raise maxvCpus or ask for fewer vCPUs.${invalid}`
      );
    }
    if (reason.startsWith('CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY')) {
      return `EC2 has no capacity for the queue's instance types right now: add instance types or subnets in more Availability Zones, or wait.${invalid}`;
    }
    if (invalid) {
      return `A compute environment of the queue is INVALID, so nothing scales up.${invalid}`;
    }
    return (
      `No reason from Batch yet: capacity may still be scaling up (instances take minutes from zero). If it stays, ` +
      `check the account's EC2 or Spot vCPU quota and that the compute environments are ENABLED.${reason ? ` (${reason})` : ''}`
    );
  }

  private sizeOf(job: JobDetail): { vcpus: number; memory: Size; gpus: number } | undefined {
    const req = job.container?.resourceRequirements ?? [];
    const get = (t: string) => req.find((r) => r.type === t)?.value;
    const vcpus = Number(get('VCPU') ?? job.container?.vcpus);
    const memory = Number(get('MEMORY') ?? job.container?.memory);
    if (!vcpus || !memory) {
      return undefined;
    }
    return { vcpus, memory: Size.mebibytes(memory), gpus: Number(get('GPU') ?? 0) };
  }
}

/** Counts per status, array jobs counted by their children. */
export function countStatuses(jobs: JobDetail[]): StatusCounts {
  const counts = Object.fromEntries(ALL_STATUSES.map((s) => [s, 0])) as StatusCounts;
  for (const job of jobs) {
    const summary = job.arrayProperties?.statusSummary;
    if (summary && job.arrayProperties?.size) {
      let counted = 0;
      for (const s of ALL_STATUSES) {
        counts[s] += summary[s] ?? 0;
        counted += summary[s] ?? 0;
      }
      // Children not created yet are still waiting with their parent.
      counts[job.status ?? 'SUBMITTED'] += Math.max(0, job.arrayProperties.size - counted);
    } else if (job.status) {
      counts[job.status] += 1;
    }
  }
  return counts;
}
