import { JobDetail } from '@aws-sdk/client-batch';
import { definitionName, itemOfJob, jobKey, stagesOf, stagesToRun } from '../../../lib/client/jobs/rerun-plan';

const OFFSET = 'BATCH_PIPELINES_OFFSET';
/** Only the JobDetail fields the planner reads (names as in the DescribeJobs response syntax). */
const job = (over: Partial<JobDetail>): JobDetail =>
  ({
    jobId: 'j',
    jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/standard',
    status: 'FAILED',
    ...over,
  }) as JobDetail;

describe('jobKey reads what a job was named after', () => {
  test('array chunk: <run>-<stage>-<chunk>, the stage may contain dashes', () => {
    const j = job({ jobName: 'w48-call-variants-2', container: { environment: [{ name: OFFSET, value: '20000' }] } });
    expect(jobKey('w48', j, OFFSET)).toEqual({ stage: 'call-variants', chunk: 2 });
  });

  test('one job per item: the id is the parameter value the name ends with, dashes and all', () => {
    const j = job({ jobName: 'w48-align-NA-128-78', parameters: { sampleId: 'NA-128-78', inputUri: 's3://in/x' } });
    expect(jobKey('w48', j, OFFSET)).toEqual({ stage: 'align', idField: 'sampleId', id: 'NA-128-78' });
  });

  test('the longest matching value wins (a stage-like suffix of an id is not the id)', () => {
    const j = job({ jobName: 'w48-qc-lane-7', parameters: { sampleId: 'lane-7', lane: '7' } });
    expect(jobKey('w48', j, OFFSET)).toMatchObject({ stage: 'qc', id: 'lane-7' });
  });

  test("another run's job, or a name of another shape, is not read", () => {
    expect(jobKey('w48', job({ jobName: 'w49-align-S1', parameters: { sampleId: 'S1' } }), OFFSET)).toBeUndefined();
    expect(jobKey('w48', job({ jobName: 'w48-align', parameters: {} }), OFFSET)).toBeUndefined();
  });
});

test('stages come in the order they were submitted, each with its latest job definition revision', () => {
  const jobs = [
    job({
      jobName: 'r-qc-0',
      createdAt: 30,
      jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/qc:4',
    }),
    job({
      jobName: 'r-align-0',
      createdAt: 10,
      jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/align:7',
    }),
    job({
      jobName: 'r-align-1',
      createdAt: 12,
      jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/align:7',
    }),
  ].map((j) => ({ ...j, container: { environment: [{ name: OFFSET, value: '0' }] } }));
  expect(stagesOf('r', jobs, OFFSET)).toEqual([
    { name: 'align', jobDefinition: 'align', jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/standard' },
    { name: 'qc', jobDefinition: 'qc', jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/standard' },
  ]);
});

test.each([
  ['arn:aws:batch:us-east-1:123456789012:job-definition/genomics-align:12', 'genomics-align'],
  ['genomics-align:3', 'genomics-align'],
  ['genomics-align', 'genomics-align'],
])('definitionName(%p) is %p (SubmitJob then uses the latest active revision)', (given, name) => {
  expect(definitionName(given)).toBe(name);
});

describe('itemOfJob: the item a failed job ran', () => {
  test("is its parameters, without the workflow's marker, so a rerun by run id is notified like any job", () => {
    const j = job({
      parameters: { sampleId: 'S1', inputUri: 's3://in/S1', BatchPipelinesWorkflow: 'Genomics/Workflow' },
    });
    expect(itemOfJob(j)).toEqual({ sampleId: 'S1', inputUri: 's3://in/S1' });
    expect(itemOfJob(job({}))).toEqual({});
  });
});

describe('stagesToRun: a rerun of one job per item reuses the stages that succeeded', () => {
  const stages = [
    { name: 'align', jobDefinition: 'Align', jobQueue: 'standard' },
    { name: 'call', jobDefinition: 'Call', jobQueue: 'standard' },
  ];
  const item = { sampleId: 'S1', inputUri: 's3://in/S1.fq' };
  /** The run's align job of S1 as DescribeJobs returns it (jobDefinition is the ARN with its revision). */
  const align = (over: Partial<JobDetail> = {}) =>
    job({
      jobName: 'w48-align-S1',
      status: 'SUCCEEDED',
      jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/Align:3',
      parameters: item,
      ...over,
    });
  const plan = (found: JobDetail | undefined, latestAlign = 3) =>
    stagesToRun(
      stages,
      [{ id: 'S1', item, failedStage: 'call' }],
      (stage) => (stage === 'align' ? found : undefined),
      new Map([
        ['Align', latestAlign],
        ['Call', 7],
      ]),
    );

  test('align succeeded with the revision the rerun would run: only call is submitted', () => {
    const { startOf, counts } = plan(align());
    expect(startOf.get('S1')).toBe(1);
    expect(counts).toEqual([
      { stage: 'align', run: 0, reused: 1, forgotten: 0 },
      { stage: 'call', run: 1, reused: 0, forgotten: 0 },
    ]);
  });

  test('a revision registered since (a fix) runs align again, and call after it', () => {
    expect(plan(align(), 4).startOf.get('S1')).toBe(0);
  });

  test('other parameters, or a failed align, run align again', () => {
    expect(plan(align({ parameters: { ...item, inputUri: 's3://in/other.fq' } })).startOf.get('S1')).toBe(0);
    expect(plan(align({ status: 'FAILED' })).startOf.get('S1')).toBe(0);
  });

  test('a job Batch no longer lists runs again, and is counted as forgotten', () => {
    const { startOf, counts } = plan(undefined);
    expect(startOf.get('S1')).toBe(0);
    expect(counts[0]).toEqual({ stage: 'align', run: 1, reused: 0, forgotten: 1 });
  });
});
