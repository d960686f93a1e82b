/**
 * How the cost estimate writes numbers for people: the same rules in the table, the warnings and the errors, so a
 * duration reads `20 min`, `40 h` or `2.5 days` wherever it appears. Not re-exported: internal to `lib/cost`.
 */

/** `0.1` → `0.1`, `2.0` → `2`: one decimal at most, none when it is zero. */
function oneDecimal(v: number): string {
  return (Math.round(v * 10) / 10).toLocaleString('en-US', { maximumFractionDigits: 1 });
}

/**
 * A duration in hours, in the unit a person would use: minutes below an hour (`20 min`), hours below two days
 * (`3.3 h`, `40 h`), days from there (`2.5 days`, `10 days`).
 */
export function formatHours(hours: number): string {
  if (hours <= 0) {
    return '0 h';
  }
  const minutes = Math.round(hours * 60);
  if (minutes < 1) {
    return 'under 1 min';
  }
  if (minutes < 60) {
    return `${minutes} min`;
  }
  if (Math.round(hours * 10) / 10 < 48) {
    return `${oneDecimal(hours)} h`;
  }
  const days = oneDecimal(hours / 24);
  return `${days} ${days === '1' ? 'day' : 'days'}`;
}

/** A count that may be fractional (items a week): whole numbers from 100, one decimal below. */
export function formatCount(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : oneDecimal(v);
}

/** Memory in GiB, one decimal at most: `30`, `121.6`. */
export function formatGiB(mebibytes: number): string {
  return oneDecimal(mebibytes / 1024);
}

/** Whole dollars: `$1,507`. */
export function formatUsd(v: number): string {
  return `$${Math.round(v).toLocaleString('en-US')}`;
}

/** Dollars and cents: `$32.85`. */
export function formatCents(v: number): string {
  return `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
