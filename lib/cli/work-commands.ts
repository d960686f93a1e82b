import { readFileSync } from 'fs';
import { parseArgs } from 'util';
import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, required } from './common';
import { describeJobFailure, printFailures } from './failure-text';
import { CliUsageError, CommandIO, ExitCode } from './io';
import { PipelineClient, StartedExecution, SubmitStage } from '../client/pipeline-client';
import { BATCH_NAME_PATTERN } from '../private/limits';
import { FailedItem } from '../client/run-outcomes';

export const SUBMIT_HELP = `Usage: batch-pipelines submit --queue Q --stage NAME=DEFINITION [--stage ...] --items FILE --run-id ID [options]

Submits every stage over every item of FILE (a JSON array of objects). Re-running the same command submits
nothing twice: jobs are named <run-id>-<stage>-<item id or chunk> and an existing name is reused.

  --queue Q                job queue (name or ARN)
  --stage NAME=DEF         a stage and its job definition; repeat in order (later stages wait for earlier ones)
  --items FILE             the items, a JSON array of objects
  --run-id ID              names the run (letters, digits, '-', '_')
  --id-field F             the item field that identifies it (default sampleId)
  --manifest-uri S3URI     submit array jobs (up to 10,000 children each); children read their item from this copy
                           of FILE at index BATCH_PIPELINES_OFFSET + AWS_BATCH_JOB_ARRAY_INDEX
${COMMON_HELP}

Exit codes: 0 submitted; 1 AWS error; 2 invalid arguments or items.
`;

export const START_HELP = `Usage: batch-pipelines start --state-machine-arn ARN --bucket B --key K [options]

Starts a workflow execution over a manifest already in S3 ({"manifest": {"bucket", "key", "etag"}}, the input the
ManifestTrigger gives). The execution is named as the trigger names it, after the manifest's bucket, key and ETag:
starting a manifest that already ran (or that the trigger started) starts nothing and says so; a new upload of the
key runs again.

  --state-machine-arn ARN  the workflow
  --bucket B --key K       the manifest
  --name N                 name the execution yourself (to run the same manifest again)
${COMMON_HELP}

Exit codes: 0 started (or already started); 1 AWS error; 2 invalid arguments.
`;

export const RERUN_HELP = `Usage: batch-pipelines rerun --execution-arn ARN [--dry-run] [options]
       batch-pipelines rerun --queue Q --run-id ID [--dry-run] [options]

Runs again only the items of a finished run that failed or never ran. Rerunning twice runs them once.

A workflow run (--execution-arn): reads the run's outcomes (its output, its failure summary, its history or its
result files in S3), writes those items as a manifest next to the original (<key>.rerun-<run>.json) and starts the
workflow on it. Items that failed because they are malformed (Item.Invalid) are listed, not rerun: fix them in the
manifest.

Jobs submitted with batch-pipelines submit (--queue and --run-id): finds the failed jobs and array children with
Batch's reasons, and submits every stage again over only their items as the run <run-id>-rerun, with the latest
revision of each job definition (a fix registered since applies). Array jobs: the items are read from the run's
manifest and written next to it (<key>.rerun-<run-id>.json).

  --execution-arn ARN      the finished workflow run
  --queue Q --run-id ID    or the finished run of jobs
  --dry-run                list what would be rerun; write, start and submit nothing
${COMMON_HELP}

Exit codes: 0 rerun started, already started, or nothing to rerun; 1 AWS error; 2 invalid arguments (e.g. the run is
still going).
`;

export const DIAGNOSE_HELP = `Usage: batch-pipelines diagnose --queue Q [--older-than MINUTES] [options]

Lists jobs RUNNABLE for longer than MINUTES (default 30) with Batch's reason translated into a fix, checking the
job's size against the queue's instance types.

  --queue Q                job queue (name or ARN)
  --older-than M           minutes in RUNNABLE (default 30)
${COMMON_HELP}

Exit codes: 0 nothing stuck; 1 AWS error; 2 invalid arguments; 3 stuck jobs found.
`;

export const CANCEL_HELP = `Usage: batch-pipelines cancel --queue Q --run-id ID [options]

Cancels the run's queued jobs and terminates its started ones.

  --queue Q --run-id ID    the run
  --reason TEXT            recorded on each job (default: Cancelled with batch-pipelines cancel)
${COMMON_HELP}

Exit codes: 0 done; 1 AWS error; 2 invalid arguments.
`;

export async function submitCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...COMMON_OPTIONS,
      queue: { type: 'string' },
      stage: { type: 'string', multiple: true },
      items: { type: 'string' },
      'run-id': { type: 'string' },
      'id-field': { type: 'string' },
      'manifest-uri': { type: 'string' },
    },
  });
  if (values.help) {
    io.out(SUBMIT_HELP);
    return ExitCode.OK;
  }
  required(values, ['queue', 'stage', 'items', 'run-id'], 'batch-pipelines submit --help');
  const stages: SubmitStage[] = values.stage!.map((s) => {
    const [name, jobDefinition] = s.split('=');
    if (!name || !jobDefinition) {
      throw new CliUsageError(
        `--stage '${s}' is not allowed; allowed: NAME=JOB_DEFINITION, e.g. --stage align=genomics-align`,
      );
    }
    return { name, jobDefinition, jobQueue: values.queue! };
  });
  let items: Array<Record<string, string>>;
  try {
    items = JSON.parse(readFileSync(values.items!, 'utf8'));
  } catch (e) {
    throw new CliUsageError(`--items ${values.items}: ${(e as Error).message}; allowed: a JSON array of objects`);
  }
  if (!Array.isArray(items) || items.some((i) => typeof i !== 'object' || i === null)) {
    throw new CliUsageError(`--items ${values.items} is not allowed; allowed: a JSON array of objects`);
  }
  if (values['manifest-uri'] === undefined) {
    checkItemIds(items, values.items!, values['id-field']);
  }
  const client = factory(values);
  const jobs = await aws(() =>
    client.submit({
      runId: values['run-id']!,
      items,
      idField: values['id-field'],
      stages,
      manifestUri: values['manifest-uri'],
    }),
  );
  if (values.json) {
    io.out(JSON.stringify(jobs, null, 2));
  } else {
    for (const j of jobs) {
      const what = j.arraySize
        ? `array of ${j.arraySize}, items ${j.items[0]}..${j.items[1]}`
        : j.items[0] === j.items[1]
          ? `item ${j.items[0]}`
          : `items ${j.items[0]}..${j.items[1]}`;
      io.out(`${j.submitted ? 'submitted' : 'exists   '} ${j.jobName} ${j.jobId} (${what})`);
    }
    io.out(
      `${jobs.filter((j) => j.submitted).length} submitted, ${jobs.filter((j) => !j.submitted).length} already there`,
    );
  }
  return ExitCode.OK;
}

/**
 * One job per item names each job after the item's id: an item without one is refused in the command's own terms
 * (its flags, the fields the item has) before anything is submitted.
 */
function checkItemIds(items: Array<Record<string, unknown>>, file: string, idField: string | undefined): void {
  const field = idField ?? 'sampleId';
  const seen = new Set<unknown>();
  for (const [i, item] of items.entries()) {
    const id = item[field];
    if (typeof id !== 'string' || !BATCH_NAME_PATTERN.test(id)) {
      throw new CliUsageError(
        `--items ${file}: item ${i} has ${field} ${JSON.stringify(id ?? null)}${idField ? '' : ' (the default --id-field)'}; ` +
          `allowed: letters, digits, '-' and '_' (one job per item is named after it). Fix: --id-field <the field ` +
          `that identifies each item> (item ${i} has ${Object.keys(item).join(', ') || 'no fields'}), or submit ` +
          `array jobs with --manifest-uri s3://<bucket>/<key> (a copy of ${file} in S3), which need no id`,
      );
    }
    if (seen.has(id)) {
      throw new CliUsageError(
        `--items ${file}: item ${i} has ${field} '${id}' again; allowed: one item per id (it names the job). Fix: ` +
          `remove the duplicate, or give --id-field a field that is unique`,
      );
    }
    seen.add(id);
  }
}

export async function startCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...COMMON_OPTIONS,
      'state-machine-arn': { type: 'string' },
      bucket: { type: 'string' },
      key: { type: 'string' },
      name: { type: 'string' },
    },
  });
  if (values.help) {
    io.out(START_HELP);
    return ExitCode.OK;
  }
  required(values, ['state-machine-arn', 'bucket', 'key'], 'batch-pipelines start --help');
  if (values.name !== undefined && !EXECUTION_NAME_PATTERN.test(values.name)) {
    throw new CliUsageError(
      `--name '${values.name}' is not allowed; allowed: 1 to 80 letters, digits, '-' and '_'. Fix: e.g. --name week-48-again`,
    );
  }
  const client = factory(values);
  const out = await aws(() =>
    client.startExecution(
      values['state-machine-arn']!,
      { bucket: values.bucket!, key: values.key! },
      { name: values.name },
    ),
  );
  io.out(values.json ? JSON.stringify(out) : describeStart(out));
  return ExitCode.OK;
}

/** Step Functions execution names (ASCII letters, digits, '-' and '_' keep them usable in CloudWatch Logs). */
const EXECUTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

function describeStart(out: StartedExecution): string {
  return out.alreadyStarted
    ? `already started: s3://${out.manifest.bucket}/${out.manifest.key} (ETag ${out.manifest.etag}) ran as ${out.name}, ` +
        `${out.status}: ${out.executionArn}. To run it again, pass --name`
    : `started ${out.name}: ${out.executionArn}`;
}

export async function rerunCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...COMMON_OPTIONS,
      'execution-arn': { type: 'string' },
      queue: { type: 'string' },
      'run-id': { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  if (values.help) {
    io.out(RERUN_HELP);
    return ExitCode.OK;
  }
  const jobs = values.queue !== undefined || values['run-id'] !== undefined;
  if (jobs === (values['execution-arn'] !== undefined)) {
    throw new CliUsageError(
      'give --execution-arn (a workflow run) or --queue and --run-id (jobs from submit); see batch-pipelines rerun --help',
    );
  }
  const client = factory(values);
  if (jobs) {
    required(values, ['queue', 'run-id'], 'batch-pipelines rerun --help');
    return rerunJobs(client, values.queue!, values['run-id']!, io, values);
  }
  const out = await aws(() => client.rerun(values['execution-arn']!, { dryRun: values['dry-run'] }));
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
  if (out.failed.length === 0) {
    io.out('nothing to rerun');
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

export async function diagnoseCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...COMMON_OPTIONS, queue: { type: 'string' }, 'older-than': { type: 'string' } },
  });
  if (values.help) {
    io.out(DIAGNOSE_HELP);
    return ExitCode.OK;
  }
  required(values, ['queue'], 'batch-pipelines diagnose --help');
  const minutes = values['older-than'] === undefined ? 30 : Number(values['older-than']);
  if (!(minutes >= 0)) {
    throw new CliUsageError(`--older-than '${values['older-than']}' is not allowed; allowed: minutes >= 0`);
  }
  const client = factory(values);
  const stuck = await aws(() => client.diagnose(values.queue!, minutes));
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
  return stuck.length > 0 ? ExitCode.JOBS_FAILED : ExitCode.OK;
}

export async function cancelCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...COMMON_OPTIONS, queue: { type: 'string' }, 'run-id': { type: 'string' }, reason: { type: 'string' } },
  });
  if (values.help) {
    io.out(CANCEL_HELP);
    return ExitCode.OK;
  }
  required(values, ['queue', 'run-id'], 'batch-pipelines cancel --help');
  const client = factory(values);
  const out = await aws(() => client.cancelRun(values.queue!, values['run-id']!, values.reason));
  io.out(
    values.json
      ? JSON.stringify(out)
      : `cancelled ${out.cancelled} queued job(s), terminated ${out.terminated} running`,
  );
  return ExitCode.OK;
}
