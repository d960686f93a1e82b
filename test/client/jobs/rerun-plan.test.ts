import { JobDetail } from '@aws-sdk/client-batch';
import { definitionName, itemOfJob, jobKey, stagesOf } from '../../../lib/client/jobs/rerun-plan';

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
