import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, parseFlags, required } from './common';
import { CliError } from './errors';
import { CommandIO, ExitCode } from './io';
import { DEFAULT_STUCK_MINUTES } from '../client/diagnose';

export const DIAGNOSE_HELP = `Usage: batch-pipelines diagnose --queue Q [--older-than MINUTES] [options]

Lists jobs RUNNABLE for longer than MINUTES (default ${DEFAULT_STUCK_MINUTES}) with Batch's reason translated into a fix, checking the
job's size against the queue's instance types.

  --queue Q                job queue (name or ARN)
  --older-than M           minutes in RUNNABLE (default ${DEFAULT_STUCK_MINUTES})
${COMMON_HELP}

Exit codes: 0 nothing stuck; 1 AWS error; 2 invalid arguments; 3 stuck jobs found.
`;

export async function diagnoseCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseFlags('diagnose', {
    args,
    options: { ...COMMON_OPTIONS, queue: { type: 'string' }, 'older-than': { type: 'string' } },
  });
  if (values.help) {
    io.out(DIAGNOSE_HELP);
    return ExitCode.OK;
  }
  required(values, ['queue'], 'batch-pipelines diagnose --help');
  const minutes = values['older-than'] === undefined ? DEFAULT_STUCK_MINUTES : Number(values['older-than']);
  if (!(minutes >= 0)) {
    throw CliError.usage(`--older-than '${values['older-than']}' is not allowed; allowed: minutes >= 0`);
  }
  const client = factory(values);
  const stuck = await aws(() => client.diagnose(values.queue!, { olderThanMinutes: minutes }));
  if (values.json) {
    io.out(JSON.stringify(stuck, null, 2));
  } else if (stuck.length === 0) {
    io.out(`no job RUNNABLE for more than ${minutes} minutes on ${values.queue}`);
  } else {
    for (const s of stuck) {
      io.out(
        `${s.jobName} (${s.jobId}), RUNNABLE for ${s.minutesRunnable} min${s.statusReason ? `: ${s.statusReason}` : ''}`,
      );
      io.out(`  → ${s.diagnosis}`);
    }
  }
  // Stuck jobs are work that is not all well: the exit code `watch` gives failed jobs.
  return stuck.length > 0 ? ExitCode.JOBS_FAILED : ExitCode.OK;
}
