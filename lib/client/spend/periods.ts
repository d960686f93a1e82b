import { CostDay, sortServices } from './cost-explorer';
import { SpendPeriod } from './types';

/** Days and weeks of a date range, in UTC (Cost Explorer's days are UTC days). */

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of an epoch-milliseconds instant, UTC. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Epoch milliseconds of `YYYY-MM-DD` at 00:00 UTC; NaN when it is not a real date in that form. */
export function dayMs(day: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    return NaN;
  }
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(ms) || isoDay(ms) !== day ? NaN : ms;
}

/** `day` plus `n` days. */
export function addDays(day: string, n: number): string {
  return isoDay(dayMs(day) + n * DAY_MS);
}

/** Days from `start` to `end` (exclusive). */
export function daysBetween(start: string, end: string): number {
  return Math.round((dayMs(end) - dayMs(start)) / DAY_MS);
}

/** The Monday on or before `day` (ISO weeks start on Monday). */
export function mondayOf(day: string): string {
  const weekday = new Date(dayMs(day)).getUTCDay(); // 0 Sunday .. 6 Saturday
  return addDays(day, -((weekday + 6) % 7));
}

/**
 * Every day (or week) of the range, oldest first, with the days Cost Explorer did not list counted as $0. A week is
 * Monday to Sunday; the first and last may be cut by the range (`partial`).
 */
export function periodsOf(days: CostDay[], start: string, end: string, by: 'day' | 'week'): SpendPeriod[] {
  const known = new Map(days.map((d) => [d.day, d]));
  const periods: SpendPeriod[] = [];
  let cursor = start;
  while (cursor < end) {
    const next = by === 'day' ? addDays(cursor, 1) : minDay(addDays(mondayOf(cursor), 7), end);
    const services = new Map<string, number>();
    let estimated = false;
    for (let d = cursor; d < next; d = addDays(d, 1)) {
      const day = known.get(d);
      estimated ||= day?.estimated ?? false;
      for (const s of day?.services ?? []) {
        services.set(s.service, (services.get(s.service) ?? 0) + s.usd);
      }
    }
    const sorted = sortServices(services);
    periods.push({
      start: cursor,
      end: next,
      usd: sorted.reduce((n, s) => n + s.usd, 0),
      services: sorted,
      estimated,
      partial: by === 'week' && daysBetween(cursor, next) < 7,
    });
    cursor = next;
  }
  return periods;
}

function minDay(a: string, b: string): string {
  return a < b ? a : b;
}
