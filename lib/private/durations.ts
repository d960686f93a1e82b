/**
 * A duration in the unit a person would use, for messages: `30 min` below an hour, `4 h` or `40.5 h` below two days,
 * `17.7 days` from there (one decimal at most, rounded).
 */
export function humanDuration(seconds: number): string {
  const oneDecimal = (x: number) => {
    const r = Math.round(x * 10) / 10;
    return Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1);
  };
  if (seconds < 3600) {
    return `${oneDecimal(seconds / 60)} min`;
  }
  if (seconds < 2 * 86400) {
    return `${oneDecimal(seconds / 3600)} h`;
  }
  return `${oneDecimal(seconds / 86400)} days`;
}

/** A duration in hours (minutes below one), so that terms of a sum share a unit: `30 min`, `4 h`, `396 h`. */
export function inHours(seconds: number): string {
  return seconds < 3600 ? humanDuration(seconds) : `${Math.round((seconds / 3600) * 10) / 10} h`;
}
