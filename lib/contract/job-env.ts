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
 * The tag the jobs a workflow submits carry (its construct path as value): the notifier leaves them to the run's
 * message. A key without '-' or ':', so that a Choice rule can read it as `$.detail.tags.BatchPipelinesWorkflow`.
 */
export const WORKFLOW_TAG = 'BatchPipelinesWorkflow';
