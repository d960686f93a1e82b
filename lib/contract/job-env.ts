/**
 * What a job's container and Batch's records carry for a run: the environment variables containers read, and the tags
 * jobs are submitted with. Both the workflow (at synth) and the client (`submit`, `watch`, `rerun`) write them; the
 * client and containers read them. No aws-cdk-lib and no AWS SDK here.
 */

/**
 * Environment variables an array child reads to find its item in the manifest (runs submitted with
 * `batch-pipelines submit --manifest-uri`).
 */
export const ITEM_ENV = {
  /** Where the manifest (a JSON array of items) is. */
  manifest: 'BATCH_PIPELINES_MANIFEST',
  /** Index of this array job's first item in the manifest; the child's item is offset + AWS_BATCH_JOB_ARRAY_INDEX. */
  offset: 'BATCH_PIPELINES_OFFSET',
  /**
   * The manifest's ETag when the run was submitted (when the submitter could read it): a child can read the manifest
   * with `If-Match` so a manifest changed since fails loudly instead of giving it another item, and a rerun of the
   * run does.
   */
  etag: 'BATCH_PIPELINES_MANIFEST_ETAG',
} as const;

/** The environment variable a step with a checkpoint location gets: `s3://<bucket>/<prefix><item id>/<step>/`. */
export const CHECKPOINT_ENV = 'CHECKPOINT_URI';

/**
 * The environment variable a step after a fan-out whose outcomes are in S3 gets: the S3 URI of the Map Run's result
 * manifest, `<FAN-OUT>_RESULTS` (`ALIGN_RESULTS` for fan-out `align`).
 */
export function resultsEnvName(fanOutName: string): string {
  return `${fanOutName.toUpperCase()}_RESULTS`;
}

/**
 * The tag every job of a run carries (the client's and the workflow's), with the run id as value. Job names only start
 * with the run id, and run ids may contain '-': the name prefix `run1-*` also matches run `run1-b`. The tag tells them
 * apart, and propagates to the jobs' ECS tasks for cost allocation per run.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/tag-resources.html
 */
export const RUN_TAG = 'batch-pipelines:run';

/**
 * The job parameter every job a workflow submits carries (its construct path as value): `PipelineMonitoring`'s
 * failed-job rule matches only events without it, so a workflow's jobs are left to the run's message and the
 * notifier is not even started for them. A parameter because the "Batch Job State Change" event's detail is the
 * job's JobDetail, whose `parameters` holds what SubmitJob passed; a job command that does not use `Ref::` of it is
 * not changed by it.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html (parameters)
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html (parameters)
 */
export const WORKFLOW_JOB_PARAMETER = 'BatchPipelinesWorkflow';
