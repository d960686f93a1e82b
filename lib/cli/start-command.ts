import { aws, COMMON_HELP, COMMON_OPTIONS, defaultClientFactory, parseFlags, required } from './common';
import { CliError } from './errors';
import { CommandIO, ExitCode } from './io';
import { StartedExecution } from '../client/executions/start';

export const START_HELP = `Usage: batch-pipelines start --state-machine-arn ARN --bucket B --key K [options]

Starts a workflow execution over a manifest already in S3 ({"manifest": {"bucket", "key", "etag"}}, the input the
ManifestTrigger gives). The execution is named as the trigger names it, after the manifest's bucket, key and ETag:
starting a manifest that already ran (or that the trigger started) starts nothing and says so; a new upload of the
key runs again.

  --state-machine-arn ARN  the workflow
  --bucket B --key K       the manifest
  --name N                 name the execution yourself (to run the same manifest again)
  --no-cache               read no step-cache record: every step runs (and records its result); with a manifest
                           that already ran, give --name too
${COMMON_HELP}

Exit codes: 0 started (or already started); 1 AWS error; 2 invalid arguments.
`;

/** Step Functions execution names (ASCII letters, digits, '-' and '_' keep them usable in CloudWatch Logs). */
const EXECUTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

export async function startCommand(args: string[], io: CommandIO, factory = defaultClientFactory): Promise<number> {
  const { values } = parseFlags('start', {
    args,
    options: {
      ...COMMON_OPTIONS,
      'state-machine-arn': { type: 'string' },
      bucket: { type: 'string' },
      key: { type: 'string' },
      name: { type: 'string' },
      'no-cache': { type: 'boolean' },
    },
  });
  if (values.help) {
    io.out(START_HELP);
    return ExitCode.OK;
  }
  required(values, ['state-machine-arn', 'bucket', 'key'], 'batch-pipelines start --help');
  if (values.name !== undefined && !EXECUTION_NAME_PATTERN.test(values.name)) {
    throw CliError.usage(
      `--name '${values.name}' is not allowed; allowed: 1 to 80 letters, digits, '-' and '_'. Fix: e.g. --name week-48-again`,
    );
  }
  const client = factory(values);
  const out = await aws(() =>
    client.startExecution(
      values['state-machine-arn']!,
      { bucket: values.bucket!, key: values.key! },
      { name: values.name, noCache: values['no-cache'] },
    ),
  );
  io.out(values.json ? JSON.stringify(out) : describeStart(out));
  return ExitCode.OK;
}

/** A started execution in words, or one that already ran and how to run it again. */
export function describeStart(out: StartedExecution): string {
  return out.alreadyStarted
    ? `already started: s3://${out.manifest.bucket}/${out.manifest.key} (ETag ${out.manifest.etag}) ran as ${out.name}, ` +
        `${out.status}: ${out.executionArn}. To run it again, pass --name`
    : `started ${out.name}: ${out.executionArn}`;
}
