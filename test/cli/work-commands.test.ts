import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { CommandIO } from '../../lib/cli/io';
import { rerunCommand, startCommand } from '../../lib/cli/work-commands';
import { describeExecutionSucceeded } from '../support/sfn-shapes';
import { mockedPipelineClient } from '../support/clients';
import { runMain } from '../support/cli';

const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:Genomics';
const RUN = 'arn:aws:states:us-east-1:123456789012:execution:Genomics:4f1c0e5a9b7d2c3e8f6a1b0c9d8e7f6a5b4c3d2e';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CommandIO = { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false };
  return { io: value, out, err };
}

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

test('rerun names every failed item with its reason, then the new run', async () => {
  const input = { manifest: { bucket: 'in', key: 'manifests/w48.json', etag: 'e0' } };
  const outcomes = [
    { index: 0, id: 'S0', status: 'SUCCEEDED' },
    {
      index: 1,
      id: 'S1',
      status: 'FAILED',
      error: 'align.OutOfMemory',
      kind: 'OutOfMemory',
      reason: 'ran out of memory at 61440 MiB',
    },
    {
      index: 2,
      status: 'FAILED',
      error: 'Item.Invalid',
      kind: 'InvalidItem',
      reason: 'item 2 lacks or mistypes a value its steps read (they need the string fields sampleId)',
    },
  ];
  // The run exists; the rerun's own execution does not yet (start looks before it starts).
  sfnMock
    .on(DescribeExecutionCommand)
    .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
  sfnMock
    .on(DescribeExecutionCommand, { executionArn: RUN })
    .resolves(
      describeExecutionSucceeded({ executionArn: RUN, input, output: { ...input, samplesOutcomes: outcomes } }),
    );
  s3Mock.on(GetObjectCommand).resolves({
    Body: { transformToString: async () => JSON.stringify([{ sampleId: 'S0' }, { sampleId: 'S1' }, {}]) },
  } as never);
  s3Mock.on(PutObjectCommand).resolves({ ETag: '"e1"' });
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:rerun' });
  const t = io();
  expect(await rerunCommand(['--execution-arn', RUN], t.io, factory)).toBe(0);
  expect(t.out).toEqual([
    '4f1c0e5a9b7d2c3e8f6a1b0c9d8e7f6a5b4c3d2e SUCCEEDED: 2 item(s) did not succeed (outcomes: the execution output (samplesOutcomes))',
    '  S1 (#1) align.OutOfMemory: ran out of memory at 61440 MiB',
    'not rerun, fix these in s3://in/manifests/w48.json first:',
    '  item 2 (#2) Item.Invalid: item 2 lacks or mistypes a value its steps read (they need the string fields sampleId)',
    'rerunning 1 item(s) from s3://in/manifests/w48.rerun-4f1c0e5a9b7d2c3e8f6a1b0c9d8e7f6a5b4c3d2e.json',
    expect.stringMatching(/^started [0-9a-f]{40}: arn:rerun$/),
  ]);
});

describe('submit names its own flags when items lack an id', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bp-submit-'));
  const photos = join(dir, 'photos.json');
  writeFileSync(photos, JSON.stringify([{ photoId: 'p0', key: 'originals/p0.jpg' }]));
  const args = ['submit', '--queue', 'q', '--stage', 'resize=thumbs', '--items', photos, '--run-id', 'r1'];

  test('items keyed other than sampleId: the fix names --id-field with the fields the item has, and --manifest-uri', async () => {
    const r = await runMain(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `batch-pipelines submit: --items ${photos}: item 0 has sampleId null (the default --id-field); allowed: letters, ` +
        "digits, '-' and '_' (one job per item is named after it). Fix: --id-field <the field that identifies each " +
        'item> (item 0 has photoId, key), or submit array jobs with --manifest-uri s3://<bucket>/<key> (a copy of ' +
        `${photos} in S3), which need no id`,
    );
  });

  test('the fix it names works: --id-field photoId passes the check (and reaches AWS)', async () => {
    const r = await runMain([...args, '--id-field', 'photoId', '--endpoint', 'http://127.0.0.1:9', '--json']);
    expect(JSON.parse(r.stdout).error.kind).toBe('aws');
  });
});
