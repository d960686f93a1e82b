import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, parseFlags, required } from './common';
import { CliError } from './errors';
import { CommandIO, ExitCode } from './io';
import type { QueueQuotas } from '../client/account-quotas';
import { DEFAULT_STUCK_MINUTES } from '../client/diagnose';

export const DIAGNOSE_HELP = `Usage: batch-pipelines diagnose --queue Q [--older-than MINUTES] [options]

Lists jobs RUNNABLE for longer than MINUTES (default ${DEFAULT_STUCK_MINUTES}) with Batch's reason translated into a fix, checking the
job's size against the queue's instance types. Then checks the account's EC2 vCPU quotas (Service Quotas: On-Demand
and Spot, per instance family group) against the maxvCpus of the queue's compute environments, and says which quota
binds and how to raise it: Batch's reasons never name a quota. Reading quotas needs servicequotas:GetServiceQuota;
without it the quotas are listed with their codes, unread.

  --queue Q                job queue (name or ARN)
  --older-than M           minutes in RUNNABLE (default ${DEFAULT_STUCK_MINUTES})
${COMMON_HELP}

Exit codes: 0 nothing stuck (a binding quota is reported, not counted); 1 AWS error; 2 invalid arguments; 3 stuck
jobs found. With --json: { "stuckJobs": [...], "quotas": { "region", "findings": [...], "notes": [...] } }.
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
  const quotas = await aws(() => client.accountQuotas(values.queue!));
  if (values.json) {
    io.out(JSON.stringify({ stuckJobs: stuck, quotas }, null, 2));
    return stuck.length > 0 ? ExitCode.JOBS_FAILED : ExitCode.OK;
  }
  if (stuck.length === 0) {
    io.out(`no job RUNNABLE for more than ${minutes} minutes on ${values.queue}`);
  } else {
    for (const s of stuck) {
      io.out(
        `${s.jobName} (${s.jobId}), RUNNABLE for ${s.minutesRunnable} min${s.statusReason ? `: ${s.statusReason}` : ''}`,
      );
      io.out(`  → ${s.diagnosis}`);
    }
  }
  printQuotas(io, quotas);
  // Stuck jobs are work that is not all well: the exit code `watch` gives failed jobs.
  return stuck.length > 0 ? ExitCode.JOBS_FAILED : ExitCode.OK;
}

/** One line a quota (binding ones with what to do), then what could not be checked. */
function printQuotas(io: CommandIO, quotas: QueueQuotas): void {
  if (quotas.findings.length === 0 && quotas.notes.length === 0) {
    return;
  }
  io.out(`EC2 vCPU quotas in ${quotas.region}:`);
  for (const f of quotas.findings) {
    const value = f.quotaVcpus === undefined ? 'not read' : `${f.quotaVcpus} vCPUs`;
    const verdict = f.blocking ? 'BLOCKS' : f.binding ? 'BINDS' : f.quotaVcpus === undefined ? 'unknown' : 'enough';
    io.out(
      `${f.quotaCode} ${f.quotaName}: ${value} for ${f.maxvCpus} maxvCpus (${f.computeEnvironments.join(', ')}): ${verdict}`,
    );
    if (f.binding || f.quotaVcpus === undefined) {
      io.out(`  → ${f.diagnosis}`);
    }
  }
  for (const n of quotas.notes) {
    io.out(`  note: ${n}`);
  }
}
