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
 * While nothing changes, off a terminal, a `still …` line after this long without a line: a log shows the watch is
 * alive (a run whose jobs take hours changes rarely).
 */
export const HEARTBEAT_FIRST_MS = 60_000;
/** Then one every this long, so a long quiet run does not flood the log. */
export const HEARTBEAT_EVERY_MS = 5 * 60_000;

/**
 * The progress of a long run on the terminal: one line redrawn in place on a terminal (bar, counts, elapsed time,
 * rate and ETA, and for how long nothing changed), and on a pipe or in a log one timestamped line per change, never
 * one per poll, with a `still …` heartbeat while nothing changes (a minute after the last line, then every five).
 * Lines printed in between (failures as they happen) go above the progress line.
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
  /** When the counts last changed, when a line was last printed, and how many heartbeats since the change. */
  private changedAt = 0;
  private printedAt = 0;
  private heartbeats = 0;
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
    if (text !== this.last) {
      this.changedAt = at;
      this.heartbeats = 0;
    }
    const quiet = at - this.changedAt;
    const timing = this.timing(p, at);
    const line = `${text} | ${timing}`;
    const clock = new Date(at).toISOString().slice(11, 19);
    const tty = this.io.isTTY && this.io.status !== undefined;
    // On a terminal the redrawn line itself says how long it has been still.
    this.lastLine = tty && quiet >= HEARTBEAT_FIRST_MS ? `${line}, nothing changed for ${duration(quiet)}` : line;
    if (tty) {
      this.io.status!(this.lastLine);
      this.drawn = true;
    } else if (text !== this.last) {
      this.io.out(`${clock} ${line}`);
      this.printedAt = at;
    } else if (at - this.printedAt >= (this.heartbeats === 0 ? HEARTBEAT_FIRST_MS : HEARTBEAT_EVERY_MS)) {
      const total = p.total > 0 ? p.total.toLocaleString('en-US') : '?';
      this.io.out(
        `${clock} still ${p.done.toLocaleString('en-US')}/${total} done (${p.detail}), nothing changed for ` +
          `${duration(quiet)} | ${timing}`,
      );
      this.printedAt = at;
      this.heartbeats++;
    }
    this.last = text;
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
