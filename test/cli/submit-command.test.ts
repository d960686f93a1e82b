import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BatchClient, ListJobsCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { submitCommand } from '../../lib/cli/submit-command';
import { capturedIO } from '../support/cli';
import { mockedPipelineClient } from '../support/clients';
import { runMain } from '../support/cli';

const batchMock = mockClient(BatchClient);
beforeEach(() => batchMock.reset());

const io = capturedIO;

describe('submit names its own flags when items lack an id', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bp-submit-'));
  const photos = join(dir, 'photos.json');
  writeFileSync(photos, JSON.stringify([{ photoId: 'p0', key: 'originals/p0.jpg' }]));
  const args = ['submit', '--queue', 'q', '--stage', 'resize=thumbs', '--items', photos, '--run-id', 'r1'];

  test('items keyed other than id (the default): the fix names --id-field with the fields the item has, and --manifest-uri', async () => {
    const r = await runMain(args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `batch-pipelines submit: --items ${photos}: item 0 has id null (the default --id-field); allowed: letters, ` +
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

test('--id-field defaults to id: each item is one job named after its id field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bp-submit-'));
  const file = join(dir, 'photos.json');
  writeFileSync(file, JSON.stringify([{ id: 'p0', key: 'originals/p0.jpg' }]));
  batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
  batchMock.on(SubmitJobCommand).resolves({ jobId: 'job-1', jobName: 'r1-resize-p0' });
  const t = io();
  const args = ['--queue', 'q', '--stage', 'resize=thumbs', '--items', file, '--run-id', 'r1'];
  expect(await submitCommand(args, t.io, mockedPipelineClient)).toBe(0);
  expect(batchMock.commandCalls(SubmitJobCommand)[0].args[0].input).toMatchObject({
    jobName: 'r1-resize-p0',
    parameters: { id: 'p0', key: 'originals/p0.jpg' },
  });
  expect(t.out).toEqual(['submitted r1-resize-p0 job-1 (item 0)', '1 submitted, 0 already there']);
});

describe('a --manifest-uri that is not s3://bucket/key is a usage error, before any AWS call', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bp-submit-'));
  const file = join(dir, 'items.json');
  writeFileSync(file, JSON.stringify([{ id: 'p0' }]));
  const args = (uri: string) => [
    'submit',
    '--queue',
    'q',
    '--stage',
    'resize=thumbs',
    '--items',
    file,
    '--run-id',
    'r1',
    '--manifest-uri',
    uri,
  ];

  test.each(['photos/manifests/r1.json', 'https://photos.s3.amazonaws.com/r1.json', 's3://photos', 's3://photos/'])(
    '%s: exit 2, naming the flag, the value, what is allowed and the fix',
    async (uri) => {
      const r = await runMain(args(uri));
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `batch-pipelines submit: --manifest-uri '${uri}' is not allowed; allowed: an S3 object URI, ` +
          `s3://<bucket>/<key>. Fix: upload ${file} to S3 and pass its URI, e.g. --manifest-uri ` +
          's3://my-bucket/manifests/r1.json',
      );
    },
  );

  test('--json: the error record says usage, exit code 2', async () => {
    const r = await runMain([...args('photos/r1.json'), '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        command: 'submit',
        kind: 'usage',
        message: `--manifest-uri 'photos/r1.json' is not allowed; allowed: an S3 object URI, s3://<bucket>/<key>`,
        fix: `upload ${file} to S3 and pass its URI, e.g. --manifest-uri s3://my-bucket/manifests/r1.json`,
        exitCode: 2,
      },
    });
  });
});
