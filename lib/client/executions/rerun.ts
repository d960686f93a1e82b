import { ExecutionFailures, executionFailures } from './failures';
import { StartedExecution, startExecution } from './start';
import { rerunManifestKey, unquoteEtag } from '../../contract/run-names';
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
  if (options.dryRun || failures.failed.length === 0) {
    return failures;
  }
  const manifest = failures.manifest;
  const items = failures.failed.every((f) => f.item !== undefined)
    ? failures.failed.map((f) => f.item)
    : await readManifest(aws, manifest).then((original) => failures.failed.map((f) => original[f.index]));
  const key = rerunManifestKey(manifest.key, failures.name);
  const put = await putItems(aws, manifest.bucket, key, items);
  const started = await startExecution(
    aws,
    failures.stateMachineArn,
    { bucket: manifest.bucket, key },
    { etag: unquoteEtag(put.ETag ?? '') },
  );
  return { ...failures, rerunManifest: `s3://${manifest.bucket}/${key}`, started };
}
