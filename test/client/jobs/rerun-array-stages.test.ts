import { BatchClient, DescribeJobDefinitionsCommand, JobDetail, ListJobsCommand } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsCalls } from '../../../lib/client/aws-calls';
import { JobFailure } from '../../../lib/client/jobs/failures';
import { reusedArrayStages } from '../../../lib/client/jobs/rerun';
import { mockedPipelineClient } from '../../support/clients';

// An array run of two stages (resize, then tag), chunk 0 of 10 photos: which leading stages a rerun can skip
// (lib/client/jobs/rerun.ts reusedArrayStages).

const batchMock = mockClient(BatchClient);
const OFFSET = 'BATCH_PIPELINES_OFFSET';
const stages = [
  { name: 'resize', jobDefinition: 'Resize', jobQueue: 'standard' },
  { name: 'tag', jobDefinition: 'Tag', jobQueue: 'standard' },
];
/** A parent array job as DescribeJobs returns it (JobDetail: jobDefinition is the ARN with its revision). */
const parent = (stage: string, revision: number): JobDetail =>
  ({
    jobId: `${stage}-parent`,
    jobName: `thumbs-1-${stage}-0`,
    status: 'FAILED',
    jobDefinition: `arn:aws:batch:us-east-1:123456789012:job-definition/${stage === 'resize' ? 'Resize' : 'Tag'}:${revision}`,
    arrayProperties: { size: 10 },
    container: { environment: [{ name: OFFSET, value: '0' }] },
  }) as JobDetail;
/** Children 3 and 7 failed at tag (a child's jobName is its parent's). */
const failed: JobFailure[] = [3, 7].map((i) => ({
  jobId: `tag-parent:${i}`,
  jobName: 'thumbs-1-tag-0',
  arrayIndex: i,
  itemIndex: i,
}));
/**
 * ListJobs of an array job's SUCCEEDED children: JobSummary with arrayProperties.index
 * (https://docs.aws.amazon.com/batch/latest/APIReference/API_JobSummary.html).
 */
const children = (indexes: number[]) => ({
  jobSummaryList: indexes.map((index) => ({
    jobId: `resize-parent:${index}`,
    jobName: 'thumbs-1-resize-0',
    status: 'SUCCEEDED' as const,
    arrayProperties: { index },
  })),
});
const aws = () => (mockedPipelineClient() as unknown as { aws: AwsCalls }).aws;

beforeEach(() => {
  batchMock.reset();
  batchMock.on(DescribeJobDefinitionsCommand, { jobDefinitionName: 'Resize' }).resolves({
    jobDefinitions: [2, 3].map((revision) => ({ jobDefinitionName: 'Resize', revision }) as never),
  });
});

test('the failed items succeeded at resize with its latest revision: the rerun starts at tag', async () => {
  batchMock.on(ListJobsCommand).resolves(children([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const jobs = [parent('resize', 3), parent('tag', 1)];
  expect(await reusedArrayStages(aws(), 'thumbs-1', jobs, stages, failed, [3, 7])).toBe(1);
});

test('one failed item whose resize child did not succeed: every stage runs again', async () => {
  batchMock.on(ListJobsCommand).resolves(children([0, 1, 2, 3, 4, 5, 6, 8, 9]));
  const jobs = [parent('resize', 3), parent('tag', 1)];
  expect(await reusedArrayStages(aws(), 'thumbs-1', jobs, stages, failed, [3, 7])).toBe(0);
});

test('a revision of resize registered since (a fix): resize runs again', async () => {
  batchMock.on(ListJobsCommand).resolves(children([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const jobs = [parent('resize', 2), parent('tag', 1)];
  expect(await reusedArrayStages(aws(), 'thumbs-1', jobs, stages, failed, [3, 7])).toBe(0);
});
