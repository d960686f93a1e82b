import { AwsCalls, httpStatusOf } from './aws-calls';
import { ClientErrorKind, PipelineClientError } from './errors';
import { RunManifest } from './run-outcomes';
import { unquoteEtag } from '../contract/run-names';

/**
 * Reading and writing manifests (JSON arrays of items) and result files in S3: the items a run read, as it read them
 * (If-Match its ETag), and the items a rerun writes next to them.
 */

/** `s3://bucket/key` → its parts; anything else is refused as `kind` (what the user gave, or what AWS holds). */
export function parseS3Uri(uri: string, kind: ClientErrorKind = 'input'): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) {
    throw new PipelineClientError(kind, `'${uri}' is not an S3 URI (s3://bucket/key)`);
  }
  return { bucket: m[1], key: m[2] };
}

/** An S3 object read as JSON; an object that is not JSON is refused as `kind`. */
export async function getJson(
  aws: AwsCalls,
  bucket: string,
  key: string,
  options: { ifMatch?: string; kind?: ClientErrorKind } = {},
): Promise<unknown> {
  const out = await aws.call(() =>
    aws.s3.send(
      new aws.sdk.s3.GetObjectCommand({
        Bucket: bucket,
        Key: key,
        IfMatch: options.ifMatch ? `"${options.ifMatch}"` : undefined,
      }),
    ),
  );
  const text = await out.Body!.transformToString();
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PipelineClientError(options.kind ?? 'data', `s3://${bucket}/${key} is not JSON: ${(e as Error).message}`);
  }
}

/** Writes items as a manifest (a JSON array, one item a line). */
export async function putItems(aws: AwsCalls, bucket: string, key: string, items: unknown[]) {
  return aws.call(() =>
    aws.s3.send(
      new aws.sdk.s3.PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(items, null, 1),
        ContentType: 'application/json',
      }),
    ),
  );
}

/** The ETag of an object now (HeadObject), unquoted. */
export async function currentEtag(aws: AwsCalls, bucket: string, key: string): Promise<string> {
  const head = await aws.call(() => aws.s3.send(new aws.sdk.s3.HeadObjectCommand({ Bucket: bucket, Key: key })));
  return unquoteEtag(head.ETag ?? '');
}

/**
 * The ETag of the manifest array children will read. A manifest that does not exist is refused before anything is
 * submitted (every child would fail); when the submitter cannot read it (no permission, another S3 configuration),
 * the run is submitted without an ETag, which only the rerun's check of the manifest relies on.
 */
export async function manifestEtag(aws: AwsCalls, manifestUri: string): Promise<string | undefined> {
  const { bucket, key } = parseS3Uri(manifestUri);
  try {
    return (await currentEtag(aws, bucket, key)) || undefined;
  } catch (e) {
    if (httpStatusOf(e) === 404 || (e as Error).name === 'NotFound' || (e as Error).name === 'NoSuchKey') {
      throw new PipelineClientError(
        'input',
        `manifestUri ${manifestUri} does not exist: every array child would fail reading its item. Upload the ` +
          `items there first (aws s3 cp items.json ${manifestUri})`,
      );
    }
    return undefined;
  }
}

/** The run's manifest as it was when the run started (refused if it changed since: other items, other indexes). */
export async function readManifest(aws: AwsCalls, manifest: RunManifest): Promise<unknown[]> {
  let items: unknown;
  try {
    items = await getJson(aws, manifest.bucket, manifest.key, { ifMatch: manifest.etag, kind: 'input' });
  } catch (e) {
    if (httpStatusOf(e) === 412) {
      throw new PipelineClientError(
        'state',
        `s3://${manifest.bucket}/${manifest.key} changed since the run started (its ETag is no longer ` +
          `${manifest.etag}): the outcomes' indexes no longer point at the same items. Rerun from a copy of the ` +
          'manifest as it was, or start the new manifest with batch-pipelines start',
      );
    }
    throw e;
  }
  if (!Array.isArray(items)) {
    throw new PipelineClientError('input', `s3://${manifest.bucket}/${manifest.key} is not a JSON array of items`);
  }
  return items;
}

/** The items at `indexes` of a run's manifest, as it was when the run was submitted (its ETag, when recorded). */
export async function itemsAt(
  aws: AwsCalls,
  manifest: RunManifest,
  indexes: number[],
): Promise<Array<Record<string, string>>> {
  const all = await readManifest(aws, manifest);
  if (indexes.some((i) => i >= all.length)) {
    throw new PipelineClientError(
      'state',
      `s3://${manifest.bucket}/${manifest.key} has ${all.length} items, fewer than item ${indexes[indexes.length - 1]} ` +
        'of the run: it is not the manifest the run read. Rerun from a copy of the manifest as it was',
    );
  }
  return indexes.map((i) => all[i] as Record<string, string>);
}
