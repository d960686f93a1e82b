import { createHash } from 'crypto';

/**
 * How runs are named: a workflow execution over a manifest, a rerun of a run of jobs, and where a rerun's manifest
 * goes. The manifest trigger (in the state machine), `batch-pipelines start` and both kinds of rerun derive their
 * names here. No aws-cdk-lib and no AWS SDK here.
 */

/** A manifest as a run names it: where it is and the ETag it had. */
export interface ManifestVersion {
  /** Its bucket. */
  readonly bucket: string;
  /** Its key. */
  readonly key: string;
  /** Its ETag (quoted as HeadObject returns it, or not, as S3's events carry it). */
  readonly etag: string;
}

/**
 * The name of the workflow execution over a manifest: the SHA-1 (hex) of `<bucket>/<key>/<etag>`. The manifest
 * trigger computes it in the state machine with `States.Hash` and the command line with Node's crypto, so both
 * derive the same name: Step Functions refuses a second execution of that name (a duplicated event, a retried
 * `start`), while a new upload of the key with other content (another ETag) runs. 40 characters: within Step
 * Functions' 80 and leaving room in the Batch job names `<run>-<step>-<index>` (128).
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html (States.Hash: hex digest, input up to 10,000 characters)
 */
export function runNameFor(manifest: ManifestVersion): string {
  return createHash('sha1').update(runNameSource(manifest)).digest('hex');
}

/** What is hashed. The ETag without the quotes S3's HeadObject and PutObject put around it (events carry none). */
export function runNameSource(manifest: ManifestVersion): string {
  return `${manifest.bucket}/${manifest.key}/${unquoteEtag(manifest.etag)}`;
}

/** `"abc"` → `abc`: HeadObject returns the ETag quoted, S3's EventBridge events without quotes. */
export function unquoteEtag(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}

/** The same derivation as a Step Functions intrinsic over the paths of an S3 event (or any input). */
export function runNameIntrinsic(paths: ManifestVersion): string {
  return `States.Hash(States.Format('{}/{}/{}', ${paths.bucket}, ${paths.key}, ${paths.etag}), 'SHA-1')`;
}

/**
 * The name of a resumed workflow run (`rerun` of a workflow with a step cache: the whole manifest again, the steps
 * that already succeeded served from the cache): the SHA-1 of `rerun:<run name>`, so resuming twice starts once, and
 * a resumed run can itself be resumed.
 */
export function resumedRunName(runName: string): string {
  return createHash('sha1').update(`rerun:${runName}`).digest('hex');
}

/** The run id of a rerun of the run of jobs `runId`: its jobs are named after it, so rerunning twice submits once. */
export function rerunIdOf(runId: string): string {
  return `${runId}-rerun`;
}

/**
 * Where a rerun's manifest goes: next to the run's manifest, named after the whole run (a workflow execution's name
 * or a run of jobs' id), so two runs never overwrite each other's rerun manifest:
 * `manifests/week-48.json` rerun of `abc…` → `manifests/week-48.rerun-abc….json`.
 */
export function rerunManifestKey(manifestKey: string, runName: string): string {
  return `${manifestKey.replace(/\.json$/, '')}.rerun-${runName}.json`;
}
