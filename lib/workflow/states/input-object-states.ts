import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { C } from '../asl/conditions';
import { Substitutions } from '../asl/substitutions';
import { InputObjects } from '../step';
import { inputObjectComment, inputObjectPath, MAX_INPUT_OBJECT_KEY_PARTS } from '../../contract/run-state';

// The ETags of the S3 objects an item names (FanOutOptions.inputObjects), read when the item starts, for the keys of
// the cached steps that read them. Step Functions has no intrinsic that cuts a string, so the key is rebuilt from the
// URI's `/`-separated parts (States.StringSplit drops empty parts, so the rebuilt URI is compared with the given one:
// any difference, as with `a//b`, leaves the object unverified), one Pass state per number of parts.
// https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html (StringSplit, ArrayGetItem, Format)
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html (ETag in the response)

/**
 * Before an item's steps: `$.objects.<field>` is the object's quoted ETag for each field, or `{ unverified: <UUID> }`
 * when the URI is not `s3://<bucket>/<prefix>…` with at most 16 non-empty parts, or HeadObject fails. Nothing here
 * fails the item: the steps then run, as they would without a cache.
 */
export function readInputObjects(
  states: Construct,
  s: Substitutions,
  fanOut: string,
  objects: readonly InputObjects[],
  next: sfn.IChainable,
): sfn.IChainable {
  let start = next;
  for (const o of [...objects].reverse()) {
    start = readOne(states, s, fanOut, o, start);
  }
  return start;
}

function readOne(
  states: Construct,
  s: Substitutions,
  fanOut: string,
  given: InputObjects,
  next: sfn.IChainable,
): sfn.State {
  const o = {
    field: given.field,
    bucket: s.of(given.bucket.bucketName, `${given.bucket.node.id}Bucket`),
    prefix: given.prefix ?? '',
  };
  const at = inputObjectPath(o.field);
  const uri = `$.item.${o.field}`;
  const id = `${fanOut}: ${o.field}`;
  const unverified = new sfn.Pass(states, `${id} object unverified`, {
    comment: 'The steps that read this field run for the item: a key no record has',
    parameters: { 'unverified.$': 'States.UUID()' },
    resultPath: at,
  });
  unverified.next(next);
  const etag = new sfn.Pass(states, `${id} ETag`, { inputPath: `${at}.ETag`, resultPath: at });
  etag.next(next);
  const head = new sfn.CustomState(states, `${id} object`, {
    stateJson: {
      Type: 'Task',
      Comment: inputObjectComment(o.field, o.prefix),
      Resource: s.integration('aws-sdk:s3:headObject', 'S3_headObject'),
      Parameters: { Bucket: o.bucket, 'Key.$': `${at}.key` },
      ResultPath: at,
    },
  });
  // Only a client-side failure is retried: without ListBucket a missing object is a 403, which HEAD reports without an
  // error code (a generic S3.S3Exception), and would be asked again for nothing.
  head.addRetry({
    errors: ['S3.SdkClientException'],
    maxAttempts: 3,
    jitterStrategy: sfn.JitterType.FULL,
  });
  head.addCatch(unverified, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  head.next(
    new sfn.Choice(states, `${id} ETag?`)
      .when(C.and(C.isPresent(`${at}.ETag`), C.isString(`${at}.ETag`)), etag)
      .otherwise(unverified),
  );
  const exact = new sfn.Choice(states, `${id} named exactly?`)
    .when(C.stringEqualsJsonPath(`${at}.uri`, uri), head)
    .otherwise(unverified);
  const split = new sfn.Pass(states, `${id} parts`, {
    parameters: {
      'parts.$': `States.StringSplit(${uri}, '/')`,
      'count.$': `States.ArrayLength(States.StringSplit(${uri}, '/'))`,
    },
    resultPath: at,
  });
  const byCount = new sfn.Choice(states, `${id} key parts`);
  // parts: 's3:', the bucket, then the key's parts. AWS's StringSplit drops empty strings (see above); were it to keep
  // them, 's3://' would leave one at index 1, and the key would start one later: both are read. Each part is a path
  // argument of one States.Format (AWS allows at most 10 intrinsic functions in a field; this is 1).
  for (const skip of [0, 1]) {
    for (let n = 1; n <= MAX_INPUT_OBJECT_KEY_PARTS; n++) {
      const parts = Array.from({ length: n }, (_, i) => `${at}.parts[${i + 2 + skip}]`).join(', ');
      const slots = Array(n).fill('{}').join('/');
      const emptyKept = C.stringEquals(`${at}.parts[1]`, '');
      byCount.when(
        C.and(C.numberEquals(`${at}.count`, n + 2 + skip), skip ? emptyKept : C.not(emptyKept)),
        new sfn.Pass(states, `${id} key of ${n} part${n === 1 ? '' : 's'}${skip ? ' after an empty one' : ''}`, {
          parameters: {
            'key.$': `States.Format('${slots}', ${parts})`,
            'uri.$': `States.Format('s3://${o.bucket}/${slots}', ${parts})`,
          },
          resultPath: at,
        }).next(exact),
      );
    }
  }
  byCount.otherwise(unverified);
  // The prefix first: a URI elsewhere is not split at all. StringMatches takes `*` as a wildcard, `\\*` as a star.
  const escaped = `s3://${o.bucket}/${o.prefix}`.replace(/\\/g, '\\\\').replace(/\*/g, '\\*');
  return new sfn.Choice(states, `${id} under the prefix?`)
    .when(C.stringMatches(uri, `${escaped}*`), split.next(byCount))
    .otherwise(unverified);
}
