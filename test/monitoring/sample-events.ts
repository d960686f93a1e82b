/**
 * EventBridge events as AWS Batch and Step Functions emit them (fields trimmed to what matters).
 *
 * - Batch: the "Job State Change Event" example of https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html
 *   (its `detail` is the DescribeJobs JobDetail: https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html;
 *   array children carry `arrayProperties.index`: https://docs.aws.amazon.com/batch/latest/APIReference/API_ArrayPropertiesDetail.html).
 *   Status reasons: Spot reclaim "Host EC2 (instance i-…) terminated." and the OOM container reason are the ones
 *   collected, with their sources, in test/support/batch-failures.ts.
 * - Step Functions: "Execution Status Change" of https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 *   (`detail` has the DescribeExecution fields; `output` is a JSON string, null when the execution did not succeed or
 *   the output is too large to include, with `outputDetails.included` saying which).
 */

const QUEUE = 'arn:aws:batch:us-east-1:123456789012:job-queue/StandardQueue';

function batchFailure(jobName: string, statusReason: string, container: Record<string, unknown>, attempts: number) {
  return {
    version: '0',
    id: 'c8f9c4b5-76e5-d76a-f980-7011e206042b',
    'detail-type': 'Batch Job State Change',
    source: 'aws.batch',
    account: '123456789012',
    time: '2026-11-20T10:12:30Z',
    region: 'us-east-1',
    resources: ['arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8'],
    detail: {
      jobArn: 'arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8',
      jobName,
      jobId: '4c7599ae-0a82-49aa-ba5a-4727fcce14a8',
      jobQueue: QUEUE,
      status: 'FAILED',
      statusReason,
      attempts: Array.from({ length: attempts }, () => ({
        container: { ...container, taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/AWSBatch-Spot/abc' },
        startedAt: 1763633550000,
        stoppedAt: 1763640750000,
        statusReason,
      })),
      createdAt: 1763633400000,
      retryStrategy: { attempts: 3, evaluateOnExit: [{ onStatusReason: 'Host EC2*', action: 'retry' }] },
      startedAt: 1763633550000,
      stoppedAt: 1763640750000,
      dependsOn: [],
      jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/Align-abc:3',
      parameters: { sampleId: 'NA12878' },
      container: {
        image: 'public.ecr.aws/docker/library/busybox:1.36',
        command: ['sh', '-c', 'echo align NA12878'],
        volumes: [],
        environment: [],
        mountPoints: [],
        ulimits: [],
        networkInterfaces: [],
        resourceRequirements: [
          { value: '4', type: 'VCPU' },
          { value: '30720', type: 'MEMORY' },
        ],
        secrets: [],
        ...container,
      },
      tags: {},
      propagateTags: true,
      platformCapabilities: ['EC2'],
    },
  };
}

/** Three attempts, each ended by a Spot reclaim: the container never exited by itself. */
export const spotInterrupted = batchFailure(
  'Align',
  'Host EC2 (instance i-0f8e1c2d3b4a59687) terminated.',
  { logStreamName: 'Align/default/0a1b2c3d4e5f' },
  3,
);

/** Killed for memory: exit code 137 and the OutOfMemoryError reason. */
export const outOfMemory = batchFailure(
  'CallVariants',
  'OutOfMemoryError: Container killed due to memory usage',
  {
    exitCode: 137,
    reason: 'OutOfMemoryError: Container killed due to memory usage',
    logStreamName: 'CallVariants/default/9f8e7d6c',
  },
  1,
);

/** The tool itself failed. */
export const applicationError = batchFailure(
  'Qc',
  'Essential container in task exited',
  { exitCode: 2, logStreamName: 'Qc/default/5a6b7c8d' },
  1,
);

/** Cancelled by the queue's stuck-job action before it ever ran. */
export const cancelledWhileRunnable = {
  ...batchFailure('Aggregate', 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - cancelled after 1800 seconds', {}, 0),
};

function execution(status: string, error: string | null, cause: string | null, output: string | null = null) {
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2026-11-20T18:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:states:us-east-1:123456789012:execution:Workflow:batch-42'],
    detail: {
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Workflow:batch-42',
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Workflow',
      name: 'batch-42',
      status,
      startDate: 1763632800000,
      stopDate: 1763661600000,
      input: '{}',
      inputDetails: { included: true },
      output,
      outputDetails: { included: output !== null },
      error,
      cause,
    },
  };
}

export const executionFailed = execution(
  'FAILED',
  'samples.ItemsFailed',
  '[{"sampleId":"NA12878","status":"FAILED","error":"align.Failed","cause":"Essential container in task exited"}]',
);
export const executionTimedOut = execution('TIMED_OUT', null, null);

/** A run that succeeded, with its output (null: too large to include in the event). */
export const executionSucceeded = (output: string | null) => execution('SUCCEEDED', null, null, output);

/**
 * Child 7 of an array job, failed with its application's exit code (its parent's event follows). A child has its
 * parent's name and the id `<parent id>:<index>`: https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html
 */
export const arrayChildFailed = (() => {
  const child = batchFailure(
    'resize-photos',
    'Essential container in task exited',
    { exitCode: 1, logStreamName: 'Resize/default/77aa' },
    1,
  );
  return {
    ...child,
    detail: {
      ...child.detail,
      jobId: '4c7599ae-0a82-49aa-ba5a-4727fcce14a8:7',
      arrayProperties: { index: 7 },
    },
  };
})();

/**
 * An array job's parent, failed because some children failed: its detail has `arrayProperties.statusSummary` and
 * `size`, and no container of its own (https://docs.aws.amazon.com/batch/latest/APIReference/API_ArrayPropertiesDetail.html).
 * Its status reason "Array Child Job failed" is the one public Lambda handlers of Batch job events skip parents by
 * (seen in public GitHub code alongside "Dependent Job failed").
 */
export const arrayParentFailed = (() => {
  const parent = batchFailure('resize-photos', 'Array Child Job failed', {}, 0);
  const { container: _container, ...detail } = parent.detail;
  void _container;
  return {
    ...parent,
    detail: { ...detail, arrayProperties: { size: 10, statusSummary: { SUCCEEDED: 7, FAILED: 3 } } },
  };
})();

/**
 * AWS's "Example Job State Change Event", as https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html
 * prints it (a RUNNABLE event). Note what it does not carry: user tags (`tags` holds only `resourceArn`), a
 * `statusReason`, a container exit code or log stream.
 */
export const awsExampleJobEvent = {
  version: '0',
  id: 'c8f9c4b5-76e5-d76a-f980-7011e206042b',
  'detail-type': 'Batch Job State Change',
  source: 'aws.batch',
  account: '123456789012',
  time: '2022-01-11T23:36:40Z',
  region: 'us-east-1',
  resources: ['arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8'],
  detail: {
    jobArn: 'arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8',
    jobName: 'event-test',
    jobId: '4c7599ae-0a82-49aa-ba5a-4727fcce14a8',
    jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/PexjEHappyPathCanary2JobQueue',
    status: 'RUNNABLE',
    attempts: [] as unknown[],
    createdAt: 1641944200058,
    retryStrategy: { attempts: 2, evaluateOnExit: [] as unknown[] },
    dependsOn: [] as unknown[],
    jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/first-run-job-definition:1',
    parameters: {} as Record<string, string>,
    container: {
      image: '137112412989.dkr.ecr.us-east-1.amazonaws.com/amazonlinux:latest',
      command: ['sleep', '600'],
      volumes: [] as unknown[],
      environment: [] as unknown[],
      mountPoints: [] as unknown[],
      ulimits: [] as unknown[],
      networkInterfaces: [] as unknown[],
      resourceRequirements: [
        { value: '2', type: 'VCPU' },
        { value: '256', type: 'MEMORY' },
      ],
      secrets: [] as unknown[],
    },
    tags: { resourceArn: 'arn:aws:batch:us-east-1:123456789012:job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8' },
    propagateTags: false,
    platformCapabilities: [] as unknown[],
  },
};

/** AWS's example event with only its status changed to FAILED (what the failed-job rule selects). */
export const awsExampleJobFailed = {
  ...awsExampleJobEvent,
  detail: { ...awsExampleJobEvent.detail, status: 'FAILED' },
};

/**
 * `event` as it is for a job SubmitJob passed `parameters` to: the detail is the JobDetail, whose `parameters` holds
 * them (https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html).
 */
export function withParameters<E extends { detail: object }>(event: E, parameters: Record<string, string>): E {
  return { ...event, detail: { ...event.detail, parameters } };
}
