import { RUN_ITEM } from './attempts';
import { PathLink, ReportItemStep, SlowItem, Spread, TimeShares } from './types';

/** Where a run's time went: spreads of durations, wall-time shares, the critical path and the slowest items. Pure. */

const HOUR_MS = 3_600_000;

/** Median and 95th percentile (nearest rank) of durations; zeros for none. */
export function spread(values: number[]): Spread {
  if (values.length === 0) {
    return { median: 0, p95: 0 };
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
  return { median: rank(0.5), p95: rank(0.95) };
}

/**
 * The run's wall time split into: some job running; jobs waiting for capacity and none running; nothing queued or
 * running. One sweep over every attempt's waiting and running intervals.
 */
export function timeShares(steps: ReportItemStep[], start: number, end: number): TimeShares {
  const events: Array<[number, number, number]> = []; // time, Δqueued, Δrunning
  let queuedMs = 0;
  let runMs = 0;
  for (const s of steps) {
    queuedMs += s.queuedMs;
    runMs += s.runMs;
    for (const a of s.attempts) {
      const began = a.startedAt ?? a.endedAt;
      events.push([a.queuedAt, 1, 0], [began, -1, 0]);
      if (a.startedAt !== undefined) {
        events.push([a.startedAt, 0, 1], [a.endedAt, 0, -1]);
      }
    }
  }
  events.sort((a, b) => a[0] - b[0]);
  let queued = 0;
  let running = 0;
  let at = start;
  let runningMs = 0;
  let waitingMs = 0;
  for (const [t, dq, dr] of events) {
    const from = Math.max(at, start);
    const to = Math.min(t, end);
    if (to > from) {
      if (running > 0) {
        runningMs += to - from;
      } else if (queued > 0) {
        waitingMs += to - from;
      }
    }
    at = Math.max(at, t);
    queued += dq;
    running += dr;
  }
  const wallMs = Math.max(0, end - start);
  return {
    wallMs,
    runningMs,
    waitingMs,
    idleMs: Math.max(0, wallMs - runningMs - waitingMs),
    queuedJobHours: queuedMs / HOUR_MS,
    runJobHours: runMs / HOUR_MS,
  };
}

/**
 * The chain of steps that ended last: from the step that ended the run, back through the step before it of the
 * same item, and from a step of the run as a whole (outside fan-outs) to the step of any item that ended last before
 * it began. An item's first step is where the path starts: what let it start (a free slot of the fan-out) is not a
 * step.
 */
export function criticalPath(steps: ReportItemStep[]): PathLink[] {
  if (steps.length === 0) {
    return [];
  }
  const byItem = new Map<string, ReportItemStep[]>();
  for (const s of steps) {
    byItem.set(s.item, [...(byItem.get(s.item) ?? []), s]);
  }
  const latestBefore = (candidates: ReportItemStep[], t: number, not: ReportItemStep) =>
    candidates.reduce<ReportItemStep | undefined>(
      (best, s) => (s !== not && s.end <= t && (!best || s.end > best.end) ? s : best),
      undefined,
    );
  let current: ReportItemStep | undefined = steps.reduce((a, b) => (b.end > a.end ? b : a));
  const path: PathLink[] = [];
  const seen = new Set<ReportItemStep>();
  while (current && !seen.has(current)) {
    seen.add(current);
    const c: ReportItemStep = current;
    path.unshift({ item: c.item, step: c.step, start: c.start, end: c.end, queuedMs: c.queuedMs, runMs: c.runMs });
    const sameItem: ReportItemStep | undefined = latestBefore(byItem.get(c.item) ?? [], c.start, c);
    const anyItem: ReportItemStep | undefined = latestBefore(steps, c.start, c);
    current = c.item === RUN_ITEM ? anyItem : (sameItem ?? (anyItem?.item === RUN_ITEM ? anyItem : undefined));
  }
  return path;
}

/** The `n` items that took longest from their first submission to their last end (steps of the run excluded). */
export function slowestItems(steps: ReportItemStep[], n: number): SlowItem[] {
  const items = new Map<string, { start: number; end: number; queuedMs: number; runMs: number; attempts: number }>();
  for (const s of steps) {
    if (s.item === RUN_ITEM) {
      continue;
    }
    const i = items.get(s.item);
    items.set(
      s.item,
      i
        ? {
            start: Math.min(i.start, s.start),
            end: Math.max(i.end, s.end),
            queuedMs: i.queuedMs + s.queuedMs,
            runMs: i.runMs + s.runMs,
            attempts: i.attempts + s.attempts.length,
          }
        : { start: s.start, end: s.end, queuedMs: s.queuedMs, runMs: s.runMs, attempts: s.attempts.length },
    );
  }
  return [...items.entries()]
    .map(([item, i]) => ({ item, spanMs: i.end - i.start, queuedMs: i.queuedMs, runMs: i.runMs, attempts: i.attempts }))
    .sort((a, b) => b.spanMs - a.spanMs || a.item.localeCompare(b.item))
    .slice(0, n);
}

/** The most attempts running at once in `steps` (the concurrency a run reached). */
export function peakRunning(steps: ReportItemStep[]): number {
  const events: Array<[number, number]> = [];
  for (const s of steps) {
    for (const a of s.attempts) {
      if (a.startedAt !== undefined) {
        events.push([a.startedAt, 1], [a.endedAt, -1]);
      }
    }
  }
  // Ends before starts at the same instant: a slot handed on is not two jobs at once.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let peak = 0;
  for (const [, d] of events) {
    running += d;
    peak = Math.max(peak, running);
  }
  return peak;
}
