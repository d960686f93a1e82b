import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { rerunCommand } from '../../lib/cli/rerun-command';
import { describeExecutionSucceeded } from '../support/sfn-shapes';
import { capturedIO } from '../support/cli';
import { mockedPipelineClient } from '../support/clients';

const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
const RUN = 'arn:aws:states:us-east-1:123456789012:execution:Genomics:4f1c0e5a9b7d2c3e8f6a1b0c9d8e7f6a5b4c3d2e';

const io = capturedIO;

const factory = mockedPipelineClient;

beforeEach(() => {
  sfnMock.reset();
  s3Mock.reset();
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
