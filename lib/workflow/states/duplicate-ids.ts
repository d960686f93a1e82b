import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { C } from '../asl/conditions';
import { Substitutions } from '../asl/substitutions';
import { FanOut } from '../step';
import { FailureKind, OutcomeStatus } from '../../contract/outcome';
import {
  DUPLICATE_ITEM_ERROR,
  ID_CLAIMS_FOLDER,
  ITEM_CHECK_KEY,
  ITEM_INPUT_KEYS,
  OUTCOME_FIELDS,
} from '../../contract/run-state';

// Items that share an id would share their checkpoints (CHECKPOINT_URI is built from the id) and report under one id:
// a run refuses every later line whose id another line of the run has, before any of its jobs is submitted, and
// lets the others run. The refused line fails alone as `Item.Duplicate` (kind InvalidItem), saying which.

/**
 * The ItemSelector entry that gives each item the ids of every item (items passed in the input only): the path
 * `<itemsPath>[*].<idField>` lists the id of each item that has one. A wildcard that matches nothing gives an empty
 * array in Step Functions, not an error; the input's items are at most 256 KiB, so the list fits every item's input.
 * https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
 */
export function idsSelector(f: FanOut): Record<string, string> {
  if (f.manifest) {
    return {};
  }
  const ids = `${f.itemsPath}[*].${f.idField}`;
  return {
    [`${ITEM_INPUT_KEYS.ids}.$`]: ids,
    [`${ITEM_INPUT_KEYS.lines}.$`]: `States.ArrayLength(${f.itemsPath})`,
    [`${ITEM_INPUT_KEYS.idCount}.$`]: `States.ArrayLength(${ids})`,
  };
}

/**
 * The check of an item passed in the input, between its field check and its steps: the first line with an id runs,
 * each later line with that id fails alone. `States.ArrayPartition(ids, index)` cuts the ids into chunks of `index`,
 * so its first chunk is the ids of the lines before this one (a chunk size must be positive: the first line skips the
 * check, it has no line before it).
 * https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
 * @param run where a line without an earlier duplicate goes (the item's steps)
 * @param finish ends the item with the record it is given (as its outcome)
 */
export function earlierLineCheck(
  states: Construct,
  f: FanOut,
  run: sfn.IChainable,
  finish: (record: sfn.Pass) => sfn.IChainable,
): sfn.IChainable {
  const n = f.name;
  const id = `$.${ITEM_INPUT_KEYS.item}.${f.idField}`;
  const check = new sfn.Pass(states, `${n}: id on an earlier line?`, {
    parameters: {
      'earlier.$': `States.ArrayContains(States.ArrayGetItem(States.ArrayPartition($.${ITEM_INPUT_KEYS.ids}, $.${ITEM_INPUT_KEYS.index}), 0), ${id})`,
    },
    resultPath: `$.${ITEM_CHECK_KEY}`,
  });
  const duplicate = finish(
    new sfn.Pass(states, `${n}: item duplicate`, {
      parameters: duplicateRecord(
        f,
        `States.Format('item {} has the id {} of an earlier line, which runs: items that share an id would share their checkpoints and outcomes. Give each line its own id, then rerun it', $.index, ${id})`,
      ),
    }),
  );
  check.next(
    new sfn.Choice(states, `${n}: first line with this id?`)
      .when(C.booleanEquals(`$.${ITEM_CHECK_KEY}.earlier`, true), duplicate)
      .otherwise(run),
  );
  // A line without an id (refused as malformed before this check) is missing from `ids`, which then no longer lines up
  // with the indexes: rather than refuse the lines after it as duplicates of themselves, such a run skips the check
  // (documented in docs/workflows.md).
  return new sfn.Choice(states, `${n}: first line?`)
    .when(C.numberEquals(`$.${ITEM_INPUT_KEYS.index}`, 0), run)
    .when(C.not(C.numberEqualsJsonPath(`$.${ITEM_INPUT_KEYS.idCount}`, `$.${ITEM_INPUT_KEYS.lines}`)), run)
    .otherwise(check);
}

/**
 * The check of a manifest's item, which cannot see the other lines: it claims its id with an empty object
 * `<results prefix>ids/<run>/<id>/<index>`, then lists the claims of its id (S3 lists strongly consistently after a
 * write), and runs only when its claim is the only one. Of two lines with one id, whichever lists second sees the
 * other's claim and fails; if both claim before either lists, both fail, each naming the claims: never do both run.
 * A redriven line finds its own claim and nothing else. The states run inside the item's wrapper: an S3 error (after
 * retries) becomes the item's outcome, not the run's end.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * @param run the item's steps
 */
export function claimCheck(states: Construct, f: FanOut, s: Substitutions, run: sfn.IChainable): sfn.IChainable {
  const n = f.name;
  const results = f.results!;
  const bucket = s.of(results.bucket.bucketName, results.bucket.node.id);
  const folder = `${results.prefix ?? 'results/'}${ID_CLAIMS_FOLDER}`;
  const id = `$.${ITEM_INPUT_KEYS.item}.${f.idField}`;
  const claims = `States.Format('${folder}{}/{}/', $.${ITEM_INPUT_KEYS.run}, ${id})`;
  const retry = {
    errors: [sfn.Errors.ALL],
    interval: Duration.seconds(1),
    maxAttempts: 5,
    jitterStrategy: sfn.JitterType.FULL,
  };
  const claim = new sfn.CustomState(states, `${n}: claim the id`, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${s.partition()}:states:::aws-sdk:s3:putObject`,
      Parameters: {
        Bucket: bucket,
        'Key.$': `States.Format('${folder}{}/{}/{}', $.${ITEM_INPUT_KEYS.run}, ${id}, $.${ITEM_INPUT_KEYS.index})`,
        Body: '',
      },
      ResultPath: null,
    },
  });
  claim.addRetry(retry);
  const list = new sfn.CustomState(states, `${n}: list the claims of the id`, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${s.partition()}:states:::aws-sdk:s3:listObjectsV2`,
      Parameters: { Bucket: bucket, 'Prefix.$': claims, MaxKeys: 2 },
      // KeyCount is in every ListObjectsV2 response.
      ResultSelector: { 'claims.$': '$.KeyCount' },
      ResultPath: `$.${ITEM_CHECK_KEY}`,
    },
  });
  list.addRetry(retry);
  const refused = new sfn.Pass(states, `${n}: item duplicate`, {
    parameters: duplicateRecord(
      f,
      `States.Format('item {} has the id {} of another line of the manifest (their claims are under s3://${bucket}/${folder}{}/{}/, one object a line index): items that share an id would share their checkpoints and outcomes. Give each line its own id, then rerun them', $.index, ${id}, $.${ITEM_INPUT_KEYS.run}, ${id})`,
    ),
  });
  // Inside the wrapper, a failure ends the item: its cause, a record, becomes the outcome.
  const asCause = new sfn.Pass(states, `${n}: duplicate as cause`, {
    parameters: { 'error.$': '$.error', 'cause.$': 'States.JsonToString($)' },
  });
  refused
    .next(asCause)
    .next(new sfn.Fail(states, `${n}: refuse duplicate`, { errorPath: '$.error', causePath: '$.cause' }));
  return claim
    .next(list)
    .next(
      new sfn.Choice(states, `${n}: only line with this id?`)
        .when(C.numberEquals(`$.${ITEM_CHECK_KEY}.claims`, 1), run)
        .otherwise(refused),
    );
}

/** The outcome record of a refused duplicate line. */
function duplicateRecord(f: FanOut, reason: string): Record<string, unknown> {
  return {
    'index.$': `$.${ITEM_INPUT_KEYS.index}`,
    [`${OUTCOME_FIELDS.id}.$`]: `$.${ITEM_INPUT_KEYS.item}.${f.idField}`,
    status: OutcomeStatus.FAILED,
    error: DUPLICATE_ITEM_ERROR,
    kind: FailureKind.INVALID_ITEM,
    'reason.$': reason,
  };
}
