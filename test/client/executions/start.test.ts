import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { runNameFor } from '../../../lib/contract/run-names';
import { mockedPipelineClient } from '../../support/clients';

const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);

const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:Genomics';
const client = mockedPipelineClient;

beforeEach(() => {
  sfnMock.reset();
  s3Mock.reset();
});

describe('startExecution', () => {
  test('names the execution after bucket, key and ETag (as the manifest trigger does) and passes the ETag', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ETag: '"9b2cf535f27731c974343645a3985328"' });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date(0) });
    const out = await client().startExecution(SM, { bucket: 'in', key: 'manifests/batch-42.json' });
    const manifest = { bucket: 'in', key: 'manifests/batch-42.json', etag: '9b2cf535f27731c974343645a3985328' };
    expect(out).toMatchObject({ executionArn: 'arn:exec', name: runNameFor(manifest), alreadyStarted: false });
    expect(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input).toEqual({
      stateMachineArn: SM,
      name: runNameFor(manifest),
      input: JSON.stringify({ manifest }),
    });
  });

  test('the same key in another bucket, or a key differing only in / and ., gets another name', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
    const names = [];
    for (const m of [
      { bucket: 'in', key: 'manifests/batch-ok.json' },
      { bucket: 'in', key: 'manifests-batch-ok.json' },
      { bucket: 'other', key: 'manifests/batch-ok.json' },
    ]) {
      names.push((await client().startExecution(SM, m, { etag: 'same' })).name);
    }
    expect(new Set(names).size).toBe(3);
  });

  test('a manifest that already ran is reported as started, with its execution and status, not as an error', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', startDate: new Date(0) });
    const out = await client().startExecution(SM, { bucket: 'in', key: 'k.json' }, { etag: 'e' });
    expect(out).toMatchObject({ alreadyStarted: true, status: 'SUCCEEDED' });
    expect(out.executionArn).toBe(`arn:aws:states:us-east-1:123456789012:execution:Genomics:${out.name}`);
  });

  test('a server error is retried', async () => {
    // The reported failure: an HTML 500 page, which the SDK fails to parse as JSON.
    const html = Object.assign(new SyntaxError('Unexpected token \'<\', "<html>" is not valid JSON'), {
      $response: { statusCode: 500 },
    });
    sfnMock.on(StartExecutionCommand).rejectsOnce(html).resolves({ executionArn: 'arn:exec' });
    const out = await client().startExecution(SM, { bucket: 'in', key: 'k.json' }, { etag: 'e' });
    expect(out.executionArn).toBe('arn:exec');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });
});
