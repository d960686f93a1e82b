/**
 * Step Functions, S3 and EventBridge shapes as AWS documents them or as real output posted in public shows them, each
 * with its source named above it. Field names, casing and nesting are never changed; where a value had to be adapted
 * (or filled where the source elides it) the comment says which. Placeholders of AWS examples are kept as written.
 *
 * Casing differs by surface, and that is the point of keeping these apart:
 * - ResultWriter files (`manifest.json`, `SUCCEEDED_n.json`, `FAILED_n.json`) are PascalCase (`ExecutionArn`,
 *   `InputDetails.Included`, `RedriveStatus`, ...), dates ISO-8601 strings.
 * - The API (DescribeExecution, GetExecutionHistory) is camelCase on the wire and in the AWS SDK for JavaScript v3
 *   (`executionArn`, `inputDetails.included`, `stateExitedEventDetails.outputDetails.truncated`); the SDK turns the
 *   wire's epoch-second timestamps into `Date`s. The fixtures below are checked against `@aws-sdk/client-sfn` types.
 * - S3 events through EventBridge are kebab-case inside `detail` (`version-id`, `request-id`, `source-ip-address`).
 */
import type {
  DescribeExecutionOutput,
  ExecutionFailedEventDetails,
  HistoryEvent,
  HistoryEventType,
  TaskFailedEventDetails,
} from '@aws-sdk/client-sfn';

// ---------------------------------------------------------------------------------------------------------------------
// 1. ResultWriter manifest.json
// ---------------------------------------------------------------------------------------------------------------------

/**
 * The state output of a Distributed Map with a ResultWriter: the Map Run ARN and where `manifest.json` was written.
 * Verbatim from https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html ("Exporting to
 * Amazon S3"), placeholders (`account-id`, the bucket) kept. The manifest key is `<Prefix>/<map run id>/manifest.json`,
 * the map run id being the part of `MapRunArn` after its last `:`.
 */
export const RESULT_WRITER_STATE_OUTPUT = {
  MapRunArn: 'arn:aws:states:us-east-2:account-id:mapRun:csvProcess/Map:ad9b5f27-090b-3ac6-9beb-243cd77144a7',
  ResultWriterDetails: {
    Bucket: 'amzn-s3-demo-destination-bucket',
    Key: 'csvProcessJobs/ad9b5f27-090b-3ac6-9beb-243cd77144a7/manifest.json',
  },
} as const;

/**
 * A real `manifest.json` of a Map Run with both failed and succeeded children. The AWS page above describes the file
 * (Map Run ARN, export location, result files) but shows no example of it, so this is captured output: UK Department
 * for Transport, https://github.com/department-for-transport-BODS/bods-backend
 * tests/timetables_etl/generate_output_zip/models/test_model_manifest.py, case "Standard Manifest With Mixed Results"
 * (account 228266753808, eu-west-2). Verbatim. Note the Map label in the ARN (`<state machine>/<label>:<run id>`) and
 * the keys `<Prefix>/<run id>/<STATUS>_<n>.json`; `Size` is bytes; empty statuses are `[]`, not absent.
 */
export const RESULT_WRITER_MANIFEST = {
  DestinationBucket: 'bodds-dev',
  MapRunArn:
    'arn:aws:states:eu-west-2:228266753808:mapRun:bods-backend-dev-tt-sm/8c9dd6c6-f907-3584-9153-f8a2f1bfe7ce:25bc2fbb-6f60-4c44-876b-3cc9586fc435',
  ResultFiles: {
    FAILED: [{ Key: 'tt-etl-map-results/25bc2fbb-6f60-4c44-876b-3cc9586fc435/FAILED_0.json', Size: 80039 }],
    PENDING: [],
    SUCCEEDED: [{ Key: 'tt-etl-map-results/25bc2fbb-6f60-4c44-876b-3cc9586fc435/SUCCEEDED_0.json', Size: 229628 }],
  },
} as const;

/**
 * A second real `manifest.json`, all children succeeded, posted as "The actual manifest.json" from AWS in
 * https://github.com/localstack/localstack/pull/11381 (ap-northeast-1; the account is redacted to `xxxx` by the poster,
 * kept). Verbatim.
 */
export const RESULT_WRITER_MANIFEST_ALL_SUCCEEDED = {
  DestinationBucket: 'result-bucket-9tib5vhxpkcf',
  MapRunArn: 'arn:aws:states:ap-northeast-1:xxxx:mapRun:test-StateMachine/TestMap:fd5d5e09-8644-4804-b61a-9860092818fd',
  ResultFiles: {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [{ Key: 'mapJobs/fd5d5e09-8644-4804-b61a-9860092818fd/SUCCEEDED_0.json', Size: 43915718 }],
  },
} as const;

/** One `{Key, Size}` of `ResultFiles`. */
export interface ResultFileRef {
  readonly Key: string;
  readonly Size: number;
}

/** A `manifest.json` as AWS writes it (see RESULT_WRITER_MANIFEST). */
export interface ResultWriterManifest {
  readonly DestinationBucket: string;
  readonly MapRunArn: string;
  readonly ResultFiles: Readonly<Record<'FAILED' | 'PENDING' | 'SUCCEEDED', ResultFileRef[]>>;
}

/**
 * A manifest in the shape above for our tests. Adapted: bucket, ARN and keys are ours; the layout of keys
 * (`<prefix>/<run id>/<STATUS>_<n>.json`) and the three always-present arrays are as in the real manifests above.
 */
export function resultWriterManifest(opts: {
  readonly bucket: string;
  readonly prefix: string;
  readonly mapRunArn: string;
  readonly failed?: number[];
  readonly pending?: number[];
  readonly succeeded?: number[];
}): ResultWriterManifest {
  const runId = opts.mapRunArn.slice(opts.mapRunArn.lastIndexOf(':') + 1);
  const base = opts.prefix === '' ? runId : `${opts.prefix.replace(/\/$/, '')}/${runId}`;
  const refs = (status: string, sizes: number[] | undefined) =>
    (sizes ?? []).map((Size, i) => ({ Key: `${base}/${status}_${i}.json`, Size }));
  return {
    DestinationBucket: opts.bucket,
    MapRunArn: opts.mapRunArn,
    ResultFiles: {
      FAILED: refs('FAILED', opts.failed),
      PENDING: refs('PENDING', opts.pending),
      SUCCEEDED: refs('SUCCEEDED', opts.succeeded),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// 2. ResultWriter result files
// ---------------------------------------------------------------------------------------------------------------------

/**
 * A real `FAILED_0.json`: a JSON array of child executions (Transformation NONE, the default with an S3 export; the
 * AWS page says failed children are always written unchanged, "equivalent to having set Transformation to NONE").
 * Captured: department-for-transport-BODS/bods-backend tests/timetables_etl/generate_output_zip/models/
 * test_model_results.py, case "Standard Failed Execution Lambda Timeout" (the same account and Map Run family as
 * RESULT_WRITER_MANIFEST). Verbatim, key order kept (AWS writes the keys sorted).
 *
 * Differences from a succeeded entry, all as captured: `Error` and `Cause` are present; there is NO `Output` key but
 * `OutputDetails` is still there; `RedriveStatus` is `REDRIVABLE_BY_MAP_RUN` and there is NO `RedriveStatusReason`.
 * `Input` is the child's input as a JSON string. `StartDate`/`StopDate` are ISO strings with milliseconds and `Z`.
 * A child of a Map Run is named `<state machine>/<map label>:<child name>` in its ARN.
 */
export const RESULT_FILE_FAILED = [
  {
    Cause:
      'An error occurred while executing the state \'ExceptionHandler\' (entered at the event id #27). The JSONPath \'$.Bucket\' specified for the field \'Bucket.$\' could not be found in the input \'{"Error":"Lambda.Unknown","Cause":"The cause could not be determined because Lambda did not return an error type. Returned payload: {\\"errorMessage\\":\\"2025-01-07T10:40:38.651Z ab9a35df-8e8e-4c78-9363-0dd2bf9e782a Task timed out after 60.16 seconds\\"}"}\'',
    Error: 'States.Runtime',
    ExecutionArn:
      'arn:aws:states:eu-west-2:228266753808:execution:bods-backend-dev-tt-sm/8c9dd6c6-f907-3584-9153-f8a2f1bfe7ce:55334b15-7c04-3b8d-8ee4-5c6f72f90dbc',
    Input:
      '{"Bucket":"bodds-dev","DatasetRevisionId":"3989","detail":{"bucket":{"name":"bodds-dev"},"object":{"key":"3624_extracted_vehicle_journey_runtimes.xml"},"datasetRevisionId":"3989","datasetType":"timetables"},"DatasetEtlTaskResultId":3794,"Key":"ext_3624_extracted_vehicle_journey_runtimes/3624_extracted_vehicle_journey_runtimes.xml"}',
    InputDetails: { Included: true },
    Name: '55334b15-7c04-3b8d-8ee4-5c6f72f90dbc',
    OutputDetails: { Included: true },
    RedriveCount: 0,
    RedriveStatus: 'REDRIVABLE_BY_MAP_RUN',
    StartDate: '2025-01-07T10:38:47.702Z',
    StateMachineArn:
      'arn:aws:states:eu-west-2:228266753808:stateMachine:bods-backend-dev-tt-sm/8c9dd6c6-f907-3584-9153-f8a2f1bfe7ce',
    Status: 'FAILED',
    StopDate: '2025-01-07T10:40:38.759Z',
  },
] as const;

/**
 * A real `SUCCEEDED_0.json` entry, same source file as RESULT_FILE_FAILED, case "Standard version". Verbatim.
 * `Output` is the child's output as a JSON string; `RedriveStatus` `NOT_REDRIVABLE` with its reason.
 */
export const RESULT_FILE_SUCCEEDED = [
  {
    ExecutionArn:
      'arn:aws:states:eu-west-2:228266753808:execution:bods-backend-dev-tt-sm/8c9dd6c6-f907-3584-9153-f8a2f1bfe7ce:ac537772-4599-3a63-bbbc-cf52f4cbb818',
    Input:
      '{"Bucket":"bodds-dev","DatasetRevisionId":"3989","detail":{"bucket":{"name":"bodds-dev"},"object":{"key":"coach-data/zip/2024-01-03-CoachData-Subset-with-invalid-files.zip"},"datasetRevisionId":"3989","datasetType":"timetables"},"DatasetEtlTaskResultId":3837,"Key":"2024-01-03-CoachData-Subset-with-invalid-files/d05e3f87-13bb-46d0-8a4f-e7934b916013/dataset-15890-subset-with-invalid-files/ANEA_1D12_ANEAPB0002717239X12_20241104_20241221_1960469.xml"}',
    InputDetails: { Included: true },
    Name: 'ac537772-4599-3a63-bbbc-cf52f4cbb818',
    Output:
      '{"Bucket":"bodds-dev","DatasetRevisionId":"3989","detail":{"bucket":{"name":"bodds-dev"},"object":{"key":"coach-data/zip/2024-01-03-CoachData-Subset-with-invalid-files.zip"},"datasetRevisionId":"3989","datasetType":"timetables"},"DatasetEtlTaskResultId":3837,"Key":"2024-01-03-CoachData-Subset-with-invalid-files/d05e3f87-13bb-46d0-8a4f-e7934b916013/dataset-15890-subset-with-invalid-files/ANEA_1D12_ANEAPB0002717239X12_20241104_20241221_1960469.xml","fileValidation":{"statusCode":200,"body":"Completed File Validation"},"schemaCheck":{"statusCode":200,"body":"Successfully ran the file schema check for file \'2024-01-03-CoachData-Subset-with-invalid-files/d05e3f87-13bb-46d0-8a4f-e7934b916013/dataset-15890-subset-with-invalid-files/ANEA_1D12_ANEAPB0002717239X12_20241104_20241221_1960469.xml\' from bucket \'bodds-dev\' with 0 violations"},"postSchemaCheck":{"statusCode":200,"body":"Completed Post Schema Check"},"fileAttributesEtl":{"id":37115},"ptiValidation":{"statusCode":200},"etlProcess":{"status_code":200,"message":"ETL Completed"}}',
    OutputDetails: { Included: true },
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    StartDate: '2025-01-09T18:13:01.189Z',
    StateMachineArn:
      'arn:aws:states:eu-west-2:228266753808:stateMachine:bods-backend-dev-tt-sm/8c9dd6c6-f907-3584-9153-f8a2f1bfe7ce',
    Status: 'SUCCEEDED',
    StopDate: '2025-01-09T18:14:18.554Z',
  },
] as const;

/**
 * A real succeeded entry whose data was not included: same source file, case "No Input / Output". `Input` and
 * `Output` are empty strings (not absent) and both `*Details.Included` are false. Verbatim.
 */
export const RESULT_FILE_SUCCEEDED_WITHOUT_DATA = [
  {
    ExecutionArn:
      'arn:aws:states:eu-west-2:228266753808:execution:bods-backend-dev-tt-sm/8c9dd6c6-f907-3584-9153-f8a2f1bfe7ce:ac537772-4599-3a63-bbbc-cf52f4cbb818',
    Input: '',
    InputDetails: { Included: false },
    Name: 'ac537772-4599-3a63-bbbc-cf52f4cbb818',
    Output: '',
    OutputDetails: { Included: false },
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    StartDate: '2025-01-09T18:13:01.189Z',
    StateMachineArn:
      'arn:aws:states:eu-west-2:228266753808:stateMachine:bods-backend-dev-tt-sm/8c9dd6c6-f907-3584-9153-f8a2f1bfe7ce',
    Status: 'SUCCEEDED',
    StopDate: '2025-01-09T18:14:18.554Z',
  },
] as const;

/**
 * The documented NONE-transformation entry, first element of the example on
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html ("Transformation NONE").
 * Placeholders `region` and `account-id` kept. Adapted: the page elides `Input` as `...`; it is filled with the JSON
 * string of one item of the page's own example (`{"customer_id":"145538","order_id":"100000"}`).
 */
export const RESULT_FILE_SUCCEEDED_DOC_EXAMPLE = [
  {
    ExecutionArn:
      'arn:aws:states:region:account-id:execution:orderProcessing/getOrders:da4e9fc7-abab-3b27-9a77-a277e463b709',
    Input: '{"customer_id":"145538","order_id":"100000"}',
    InputDetails: { Included: true },
    Name: 'da4e9fc7-abab-3b27-9a77-a277e463b709',
    Output: '[{"customer_id":"145538","order_id":"100000"},{"customer_id":"898037","order_id":"100001"}]',
    OutputDetails: { Included: true },
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    StartDate: '2025-02-04T01:49:50.099Z',
    StateMachineArn: 'arn:aws:states:region:account-id:stateMachine:orderProcessing/getOrders',
    Status: 'SUCCEEDED',
    StopDate: '2025-02-04T01:49:50.163Z',
  },
] as const;

/** One entry of a `FAILED_n.json`, keys as AWS writes them (see RESULT_FILE_FAILED). */
export interface FailedResultEntry {
  readonly Cause: string;
  readonly Error: string;
  readonly ExecutionArn: string;
  readonly Input: string;
  readonly InputDetails: { readonly Included: boolean };
  readonly Name: string;
  readonly OutputDetails: { readonly Included: boolean };
  readonly RedriveCount: number;
  readonly RedriveStatus: string;
  readonly StartDate: string;
  readonly StateMachineArn: string;
  readonly Status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly StopDate: string;
}

/** One entry of a `SUCCEEDED_n.json` (see RESULT_FILE_SUCCEEDED). */
export interface SucceededResultEntry {
  readonly ExecutionArn: string;
  readonly Input: string;
  readonly InputDetails: { readonly Included: boolean };
  readonly Name: string;
  readonly Output: string;
  readonly OutputDetails: { readonly Included: boolean };
  readonly RedriveCount: number;
  readonly RedriveStatus: string;
  readonly RedriveStatusReason: string;
  readonly StartDate: string;
  readonly StateMachineArn: string;
  readonly Status: 'SUCCEEDED';
  readonly StopDate: string;
}

const CHILD_STATE_MACHINE_ARN = RESULT_FILE_FAILED[0].StateMachineArn;

/** A child name shaped like the ones AWS gives Map Run children (a UUID), derived from a seed so tests are stable. */
function childName(seed: string): string {
  let h = 0x811c9dc5;
  const hex: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const c of `${round}:${seed}`) {
      h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    }
    hex.push(h.toString(16).padStart(8, '0'));
  }
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/**
 * One `FAILED_n.json` entry in exactly the captured shape of RESULT_FILE_FAILED. Adapted: `Input` (the item, given as
 * an object or an already-serialized string), `Error`, `Cause` and optionally name, state machine, dates, status.
 */
export function failedResultEntry(opts: {
  readonly input: unknown;
  readonly error: string;
  readonly cause: string;
  readonly name?: string;
  readonly stateMachineArn?: string;
  readonly status?: FailedResultEntry['Status'];
  readonly startDate?: string;
  readonly stopDate?: string;
}): FailedResultEntry {
  const input = typeof opts.input === 'string' ? opts.input : JSON.stringify(opts.input);
  const name = opts.name ?? childName(input);
  const sm = opts.stateMachineArn ?? CHILD_STATE_MACHINE_ARN;
  return {
    Cause: opts.cause,
    Error: opts.error,
    ExecutionArn: `${sm.replace(':stateMachine:', ':execution:')}:${name}`,
    Input: input,
    InputDetails: { Included: true },
    Name: name,
    OutputDetails: { Included: true },
    RedriveCount: 0,
    RedriveStatus: 'REDRIVABLE_BY_MAP_RUN',
    StartDate: opts.startDate ?? RESULT_FILE_FAILED[0].StartDate,
    StateMachineArn: sm,
    Status: opts.status ?? 'FAILED',
    StopDate: opts.stopDate ?? RESULT_FILE_FAILED[0].StopDate,
  };
}

/** One `SUCCEEDED_n.json` entry in the captured shape of RESULT_FILE_SUCCEEDED. Adapted: input, output, name. */
export function succeededResultEntry(opts: {
  readonly input: unknown;
  readonly output: unknown;
  readonly name?: string;
  readonly stateMachineArn?: string;
}): SucceededResultEntry {
  const input = typeof opts.input === 'string' ? opts.input : JSON.stringify(opts.input);
  const output = typeof opts.output === 'string' ? opts.output : JSON.stringify(opts.output);
  const name = opts.name ?? childName(input);
  const sm = opts.stateMachineArn ?? CHILD_STATE_MACHINE_ARN;
  return {
    ExecutionArn: `${sm.replace(':stateMachine:', ':execution:')}:${name}`,
    Input: input,
    InputDetails: { Included: true },
    Name: name,
    Output: output,
    OutputDetails: { Included: true },
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    StartDate: RESULT_FILE_SUCCEEDED[0].StartDate,
    StateMachineArn: sm,
    Status: 'SUCCEEDED',
    StopDate: RESULT_FILE_SUCCEEDED[0].StopDate,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// 3. S3 "Object Created" through EventBridge
// ---------------------------------------------------------------------------------------------------------------------

/**
 * The documented "Object created" example of https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html,
 * verbatim (placeholders kept), in the revision without `detail["event-version"]`. Revisions of that page differ:
 * the current English page shows `"event-version": "1.0"` right after `detail.version`, and the newest localized
 * revision (zh-CN) shows `"event-version": "1.1"` plus `detail.bucket["aws-generated-tags"]`. Treat both as optional.
 * `size` is a number; `etag` is unquoted; `version-id` appears only for versioned buckets.
 */
export const S3_OBJECT_CREATED_EVENT = {
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '111122223333',
  time: '2021-11-12T00:00:00Z',
  region: 'ca-central-1',
  resources: ['arn:aws:s3:::amzn-s3-demo-bucket1'],
  detail: {
    version: '0',
    bucket: { name: 'amzn-s3-demo-bucket1' },
    object: {
      key: 'example-key',
      size: 5,
      etag: 'b1946ac92492d2347c6235b4d2611184',
      'version-id': 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
      sequencer: '617f08299329d189',
    },
    'request-id': 'N4N7GDK58NMKJ12R',
    requester: '123456789012',
    'source-ip-address': '1.2.3.4',
    reason: 'PutObject',
  },
} as const;

/**
 * A real captured event for a multipart upload (reason `CompleteMultipartUpload`, ETag with the `-<parts>` suffix),
 * posted at https://gist.github.com/vincentclaes/7a5eb53acc05b316c86769fed25d4e1a ("s3-eventbridge-event-object",
 * 2023-08-09). Verbatim.
 */
export const S3_OBJECT_CREATED_EVENT_MULTIPART = {
  version: '0',
  id: 'c9888434-815d-c6f4-9fc2-4dd7bdeccaaf',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '528068194338',
  time: '2023-08-09T13:09:50Z',
  region: 'eu-west-1',
  resources: ['arn:aws:s3:::mxcd-magic-star-691-in'],
  detail: {
    version: '0',
    bucket: { name: 'mxcd-magic-star-691-in' },
    object: {
      key: 'raw/health-check/2023-08-08T14:03:40.532432.zip',
      size: 198524144,
      etag: '4af981f98d22a0b9979da24b259e5e42-12',
      'version-id': 'uhggCJ2_B6gU2JaXWXebnXFDstO0ID6G',
      sequencer: '0064D3901D00059242',
    },
    'request-id': 'XRRTKJXSZQCWNQR1',
    requester: '528068194338',
    'source-ip-address': '94.224.187.252',
    reason: 'CompleteMultipartUpload',
  },
} as const;

/**
 * An "Object Created" event in the documented shape of S3_OBJECT_CREATED_EVENT. Adapted: bucket, key, size, etag,
 * reason and (only when given, as for a versioned bucket) `version-id`; everything else is the doc example's.
 */
export function objectCreatedEvent(opts: {
  readonly bucket: string;
  readonly key: string;
  readonly etag?: string;
  readonly size?: number;
  readonly versionId?: string;
  readonly reason?: string;
}) {
  const d = S3_OBJECT_CREATED_EVENT;
  return {
    ...d,
    resources: [`arn:aws:s3:::${opts.bucket}`],
    detail: {
      version: d.detail.version,
      bucket: { name: opts.bucket },
      object: {
        key: opts.key,
        size: opts.size ?? d.detail.object.size,
        etag: opts.etag ?? d.detail.object.etag,
        ...(opts.versionId === undefined ? {} : { 'version-id': opts.versionId }),
        sequencer: d.detail.object.sequencer,
      },
      'request-id': d.detail['request-id'],
      requester: d.detail.requester,
      'source-ip-address': d.detail['source-ip-address'],
      reason: opts.reason ?? d.detail.reason,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// 4. DescribeExecution (AWS SDK for JavaScript v3)
// ---------------------------------------------------------------------------------------------------------------------
// Field names: the Response Syntax of https://docs.aws.amazon.com/step-functions/latest/apireference/
// API_DescribeExecution.html (camelCase, same in SDK v3). The API page has no example with values; the values below
// are real CLI output. Adapted for SDK v3 throughout: the CLI's ISO date strings become `Date`s (SDK v3 deserializes
// timestamps to `Date`), and the SDK's `$metadata` is left out. `output` is set only on success ("If the execution
// fails, this field is null", i.e. absent from the JSON); `error`/`cause` only on failure.

/**
 * Real CLI output of `aws stepfunctions describe-execution` on a SUCCEEDED execution, posted in
 * https://github.com/thomasgtaylor/how.wtf content/blog/2023-12-20-invoke-amazon-bedrock-models-from-step-functions-
 * with-aws-cdk.md (the poster's 13-digit placeholder account kept). Values verbatim except the dates (see above).
 */
export const DESCRIBE_EXECUTION_SUCCEEDED = {
  executionArn:
    'arn:aws:states:us-east-1:0123456789101:execution:StateMachine2E01A3A5-GeJycj800pUN:387b0976-feb6-4c8c-9abe-af427546df3c',
  stateMachineArn: 'arn:aws:states:us-east-1:0123456789101:stateMachine:StateMachine2E01A3A5-GeJycj800pUN',
  name: '387b0976-feb6-4c8c-9abe-af427546df3c',
  status: 'SUCCEEDED',
  startDate: new Date('2023-12-20T01:48:56.396-05:00'),
  stopDate: new Date('2023-12-20T01:48:57.814-05:00'),
  input: '{}',
  inputDetails: { included: true },
  output: '{"joke":" Here\'s one: Why don\'t seagulls fly over the bay? Because then they\'d be bagels!"}',
  outputDetails: { included: true },
  redriveCount: 0,
  redriveStatus: 'NOT_REDRIVABLE',
  redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
} satisfies DescribeExecutionOutput;

/**
 * Real CLI output of `describe-execution` on a FAILED execution, posted in https://github.com/ryankarlos/
 * AWS-ETL-Workflows step_functions/README.md (2022-04-21). Adapted: the poster replaced both ARNs by `<arn>`; the
 * execution ARN is the one their `start-execution` printed in the same README and the state machine ARN is derived
 * from it. Added: `error` and `cause`, which the 2022 API did not return yet; their values are the
 * `executionFailedEventDetails` of the same execution's history in the same README (HISTORY_EVENTS_FAILED; the poster
 * wrapped the cause over two lines, joined here with one space). No `output`, as documented for a failed execution.
 * The capture predates redrive (Nov 2023), so there are no `redrive*` fields; a current FAILED standard execution also
 * has `redriveCount: 0` and `redriveStatus: 'REDRIVABLE'` (per the API page; see describeExecutionFailed).
 */
export const DESCRIBE_EXECUTION_FAILED = {
  executionArn: 'arn:aws:states:us-east-1:376337229415:execution:ETLDemo:905b2d8e-e659-4e18-ba1f-714882100324',
  stateMachineArn: 'arn:aws:states:us-east-1:376337229415:stateMachine:ETLDemo',
  name: '905b2d8e-e659-4e18-ba1f-714882100324',
  status: 'FAILED',
  startDate: new Date('2022-04-21T02:37:21.064+01:00'),
  stopDate: new Date('2022-04-21T02:38:18.965+01:00'),
  input: '{}',
  inputDetails: { included: true },
  traceHeader: 'Root=1-6260b551-db5653e799449c7169fc982b;Sampled=1',
  error: 'States.Runtime',
  cause:
    "An error occurred while executing the state 'Glue StartJobRun' (entered at the event id #8). The JSONPath '$.JobName' specified for the field 'JobName.$' could not be found in the input '{}'",
} satisfies DescribeExecutionOutput;

/**
 * A FAILED DescribeExecution for our tests. Adapted from DESCRIBE_EXECUTION_FAILED: ARN, name, input, error, cause are
 * ours; `redriveCount`/`redriveStatus` are added with the values the API page gives a failed standard execution.
 */
export function describeExecutionFailed(opts: {
  readonly executionArn: string;
  readonly input: unknown;
  readonly error: string;
  readonly cause: string;
}): DescribeExecutionOutput {
  const name = opts.executionArn.slice(opts.executionArn.lastIndexOf(':') + 1);
  const stateMachineArn = opts.executionArn
    .slice(0, opts.executionArn.lastIndexOf(':'))
    .replace(':execution:', ':stateMachine:');
  return {
    executionArn: opts.executionArn,
    stateMachineArn,
    name,
    status: 'FAILED',
    startDate: DESCRIBE_EXECUTION_FAILED.startDate,
    stopDate: DESCRIBE_EXECUTION_FAILED.stopDate,
    input: typeof opts.input === 'string' ? opts.input : JSON.stringify(opts.input),
    inputDetails: { included: true },
    redriveCount: 0,
    redriveStatus: 'REDRIVABLE',
    error: opts.error,
    cause: opts.cause,
  };
}

/** A SUCCEEDED DescribeExecution for our tests, adapted from DESCRIBE_EXECUTION_SUCCEEDED (ARN, input, output). */
export function describeExecutionSucceeded(opts: {
  readonly executionArn: string;
  readonly input: unknown;
  readonly output: unknown;
}): DescribeExecutionOutput {
  const name = opts.executionArn.slice(opts.executionArn.lastIndexOf(':') + 1);
  const stateMachineArn = opts.executionArn
    .slice(0, opts.executionArn.lastIndexOf(':'))
    .replace(':execution:', ':stateMachine:');
  return {
    ...DESCRIBE_EXECUTION_SUCCEEDED,
    executionArn: opts.executionArn,
    stateMachineArn,
    name,
    input: typeof opts.input === 'string' ? opts.input : JSON.stringify(opts.input),
    output: typeof opts.output === 'string' ? opts.output : JSON.stringify(opts.output),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// 5. GetExecutionHistory events (AWS SDK for JavaScript v3)
// ---------------------------------------------------------------------------------------------------------------------

/**
 * The "HelloWorld Execution History" sample response of
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html (a single Pass state).
 * Field names, ids and values verbatim; adapted for SDK v3: the wire's epoch-second `timestamp`s (e.g. 1525283875.612)
 * become `Date`s. The exited state's output is the JSON string `"Hello World!"` (quotes included). Every
 * `*StateExited` type (PassStateExited, MapStateExited, TaskStateExited, ...) carries the same
 * `stateExitedEventDetails` (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateExitedEventDetails.html).
 */
export const HISTORY_EVENTS = [
  {
    timestamp: new Date(1525283875580),
    executionStartedEventDetails: {
      input: '{}',
      inputDetails: { truncated: false },
      roleArn: 'arn:aws:iam::123456789123:role/service-role/StatesExecutionRole-us-east-1',
    },
    type: 'ExecutionStarted',
    id: 1,
    previousEventId: 0,
  },
  {
    timestamp: new Date(1525283875612),
    type: 'PassStateEntered',
    id: 2,
    stateEnteredEventDetails: { input: '{}', inputDetails: { truncated: false }, name: 'HelloWorld' },
    previousEventId: 0,
  },
  {
    timestamp: new Date(1525283875612),
    stateExitedEventDetails: { output: '"Hello World!"', outputDetails: { truncated: false }, name: 'HelloWorld' },
    type: 'PassStateExited',
    id: 3,
    previousEventId: 2,
  },
  {
    executionSucceededEventDetails: { output: '"Hello World!"', outputDetails: { truncated: false } },
    timestamp: new Date(1525283875612),
    type: 'ExecutionSucceeded',
    id: 4,
    previousEventId: 3,
  },
] satisfies HistoryEvent[];

/**
 * Real CLI output of `get-execution-history --no-include-execution-data --reverse-order --max-items 2` on the failed
 * execution of DESCRIBE_EXECUTION_FAILED (https://github.com/ryankarlos/AWS-ETL-Workflows step_functions/README.md).
 * Newest first, as captured. With `includeExecutionData` false, `stateEnteredEventDetails` has only `name`. Adapted:
 * dates to `Date`s; the cause the poster wrapped over two lines is joined with one space; the CLI's pagination token
 * (`NextToken`, a CLI artefact) is left out.
 */
export const HISTORY_EVENTS_FAILED = [
  {
    timestamp: new Date('2022-04-21T02:38:18.965+01:00'),
    type: 'ExecutionFailed',
    id: 9,
    previousEventId: 0,
    executionFailedEventDetails: {
      error: 'States.Runtime',
      cause:
        "An error occurred while executing the state 'Glue StartJobRun' (entered at the event id #8). The JSONPath '$.JobName' specified for the field 'JobName.$' could not be found in the input '{}'",
    },
  },
  {
    timestamp: new Date('2022-04-21T02:38:18.965+01:00'),
    type: 'TaskStateEntered',
    id: 8,
    previousEventId: 7,
    stateEnteredEventDetails: { name: 'Glue StartJobRun' },
  },
] satisfies HistoryEvent[];

/**
 * A `*StateExited` event in the shape of HISTORY_EVENTS[2]. Adapted: type (e.g. `MapStateExited`), state name,
 * output (serialized when not a string), `truncated`, ids.
 */
export function stateExitedEvent(opts: {
  readonly type?: HistoryEventType;
  readonly name: string;
  readonly output: unknown;
  readonly truncated?: boolean;
  readonly id?: number;
  readonly previousEventId?: number;
  readonly timestamp?: Date;
}): HistoryEvent {
  return {
    timestamp: opts.timestamp ?? HISTORY_EVENTS[2].timestamp,
    stateExitedEventDetails: {
      output: typeof opts.output === 'string' ? opts.output : JSON.stringify(opts.output),
      outputDetails: { truncated: opts.truncated ?? false },
      name: opts.name,
    },
    type: opts.type ?? 'PassStateExited',
    id: opts.id ?? 3,
    previousEventId: opts.previousEventId ?? 2,
  };
}

/** An `ExecutionFailed` event in the shape of HISTORY_EVENTS_FAILED[0]. Adapted: error, cause, ids. */
export function executionFailedEvent(opts: {
  readonly error: string;
  readonly cause: string;
  readonly id?: number;
  readonly previousEventId?: number;
  readonly timestamp?: Date;
}): HistoryEvent {
  const details: ExecutionFailedEventDetails = { error: opts.error, cause: opts.cause };
  return {
    timestamp: opts.timestamp ?? HISTORY_EVENTS_FAILED[0].timestamp,
    type: 'ExecutionFailed',
    id: opts.id ?? 9,
    previousEventId: opts.previousEventId ?? 0,
    executionFailedEventDetails: details,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// 6. `states:startExecution` refused: an execution of that name exists
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Names a Task state gets when the optimized integration (`arn:aws:states:::states:startExecution[.sync[:2]]`) is
 * refused because the execution name exists. Evidence:
 * - Real `TaskFailed` details posted by Classmethod's DevelopersIO, "Step Functions で ExecutionAlreadyExistsException
 *   が発生するときの対処方法" (2022-06-15, dev.classmethod.jp; the stored copy carried no URL): error
 *   `StepFunctions.ExecutionAlreadyExistsException` (START_EXECUTION_ALREADY_EXISTS_TASK_FAILED).
 * - The cause there is the AWS SDK for Java v1 message format ("(Service: AWSStepFunctions; Status Code: 400; Error
 *   Code: ExecutionAlreadyExists; ...)"): the integration names errors `StepFunctions.` + the Java exception class,
 *   which carries the `Exception` suffix, while the API's error code (`ExecutionAlreadyExists`, what SDK v3 and boto3
 *   name the exception) does not.
 * - AWS-authored and user CDK code retries/catches `StepFunctions.ExecutionAlreadyExistsException`.
 * No AWS page names this error (connect-stepfunctions.html lists none), and no capture of the unsuffixed
 * `StepFunctions.ExecutionAlreadyExists` was found (only emulators use it), so it is not in this list.
 */
export const START_EXECUTION_ALREADY_EXISTS_ERRORS = ['StepFunctions.ExecutionAlreadyExistsException'] as const;

/** The captured `taskFailedEventDetails` cited above (DevelopersIO, 2022-06-15), verbatim. */
export const START_EXECUTION_ALREADY_EXISTS_TASK_FAILED = {
  resourceType: 'states',
  resource: 'startExecution.sync:2',
  error: 'StepFunctions.ExecutionAlreadyExistsException',
  cause:
    "Execution Already Exists: 'arn:aws:states:ap-northeast-1:123456789012:execution:hato-child-StateMachine:HelloWorld' (Service: AWSStepFunctions; Status Code: 400; Error Code: ExecutionAlreadyExists; Request ID: 863f4383-9e37-42d0-b3ca-635c9a096182; Proxy: null)",
} satisfies TaskFailedEventDetails;

/**
 * The error output a `Catch` on that state receives (`{Error, Cause}`, as the error-handling page documents error
 * output), adapted from START_EXECUTION_ALREADY_EXISTS_TASK_FAILED.
 */
export const START_EXECUTION_ALREADY_EXISTS_ERROR_OUTPUT = {
  Error: START_EXECUTION_ALREADY_EXISTS_TASK_FAILED.error,
  Cause: START_EXECUTION_ALREADY_EXISTS_TASK_FAILED.cause,
} as const;

// ---------------------------------------------------------------------------------------------------------------------
// 7. `states:startExecution` throttled or over the open-executions quota
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Names a Task state may get when `states:startExecution` is refused for limits. No captured output was found, so
 * each name is given with its evidence (weakest last):
 * - `StepFunctions.ExecutionLimitExceeded`: documented, https://docs.aws.amazon.com/step-functions/latest/dg/
 *   concepts-nested-workflows.html ("Use the Retry on StepFunctions.ExecutionLimitExceeded to ensure your execution
 *   is started"). ExecutionLimitExceeded is the API's error for the open-executions quota, not request throttling.
 * - `StepFunctions.ExecutionLimitExceededException`: the same refusal under the naming seen in the real capture of
 *   section 6 (`StepFunctions.` + Java exception class). Inferred; the doc spelling above lacks the suffix the
 *   capture shows, so one of the two is wrong and it is likely the doc's.
 * - `StepFunctions.AWSStepFunctionsException`: request throttling (API error code `ThrottlingException`, "Rate
 *   exceeded") is not an exception class of Step Functions in the Java SDK v1, which raises its service-wide
 *   `AWSStepFunctionsException` for it; the same pattern is documented for Lambda (`Lambda.AWSLambdaException`,
 *   https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html) and captured for ECS
 *   (`ECS.AmazonECSException`, wellcomecollection/catalogue-pipeline#3554). AWS's own solution
 *   aws-solutions/data-transfer-from-amazon-s3-glacier-vaults-to-amazon-s3 retries `startExecution.sync:2` on exactly
 *   this name. Inferred.
 * `StepFunctions.ThrottlingException` has no support beyond an emulator and is left out; `States.TaskFailed` matches
 * all of these and is the safe catch-all.
 */
export const START_EXECUTION_THROTTLED_ERRORS = [
  'StepFunctions.ExecutionLimitExceeded',
  'StepFunctions.ExecutionLimitExceededException',
  'StepFunctions.AWSStepFunctionsException',
] as const;

// ---------------------------------------------------------------------------------------------------------------------
// 8. Following a Distributed Map: ListMapRuns, DescribeMapRun, ListExecutions by mapRunArn (AWS SDK for JavaScript v3)
// ---------------------------------------------------------------------------------------------------------------------

// Field names: the Response Syntax of https://docs.aws.amazon.com/step-functions/latest/apireference/
// API_ListMapRuns.html, API_DescribeMapRun.html and API_ListExecutions.html (camelCase, dates as the SDK's Date).
// Item counts: `total` is every item; `failed` and `timedOut` are separate (https://docs.aws.amazon.com/step-functions/latest/apireference/
// API_MapRunItemCounts.html). No captured DescribeMapRun output was found; these are built from the syntax only.

/** A Map Run's ARN: `mapRun:<state machine>/<map label>:<id>`, as in the captured RESULT_WRITER_MANIFEST. */
export function mapRunArn(stateMachineArn: string, label: string, id: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':mapRun:')}/${label}:${id}`;
}

/**
 * A child execution's ARN: `execution:<state machine>/<map label>:<child name>`, as in the captured RESULT_FILE_FAILED
 * `ExecutionArn`.
 */
export function childExecutionArn(mapRun: string, name: string): string {
  const [head, rest] = mapRun.split(':mapRun:');
  return `${head}:execution:${rest.slice(0, rest.lastIndexOf(':'))}:${name}`;
}

/** DescribeMapRun output with the given item counts (the rest zero). */
export function describeMapRun(opts: {
  readonly mapRunArn: string;
  readonly executionArn: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly items: Partial<
    Record<'total' | 'pending' | 'running' | 'succeeded' | 'failed' | 'timedOut' | 'aborted', number>
  >;
}) {
  const counts = {
    aborted: 0,
    failed: 0,
    failuresNotRedrivable: 0,
    pending: 0,
    pendingRedrive: 0,
    resultsWritten: 0,
    running: 0,
    succeeded: 0,
    timedOut: 0,
    total: 0,
    ...opts.items,
  };
  return {
    executionArn: opts.executionArn,
    executionCounts: counts,
    itemCounts: counts,
    mapRunArn: opts.mapRunArn,
    maxConcurrency: 50,
    redriveCount: 0,
    startDate: new Date('2026-11-23T02:00:05.000Z'),
    status: opts.status,
    toleratedFailureCount: 0,
    toleratedFailurePercentage: 100,
  };
}

/** A ListExecutions item for a child of a Map Run. */
export function childExecutionListItem(mapRun: string, name: string, status: 'FAILED' | 'TIMED_OUT') {
  const executionArn = childExecutionArn(mapRun, name);
  return {
    executionArn,
    stateMachineArn: executionArn.slice(0, executionArn.lastIndexOf(':')).replace(':execution:', ':stateMachine:'),
    name,
    status,
    startDate: new Date('2026-11-23T02:00:06.000Z'),
    stopDate: new Date('2026-11-23T02:41:10.000Z'),
    mapRunArn: mapRun,
    redriveCount: 0,
  };
}

/**
 * A ListMapRuns item (the response syntax of API_ListMapRuns.html: executionArn, mapRunArn, stateMachineArn,
 * startDate).
 */
export function mapRunListItem(executionArn: string, mapRun: string) {
  const [head, rest] = mapRun.split(':mapRun:');
  return {
    executionArn,
    mapRunArn: mapRun,
    stateMachineArn: `${head}:stateMachine:${rest.slice(0, rest.lastIndexOf(':'))}`,
    startDate: new Date('2026-11-23T02:00:05.000Z'),
  };
}
