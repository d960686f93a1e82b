import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, parseFlags, required } from './common';
import { CommandIO, ExitCode } from './io';
import { DEFAULT_CANCEL_REASON } from '../client/jobs/cancel';

export const CANCEL_HELP = `Usage: batch-pipelines cancel --queue Q --run-id ID [options]

Cancels the run's queued jobs and terminates its started ones.

  --queue Q --run-id ID    the run
  --reason TEXT            recorded on each job (default: ${DEFAULT_CANCEL_REASON})
${COMMON_HELP}

Exit codes: 0 done; 1 AWS error; 2 invalid arguments.
`;

export async function cancelCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseFlags('cancel', {
    args,
    options: { ...COMMON_OPTIONS, queue: { type: 'string' }, 'run-id': { type: 'string' }, reason: { type: 'string' } },
  });
  if (values.help) {
    io.out(CANCEL_HELP);
    return ExitCode.OK;
  }
  required(values, ['queue', 'run-id'], 'batch-pipelines cancel --help');
  const client = factory(values);
  const out = await aws(() => client.cancelJobs(values.queue!, values['run-id']!, { reason: values.reason }));
  io.out(
    values.json
      ? JSON.stringify(out)
      : `cancelled ${out.cancelled} queued job(s), terminated ${out.terminated} running`,
  );
  return ExitCode.OK;
}
