import { readFileSync } from 'fs';
import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, parseFlags, required } from './common';
import { CliError } from './errors';
import { CommandIO, ExitCode } from './io';
import { JobStage, DEFAULT_ID_FIELD } from '../client/jobs/submit';
import { BATCH_NAME_PATTERN } from '../private/limits';

export const SUBMIT_HELP = `Usage: batch-pipelines submit --queue Q --stage NAME=DEFINITION [--stage ...] --items FILE --run-id ID [options]

Submits every stage over every item of FILE (a JSON array of objects). Re-running the same command submits
nothing twice: jobs are named <run-id>-<stage>-<item id or chunk> and an existing name is reused.

  --queue Q                job queue (name or ARN)
  --stage NAME=DEF         a stage and its job definition; repeat in order (later stages wait for earlier ones)
  --items FILE             the items, a JSON array of objects
  --run-id ID              names the run (letters, digits, '-', '_')
  --id-field F             the item field that identifies it, naming its jobs (default ${DEFAULT_ID_FIELD})
  --manifest-uri S3URI     submit array jobs (up to 10,000 children each); children read their item from this copy
                           of FILE at index BATCH_PIPELINES_OFFSET + AWS_BATCH_JOB_ARRAY_INDEX
${COMMON_HELP}

Exit codes: 0 submitted; 1 AWS error; 2 invalid arguments or items.
`;

/** An S3 object URI: a bucket and a key. */
const S3_URI = /^s3:\/\/[^/]+\/.+$/;

export async function submitCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseFlags('submit', {
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
  const stages: JobStage[] = values.stage!.map((s) => {
    const [name, jobDefinition] = s.split('=');
    if (!name || !jobDefinition) {
      throw CliError.usage(
        `--stage '${s}' is not allowed; allowed: NAME=JOB_DEFINITION, e.g. --stage align=genomics-align`,
      );
    }
    return { name, jobDefinition, jobQueue: values.queue! };
  });
  const manifestUri = values['manifest-uri'];
  if (manifestUri !== undefined && !S3_URI.test(manifestUri)) {
    throw CliError.usage(
      `--manifest-uri '${manifestUri}' is not allowed; allowed: an S3 object URI, s3://<bucket>/<key>. Fix: upload ` +
        `${values.items} to S3 and pass its URI, e.g. --manifest-uri s3://my-bucket/manifests/${values['run-id']}.json`,
    );
  }
  let items: Array<Record<string, string>>;
  try {
    items = JSON.parse(readFileSync(values.items!, 'utf8'));
  } catch (e) {
    throw CliError.usage(`--items ${values.items}: ${(e as Error).message}; allowed: a JSON array of objects`);
  }
  if (!Array.isArray(items) || items.some((i) => typeof i !== 'object' || i === null)) {
    throw CliError.usage(`--items ${values.items} is not allowed; allowed: a JSON array of objects`);
  }
  if (manifestUri === undefined) {
    checkItemIds(items, values.items!, values['id-field']);
  }
  const client = factory(values);
  const jobs = await aws(() =>
    client.submitJobs({ runId: values['run-id']!, items, idField: values['id-field'], stages, manifestUri }),
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
  const field = idField ?? DEFAULT_ID_FIELD;
  const seen = new Set<unknown>();
  for (const [i, item] of items.entries()) {
    const id = item[field];
    if (typeof id !== 'string' || !BATCH_NAME_PATTERN.test(id)) {
      throw CliError.usage(
        `--items ${file}: item ${i} has ${field} ${JSON.stringify(id ?? null)}${idField ? '' : ' (the default --id-field)'}; ` +
          `allowed: letters, digits, '-' and '_' (one job per item is named after it). Fix: --id-field <the field ` +
          `that identifies each item> (item ${i} has ${Object.keys(item).join(', ') || 'no fields'}), or submit ` +
          `array jobs with --manifest-uri s3://<bucket>/<key> (a copy of ${file} in S3), which need no id`,
      );
    }
    if (seen.has(id)) {
      throw CliError.usage(
        `--items ${file}: item ${i} has ${field} '${id}' again; allowed: one item per id (it names the job). Fix: ` +
          `remove the duplicate, or give --id-field a field that is unique`,
      );
    }
    seen.add(id);
  }
}
