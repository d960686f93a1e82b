import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { OUTCOME_FIELDS } from '../../contract/run-state';
import { AwsCalls } from '../aws-calls';
import { PipelineClientError } from '../errors';
import { getJson, parseS3Uri } from '../manifests';
import {
  failedFromRecords,
  failedFromResultFile,
  FailedItem,
  findOutcomes,
  manifestOf,
  OutcomeSource,
  parseJson,
  RunManifest,
  stateOutputs,
} from '../run-outcomes';

/** What a finished workflow run left to rerun, read from its outcomes wherever the run kept them. */

/** History pages read, newest first, looking for the outcomes (they are near the end). */
const HISTORY_PAGES = 20;

/**
 * What a finished workflow execution left to rerun.
 * @jsii ignore
 */
export interface ExecutionFailures {
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
  /**
   * Per step, how many of the succeeded items it served from the step cache instead of running (the outcomes'
   * `cached`); absent when no step was served from it.
   */
  readonly cached?: Record<string, number>;
}

/**
 * What a finished run left to rerun: every item that failed or never ran, from its outcomes (the execution output,
 * its failure summary, its history, or the result files in S3). Items that failed for being malformed are listed
 * apart: they need fixing, not rerunning.
 */
export async function executionFailures(aws: AwsCalls, executionArn: string): Promise<ExecutionFailures> {
  const execution = await aws.call(() => aws.sfn.send(new aws.sdk.sfn.DescribeExecutionCommand({ executionArn })));
  const status = execution.status ?? 'UNKNOWN';
  if (status === 'RUNNING' || status === 'PENDING_REDRIVE') {
    throw new PipelineClientError(
      'state',
      `execution ${execution.name} is ${status}: rerun reads a finished run. Wait for it to end, or stop it first ` +
        `(aws stepfunctions stop-execution --execution-arn ${executionArn})`,
    );
  }
  const source =
    findOutcomes(parseJson(execution.output), 'the execution output') ??
    findOutcomes(parseJson(execution.cause), 'the failure summary') ??
    (await outcomesInHistory(aws, executionArn));
  if (!source) {
    throw new PipelineClientError(
      'state',
      `execution ${execution.name} (${status}${execution.error ? `: ${execution.error}` : ''}) has no item outcomes: ` +
        'it stopped before its fan-out ended (or it has none). Start it again with batch-pipelines start --name <new name>',
    );
  }
  const items =
    source.kind === 'records' ? failedFromRecords(source.records) : await failedFromResults(aws, source.uri);
  const cached = cachedCounts(source.kind === 'records' ? source.records : await succeededFromResults(aws, source.uri));
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
    ...(Object.keys(cached).length > 0 ? { cached } : {}),
  };
}

/** Per step, how many outcome records name it among their `cached` steps. */
function cachedCounts(records: Array<Record<string, unknown>>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) {
    const cached = r[OUTCOME_FIELDS.cached];
    if (r[OUTCOME_FIELDS.status] === 'SUCCEEDED' && cached && typeof cached === 'object') {
      for (const step of Object.keys(cached)) {
        counts[step] = (counts[step] ?? 0) + 1;
      }
    }
  }
  return counts;
}

/**
 * The succeeded items' outcome records in a Distributed Map's result files: each SUCCEEDED entry's `Output`, the
 * child execution's output as a JSON string (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html).
 */
async function succeededFromResults(aws: AwsCalls, uri: string): Promise<Array<Record<string, unknown>>> {
  const { bucket, files } = await resultFiles(aws, uri);
  const out: Array<Record<string, unknown>> = [];
  for (const file of files.SUCCEEDED ?? []) {
    const entries = await getJson(aws, bucket, file.Key);
    for (const entry of Array.isArray(entries) ? entries : []) {
      const output = parseJson((entry as { Output?: unknown }).Output);
      if (output && typeof output === 'object') {
        out.push(output as Record<string, unknown>);
      }
    }
  }
  return out;
}

/** The newest state output in the execution's history that holds outcomes. */
async function outcomesInHistory(aws: AwsCalls, executionArn: string): Promise<OutcomeSource | undefined> {
  let read = 0;
  const pages = aws.pages((nextToken) =>
    aws.sfn.send(
      new aws.sdk.sfn.GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        includeExecutionData: true,
        maxResults: 1000,
        nextToken,
      }),
    ),
  );
  for await (const page of pages) {
    for (const { name, output } of stateOutputs((page.events ?? []) as HistoryEvent[])) {
      const found = findOutcomes(parseJson(output), `the output of state '${name}' in the execution history`);
      if (found) {
        return found;
      }
    }
    if (++read >= HISTORY_PAGES) {
      return undefined;
    }
  }
  return undefined;
}

/** The failed and never-started items listed in a Distributed Map's result manifest. */
async function failedFromResults(aws: AwsCalls, uri: string): Promise<FailedItem[]> {
  const { bucket, files } = await resultFiles(aws, uri);
  const out: FailedItem[] = [];
  for (const status of ['FAILED', 'PENDING']) {
    for (const file of files[status] ?? []) {
      out.push(...failedFromResultFile(await getJson(aws, bucket, file.Key), `s3://${bucket}/${file.Key}`));
    }
  }
  return out;
}

/** A Distributed Map's result manifest: the bucket of its result files and their keys by status. */
async function resultFiles(
  aws: AwsCalls,
  uri: string,
): Promise<{ bucket: string; files: Record<string, Array<{ Key: string }>> }> {
  const location = parseS3Uri(uri, 'data');
  const manifest = (await getJson(aws, location.bucket, location.key)) as {
    DestinationBucket?: string;
    ResultFiles?: Record<string, Array<{ Key: string }>>;
  };
  return { bucket: manifest.DestinationBucket ?? location.bucket, files: manifest.ResultFiles ?? {} };
}
