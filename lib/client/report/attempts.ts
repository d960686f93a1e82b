import type { AttemptDetail, JobDetail } from '@aws-sdk/client-batch';
import { ReportAttempt, ReportItemStep, AttemptEnd } from './types';
import { ITEM_ENV } from '../../contract/job-env';
import { jobKey } from '../jobs/rerun-plan';
import {
  FARGATE_SPOT_REASON_PATTERN,
  OUT_OF_MEMORY_REASON_PATTERN,
  SPOT_RECLAIM_REASON_PATTERN,
  SPOT_WAIT_REASON_PATTERN,
} from '../../private/limits';

/**
 * A run's Batch jobs read as items × steps, each with its attempts: when each waited, ran and stopped, and how it
 * ended. Pure: the jobs come from DescribeJobs (lib/client/report/collect.ts), the fields read are those of
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html and
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_AttemptDetail.html.
 */

/** A job of the run, with which item and step it is and what its queue is. */
export interface PlacedJob {
  /** The job (or array child) as DescribeJobs returns it. */
  readonly job: JobDetail;
  /** The item's key. */
  readonly item: string;
  /** The step (the stage of a run of jobs). */
  readonly step: string;
  /** The queue's name. */
  readonly queue: string;
  /** Whether the queue has a Spot compute environment. */
  readonly spot: boolean;
}

/** What a run's job names say (`<run>-<step>-<item>`; the item absent for a workflow step outside fan-outs). */
export interface NamedJob {
  readonly step: string;
  readonly item: string;
}

/** The item key of a step outside fan-outs (a workflow's cohort step runs once for the run). */
export const RUN_ITEM = '(run)';

/**
 * Step and item of a job by its name. A workflow names jobs `<execution name>-<step>-<item index>` (or
 * `<execution name>-<step>` outside fan-outs: lib/workflow/states/step-states.ts); `submit` names them
 * `<run id>-<stage>-<chunk or item id>` (lib/client/jobs/submit.ts). Step names are read up to the last `-<digits>`
 * for a workflow, and as `rerun` reads them (`jobKey`) for a run of jobs (stage names and item ids may hold a `-`).
 * An array child's item is its chunk's offset (`BATCH_PIPELINES_OFFSET`) plus its array index.
 */
export function nameOf(job: JobDetail, run: string, kind: 'execution' | 'jobs'): NamedJob {
  const rest = (job.jobName ?? '').startsWith(`${run}-`) ? job.jobName!.slice(run.length + 1) : (job.jobName ?? '');
  let step: string;
  let item: string;
  if (kind === 'execution') {
    const m = /^(.+)-(\d+)$/.exec(rest);
    [step, item] = m ? [m[1], m[2]] : [rest, RUN_ITEM];
  } else {
    // As rerun reads the run's jobs: a stage name may hold a '-' (submit allows it), the item ends the name.
    // A job neither names (no offset, no parameter its name ends with) is read up to its first '-'.
    const key = jobKey(run, job, ITEM_ENV.offset);
    const dash = rest.indexOf('-');
    [step, item] = key
      ? [key.stage, key.id ?? String(key.chunk)]
      : dash > 0
        ? [rest.slice(0, dash), rest.slice(dash + 1)]
        : [rest, RUN_ITEM];
  }
  const offset = Number(job.container?.environment?.find((e) => e.name === ITEM_ENV.offset)?.value ?? Number.NaN);
  if (Number.isFinite(offset)) {
    item = String(offset + (job.arrayProperties?.index ?? 0));
  }
  return { step, item };
}

/** `Host EC2*` as a test of text: a pattern matches from the start, `*` only at its end. */
const matches = (pattern: string, text: string | undefined) =>
  text !== undefined && text.startsWith(pattern.replace(/\*$/, ''));

/** How an attempt ended, from its own status reason and container reason (the job's status for its last). */
function endOf(a: AttemptDetail | undefined, job: JobDetail, last: boolean, spot: boolean): AttemptEnd {
  const reason = a?.statusReason ?? (last ? job.statusReason : undefined);
  const container = a?.container?.reason ?? (last ? job.container?.reason : undefined);
  // `Host EC2 … terminated` also ends On-Demand jobs (instance retirement, scale-in): a Spot interruption only on Spot.
  if (spot && (matches(SPOT_RECLAIM_REASON_PATTERN, reason) || matches(FARGATE_SPOT_REASON_PATTERN, reason))) {
    return 'spot-interruption';
  }
  if (matches(OUT_OF_MEMORY_REASON_PATTERN, container)) {
    return 'out-of-memory';
  }
  if (matches(SPOT_WAIT_REASON_PATTERN, reason) || (last && matches(SPOT_WAIT_REASON_PATTERN, job.statusReason))) {
    return 'spot-wait';
  }
  if (!last) {
    // Batch retried after it: a failed attempt.
    return 'failed';
  }
  switch (job.status) {
    case 'SUCCEEDED':
      return 'succeeded';
    case 'FAILED':
      return 'failed';
    case 'RUNNING':
      return a?.stoppedAt === undefined ? 'running' : 'failed';
    default:
      return 'queued';
  }
}

/** The memory a job asked (MiB), from its resource requirements or the older `memory` field. */
export function memoryOf(job: JobDetail): number | undefined {
  const req = job.container?.resourceRequirements?.find((r) => r.type === 'MEMORY')?.value ?? job.container?.memory;
  const n = Number(req);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** A job's attempts: Batch's `attempts` (one per try), or the job itself when it has none (not started, or moto). */
function jobAttempts(p: PlacedJob): Array<Omit<ReportAttempt, 'onDemandFallback' | 'memoryEscalation' | 'endedAt'>> {
  const { job } = p;
  const tries: Array<AttemptDetail | undefined> = job.attempts?.length ? job.attempts : [undefined];
  // A job RUNNING or STARTING whose attempts are all stopped is on a try Batch has not listed yet.
  const current =
    job.attempts?.length && ['STARTING', 'RUNNING'].includes(job.status ?? '') && job.startedAt !== undefined
      ? [undefined]
      : [];
  const all = [...tries, ...current];
  let queuedAt = job.createdAt ?? job.startedAt ?? 0;
  return all.map((a, n) => {
    const last = n === all.length - 1;
    const startedAt = a ? a.startedAt : last ? job.startedAt : undefined;
    const stoppedAt = a ? a.stoppedAt : last ? job.stoppedAt : undefined;
    const reasons = [a?.statusReason ?? (last ? job.statusReason : undefined), a?.container?.reason]
      .concat(a ? [] : [last ? job.container?.reason : undefined])
      .filter((r): r is string => Boolean(r));
    const attempt = {
      jobId: job.jobId ?? '',
      queue: p.queue,
      spot: p.spot,
      memoryMiB: memoryOf(job),
      queuedAt,
      startedAt,
      stoppedAt,
      end: endOf(a, job, last, p.spot),
      exitCode: a?.container?.exitCode ?? (last ? job.container?.exitCode : undefined),
      reason: reasons.length ? [...new Set(reasons)].join('; ') : undefined,
      logStreamName: a?.container?.logStreamName ?? job.container?.logStreamName,
    };
    // Batch's next try waits from this one's end.
    queuedAt = stoppedAt ?? startedAt ?? queuedAt;
    return attempt;
  });
}

/**
 * Items × steps from the run's jobs: a step of an item may have several jobs (the workflow submits again On-Demand
 * after Spot, or with more memory after an out-of-memory kill: same name, new job), each with Batch's own tries.
 * `now` ends what has not ended.
 */
export function itemSteps(jobs: PlacedJob[], now: number): ReportItemStep[] {
  const groups = new Map<string, PlacedJob[]>();
  for (const p of jobs) {
    const key = `${p.step}\u0000${p.item}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const out: ReportItemStep[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => (a.job.createdAt ?? 0) - (b.job.createdAt ?? 0));
    const attempts: ReportAttempt[] = [];
    for (const p of group) {
      for (const a of jobAttempts(p)) {
        const before = attempts[attempts.length - 1];
        attempts.push({
          ...a,
          endedAt: 0,
          onDemandFallback: !a.spot && attempts.some((x) => x.spot),
          memoryEscalation:
            before !== undefined &&
            before.end === 'out-of-memory' &&
            a.memoryMiB !== undefined &&
            before.memoryMiB !== undefined &&
            a.memoryMiB > before.memoryMiB,
        });
      }
    }
    const ended = attempts.map((a, n) => {
      const endedAt =
        a.stoppedAt ??
        (a.end === 'running' || a.end === 'queued' ? now : (attempts[n + 1]?.queuedAt ?? a.startedAt ?? a.queuedAt));
      return { ...a, endedAt };
    });
    attempts.splice(0, attempts.length, ...ended);
    const last = attempts[attempts.length - 1];
    const queuedMs = attempts.reduce((n, a) => n + Math.max(0, (a.startedAt ?? a.endedAt) - a.queuedAt), 0);
    const runMs = attempts.reduce(
      (n, a) => n + (a.startedAt === undefined ? 0 : Math.max(0, a.endedAt - a.startedAt)),
      0,
    );
    out.push({
      item: group[0].item,
      step: group[0].step,
      status:
        last.end === 'succeeded'
          ? 'SUCCEEDED'
          : last.end === 'running'
            ? 'RUNNING'
            : last.end === 'queued'
              ? 'QUEUED'
              : 'FAILED',
      start: attempts[0].queuedAt,
      end: Math.max(...attempts.map((a) => a.endedAt)),
      queuedMs,
      runMs,
      attempts,
    });
  }
  return out.sort((a, b) => a.start - b.start || a.step.localeCompare(b.step) || compareItems(a.item, b.item));
}

/** Items in their manifest order when they are indexes, else by name. */
export function compareItems(a: string, b: string): number {
  const [x, y] = [Number(a), Number(b)];
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : a.localeCompare(b);
}
