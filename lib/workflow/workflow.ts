import { Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FanOut, FanOutMode, ManifestSource, ResultsDestination, WorkflowStep } from './step';
import { CapacityPlatform, PurchaseOption } from '../compute/capacity';
import { InstanceCatalog } from '../compute/instance-catalog';
import { describeProblem } from '../core/validation-error';
import { Job } from '../jobs/job';
import { JobQueue } from '../queues/job-queue';
import { fail, gib } from '../private/errors';
import { findCycle, levelsOf } from '../private/graph';
import { acknowledgeWildcards } from '../private/nag';
import { stackJobDefinitionsArn, stackNamePart } from '../private/names';
import { ensureStackLimitChecks } from '../private/stack-limits';
import {
  DISTRIBUTED_MAP_MAX_CONCURRENCY,
  FARGATE_SIZES,
  INLINE_MAP_MAX_CONCURRENCY,
  LONG_SPOT_JOB_SECONDS,
  MAX_DEFINITION_CHARS,
  MAX_EXECUTION_DAYS,
  MAX_HISTORY_EVENTS,
  MAX_STATE_PAYLOAD_BYTES,
  OUT_OF_MEMORY_REASON_PATTERN,
  SPOT_RECLAIM_REASON_PATTERN,
  RESERVED_ENV_PREFIX,
} from '../private/limits';

/** Props of `Workflow`. */
export interface WorkflowProps {
  /** The steps, in any order; dependencies are declared on the steps. */
  readonly steps: WorkflowStep[];
  /**
   * What executions log to CloudWatch Logs.
   * @default sfn.LogLevel.ALL - every state transition (a few thousand small events per run: cents a month), so a
   * failed or slow run can be traced without the console's history; execution data stays out unless asked for
   */
  readonly logLevel?: sfn.LogLevel;
  /**
   * Include state input and output in the logs (may contain sample metadata).
   * @default false
   */
  readonly logExecutionData?: boolean;
  /**
   * How long execution logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * AWS X-Ray tracing of executions.
   * @default true - one trace per execution or child execution: negligible at batch volumes, and it shows where a
   * run spent its time
   */
  readonly tracing?: boolean;
  /**
   * How long an execution may run.
   * @default - derived from the steps: each step's timeout × attempts × escalation levels, fan-outs in waves of
   * `maxConcurrency` over `expectedItems`, capped at Step Functions' one year
   */
  readonly timeout?: Duration;
  /**
   * Physical name of the state machine.
   * @default - CloudFormation generates one
   */
  readonly stateMachineName?: string;
}

/** A unit of the top-level graph: a step that runs once, or a fan-out with its steps. */
type Unit = WorkflowStep | FanOut;

/** Events one `.sync` Batch task adds to a history: entered, scheduled, started, submitted, succeeded, exited. */
const EVENTS_PER_TASK = 6;
/** Events of an escalation (failure caught, cause parsed, choice, resubmission) allowed per task in the estimate. */
const EVENTS_PER_ESCALATION = 12;
/** Step Functions errors of the Batch API worth retrying (throttling, service faults), not job failures. */
const BATCH_API_ERRORS = ['Batch.AWSBatchException', 'Batch.ServerException', 'Batch.TooManyRequestsException'];
const STEP_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
/** Bytes one item takes in the execution input when the items are passed in the input (not a manifest). */
const ITEM_BYTES = 150;
/**
 * Bytes one item's outcome takes in the execution state when outcomes are kept there (id and status, ~60; a failed
 * one adds the step error and Batch's one-line reason).
 */
const OUTCOME_BYTES = 100;
/** Characters a CloudFormation reference is counted as when sizing the definition: a job queue or definition ARN. */
const REFERENCE_CHARS = 128;

interface StepPlan {
  readonly step: WorkflowStep;
  readonly queue: JobQueue;
  readonly onDemandQueue?: JobQueue;
  readonly memoryLevelsMiB: number[];
  readonly parameters: Record<string, string>;
  readonly environment: Record<string, string>;
}

/**
 * A Step Functions Standard workflow built from declared steps and dependencies: independent steps run in
 * parallel branches, dependent ones in order, fan-outs run their steps once per item (Inline or Distributed Map).
 * Each step submits its job with the `.sync` integration, retries Batch API throttling, reruns Spot-exhausted jobs
 * on On-Demand and out-of-memory jobs with more memory, and one failed item never stops the others.
 */
export class Workflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** Where executions log. */
  public readonly logGroup: logs.LogGroup;
  /** The steps. */
  public readonly steps: readonly WorkflowStep[];
  /** The execution timeout. */
  public readonly timeout: Duration;

  private readonly plans = new Map<WorkflowStep, StepPlan>();
  private readonly modes = new Map<FanOut, FanOutMode>();
  private readonly fanOuts: FanOut[] = [];
  private readonly manifestGrants: iam.PolicyStatement[] = [];
  private readonly manifestKeys: kms.IKey[] = [];
  private readonly resultKeys: kms.IKey[] = [];
  /** The jobs and queues the state machine submits to, for one SubmitJob statement. */
  private readonly submitJobs = new Set<Job>();
  private readonly submitQueues = new Set<JobQueue>();
  /** Parent of the states, so that state names (step names among them) cannot clash with the other children. */
  private readonly states: Construct;
  /** DefinitionSubstitutions: placeholder key to value (an ARN or name token). */
  private readonly substitutions: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    this.steps = [...props.steps];
    this.states = new Construct(this, 'States');
    this.validateGraph();
    for (const step of this.steps) {
      this.plans.set(step, this.planStep(step));
    }
    for (const f of this.fanOuts) {
      this.modes.set(f, this.chooseMode(f));
    }
    this.timeout = props.timeout ?? this.deriveTimeout();

    const units = this.units();
    const definition = this.sequence(
      units,
      (u) => this.unitDeps(u),
      (u, scope) => this.buildUnit(u, scope),
      new StepScope(this.states, ''),
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition.start),
      definitionSubstitutions: this.substitutions,
      timeout: this.timeout,
      tracingEnabled: props.tracing ?? true,
      stateMachineName: props.stateMachineName,
      logs: {
        destination: this.logGroup,
        level: props.logLevel ?? sfn.LogLevel.ALL,
        includeExecutionData: props.logExecutionData ?? false,
      },
    });
    this.manifestGrants.forEach((statement) => this.stateMachine.addToRolePolicy(statement));
    this.manifestKeys.forEach((key) => key.grantDecrypt(this.stateMachine));
    this.resultKeys.forEach((key) => key.grantEncryptDecrypt(this.stateMachine));
    // One statement, and one resource pattern per stack for job definitions named `<stack>_...` (the default): an
    // ARN per job would outgrow IAM's policy size limits at a few dozen jobs (see MAX_MANAGED_POLICIES_PER_ROLE).
    const definitions = new Map<string, string>();
    for (const job of this.submitJobs) {
      const stack = Stack.of(job);
      const prefix = `${stackNamePart(stack)}_`;
      if (!Token.isUnresolved(job.jobDefinitionName) && job.jobDefinitionName.startsWith(prefix)) {
        definitions.set(`${stack.node.path}/${prefix}`, stackJobDefinitionsArn(stack));
      } else {
        definitions.set(job.node.path, job.jobDefinitionArnAllRevisions);
      }
    }
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['batch:SubmitJob'],
        resources: [...definitions.values(), ...[...this.submitQueues].map((q) => q.jobQueueArn)],
      }),
    );
    // DescribeJobs has no resource-level permissions; TerminateJob lets a stopped execution stop its jobs.
    // https://docs.aws.amazon.com/step-functions/latest/dg/batch-iam.html
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:DescribeJobs'], resources: ['*'] }));
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['batch:TerminateJob'],
        resources: [Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          Stack.of(this).formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForBatchJobsRule',
          }),
        ],
      }),
    );
    this.acknowledgeOwnWildcards();
    this.node.addValidation({ validate: () => this.validateDefinitionSize() });
    ensureStackLimitChecks(this);
  }

  /** The wildcards this construct grants on purpose, acknowledged for cdk-nag with the reason for each. */
  private acknowledgeOwnWildcards(): void {
    const documents = [
      (this.stateMachine.role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined)?.document,
      (this.stateMachine.node.tryFindChild('DistributedMapPolicy') as iam.Policy | undefined)?.document,
    ];
    acknowledgeWildcards(this, documents, (actions) => {
      if (actions.includes('batch:SubmitJob')) {
        return "SubmitJob on every revision of the stack's job definitions (named '<stack>_<job>'): one pattern instead of an ARN per job keeps the role within IAM's policy size limits, and executions started before a deploy keep submitting the revision they started with.";
      }
      if (actions.includes('batch:TerminateJob')) {
        return 'TerminateJob on the jobs this workflow submits, whose ids exist only at run time; it lets a stopped execution stop its jobs.';
      }
      if (actions.some((a) => a.startsWith('states:'))) {
        return 'Distributed Map child executions of this state machine, whose names Step Functions generates at run time.';
      }
      if (actions.includes('s3:PutObject')) {
        return 'Outcome files under the results prefix, named by each map run at run time.';
      }
      if (actions.includes('s3:GetObject')) {
        return 'Manifests under the manifest prefix, named in each execution input.';
      }
      return 'batch:DescribeJobs, X-Ray trace writes and CloudWatch Logs delivery actions have no resource-level permissions.';
    });
  }

  /** How a fan-out runs (AUTO resolved). */
  public fanOutMode(fanOut: FanOut): FanOutMode {
    const mode = this.modes.get(fanOut);
    if (!mode) {
      throw new Error(`fan-out ${fanOut.name} is not part of workflow ${this.node.path}`);
    }
    return mode;
  }

  /**
   * Estimated history events one item of the fan-out adds: `.sync` tasks, the states around them, and an allowance
   * of one escalation per step. Inline fan-outs add this per item to the execution's single 25,000-event history;
   * Distributed ones to each child execution's own.
   */
  public estimatedEventsPerItem(fanOut: FanOut): number {
    const steps = this.steps.filter((s) => s.forEach === fanOut);
    const levels = levelsOf(steps, (s) => s.dependencies.filter((d) => d.forEach === fanOut));
    const parallelLevels = levels.filter((l) => l.length > 1).length;
    // Iteration start/end (2), item wrapper parallel (4) and its outcome pass (2), per level-parallel 4.
    return 8 + parallelLevels * 4 + steps.length * (EVENTS_PER_TASK + EVENTS_PER_ESCALATION);
  }

  /** The memory (MiB) of each attempt the step may make: the job's, then escalated after out-of-memory kills. */
  public memoryLevels(step: WorkflowStep): number[] {
    return [...this.planOf(step).memoryLevelsMiB];
  }

  /** The On-Demand queue the step escalates to after Spot interruptions, if escalation is on. */
  public onDemandQueueOf(step: WorkflowStep): JobQueue | undefined {
    return this.planOf(step).onDemandQueue;
  }

  /** Executions started. */
  public metricStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricStarted(props);
  }

  /** Executions that succeeded. */
  public metricSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricSucceeded(props);
  }

  /** Executions that failed. */
  public metricFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed(props);
  }

  /** Executions that timed out. */
  public metricTimedOut(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricTimedOut(props);
  }

  /** Executions throttled. */
  public metricThrottled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricThrottled(props);
  }

  /** How long executions take (ExecutionTime, milliseconds). */
  public metricTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricTime(props);
  }

  /** Lets `grantee` start executions. */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /**
   * The declared graph as a Mermaid flowchart: fan-outs as subgraphs, one node per step with its job size.
   */
  public toMermaid(): string {
    const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
    const label = (s: WorkflowStep) => {
      const r = s.options.job.resources;
      return `${id(s.name)}["${s.name}<br/>${r.vcpus} vCPU, ${gib(r.memory.toMebibytes())}"]`;
    };
    const lines = ['flowchart TD'];
    for (const f of this.fanOuts) {
      const mode = this.fanOutMode(f) === FanOutMode.DISTRIBUTED ? 'Distributed Map' : 'Inline Map';
      lines.push(`  subgraph ${id(f.name)}["for each item of ${f.itemsPath} (${mode}, ${f.maxConcurrency} at once)"]`);
      for (const s of this.steps.filter((x) => x.forEach === f)) {
        lines.push(`    ${label(s)}`);
      }
      lines.push('  end');
    }
    for (const s of this.steps.filter((x) => !x.forEach)) {
      lines.push(`  ${label(s)}`);
    }
    const edges = new Set<string>();
    for (const s of this.steps) {
      for (const d of s.dependencies) {
        const from = s.forEach && d.forEach === s.forEach ? d.name : d.forEach ? d.forEach.name : d.name;
        const to = s.forEach && d.forEach !== s.forEach ? s.forEach.name : s.name;
        edges.add(`  ${id(from)} --> ${id(to)}`);
      }
    }
    lines.push(...edges);
    return lines.join('\n');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Validation and planning

  private planOf(step: WorkflowStep): StepPlan {
    const plan = this.plans.get(step);
    if (!plan) {
      throw new Error(`step ${step.name} is not part of workflow ${this.node.path}`);
    }
    return plan;
  }

  private validateGraph(): void {
    if (this.steps.length === 0) {
      fail(this, {
        prop: 'steps',
        received: '[]',
        allowed: 'at least one step',
        fix: 'pass the steps of the pipeline, e.g. [align, callVariants]',
      });
    }
    const names = new Set<string>();
    for (const s of this.steps) {
      if (!STEP_NAME.test(s.name)) {
        fail(this, {
          prop: 'steps.name',
          received: `'${s.name}'`,
          allowed: 'up to 40 letters, digits, hyphens and underscores, starting with a letter',
          fix: `rename the step, e.g. '${s.name.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z]+/, '') || 'step'}'`,
        });
      }
      if (names.has(s.name)) {
        fail(this, {
          prop: 'steps',
          received: `two steps named '${s.name}'`,
          allowed: 'unique step names',
          fix: 'rename one of them',
        });
      }
      names.add(s.name);
      if (s.forEach && !this.fanOuts.includes(s.forEach)) {
        this.fanOuts.push(s.forEach);
      }
    }
    for (const s of this.steps) {
      for (const d of s.dependencies) {
        if (!this.steps.includes(d)) {
          fail(this, {
            prop: `steps['${s.name}'].dependsOn`,
            received: `'${d.name}', which is not a step of this workflow`,
            allowed: 'steps listed in `steps`',
            fix: `add '${d.name}' to the workflow's steps, or remove the dependency`,
          });
        }
        if (s.forEach && d.forEach && d.forEach !== s.forEach) {
          fail(this, {
            prop: `steps['${s.name}'].dependsOn`,
            received: `'${d.name}', a step inside fan-out '${d.forEach.name}'`,
            allowed: `steps of the same fan-out ('${s.forEach.name}') or steps outside any fan-out`,
            fix: `move '${s.name}' out of its fan-out to run after all items of '${d.forEach.name}', or put both steps in one fan-out`,
          });
        }
      }
    }
    const cycle = findCycle(this.steps, (s) => s.dependencies);
    if (cycle) {
      fail(this, {
        prop: 'steps.dependsOn',
        received: `a cycle: ${cycle.map((s) => s.name).join(' -> ')}`,
        allowed: 'dependencies without cycles',
        fix: 'remove one of the dependencies on that path',
      });
    }
    for (const f of this.fanOuts) {
      this.validateFanOut(f);
    }
  }

  private validateFanOut(f: FanOut): void {
    const at = `fanOut '${f.name}'`;
    if (!/^[A-Za-z][A-Za-z0-9]{0,30}$/.test(f.name)) {
      fail(this, {
        prop: `${at}.name`,
        received: `'${f.name}'`,
        allowed: 'up to 31 letters and digits, starting with a letter',
        fix: "use e.g. 'samples'",
      });
    }
    if (!f.itemsPath.startsWith('$')) {
      fail(this, {
        prop: `${at}.itemsPath`,
        received: `'${f.itemsPath}'`,
        allowed: 'a JSONPath starting with $',
        fix: "use e.g. '$.samples'",
      });
    }
    if (!f.itemFields.includes(f.idField)) {
      fail(this, {
        prop: `${at}.idField`,
        received: `'${f.idField}'`,
        allowed: `one of the item fields (${f.itemFields.join(', ')})`,
        fix: `add '${f.idField}' to itemFields`,
      });
    }
    if (
      !Number.isInteger(f.maxConcurrency) ||
      f.maxConcurrency < 1 ||
      f.maxConcurrency > DISTRIBUTED_MAP_MAX_CONCURRENCY
    ) {
      fail(this, {
        prop: `${at}.maxConcurrency`,
        received: `${f.maxConcurrency}`,
        allowed: `a whole number from 1 to ${DISTRIBUTED_MAP_MAX_CONCURRENCY}`,
        fix: 'give how many items may run at once, e.g. 50',
      });
    }
    if (f.mode === FanOutMode.INLINE && f.maxConcurrency > INLINE_MAP_MAX_CONCURRENCY) {
      fail(this, {
        prop: `${at}.maxConcurrency`,
        received: `${f.maxConcurrency} with mode INLINE`,
        allowed: `at most ${INLINE_MAP_MAX_CONCURRENCY} items at once in an inline Map`,
        fix: 'use FanOutMode.DISTRIBUTED (or AUTO) for more items at once',
      });
    }
    if (!Number.isInteger(f.expectedItems) || f.expectedItems < 1) {
      fail(this, {
        prop: `${at}.expectedItems`,
        received: `${f.expectedItems}`,
        allowed: 'a whole number of at least 1',
        fix: 'give the usual number of items per run',
      });
    }
    if (!Number.isInteger(f.maxFailedItems) || f.maxFailedItems < 0) {
      fail(this, {
        prop: `${at}.maxFailedItems`,
        received: `${f.maxFailedItems}`,
        allowed: 'a whole number of at least 0',
        fix: 'use 0 to fail the execution when any item fails',
      });
    }
    // Items passed in the input and outcomes kept in the state both count against the 256 KiB state limit.
    const perItem = (f.manifest ? 0 : ITEM_BYTES) + (f.results ? 0 : OUTCOME_BYTES);
    if (perItem > 0 && f.expectedItems * perItem > MAX_STATE_PAYLOAD_BYTES) {
      const kept = [f.manifest ? undefined : 'items in the input', f.results ? undefined : 'outcomes in the state']
        .filter(Boolean)
        .join(' and ');
      fail(this, {
        prop: `${at}.expectedItems`,
        received: `${f.expectedItems} (${kept}, ~${perItem} bytes each, would exceed the ${MAX_STATE_PAYLOAD_BYTES / 1024} KiB state limit)`,
        allowed: `at most ${Math.floor(MAX_STATE_PAYLOAD_BYTES / perItem)} items per execution this way`,
        fix: [
          f.manifest ? undefined : 'read the items from a manifest in S3 (manifest)',
          f.results ? undefined : 'write outcomes to S3 (results)',
        ]
          .filter(Boolean)
          .join(' and ')
          .concat(', or split the items into several executions'),
      });
    }
  }

  private chooseMode(f: FanOut): FanOutMode {
    const events = f.expectedItems * this.estimatedEventsPerItem(f);
    if (f.mode === FanOutMode.INLINE && events > MAX_HISTORY_EVENTS) {
      fail(this, {
        prop: `fanOut '${f.name}'.mode`,
        received: `INLINE for ${f.expectedItems} items (~${events} history events, ~${this.estimatedEventsPerItem(f)} per item)`,
        allowed: `at most ${MAX_HISTORY_EVENTS} events in one execution's history (reaching it fails the execution)`,
        fix: 'use FanOutMode.DISTRIBUTED (each item gets its own history) or fewer items per execution',
      });
    }
    if (f.results) {
      if (f.mode === FanOutMode.INLINE) {
        fail(this, {
          prop: `fanOut '${f.name}'.mode`,
          received: 'INLINE with results written to S3',
          allowed: 'DISTRIBUTED or AUTO: only a Distributed Map writes results to S3',
          fix: 'remove mode (AUTO), or remove results to keep outcomes in the execution output',
        });
      }
      if (!f.manifest) {
        return FanOutMode.DISTRIBUTED;
      }
    }
    if (f.manifest) {
      if (f.mode === FanOutMode.INLINE) {
        fail(this, {
          prop: `fanOut '${f.name}'.mode`,
          received: 'INLINE with a manifest in S3',
          allowed: 'DISTRIBUTED or AUTO: only a Distributed Map reads items from S3',
          fix: 'remove mode (AUTO), or pass the items in the execution input instead of a manifest',
        });
      }
      return FanOutMode.DISTRIBUTED;
    }
    if (f.mode !== FanOutMode.AUTO) {
      return f.mode;
    }
    // Inline only while far from the history limit, so retries and escalations cannot push a run over it.
    return f.maxConcurrency <= INLINE_MAP_MAX_CONCURRENCY && events <= MAX_HISTORY_EVENTS / 2
      ? FanOutMode.INLINE
      : FanOutMode.DISTRIBUTED;
  }

  private planStep(step: WorkflowStep): StepPlan {
    const job = step.options.job;
    const queue = step.options.queue ?? job.queues[0];
    if (!job.queues.includes(queue)) {
      fail(this, {
        prop: `steps['${step.name}'].queue`,
        received: `${queue.node.path}, which job ${job.node.path} is not bound to`,
        allowed: `one of the job's queues (${job.queues.map((q) => q.node.path).join(', ')})`,
        fix: `add the queue to the job's queues so it is fit-checked, or use one of them`,
      });
    }
    const hasSpot = queue.capacities.some((c) => c.purchaseOption === PurchaseOption.SPOT);
    const wantsEscalation = step.options.spotEscalation ?? (hasSpot && job.timeout.toSeconds() > LONG_SPOT_JOB_SECONDS);
    let onDemandQueue: JobQueue | undefined;
    if (wantsEscalation) {
      onDemandQueue =
        step.options.onDemandQueue ??
        job.queues.find(
          (q) => q.capacities.length > 0 && q.capacities.every((c) => c.purchaseOption === PurchaseOption.ON_DEMAND),
        );
      if (!onDemandQueue) {
        fail(this, {
          prop: `steps['${step.name}'].spotEscalation`,
          received: `on (job ${job.node.path} may run ${job.timeout.toHumanString()} on Spot) with no On-Demand queue`,
          allowed: 'Spot escalation with a queue of On-Demand capacity among the job’s queues',
          fix: 'bind the job to an On-Demand queue too (queues: [standard, onDemandOnly]), set onDemandQueue, or set spotEscalation: false',
        });
      }
      if (!job.queues.includes(onDemandQueue)) {
        fail(this, {
          prop: `steps['${step.name}'].onDemandQueue`,
          received: `${onDemandQueue.node.path}, which job ${job.node.path} is not bound to`,
          allowed: "one of the job's queues, so the job is fit-checked against it",
          fix: 'add the queue to the job’s queues',
        });
      }
      const spotThere = onDemandQueue.capacities.find((c) => c.purchaseOption === PurchaseOption.SPOT);
      if (spotThere) {
        fail(this, {
          prop: `steps['${step.name}'].onDemandQueue`,
          received: `${onDemandQueue.node.path}, which has Spot capacity ${spotThere.node.path}`,
          allowed: 'a queue of On-Demand capacity only',
          fix: 'escalate to a queue whose capacities are all On-Demand',
        });
      }
    }
    if (step.options.checkpoint) {
      const prefix = step.options.checkpoint.prefix ?? 'checkpoints/';
      job.grantRead(step.options.checkpoint.bucket, prefix);
      job.grantWrite(step.options.checkpoint.bucket, prefix);
      job.checkpointing = true;
    }
    return {
      step,
      queue,
      onDemandQueue,
      memoryLevelsMiB: this.memoryLadder(step, [queue, ...(onDemandQueue ? [onDemandQueue] : [])]),
      parameters: this.resolveParameters(step),
      environment: this.resolveEnvironment(step),
    };
  }

  private memoryLadder(step: WorkflowStep, queues: JobQueue[]): number[] {
    const job = step.options.job;
    const base = job.resources.memory.toMebibytes();
    const options = step.options.memoryEscalation;
    if (options === false) {
      return [base];
    }
    const factor = options?.factor ?? 1.5;
    const maxTimes = options?.maxTimes ?? 2;
    if (!(factor > 1) || !Number.isInteger(maxTimes) || maxTimes < 0 || maxTimes > 5) {
      fail(this, {
        prop: `steps['${step.name}'].memoryEscalation`,
        received: `factor ${factor}, maxTimes ${maxTimes}`,
        allowed: 'a factor above 1 and 0..5 times',
        fix: 'use e.g. { factor: 1.5, maxTimes: 2 }, or false to turn escalation off',
      });
    }
    const fits = Math.min(...queues.map((q) => this.largestFittingMemory(q, step)));
    const ceiling = options?.ceiling?.toMebibytes() ?? fits;
    if (ceiling > fits) {
      fail(this, {
        prop: `steps['${step.name}'].memoryEscalation.ceiling`,
        received: gib(ceiling),
        allowed: `at most ${gib(fits)}, the largest ${job.resources.vcpus}-vCPU job every queue of the step can place`,
        fix: 'lower the ceiling, or add larger instance types',
      });
    }
    const levels = [base];
    for (let i = 0; i < maxTimes; i++) {
      const next = Math.min(Math.floor(levels[levels.length - 1] * factor), ceiling);
      if (next <= levels[levels.length - 1]) {
        break;
      }
      levels.push(next);
    }
    return levels;
  }

  /** The most memory (MiB) a job of the step's vCPUs/GPUs can get on some capacity of `queue`. */
  private largestFittingMemory(queue: JobQueue, step: WorkflowStep): number {
    const r = step.options.job.resources;
    let best = 0;
    for (const c of queue.capacities) {
      if (c.platform === CapacityPlatform.FARGATE) {
        const size = FARGATE_SIZES.find((s) => s.vcpus === r.vcpus);
        best = Math.max(best, size ? Math.max(...size.memoryMiB) : 0);
        continue;
      }
      const names = (c as { instanceTypeNames?: string[] }).instanceTypeNames ?? [];
      for (const n of names) {
        const i = InstanceCatalog.tryLookup(n);
        if (i && i.vcpus >= r.vcpus && i.gpus >= (r.gpus ?? 0)) {
          best = Math.max(best, i.usableMemoryMiB);
        }
      }
    }
    return best || r.memory.toMebibytes();
  }

  private resolveParameters(step: WorkflowStep): Record<string, string> {
    const job = step.options.job;
    const given = step.options.parameters ?? {};
    for (const [name, path] of Object.entries(given)) {
      if (!job.parameterNames.includes(name)) {
        fail(this, {
          prop: `steps['${step.name}'].parameters.${name}`,
          received: `'${name}', which job ${job.node.path} does not use`,
          allowed: `the job's Ref:: parameters: ${job.parameterNames.join(', ') || 'none'}`,
          fix: `use Ref::${name} in the job's command, or remove it`,
        });
      }
      checkPath(this, `steps['${step.name}'].parameters.${name}`, path);
    }
    const out: Record<string, string> = {};
    for (const name of job.parameterNames) {
      if (given[name]) {
        out[name] = given[name];
      } else if (step.forEach?.itemFields.includes(name)) {
        out[name] = `$.item.${name}`;
      } else if (!step.forEach && !(name in job.parameterDefaults)) {
        out[name] = `$$.Execution.Input.${name}`;
      } else if (!(name in job.parameterDefaults)) {
        fail(this, {
          prop: `steps['${step.name}'].parameters`,
          received: `no value for Ref::${name} of job ${job.node.path}`,
          allowed: `parameters filled by the step, by an item field (${step.forEach?.itemFields.join(', ')}), or by a job default`,
          fix: `map it, e.g. parameters: { ${name}: '$.item.${name}' }, or add '${name}' to the fan-out's itemFields`,
        });
      }
    }
    return out;
  }

  private resolveEnvironment(step: WorkflowStep): Record<string, string> {
    const env = { ...(step.options.environment ?? {}) };
    for (const [name, path] of Object.entries(env)) {
      if (name.startsWith(RESERVED_ENV_PREFIX)) {
        fail(this, {
          prop: `steps['${step.name}'].environment.${name}`,
          received: `'${name}'`,
          allowed: `names not starting with ${RESERVED_ENV_PREFIX} (reserved by Batch)`,
          fix: 'rename the variable',
        });
      }
      checkPath(this, `steps['${step.name}'].environment.${name}`, path);
    }
    return env;
  }

  private deriveTimeout(): Duration {
    const worst = (s: WorkflowStep) => {
      const plan = this.planOf(s);
      const job = s.options.job;
      return (
        job.timeout.toSeconds() * job.retryPolicy.attempts * plan.memoryLevelsMiB.length * (plan.onDemandQueue ? 2 : 1)
      );
    };
    const unitSeconds = (u: Unit): number => {
      if (u instanceof WorkflowStep) {
        return worst(u);
      }
      const steps = this.steps.filter((s) => s.forEach === u);
      const levels = levelsOf(steps, (s) => s.dependencies.filter((d) => d.forEach === u));
      const perItem = levels.reduce((sum, l) => sum + Math.max(...l.map(worst)), 0);
      return Math.ceil(u.expectedItems / u.maxConcurrency) * perItem;
    };
    const levels = levelsOf(this.units(), (u) => this.unitDeps(u));
    const seconds = levels.reduce((sum, l) => sum + Math.max(...l.map(unitSeconds)), 0);
    return Duration.seconds(Math.min(seconds, MAX_EXECUTION_DAYS * 24 * 3600));
  }

  /**
   * Characters of the state machine definition as Step Functions receives it, after CloudFormation fills in
   * references and DefinitionSubstitutions (each reference counted as a 128-character ARN).
   */
  public estimatedDefinitionChars(): number {
    const stack = Stack.of(this);
    const cfn = this.stateMachine.node.defaultChild as sfn.CfnStateMachine;
    const pieces: string[] = [];
    let references = 0;
    const walk = (v: unknown): void => {
      if (typeof v === 'string') {
        pieces.push(v);
      } else if (v && typeof v === 'object' && 'Fn::Join' in v) {
        (v['Fn::Join'] as [string, unknown[]])[1].forEach(walk);
      } else {
        references++;
      }
    };
    walk(stack.resolve(cfn.definitionString));
    const text = pieces.join('');
    let chars = text.length + references * REFERENCE_CHARS;
    for (const [key, value] of Object.entries(this.substitutions)) {
      const uses = text.split(`\${${key}}`).length - 1;
      const resolved = stack.resolve(value);
      const length = typeof resolved === 'string' ? resolved.length : REFERENCE_CHARS;
      chars += uses * (length - key.length - 3);
    }
    return chars;
  }

  private validateDefinitionSize(): string[] {
    const chars = this.estimatedDefinitionChars();
    if (chars <= MAX_DEFINITION_CHARS) {
      return [];
    }
    return [
      describeProblem(this, {
        prop: 'steps',
        received: `${this.steps.length} steps (definition ~${chars} characters)`,
        problem: 'make a state machine definition larger than Step Functions accepts',
        allowed: `${MAX_DEFINITION_CHARS} characters`,
        fix: 'split the pipeline into several workflows (a state machine each), e.g. one per stage',
      }),
    ];
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Building the state machine

  private units(): Unit[] {
    const out: Unit[] = [];
    for (const s of this.steps) {
      const u = s.forEach ?? s;
      if (!out.includes(u)) {
        out.push(u);
      }
    }
    return out;
  }

  private unitDeps(u: Unit): Unit[] {
    const steps = u instanceof WorkflowStep ? [u] : this.steps.filter((s) => s.forEach === u);
    const deps: Unit[] = [];
    for (const s of steps) {
      for (const d of s.dependencies) {
        const du = d.forEach ?? d;
        if (du !== u && !deps.includes(du)) {
          deps.push(du);
        }
      }
    }
    return deps;
  }

  /**
   * Chains nodes level by level: a level of one node runs alone, a level of several runs them as parallel branches
   * (each branch keeps its input: tasks discard their results, so the state is the same everywhere).
   */
  private sequence<T>(
    nodes: T[],
    deps: (n: T) => T[],
    build: (n: T, scope: StepScope) => Fragment,
    scope: StepScope,
  ): Fragment {
    let levels = levelsOf(nodes, deps);
    // A fan-out records its outcomes in the state, which a parallel branch would discard: give it a level of its own.
    levels = levels.flatMap((l) => (l.some((n) => n instanceof FanOut) && l.length > 1 ? l.map((n) => [n]) : [l]));
    let first: Fragment | undefined;
    let ends: sfn.INextable[] = [];
    for (const level of levels) {
      let frag: Fragment;
      if (level.length === 1) {
        frag = build(level[0], scope);
      } else {
        const names = level.map((n) => (n instanceof WorkflowStep ? n.name : (n as FanOut).name));
        const parallel = new sfn.Parallel(this.states, `Run ${names.join(' + ')}`.slice(0, 80), {
          resultPath: sfn.JsonPath.DISCARD,
        });
        for (const n of level) {
          const name = n instanceof WorkflowStep ? n.name : (n as FanOut).name;
          parallel.branch(build(n, new StepScope(this.states, `${name} branch: `)).start);
        }
        frag = { start: parallel, ends: [parallel] };
      }
      for (const e of ends) {
        e.next(frag.start);
      }
      first ??= frag;
      ends = frag.ends;
    }
    return { start: first!.start, ends };
  }

  private buildUnit(u: Unit, scope: StepScope): Fragment {
    return u instanceof WorkflowStep ? this.buildStep(u, scope) : this.buildFanOut(u);
  }

  private buildFanOut(f: FanOut): Fragment {
    if (f.results) {
      return this.buildFanOutWithResults(f, f.results);
    }
    const n = f.name;
    const body = this.itemBody(f);
    const item = new sfn.Parallel(this.states, `${n}: process item`, { resultPath: sfn.JsonPath.DISCARD });
    item.branch(body.start);
    const failed = new sfn.Pass(this.states, `${n}: item failed`, {
      parameters: {
        [`${f.idField}.$`]: `$.item.${f.idField}`,
        status: 'FAILED',
        'error.$': '$.itemFailure.Error',
        'cause.$': '$.itemFailure.Cause',
      },
    });
    item.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.itemFailure' });
    item.next(
      new sfn.Pass(this.states, `${n}: item succeeded`, {
        parameters: { [`${f.idField}.$`]: `$.item.${f.idField}`, status: 'SUCCEEDED' },
      }),
    );

    const mapProps = { ...this.mapProps(f), resultPath: `$.${n}Outcomes` };
    const map =
      this.fanOutMode(f) === FanOutMode.DISTRIBUTED
        ? new sfn.DistributedMap(this.states, `${n}: for each item`, {
            ...mapProps,
            ...this.distributedProps(f),
          })
        : new sfn.Map(this.states, `${n}: for each item`, mapProps);
    map.itemProcessor(item);

    // Filters and projections that match nothing are errors in some JSONPath engines, so every path below is
    // guaranteed a match: items exist (checked before the map), and failures are collected only when there are some.
    const statuses = new sfn.Pass(this.states, `${n}: statuses`, {
      parameters: { 'values.$': `$.${n}Outcomes[*].status` },
      resultPath: `$.${n}Statuses`,
    });
    const anyFailed = new sfn.Pass(this.states, `${n}: any failed`, {
      parameters: { 'value.$': `States.ArrayContains($.${n}Statuses.values, 'FAILED')` },
      resultPath: `$.${n}AnyFailed`,
    });
    const collect = new sfn.Pass(this.states, `${n}: collect failures`, {
      parameters: { 'items.$': `$.${n}Outcomes[?(@.status == 'FAILED')]` },
      resultPath: `$.${n}Failed`,
    });
    const count = new sfn.Pass(this.states, `${n}: count failures`, {
      parameters: { 'value.$': `States.ArrayLength($.${n}Failed.items)` },
      resultPath: `$.${n}FailedCount`,
    });
    const report = new sfn.Pass(this.states, `${n}: report failures`, {
      parameters: { 'cause.$': `States.JsonToString($.${n}Failed.items)` },
      resultPath: `$.${n}FailureReport`,
    });
    report.next(
      new sfn.Fail(this.states, `${n}: too many items failed`, {
        error: `${n}.ItemsFailed`,
        causePath: `$.${n}FailureReport.cause`,
      }),
    );
    const done = new sfn.Pass(this.states, `${n}: done`);
    const check = new sfn.Choice(this.states, `${n}: too many failures?`)
      .when(sfn.Condition.numberGreaterThan(`$.${n}FailedCount.value`, f.maxFailedItems), report)
      .otherwise(done);
    const anyFailedChoice = new sfn.Choice(this.states, `${n}: any failed?`)
      .when(sfn.Condition.booleanEquals(`$.${n}AnyFailed.value`, true), collect)
      .otherwise(done);
    collect.next(count).next(check);
    map.next(statuses).next(anyFailed).next(anyFailedChoice);
    if (f.manifest) {
      return { start: map, ends: [done] };
    }
    const anyItems = new sfn.Choice(this.states, `${n}: any items?`)
      .when(sfn.Condition.isPresent(`${f.itemsPath}[0]`), map)
      .otherwise(done);
    return { start: anyItems, ends: [done] };
  }

  /** The steps of a fan-out, in the order of their dependencies: what runs for each item. */
  private itemBody(f: FanOut): Fragment {
    return this.sequence(
      this.steps.filter((s) => s.forEach === f),
      (s) => s.dependencies.filter((d) => d.forEach === f),
      (s, scope) => this.buildStep(s, scope),
      new StepScope(this.states, `${f.name} item: `),
    );
  }

  /** What every fan-out's Map state has: its items, each item as `$.item`, and how many run at once. */
  private mapProps(f: FanOut) {
    return {
      itemsPath: f.manifest ? undefined : f.itemsPath,
      itemSelector: { 'item.$': '$$.Map.Item.Value' },
      maxConcurrency: f.maxConcurrency,
    };
  }

  /** What a Distributed Map adds: Standard child executions, a label, and the manifest reader if any. */
  private distributedProps(f: FanOut) {
    return {
      mapExecutionType: sfn.StateMachineType.STANDARD,
      label: f.name,
      itemReader: f.manifest ? this.manifestReader(f.manifest) : undefined,
    };
  }

  /**
   * A Distributed Map whose items' outcomes go to S3 (ResultWriter) instead of the state: an item that fails fails
   * its child execution, and more failures than `maxFailedItems` fail the map (Step Functions' tolerated-failure
   * threshold), which the workflow reports as `<fan-out>.ItemsFailed`.
   */
  private buildFanOutWithResults(f: FanOut, results: ResultsDestination): Fragment {
    const n = f.name;
    const body = this.itemBody(f);
    const succeeded = new sfn.Pass(this.states, `${n}: item succeeded`, {
      parameters: { [`${f.idField}.$`]: `$.item.${f.idField}`, status: 'SUCCEEDED' },
    });
    body.ends.forEach((e) => e.next(succeeded));
    const prefix = results.prefix ?? 'results/';
    // The bucket is given by name rather than as an IBucket so that aws-cdk-lib does not grant writes to the whole
    // bucket: the workflow grants them under the prefix only.
    this.manifestGrants.push(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [results.bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    if (results.bucket.encryptionKey) {
      this.resultKeys.push(results.bucket.encryptionKey);
    }
    // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
    const writer = {
      Resource: `arn:${this.substitution(Aws.PARTITION, 'Partition')}:states:::s3:putObject`,
      Parameters: { Bucket: this.substitution(results.bucket.bucketName, results.bucket.node.id), Prefix: prefix },
    };
    const map = new ResultWritingMap(this.states, `${n}: for each item`, writer, {
      ...this.mapProps(f),
      ...this.distributedProps(f),
      resultPath: `$.${n}Results`,
      toleratedFailureCount: f.maxFailedItems,
    });
    map.itemProcessor(body.start);
    map.addCatch(
      new sfn.Fail(this.states, `${n}: too many items failed`, {
        error: `${n}.ItemsFailed`,
        causePath: `$.${n}Failure.Cause`,
      }),
      { errors: ['States.ExceedToleratedFailureThreshold'], resultPath: `$.${n}Failure` },
    );
    return { start: map, ends: [map] };
  }

  /**
   * Reads the manifest named in the input. The bucket is passed by path so that aws-cdk-lib's reader does not grant
   * GetObject on the whole bucket: the workflow grants it under the manifest prefix only.
   */
  private manifestReader(m: ManifestSource): sfn.S3JsonItemReader {
    const prefix = m.prefix ?? 'manifests/';
    this.manifestGrants.push(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [m.bucket.arnForObjects(`${prefix}*`)] }),
    );
    if (m.bucket.encryptionKey) {
      this.manifestKeys.push(m.bucket.encryptionKey);
    }
    return new sfn.S3JsonItemReader({
      bucketNamePath: sfn.JsonPath.stringAt(m.bucketPath ?? '$.manifest.bucket'),
      key: sfn.JsonPath.stringAt(m.keyPath ?? '$.manifest.key'),
    });
  }

  /**
   * One step: a `.sync` submit of the step's job. Steps without escalation submit a fixed request. A step with
   * escalation first records its attempt in `$.attempt` (queue, memory ladder); the submit reads the queue and memory
   * from there, and the scope's shared escalation states update it and come back through the resubmit router: after
   * Spot interruptions use up the job's retries the same memory runs on the On-Demand queue, after an out-of-memory
   * kill the next memory level runs. Any other job failure fails the step with Batch's one-line reason.
   */
  private buildStep(step: WorkflowStep, scope: StepScope): Fragment {
    const plan = this.planOf(step);
    const levels = plan.memoryLevelsMiB;
    const escalates = plan.onDemandQueue !== undefined || levels.length > 1;
    const submit = this.submit(plan, scope, escalates);
    if (!escalates) {
      return { start: submit, ends: [submit] };
    }
    const attempt = new sfn.Pass(this.states, `${step.name}: plan`, {
      result: sfn.Result.fromObject({
        step: step.name,
        queue: this.substitution(plan.queue.jobQueueArn, plan.queue.node.id),
        // The same queue when there is no Spot escalation: "run On-Demand" is then never chosen.
        onDemand: this.substitution(
          (plan.onDemandQueue ?? plan.queue).jobQueueArn,
          (plan.onDemandQueue ?? plan.queue).node.id,
        ),
        memory: `${levels[0]}`,
        levels: levels.map((l) => `${l}`),
        level: 0,
        last: levels.length - 1,
      }),
      resultPath: '$.attempt',
    });
    attempt.next(submit);
    scope.resubmitTo(step.name, submit);
    return { start: attempt, ends: [submit] };
  }

  private submit(plan: StepPlan, scope: StepScope, escalates: boolean): sfn.CustomState {
    const step = plan.step;
    const job = step.options.job;
    const inFanOut = step.forEach !== undefined;
    const environment = Object.entries(plan.environment).map(([k, path]) => ({ Name: k, 'Value.$': path }));
    if (step.options.checkpoint) {
      const prefix = step.options.checkpoint.prefix ?? 'checkpoints/';
      const idPath = inFanOut ? `$.item.${step.forEach!.idField}` : '$$.Execution.Name';
      const bucket = step.options.checkpoint.bucket;
      const bucketName = this.substitution(bucket.bucketName, bucket.node.id);
      environment.push({
        Name: 'CHECKPOINT_URI',
        'Value.$': `States.Format('s3://${bucketName}/${prefix}{}/${step.name}/', ${idPath})`,
      });
    }
    const overrides: Record<string, unknown> = {};
    if (escalates && plan.memoryLevelsMiB.length > 1) {
      overrides.ResourceRequirements = [{ Type: 'MEMORY', 'Value.$': '$.attempt.memory' }];
    }
    if (environment.length > 0) {
      overrides.Environment = environment;
    }
    const parameters = Object.fromEntries(Object.entries(plan.parameters).map(([k, path]) => [`${k}.$`, path]));
    // The submit state is named after the step: it is the step in the console's graph and history.
    const state = new sfn.CustomState(this.states, step.name, {
      // aws-stepfunctions-tasks' BatchSubmitJob grants SubmitJob on every job definition (job-definition/*); a
      // custom state lets the workflow grant exactly its own definitions and queues. ARNs go through
      // DefinitionSubstitutions: inline tokens would split the definition into a Fn::Join of many pieces, several
      // times larger in the template.
      stateJson: {
        Type: 'Task',
        Resource: `arn:${this.substitution(Aws.PARTITION, 'Partition')}:states:::batch:submitJob.sync`,
        Parameters: {
          // Named after the step: a failed job's description carries its name, which names the step's error.
          JobName: step.name,
          JobDefinition: this.substitution(job.jobDefinitionArn, job.node.id),
          ...(escalates
            ? { 'JobQueue.$': '$.attempt.queue' }
            : { JobQueue: this.substitution(plan.queue.jobQueueArn, plan.queue.node.id) }),
          ...(Object.keys(parameters).length ? { Parameters: parameters } : {}),
          ...(Object.keys(overrides).length ? { ContainerOverrides: overrides } : {}),
          // No RetryStrategy here: one given at submit time replaces the job definition's retry rules.
        },
        ResultPath: null,
      },
    });
    state.addRetry({
      errors: BATCH_API_ERRORS,
      interval: Duration.seconds(5),
      maxAttempts: 6, // backing off 2x each time, Step Functions' default rate
      jitterStrategy: sfn.JitterType.FULL,
    });
    // Other errors (the Batch API failing after these retries, a missing input path) propagate with their own name.
    state.addCatch(escalates ? scope.escalation() : scope.failure(), {
      errors: [sfn.Errors.TASKS_FAILED],
      resultPath: '$.error',
    });
    this.submitJobs.add(job);
    this.submitQueues.add(plan.queue);
    if (plan.onDemandQueue) {
      this.submitQueues.add(plan.onDemandQueue);
    }
    return state;
  }

  /**
   * A `${key}` placeholder for `value` in the definition, filled by CloudFormation from DefinitionSubstitutions.
   * The same value always gets the same key.
   */
  private substitution(value: string, hint: string): string {
    for (const [key, v] of Object.entries(this.substitutions)) {
      if (v === value) {
        return `\${${key}}`;
      }
    }
    const base = hint.replace(/[^A-Za-z0-9_]/g, '_');
    let key = base;
    for (let i = 2; key in this.substitutions; i++) {
      key = `${base}_${i}`;
    }
    this.substitutions[key] = value;
    return `\${${key}}`;
  }
}

/**
 * A Distributed Map with a ResultWriter given as plain ASL: aws-cdk-lib's `ResultWriterV2` renders only under a
 * feature flag of the app, and its `ResultWriter` grants writes to the whole bucket.
 */
class ResultWritingMap extends sfn.DistributedMap {
  constructor(
    scope: Construct,
    id: string,
    private readonly writer: Record<string, unknown>,
    props: sfn.DistributedMapProps,
  ) {
    super(scope, id, props);
  }

  public override toStateJson(...args: Parameters<sfn.DistributedMap['toStateJson']>): object {
    return { ...super.toStateJson(...args), ResultWriter: this.writer };
  }
}

/**
 * The states a group of steps shares for failure handling: the top level, each parallel branch and each fan-out
 * item have their own (a state belongs to exactly one of them). Shared states keep a step to one or two states of
 * its own, which is what lets a long pipeline fit in one definition.
 */
class StepScope {
  private failed?: sfn.Pass;
  private nameFailure?: sfn.Pass;
  private escalate?: sfn.Pass;
  private router?: sfn.Choice;

  constructor(
    private readonly workflow: Construct,
    private readonly label: string,
  ) {}

  /** Where a job failure without escalation goes: parse Batch's job description, fail as `<step>.Failed`. */
  public failure(): sfn.IChainable {
    if (!this.failed) {
      this.failed = this.readFailure('read failure');
      this.failed.next(this.named());
    }
    return this.failed;
  }

  /**
   * Fails the step from a parsed failure. A failed Batch job always carries a status reason: it becomes the cause,
   * one line instead of the job's whole description. The job is named after its step, so the error names the step.
   */
  private named(): sfn.Pass {
    if (!this.nameFailure) {
      this.nameFailure = new sfn.Pass(this.workflow, `${this.label}name failure`, {
        parameters: {
          'error.$': "States.Format('{}.Failed', $.failure.parsed.JobName)",
          'cause.$': '$.failure.parsed.StatusReason',
        },
        resultPath: '$.failed',
      });
      this.nameFailure.next(
        new sfn.Fail(this.workflow, `${this.label}step failed`, {
          errorPath: '$.failed.error',
          causePath: '$.failed.cause',
        }),
      );
    }
    return this.nameFailure;
  }

  /**
   * Where a job failure of an escalating step goes: after Spot interruptions, On-Demand with the same memory; after
   * an out-of-memory kill, the next memory level; otherwise the step fails.
   */
  public escalation(): sfn.IChainable {
    if (!this.escalate) {
      const w = this.workflow;
      const read = this.readFailure('read failure, escalate?');
      // The attempt record with some fields changed (a Pass state replaces the whole record).
      const copy = (overrides: Record<string, unknown>) => {
        const fields = ['step', 'queue', 'onDemand', 'memory', 'levels', 'level', 'last'];
        const changed = Object.keys(overrides).map((k) => k.replace(/\.\$$/, ''));
        return {
          ...Object.fromEntries(fields.filter((f) => !changed.includes(f)).map((f) => [`${f}.$`, `$.attempt.${f}`])),
          ...overrides,
        };
      };
      const onDemandQueue = new sfn.Pass(w, `${this.label}run On-Demand`, {
        parameters: copy({ 'queue.$': '$.attempt.onDemand' }),
        resultPath: '$.attempt',
      });
      const moreMemory = new sfn.Pass(w, `${this.label}add memory`, {
        parameters: copy({
          'level.$': 'States.MathAdd($.attempt.level, 1)',
          'memory.$': 'States.ArrayGetItem($.attempt.levels, States.MathAdd($.attempt.level, 1))',
        }),
        resultPath: '$.attempt',
      });
      const oom = sfn.Condition.and(
        sfn.Condition.numberLessThanJsonPath('$.attempt.level', '$.attempt.last'),
        sfn.Condition.or(
          sfn.Condition.and(
            sfn.Condition.isPresent('$.failure.parsed.Container.Reason'),
            sfn.Condition.stringMatches('$.failure.parsed.Container.Reason', OUT_OF_MEMORY_REASON_PATTERN),
          ),
          sfn.Condition.and(
            sfn.Condition.isPresent('$.failure.parsed.StatusReason'),
            sfn.Condition.stringMatches('$.failure.parsed.StatusReason', OUT_OF_MEMORY_REASON_PATTERN),
          ),
        ),
      );
      const spotLost = sfn.Condition.and(
        sfn.Condition.not(sfn.Condition.stringEqualsJsonPath('$.attempt.queue', '$.attempt.onDemand')),
        sfn.Condition.isPresent('$.failure.parsed.StatusReason'),
        sfn.Condition.stringMatches('$.failure.parsed.StatusReason', SPOT_RECLAIM_REASON_PATTERN),
      );
      // A failure that is not escalated is named and reported like any other.
      const nameOnly = this.named();
      read.next(
        new sfn.Choice(w, `${this.label}escalate?`)
          .when(spotLost, onDemandQueue, { comment: 'Spot interruptions used up the retries: run On-Demand' })
          .when(oom, moreMemory, { comment: 'Out of memory: run again with more memory' })
          .otherwise(nameOnly),
      );
      this.router = new sfn.Choice(w, `${this.label}rerun the step`);
      onDemandQueue.next(this.router);
      moreMemory.next(this.router);
      this.router.otherwise(nameOnly);
      this.escalate = read;
    }
    return this.escalate;
  }

  /** Parses Batch's description of the failed job (the `.sync` error's cause) into `$.failure.parsed`. */
  private readFailure(name: string): sfn.Pass {
    return new sfn.Pass(this.workflow, `${this.label}${name}`, {
      parameters: { 'parsed.$': 'States.StringToJson($.error.Cause)' },
      resultPath: '$.failure',
    });
  }

  /** Makes the resubmit router send `step`'s escalated attempts back to its submit state. */
  public resubmitTo(step: string, submit: sfn.State): void {
    this.escalation();
    this.router!.when(sfn.Condition.stringEquals('$.attempt.step', step), submit);
  }
}

/** A piece of the state machine: where it starts and the states that continue to whatever comes next. */
interface Fragment {
  readonly start: sfn.State;
  readonly ends: sfn.INextable[];
}

function checkPath(scope: Construct, prop: string, path: string): void {
  if (!path.startsWith('$')) {
    fail(scope, {
      prop,
      received: `'${path}'`,
      allowed: "a JSONPath starting with '$' (state) or '$$' (context)",
      fix: `use e.g. '$.item.${path}'`,
    });
  }
}
