import { createHash } from 'crypto';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { acknowledgeOnGrantee } from './nag';

/**
 * The tag every job of a run carries (the client's and the workflow's), with the run id as value. Job names only start
 * with the run id, and run ids may contain '-': the name prefix `run1-*` also matches run `run1-b`. The tag tells them
 * apart, and propagates to the jobs' ECS tasks for cost allocation per run.
 * https://docs.aws.amazon.com/batch/latest/userguide/tag-resources.html
 */
export const RUN_TAG = 'batch-pipelines:run';

/**
 * The tag the jobs a workflow submits carry (its construct path as value): the notifier leaves them to the run's
 * message. A key without '-' or ':', so that a Choice rule can read it as `$.detail.tags.BatchPipelinesWorkflow`.
 */
export const WORKFLOW_TAG = 'BatchPipelinesWorkflow';

/**
 * The name of the workflow execution over a manifest: the SHA-1 (hex) of `<bucket>/<key>/<etag>`. The manifest
 * trigger computes it in the state machine with `States.Hash` and the command line with Node's crypto, so both
 * derive the same name: Step Functions refuses a second execution of that name (a duplicated event, a retried
 * `start`), while a new upload of the key with other content (another ETag) runs. 40 characters: within Step
 * Functions' 80 and leaving room in the Batch job names `<run>-<step>-<index>` (128).
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html (States.Hash: hex digest, input up to 10,000 characters)
 */
export function runNameFor(manifest: { bucket: string; key: string; etag: string }): string {
  return createHash('sha1').update(runNameSource(manifest)).digest('hex');
}

/** What is hashed. The ETag without the quotes S3's HeadObject and PutObject put around it (events carry none). */
export function runNameSource(manifest: { bucket: string; key: string; etag: string }): string {
  return `${manifest.bucket}/${manifest.key}/${unquoteEtag(manifest.etag)}`;
}

/** `"abc"` → `abc`: HeadObject returns the ETag quoted, S3's EventBridge events without quotes. */
export function unquoteEtag(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}

/** The same derivation as a Step Functions intrinsic over the paths of an S3 event (or any input). */
export function runNameIntrinsic(paths: { bucket: string; key: string; etag: string }): string {
  return `States.Hash(States.Format('{}/{}/{}', ${paths.bucket}, ${paths.key}, ${paths.etag}), 'SHA-1')`;
}

/**
 * Lets `grantee` tag the jobs it submits with the run tag (what `batch-pipelines submit` sends): tagging on creation
 * may be authorized as TagResource on the new job, and a job whose tags cannot be applied is not created.
 * https://docs.aws.amazon.com/batch/latest/userguide/tag-resources.html
 */
export function grantRunTagging(scope: IConstruct, grantee: iam.IGrantable): void {
  const jobs = Stack.of(scope).formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['batch:TagResource'],
    resourceArns: [jobs],
    conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [RUN_TAG] } },
  });
  acknowledgeOnGrantee(
    scope,
    grantee,
    jobs,
    'Jobs are created at submit time with ids no policy can name; only the run tag may be set on them.',
  );
}
