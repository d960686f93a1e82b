import { BatchClient, ListJobsCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { ITEM_ENV, PipelineErrors } from '../../../lib';
import { RUN_TAG } from '../../../lib/contract/job-env';
import { clockedClient as client } from '../clocked-client';

const batchMock = mockClient(BatchClient);

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ sampleId: `S${i}` }));
const stages = [
  { name: 'align', jobDefinition: 'align', jobQueue: 'standard' },
  { name: 'call', jobDefinition: 'call', jobQueue: 'standard' },
];

beforeEach(() => {
  batchMock.reset();
  batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
  let n = 0;
  batchMock.on(SubmitJobCommand).callsFake(async (input) => ({ jobId: `id-${++n}`, jobName: input.jobName }));
});

describe('submitJobs', () => {
  test('array jobs: one per stage, children find items through the manifest, stages chained N_TO_N', async () => {
    const { c } = client();
    const jobs = await c.submitJobs({
      runId: 'run1',
      items: items(500),
      stages,
      manifestUri: 's3://in/manifests/run1.json',
    });
    const calls = batchMock.commandCalls(SubmitJobCommand).map((x) => x.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({
      jobName: 'run1-align-0',
      jobQueue: 'standard',
      jobDefinition: 'align',
      arrayProperties: { size: 500 },
      containerOverrides: {
        environment: [
          { name: ITEM_ENV.manifest, value: 's3://in/manifests/run1.json' },
          { name: ITEM_ENV.offset, value: '0' },
        ],
      },
    });
    expect(calls[0].dependsOn).toBeUndefined();
    expect(calls[1]).toMatchObject({ jobName: 'run1-call-0', dependsOn: [{ jobId: 'id-1', type: 'N_TO_N' }] });
    expect(jobs.map((j) => [j.jobName, j.arraySize, j.submitted])).toEqual([
      ['run1-align-0', 500, true],
      ['run1-call-0', 500, true],
    ]);
  });

  test('10,001 items make 2 jobs per stage: an array of 10,000 and the last item at offset 10,000', async () => {
    const { c } = client();
    await c.submitJobs({ runId: 'big', items: items(10_001), stages: [stages[0]], manifestUri: 's3://in/m.json' });
    const calls = batchMock.commandCalls(SubmitJobCommand).map((x) => x.args[0].input);
    expect(calls.map((x) => x.arrayProperties?.size)).toEqual([10_000, undefined]);
    expect(calls[1].containerOverrides!.environment).toContainEqual({ name: ITEM_ENV.offset, value: '10000' });
  });

  test('one job per item passes the item as parameters and names the job after it', async () => {
    const { c } = client();
    await c.submitJobs({
      runId: 'r',
      items: [{ sampleId: 'NA12878', inputUri: 's3://in/NA12878.fq' }],
      idField: 'sampleId',
      stages,
    });
    const calls = batchMock.commandCalls(SubmitJobCommand).map((x) => x.args[0].input);
    expect(calls[0]).toMatchObject({
      jobName: 'r-align-NA12878',
      parameters: { sampleId: 'NA12878', inputUri: 's3://in/NA12878.fq' },
    });
    expect(calls[1]).toMatchObject({ jobName: 'r-call-NA12878', dependsOn: [{ jobId: 'id-1' }] });
  });

  test('a retried submit reuses the jobs that already exist and submits only the rest', async () => {
    batchMock.on(ListJobsCommand, { filters: [{ name: 'JOB_NAME', values: ['run1-align-0'] }] }).resolves({
      jobSummaryList: [{ jobId: 'existing-1', jobName: 'run1-align-0', status: 'RUNNING', createdAt: 1 }],
    });
    const { c } = client();
    const jobs = await c.submitJobs({ runId: 'run1', items: items(10), stages, manifestUri: 's3://in/m.json' });
    expect(jobs.map((j) => [j.jobName, j.jobId, j.submitted])).toEqual([
      ['run1-align-0', 'existing-1', false],
      ['run1-call-0', 'id-1', true],
    ]);
    expect(batchMock.commandCalls(SubmitJobCommand)).toHaveLength(1);
    expect(batchMock.commandCalls(SubmitJobCommand)[0].args[0].input.dependsOn).toEqual([
      { jobId: 'existing-1', type: 'N_TO_N' },
    ]);
  });

  test('throttling backs off exponentially and the job is submitted once', async () => {
    const throttle = Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException' });
    batchMock.on(SubmitJobCommand).rejectsOnce(throttle).rejectsOnce(throttle).resolves({ jobId: 'ok', jobName: 'x' });
    const { c, sleeps } = client();
    const jobs = await c.submitJobs({
      runId: 'r',
      items: [{ sampleId: 'A' }],
      idField: 'sampleId',
      stages: [stages[0]],
    });
    expect(jobs[0].jobId).toBe('ok');
    expect(batchMock.commandCalls(SubmitJobCommand)).toHaveLength(3);
    // Backoff windows of 200 ms then 400 ms, each with jitter in its upper half.
    expect(sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(sleeps[0]).toBeLessThan(200);
    expect(sleeps[1]).toBeGreaterThanOrEqual(200);
    expect(sleeps[1]).toBeLessThan(400);
  });

  test('submits at most 50 per second', async () => {
    const { c, now } = client();
    const start = now();
    await c.submitJobs({ runId: 'r', items: items(101), idField: 'sampleId', stages: [stages[0]] });
    // 101 submits at one per 20 ms: the last starts 100 × 20 ms = 2 s after the first.
    expect(now() - start).toBeGreaterThanOrEqual(2000);
  });

  test('bad requests fail before any call', async () => {
    const { c } = client();
    await expect(c.submitJobs({ runId: 'r', items: items(3), stages, arrayJobs: true })).rejects.toThrow(
      'array jobs need manifestUri: where the children read their items (an S3 URI)',
    );
    const badRun = await c.submitJobs({ runId: 'bad run', items: items(1), stages }).catch((e: unknown) => e);
    expect(PipelineErrors.isClientError(badRun)).toBe(true);
    expect(badRun).toMatchObject({ kind: 'input' });
    await expect(
      c.submitJobs({ runId: 'r', items: [{ sampleId: 'a.b' }], idField: 'sampleId', stages }),
    ).rejects.toThrow("item 0: sampleId 'a.b' is not allowed");
    await expect(
      c.submitJobs({ runId: 'r', items: [{ sampleId: 'a' }, { sampleId: 'a' }], idField: 'sampleId', stages }),
    ).rejects.toThrow("item 1: sampleId 'a' appears twice");
    expect(batchMock.commandCalls(SubmitJobCommand)).toHaveLength(0);
  });
});

test('every job a run submits carries the run tag', async () => {
  batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
  batchMock.on(SubmitJobCommand).callsFake((input) => ({ jobId: `${input.jobName}-id` }));
  const { c } = client();
  await c.submitJobs({ runId: 'w48', items: items(2), idField: 'sampleId', stages });
  await c.submitJobs({ runId: 'w48-arrays', items: items(3), stages, arrayJobs: true, manifestUri: 's3://in/m.json' });
  const tags = batchMock.commandCalls(SubmitJobCommand).map((call) => call.args[0].input.tags);
  expect(tags).toEqual([...Array(4).fill({ [RUN_TAG]: 'w48' }), ...Array(2).fill({ [RUN_TAG]: 'w48-arrays' })]);
});

test("without idField, an item is identified by its 'id' field", async () => {
  const { c } = client();
  await c.submitJobs({ runId: 'r', items: [{ id: 'p0', key: 'originals/p0.jpg' }], stages: [stages[0]] });
  expect(batchMock.commandCalls(SubmitJobCommand)[0].args[0].input).toMatchObject({
    jobName: 'r-align-p0',
    parameters: { id: 'p0', key: 'originals/p0.jpg' },
  });
  // An item keyed otherwise is refused before any call, naming the default field.
  await expect(c.submitJobs({ runId: 'r2', items: [{ sampleId: 'S0' }], stages })).rejects.toThrow(
    "item 0: id '' is not allowed",
  );
  expect(batchMock.commandCalls(SubmitJobCommand)).toHaveLength(1);
});
