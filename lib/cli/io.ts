/** Where a command writes. Tests pass their own; the binary passes the process streams. */
export interface CommandIO {
  /** A line (or block) of normal output. */
  out(text: string): void;
  /** A line of error output. */
  err(text: string): void;
  /**
   * Replaces the status line in place (a terminal's progress line): no newline; '' clears it. Without it, progress
   * prints plain lines.
   */
  status?(text: string): void;
  /** Whether output goes to a terminal (progress bars) or not (plain lines). */
  readonly isTTY: boolean;
}

/** Documented exit codes of `batch-pipelines`. */
export enum ExitCode {
  OK = 0,
  /** An AWS or runtime error (the message says what and, when known, the fix). */
  FAILED = 1,
  /** Invalid arguments or input. */
  USAGE = 2,
  /**
   * The work looked at is not all well: `watch` ended with failed jobs or items (or the workflow run failed), or
   * `diagnose` found jobs stuck in RUNNABLE.
   */
  JOBS_FAILED = 3,
}
