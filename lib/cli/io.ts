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

/** Wrong arguments: exit code 2 with the message. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** Documented exit codes of `batch-pipelines`. */
export enum ExitCode {
  OK = 0,
  /** An AWS or runtime error (the message says what and, when known, the fix). */
  FAILED = 1,
  /** Invalid arguments or input. */
  USAGE = 2,
  /** `watch` ended with failed jobs. */
  JOBS_FAILED = 3,
}
