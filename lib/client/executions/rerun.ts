import { ExecutionFailures, executionFailures } from './failures';
import { StartedExecution, startExecution } from './start';
import { StepCacheCount, cacheCounts, cacheModelOf, StepCacheModel } from './step-cache';
import { rerunManifestKey, resumedRunName, unquoteEtag } from '../../contract/run-names';
import { AwsCalls } from '../aws-calls';
import { PipelineClientError } from '../errors';
import { putItems, readManifest } from '../manifests';

/** Rerunning the failed items of a finished workflow run: written as a manifest next to the original, started once. */

/**
 * Options of `PipelineClient.rerunExecution`.
 * @jsii ignore
 */
export interface RerunExecutionOptions {
  /**
   * Only read: list what would be rerun, write and start nothing.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Do not read the step cache: run the failed items again through every step (their results are recorded anew).
   * @default false - with a workflow that caches its steps, resume the whole run from the cache
   */
  readonly noCache?: boolean;
}

/**
 * What `rerunExecution` did.
 * @jsii ignore
 */
export interface ExecutionRerunResult extends ExecutionFailures {
  /** Where the rerun's manifest (the failed items) was written; absent on a dry run or with nothing to rerun. */
  readonly rerunManifest?: string;
  /** The new run; absent on a dry run or with nothing to rerun. */
  readonly started?: StartedExecution;
  /**
   * With a workflow that caches its steps (and without `noCache`): the run is resumed, all its items started again,
   * and this says, per cached step, how many items run and how many are served from the cache.
   */
  readonly cache?: StepCacheCount[];
}

/**
 * Starts a new run over only the items of a finished run that failed or never ran: writes them as a manifest next to
 * the original (`<key>.rerun-<run>.json`) and starts the workflow on it, named as any run over a manifest, so
 * rerunning twice, or the manifest trigger seeing the new manifest, starts it once.
 */
export async function rerunExecution(
  aws: AwsCalls,
  executionArn: string,
  options: RerunExecutionOptions,
): Promise<ExecutionRerunResult> {
  const failures = await executionFailures(aws, executionArn);
  if (!failures.manifest) {
    throw new PipelineClientError(
      'state',
      `execution ${failures.name} read its items from its input, not from a manifest in S3: rerun writes the failed ` +
        `items as a manifest. Failed items: ${failures.failed.map((f) => f.id ?? `#${f.index}`).join(', ') || 'none'}`,
    );
  }
  if (failures.failed.length === 0) {
    return failures;
  }
  const manifest = failures.manifest;
  const model = options.noCache ? undefined : await cacheModel(aws, failures.stateMachineArn);
  if (model && model.steps.length > 0) {
    // Resume: every item of the manifest again, each step that already succeeded for an item served from the cache,
    // so the steps after the fan-out run over every item, not only the rerun ones.
    const cache = await cacheCounts(aws, model, await readManifest(aws, manifest));
    if (options.dryRun) {
      return { ...failures, cache };
    }
    const started = await startExecution(aws, failures.stateMachineArn, manifest, {
      etag: manifest.etag,
      name: resumedRunName(failures.name),
    });
    return { ...failures, cache, started };
  }
  if (options.dryRun) {
    return failures;
  }
  const items = failures.failed.every((f) => f.item !== undefined)
    ? failures.failed.map((f) => f.item)
    : await readManifest(aws, manifest).then((original) => failures.failed.map((f) => original[f.index]));
  const key = rerunManifestKey(manifest.key, failures.name);
  const put = await putItems(aws, manifest.bucket, key, items);
  const started = await startExecution(
    aws,
    failures.stateMachineArn,
    { bucket: manifest.bucket, key },
    { etag: unquoteEtag(put.ETag ?? ''), noCache: options.noCache },
  );
  return { ...failures, rerunManifest: `s3://${manifest.bucket}/${key}`, started };
}

/** The workflow's cached steps, from its definition (DescribeStateMachine). */
async function cacheModel(aws: AwsCalls, stateMachineArn: string): Promise<StepCacheModel> {
  try {
    const machine = await aws.call(() =>
      aws.sfn.send(new aws.sdk.sfn.DescribeStateMachineCommand({ stateMachineArn })),
    );
    return cacheModelOf(JSON.parse(machine?.definition ?? '{}'));
  } catch (e) {
    if ((e as Error).name === 'AccessDeniedException') {
      throw new PipelineClientError(
        'state',
        `rerun reads the workflow's definition to find its cached steps (states:DescribeStateMachine on ` +
          `${stateMachineArn}), which was refused: ${(e as Error).message}. Grant Workflow.grantWatch again (it ` +
          'includes it), or pass --no-cache to rerun the failed items through every step',
      );
    }
    throw e;
  }
}
