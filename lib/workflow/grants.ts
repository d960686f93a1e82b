import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CachePlan } from './plan/cache-plan';
import { StepPlan } from './plan/step-plan';
import { FanOut, WorkflowStep } from './step';
import { Job } from '../jobs/job';
import { grantContainerInsightsReads } from '../queues/insights-grant';
import { IJobQueue } from '../queues/job-queue-base';
import { acknowledgeOnGrantee, acknowledgeWildcards } from '../private/nag';
import { stackJobDefinitionsArn, stackNamePart } from '../private/names';
import { RUN_TAG } from '../contract/job-env';
import { ID_CLAIMS_FOLDER } from '../contract/run-state';

// Every grant the workflow makes, in one place: what its steps' jobs may read and write (`grantStepAccess`), what the
// state machine's role may call (`grantWorkflowAccess`), and what a user's principal needs to follow runs
// (`grantWatchAccess`, behind `Workflow.grantWatch`).

/**
 * What the plan implies for the steps' jobs: a job that checkpoints reads and writes under its checkpoint prefix, a
 * step after a fan-out with results in S3 reads the result files, and each job learns what the workflow does for it
 * (escalation to On-Demand, checkpoints), which silences its long-Spot-job warning.
 * @param plans every step's plan, in declaration order
 * @param built the steps in the order their states were built (the order their result reads were granted before)
 */
export function grantStepAccess(plans: readonly StepPlan[], built: readonly StepPlan[]): void {
  for (const plan of plans) {
    const { job, checkpoint } = plan.step._options;
    if (plan.onDemandQueue) {
      job._markByWorkflow({ spotEscalated: true });
    }
    if (checkpoint) {
      const prefix = checkpoint.prefix ?? 'checkpoints/';
      job.grantRead(checkpoint.bucket, prefix);
      job.grantWrite(checkpoint.bucket, prefix);
      job._markByWorkflow({ checkpointing: true });
    }
  }
  for (const plan of built) {
    for (const f of plan.resultsReadFrom) {
      plan.step._options.job.grantRead(f.results!.bucket, f.results!.prefix ?? 'results/');
    }
  }
}

/** What the state machine's role needs: what it submits where, and the fan-outs' manifests and results. */
export interface WorkflowAccess {
  /** The steps' plans in the order their states were built (their jobs and queues are listed in that order). */
  readonly built: readonly StepPlan[];
  readonly fanOuts: readonly FanOut[];
  /** The step-result cache, when there is one. */
  readonly cache?: CachePlan;
}

/**
 * Grants the state machine's role exactly what its states call: SubmitJob on the stack's job definitions and the
 * workflow's queues, the `.sync` integration's DescribeJobs, TerminateJob and managed rule, reads of manifests and
 * writes of results under their prefixes (and their keys), and DescribeMapRun for fan-outs that count results in S3.
 */
export function grantWorkflowAccess(scope: Construct, machine: sfn.StateMachine, access: WorkflowAccess): void {
  const stack = Stack.of(scope);
  // One statement, and one resource pattern per stack for job definitions named `<stack>_...` (the default): an ARN
  // per job would outgrow IAM's policy size limits at a few dozen jobs (see MAX_MANAGED_POLICIES_PER_ROLE).
  const jobs = new Set<Job>(access.built.map((p) => p.step._options.job));
  const queues = new Set<IJobQueue>(
    access.built.flatMap((p) => [p.queue, ...(p.onDemandQueue ? [p.onDemandQueue] : [])]),
  );
  const definitions = new Map<string, string>();
  for (const job of jobs) {
    const jobStack = Stack.of(job);
    const prefix = `${stackNamePart(jobStack)}_`;
    if (!Token.isUnresolved(job.jobDefinitionName) && job.jobDefinitionName.startsWith(prefix)) {
      definitions.set(`${jobStack.node.path}/${prefix}`, stackJobDefinitionsArn(jobStack));
    } else {
      definitions.set(job.node.path, job.jobDefinitionArnAllRevisions);
    }
  }
  machine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['batch:SubmitJob'],
      resources: [...definitions.values(), ...[...queues].map((q) => q.jobQueueArn)],
    }),
  );
  // DescribeJobs has no resource-level permissions; TerminateJob lets a stopped execution stop its jobs.
  // https://docs.aws.amazon.com/step-functions/latest/dg/batch-iam.html
  machine.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:DescribeJobs'], resources: ['*'] }));
  // The submit tags each job with its run. Tagging on creation may be authorized as TagResource on the new job, and a
  // job whose tags cannot be applied is not created: allow exactly those tags.
  // https://docs.aws.amazon.com/batch/latest/userguide/tag-resources.html
  machine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['batch:TagResource'],
      resources: [stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
      conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [RUN_TAG] } },
    }),
  );
  machine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['batch:TerminateJob'],
      resources: [stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
    }),
  );
  if (access.built.some((p) => p.spotWait)) {
    // A step with a Spot wait limit lists its job and its queue's running jobs (ListJobs has no resource-level
    // permissions) and may cancel its job (spot-wait-states.ts).
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbatch.html
    machine.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:ListJobs'], resources: ['*'] }));
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['batch:CancelJob'],
        resources: [stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
      }),
    );
  }
  machine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [
        stack.formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: 'StepFunctionsGetEventsForBatchJobsRule',
        }),
      ],
    }),
  );
  const keys = new Map<kms.IKey, 'read' | 'write'>();
  for (const f of access.fanOuts) {
    if (f.manifest) {
      const prefix = f.manifest.prefix ?? 'manifests/';
      machine.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [f.manifest.bucket.arnForObjects(`${prefix}*`)],
        }),
      );
      if (f.manifest.bucket.encryptionKey && !keys.has(f.manifest.bucket.encryptionKey)) {
        keys.set(f.manifest.bucket.encryptionKey, 'read');
      }
    }
    if (f.results) {
      // Only under the prefix: aws-cdk-lib's own ResultWriter grants writes to the whole bucket.
      machine.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
          resources: [f.results.bucket.arnForObjects(`${f.results.prefix ?? 'results/'}*`)],
        }),
      );
      if (f.manifest) {
        // A manifest's line lists the claims of its id (duplicate-ids.ts): ListObjectsV2 needs s3:ListBucket on the
        // bucket, here only for keys under the claims folder. (Its claim is a PutObject under the prefix, above.)
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
        machine.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [f.results.bucket.bucketArn],
            conditions: { StringLike: { 's3:prefix': [`${f.results.prefix ?? 'results/'}${ID_CLAIMS_FOLDER}*`] } },
          }),
        );
      }
      if (f.results.bucket.encryptionKey) {
        keys.set(f.results.bucket.encryptionKey, 'write');
      }
    }
  }
  if (access.cache) {
    // Records are read and written under the cache prefix only. ListBucket on that prefix makes S3 answer a lookup of
    // a missing record with 404 (S3.NoSuchKeyException), not 403: "If you don't have the s3:ListBucket permission,
    // Amazon S3 returns an HTTP status code 403". https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
    const { bucket, prefix } = access.cache;
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    machine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
    );
    if (bucket.encryptionKey) {
      keys.set(bucket.encryptionKey, 'write');
    }
    grantInputObjects(machine, access.fanOuts);
  }
  for (const [key, use] of keys) {
    if (use === 'read') {
      key.grantDecrypt(machine);
    } else {
      key.grantEncryptDecrypt(machine);
    }
  }
  if (access.fanOuts.some((f) => f.results)) {
    // Map runs of this state machine, named at run time. A policy of its own, not the role's default one: the state
    // machine depends on that, and naming the state machine in it would be a cycle.
    // https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
    new iam.Policy(machine, 'CountResultsPolicy', {
      roles: [machine.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:DescribeMapRun'],
          resources: [
            stack.formatArn({
              service: 'states',
              resource: 'mapRun',
              resourceName: `${machine.stateMachineName}/*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      ],
    });
  }
  acknowledgeOwnWildcards(scope, machine);
}

/** The wildcards the workflow grants on purpose, acknowledged for cdk-nag with the reason for each. */
function acknowledgeOwnWildcards(scope: Construct, machine: sfn.StateMachine): void {
  const documents = [
    (machine.role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined)?.document,
    (machine.node.tryFindChild('DistributedMapPolicy') as iam.Policy | undefined)?.document,
    (machine.node.tryFindChild('CountResultsPolicy') as iam.Policy | undefined)?.document,
  ];
  acknowledgeWildcards(scope, documents, (actions) => {
    if (actions.includes('batch:SubmitJob')) {
      return "SubmitJob on every revision of the stack's job definitions (named '<stack>_<job>'): one pattern instead of an ARN per job keeps the role within IAM's policy size limits, and executions started before a deploy keep submitting the revision they started with.";
    }
    if (actions.includes('batch:TerminateJob') || actions.includes('batch:CancelJob')) {
      return 'TerminateJob (and CancelJob, with a Spot wait limit) on the jobs this workflow submits, whose ids exist only at run time: a stopped execution stops its jobs, and a Spot attempt waiting past its limit is cancelled to run On-Demand.';
    }
    if (actions.includes('states:DescribeMapRun')) {
      return "Map runs of this state machine, whose ids Step Functions generates at run time: the workflow counts each fan-out's outcomes.";
    }
    if (actions.some((a) => a.startsWith('states:'))) {
      return 'Distributed Map child executions of this state machine, whose names Step Functions generates at run time.';
    }
    if (actions.includes('s3:PutObject')) {
      return 'Outcome files under the results prefix, named by each map run at run time, and step-cache records under the cache prefix, named by their keys.';
    }
    if (actions.includes('s3:GetObject')) {
      return "Manifests under the manifest prefix, named in each execution input, and the items' input objects (HeadObject for their ETags) under their prefixes.";
    }
    return 'batch:DescribeJobs, batch:ListJobs, X-Ray trace writes and CloudWatch Logs delivery actions have no resource-level permissions.';
  });
}

/**
 * Lets `grantee` follow the workflow's runs as `batch-pipelines watch --execution-arn`, `rerun --dry-run` and
 * `report --execution-arn` read them (see `Workflow.grantWatch`).
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
 */
export function grantWatchAccess(
  scope: Construct,
  machine: sfn.StateMachine,
  fanOuts: readonly FanOut[],
  grantee: iam.IGrantable,
  cache?: CachePlan,
): iam.Grant {
  const stack = Stack.of(scope);
  const name = machine.stateMachineName;
  const arn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'states', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const executions = [arn('execution', `${name}:*`), arn('execution', `${name}/*`)];
  const mapRuns = arn('mapRun', `${name}/*`);
  // `report` finds a run's queues in the definition the execution ran (DescribeStateMachineForExecution, on the
  // execution as aws-cdk-lib's StateMachine.grantRead grants it).
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachineForExecution.html
  const grant = iam.Grant.addToPrincipal({
    grantee,
    actions: [
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:ListMapRuns',
      'states:DescribeStateMachineForExecution',
    ],
    resourceArns: executions,
  });
  grant.combine(
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['states:DescribeMapRun', 'states:ListExecutions'],
      resourceArns: [mapRuns, machine.stateMachineArn],
    }),
  );
  for (const resource of [...executions, mapRuns]) {
    acknowledgeOnGrantee(scope, grantee, resource, "Executions and Map Runs of this workflow's state machine only.");
  }
  for (const f of fanOuts) {
    if (f.results) {
      grant.combine(f.results.bucket.grantRead(grantee, `${f.results.prefix ?? 'results/'}*`));
    }
  }
  grant.combine(grantJobLogs(scope, grantee));
  if (cache) {
    // `rerun` reads the definition for the cached steps' keys and asks S3 which records exist (HeadObject needs
    // GetObject; grantRead also gives s3:List* on the bucket, so a missing record is 404, not 403).
    grant.combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['states:DescribeStateMachine'],
        resourceArns: [machine.stateMachineArn],
      }),
    );
    grant.combine(cache.bucket.grantRead(grantee, `${cache.prefix}*`));
    // ... and the ETags of the items' input objects, which join the keys of the steps that read them.
    grant.combine(grantInputObjects(grantee, fanOuts));
    for (const o of fanOuts.flatMap((f) => f.inputObjects)) {
      acknowledgeOnGrantee(
        scope,
        grantee,
        o.bucket.arnForObjects(`${o.prefix ?? ''}*`),
        'Input objects the items name.',
      );
    }
  }
  return grant;
}

/**
 * HeadObject (which needs s3:GetObject) on the fan-outs' input objects (`FanOutOptions.inputObjects`), under their
 * prefixes. No KMS permission: HeadObject returns metadata, and should S3 refuse it, the object is unverified and the
 * steps that read it run (never a wrong hit). https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 */
function grantInputObjects(grantee: iam.IGrantable, fanOuts: readonly FanOut[]): iam.Grant {
  const resourceArns = fanOuts.flatMap((f) => f.inputObjects.map((o) => o.bucket.arnForObjects(`${o.prefix ?? ''}*`)));
  return resourceArns.length === 0
    ? iam.Grant.drop(grantee, 'no input objects')
    : iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns });
}

/**
 * What `batch-pipelines logs` reads of a workflow's jobs: ListJobs and DescribeJobs (no resource-level permissions)
 * to find an item's step's job and its stream, and GetLogEvents in the log groups the steps' jobs write to. A log
 * group's ARN as CloudFormation returns it ends in `:*`, the form IAM policies take for every action but a few
 * group-level ones, and covers the group's streams.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbatch.html
 */
function grantJobLogs(scope: Construct, grantee: iam.IGrantable): iam.Grant {
  // The workflow's steps, read from its public `steps` (grants.ts sits below workflow.ts, which calls it).
  const steps = (scope as unknown as { steps?: readonly WorkflowStep[] }).steps ?? [];
  const groups = new Set(steps.map((s) => s._options.job.shared.logGroup));
  const grant = iam.Grant.addToPrincipal({
    grantee,
    // `report` also prices the jobs from their queues' compute environments (read-only, as grantOperate gives).
    actions: ['batch:ListJobs', 'batch:DescribeJobs', 'batch:DescribeJobQueues', 'batch:DescribeComputeEnvironments'],
    resourceArns: ['*'],
  });
  acknowledgeOnGrantee(scope, grantee, '*', 'Batch List and Describe actions have no resource-level permissions.');
  return grant
    .combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['logs:GetLogEvents'],
        resourceArns: [...groups].map((g) => g.logGroupArn),
      }),
    )
    .combine(grantContainerInsightsReads(scope, grantee)); // what `rightsize` reads
}
