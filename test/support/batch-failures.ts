/**
 * Batch failures as Step Functions reports them to a `.sync` submit state, each from AWS documentation or a real
 * captured output (named beside it). A failed job is error `States.TaskFailed` whose cause is the job's DescribeJobs
 * description in PascalCase (captured: NASA-IMPACT/hls-orchestration
 * layers/hls_lambda_layer/python/hls_lambda_layer/batch_test_events.py, a real Step Functions error with
 * `"Attempts":[{"Container":{…,"ExitCode":1,…},…,"StatusReason":"Essential container in task exited"}]`); fields Batch
 * does not know are absent, not null (the same file's `batch_failed_event_no_exit` has no `ExitCode`). The runner
 * (`runLocally`) adds `JobName`, `JobQueue` and `JobId` of the call that failed.
 */

/** A job description as the `.sync` cause carries it (the fields the workflow reads, and some it does not). */
export interface JobDescription {
  readonly Status: 'FAILED';
  readonly StatusReason?: string;
  readonly Attempts: Array<{ Container: Record<string, unknown>; StatusReason?: string }>;
  readonly Container?: Record<string, unknown>;
}

const LOG_STREAM = 'Test_Align/default/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d';
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/batch/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d';

function described(statusReason: string | undefined, container: Record<string, unknown>): JobDescription {
  const c = {
    ContainerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/batch/1f2e',
    TaskArn: TASK,
    NetworkInterfaces: [],
    ...container,
  };
  return {
    Status: 'FAILED',
    ...(statusReason === undefined ? {} : { StatusReason: statusReason }),
    Attempts: [{ Container: c, ...(statusReason === undefined ? {} : { StatusReason: statusReason }) }],
    Container: c,
  };
}

/**
 * EC2 Spot reclaimed the host: status reason `Host EC2 (instance i-…) terminated.`, no exit code. Captured in
 * awslabs/ec2-spot-workshops content/rendering-with-batch/monitor/optional_fis.md ("Host EC2 (instance
 * i-04b17daec78ef4a0b) terminated."); "a job that fails because its EC2 instance is shutdown in the middle of it will
 * not have an exit code" (nextstrain/cli#145).
 */
export const spotReclaimed = (instance = 'i-04b17daec78ef4a0b') =>
  described(`Host EC2 (instance ${instance}) terminated.`, { LogStreamName: LOG_STREAM });

/**
 * Fargate Spot reclaimed the task: ECS's stopped reason `Your Spot Task was interrupted.` passed on by Batch
 * (nextflow-io/nextflow#5786, a Batch job on a Fargate Spot compute environment); no exit code.
 */
export const fargateSpotReclaimed = () => described('Your Spot Task was interrupted.', { LogStreamName: LOG_STREAM });

/**
 * Killed for memory: container reason `OutOfMemoryError: Container killed due to memory usage`, job status reason
 * `Essential container in task exited` (captured event: spacetelescope/calcloud
 * tests/artifacts/events/batch-event-container-memory-error.json); exit code 137 as the ECS console shows it
 * ("OutOfMemoryError: Container killed due to memory usage Exit Code 137", aws/amazon-ecs-agent#1187).
 */
export const outOfMemory = (exitCode = 137) =>
  described('Essential container in task exited', {
    ExitCode: exitCode,
    Reason: 'OutOfMemoryError: Container killed due to memory usage',
    LogStreamName: LOG_STREAM,
  });

/** The application failed: exit code 1, `Essential container in task exited` (hls-orchestration, above). */
export const applicationError = (exitCode = 1) =>
  described('Essential container in task exited', { ExitCode: exitCode, LogStreamName: LOG_STREAM });

/**
 * Past the job timeout: `Job attempt duration exceeded timeout`, exit code 137, no container reason (captured:
 * spacetelescope/calcloud tests/artifacts/events/batch-event-timeout-error.json).
 * https://docs.aws.amazon.com/batch/latest/userguide/job_timeouts.html
 */
export const timedOut = () =>
  described('Job attempt duration exceeded timeout', { ExitCode: 137, LogStreamName: LOG_STREAM });

/**
 * A failed job whose description has no status reason, no exit code and no log stream: what moto 5.2.1's Batch
 * backend reports for a job it could not run (../shared/reference/moto-5.2-notes.md), and the shape a job cancelled
 * before it started can take.
 */
export const bareFailure = (): JobDescription => ({ Status: 'FAILED', Attempts: [] });

/**
 * Batch API errors as a Step Functions task raises them, named `Batch.<exception>`:
 * - throttling: unmodeled, so `Batch.AWSBatchException` (chanzuckerberg/single-cell-data-portal PR #7165 "can fail
 *   with the error Batch.AWSBatchException"), message captured in ASFHyP3/hyp3#1676;
 * - a client error: `Batch.ClientException` (chanzuckerberg/single-cell-data-portal#1068);
 * - a server error: `Batch.ServerException` (ASFHyP3/hyp3 PR #805).
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html
 */
export const BATCH_API_ERRORS = {
  throttled: {
    name: 'Batch.AWSBatchException',
    message:
      'Too Many Requests (Service: AWSBatch; Status Code: 429; Error Code: TooManyRequestsException; Request ID: 7b1e4f1c-5a2d-4c1e-9f4a-3c2b1a0d9e8f; Proxy: null)',
  },
  client: {
    name: 'Batch.ClientException',
    message:
      'JobDefinition arn:aws:batch:us-east-1:123456789012:job-definition/Test_Align:92 is not in ACTIVE status (Service: AWSBatch; Status Code: 400; Error Code: ClientException; Request ID: 0f6c3b8e-8d8a-4f1e-a1b2-c3d4e5f6a7b8; Proxy: null)',
  },
  server: {
    name: 'Batch.ServerException',
    message:
      'Failed to create shareIdentifier default (Service: AWSBatch; Status Code: 500; Error Code: ServerException; Request ID: 4e5f6a7b-8c9d-0e1f-2a3b-4c5d6e7f8a9b; Proxy: null)',
  },
} as const;
