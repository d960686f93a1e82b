import { ESTIMATE_HELP, estimateCommand } from './estimate-command';
import { CliUsageError, CommandIO, ExitCode } from './io';

export const MAIN_HELP = `Usage: batch-pipelines <command> [options]

Commands:
  estimate   what a workload costs a month and how long a burst takes (no AWS calls)

Run batch-pipelines <command> --help for a command's options.

Exit codes: 0 success; 1 AWS or runtime error; 2 invalid arguments; 3 watched jobs failed.
`;

type Command = (args: string[], io: CommandIO) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  estimate: { run: estimateCommand, help: ESTIMATE_HELP },
};

/** Runs the command line; returns the exit code. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(MAIN_HELP);
    return name ? ExitCode.OK : ExitCode.USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`batch-pipelines: unknown command '${name}'; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return ExitCode.USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    const error = e as Error & { code?: string };
    if (e instanceof CliUsageError || error.code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`batch-pipelines ${name}: ${error.message}`);
      return ExitCode.USAGE;
    }
    io.err(`batch-pipelines ${name}: ${error.message}`);
    return ExitCode.FAILED;
  }
}
