import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, parseFlags, required, RUN_OPTIONS } from './common';
import { CliError } from './errors';
import { describeJobFailure, printFailures } from './failure-text';
import { CommandIO, ExitCode } from './io';
import { describeStart } from './start-command';
import { PipelineClient } from '../client/pipeline-client';
import { FailedItem } from '../client/run-outcomes';

export const RERUN_HELP = `Usage: batch-pipelines rerun --execution-arn ARN [--dry-run] [options]
       batch-pipelines rerun --queue Q --run-id ID [--dry-run] [options]

Runs again only the items of a finished run that failed or never ran. Rerunning twice runs them once.

A workflow run (--execution-arn): reads the run's outcomes (its output, its failure summary, its history or its
result files in S3). When the workflow caches its steps, the run is resumed: its whole manifest is started again
as a new run, every step that already succeeded for an item with the same inputs is served from the cache (no job),
and the steps after the fan-out run over every item; the command says per step how many items run and how many are
cached (--dry-run says so before anything starts). Otherwise, or with --no-cache, the failed items are written as a
manifest next to the original (<key>.rerun-<run>.json) and the workflow is started on it, every step running.
Items that failed because they are malformed (Item.Invalid) are listed, not rerun: fix them in the manifest.

Jobs submitted with batch-pipelines submit (--queue and --run-id): finds the failed jobs and array children with
Batch's reasons, and submits their items again as the run <run-id>-rerun, with the latest revision of each job
definition (a fix registered since applies). One job per item: the stages before the one that failed are reused
where the item's job succeeded with that revision and the same parameters (Batch lists finished jobs for about 7
days; a stage whose job it no longer lists runs again, and the command says so). Array jobs: the failed items
start together at the first stage one of them needs. Array jobs: the items are read from the run's
manifest and written next to it (<key>.rerun-<run-id>.json).

  --execution-arn ARN      the finished workflow run
  --queue Q --run-id ID    or the finished run of jobs
  --dry-run                list what would be rerun; write, start and submit nothing
  --no-cache               a workflow run: do not read the step cache, run the failed items through every step
${COMMON_HELP}

Exit codes: 0 rerun started, already started, or nothing to rerun; 1 AWS error; 2 invalid arguments (e.g. the run is
still going).
`;

export async function rerunCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseFlags('rerun', {
    args,
    options: {
      ...COMMON_OPTIONS,
      ...RUN_OPTIONS,
      'dry-run': { type: 'boolean' },
      'no-cache': { type: 'boolean' },
    },
  });
  if (values.help) {
    io.out(RERUN_HELP);
    return ExitCode.OK;
  }
  const jobs = values.queue !== undefined || values['run-id'] !== undefined;
  if (jobs === (values['execution-arn'] !== undefined)) {
    throw CliError.usage(
      'give --execution-arn (a workflow run) or --queue and --run-id (jobs from submit); see batch-pipelines rerun --help',
    );
  }
  const client = factory(values);
  if (jobs) {
    required(values, ['queue', 'run-id'], 'batch-pipelines rerun --help');
    return rerunJobs(client, values.queue!, values['run-id']!, io, values);
  }
  const out = await aws(() =>
    client.rerunExecution(values['execution-arn']!, { dryRun: values['dry-run'], noCache: values['no-cache'] }),
  );
  if (values.json) {
    io.out(JSON.stringify(out, null, 2));
    return ExitCode.OK;
  }
  const label = (f: FailedItem) => `${f.id ?? `item ${f.index}`} (#${f.index})`;
  io.out(
    `${out.name} ${out.status}: ${out.failed.length + out.invalid.length} item(s) did not succeed (outcomes: ${out.outcomes})`,
  );
  for (const f of out.failed) {
    io.out(`  ${label(f)} ${f.error}: ${f.reason}`);
  }
  if (out.invalid.length > 0) {
    io.out(`not rerun, fix these in s3://${out.manifest?.bucket}/${out.manifest?.key} first:`);
    for (const f of out.invalid) {
      io.out(`  ${label(f)} ${f.error}: ${f.reason}`);
    }
  }
  const cached = out.cache?.map((c) => `  ${c.step}: ${c.run} to run, ${c.cached} cached`) ?? [];
  if (out.failed.length === 0) {
    io.out('nothing to rerun');
  } else if (out.cache && !out.started) {
    io.out(`dry run: would resume the run over all its items, with the step cache:`);
    cached.forEach((l) => io.out(l));
  } else if (out.cache && out.started) {
    io.out(`resuming the run over all its items, with the step cache:`);
    cached.forEach((l) => io.out(l));
    io.out(describeStart(out.started));
  } else if (!out.started) {
    io.out(`dry run: would rerun ${out.failed.length} item(s)`);
  } else {
    io.out(`rerunning ${out.failed.length} item(s) from ${out.rerunManifest}`);
    io.out(describeStart(out.started));
  }
  return ExitCode.OK;
}

async function rerunJobs(
  client: PipelineClient,
  queue: string,
  runId: string,
  io: CommandIO,
  flags: { json?: boolean; 'dry-run'?: boolean },
): Promise<number> {
  const out = await aws(() => client.rerunJobs(queue, runId, { dryRun: flags['dry-run'] }));
  if (flags.json) {
    io.out(JSON.stringify(out, null, 2));
    return ExitCode.OK;
  }
  io.out(`${runId}: ${out.failed.length} failed job(s) or array children`);
  printFailures(io, out.failed, describeJobFailure);
  for (const s of out.stageReruns ?? []) {
    const forgotten = s.forgotten ? ` (${s.forgotten} because Batch no longer lists their job)` : '';
    io.out(`  ${s.stage}: ${s.run} to run${forgotten}, ${s.reused} reused`);
  }
  const what = (n: number) =>
    `${n} item(s) through ${out.stages.map((s) => `${s.name} (${s.jobDefinition})`).join(', ')}`;
  if (out.items.length === 0) {
    io.out('nothing to rerun');
  } else if (out.submitted.length === 0) {
    io.out(`dry run: would rerun ${what(out.items.length)} as run ${out.rerunId}`);
  } else {
    const fresh = out.submitted.filter((j) => j.submitted).length;
    io.out(
      `rerunning ${what(out.items.length)} as run ${out.rerunId}` +
        `${out.rerunManifest ? ` from ${out.rerunManifest}` : ''}: ${fresh} job(s) submitted, ` +
        `${out.submitted.length - fresh} already there`,
    );
    io.out(`watch it: batch-pipelines watch --queue ${queue} --run-id ${out.rerunId}`);
  }
  return ExitCode.OK;
}
