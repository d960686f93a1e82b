import type { BatchClient, JobDetail, JobSummary, SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { ALL_STATUSES, countStatuses, StatusCounts } from './job-status';
import type { S3Client } from '@aws-sdk/client-s3';
import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { Size } from 'aws-cdk-lib';
import {
  failedFromChildExecution,
  failedFromRecords,
  failedFromResultFile,
  FailedItem,
  findOutcomes,
  manifestOf,
  OutcomeSource,
  parseJson,
  parseS3Uri,
  RunManifest,
  stateOutputs,
} from './run-outcomes';
import { jobKey, stagesOf } from './job-rerun';
import { attemptHours, priceRun, RunCost, SizedHours } from './run-cost';
import { fitOnInstances } from '../compute/fit';
import { FARGATE_MIN_BILLED_SECONDS } from '../cost/cost-types';
import { InstanceCatalog } from '../compute/instance-catalog';
import {
  BATCH_NAME_PATTERN,
  DESCRIBE_JOBS_PER_CALL,
  FINISHED_JOB_RETENTION_DAYS,
  MAX_ARRAY_SIZE,
  MIN_ARRAY_SIZE,
  SUBMIT_JOB_CALLS_PER_SECOND,
} from '../private/limits';
import { ITEM_ENV, RUN_TAG } from '../contract/job-env';
import { rerunIdOf, rerunManifestKey, runNameFor, unquoteEtag } from '../contract/run-names';

// The client is TypeScript only (it runs on the AWS SDK for JavaScript): `@jsii ignore` keeps it out of the other
// languages' packages, whose users have their own SDKs. See the README's "Python" section.
export { ITEM_ENV, RUN_TAG };
export type { RunCost } from './run-cost';

/**
 * The AWS SDK, loaded when a client is first made: a CDK app imports this library to synthesize and should not pay
 * for loading the SDK (tens of milliseconds on every `cdk synth`).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const batchSdk = (): typeof import('@aws-sdk/client-batch') => require('@aws-sdk/client-batch');
const sfnSdk = (): typeof import('@aws-sdk/client-sfn') => require('@aws-sdk/client-sfn');
const s3Sdk = (): typeof import('@aws-sdk/client-s3') => require('@aws-sdk/client-s3');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Batch's limits the client works within. @see https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html */
const CLIENT_LIMITS = {
  /** Children of one array job. */
  maxArraySize: MAX_ARRAY_SIZE,
  /** SubmitJob calls per second per account. */
  submitPerSecond: SUBMIT_JOB_CALLS_PER_SECOND,
  /** Job ids per DescribeJobs call. */
  describeBatch: DESCRIBE_JOBS_PER_CALL,
} as const;

/** Finished jobs older than this are not rerun: a day short of the time Batch keeps them listed. */
const RERUN_MAX_AGE_MS = (FINISHED_JOB_RETENTION_DAYS - 1) * 86_400_000;

/** How a client waits; tests pass a fake. */
type Sleep = (ms: number) => Promise<void>;

/**
 * Options of `PipelineClient`.
 * @jsii ignore
 */
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
   * The S3 client (manifests and result files).
   * @default - a new S3Client from the standard configuration chain
   */
  readonly s3?: S3Client;
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
  /**
   * How the client waits between polls and retries (tests pass a fake).
   * @default - real timers
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * A stage of a run: one job definition over every item.
 * @jsii ignore
 */
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

/**
 * What to submit.
 * @jsii ignore
 */
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

/**
 * One submitted job.
 * @jsii ignore
 */
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

/**
 * A started workflow execution.
 * @jsii ignore
 */
export interface StartedExecution {
  /** Its ARN. */
  readonly executionArn: string;
  /** Its name: the SHA-1 of the manifest's bucket, key and ETag, unless one was given. */
  readonly name: string;
  /** When it started. */
  readonly startDate?: Date;
  /** True when an execution of that name already existed (this manifest was started before): nothing new started. */
  readonly alreadyStarted: boolean;
  /** The existing execution's status, when it already existed. */
  readonly status?: string;
  /** The manifest, with the ETag it was started with. */
  readonly manifest: Required<RunManifest>;
}

/**
 * What a finished run left to rerun.
 * @jsii ignore
 */
export interface RunFailures {
  /** The execution read. */
  readonly executionArn: string;
  /** Its name. */
  readonly name: string;
  /** Its status. */
  readonly status: string;
  /** Its state machine. */
  readonly stateMachineArn: string;
  /** The manifest it read, when its input names one. */
  readonly manifest?: RunManifest;
  /** Where the outcomes were read. */
  readonly outcomes: string;
  /** Items that failed or never ran, and can run again unchanged. */
  readonly failed: FailedItem[];
  /** Items that failed for being malformed: fix them in the manifest (a rerun would fail them again). */
  readonly invalid: FailedItem[];
}

/**
 * What `rerun` did.
 * @jsii ignore
 */
export interface RerunResult extends RunFailures {
  /** Where the rerun's manifest (the failed items) was written; absent on a dry run or with nothing to rerun. */
  readonly rerunManifest?: string;
  /** The new run; absent on a dry run or with nothing to rerun. */
  readonly started?: StartedExecution;
}

/**
 * Item counts of a Distributed Map run, as `DescribeMapRun` reports them.
 * @jsii ignore
 */
export interface MapRunProgress {
  /** The Map Run. */
  readonly mapRunArn: string;
  /** RUNNING, SUCCEEDED, FAILED or ABORTED. */
  readonly status: string;
  /** Items in the Map Run. */
  readonly total: number;
  /** Items not started yet. */
  readonly pending: number;
  /** Items running. */
  readonly running: number;
  /** Items that succeeded. */
  readonly succeeded: number;
  /** Items that failed or timed out. */
  readonly failed: number;
  /** Items stopped (by a user, or because the Map Run failed). */
  readonly aborted: number;
}

/**
 * A workflow item that failed, found while the run goes on: its child execution and what it says.
 * @jsii ignore
 */
export interface ItemFailure extends FailedItem {
  /** The item's child execution (a Distributed Map runs each item as one). */
  readonly executionArn: string;
}

/**
 * One look at a workflow run.
 * @jsii ignore
 */
export interface RunProgress {
  /** The execution. */
  readonly executionArn: string;
  /** Its name. */
  readonly name: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE. */
  readonly status: string;
  /** When it started. */
  readonly startDate?: Date;
  /** When it ended, once it has. */
  readonly stopDate?: Date;
  /** The execution's error and cause, once it failed. */
  readonly error?: string;
  /** @see error */
  readonly cause?: string;
  /** Its Distributed Map runs (none for an inline fan-out, or before the fan-out starts). */
  readonly mapRuns: MapRunProgress[];
  /** Items that failed since the previous look (every one on the first). */
  readonly newFailures: ItemFailure[];
}

/**
 * What `rerunJobs` found and did.
 * @jsii ignore
 */
export interface JobRerunResult {
  /** The run read. */
  readonly runId: string;
  /** The rerun's run id (`<run>-rerun`): its jobs are named after it, so rerunning twice submits once. */
  readonly rerunId: string;
  /** The failed jobs and array children of the run, with Batch's reasons. */
  readonly failed: JobFailure[];
  /** The run's stages, in order, as the rerun submits them (latest revision of each job definition). */
  readonly stages: SubmitStage[];
  /** The items rerun: manifest indexes (array jobs) or item ids (one job per item). */
  readonly items: Array<number | string>;
  /** Where the rerun's items were written (array jobs); absent on a dry run. */
  readonly rerunManifest?: string;
  /** What was submitted; empty on a dry run or with nothing to rerun. */
  readonly submitted: SubmittedJob[];
}

/**
 * What `cancelRun` did.
 * @jsii ignore
 */
export interface CancelResult {
  /** Queued jobs cancelled. */
  readonly cancelled: number;
  /** Started jobs terminated. */
  readonly terminated: number;
}

/** Counts per status across jobs and array children. */
export type { StatusCounts } from './job-status';

/**
 * A job (or an array job's child) that failed, as `watch` reports it.
 * @jsii ignore
 */
export interface JobFailure {
  /** Its id (`<parent id>:<index>` for a child). */
  readonly jobId: string;
  /** Its name (a child has its parent's). */
  readonly jobName: string;
  /** Its index in its array job. */
  readonly arrayIndex?: number;
  /** Its item in the manifest (`BATCH_PIPELINES_OFFSET` + index), for jobs `submit --manifest-uri` created. */
  readonly itemIndex?: number;
  /** Batch's status reason, e.g. `Essential container in task exited`. */
  readonly statusReason?: string;
  /** The container's exit code. */
  readonly exitCode?: number;
  /** The container's reason, e.g. `OutOfMemoryError: Container killed due to memory usage`. */
  readonly containerReason?: string;
  /** Its CloudWatch Logs stream. */
  readonly logStreamName?: string;
}

/**
 * A job stuck in RUNNABLE, and what to do about it.
 * @jsii ignore
 */
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

/**
 * Thrown for a request the client will not send.
 * @jsii ignore
 */
export class ClientInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientInputError';
  }
}

/** Throttling, a server-side fault or a dropped connection: worth another try after a pause. */
function isRetryable(e: unknown): boolean {
  const err = e as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $response?: { statusCode?: number };
    message?: string;
  };
  const status = err?.$metadata?.httpStatusCode ?? err?.$response?.statusCode ?? 0;
  return (
    err?.name === 'TooManyRequestsException' ||
    err?.name === 'ThrottlingException' ||
    status === 429 ||
    status >= 500 ||
    // Network blips: a reset connection, a DNS answer that did not come, a timeout. A name that does not resolve
    // (ENOTFOUND) or a refused connection is a wrong endpoint or region, not worth retrying.
    err?.code === 'ECONNRESET' ||
    err?.code === 'EAI_AGAIN' ||
    err?.code === 'ETIMEDOUT' ||
    err?.name === 'TimeoutError' ||
    // A 5xx page that is not JSON (a proxy's or load balancer's) fails deserialization before any status is read.
    err?.name === 'SyntaxError' ||
    /too many requests|rate exceeded/i.test(err?.message ?? '')
  );
}

/** What `diagnose` knows of a queue's compute environments. */
interface QueueCapacity {
  /** Instance types, families expanded to the sizes the catalog knows. */
  readonly types: string[];
  /** Whether the environments list exact sizes the catalog knows (no family, no `optimal`). */
  readonly exact: boolean;
  /** Each environment's maxvCpus. */
  readonly maxvCpus: number[];
  /** INVALID environments with their reason. */
  readonly states: string[];
  /** Whether an environment is Spot (EC2 Spot or Fargate Spot). */
  readonly spot: boolean;
}

/**
 * Submits, watches, diagnoses and cancels the work of a pipeline this library provisioned, on the AWS SDK for
 * JavaScript v3. Region, profile and credentials come from the SDK's standard configuration chain.
 * @jsii ignore
 */
export class PipelineClient {
  /** The Batch client in use. */
  public readonly batch: BatchClient;
  /** The Step Functions client in use. */
  public readonly sfn: SFNClient;
  /** The S3 client in use. */
  public readonly s3: S3Client;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private readonly minInterval: number;
  private readonly maxThrottleRetries: number;
  private nextSubmitAt = 0;
  private readonly api = { batch: batchSdk(), sfn: sfnSdk(), s3: s3Sdk() };

  constructor(options: PipelineClientOptions = {}) {
    this.batch = options.batch ?? new this.api.batch.BatchClient({ maxAttempts: 1 });
    this.sfn = options.sfn ?? new this.api.sfn.SFNClient({ maxAttempts: 1 });
    this.s3 = options.s3 ?? new this.api.s3.S3Client({ maxAttempts: 1 });
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
    const manifestEtag = arrays ? await this.manifestEtag(request.manifestUri!) : undefined;
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
            tags: { [RUN_TAG]: request.runId },
            // Batch rejects an array of size 1: a one-item chunk is a plain job at offset `first`.
            arrayProperties: size >= MIN_ARRAY_SIZE ? { size } : undefined,
            dependsOn,
            containerOverrides: {
              environment: Object.entries({
                ...stage.environment,
                [ITEM_ENV.manifest]: request.manifestUri!,
                [ITEM_ENV.offset]: String(first),
                ...(manifestEtag ? { [ITEM_ENV.etag]: manifestEtag } : {}),
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
            tags: { [RUN_TAG]: request.runId },
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
   * The ETag of the manifest array children will read. A manifest that does not exist is refused before anything is
   * submitted (every child would fail); when the submitter cannot read it (no permission, another S3 configuration),
   * the run is submitted without an ETag, which only `rerunJobs`' check of the manifest relies on.
   */
  private async manifestEtag(manifestUri: string): Promise<string | undefined> {
    const { bucket, key } = parseS3Uri(manifestUri);
    try {
      const head = await this.call(() => this.s3.send(new this.api.s3.HeadObjectCommand({ Bucket: bucket, Key: key })));
      return head.ETag ? unquoteEtag(head.ETag) : undefined;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (e as Error).name === 'NotFound' || (e as Error).name === 'NoSuchKey') {
        throw new ClientInputError(
          `manifestUri ${manifestUri} does not exist: every array child would fail reading its item. Upload the ` +
            `items there first (aws s3 cp items.json ${manifestUri})`,
        );
      }
      return undefined;
    }
  }

  /**
   * Starts a workflow execution over a manifest in S3 (`{ "manifest": { bucket, key, etag } }`, the input the
   * `ManifestTrigger` gives). The execution is named as the trigger names it, the SHA-1 of bucket, key and ETag, so a
   * manifest runs once however often it is started or its upload event delivered; a new upload of the key (another
   * ETag) runs again. An existing execution of that name is returned with `alreadyStarted`. Throttling and server
   * errors are retried.
   */
  public async startExecution(
    stateMachineArn: string,
    manifest: { bucket: string; key: string },
    options: { name?: string; etag?: string } = {},
  ): Promise<StartedExecution> {
    const etag =
      options.etag ??
      unquoteEtag(
        (
          await this.call(() =>
            this.s3.send(new this.api.s3.HeadObjectCommand({ Bucket: manifest.bucket, Key: manifest.key })),
          )
        ).ETag ?? '',
      );
    const withEtag = { bucket: manifest.bucket, key: manifest.key, etag };
    const name = options.name ?? runNameFor(withEtag);
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    // Look first: StartExecution of a running Standard execution with the same name and input succeeds and returns the
    // same execution, so its answer cannot tell a new run from one already going.
    // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
    const existing = await this.existingExecution(executionArn);
    if (existing) {
      return {
        executionArn,
        name,
        startDate: existing.startDate,
        alreadyStarted: true,
        status: existing.status,
        manifest: withEtag,
      };
    }
    try {
      const out = await this.call(() =>
        this.sfn.send(
          new this.api.sfn.StartExecutionCommand({
            stateMachineArn,
            name,
            input: JSON.stringify({ manifest: withEtag }),
          }),
        ),
      );
      return {
        executionArn: out.executionArn!,
        name,
        startDate: out.startDate,
        alreadyStarted: false,
        manifest: withEtag,
      };
    } catch (e) {
      if ((e as Error).name !== 'ExecutionAlreadyExists') {
        throw e;
      }
      // Started in the meantime (the trigger, or another start): a closed execution of the name, or an open one with
      // another input.
      const started = await this.call(() => this.sfn.send(new this.api.sfn.DescribeExecutionCommand({ executionArn })));
      return {
        executionArn,
        name,
        startDate: started.startDate,
        alreadyStarted: true,
        status: started.status,
        manifest: withEtag,
      };
    }
  }

  /** The execution of that ARN, or undefined when there is none. */
  private async existingExecution(executionArn: string) {
    try {
      return await this.call(() => this.sfn.send(new this.api.sfn.DescribeExecutionCommand({ executionArn })));
    } catch (e) {
      if ((e as Error).name === 'ExecutionDoesNotExist') {
        return undefined;
      }
      throw e;
    }
  }

  /**
   * What a finished run left to rerun: every item that failed or never ran, from its outcomes (the execution output,
   * its failure summary, its history, or the result files in S3). Items that failed for being malformed are listed
   * apart: they need fixing, not rerunning.
   */
  public async runFailures(executionArn: string): Promise<RunFailures> {
    const execution = await this.call(() => this.sfn.send(new this.api.sfn.DescribeExecutionCommand({ executionArn })));
    const status = execution.status ?? 'UNKNOWN';
    if (status === 'RUNNING' || status === 'PENDING_REDRIVE') {
      throw new ClientInputError(
        `execution ${execution.name} is ${status}: rerun reads a finished run. Wait for it to end, or stop it first ` +
          `(aws stepfunctions stop-execution --execution-arn ${executionArn})`,
      );
    }
    const source =
      findOutcomes(parseJson(execution.output), 'the execution output') ??
      findOutcomes(parseJson(execution.cause), 'the failure summary') ??
      (await this.outcomesInHistory(executionArn));
    if (!source) {
      throw new ClientInputError(
        `execution ${execution.name} (${status}${execution.error ? `: ${execution.error}` : ''}) has no item outcomes: ` +
          'it stopped before its fan-out ended (or it has none). Start it again with batch-pipelines start --name <new name>',
      );
    }
    let items: FailedItem[];
    if (source.kind === 'records') {
      items = failedFromRecords(source.records);
    } else {
      items = await this.failedFromResults(source.uri);
    }
    items.sort((a, b) => a.index - b.index);
    return {
      executionArn,
      name: execution.name!,
      status,
      stateMachineArn: execution.stateMachineArn!,
      manifest: manifestOf(parseJson(execution.input)),
      outcomes: source.kind === 'results' ? `${source.uri} (${source.where})` : source.where,
      failed: items.filter((i) => i.kind !== 'InvalidItem'),
      invalid: items.filter((i) => i.kind === 'InvalidItem'),
    };
  }

  /**
   * Starts a new run over only the items of a finished run that failed or never ran: writes them as a manifest next
   * to the original (`<key>.rerun-<run>.json`) and starts the workflow on it, named as any run over a manifest, so
   * rerunning twice, or the manifest trigger seeing the new manifest, starts it once. With `dryRun`, only reads.
   */
  public async rerun(executionArn: string, options: { dryRun?: boolean } = {}): Promise<RerunResult> {
    const failures = await this.runFailures(executionArn);
    if (!failures.manifest) {
      throw new ClientInputError(
        `execution ${failures.name} read its items from its input, not from a manifest in S3: rerun writes the failed ` +
          `items as a manifest. Failed items: ${failures.failed.map((f) => f.id ?? `#${f.index}`).join(', ') || 'none'}`,
      );
    }
    if (options.dryRun || failures.failed.length === 0) {
      return failures;
    }
    const manifest = failures.manifest;
    let items: unknown[];
    if (failures.failed.every((f) => f.item !== undefined)) {
      items = failures.failed.map((f) => f.item);
    } else {
      const original = await this.readManifest(manifest);
      items = failures.failed.map((f) => original[f.index]);
    }
    const key = rerunManifestKey(manifest.key, failures.name);
    const put = await this.putItems(manifest.bucket, key, items);
    const started = await this.startExecution(
      failures.stateMachineArn,
      { bucket: manifest.bucket, key },
      { etag: unquoteEtag(put.ETag ?? '') },
    );
    return { ...failures, rerunManifest: `s3://${manifest.bucket}/${key}`, started };
  }

  /**
   * One look at a workflow run: its status, each Distributed Map run's item counts (ListMapRuns, DescribeMapRun),
   * and the items that failed since the previous look. Failed items are the Map Run's FAILED and TIMED_OUT child
   * executions (ListExecutions by `mapRunArn`, read only when the failed count grew), each described for its item
   * and outcome. `seen` holds the child executions already reported, and gains the new ones.
   * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
   * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_MapRunItemCounts.html
   */
  public async runProgress(executionArn: string, seen: Map<string, Set<string>> = new Map()): Promise<RunProgress> {
    const execution = await this.call(() => this.sfn.send(new this.api.sfn.DescribeExecutionCommand({ executionArn })));
    const listed: Array<{ mapRunArn?: string }> = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call(() =>
        this.sfn.send(new this.api.sfn.ListMapRunsCommand({ executionArn, maxResults: 1000, nextToken })),
      );
      listed.push(...(page.mapRuns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const mapRuns: MapRunProgress[] = [];
    const newFailures: ItemFailure[] = [];
    for (const run of listed) {
      const d = await this.call(() =>
        this.sfn.send(new this.api.sfn.DescribeMapRunCommand({ mapRunArn: run.mapRunArn! })),
      );
      const c = d.itemCounts;
      const progress: MapRunProgress = {
        mapRunArn: run.mapRunArn!,
        status: d.status ?? 'RUNNING',
        total: c?.total ?? 0,
        pending: c?.pending ?? 0,
        running: c?.running ?? 0,
        succeeded: c?.succeeded ?? 0,
        failed: (c?.failed ?? 0) + (c?.timedOut ?? 0),
        aborted: c?.aborted ?? 0,
      };
      mapRuns.push(progress);
      const reported = seen.get(progress.mapRunArn) ?? new Set<string>();
      seen.set(progress.mapRunArn, reported);
      if (progress.failed > reported.size) {
        newFailures.push(...(await this.newChildFailures(progress.mapRunArn, reported)));
      }
    }
    return {
      executionArn,
      name: execution.name ?? '',
      status: execution.status ?? 'UNKNOWN',
      startDate: execution.startDate,
      stopDate: execution.stopDate,
      error: execution.error,
      cause: execution.cause,
      mapRuns,
      newFailures: newFailures.sort((a, b) => a.index - b.index),
    };
  }

  /**
   * Polls a workflow run until it ends, calling `onProgress` after each look (its `newFailures` are the items that
   * failed since the previous call). The interval starts at `initialMs` and grows by half each poll up to `maxMs`.
   */
  public async followRun(
    executionArn: string,
    onProgress: (progress: RunProgress) => void,
    options: { initialMs?: number; maxMs?: number; maxPolls?: number } = {},
  ): Promise<RunProgress> {
    const seen = new Map<string, Set<string>>();
    return this.poll(
      async (poll) => {
        try {
          return await this.runProgress(executionArn, seen);
        } catch (e) {
          // DescribeExecution is eventually consistent: a run started a moment ago may not be found yet.
          if ((e as Error).name === 'ExecutionDoesNotExist' && poll < 3) {
            return undefined;
          }
          throw e;
        }
      },
      (progress) => progress.status !== 'RUNNING',
      onProgress,
      options,
    );
  }

  /**
   * Looks until `done`, calling `onProgress` after each look (`look` may return undefined: not seen yet, look again).
   * The interval starts at `initialMs` and grows by half each poll up to `maxMs`, so a long run costs few calls.
   */
  private async poll<T>(
    look: (poll: number) => Promise<T | undefined>,
    done: (value: T) => boolean,
    onProgress: (value: T) => void,
    options: { initialMs?: number; maxMs?: number; maxPolls?: number },
  ): Promise<T> {
    let interval = options.initialMs ?? 5_000;
    const maxMs = options.maxMs ?? 60_000;
    for (let poll = 0; ; poll++) {
      const value = await look(poll);
      if (value !== undefined) {
        onProgress(value);
        if (done(value) || (options.maxPolls !== undefined && poll + 1 >= options.maxPolls)) {
          return value;
        }
      }
      await this.sleep(interval);
      interval = Math.min(maxMs, Math.round(interval * 1.5));
    }
  }

  /** The Map Run's failed and timed-out child executions not in `seen`, each read as its item. */
  private async newChildFailures(mapRunArn: string, seen: Set<string>): Promise<ItemFailure[]> {
    const fresh: string[] = [];
    for (const statusFilter of ['FAILED', 'TIMED_OUT'] as const) {
      let nextToken: string | undefined;
      do {
        const page = await this.call(() =>
          this.sfn.send(
            new this.api.sfn.ListExecutionsCommand({ mapRunArn, statusFilter, maxResults: 1000, nextToken }),
          ),
        );
        fresh.push(...(page.executions ?? []).map((e) => e.executionArn!).filter((arn) => !seen.has(arn)));
        nextToken = page.nextToken;
      } while (nextToken);
    }
    const out: ItemFailure[] = [];
    for (const arn of fresh) {
      const child = await this.call(() =>
        this.sfn.send(new this.api.sfn.DescribeExecutionCommand({ executionArn: arn })),
      );
      seen.add(arn);
      try {
        out.push({ ...failedFromChildExecution(child, `child execution ${arn}`), executionArn: arn });
      } catch {
        // Not a fan-out item (another Map's child): report it as the execution says, without an index.
        out.push({
          index: -1,
          error: child.error ?? child.status ?? 'FAILED',
          reason: child.cause ?? '',
          executionArn: arn,
        });
      }
    }
    return out;
  }

  /** The newest state output in the execution's history that holds outcomes. */
  private async outcomesInHistory(executionArn: string): Promise<OutcomeSource | undefined> {
    let nextToken: string | undefined;
    // Outcomes are near the end: read newest first, at most 20 pages of 1,000 events.
    for (let page = 0; page < 20; page++) {
      const out = await this.call(() =>
        this.sfn.send(
          new this.api.sfn.GetExecutionHistoryCommand({
            executionArn,
            reverseOrder: true,
            includeExecutionData: true,
            maxResults: 1000,
            nextToken,
          }),
        ),
      );
      for (const { name, output } of stateOutputs((out.events ?? []) as HistoryEvent[])) {
        const found = findOutcomes(parseJson(output), `the output of state '${name}' in the execution history`);
        if (found) {
          return found;
        }
      }
      nextToken = out.nextToken;
      if (!nextToken) {
        return undefined;
      }
    }
    return undefined;
  }

  /** The failed and never-started items listed in a Distributed Map's result manifest. */
  private async failedFromResults(uri: string): Promise<FailedItem[]> {
    const location = parseS3Uri(uri);
    const manifest = (await this.getJson(location.bucket, location.key)) as {
      DestinationBucket?: string;
      ResultFiles?: Record<string, Array<{ Key: string }>>;
    };
    const bucket = manifest.DestinationBucket ?? location.bucket;
    const out: FailedItem[] = [];
    for (const status of ['FAILED', 'PENDING']) {
      for (const file of manifest.ResultFiles?.[status] ?? []) {
        out.push(...failedFromResultFile(await this.getJson(bucket, file.Key), `s3://${bucket}/${file.Key}`));
      }
    }
    return out;
  }

  /** The run's manifest as it was when the run started (refused if it changed since: other items, other indexes). */
  private async readManifest(manifest: RunManifest): Promise<unknown[]> {
    try {
      const items = await this.getJson(manifest.bucket, manifest.key, manifest.etag);
      if (!Array.isArray(items)) {
        throw new ClientInputError(`s3://${manifest.bucket}/${manifest.key} is not a JSON array of items`);
      }
      return items;
    } catch (e) {
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) {
        throw new ClientInputError(
          `s3://${manifest.bucket}/${manifest.key} changed since the run started (its ETag is no longer ` +
            `${manifest.etag}): the outcomes' indexes no longer point at the same items. Rerun from a copy of the ` +
            'manifest as it was, or start the new manifest with batch-pipelines start',
        );
      }
      throw e;
    }
  }

  /** Writes items as a manifest (a JSON array, one item a line). */
  private async putItems(bucket: string, key: string, items: unknown[]) {
    return this.call(() =>
      this.s3.send(
        new this.api.s3.PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(items, null, 1),
          ContentType: 'application/json',
        }),
      ),
    );
  }

  private async getJson(bucket: string, key: string, ifMatch?: string): Promise<unknown> {
    const out = await this.call(() =>
      this.s3.send(
        new this.api.s3.GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: ifMatch ? `"${ifMatch}"` : undefined }),
      ),
    );
    const text = await out.Body!.transformToString();
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Error(`s3://${bucket}/${key} is not JSON: ${(e as Error).message}`);
    }
  }

  /**
   * The jobs of a run on a queue, any status: named `<runId>-…` and tagged with the run (`RUN_TAG`). Jobs submitted
   * without the tag (before this version) are not found.
   */
  public async listRun(jobQueue: string, runId: string): Promise<JobSummary[]> {
    const named: JobSummary[] = [];
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
      named.push(...(page.jobSummaryList ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    // The name filter is a prefix: run `run1` would also find run `run1-b`. The run tag decides.
    const ofRun = new Set(
      (await this.describe(named.map((j) => j.jobId!))).filter((d) => d.tags?.[RUN_TAG] === runId).map((d) => d.jobId),
    );
    return named.filter((j) => ofRun.has(j.jobId));
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
    const open = (counts: StatusCounts) =>
      ALL_STATUSES.filter((s) => s !== 'SUCCEEDED' && s !== 'FAILED').reduce((n, s) => n + counts[s], 0);
    return this.poll(
      () => this.progress(jobIds),
      (counts) => open(counts) === 0,
      onProgress,
      options,
    );
  }

  /**
   * Every failed job among `jobIds`, array jobs by their failed children (ListJobs by `arrayJobId` and status, then
   * DescribeJobs 100 at a time), each with its reason, exit code and log stream.
   */
  public async failures(jobIds: string[]): Promise<JobFailure[]> {
    const out: JobFailure[] = [];
    for (const job of await this.describe(jobIds)) {
      if (job.status !== 'FAILED') {
        continue;
      }
      const offset = Number(job.container?.environment?.find((e) => e.name === ITEM_ENV.offset)?.value ?? Number.NaN);
      if (!job.arrayProperties?.size) {
        // A one-item chunk of an array run is a plain job at its offset.
        out.push(Number.isFinite(offset) ? { ...failureOf(job), itemIndex: offset } : failureOf(job));
        continue;
      }
      const children: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await this.call(() =>
          this.batch.send(
            new this.api.batch.ListJobsCommand({ arrayJobId: job.jobId, jobStatus: 'FAILED', nextToken }),
          ),
        );
        children.push(...(page.jobSummaryList ?? []).map((c) => c.jobId!));
        nextToken = page.nextToken;
      } while (nextToken);
      for (const child of children.length ? await this.describe(children) : []) {
        const failure = failureOf(child);
        out.push(
          Number.isFinite(offset) && failure.arrayIndex !== undefined
            ? { ...failure, itemIndex: offset + failure.arrayIndex }
            : failure,
        );
      }
    }
    return out;
  }

  /**
   * Submits again the items of a finished run of jobs (`submit`) that failed: every stage, in order, over only those
   * items, as the run `<run>-rerun` (so rerunning twice submits once). Array runs: the failed children's items are
   * read from the run's manifest in S3 and written next to it (`<key>.rerun-<run>.json`), and array jobs over that
   * manifest are submitted. One job per item: the failed jobs' parameters are the items. Each stage uses the latest
   * revision of its job definition, so a fix registered since applies; environment overrides given to `submit`
   * through `SubmitStage.environment` are not carried over. With `dryRun`, only reads.
   */
  public async rerunJobs(jobQueue: string, runId: string, options: { dryRun?: boolean } = {}): Promise<JobRerunResult> {
    const listed = await this.listRun(jobQueue, runId);
    // moto lists array children on the queue too (AWS lists them only by arrayJobId): only parents are the run's jobs.
    const jobs = (await this.describe(listed.map((j) => j.jobId!))).filter(
      (j) => j.arrayProperties?.index === undefined,
    );
    if (jobs.length === 0) {
      throw new ClientInputError(`no jobs of run ${runId} on ${jobQueue}: check the run id and the queue`);
    }
    const open = jobs.filter((j) => j.status !== 'SUCCEEDED' && j.status !== 'FAILED');
    if (open.length > 0) {
      throw new ClientInputError(
        `run ${runId} is still going (${open.length} job(s) not done, e.g. ${open[0].jobName} ${open[0].status}): ` +
          `rerun reads a finished run. Wait for it: batch-pipelines watch --queue ${jobQueue} --run-id ${runId}`,
      );
    }
    // Batch forgets finished jobs after FINISHED_JOB_RETENTION_DAYS: an earlier stage's jobs may be gone, and a rerun
    // would skip that stage.
    const oldest = Math.min(...jobs.map((j) => j.createdAt ?? this.now()));
    if (this.now() - oldest > RERUN_MAX_AGE_MS) {
      throw new ClientInputError(
        `run ${runId} started ${Math.floor((this.now() - oldest) / 86_400_000)} days ago: Batch keeps finished jobs ` +
          `for at least ${FINISHED_JOB_RETENTION_DAYS} days only, so some of its stages may no longer be listed and a ` +
          'rerun could skip them. ' +
          'Submit the failed items again with batch-pipelines submit (every stage) instead',
      );
    }
    const rerunId = rerunIdOf(runId);
    if (!BATCH_NAME_PATTERN.test(rerunId) || rerunId.length > 60) {
      throw new ClientInputError(`run ${runId} is too long to rerun as ${rerunId} (60 characters at most)`);
    }
    const stages: SubmitStage[] = stagesOf(runId, jobs, ITEM_ENV.offset);
    const failed = await this.failures(jobs.map((j) => j.jobId!));
    const base = { runId, rerunId, failed, stages };
    if (failed.length === 0) {
      return { ...base, items: [], submitted: [] };
    }
    const env = (job: JobDetail, name: string) => job.container?.environment?.find((e) => e.name === name)?.value;
    const manifestUri = jobs.map((j) => env(j, ITEM_ENV.manifest)).find((u) => u);
    if (manifestUri) {
      const indexes = [...new Set(failed.map((f) => f.itemIndex).filter((i): i is number => i !== undefined))].sort(
        (a, b) => a - b,
      );
      if (options.dryRun) {
        return { ...base, items: indexes, submitted: [] };
      }
      const manifest = parseS3Uri(manifestUri);
      const key = rerunManifestKey(manifest.key, runId);
      const rerunManifest = `s3://${manifest.bucket}/${key}`;
      const items = await this.itemsAt(
        { bucket: manifest.bucket, key: manifest.key, etag: jobs.map((j) => env(j, ITEM_ENV.etag)).find((e) => e) },
        indexes,
      );
      // A rerun already submitted reads its manifest: rewriting it under its running children could move their items.
      if ((await this.listRun(jobQueue, rerunId)).length === 0) {
        await this.putItems(manifest.bucket, key, items);
      }
      const submitted = await this.submit({ runId: rerunId, items, stages, manifestUri: rerunManifest });
      return { ...base, items: indexes, rerunManifest, submitted };
    }
    // One job per item: a failed job's parameters are its item; the name says which field is the id.
    const byId = new Map<string, { idField: string; item: Record<string, string> }>();
    for (const f of failed) {
      const job = jobs.find((j) => j.jobId === f.jobId);
      const key = job && jobKey(runId, job, ITEM_ENV.offset);
      if (job && key?.id && key.idField) {
        byId.set(key.id, { idField: key.idField, item: { ...job.parameters } });
      }
    }
    const ids = [...byId.keys()];
    const idField = byId.get(ids[0])?.idField;
    if (options.dryRun || ids.length === 0) {
      return { ...base, items: ids, submitted: [] };
    }
    const submitted = await this.submit({
      runId: rerunId,
      items: ids.map((id) => byId.get(id)!.item),
      idField,
      stages,
    });
    return { ...base, items: ids, submitted };
  }

  /** The items at `indexes` of a run's manifest, as it was when the run was submitted (its ETag, when recorded). */
  private async itemsAt(manifest: RunManifest, indexes: number[]): Promise<Array<Record<string, string>>> {
    const all = await this.readManifest(manifest);
    if (indexes.some((i) => i >= all.length)) {
      throw new ClientInputError(
        `s3://${manifest.bucket}/${manifest.key} has ${all.length} items, fewer than item ${indexes[indexes.length - 1]} ` +
          'of the run: it is not the manifest the run read. Rerun from a copy of the manifest as it was',
      );
    }
    return indexes.map((i) => all[i] as Record<string, string>);
  }

  /**
   * The compute cost of finished jobs: the hours of every attempt of every job and array child (DescribeJobs; children
   * listed with ListJobs by `arrayJobId`, SUCCEEDED and FAILED), priced as `estimate` prices them (`run-cost.ts`).
   * @param spotDiscount the Spot discount to assume (default 0.65, as `estimateCost`)
   * @param fargateSpotDiscount the Fargate Spot discount to assume (default 0.7, as `estimateCost`)
   */
  public async runCost(jobIds: string[], spotDiscount = 0.65, fargateSpotDiscount = 0.7): Promise<RunCost> {
    const queues = new Map<string, QueueCapacity>();
    const groups: SizedHours[] = [];
    for (const job of await this.describe(jobIds)) {
      const runs = job.arrayProperties?.size ? await this.describe(await this.childIds(job.jobId!)) : [job];
      const fargate = job.platformCapabilities?.includes('FARGATE') ?? false;
      const hours = runs.map((r) => attemptHours(r, fargate ? FARGATE_MIN_BILLED_SECONDS * 1000 : 0));
      const queue = queues.get(job.jobQueue!) ?? (await this.queueInstanceTypes(job.jobQueue!));
      queues.set(job.jobQueue!, queue);
      const size = this.sizeOf(job);
      groups.push({
        hours: hours.reduce((n, h) => n + h.hours, 0),
        attempts: hours.reduce((n, h) => n + h.attempts, 0),
        jobs: runs.length,
        succeeded: runs.filter((r) => r.status === 'SUCCEEDED').length,
        size: size && { vcpus: size.vcpus, memoryMiB: size.memory.toMebibytes(), gpus: size.gpus },
        fargate,
        instanceTypes: queue.types,
        spot: queue.spot,
      });
    }
    return priceRun(groups, spotDiscount, fargateSpotDiscount);
  }

  /** The ids of an array job's finished children (ListJobs by `arrayJobId`, SUCCEEDED then FAILED, paged). */
  private async childIds(arrayJobId: string): Promise<string[]> {
    const ids: string[] = [];
    for (const jobStatus of ['SUCCEEDED', 'FAILED'] as const) {
      let nextToken: string | undefined;
      do {
        const page = await this.call(() =>
          this.batch.send(new this.api.batch.ListJobsCommand({ arrayJobId, jobStatus, nextToken })),
        );
        ids.push(...(page.jobSummaryList ?? []).map((c) => c.jobId!));
        nextToken = page.nextToken;
      } while (nextToken);
    }
    return ids;
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

  private async queueInstanceTypes(jobQueue: string): Promise<QueueCapacity> {
    const queues = await this.call(() =>
      this.batch.send(new this.api.batch.DescribeJobQueuesCommand({ jobQueues: [jobQueue] })),
    );
    const ces = (queues.jobQueues?.[0]?.computeEnvironmentOrder ?? []).map((o) => o.computeEnvironment!);
    if (ces.length === 0) {
      return { types: [], exact: false, maxvCpus: [], states: [], spot: false };
    }
    const described = await this.call(() =>
      this.batch.send(new this.api.batch.DescribeComputeEnvironmentsCommand({ computeEnvironments: ces })),
    );
    const envs = described.computeEnvironments ?? [];
    const listed = envs.flatMap((e) => e.computeResources?.instanceTypes ?? []);
    return {
      // Instance classes (e.g. r7i) expand to the sizes the catalog knows; each type once, though Spot and
      // On-Demand environments of a queue usually share them.
      types: [
        ...new Set(
          listed.flatMap((t) => (InstanceCatalog.tryLookup(t) ? [t] : InstanceCatalog.family(t).map((i) => i.name))),
        ),
      ],
      // Batch may launch any size of a listed family, and any type for `optimal`: only a list of sizes the catalog
      // knows says for certain that nothing fits.
      exact: listed.length > 0 && listed.every((t) => InstanceCatalog.tryLookup(t) !== undefined),
      maxvCpus: envs.map((e) => e.computeResources?.maxvCpus ?? 0),
      states: envs
        .filter((e) => e.status === 'INVALID')
        .map((e) => `${e.computeEnvironmentName}: INVALID (${e.statusReason ?? 'no reason'})`),
      spot: envs.some((e) => e.computeResources?.type === 'SPOT' || e.computeResources?.type === 'FARGATE_SPOT'),
    };
  }

  private async explain(job: JobDetail, queue: QueueCapacity): Promise<string> {
    const reason = job.statusReason ?? '';
    const invalid = queue.states.length ? ` Compute environments: ${queue.states.join('; ')}.` : '';
    const size = this.sizeOf(job);
    const tooBig = reason.startsWith('MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT');
    // Batch gives MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT only to the job at the head of the queue, the one blocking
    // it (https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html); a job behind it that fits no
    // instance type has no reason yet and is stuck all the same. So the fit check runs with that reason, or without
    // one when the queue lists exact instance sizes the catalog knows (a family or `optimal` may hold larger sizes).
    if (size && queue.types.length > 0 && (tooBig || (!reason && queue.exact))) {
      const fit = fitOnInstances(size, queue.types);
      if (!fit.fits) {
        const largest = fit.largestInstanceType;
        const families = new Set(queue.types.map((t) => InstanceCatalog.tryLookup(t)?.family ?? t));
        const suggestion = InstanceCatalog.all()
          .filter((i) => families.has(i.family) && fitOnInstances(size, [i.name]).fits)
          .sort((a, b) => a.onDemandHourlyUsd - b.onDemandHourlyUsd)[0];
        return (
          `The job asks for ${size.vcpus} vCPU / ${size.memory.toMebibytes()} MiB${size.gpus ? ` / ${size.gpus} GPU` : ''}, ` +
          `which fits none of the queue's instance types (${queue.types.join(', ')}; largest usable memory ` +
          `${fit.largestUsableMemoryMiB ?? 0} MiB on ${largest ?? 'none'}). Ask for at most ` +
          `${Math.floor((fit.largestUsableMemoryMiB ?? 0) / 1024)} GiB${suggestion ? `, or add ${suggestion.name}` : ''}.${invalid}`
        );
      }
      if (tooBig) {
        return (
          `Batch reports that no instance type can hold the job (${reason}), yet it fits ` +
          `${fit.placements[0]?.instanceType} of the queue by the instance catalog. Batch has been seen to report this ` +
          `for a few minutes while a compute environment scales up; if it stays, compare the job's request with the ` +
          `compute environments' instance types.${invalid}`
        );
      }
    }
    if (tooBig) {
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
    if (reason) {
      return (
        `Batch says: ${reason}. Capacity may still be scaling up (instances take minutes from zero); if it stays, ` +
        `check the account's EC2 or Spot vCPU quota and that the compute environments are ENABLED.`
      );
    }
    return (
      `No reason from Batch yet: capacity may still be scaling up (instances take minutes from zero). If it stays, ` +
      `check the account's EC2 or Spot vCPU quota and that the compute environments are ENABLED.`
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

/** What `watch` reports of a failed job or child. */
function failureOf(job: JobDetail): JobFailure {
  return {
    jobId: job.jobId!,
    jobName: job.jobName!,
    arrayIndex: job.arrayProperties?.index,
    statusReason: job.statusReason,
    exitCode: job.container?.exitCode,
    containerReason: job.container?.reason,
    logStreamName: job.container?.logStreamName,
  };
}
