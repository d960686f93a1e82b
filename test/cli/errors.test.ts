import { createServer, Server } from 'net';
import { PipelineClientError } from '../../lib';
import { describeAwsError } from '../../lib/cli/aws-errors';
import { aws } from '../../lib/cli/common';
import { CliError, EXIT_CODE_OF } from '../../lib/cli/errors';
import { runCliAsync, runMain } from '../support/cli';

// Real failures, not fixtures: a port nothing listens on, and a name that cannot resolve (RFC 6761 reserves .invalid).
const creds = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };

/** A port that was free a moment ago: bound, then closed. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a connection refused names the network and --endpoint as the fix; --json makes it a JSON record', async () => {
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  const text = await runCliAsync(['watch', '--job-id', 'j1', '--endpoint', endpoint], creds);
  expect(text.code).toBe(1);
  expect(text.stderr.trim()).toMatch(
    /^batch-pipelines watch: cannot reach AWS: nothing listens at the endpoint: .*ECONNREFUSED.*\. Fix: check your network connection and VPN, the region \(--region or AWS_REGION\) and, if you gave one, --endpoint$/,
  );
  const json = await runCliAsync(['watch', '--job-id', 'j1', '--endpoint', endpoint, '--json'], creds);
  expect(json.code).toBe(1);
  expect(json.stderr).toBe('');
  expect(JSON.parse(json.stdout)).toEqual({
    error: {
      command: 'watch',
      kind: 'aws',
      message: expect.stringMatching(/^cannot reach AWS: nothing listens at the endpoint: /),
      fix: 'check your network connection and VPN, the region (--region or AWS_REGION) and, if you gave one, --endpoint',
      exitCode: 1,
    },
  });
});

test('a name that does not resolve says so, not getaddrinfo alone', async () => {
  const r = await runCliAsync(['watch', '--job-id', 'j1', '--endpoint', 'http://batch.example.invalid'], creds);
  expect(r.code).toBe(1);
  // ENOTFOUND where DNS answers "no such name"; EAI_AGAIN where no DNS server answers (a sandbox).
  expect(r.stderr).toMatch(
    /cannot reach AWS: the (endpoint name does not resolve|DNS lookup of the endpoint failed for now) \(batch\.example\.invalid\)/,
  );
  expect(r.stderr).toContain('Fix: check your network connection');
});

test('usage errors in --json mode are JSON too, exit 2', async () => {
  const r = await runMain(['estimate', '--hours', '4', '--json']);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toMatchObject({
    error: { command: 'estimate', kind: 'usage', message: expect.stringContaining('is required'), exitCode: 2 },
  });
});

describe('credential errors say what to do', () => {
  // Names, messages and status codes: https://docs.aws.amazon.com/awsconsolehelpdocs/latest/gsg/common-errors.html
  test.each([
    ['ExpiredTokenException', 'The security token included in the request is expired', 'run `aws sso login`'],
    [
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
      'check AWS_ACCESS_KEY_ID / AWS_PROFILE',
    ],
    [
      'InvalidClientTokenId',
      'The security token included in the request is invalid.',
      'check AWS_ACCESS_KEY_ID / AWS_PROFILE, or run `aws configure`',
    ],
    ['RequestExpired', 'Request has expired.', "set this machine's clock"],
  ])('%s', (name, message, fix) => {
    const error = Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 } });
    expect(describeAwsError(error)).toContain(`Fix: ${fix}`);
  });
});

test('an expired SSO session says to log in again, not that there are no credentials', () => {
  // The message @aws-sdk/credential-provider-sso throws (dist-cjs/index.js), as a CredentialsProviderError.
  const error = Object.assign(
    new Error(
      'The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login with the corresponding profile.',
    ),
    { name: 'CredentialsProviderError' },
  );
  expect(describeAwsError(error)).toMatch(
    /^your AWS session has expired \(The SSO session .*\)\. Fix: run `aws sso login`$/,
  );
});

test.each([
  // Real S3 answers, 403 each: boto/boto#2144 (SignatureDoesNotMatch), gist ryanmr/57ab14bd87ab4be7079f
  // (RequestTimeTooSkewed); https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (InvalidAccessKeyId).
  [
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided.',
    'check AWS_SECRET_ACCESS_KEY',
  ],
  [
    'RequestTimeTooSkewed',
    'The difference between the request time and the current time is too large.',
    "set this machine's clock",
  ],
  [
    'InvalidAccessKeyId',
    'The AWS Access Key Id you provided does not exist in our records.',
    'check AWS_ACCESS_KEY_ID',
  ],
])('S3 %s (a 403) is a credential problem, not a missing permission', (name, message, fix) => {
  const error = Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 } });
  expect(describeAwsError(error)).toContain(`Fix: ${fix}`);
  expect(describeAwsError(error)).not.toContain('access denied');
});

describe('the CLI maps error kinds to exit codes', () => {
  test.each([
    ['input', 'usage', 2],
    ['state', 'usage', 2],
    ['data', 'runtime', 1],
  ] as const)('a client error of kind %s is a %s error, exit %d', async (kind, cliKind, exitCode) => {
    const error = await aws(() => Promise.reject(new PipelineClientError(kind, 'what went wrong'))).catch((e) => e);
    expect(CliError.isCliError(error)).toBe(true);
    expect(error).toMatchObject({ kind: cliKind, message: 'what went wrong' });
    expect(EXIT_CODE_OF[(error as CliError).kind]).toBe(exitCode);
  });

  test('any other error in an AWS call is an aws error, exit 1, in one line with the fix', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: batch:SubmitJob'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
    });
    const error = await aws(() => Promise.reject(denied)).catch((e) => e);
    expect(error).toMatchObject({ kind: 'aws', message: expect.stringMatching(/^access denied: .*Fix: /) });
    expect(EXIT_CODE_OF.aws).toBe(1);
  });

  test('an unknown flag is a usage error, exit 2', async () => {
    const r = await runMain(['diagnose', '--queue', 'q', '--olderthan', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^batch-pipelines diagnose: unknown flag --olderthan: did you mean --older-than\? /);
  });
});
