import { parseArgs, ParseArgsConfig } from 'util';
import { BatchClient } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SFNClient } from '@aws-sdk/client-sfn';
import { describeAwsError } from './aws-errors';
import { CliError } from './errors';
import { flagError } from './flag-errors';
import { PipelineClientError } from '../client/errors';
import { PipelineClient } from '../client/pipeline-client';
import { PipelineErrors } from '../core/validation-error';

/** Flags every command that calls AWS takes. */
export const COMMON_OPTIONS = {
  region: { type: 'string' },
  profile: { type: 'string' },
  endpoint: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The flags that name a run: a workflow run (`--execution-arn`), or a run of jobs (`--queue --run-id`). */
export const RUN_OPTIONS = {
  'execution-arn': { type: 'string' },
  queue: { type: 'string' },
  'run-id': { type: 'string' },
} as const;

export const COMMON_HELP = `AWS:
  --region R               region (default: the AWS SDK configuration chain, e.g. AWS_REGION)
  --profile P              profile (default: AWS_PROFILE or default)
  --endpoint URL           a different Batch/Step Functions endpoint (a local test server)
Output:
  --json                   machine-readable output
  -h, --help               this help`;

/** A client configured from the common flags; tests may inject one. */
export type ClientFactory = (flags: { region?: string; profile?: string; endpoint?: string }) => PipelineClient;

export const defaultClientFactory: ClientFactory = (flags) => {
  if (flags.profile) {
    process.env.AWS_PROFILE = flags.profile;
  }
  // The PipelineClient retries throttling itself; one SDK attempt each keeps the two from multiplying.
  const config = { region: flags.region, endpoint: flags.endpoint, maxAttempts: 1 };
  // A local endpoint (moto, LocalStack) serves buckets at its own path, not as <bucket>.<host>: given as --endpoint or
  // in the SDK's endpoint variables (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
  return new PipelineClient({
    batch: new BatchClient(config),
    sfn: new SFNClient(config),
    s3: new S3Client({ ...config, forcePathStyle: flags.endpoint !== undefined || endpointFromEnvironment() }),
    serviceQuotas: new ServiceQuotasClient(config),
    logs: new CloudWatchLogsClient(config),
  });
};

/** Whether the environment points the SDK's S3 client at another endpoint (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL). */
function endpointFromEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') {
    return false;
  }
  return Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
}

/**
 * The flags of `command`: whatever `parseArgs` refuses (an unknown flag, a missing value) is a usage error in the
 * command's terms, an unknown flag listing the flags it takes and the one probably meant.
 */
export function parseFlags<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw flagError(command, config.options ?? {}, e as Error);
  }
}

export function required(values: Record<string, unknown>, names: string[], help: string): void {
  for (const n of names) {
    if (values[n] === undefined) {
      throw CliError.usage(`--${n} is required; see ${help}`);
    }
  }
}

/**
 * The client's errors in the CLI's kinds: a request it will not send or a run in the wrong state is a usage error
 * (exit 2: the arguments name the wrong thing or the wrong time), what it cannot read is a runtime error, and
 * anything else came from AWS, in one line with the fix.
 */
export async function aws<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (PipelineErrors.isClientError(e)) {
      const error = e as PipelineClientError;
      throw new CliError(error.kind === 'data' ? 'runtime' : 'usage', error.message);
    }
    throw new CliError('aws', describeAwsError(e));
  }
}
