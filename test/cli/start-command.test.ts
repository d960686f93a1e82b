import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { startCommand } from '../../lib/cli/start-command';
import { capturedIO } from '../support/cli';
import { mockedPipelineClient } from '../support/clients';

const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:Genomics';

const io = capturedIO;

const factory = mockedPipelineClient;

beforeEach(() => {
  sfnMock.reset();
  s3Mock.reset();
});

test('start on a manifest that already ran says so, with its run and how to run it again, and exits 0', async () => {
  sfnMock
    .on(StartExecutionCommand)
    .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
  sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
  s3Mock.on(HeadObjectCommand).resolves({ ETag: '"0f343b0931126a20f133d67c2b018a3b"' });
  const t = io();
  const code = await startCommand(
    ['--state-machine-arn', SM, '--bucket', 'in', '--key', 'manifests/w48.json'],
    t.io,
    factory,
  );
  expect(code).toBe(0);
  // Start looks first: StartExecution of a running execution with the same name and input would succeed silently.
  expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  expect(t.out.join('\n')).toMatch(
    /^already started: s3:\/\/in\/manifests\/w48\.json \(ETag 0f343b0931126a20f133d67c2b018a3b\) ran as [0-9a-f]{40}, SUCCEEDED: .*To run it again, pass --name$/,
  );
});

test('start --name refuses a name Step Functions would refuse, with a valid example', async () => {
  const t = io();
  await expect(
    startCommand(['--state-machine-arn', SM, '--bucket', 'in', '--key', 'k', '--name', 'week 48'], t.io, factory),
  ).rejects.toThrow(
    "--name 'week 48' is not allowed; allowed: 1 to 80 letters, digits, '-' and '_'. Fix: e.g. --name week-48-again",
  );
});
