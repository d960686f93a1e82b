/**
 * Errors every AWS API can return, with what a person does about each.
 * @see https://docs.aws.amazon.com/awsconsolehelpdocs/latest/gsg/common-errors.html
 */
const CREDENTIAL_ERRORS: Record<string, string> = {
  ExpiredTokenException: 'your AWS session has expired. Fix: run `aws sso login` (or refresh your credentials)',
  ExpiredToken: 'your AWS session has expired. Fix: run `aws sso login` (or refresh your credentials)',
  RequestExpired:
    "the request's time stamp is more than 15 minutes off AWS's clock. Fix: set this machine's clock (e.g. enable NTP)",
  UnrecognizedClientException:
    'AWS does not recognise your access key or session token. Fix: check AWS_ACCESS_KEY_ID / AWS_PROFILE and unset a ' +
    'stale AWS_SESSION_TOKEN, or run `aws configure`',
  InvalidClientTokenId:
    'AWS does not recognise your access key. Fix: check AWS_ACCESS_KEY_ID / AWS_PROFILE, or run `aws configure`',
  InvalidSignatureException:
    "your secret key does not match the access key (or this machine's clock is off). Fix: check AWS_SECRET_ACCESS_KEY " +
    'or the profile, and the clock',
  // S3's names for the same failures, answered with 403 (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
  InvalidAccessKeyId:
    'AWS does not recognise your access key. Fix: check AWS_ACCESS_KEY_ID / AWS_PROFILE, or run `aws configure`',
  SignatureDoesNotMatch:
    "your secret key does not match the access key (or this machine's clock is off). Fix: check AWS_SECRET_ACCESS_KEY " +
    'or the profile, and the clock',
  RequestTimeTooSkewed:
    "the request's time stamp is more than 15 minutes off AWS's clock. Fix: set this machine's clock (e.g. enable NTP)",
  IncompleteSignature:
    "your secret key does not match the access key (or this machine's clock is off). Fix: check AWS_SECRET_ACCESS_KEY " +
    'or the profile, and the clock',
};

/**
 * Network failures by Node's error code: the request never reached AWS.
 * @see https://nodejs.org/api/errors.html#common-system-errors
 * @see https://nodejs.org/api/dns.html#error-codes
 */
const NETWORK_ERRORS: Record<string, string> = {
  ENOTFOUND: 'the endpoint name does not resolve',
  EAI_AGAIN: 'the DNS lookup of the endpoint failed for now',
  ECONNREFUSED: 'nothing listens at the endpoint',
  ECONNRESET: 'the connection was closed mid-request',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the endpoint host is unreachable',
  ENETUNREACH: 'the network is unreachable',
};

/** One readable line for an error from AWS, with the fix when it is known. */
export function describeAwsError(e: unknown): string {
  const err = e as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    code?: string;
    hostname?: string;
  };
  const name = err?.name ?? '';
  const message = (err?.message ?? String(e)).split('\n')[0];
  // The SSO provider reports an expired session as a CredentialsProviderError too: its message decides.
  if (/sso session .* expired|token is expired|token .* expired|refresh failed/i.test(message)) {
    return `your AWS session has expired (${message}). Fix: run \`aws sso login\``;
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return 'no AWS credentials found. Fix: set AWS_PROFILE (or --profile), run `aws configure` or `aws sso login`';
  }
  if (CREDENTIAL_ERRORS[name]) {
    return `${CREDENTIAL_ERRORS[name]} (AWS said: ${name}: ${message})`;
  }
  if (/region is missing/i.test(message)) {
    return 'no AWS region. Fix: pass --region or set AWS_REGION';
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || err?.$metadata?.httpStatusCode === 403) {
    return (
      `access denied: ${message}. Fix: give your identity the permission named above; the library grants what each ` +
      'command needs: Job.grantSubmit and JobQueue.grantOperate (submit, watch, rerun of jobs, cancel, logs of ' +
      'jobs), Workflow.grantStartExecution (start, rerun), ' +
      'Workflow.grantWatch (watch --execution-arn, rerun --dry-run, logs of a workflow run); report needs what logs ' +
      'of the same run needs'
    );
  }
  if (/job ?queue.*(does not exist|not found|invalid)/i.test(message) || /no job queue/i.test(message)) {
    return `queue not found: ${message}. Fix: check --queue (name or ARN) and the region`;
  }
  if (/job ?definition.*(does not exist|not found|inactive)/i.test(message)) {
    return `job definition not found: ${message}. Fix: check --stage name=definition (name, name:revision or ARN)`;
  }
  if (name === 'StateMachineDoesNotExist') {
    return `state machine not found: ${message}. Fix: check --state-machine-arn and the region`;
  }
  if (name === 'ExecutionDoesNotExist') {
    return `execution not found: ${message}. Fix: check --execution-arn and the region`;
  }
  const network = err?.code ? NETWORK_ERRORS[err.code] : undefined;
  if (network || name === 'TimeoutError') {
    const host = err?.hostname ? ` (${err.hostname})` : '';
    return (
      `cannot reach AWS: ${network ?? 'the request timed out'}${host}: ${message}. Fix: check your network ` +
      'connection and VPN, the region (--region or AWS_REGION) and, if you gave one, --endpoint'
    );
  }
  return `${name ? `${name}: ` : ''}${message}`;
}

/** A message's fix (after "Fix: "), for JSON output. */
export function splitFix(message: string): { message: string; fix?: string } {
  const at = message.indexOf('Fix: ');
  if (at < 0) {
    return { message };
  }
  return { message: message.slice(0, at).replace(/[.\s]+$/, ''), fix: message.slice(at + 5) };
}
