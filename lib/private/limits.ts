/**
 * AWS limits the library checks against, in one place, each with the page it comes from.
 * See also ../shared/reference/aws-batch-facts.md in the development workspace.
 */

/**
 * Compute environments per job queue, all EC2-type or all Fargate-type, one CPU architecture.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html
 */
export const MAX_COMPUTE_ENVIRONMENTS_PER_QUEUE = 3;

/**
 * Job queue priority range; higher is scheduled first.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-batch-jobqueue.html
 */
export const MIN_QUEUE_PRIORITY = 0;
export const MAX_QUEUE_PRIORITY = 1000;

/**
 * Spot bid percentage: the maximum percentage of the On-Demand price an instance may cost.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeResource.html
 */
export const MIN_SPOT_BID_PERCENTAGE = 1;
export const MAX_SPOT_BID_PERCENTAGE = 100;

/**
 * The ECS agent reserves memory for the OS; AWS recommends leaving a 5% buffer and the agent
 * keeps at least 32 MiB. Usable memory is modelled as `installed - max(5%, 32 MiB)`.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/memory-management.html
 */
export const MEMORY_RESERVE_FRACTION = 0.05;
export const MEMORY_RESERVE_MIN_MIB = 32;

/**
 * Valid Fargate vCPU -> memory (MiB) combinations.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ResourceRequirement.html
 */
export const FARGATE_SIZES: ReadonlyArray<{ readonly vcpus: number; readonly memoryMiB: readonly number[] }> = [
  { vcpus: 0.25, memoryMiB: [512, 1024, 2048] },
  { vcpus: 0.5, memoryMiB: range(1024, 4096, 1024) },
  { vcpus: 1, memoryMiB: range(2048, 8192, 1024) },
  { vcpus: 2, memoryMiB: range(4096, 16384, 1024) },
  { vcpus: 4, memoryMiB: range(8192, 30720, 1024) },
  { vcpus: 8, memoryMiB: range(16384, 61440, 4096) },
  { vcpus: 16, memoryMiB: range(32768, 122880, 8192) },
];

/**
 * Fargate ephemeral storage range (GiB).
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_EphemeralStorage.html
 */
export const FARGATE_MIN_EPHEMERAL_GIB = 21;
export const FARGATE_MAX_EPHEMERAL_GIB = 200;

/**
 * EBS gp3 volume size range (GiB).
 * @see https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html
 */
export const GP3_MIN_GIB = 1;
export const GP3_MAX_GIB = 16384;

/**
 * The ECS-optimized Amazon Linux 2023 AMI's root volume; a smaller root device fails to launch.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-optimized_AMI.html
 */
export const ECS_AMI_MIN_ROOT_GIB = 30;

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) {
    out.push(v);
  }
  return out;
}

/**
 * Job-state time-limit actions (cancel jobs stuck in RUNNABLE): maxTime range in seconds.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_JobStateTimeLimitAction.html
 */
export const MIN_STATE_TIME_LIMIT_SECONDS = 600;
export const MAX_STATE_TIME_LIMIT_SECONDS = 86_400;

/**
 * Fair-share scheduling policy ranges.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_FairsharePolicy.html
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ShareAttributes.html
 */
export const MIN_WEIGHT_FACTOR = 0.0001;
export const MAX_WEIGHT_FACTOR = 999.9999;
export const MAX_SHARE_DECAY_SECONDS = 604_800;
export const MAX_COMPUTE_RESERVATION = 99;
export const MAX_SHARE_IDENTIFIER_LENGTH = 255;
/**
 * Share identifiers that can be active in one fair-share queue at once; SubmitJob with a new one fails beyond it. A
 * share is active while it has jobs SUBMITTED, PENDING, RUNNABLE, STARTING or RUNNING, and until its share decay
 * expires after that.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_CreateJobQueue.html (schedulingPolicyArn: "a maximum
 *   of 500 active share identifiers. When the limit has been reached, submissions of any jobs that add a new share
 *   identifier fail.")
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ShareAttributes.html
 * @see https://docs.aws.amazon.com/batch/latest/userguide/fair-share-scheduling.html (which shares are active)
 */
export const MAX_ACTIVE_SHARE_IDENTIFIERS = 500;
/**
 * EventBridge's most retries of a target (and the longest age of an event it retries), after which the event goes to
 * the target's dead-letter queue.
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
 */
export const EVENTBRIDGE_MAX_RETRY_ATTEMPTS = 185;
export const EVENTBRIDGE_MAX_EVENT_AGE_HOURS = 24;
/**
 * A job on a fair-share queue needs a scheduling priority (0..9999, higher first), from its job definition or the
 * submit's `schedulingPriorityOverride`; without one SubmitJob fails: "Either schedulingPriority in job definition or
 * schedulingPriorityOverride should be specified." (ClientException, captured in nextflow-io/nextflow#3505).
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html
 */
export const MIN_SCHEDULING_PRIORITY = 0;
export const MAX_SCHEDULING_PRIORITY = 9999;

/**
 * Names of jobs, job queues and job definitions: up to 128 letters, digits, hyphens and underscores.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html
 */
export const BATCH_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * Retry strategy: attempts 1..10, at most 5 evaluateOnExit entries, patterns up to 512 characters with `*` only at
 * the end; onExitCode digits only (optionally ending in `*`).
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_RetryStrategy.html
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_EvaluateOnExit.html
 */
export const MIN_RETRY_ATTEMPTS = 1;
export const MAX_RETRY_ATTEMPTS = 10;
export const MAX_EVALUATE_ON_EXIT = 5;
export const MAX_RETRY_PATTERN_LENGTH = 512;

/**
 * Job timeout: at least 60 seconds; Fargate jobs are stopped after 14 days.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/job_timeouts.html
 * @see https://docs.aws.amazon.com/batch/latest/userguide/fargate.html
 */
export const MIN_JOB_TIMEOUT_SECONDS = 60;
export const FARGATE_MAX_JOB_SECONDS = 14 * 24 * 3600;

/**
 * Tags: at most 50 per resource; with propagateTags the job fails if job and definition tags exceed 50.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/using-tags.html
 */
export const MAX_TAGS = 50;

/**
 * Container memory: at least 4 MiB.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ResourceRequirement.html
 */
export const MIN_JOB_MEMORY_MIB = 4;

/**
 * Multi-node parallel jobs: at most 5 node ranges (node properties groups).
 * @see https://docs.aws.amazon.com/batch/latest/userguide/multi-node-parallel-jobs.html
 */
export const MAX_NODE_RANGES = 5;

/**
 * AWS advises against Spot for jobs of an hour or more unless they checkpoint.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/bestpractice6.html
 */
export const LONG_SPOT_JOB_SECONDS = 3600;

/** Environment variable names Batch reserves. */
export const RESERVED_ENV_PREFIX = 'AWS_BATCH';

/**
 * Step Functions: an inline Map runs at most 40 iterations at once; a Distributed Map up to 10,000 child executions;
 * an execution's history holds at most 25,000 events; a definition at most 1,048,576 characters; state input and
 * output at most 256 KiB; a Standard execution runs at most a year.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
 */
export const INLINE_MAP_MAX_CONCURRENCY = 40;
export const DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000;
export const MAX_HISTORY_EVENTS = 25_000;
export const MAX_DEFINITION_CHARS = 1_048_576;
export const MAX_STATE_PAYLOAD_BYTES = 256 * 1024;
export const MAX_EXECUTION_DAYS = 365;
/** State names are at most 80 characters. */
export const MAX_STATE_NAME_LENGTH = 80;

/**
 * CloudFormation: at most 500 resources per stack; a template at most 1 MB (from S3; 51,200 bytes inline).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */
export const MAX_STACK_RESOURCES = 500;
export const MAX_TEMPLATE_BYTES = 1_048_576;

/**
 * IAM: at most 10 managed policies attached to a role by default (20 on request). aws-cdk-lib moves what does not
 * fit a role's 10,240-character inline policy into managed policies of 6,144 characters each, so a role granted
 * access to many buckets or prefixes one by one reaches this quota at deploy.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const MAX_MANAGED_POLICIES_PER_ROLE = 10;
/** The most an account can raise that quota to. */
export const MAX_RAISED_MANAGED_POLICIES_PER_ROLE = 20;

/**
 * Reasons Batch reports, as patterns (`*` only at the end, as `evaluateOnExit` and Step Functions' StringMatches read
 * them):
 * - an EC2 Spot reclaim ends an attempt with status reason `Host EC2 (instance i-…) terminated.` (aws-cdk-lib's
 *   `batch.Reason.SPOT_INSTANCE_RECLAIMED` is `Host EC2*`; captured outputs: awslabs/ec2-spot-workshops
 *   rendering-with-batch/monitor/optional_fis.md);
 * - a Fargate Spot reclaim with status reason `Your Spot Task was interrupted.` (ECS's stoppedReason for a reclaimed
 *   Spot task, which Batch passes on: nextflow-io/nextflow#5786; no Batch page documents it);
 * - an out-of-memory kill with container reason `OutOfMemoryError: Container killed due to memory usage` and job
 *   status reason `Essential container in task exited` (captured event: spacetelescope/calcloud
 *   tests/artifacts/events/batch-event-container-memory-error.json); the exit code is often 137 but not always;
 * - a timeout with status reason `Job attempt duration exceeded timeout` (and exit code 137: calcloud
 *   tests/artifacts/events/batch-event-timeout-error.json).
 * @see https://docs.aws.amazon.com/batch/latest/userguide/job_retries.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/out-of-memory.html
 * @see https://docs.aws.amazon.com/batch/latest/userguide/job_timeouts.html
 */
export const SPOT_RECLAIM_REASON_PATTERN = 'Host EC2*';
export const FARGATE_SPOT_REASON_PATTERN = 'Your Spot Task was interrupted*';
export const OUT_OF_MEMORY_REASON_PATTERN = 'OutOfMemoryError*';
export const JOB_TIMEOUT_REASON_PATTERN = 'Job attempt duration exceeded timeout*';

/**
 * Status reasons Batch gives a RUNNABLE job that blocks the head of its queue (and cancels it for, after the queue's
 * `jobStateTimeLimitActions`): `CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - …`,
 * `MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - …`, `MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - …`,
 * `MISCONFIGURATION:SERVICE_ROLE_PERMISSIONS - …`. ListJobs and DescribeJobs report them in `statusReason`.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html
 */
export const BLOCKED_REASON_PATTERNS = ['CAPACITY:*', 'MISCONFIGURATION:*'];

/**
 * The status reason of a job the queue cancelled after it waited in RUNNABLE for instance capacity longer than the
 * queue's `jobStateTimeLimitActions` allow (`JobQueue` `cancelOnInsufficientCapacityAfter`): `Canceled by
 * JobStateTimeLimit action due to reason: CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY`. A workflow step reruns such a job
 * On-Demand, as after Spot interruptions.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable_capacity.html
 */
export const CAPACITY_CANCELLED_REASON_PATTERN = 'Canceled by JobStateTimeLimit action due to reason: CAPACITY:*';

/**
 * The reason a workflow gives CancelJob when a Spot attempt waited past its step's `spotWaitLimit` while its queue
 * had room (lib/workflow/states/spot-wait-states.ts). Batch returns it as the job's `statusReason` ("This message is
 * returned by future DescribeJobs operations on the job"), which the `.sync` submit's failure carries; the step then
 * reruns On-Demand, as after Spot interruptions. CancelJob leaves a job that has reached STARTING or RUNNING alone.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_CancelJob.html
 */
export const spotWaitReason = (limit: string) =>
  `Spot wait limit: no Spot capacity within ${limit} (spotWaitLimit); running On-Demand`;
export const SPOT_WAIT_REASON_PATTERN = 'Spot wait limit:*';
/** `spotWaitLimit` bounds: at least the 10 minutes an instance takes to be asked for and start a job, at most a day. */
export const MIN_SPOT_WAIT_SECONDS = 600;
export const MAX_SPOT_WAIT_SECONDS = 86_400;
/**
 * The running jobs the Spot watcher lists to tell a full queue from a Spot drought: ListJobs' default page size; a
 * page full of RUNNING jobs counts as a full queue.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html (maxResults)
 */
export const SPOT_WATCH_RUNNING_PAGE = 100;

/**
 * Errors a Step Functions Batch task raises when the Batch API fails (not the job): `Batch.<exception>` for the
 * exceptions SubmitJob models (ClientException 400, ServerException 500), and `Batch.AWSBatchException` for unmodeled
 * ones, among them throttling. AWS documents no list: Step Functions names service errors after the Java SDK's
 * exception class, and that SDK reports SubmitJob's 429 as `AWSBatchException: Too Many Requests (Service: AWSBatch;
 * Status Code: 429; Error Code: TooManyRequestsException …)` (nextflow-io/nextflow#710); `Batch.ServerException` and
 * `Batch.AWSBatchException` were seen from `submitJob.sync` by users (ASFHyP3/hyp3#805, #911). Throttling and server
 * errors are worth retrying; a client error (a deleted queue, a bad parameter) is not.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export const BATCH_API_RETRYABLE_ERRORS = ['Batch.AWSBatchException', 'Batch.ServerException'];
export const BATCH_API_ERRORS = [...BATCH_API_RETRYABLE_ERRORS, 'Batch.ClientException'];

/**
 * How a submit state retries the Batch API errors above: up to 20 times, exponentially (1 s, 2 s, 4 s, … Step
 * Functions' default BackoffRate 2.0 from the default IntervalSeconds 1), each wait capped at 5 minutes and drawn at
 * random below its cap (JitterStrategy FULL, AWS's advice for throttling), so a storm of throttled SubmitJob calls
 * spreads out instead of retrying in step. A submit gives up after at most ~64 minutes of waiting (511 s for the
 * first 9 retries, 300 s for each of the other 11), ~32 on average; a retry costs one state transition. Step
 * Functions accepts MaxAttempts up to 99,999,999 and MaxDelaySeconds from 1 to 31,622,400 (a year).
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (Retrying after an error)
 * @see https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html (SubmitJob: 50 calls a second)
 */
export const SUBMIT_RETRY_MAX_ATTEMPTS = 20;
export const SUBMIT_RETRY_MAX_DELAY_SECONDS = 300;

/**
 * Names a Step Functions Task state may report when `states:startExecution` is refused because an execution of that
 * name exists. Captured output shows `StepFunctions.ExecutionAlreadyExistsException` (the integration names errors
 * after the Java SDK's exception class); AWS documents no name, and the API's own code is `ExecutionAlreadyExists`, so
 * that spelling is caught too: catching a name that never occurs costs nothing, missing the real one would keep every
 * duplicated event in the dead-letter queue.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html
 */
export const START_EXECUTION_ALREADY_EXISTS_ERRORS = [
  'StepFunctions.ExecutionAlreadyExistsException',
  'StepFunctions.ExecutionAlreadyExists',
];

/**
 * Step Functions: a Fail state's (and an execution's) cause holds at most 32,768 characters, its error 256.
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 */
export const MAX_CAUSE_CHARS = 32_768;
/** How many failed items a fan-out's failure summary lists in full (the rest are counted, and where they are said). */
export const FAILURES_IN_SUMMARY = 10;

/**
 * Array jobs: 2..10,000 children. SubmitJob: 50 calls per second per account. DescribeJobs: 100 ids per call.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html
 */
export const MIN_ARRAY_SIZE = 2;
export const MAX_ARRAY_SIZE = 10_000;
export const SUBMIT_JOB_CALLS_PER_SECOND = 50;
export const DESCRIBE_JOBS_PER_CALL = 100;

/**
 * CloudWatch alarms: a period of whole minutes (60 s and up here), and period × evaluation periods at most one day.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export const MIN_ALARM_WINDOW_SECONDS = 300;
export const MAX_ALARM_WINDOW_SECONDS = 86_400;

/**
 * Compute environment infrastructure updates: running jobs get `jobExecutionTimeoutMinutes` to finish (default 30,
 * at most 7,200) unless `terminateJobsOnUpdate` is set.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_UpdatePolicy.html
 */
export const DEFAULT_UPDATE_TIMEOUT_MINUTES = 30;
export const MAX_UPDATE_TIMEOUT_MINUTES = 7_200;

/**
 * Step Functions evaluates at most 10 intrinsic functions nested in one field.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
 */
export const MAX_NESTED_INTRINSICS = 10;

/**
 * Finished jobs (SUCCEEDED, FAILED) stay listed for at least 7 days; after that Batch may forget them.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/job_states.html
 */
export const FINISHED_JOB_RETENTION_DAYS = 7;

/**
 * Account-level quotas the library's resources consume, per account (IAM: all Regions together) or per account and
 * Region. `test/examples/account-quotas.test.ts` counts what copies of the example stack use against them.
 * - CloudWatch Logs: at most 10 account-level resource policies per Region, not adjustable ("An account can have a
 *   maximum of 10 policies without resourceARN and one per LogGroup resourceARN"); a log group's own policy does not
 *   count; 1,000,000 log groups per Region; 100 metric filters and 2 subscription filters per log group. The
 *   account-level policy that log delivery (Step Functions logging) edits holds at most 5,120 characters, and is not
 *   touched for log groups named /aws/vendedlogs/...
 * - EventBridge: 300 rules per event bus (100 in af-south-1 and eu-south-1), of which at most 30 with a wildcard
 *   filter, not adjustable; 5 targets per rule; an event pattern of at most 2,048 characters.
 * - IAM: 1,000 roles, 1,000 instance profiles and 1,500 customer managed policies per account (all adjustable).
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const MAX_LOGS_ACCOUNT_RESOURCE_POLICIES = 10;
export const MAX_LOG_GROUPS = 1_000_000;
export const MAX_METRIC_FILTERS_PER_LOG_GROUP = 100;
export const MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP = 2;
export const VENDED_LOGS_PREFIX = '/aws/vendedlogs/';
export const MAX_RULES_PER_EVENT_BUS = 300;
export const MAX_WILDCARD_RULES_PER_EVENT_BUS = 30;
export const MAX_TARGETS_PER_RULE = 5;
export const MAX_EVENT_PATTERN_CHARS = 2_048;
export const MAX_IAM_ROLES = 1_000;
export const MAX_IAM_INSTANCE_PROFILES = 1_000;
export const MAX_IAM_MANAGED_POLICIES = 1_500;

/**
 * CloudWatch Logs GetLogEvents: at most 10,000 events (and 1 MB) a response; 25 requests per second per account and
 * Region (GetLogEvents' own quota). `batch-pipelines logs` reads at most this many lines of a job, and the logs of a
 * run's failed jobs a few streams at a time.
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
 */
export const GET_LOG_EVENTS_MAX_EVENTS = 10_000;
export const GET_LOG_EVENTS_CALLS_PER_SECOND = 25;

/**
 * Batch's log group for jobs whose definition names none (`awslogs-group`).
 * @see https://docs.aws.amazon.com/batch/latest/userguide/using_awslogs.html
 */
export const BATCH_DEFAULT_LOG_GROUP = '/aws/batch/job';

/**
 * AWS Budgets: a budget has at most 10 notifications, each with one SNS subscriber and up to 10 e-mail ones; a budget
 * action's IAM definition names 1 to 100 roles (by name, not ARN).
 * @see https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Notification.html
 * @see https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_IamActionDefinition.html
 */
export const MAX_NOTIFICATIONS_PER_BUDGET = 10;
export const MAX_ROLES_PER_BUDGET_ACTION = 100;

/**
 * Right-sizing (`batch-pipelines rightsize`, lib/cost/rightsize.ts). Container Insights samples a task's memory and
 * CPU once a minute (a `Type: Task` performance event a minute), so a shorter peak is not seen, and the next input
 * may need more than the ones measured: the recommendation is the measured max plus 20%, rounded up to whole GiB and
 * vCPUs. Fewer than 5 measured jobs make p95 the max of a handful of inputs: the command says so instead of advising.
 * A measured peak at 90% of the request or more is an out-of-memory risk. The reference workload is 500 samples a week
 * (500 × 52 / 12 a month), the README's.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html
 */
export const RIGHTSIZE_HEADROOM = 0.2;
export const RIGHTSIZE_MIN_JOBS = 5;
export const RIGHTSIZE_NEAR_LIMIT = 0.9;
export const RIGHTSIZE_REFERENCE_ITEMS_PER_MONTH = (500 * 52) / 12;

/**
 * Container Insights' performance log group of an ECS cluster, and ECS's CPU units a vCPU (`CpuUtilized` is in CPU
 * units: "The CPU units used by tasks").
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html (1,024 CPU units = 1 vCPU)
 */
export const containerInsightsLogGroup = (clusterName: string) =>
  `/aws/ecs/containerinsights/${clusterName}/performance`;
export const ECS_CPU_UNITS_PER_VCPU = 1024;

/**
 * Container Insights' custom metrics of one ECS cluster, counted from the `CloudWatchMetrics` blocks of its
 * performance events: a Task event puts 8 metrics (CpuUtilized, CpuReserved, MemoryUtilized, MemoryReserved,
 * StorageReadBytes, StorageWriteBytes, NetworkRxBytes, NetworkTxBytes) under the dimensions [ClusterName] and
 * [ClusterName, TaskDefinitionFamily], a Cluster event 3 (TaskCount, ContainerInstanceCount, ServiceCount) under
 * [ClusterName]: 11 a cluster and 8 a task definition family (a Batch job definition). A count from below: the
 * metrics page lists more for container instances and services.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
 */
export const CONTAINER_INSIGHTS_METRICS_PER_CLUSTER = 11;
export const CONTAINER_INSIGHTS_METRICS_PER_TASK_FAMILY = 8;
