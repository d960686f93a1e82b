import { runNameFor } from '../../contract/run-names';
import { NO_CACHE_INPUT_KEY } from '../../contract/run-state';
import { AwsCalls } from '../aws-calls';
import { currentEtag } from '../manifests';
import { RunManifest } from '../run-outcomes';

/** Starting a workflow execution over a manifest in S3, once per manifest. */

/**
 * Options of `PipelineClient.startExecution`.
 * @jsii ignore
 */
export interface StartExecutionOptions {
  /**
   * The execution's name (to run the same manifest again).
   * @default - the SHA-1 of the manifest's bucket, key and ETag, as the manifest trigger names it
   */
  readonly name?: string;
  /**
   * The manifest's ETag.
   * @default - read with HeadObject
   */
  readonly etag?: string;
  /**
   * Start the run without reading the step cache (input `noCache: true`): every step runs and records its result.
   * The run is named as without it, so a manifest already started is not started again: give `name` too.
   * @default false
   */
  readonly noCache?: boolean;
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
 * Starts a workflow execution over a manifest in S3 (`{ "manifest": { bucket, key, etag } }`, the input the
 * `ManifestTrigger` gives). The execution is named as the trigger names it, the SHA-1 of bucket, key and ETag, so a
 * manifest runs once however often it is started or its upload event delivered; a new upload of the key (another
 * ETag) runs again. An existing execution of that name is returned with `alreadyStarted`.
 */
export async function startExecution(
  aws: AwsCalls,
  stateMachineArn: string,
  manifest: { bucket: string; key: string },
  options: StartExecutionOptions,
): Promise<StartedExecution> {
  const etag = options.etag ?? (await currentEtag(aws, manifest.bucket, manifest.key));
  const withEtag = { bucket: manifest.bucket, key: manifest.key, etag };
  const name = options.name ?? runNameFor(withEtag);
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  const already = (existing: { startDate?: Date; status?: string }): StartedExecution => ({
    executionArn,
    name,
    startDate: existing.startDate,
    alreadyStarted: true,
    status: existing.status,
    manifest: withEtag,
  });
  // Look first: StartExecution of a running Standard execution with the same name and input succeeds and returns the
  // same execution, so its answer cannot tell a new run from one already going.
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
  const existing = await existingExecution(aws, executionArn);
  if (existing) {
    return already(existing);
  }
  try {
    const out = await aws.call(() =>
      aws.sfn.send(
        new aws.sdk.sfn.StartExecutionCommand({
          stateMachineArn,
          name,
          input: JSON.stringify({ manifest: withEtag, ...(options.noCache ? { [NO_CACHE_INPUT_KEY]: true } : {}) }),
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
    return already(await aws.call(() => aws.sfn.send(new aws.sdk.sfn.DescribeExecutionCommand({ executionArn }))));
  }
}

/** The execution of that ARN, or undefined when there is none. */
async function existingExecution(aws: AwsCalls, executionArn: string) {
  try {
    return await aws.call(() => aws.sfn.send(new aws.sdk.sfn.DescribeExecutionCommand({ executionArn })));
  } catch (e) {
    if ((e as Error).name === 'ExecutionDoesNotExist') {
      return undefined;
    }
    throw e;
  }
}
