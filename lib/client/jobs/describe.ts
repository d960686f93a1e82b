import type { JobDetail, JobStatus } from '@aws-sdk/client-batch';
import { RUN_TAG } from '../../contract/job-env';
import { DESCRIBE_JOBS_PER_CALL } from '../../private/limits';
import { AwsCalls } from '../aws-calls';

/** Finding a run's jobs and what Batch knows of them (ListJobs, DescribeJobs). */

/**
 * A job of a run, as Batch lists it.
 * @jsii ignore
 */
export interface RunJob {
  /** Batch's job id. */
  readonly jobId: string;
  /** Its name, `<run>-<stage>-<chunk or item id>`. */
  readonly jobName: string;
  /** Its status when listed. */
  readonly status?: string;
}

/** Describes jobs, `DESCRIBE_JOBS_PER_CALL` ids a call. */
export async function describeJobs(aws: AwsCalls, jobIds: string[]): Promise<JobDetail[]> {
  const out: JobDetail[] = [];
  for (let i = 0; i < jobIds.length; i += DESCRIBE_JOBS_PER_CALL) {
    const page = await aws.call(() =>
      aws.batch.send(new aws.sdk.batch.DescribeJobsCommand({ jobs: jobIds.slice(i, i + DESCRIBE_JOBS_PER_CALL) })),
    );
    out.push(...(page.jobs ?? []));
  }
  return out;
}

/**
 * The jobs of a run on a queue, any status: named `<runId>-…` and tagged with the run (`RUN_TAG`). Jobs submitted
 * without the tag (before this version) are not found.
 */
export async function listRunJobs(aws: AwsCalls, jobQueue: string, runId: string): Promise<RunJob[]> {
  const named = await aws.all(
    (nextToken) =>
      aws.batch.send(
        new aws.sdk.batch.ListJobsCommand({
          jobQueue,
          filters: [{ name: 'JOB_NAME', values: [`${runId}-*`] }],
          nextToken,
        }),
      ),
    (page) => page.jobSummaryList,
  );
  // The name filter is a prefix: run `run1` would also find run `run1-b`. The run tag decides.
  const ofRun = new Set(
    (
      await describeJobs(
        aws,
        named.map((j) => j.jobId!),
      )
    )
      .filter((d) => d.tags?.[RUN_TAG] === runId)
      .map((d) => d.jobId),
  );
  return named
    .filter((j) => ofRun.has(j.jobId))
    .map((j) => ({ jobId: j.jobId!, jobName: j.jobName!, status: j.status }));
}

/** The ids of an array job's children of the given statuses (ListJobs by `arrayJobId`, paged). */
export async function childIds(aws: AwsCalls, arrayJobId: string, statuses: JobStatus[]): Promise<string[]> {
  const ids: string[] = [];
  for (const jobStatus of statuses) {
    const children = await aws.all(
      (nextToken) => aws.batch.send(new aws.sdk.batch.ListJobsCommand({ arrayJobId, jobStatus, nextToken })),
      (page) => page.jobSummaryList,
    );
    ids.push(...children.map((c) => c.jobId!));
  }
  return ids;
}

/**
 * The run a job belongs to: its queue (by name) and run id (its `RUN_TAG`).
 * @jsii ignore
 */
export interface JobRun {
  /** The queue's name. */
  readonly jobQueue: string;
  /** The run id, when the job carries the run tag (jobs `submitJobs` submitted do). */
  readonly runId?: string;
}

/** The run of a job, from its description; undefined when Batch does not know the job. */
export async function jobRunOf(aws: AwsCalls, jobId: string): Promise<JobRun | undefined> {
  const [job] = await describeJobs(aws, [jobId]);
  return job && { jobQueue: job.jobQueue?.split('/').pop() ?? '', runId: job.tags?.[RUN_TAG] };
}
