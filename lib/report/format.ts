/**
 * How the run report writes numbers and text into HTML. Every string that came from AWS (job names, reasons, log
 * lines, queue names) goes through `esc`.
 */

/** Text safe inside HTML elements and quoted attributes. */
export function esc(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A duration: `2h 05m`, `12m 30s`, `45s`, `0s`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  }
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Hours with two decimals (one thousands separator style: en-US). */
export function hours(h: number): string {
  return h.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** USD with cents. */
export function usd(v: number): string {
  return `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A count. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A share of a whole, in percent with one decimal. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '0.0%';
}

/** A time of day in UTC, with the date: `2026-11-23 02:00:00 UTC`. */
export function utc(ms: number): string {
  return `${new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')} UTC`;
}

/**
 * A number cell: the text shown, and where the figure is in the report's JSON (`data-json`, a path such as
 * `steps.0.jobHours`), so a reader (or a test) can hold the page to the JSON.
 */
export function num(path: string, text: string): string {
  return `<span class="n" data-json="${esc(path)}">${esc(text)}</span>`;
}
