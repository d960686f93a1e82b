import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { OutcomeStatus } from '../contract/outcome';
import { PipelineClientError } from './errors';
import { fanOutOfStateKey, ITEM_INPUT_KEYS, OUTCOME_FIELDS as F, SUMMARY_FIELDS } from '../contract/run-state';

/**
 * Reading what a finished workflow run did to each item, from what Step Functions and S3 keep: the execution's
 * output (outcomes kept in the state), its failure cause (the fan-out's bounded summary), its history (the state
 * output the outcomes were in), or the Distributed Map's result files in S3.
 */

/** The manifest a run read its items from: the execution input `{ "manifest": { bucket, key, etag? } }`. */
export interface RunManifest {
  /** Its bucket. */
  readonly bucket: string;
  /** Its key. */
  readonly key: string;
  /** Its ETag when the run was started (by the manifest trigger or `batch-pipelines start`). */
  readonly etag?: string;
}

/** One item of a run that did not succeed. */
export interface FailedItem {
  /** Its index in the manifest. */
  readonly index: number;
  /** Its id (the fan-out's `idField`), when the outcome names it. */
  readonly id?: string;
  /** The error name, e.g. `align.OutOfMemory`, `Item.Invalid`, or the child execution's status. */
  readonly error: string;
  /** What kind of failure (`FailureKind`), when the outcome says. */
  readonly kind?: string;
  /** The reason in words. */
  readonly reason: string;
  /** The item as the run read it, when the outcomes carry it (result files in S3). */
  readonly item?: Record<string, unknown>;
  /** The step that failed, when the outcome says. */
  readonly step?: string;
  /** The Batch job id of the failed step's last submission, when a job ran. */
  readonly jobId?: string;
  /** The container's exit code, when it exited. */
  readonly exitCode?: number;
}

/** Where outcomes were found in an execution. */
export type OutcomeSource =
  | { readonly kind: 'records'; readonly records: Array<Record<string, unknown>>; readonly where: string }
  | { readonly kind: 'results'; readonly uri: string; readonly where: string };

/** Outcome records kept in the state (`<fan-out>Outcomes`) or a result-file location (`<fan-out>Summary.results`). */
export function findOutcomes(value: unknown, where: string): OutcomeSource | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return undefined;
  }
  const v = value as Record<string, unknown>;
  // A summary (the run's failure cause is one) names the result files when the outcomes are in S3.
  const results = v[SUMMARY_FIELDS.results];
  if (typeof results === 'string' && results.startsWith('s3://') && typeof v[SUMMARY_FIELDS.items] === 'number') {
    return { kind: 'results', uri: results, where };
  }
  for (const [key, field] of Object.entries(v)) {
    if (fanOutOfStateKey(key, 'outcomes') && Array.isArray(field) && field.every(isRecord)) {
      return { kind: 'records', records: field as Array<Record<string, unknown>>, where: `${where} (${key})` };
    }
  }
  for (const [key, field] of Object.entries(v)) {
    if (fanOutOfStateKey(key, 'summary') && isRecord(field)) {
      const found = findOutcomes(field, `${where} (${key})`);
      if (found) {
        return found;
      }
    }
  }
  return undefined;
}

/** The failed records among outcome records kept in the state. */
export function failedFromRecords(records: Array<Record<string, unknown>>): FailedItem[] {
  return records
    .filter((r) => r[F.status] === OutcomeStatus.FAILED && typeof r[F.index] === 'number')
    .map((r) => ({
      index: r[F.index] as number,
      id: stringOf(r[F.id]),
      error: String(r[F.error] ?? OutcomeStatus.FAILED),
      kind: stringOf(r[F.kind]),
      reason: String(r[F.reason] ?? ''),
      ...jobOf(r),
    }));
}

/**
 * The items of a Distributed Map result file (FAILED_n.json or PENDING_n.json): each entry is a child execution
 * whose `Input` is the child's input (`{ item, index, run }`, the fan-out's ItemSelector) and whose `Cause`, for a
 * failed item, is its outcome record.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 */
export function failedFromResultFile(entries: unknown, file: string): FailedItem[] {
  if (!Array.isArray(entries)) {
    throw new PipelineClientError('data', `${file} is not a JSON array of child executions`);
  }
  return entries.map((entry, n) => failedChild(entry as Record<string, unknown>, `${file} entry ${n}`));
}

/**
 * A failed child execution of a Distributed Map, as `DescribeExecution` returns it (`input`, `status`, `error`,
 * `cause`: the same fields a result file lists in PascalCase), read as the item it ran.
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 */
export function failedFromChildExecution(
  execution: { input?: string; status?: string; error?: string; cause?: string },
  where: string,
): FailedItem {
  return failedChild(
    { Input: execution.input, Status: execution.status, Error: execution.error, Cause: execution.cause },
    where,
  );
}

function failedChild(e: Record<string, unknown>, where: string): FailedItem {
  const input = parseJson(e.Input);
  const index = isRecord(input) ? input[ITEM_INPUT_KEYS.index] : undefined;
  if (!isRecord(input) || typeof index !== 'number') {
    throw new PipelineClientError('data', `${where}: its Input is not a fan-out item ({ item, index, run })`);
  }
  const record = parseJson(e.Cause);
  const outcome = isRecord(record) ? record : undefined;
  // PENDING files are not documented with an example: only their entries' Input (and a status) is relied on.
  const status = typeof e.Status === 'string' && e.Status ? e.Status : 'PENDING';
  return {
    index,
    id: stringOf(outcome?.[F.id]),
    error: String(outcome?.[F.error] || e.Error || status),
    kind: stringOf(outcome?.[F.kind]),
    reason: String(
      outcome?.[F.reason] ??
        (status === 'PENDING'
          ? 'never started (the run stopped first)'
          : e.Cause
            ? `${status}: ${String(e.Cause)}`
            : `${status}, no cause given`),
    ),
    item: isRecord(input[ITEM_INPUT_KEYS.item]) ? (input[ITEM_INPUT_KEYS.item] as Record<string, unknown>) : undefined,
    ...(outcome ? jobOf(outcome) : {}),
  };
}

/** The failed step, its job and exit code from an outcome record, the fields it has (for `logs --failed`). */
function jobOf(r: Record<string, unknown>): Pick<FailedItem, 'step' | 'jobId' | 'exitCode'> {
  const step = stringOf(r[F.step]);
  const jobId = stringOf(r[F.jobId]);
  const exitCode = r[F.exitCode];
  return {
    ...(step ? { step } : {}),
    ...(jobId ? { jobId } : {}),
    ...(typeof exitCode === 'number' ? { exitCode } : {}),
  };
}

/** The state outputs of history events, newest first (as read with `reverseOrder`). */
export function stateOutputs(events: HistoryEvent[]): Array<{ name: string; output: string }> {
  const out: Array<{ name: string; output: string }> = [];
  for (const e of events) {
    const d = e.stateExitedEventDetails;
    if (d?.output && !d.outputDetails?.truncated) {
      out.push({ name: d.name ?? '', output: d.output });
    }
  }
  return out;
}

/** The run's manifest from its execution input, when it names one. */
export function manifestOf(input: unknown): RunManifest | undefined {
  const m = isRecord(input) ? input.manifest : undefined;
  if (isRecord(m) && typeof m.bucket === 'string' && typeof m.key === 'string') {
    return { bucket: m.bucket, key: m.key, etag: typeof m.etag === 'string' ? m.etag : undefined };
  }
  return undefined;
}

/** JSON text parsed, or undefined when it is not text or not JSON. */
export function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
