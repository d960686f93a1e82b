import type { SubmitJobCommandInput } from '@aws-sdk/client-batch';
import { ITEM_ENV, RUN_TAG } from '../../contract/job-env';
import { BATCH_NAME_PATTERN, MAX_ARRAY_SIZE, MIN_ARRAY_SIZE } from '../../private/limits';
import { AwsCalls } from '../aws-calls';
import { PipelineClientError } from '../errors';
import { manifestEtag } from '../manifests';

/** Submitting a run of jobs: every stage over every item, as array jobs or one job per item, once. */

/** The item field that identifies an item when a request names none. */
export const DEFAULT_ID_FIELD = 'id';

/** A run id starts every job name, whose limit is 128 characters: 60 leave room for the stage and the item. */
export const MAX_RUN_ID_LENGTH = 60;

/**
 * A stage of a run of jobs: one job definition over every item, on one queue. `submitJobs` takes them in order;
 * `rerunJobs` reads them back from the run's jobs.
 * @jsii ignore
 */
export interface JobStage {
  /** Stage name, part of the job names (letters, digits, `-`, `_`). */
  readonly name: string;
  /**
   * Job definition (name, name:revision or ARN). A name without revision runs the latest active revision.
   * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html (jobDefinition)
   */
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
   * The item field that identifies an item (it names the item's jobs when there is one job per item).
   * @default 'id'
   */
  readonly idField?: string;
  /** Stages in order; with array jobs, stage k+1's chunk waits for stage k's chunk child by child (N_TO_N). */
  readonly stages: JobStage[];
  /**
   * Submit array jobs (chunks of up to 10,000 items; children find their item through `manifestUri`) rather than one
   * job per item with the item's fields as parameters.
   * @default true when `manifestUri` is given
   */
  readonly arrayJobs?: boolean;
  /**
   * Where the items are for array children (an S3 URI of the same JSON array); required for array jobs.
   * @default - none: one job per item
   */
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
 * Submits every stage over every item: as array jobs of up to 10,000 children (chunked beyond, stages chained N_TO_N
 * chunk by chunk), or one job per item. Re-running the same request after a failure or timeout submits nothing
 * twice: a job whose deterministic name already exists on the queue is reused.
 */
export async function submitJobs(aws: AwsCalls, request: SubmitRequest): Promise<SubmittedJob[]> {
  const idField = request.idField ?? DEFAULT_ID_FIELD;
  const arrays = request.arrayJobs ?? request.manifestUri !== undefined;
  validate(request, idField, arrays);
  const etag = arrays ? await manifestEtag(aws, request.manifestUri!) : undefined;
  const out: SubmittedJob[] = [];
  const chunks: Array<[number, number]> = [];
  if (arrays) {
    for (let start = 0; start < request.items.length; start += MAX_ARRAY_SIZE) {
      chunks.push([start, Math.min(start + MAX_ARRAY_SIZE, request.items.length) - 1]);
    }
  }
  let previous: SubmittedJob[] = [];
  for (const stage of request.stages) {
    const current: SubmittedJob[] = [];
    if (arrays) {
      for (const [i, [first, last]] of chunks.entries()) {
        const size = last - first + 1;
        const dependsOn = previous[i]
          ? [{ jobId: previous[i].jobId, type: size >= MIN_ARRAY_SIZE ? ('N_TO_N' as const) : undefined }]
          : undefined;
        const input: SubmitJobCommandInput = {
          jobName: `${request.runId}-${stage.name}-${i}`,
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
              ...(etag ? { [ITEM_ENV.etag]: etag } : {}),
            }).map(([name, value]) => ({ name, value })),
          },
        };
        current.push(
          await submitOnce(aws, input, stage.name, [first, last], size >= MIN_ARRAY_SIZE ? size : undefined),
        );
      }
    } else {
      for (const [i, item] of request.items.entries()) {
        const input: SubmitJobCommandInput = {
          jobName: `${request.runId}-${stage.name}-${item[idField]}`,
          jobQueue: stage.jobQueue,
          jobDefinition: stage.jobDefinition,
          tags: { [RUN_TAG]: request.runId },
          parameters: item,
          dependsOn: previous[i] ? [{ jobId: previous[i].jobId }] : undefined,
          containerOverrides: stage.environment
            ? { environment: Object.entries(stage.environment).map(([name, value]) => ({ name, value })) }
            : undefined,
        };
        current.push(await submitOnce(aws, input, stage.name, [i, i]));
      }
    }
    out.push(...current);
    previous = current;
  }
  return out;
}

/** Whether a run id can name a run's jobs: Batch's name characters, and room left for the stage and item. */
export function isRunId(runId: string): boolean {
  return BATCH_NAME_PATTERN.test(runId) && runId.length <= MAX_RUN_ID_LENGTH;
}

function validate(request: SubmitRequest, idField: string, arrays: boolean): void {
  if (!isRunId(request.runId)) {
    throw new PipelineClientError(
      'input',
      `runId '${request.runId}' is not allowed; allowed: up to ${MAX_RUN_ID_LENGTH} letters, digits, '-' and '_' ` +
        '(it starts every job name)',
    );
  }
  if (request.stages.length === 0) {
    throw new PipelineClientError(
      'input',
      'stages [] is not allowed; allowed: at least one stage (job definition and queue)',
    );
  }
  for (const s of request.stages) {
    if (!BATCH_NAME_PATTERN.test(s.name)) {
      throw new PipelineClientError(
        'input',
        `stage name '${s.name}' is not allowed; allowed: letters, digits, '-' and '_'`,
      );
    }
  }
  if (arrays && !request.manifestUri) {
    throw new PipelineClientError(
      'input',
      'array jobs need manifestUri: where the children read their items (an S3 URI)',
    );
  }
  if (!arrays) {
    const ids = new Set<string>();
    for (const [i, item] of request.items.entries()) {
      const id = item[idField];
      if (!id || !BATCH_NAME_PATTERN.test(id)) {
        throw new PipelineClientError(
          'input',
          `item ${i}: ${idField} '${id ?? ''}' is not allowed; allowed: letters, digits, '-' and '_' (it names the job). ` +
            'Fix the id, or submit array jobs with manifestUri',
        );
      }
      if (ids.has(id)) {
        throw new PipelineClientError(
          'input',
          `item ${i}: ${idField} '${id}' appears twice; ids must be unique within a run`,
        );
      }
      ids.add(id);
    }
  }
}

/** Submits unless a job of that name already exists on the queue (a retried submit). */
async function submitOnce(
  aws: AwsCalls,
  input: SubmitJobCommandInput,
  stage: string,
  items: [number, number],
  arraySize?: number,
): Promise<SubmittedJob> {
  const existing = await aws.call(() =>
    aws.batch.send(
      new aws.sdk.batch.ListJobsCommand({
        jobQueue: input.jobQueue,
        filters: [{ name: 'JOB_NAME', values: [input.jobName!] }],
      }),
    ),
  );
  const found = (existing.jobSummaryList ?? []).find((j) => j.jobName === input.jobName);
  if (found) {
    return { stage, jobName: input.jobName!, jobId: found.jobId!, arraySize, items, submitted: false };
  }
  const out = await aws.paced(() => aws.batch.send(new aws.sdk.batch.SubmitJobCommand(input)));
  return { stage, jobName: input.jobName!, jobId: out.jobId!, arraySize, items, submitted: true };
}
