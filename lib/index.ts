// The public API of cdk-batch-pipelines, grouped by concern. Everything not listed here is internal: it may change in
// any release and is not in the API reference.

// Errors: what the constructs throw, and checks that hold across copies of the library and languages.
export { BatchPipelinesValidationError, PipelineErrors } from './core/validation-error';
export type { ProblemParts } from './core/validation-error';

// The cost-allocation tag on everything the library creates (read by `batch-pipelines spend` and budgets).
export { PipelineTag } from './core/pipeline-tag';
export type { PipelineTagValue } from './core/pipeline-tag';

// Where jobs run: capacity, the instance catalog and the fit check.
export { CapacityPlatform, PurchaseOption } from './compute/capacity';
export type { ICapacity } from './compute/capacity';
export { Ec2Capacity } from './compute/ec2-capacity';
export type { ConcurrentJobs, Ec2CapacityProps } from './compute/ec2-capacity-props';
export { FargateCapacity } from './compute/fargate-capacity';
export type { FargateCapacityProps } from './compute/fargate-capacity';
export type { ImportedEc2CapacityOptions, ImportedFargateCapacityOptions } from './compute/imported-capacity';
export { InstanceCatalog, InstanceCategory } from './compute/instance-catalog';
export type { InstanceTypeInfo } from './compute/instance-catalog';
export {
  fitOnFargate,
  fitOnInstance,
  fitOnInstances,
  formatFargateSize,
  isValidFargateSize,
  nearestFargateSizes,
} from './compute/fit';
export { FitLimit } from './compute/fit';
export type { FargateSize, FitResult, InstanceFit, InstanceMiss, JobResources } from './compute/fit';
export { FitQuery } from './compute/fit-query';

// How jobs queue.
export { JobQueueBase } from './queues/job-queue-base';
export type { IJobQueue } from './queues/job-queue-base';
export { JobQueue } from './queues/job-queue';
export type { FairShare, FairShareOptions, JobQueueProps, QueuePresetOptions } from './queues/job-queue';
export type { ImportedJobQueueOptions } from './queues/imported-job-queue';
export { JOB_METRICS_NAMESPACE, JobMetric } from './queues/job-metrics';

// What a job is.
export { Job } from './jobs/job';
export type { JobProps } from './jobs/job-props';
export type { ContainerLinuxParameters, ContainerSettings } from './jobs/container-settings';
export type { IJob, ImportedJobOptions } from './jobs/job-ref';
export { MultiNodeJob } from './jobs/multi-node-job';
export type { MultiNodeJobProps, NodeRange } from './jobs/multi-node-job';
export { RetryAction, RetryPolicy } from './jobs/retry-policy';
export type { RetryRule } from './jobs/retry-policy';
export { SharedJobResources } from './jobs/shared-job-resources';
export type { SharedJobResourcesProps } from './jobs/shared-job-resources';
export type { EfsMountOptions } from './jobs/job-access';

// How jobs depend on each other: workflows, and what a run reports for each item.
export { FanOut, FanOutMode, WorkflowStep } from './workflow/step';
export type {
  CheckpointLocation,
  FanOutOptions,
  InputObjects,
  ManifestSource,
  MemoryEscalation,
  ResultsDestination,
  StepCache,
  WorkflowStepOptions,
} from './workflow/step';
export { Workflow } from './workflow/workflow';
export type { RunNotificationOptions, WorkflowProps } from './workflow/workflow';
export { FailureKind, OutcomeStatus } from './contract/outcome';
export type { CachedStepRecord, ItemOutcome } from './contract/outcome';
export { ITEM_ENV } from './contract/job-env';

// Starting work: a manifest upload starts a workflow run.
export { ManifestTrigger } from './triggers/manifest-trigger';
export type { ManifestTriggerProps } from './triggers/manifest-trigger';

// Watching it: dashboards, alarms, notifications and the stuck-queue probe.
export { PipelineMonitoring } from './monitoring/pipeline-monitoring';
export type { PipelineMonitoringProps } from './monitoring/pipeline-monitoring';
export { QueueProbe } from './monitoring/queue-probe';
export type { QueueProbeProps } from './monitoring/queue-probe';

// Capping it: a monthly budget that stops new work at its cap.
export { PipelineBudget } from './budget/pipeline-budget';
export { BudgetAlertType } from './budget/pipeline-budget-props';
export type { BudgetAlert, PipelineBudgetProps } from './budget/pipeline-budget-props';

// Paying for it: the cost model and the cost report.
export { CostModel, estimateCost, formatCostTable } from './cost/cost-model';
export {
  CostModelError,
  FARGATE_MIN_BILLED_SECONDS,
  FARGATE_PRICE,
  FIXED_COST_PRICES,
  HOURS_PER_MONTH,
  MakespanLimit,
} from './cost/cost-types';
export type {
  Backlog,
  CostAssumptions,
  CostEstimate,
  CostInputNames,
  CostLine,
  EstimateOptions,
  FargatePrice,
  FixedCostEstimate,
  FixedCostLine,
  FixedCostPrices,
  FixedCosts,
  InputKey,
  JobRequest,
  Makespan,
  Placement,
  ResolvedAssumptions,
  SpotOverhead,
  Throughput,
  Workload,
} from './cost/cost-types';
export { COST_BACKLOG_WARNING, COST_ESTIMATE_METADATA, CostReport } from './cost/cost-report';
export type { CostReportProps } from './cost/cost-report-props';
export type { DeclaredCostEstimate, StepCacheEstimate, StepCost, TransitionEstimate } from './cost/declared-cost-types';

// Compliance controls for regulated data.
export { ComplianceControls } from './compliance/compliance-controls';
export type { ComplianceControlsProps } from './compliance/compliance-controls';

// Running work from code (TypeScript only: the client runs on the AWS SDK for JavaScript).
export { PipelineClient } from './client/pipeline-client';
export type { PipelineClientOptions } from './client/pipeline-client';
export { PipelineClientError } from './client/errors';
export type { ClientErrorKind } from './client/errors';
export type { JobStage, SubmitRequest, SubmittedJob } from './client/jobs/submit';
export type { JobRun, RunJob } from './client/jobs/describe';
export type { StatusCounts } from './client/jobs/status';
export type { JobsSpan, WatchJobsOptions } from './client/jobs/watch';
export type { JobFailure } from './client/jobs/failures';
export type { JobRerunResult, RerunJobsOptions } from './client/jobs/rerun';
export type { StageRerun } from './client/jobs/rerun-plan';
export type { CancelJobsOptions, CancelResult } from './client/jobs/cancel';
export type { PollOptions } from './client/aws-calls';
export type { RunCostOptions } from './client/cost';
export type { RunCost } from './client/run-cost';
export type {
  RunsInPeriod,
  ServiceCost,
  SpendDifference,
  SpendOptions,
  SpendPeriod,
  SpendReport,
  SpendTag,
} from './client/spend/types';
export type { DiagnoseOptions, StuckJob } from './client/diagnose';
export type { QueueQuotas, QuotaFinding } from './client/account-quotas';
export type { StartedExecution, StartExecutionOptions } from './client/executions/start';
export type {
  ExecutionProgress,
  FollowExecutionOptions,
  ItemFailure,
  MapRunProgress,
} from './client/executions/progress';
export type { ExecutionFailures } from './client/executions/failures';
export type { ExecutionRerunResult, RerunExecutionOptions } from './client/executions/rerun';
export type { StepCacheCount } from './client/executions/step-cache';
export type { FailedItem, RunManifest } from './client/run-outcomes';
export type { RightsizeResult, RightsizeRunOptions, RightsizeTarget } from './client/rightsize';
export type { PricedSize, RightsizeAdvice, StepAdvice, UsageStats } from './cost/rightsize';
export type { RunReportOptions, TailJobLog } from './client/report/collect';
export type {
  AttemptEnd,
  PathLink,
  ReportAttempt,
  ReportFailure,
  ReportItemStep,
  RunReport,
  SlowItem,
  Spread,
  StepEstimate,
  StepSummary,
  TimeShares,
} from './client/report/types';
export { renderReportHtml } from './report/html';
export type {
  FailedJobLog,
  FailedJobLogs,
  FollowedJobLog,
  FollowJobLogOptions,
  ItemStepJob,
  JobLogTail,
} from './client/logs/types';
