import { ExitCode } from './io';

/**
 * The one error family of `batch-pipelines`: a command throws a `CliError` of a kind, and `main` maps the kind to
 * its exit code and its `--json` record. Errors of the client and of the cost model are turned into these where a
 * command calls them (`common.ts` `aws`, the estimate command).
 */

/**
 * What kind of failure ends a command.
 * - `usage`: invalid arguments or input (exit 2), the message names the flag, the value, what is allowed and the fix.
 * - `aws`: an AWS call failed (exit 1), in one line with the fix when it is known.
 * - `runtime`: anything else (exit 1): what AWS holds that the client cannot read, or a bug.
 */
export type CliErrorKind = 'usage' | 'aws' | 'runtime';

/** The exit code of each kind. */
export const EXIT_CODE_OF: Record<CliErrorKind, ExitCode> = {
  usage: ExitCode.USAGE,
  aws: ExitCode.FAILED,
  runtime: ExitCode.FAILED,
};

/** Brands the CLI's errors, so they are told apart without `instanceof` (as `PipelineErrors` does for the library). */
const CLI_ERROR = Symbol.for('cdk-batch-pipelines.cli-error');

/** A command's failure, of a kind. */
export class CliError extends Error {
  /** Whether `x` is a `CliError`. */
  public static isCliError(x: unknown): x is CliError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[CLI_ERROR] === true;
  }

  /** Wrong arguments or input: exit code 2 with the message. */
  public static usage(message: string): CliError {
    return new CliError('usage', message);
  }

  constructor(
    public readonly kind: CliErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
    Object.defineProperty(this, CLI_ERROR, { value: true, enumerable: false });
  }
}
