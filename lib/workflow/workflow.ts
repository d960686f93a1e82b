import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { Fragment } from './asl/fragment';
import { Substitutions } from './asl/substitutions';
import { grantStepAccess, grantWatchAccess, grantWorkflowAccess } from './grants';
import { StepPlan } from './plan/step-plan';
import { WorkflowPlan } from './plan/workflow-plan';
import { FailureScope } from './states/failure-states';
import { buildFanOut } from './states/fan-out-states';
import { buildInputCheck } from './states/input-check';
import {
  buildRunSummary,
  grantRunSummary,
  reportRunEnds,
  RUN_SUMMARIES_UNSENT_DIMENSION,
  RUN_SUMMARIES_UNSENT_METRIC,
  RunDefinitionBody,
  RunSummaryOptions,
} from './states/run-summary-states';
import { buildStep, StepContext, workflowPathOf } from './states/step-states';
import { mermaidOf } from './mermaid';
import { FanOut, FanOutMode, StepCache, WorkflowStep } from './step';
import { applyCacheRetention, fanOutCached, isCached, stepCachePlan } from './plan/cache-plan';
import { mergeBranchCaches } from './states/cache-states';
import { createCacheHitsTable, grantCacheHits, hitCounterOf } from './cache-hits-table';
import { describeProblem } from '../core/validation-error';
import { IJobQueue } from '../queues/job-queue-base';
import { JOB_METRICS_NAMESPACE } from '../queues/job-metrics';
import { fail } from '../private/errors';
import { levelsOf } from '../private/graph';
import { vendedLogGroupName } from '../private/names';
import { ensureStackLimitChecks } from '../private/stack-limits';
import { MAX_DEFINITION_CHARS } from '../private/limits';
import { checkKnownProps, KnownKeys } from '../private/known-props';
import { PipelineTag } from '../core/pipeline-tag';

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
   * @default - derived from the steps, and said at synth with its figures (info `cdk-batch-pipelines:derived-timeout`):
   * each step's job timeout × attempts × memory levels × 2 when it escalates from Spot to On-Demand; steps that depend
   * on each other add up, parallel ones count their longest; a fan-out runs its steps in waves of `maxConcurrency`
   * over `expectedItems`; capped at Step Functions' one year. E.g. a daily fan-out of 500 videos, 50 at once, whose
   * one step has a 4 h job timeout, 3 attempts, 2 memory levels and Spot escalation: 10 waves × 48 h = 20 days
   */
  readonly timeout?: Duration;
  /**
   * Physical name of the state machine.
   * @default - CloudFormation generates one
   */
  readonly stateMachineName?: string;
  /**
   * The step-result cache of the workflow's fan-out steps (see `WorkflowStepOptions.cache`), or `false` for none. A
   * rerun (`batch-pipelines rerun`) then skips every step that already succeeded for an item with the same inputs.
   * @default - in the first fan-out's results bucket, under 'cache/<the workflow's unique id>/', records kept 90
   * days; none when no fan-out writes results to S3
   */
  readonly cache?: StepCache | false;
}

/** Every prop of `WorkflowProps`, for the run-time check of keys (lib/private/known-props.ts). */
export const WORKFLOW_PROPS_KEYS: KnownKeys<WorkflowProps> = {
  steps: true,
  logLevel: true,
  logExecutionData: true,
  logRetention: true,
  tracing: true,
  timeout: true,
  stateMachineName: true,
  cache: true,
};

/** Options of `Workflow.notifyRunsTo`. */
export interface RunNotificationOptions {
  /**
   * Send a message when a run succeeds with every item, too.
   * @default true - every run sends one message; false sends none for a run whose items all succeeded (a PARTIAL
   * run and a failed one still send theirs)
   */
  readonly notifyRunSucceeded?: boolean;
}

/** Characters a CloudFormation reference is counted as when sizing the definition: a job queue or definition ARN. */
const REFERENCE_CHARS = 128;

/**
 * A Step Functions Standard workflow built from declared steps and dependencies: independent steps run in
 * parallel branches, dependent ones in order, fan-outs run their steps once per item (Inline or Distributed Map).
 * Each step submits its job with the `.sync` integration, retries Batch API throttling, reruns Spot-exhausted jobs
 * on On-Demand and out-of-memory jobs with more memory. Every item of a fan-out ends with one outcome record (see
 * `ItemOutcome`); the fan-out's partial-success policy decides whether the steps after it run.
 *
 * The construct asks its plan (`plan/`: every check and computation, no side effects), builds the states from it
 * (`states/`), and applies the grants the plan implies (`grants.ts`).
 */
export class Workflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** Where executions log. */
  public readonly logGroup: logs.LogGroup;
  private readonly declaredSteps: WorkflowStep[];
  /** The execution timeout. */
  public readonly timeout: Duration;

  private readonly plan: WorkflowPlan;
  /** Parent of the states, so that state names (step names among them) cannot clash with the other children. */
  private readonly states: Construct;
  private readonly substitutions = new Substitutions();
  private readonly scopes: FailureScope[] = [];
  /** The steps' plans in the order their states are built. */
  private readonly built: StepPlan[] = [];
  /** The run-summary states, once `notifyRunsTo` asked for them. */
  private runSummary?: sfn.StateGraph;
  private runSummaryTopic?: sns.ITopic;
  /** The table cached fan-outs count their hits in (none without a cached fan-out). */
  private cacheHits?: dynamodb.Table;

  /** The steps whose results are cached (see `WorkflowProps.cache`): none when the workflow has no cache. */
  public get cachedSteps(): WorkflowStep[] {
    return this.steps.filter((s) => isCached(this.plan.cache, s));
  }

  /** The steps. */
  public get steps(): WorkflowStep[] {
    return [...this.declaredSteps];
  }

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    PipelineTag.applyTo(this);
    checkKnownProps(this, 'WorkflowProps', props, WORKFLOW_PROPS_KEYS);
    this.declaredSteps = [...props.steps];
    this.states = new Construct(this, 'States');
    this.plan = new WorkflowPlan(this, this.steps, props.timeout, props.cache);
    this.timeout = this.plan.timeout;
    if (this.plan.timeoutDerivation) {
      Annotations.of(this).addInfoV2(
        'cdk-batch-pipelines:derived-timeout',
        `${this.node.path}: execution timeout ${this.plan.timeoutDerivation}. Set timeout to give another.`,
      );
    }

    const definition = this.sequence(
      this.plan.units(),
      (u) => this.plan.unitDeps(u),
      (u, s) => (u instanceof WorkflowStep ? this.buildStep(u, s) : this.buildFanOut(u)),
      new FailureScope(this.states, '', this.scopes),
    );
    FailureScope.finishAll(this.scopes);
    const start = buildInputCheck(this.states, this.plan.inputReads(), definition.start);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: vendedLogGroupName(this, 'Workflow'),
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      // Read when the template is written: notifyRunsTo may still add the run-summary states.
      definitionBody: new RunDefinitionBody(start, (d) =>
        this.runSummary ? reportRunEnds(d, this.runSummary.toGraphJson() as typeof d) : d,
      ),
      definitionSubstitutions: this.substitutions.values,
      timeout: this.timeout,
      tracingEnabled: props.tracing ?? true,
      stateMachineName: props.stateMachineName,
      logs: {
        destination: this.logGroup,
        level: props.logLevel ?? sfn.LogLevel.ALL,
        includeExecutionData: props.logExecutionData ?? false,
      },
    });
    grantStepAccess(
      this.plan.steps.map((s) => this.plan.planOf(s)),
      this.built,
    );
    grantWorkflowAccess(this, this.stateMachine, {
      built: this.built,
      fanOuts: this.plan.fanOuts,
      cache: this.plan.cache,
    });
    if (this.plan.cache) {
      applyCacheRetention(this, this.plan.cache);
    }
    if (this.cacheHits) {
      grantCacheHits(this.cacheHits, this.stateMachine);
    }
    this.node.addValidation({ validate: () => this.validateDefinitionSize() });
    ensureStackLimitChecks(this);
  }

  /** How a fan-out runs (AUTO resolved). */
  public fanOutMode(fanOut: FanOut): FanOutMode {
    return this.plan.modeOf(fanOut);
  }

  /**
   * Estimated history events one item of the fan-out adds: `.sync` tasks, the states around them, and an allowance
   * of one escalation per step. Inline fan-outs add this per item to the execution's single 25,000-event history;
   * Distributed ones to each child execution's own.
   */
  public estimatedEventsPerItem(fanOut: FanOut): number {
    return this.plan.estimatedEventsPerItem(fanOut);
  }

  /** The memory (MiB) of each attempt the step may make: the job's, then escalated after out-of-memory kills. */
  public memoryLevels(step: WorkflowStep): number[] {
    return [...this.plan.planOf(step).memoryLevelsMiB];
  }

  /** The On-Demand queue the step escalates to after Spot interruptions, if escalation is on. */
  public onDemandQueueOf(step: WorkflowStep): IJobQueue | undefined {
    return this.plan.planOf(step).onDemandQueue;
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

  /**
   * Makes each run publish its one message to `topic` itself, at its end (PipelineMonitoring calls this for its
   * `workflow`): when it succeeds (with each fan-out's outcome: SUCCEEDED or PARTIAL, how many items failed, where
   * the outcomes are, the rerun command) and when it fails through its own failure paths (a step's failure outside a
   * fan-out, `<fan-out>.TooManyItemsFailed`, an invalid input), with the run's error and cause; the run then ends as
   * it would have, with the same error and cause. A publish that fails after its retries does not fail the run: it is
   * counted in `metricRunSummariesUnsent`. A run that times out, is stopped, or fails with an error no Catch handles
   * (`States.Runtime`) cannot report itself: only Step Functions' status-change event tells of it.
   *
   * The states are added once, at the top level of the definition; the role may publish to the topic and use its key.
   */
  public notifyRunsTo(topic: sns.ITopic, options: RunNotificationOptions = {}): void {
    if (this.runSummaryTopic) {
      fail(this, {
        prop: 'notifyRunsTo(topic)',
        received: `a second topic (${topic.node.path}; runs already notify ${this.runSummaryTopic.node.path})`,
        allowed: 'one topic a workflow: a run sends one message',
        fix: 'watch the workflow from one PipelineMonitoring, and subscribe more endpoints to its topic',
      });
    }
    this.runSummaryTopic = topic;
    const o: RunSummaryOptions = {
      topic,
      notifyRunSucceeded: options.notifyRunSucceeded ?? true,
      fanOuts: this.plan.fanOuts,
      cachedFanOuts: this.plan.fanOuts.filter((f) => this.plan.cachedStepsOf(f).length > 0),
      metricNamespace: JOB_METRICS_NAMESPACE,
      workflowPath: this.node.path,
    };
    this.runSummary = new sfn.StateGraph(buildRunSummary(this.states, o), 'run summary');
    grantRunSummary(this.stateMachine, this.stateMachine.role, o);
  }

  /**
   * Runs whose message could not be published (after retries) by the run itself (see `notifyRunsTo`): 1 a run; the
   * sum over 5 minutes unless `props` says otherwise.
   */
  public metricRunSummariesUnsent(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: JOB_METRICS_NAMESPACE,
      metricName: RUN_SUMMARIES_UNSENT_METRIC,
      dimensionsMap: { [RUN_SUMMARIES_UNSENT_DIMENSION]: this.node.path },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** Lets `grantee` start executions. */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /**
   * Lets `grantee` follow this workflow's runs as `batch-pipelines watch --execution-arn` and `rerun --dry-run` read
   * them: describe executions and their history, list and describe their Map Runs, list and describe the Map Runs'
   * child executions (named `<state machine>/<map label>:<id>`, which `StateMachine.grantRead` does not cover), read
   * the fan-outs' result files, and, with a step cache, the definition and the cache's records (what a resumed run
   * would run). Read-only: starting a rerun also needs `grantStartExecution` and write access to the manifest's bucket.
   * @see https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
   */
  public grantWatch(grantee: iam.IGrantable): iam.Grant {
    return grantWatchAccess(this, this.stateMachine, this.plan.fanOuts, grantee, this.plan.cache);
  }

  /**
   * The declared graph as a Mermaid flowchart: fan-outs as subgraphs, one node per step with its job size.
   */
  public toMermaid(): string {
    return mermaidOf(this.steps, this.plan.fanOuts, (f) => this.fanOutMode(f));
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
    for (const [key, value] of Object.entries(this.substitutions.values)) {
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

  // Building the state machine ----------------------------------------------------------------------------------

  /**
   * Chains nodes level by level: a level of one node runs alone, a level of several runs them as parallel branches
   * (each branch keeps its input: tasks discard their results, so the state is the same everywhere).
   */
  private sequence<T>(
    nodes: T[],
    deps: (n: T) => T[],
    build: (n: T, scope: FailureScope) => Fragment,
    scope: FailureScope,
  ): Fragment {
    let levels = levelsOf(nodes, deps);
    // A fan-out records its outcomes in the state, which a parallel branch would discard: give it a level of its own.
    levels = levels.flatMap((l) => (l.some((n) => n instanceof FanOut) && l.length > 1 ? l.map((n) => [n]) : [l]));
    let first: Fragment | undefined;
    let ends: sfn.INextable[] = [];
    let previous: Fragment | undefined;
    for (const level of levels) {
      let frag: Fragment;
      if (level.length === 1) {
        frag = build(level[0], scope);
      } else {
        const names = level.map((n) => (n instanceof WorkflowStep ? n.name : (n as FanOut).name));
        // In a cached item, the branches' caches are merged back (cache-states.ts); elsewhere the result is dropped.
        const cached = scope.fanOut && fanOutCached(this.plan.cache, this.plan.stepsOf(scope.fanOut));
        const parallel = new sfn.Parallel(
          this.states,
          `Run ${names.join(' + ')}`.slice(0, 80),
          cached ? mergeBranchCaches(this, names) : { resultPath: sfn.JsonPath.DISCARD },
        );
        for (const [i, n] of level.entries()) {
          parallel.branch(build(n, scope.branch(names[i])).start);
        }
        frag = { start: parallel, ends: [parallel] };
      }
      if (previous?.handOver && frag.entry) {
        // A step right after a step: the first hands its attempt record over, the second needs no plan state.
        previous.handOver(frag.entry.attempt);
        for (const e of ends) {
          e.next(frag.entry.enter);
        }
      } else {
        for (const e of ends) {
          e.next(frag.start);
        }
      }
      first ??= frag;
      ends = frag.ends;
      previous = frag;
    }
    return { start: first!.start, ends };
  }

  private buildStep(step: WorkflowStep, scope: FailureScope): Fragment {
    const plan = this.plan.planOf(step);
    this.built.push(plan);
    const cache = step.forEach && stepCachePlan(this.plan.cache, step, this.plan.stepsOf(step.forEach));
    return buildStep(
      plan,
      scope,
      this.stepContext(),
      this.plan.escalates(step),
      cache && { ...cache, states: this.states, substitutions: this.substitutions, hitCounter: this.hitCounter() },
    );
  }

  private stepContext(): StepContext {
    return {
      states: this.states,
      substitutions: this.substitutions,
      workflowPath: workflowPathOf(this, this.substitutions),
    };
  }

  private buildFanOut(f: FanOut): Fragment {
    const body = this.sequence(
      this.plan.stepsOf(f),
      (s) => s.dependencies.filter((d) => d.forEach === f),
      (s, scope) => this.buildStep(s, scope),
      new FailureScope(this.states, `${f.name} item: `, this.scopes, f),
    );
    const cached = this.plan.cachedStepsOf(f).map((s) => s.name);
    return buildFanOut(f, {
      states: this.states,
      substitutions: this.substitutions,
      mode: this.plan.modeOf(f),
      body,
      itemReads: this.plan.itemReads(f),
      maxItems: this.plan.maxItemsInState(f),
      cache: cached.length > 0 ? { steps: cached, hitCounter: this.hitCounter(), objects: f.inputObjects } : undefined,
    });
  }

  /** The table the cached fan-outs count their hits in, made when the first one asks. */
  private hitCounter() {
    this.cacheHits ??= createCacheHitsTable(this);
    return hitCounterOf(this.cacheHits);
  }
}
