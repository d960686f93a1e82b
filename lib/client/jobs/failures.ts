import type { JobDetail } from '@aws-sdk/client-batch';
import { childIds, describeJobs } from './describe';
import { ITEM_ENV } from '../../contract/job-env';
import { AwsCalls } from '../aws-calls';

/** What failed in a run of jobs, and why, as Batch recorded it. */

/**
 * A job (or an array job's child) that failed, as `watch` reports it.
 * @jsii ignore
 */
export interface JobFailure {
  /** Its id (`<parent id>:<index>` for a child). */
  readonly jobId: string;
  /** Its name (a child has its parent's). */
  readonly jobName: string;
  /** Its index in its array job. */
  readonly arrayIndex?: number;
  /** Its item in the manifest (`BATCH_PIPELINES_OFFSET` + index), for jobs `submit --manifest-uri` created. */
  readonly itemIndex?: number;
  /** Batch's status reason, e.g. `Essential container in task exited`. */
  readonly statusReason?: string;
  /** The container's exit code. */
  readonly exitCode?: number;
  /** The container's reason, e.g. `OutOfMemoryError: Container killed due to memory usage`. */
  readonly containerReason?: string;
  /** Its CloudWatch Logs stream. */
  readonly logStreamName?: string;
}

/**
 * Every failed job among `jobIds`, array jobs by their failed children (ListJobs by `arrayJobId` and status, then
 * DescribeJobs 100 at a time), each with its reason, exit code and log stream.
 */
export async function jobFailures(aws: AwsCalls, jobIds: string[]): Promise<JobFailure[]> {
  const out: JobFailure[] = [];
  for (const job of await describeJobs(aws, jobIds)) {
    if (job.status !== 'FAILED') {
      continue;
    }
    const offset = Number(job.container?.environment?.find((e) => e.name === ITEM_ENV.offset)?.value ?? Number.NaN);
    if (!job.arrayProperties?.size) {
      // A one-item chunk of an array run is a plain job at its offset.
      out.push(Number.isFinite(offset) ? { ...failureOf(job), itemIndex: offset } : failureOf(job));
      continue;
    }
    const children = await childIds(aws, job.jobId!, ['FAILED']);
    for (const child of children.length ? await describeJobs(aws, children) : []) {
      const failure = failureOf(child);
      out.push(
        Number.isFinite(offset) && failure.arrayIndex !== undefined
          ? { ...failure, itemIndex: offset + failure.arrayIndex }
          : failure,
      );
    }
  }
  return out;
}

/** What `watch` reports of a failed job or child. */
function failureOf(job: JobDetail): JobFailure {
  return {
    jobId: job.jobId!,
    jobName: job.jobName!,
    arrayIndex: job.arrayProperties?.index,
    statusReason: job.statusReason,
    exitCode: job.container?.exitCode,
    containerReason: job.container?.reason,
    logStreamName: job.container?.logStreamName,
  };
}
