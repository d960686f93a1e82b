import type { BatchClient } from '@aws-sdk/client-batch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { accountQuotas, QueueQuotas } from './account-quotas';
import { AwsCalls, DEFAULT_MAX_THROTTLE_RETRIES, loadSdk } from './aws-calls';
import { runCost, RunCostOptions } from './cost';
import { diagnose, DiagnoseOptions, StuckJob } from './diagnose';
import { ExecutionFailures, executionFailures } from './executions/failures';
import { ExecutionProgress, executionProgress, followExecution, FollowExecutionOptions } from './executions/progress';
import { ExecutionRerunResult, rerunExecution, RerunExecutionOptions } from './executions/rerun';
import { StartedExecution, startExecution, StartExecutionOptions } from './executions/start';
import { cancelJobs, CancelJobsOptions, CancelResult } from './jobs/cancel';
import { JobRun, jobRunOf, listRunJobs, RunJob } from './jobs/describe';
import { JobFailure, jobFailures } from './jobs/failures';
import { JobRerunResult, rerunJobs, RerunJobsOptions } from './jobs/rerun';
import { StatusCounts } from './jobs/status';
import { SubmitRequest, SubmittedJob, submitJobs } from './jobs/submit';
import { jobProgress, watchJobs, WatchJobsOptions } from './jobs/watch';
import { failedExecutionLogs, failedRunJobLogs } from './logs/failed';
import { followJobLog } from './logs/follow';
import { itemStepJob } from './logs/item-job';
import { tailJobLog } from './logs/tail';
import { FailedJobLogs, FollowedJobLog, FollowJobLogOptions, ItemStepJob, JobLogTail } from './logs/types';
import { executionReport, jobsReport, RunReportOptions } from './report/collect';
import { RunReport } from './report/types';
import { rightsize, RightsizeResult, RightsizeRunOptions, RightsizeTarget } from './rightsize';
import { RunCost } from './run-cost';
import { spend } from './spend';
import { activateTag, COST_EXPLORER_REGION, loadCostExplorerSdk } from './spend/cost-explorer';
import { SpendOptions, SpendReport } from './spend/types';
import { PIPELINE_TAG_KEY } from '../contract/cost-tag';
import { SUBMIT_JOB_CALLS_PER_SECOND } from '../private/limits';

// The client is TypeScript only (it runs on the AWS SDK for JavaScript): `@jsii ignore` keeps it out of the other
// languages' packages, whose users have their own SDKs. See the README's "Python" section.

/**
 * Options of `PipelineClient`.
 * @jsii ignore
 */
export interface PipelineClientOptions {
  /**
   * The Batch client.
   * @default - a new BatchClient from the standard AWS SDK configuration chain (region, profile, credentials)
   */
  readonly batch?: BatchClient;
  /**
   * The Step Functions client.
   * @default - a new SFNClient from the standard configuration chain
   */
  readonly sfn?: SFNClient;
  /**
   * The S3 client (manifests and result files).
   * @default - a new S3Client from the standard configuration chain
   */
  readonly s3?: S3Client;
  /**
   * The Service Quotas client (the account's EC2 vCPU quotas, read by `accountQuotas`).
   * @default - a new ServiceQuotasClient in the Batch client's Region, made on first use
   */
  readonly serviceQuotas?: ServiceQuotasClient;
  /**
   * The CloudWatch Logs client (jobs' logs, read by `tailJobLog` and `followJobLog`).
   * @default - a new CloudWatchLogsClient in the Batch client's Region, made on first use
   */
  readonly logs?: CloudWatchLogsClient;
  /**
   * The Cost Explorer client (what a pipeline cost, read by `spend`).
   * @default - a new CostExplorerClient in us-east-1 (Cost Explorer's only endpoint), made on first use
   */
  readonly costExplorer?: CostExplorerClient;
  /**
   * SubmitJob calls per second.
   * @default 50 - Batch's account limit
   */
  readonly submitPerSecond?: number;
  /**
   * Attempts at a throttled (or 5xx) call before giving up. The client does the retrying: give it SDK clients
   * with `maxAttempts: 1` (as the default ones are) so the two do not multiply.
   * @default 8
   */
  readonly maxThrottleRetries?: number;
  /**
   * How the client waits between polls and retries (tests pass a fake).
   * @default - real timers
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The clock, in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Submits, watches, reruns, diagnoses and cancels the work of a pipeline this library provisioned, on the AWS SDK for
 * JavaScript v3. Region, profile and credentials come from the SDK's standard configuration chain.
 *
 * Two kinds of run: a run of jobs (`submitJobs`, `jobProgress`, `watchJobs`, `jobFailures`, `rerunJobs`,
 * `cancelJobs`), submitted straight to Batch queues and named by a run id; and a workflow execution
 * (`startExecution`, `executionProgress`, `followExecution`, `executionFailures`, `rerunExecution`) of a `Workflow`'s
 * state machine. Errors the client raises itself are `PipelineClientError`s (`PipelineErrors.isClientError`); the
 * others are the AWS SDK's.
 * @jsii ignore
 */
export class PipelineClient {
  private readonly aws: AwsCalls;
  private costExplorerClient?: CostExplorerClient;

  constructor(options: PipelineClientOptions = {}) {
    const sdk = loadSdk();
    this.aws = new AwsCalls(
      options.batch ?? new sdk.batch.BatchClient({ maxAttempts: 1 }),
      options.sfn ?? new sdk.sfn.SFNClient({ maxAttempts: 1 }),
      options.s3 ?? new sdk.s3.S3Client({ maxAttempts: 1 }),
      options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      options.now ?? Date.now,
      options.submitPerSecond ?? SUBMIT_JOB_CALLS_PER_SECOND,
      options.maxThrottleRetries ?? DEFAULT_MAX_THROTTLE_RETRIES,
      options.serviceQuotas,
      options.logs,
    );
    this.costExplorerClient = options.costExplorer;
  }

  // --- Runs of jobs ------------------------------------------------------------------------------------------------

  /**
   * Submits every stage over every item: as array jobs of up to 10,000 children (chunked beyond, stages chained
   * N_TO_N chunk by chunk), or one job per item. Re-running the same request after a failure or timeout submits
   * nothing twice: a job whose deterministic name already exists on the queue is reused.
   */
  public submitJobs(request: SubmitRequest): Promise<SubmittedJob[]> {
    return submitJobs(this.aws, request);
  }

  /** The jobs of a run on a queue, any status: named `<runId>-…` and tagged with the run (`RUN_TAG`). */
  public listJobs(jobQueue: string, runId: string): Promise<RunJob[]> {
    return listRunJobs(this.aws, jobQueue, runId);
  }

  /** The run a job belongs to (its queue and run tag); undefined when Batch does not know the job. */
  public jobRunOf(jobId: string): Promise<JobRun | undefined> {
    return jobRunOf(this.aws, jobId);
  }

  /** Counts per status, array jobs counted by their children (from Batch's status summary). */
  public jobProgress(jobIds: string[]): Promise<StatusCounts> {
    return jobProgress(this.aws, jobIds);
  }

  /**
   * Polls until every job is done, calling `onProgress` after each poll; returns the last counts. The interval starts
   * at `initialMs` and grows by half each poll up to `maxMs`, so a long run costs few calls.
   */
  public watchJobs(jobIds: string[], options: WatchJobsOptions = {}): Promise<StatusCounts> {
    return watchJobs(this.aws, jobIds, options);
  }

  /**
   * Every failed job among `jobIds`, array jobs by their failed children, each with its reason, exit code and log
   * stream.
   */
  public jobFailures(jobIds: string[]): Promise<JobFailure[]> {
    return jobFailures(this.aws, jobIds);
  }

  /**
   * Submits again the items of a finished run of jobs that failed: every stage, in order, over only those items, as
   * the run `<run>-rerun` (so rerunning twice submits once), with the latest revision of each job definition.
   */
  public rerunJobs(jobQueue: string, runId: string, options: RerunJobsOptions = {}): Promise<JobRerunResult> {
    return rerunJobs(this.aws, jobQueue, runId, options);
  }

  /** Cancels the queued jobs of a run and terminates its started ones. Returns how many of each. */
  public cancelJobs(jobQueue: string, runId: string, options: CancelJobsOptions = {}): Promise<CancelResult> {
    return cancelJobs(this.aws, jobQueue, runId, options);
  }

  /**
   * The compute cost of finished jobs: the hours of every attempt of every job and array child, priced as `estimate`
   * prices them.
   */
  public runCost(jobIds: string[], options: RunCostOptions = {}): Promise<RunCost> {
    return runCost(this.aws, jobIds, options);
  }

  /**
   * What the pipeline cost by day or week (Cost Explorer, filtered by its `batch-pipelines:pipeline` tag, split by
   * service), beside the list price of the jobs Batch ran in the period, with the differences it can explain.
   */
  public spend(options: SpendOptions): Promise<SpendReport> {
    return spend(this.aws, this.costExplorer, options);
  }

  /**
   * Activates `batch-pipelines:pipeline` as a cost allocation tag (management account only); returns Cost Explorer's
   * per-tag errors, empty when it took.
   */
  public activateCostTag(): Promise<string[]> {
    return activateTag(this.aws, this.costExplorer, PIPELINE_TAG_KEY);
  }

  private get costExplorer(): CostExplorerClient {
    this.costExplorerClient ??= new (loadCostExplorerSdk().CostExplorerClient)({
      maxAttempts: 1,
      region: COST_EXPLORER_REGION,
    });
    return this.costExplorerClient;
  }

  /** Jobs RUNNABLE on a queue for longer than `olderThanMinutes`, each with Batch's reason translated into a fix. */
  public diagnose(jobQueue: string, options: DiagnoseOptions = {}): Promise<StuckJob[]> {
    return diagnose(this.aws, jobQueue, options);
  }

  /**
   * The account's EC2 vCPU quotas (Service Quotas) that the queue's compute environments draw on, each against the
   * vCPUs the environments may ask for (their maxvCpus): which quota binds and how to raise it. A quota that cannot
   * be read (no `servicequotas:GetServiceQuota` permission) is a note, not an error.
   */
  public accountQuotas(jobQueue: string): Promise<QueueQuotas> {
    return accountQuotas(this.aws, jobQueue);
  }

  /**
   * What a run of jobs did, for `batch-pipelines report`: every item's attempts, per stage, where the time went, what
   * failed (with its log's last lines) and the estimate beside the actual.
   */
  public jobsReport(jobQueue: string, runId: string, options: RunReportOptions = {}): Promise<RunReport> {
    return jobsReport(this.aws, jobQueue, runId, { tailLog: (id, n) => this.tailJobLog(id, n), ...options });
  }

  // --- Workflow executions -----------------------------------------------------------------------------------------

  /**
   * Starts a workflow execution over a manifest in S3, named after the manifest's bucket, key and ETag as the
   * manifest trigger names it: a manifest runs once however often it is started. An existing execution of that name
   * is returned with `alreadyStarted`.
   */
  public startExecution(
    stateMachineArn: string,
    manifest: { bucket: string; key: string },
    options: StartExecutionOptions = {},
  ): Promise<StartedExecution> {
    return startExecution(this.aws, stateMachineArn, manifest, options);
  }

  /** One look at a workflow execution: its status, its Distributed Map runs' item counts, and its failed items. */
  public executionProgress(executionArn: string): Promise<ExecutionProgress> {
    return executionProgress(this.aws, executionArn);
  }

  /**
   * Polls a workflow execution until it ends, calling `onProgress` after each look (its `newFailures` are the items
   * that failed since the previous call); returns the last look.
   */
  public followExecution(executionArn: string, options: FollowExecutionOptions = {}): Promise<ExecutionProgress> {
    return followExecution(this.aws, executionArn, options);
  }

  /**
   * What a finished execution left to rerun: every item that failed or never ran, from its outcomes; items that
   * failed for being malformed are listed apart.
   */
  public executionFailures(executionArn: string): Promise<ExecutionFailures> {
    return executionFailures(this.aws, executionArn);
  }

  // --- Logs --------------------------------------------------------------------------------------------------------

  /**
   * The last `lines` lines of a job's log (its last attempt's), read from the log group its job definition names, or
   * why there are none (`missing`: the job never started, its stream is gone, it logs elsewhere).
   */
  public tailJobLog(jobId: string, lines: number): Promise<JobLogTail> {
    return tailJobLog(this.aws, { jobId }, lines);
  }

  /** Hands a job's log over as it is written (`onLines`), from its last `lines`, until the job ends. */
  public followJobLog(jobId: string, options: FollowJobLogOptions = {}): Promise<FollowedJobLog> {
    return followJobLog(this.aws, jobId, options);
  }

  /**
   * Every failed job of a run with the last `lines` of its log: of a finished workflow run (`executionArn`), or of a
   * run of jobs (`jobQueue` and `runId`).
   */
  public failedJobLogs(
    run: { executionArn: string } | { jobQueue: string; runId: string },
    lines: number,
  ): Promise<FailedJobLogs> {
    return 'executionArn' in run
      ? failedExecutionLogs(this.aws, run.executionArn, lines)
      : failedRunJobLogs(this.aws, run.jobQueue, run.runId, lines);
  }

  /** The Batch job that ran `step` for `item` (its id or index; none outside a fan-out) in a workflow run. */
  public itemStepJob(executionArn: string, step: string, item?: string): Promise<ItemStepJob> {
    return itemStepJob(this.aws, executionArn, step, item);
  }

  /** What a workflow execution did, for `batch-pipelines report` (as `jobsReport`, per step of each item). */
  public executionReport(executionArn: string, options: RunReportOptions = {}): Promise<RunReport> {
    return executionReport(this.aws, executionArn, { tailLog: (id, n) => this.tailJobLog(id, n), ...options });
  }

  /**
   * Right-sizing advice for a run's (or a period's) steps from what their jobs used, read from Container Insights'
   * performance log events (the capacity needs `containerInsights` on): see `batch-pipelines rightsize`.
   */
  public rightsize(target: RightsizeTarget, options: RightsizeRunOptions = {}): Promise<RightsizeResult> {
    return rightsize(this.aws, target, options);
  }

  /**
   * Starts a new execution over only the items of a finished one that failed or never ran, written as a manifest
   * next to the original (`<key>.rerun-<run>.json`); rerunning twice starts it once.
   */
  public rerunExecution(executionArn: string, options: RerunExecutionOptions = {}): Promise<ExecutionRerunResult> {
    return rerunExecution(this.aws, executionArn, options);
  }
}
