/** One readable line for an error from AWS, with the fix when it is known. */
export function describeAwsError(e: unknown): string {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const name = err?.name ?? '';
  const message = (err?.message ?? String(e)).split('\n')[0];
  if (name === 'CredentialsProviderError' || /could not load credentials|credential/i.test(message)) {
    return 'no AWS credentials found. Fix: set AWS_PROFILE (or --profile), run `aws configure` or `aws sso login`';
  }
  if (/region is missing/i.test(message)) {
    return 'no AWS region. Fix: pass --region or set AWS_REGION';
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || err?.$metadata?.httpStatusCode === 403) {
    return `access denied: ${message}. Fix: give your identity the permission named above (e.g. batch:SubmitJob on the job definition and queue)`;
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
  if (err?.code === 'ECONNREFUSED' || name === 'TimeoutError') {
    return `cannot reach the endpoint: ${message}. Fix: check --endpoint or your network`;
  }
  return `${name ? `${name}: ` : ''}${message}`;
}
