import { CommandIO } from './io';

/** How far a run is: items (or jobs) done out of a total, and the counts behind it in words. */
export interface ProgressSnapshot {
  /** Items or jobs finished, either way. */
  readonly done: number;
  /** Items or jobs in all (0 while not known yet). */
  readonly total: number;
  /** The counts in words, e.g. `RUNNING 40, SUCCEEDED 9,960`. */
  readonly detail: string;
  /** When the run ended (epoch ms), once it has: its elapsed time stops there, however late it is watched. */
  readonly endedAt?: number;
}

/**
 * The progress of a long run on the terminal: one line redrawn in place on a terminal (bar, counts, elapsed time,
 * rate and ETA), and on a pipe or in a log one timestamped line per change, never one per poll. Lines printed in
 * between (failures as they happen) go above the progress line.
 *
 * Hand-written rather than a progress library: it has to write through `CommandIO` (the tests' and the binary's),
 * print plain lines off a terminal, and compute the rate from what the run did since watching began; that is the
 * whole of it.
 */
export class ProgressLine {
  private drawn = false;
  private last = '';
  private lastLine = '';
  private first?: { done: number; at: number };
  private readonly now: () => number;

  /**
   * @param io where to write
   * @param since when the run started (its elapsed time counts from there)
   * @param now the clock (tests pass their own)
   */
  constructor(
    private readonly io: CommandIO,
    private readonly since: number,
    now: () => number = Date.now,
  ) {
    this.now = now;
  }

  /** Shows a new snapshot: redrawn on a terminal; printed off one only when something changed. */
  public update(p: ProgressSnapshot): void {
    const at = this.now();
    this.first ??= { done: p.done, at };
    const text = `${bar(p)} ${p.detail}`;
    const timing = this.timing(p, at);
    const line = `${text}${timing ? ` | ${timing}` : ''}`;
    if (this.io.isTTY && this.io.status) {
      this.io.status(line);
      this.drawn = true;
    } else if (text !== this.last) {
      this.io.out(`${new Date(at).toISOString().slice(11, 19)} ${line}`);
    }
    this.last = text;
    this.lastLine = line;
  }

  /** Prints a line above the progress line (a failure as it happens). */
  public print(line: string): void {
    if (this.drawn) {
      this.io.status!('');
    }
    this.io.out(line);
    if (this.drawn) {
      this.io.status!(this.lastLine);
    }
  }

  /** Ends the progress line so what follows starts on its own line. */
  public end(): void {
    if (this.drawn) {
      this.io.status!('');
      this.io.out(this.lastLine);
      this.drawn = false;
    }
  }

  /** `elapsed 1h 05m, 120/h, ETA 2h 10m`: the rate counts what finished since watching began. */
  private timing(p: ProgressSnapshot, at: number): string {
    const parts = [`elapsed ${duration((p.endedAt ?? at) - this.since)}`];
    const first = this.first!;
    const hours = (at - first.at) / 3_600_000;
    const rate = hours > 0 ? (p.done - first.done) / hours : 0;
    if (rate > 0) {
      parts.push(`${rate >= 10 ? Math.round(rate).toLocaleString('en-US') : rate.toFixed(1)}/h`);
      if (p.total > p.done) {
        parts.push(`ETA ${duration(((p.total - p.done) / rate) * 3_600_000)}`);
      }
    }
    return parts.join(', ');
  }
}

function bar(p: ProgressSnapshot, width = 30): string {
  const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done.toLocaleString('en-US')}/${p.total > 0 ? p.total.toLocaleString('en-US') : '?'}`;
}

/** A duration in words a person reads at a glance: `42s`, `4m 10s`, `3h 05m`, `2d 4h`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  }
  const h = Math.floor(m / 60);
  if (h < 48) {
    return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  }
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
