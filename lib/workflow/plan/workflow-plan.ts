import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { gcd, timesCalls } from './fan-out-states';
import { StateRead } from './reads';
import { fanOutStateKeys, STEP_STATE_KEYS } from '../contract/run-state';
import { FanOut, FanOutMode, WorkflowStep } from './step';
import { CapacityPlatform, PurchaseOption } from '../compute/capacity';
import { InstanceCatalog } from '../compute/instance-catalog';
import { Job } from '../jobs/job';
import { IJobQueue } from '../queues/job-queue-base';
import { fail, gib } from '../private/errors';
import { findCycle, levelsOf } from '../private/graph';
import {
  DISTRIBUTED_MAP_MAX_CONCURRENCY,
  FARGATE_SIZES,
  INLINE_MAP_MAX_CONCURRENCY,
  LONG_SPOT_JOB_SECONDS,
  MAX_ARRAY_SIZE,
  MAX_EXECUTION_DAYS,
  MAX_HISTORY_EVENTS,
  MAX_NESTED_INTRINSICS,
  MAX_SCHEDULING_PRIORITY,
  MAX_SHARE_IDENTIFIER_LENGTH,
  MAX_STATE_PAYLOAD_BYTES,
  MIN_ARRAY_SIZE,
  MIN_SCHEDULING_PRIORITY,
  RESERVED_ENV_PREFIX,
} from '../private/limits';

/** A unit of the top-level graph: a step that runs once, or a fan-out with its steps. */
export type Unit = WorkflowStep | FanOut;

/** How one step is submitted: resolved queues, memory ladder and what the state fills in. */
export interface StepPlan {
  readonly step: WorkflowStep;
  readonly queue: IJobQueue;
  readonly onDemandQueue?: IJobQueue;
  readonly memoryLevelsMiB: number[];
  readonly parameters: Record<string, string>;
  readonly environment: Record<string, string>;
  /** Every value the step's submit state reads from the state or the execution's context. */
  readonly reads: StateRead[];
}

/**
 * A reference path (fields and indexes only): it selects one value, which a Choice rule can test for presence and
 * type; a filter or wildcard selects an array, the wrong type for SubmitJob's strings and numbers.
 */
const REFERENCE_PATH = /^\$\$?((\.[A-Za-z_][A-Za-z0-9_]*)|(\[[0-9]+\]))+$/;
/** Keys of the execution state that the workflow itself writes (the rest are the execution input's). */
/**
 * Context paths a step may read: always present while a task runs. The execution input's fields are read (and checked
 * at the run's start) outside fan-outs only.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
 */
const CONTEXT_PATHS = [
  '$$.Execution.Id',
  '$$.Execution.Name',
  '$$.Execution.StartTime',
  '$$.Execution.RoleArn',
  '$$.StateMachine.Id',
  '$$.StateMachine.Name',
  '$$.State.Name',
  '$$.State.EnteredTime',
  '$$.State.RetryCount',
];
const INPUT_FIELD = /^\$\$\.Execution\.Input(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])+$/;

/** Events one `.sync` Batch task adds to a history: entered, scheduled, started, submitted, succeeded, exited. */
const EVENTS_PER_TASK = 6;
/** Events of the step's plan state (entered, exited). */
const EVENTS_PER_PLAN = 2;
/** Events of an escalation (failure caught, cause parsed and merged, choice, resubmission) allowed per task. */
const EVENTS_PER_ESCALATION = 14;
const STEP_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
/** Bytes one item takes in the execution input when the items are passed in the input (not a manifest). */
export const ITEM_BYTES = 150;
/**
 * Bytes one item's outcome may take in the execution state when outcomes are kept there, sized for every item
 * failing with the longest record, since a run must be able to report that (a state over 256 KiB raises
 * States.DataLimitExceeded, which no Catch handles): keys ~190, the reason ~400 (its text and a Batch reason or log
 * stream), the container reason and Batch's status reason ~255 each, the log stream ~170, the queue ARN ~180, the
 * job id 36, an id of up to 64 characters, step, error, kind and numbers ~150.
 */
export const OUTCOME_BYTES = 1800;

/**
 * The declared graph checked and planned: which fan-outs there are and how they run, what each step submits where,
 * its memory ladder, and the execution timeout. Reads the steps and their jobs; builds no states.
 */
export class WorkflowPlan {
  public readonly fanOuts: FanOut[] = [];
  public readonly timeout: Duration;
  private readonly plans = new Map<WorkflowStep, StepPlan>();
  private readonly modes = new Map<FanOut, FanOutMode>();

  constructor(
    private readonly scope: Construct,
    public readonly steps: readonly WorkflowStep[],
    timeout?: Duration,
  ) {
    this.validateGraph();
    for (const step of this.steps) {
      this.plans.set(step, this.planStep(step));
    }
    for (const f of this.fanOuts) {
      this.modes.set(f, this.chooseMode(f));
    }
    this.timeout = timeout ?? this.deriveTimeout();
    this.checkTimeout(timeout);
  }

  public planOf(step: WorkflowStep): StepPlan {
    const plan = this.plans.get(step);
    if (!plan) {
      throw new Error(`step ${step.name} is not part of workflow ${this.scope.node.path}`);
    }
    return plan;
  }

  public modeOf(fanOut: FanOut): FanOutMode {
    const mode = this.modes.get(fanOut);
    if (!mode) {
      throw new Error(`fan-out ${fanOut.name} is not part of workflow ${this.scope.node.path}`);
    }
    return mode;
  }

  /** The steps of a fan-out. */
  public stepsOf(fanOut: FanOut): WorkflowStep[] {
    return this.steps.filter((s) => s.forEach === fanOut);
  }

  /**
   * The most items a run of the fan-out can take when its outcomes are kept in the state (items in the input, no
   * results in S3), checked at the start of each run; undefined when its outcomes go to S3.
   */
  public maxItemsInState(f: FanOut): number | undefined {
    return f.results ? undefined : Math.floor(MAX_STATE_PAYLOAD_BYTES / (ITEM_BYTES + OUTCOME_BYTES));
  }

  /** Whether a step escalates (Spot to On-Demand, or more memory), so it keeps its attempt in the state. */
  public escalates(step: WorkflowStep): boolean {
    const plan = this.planOf(step);
    return plan.onDemandQueue !== undefined || plan.memoryLevelsMiB.length > 1;
  }

  /**
   * Estimated history events one item of the fan-out adds: its check, `.sync` tasks and the states around them, and
   * an allowance of one escalation per step. Inline fan-outs add this per item to the execution's single
   * 25,000-event history; Distributed ones to each child execution's own.
   */
  public estimatedEventsPerItem(fanOut: FanOut): number {
    const steps = this.stepsOf(fanOut);
    const levels = levelsOf(steps, (s) => s.dependencies.filter((d) => d.forEach === fanOut));
    const parallelLevels = levels.filter((l) => l.length > 1).length;
    // Iteration start/end (2), item check (2), item wrapper parallel (4), its outcome pass (2), per level-parallel 4.
    return 10 + parallelLevels * 4 + steps.length * (EVENTS_PER_PLAN + EVENTS_PER_TASK + EVENTS_PER_ESCALATION);
  }

  /** The top-level units in declaration order. */
  public units(): Unit[] {
    const out: Unit[] = [];
    for (const s of this.steps) {
      const u = s.forEach ?? s;
      if (!out.includes(u)) {
        out.push(u);
      }
    }
    return out;
  }

  public unitDeps(u: Unit): Unit[] {
    const steps = u instanceof WorkflowStep ? [u] : this.stepsOf(u);
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

  // ---------------------------------------------------------------------------------------------------------------
  // The graph

  private validateGraph(): void {
    if (this.steps.length === 0) {
      fail(this.scope, {
        prop: 'steps',
        received: '[]',
        allowed: 'at least one step',
        fix: 'pass the steps of the pipeline, e.g. [align, callVariants]',
      });
    }
    const names = new Set<string>();
    for (const s of this.steps) {
      if (!STEP_NAME.test(s.name)) {
        fail(this.scope, {
          prop: 'steps.name',
          received: `'${s.name}'`,
          allowed: 'up to 40 letters, digits, hyphens and underscores, starting with a letter',
          fix: `rename the step, e.g. '${s.name.replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z]+/, '') || 'step'}'`,
        });
      }
      if (names.has(s.name)) {
        fail(this.scope, {
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
          fail(this.scope, {
            prop: `steps['${s.name}'].dependsOn`,
            received: `'${d.name}', which is not a step of this workflow`,
            allowed: 'steps listed in `steps`',
            fix: `add '${d.name}' to the workflow's steps, or remove the dependency`,
          });
        }
        if (s.forEach && d.forEach && d.forEach !== s.forEach) {
          fail(this.scope, {
            prop: `steps['${s.name}'].dependsOn`,
            received: `'${d.name}', a step inside fan-out '${d.forEach.name}'`,
            allowed: `steps of the same fan-out ('${s.forEach.name}') or steps outside any fan-out`,
            fix: `move '${s.name}' out of its fan-out to run after all items of '${d.forEach.name}', or put both steps in one fan-out`,
          });
        }
      }
    }
    const cycle = findCycle([...this.steps], (s) => s.dependencies);
    if (cycle) {
      fail(this.scope, {
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
      fail(this.scope, {
        prop: `${at}.name`,
        received: `'${f.name}'`,
        allowed: 'up to 31 letters and digits, starting with a letter',
        fix: "use e.g. 'samples'",
      });
    }
    if (!f.itemsPath.startsWith('$')) {
      fail(this.scope, {
        prop: `${at}.itemsPath`,
        received: `'${f.itemsPath}'`,
        allowed: 'a JSONPath starting with $',
        fix: "use e.g. '$.samples'",
      });
    }
    for (const field of f.itemFields) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) {
        fail(this.scope, {
          prop: `${at}.itemFields`,
          received: `'${field}'`,
          allowed: 'field names of letters, digits and underscores, not starting with a digit (read as $.item.<field>)',
          fix: `rename the field in the manifest, e.g. '${field.replace(/[^A-Za-z0-9_]/g, '_').replace(/^[0-9]/, '_')}'`,
        });
      }
    }
    if (!f.itemFields.includes(f.idField)) {
      fail(this.scope, {
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
      fail(this.scope, {
        prop: `${at}.maxConcurrency`,
        received: `${f.maxConcurrency}`,
        allowed: `a whole number from 1 to ${DISTRIBUTED_MAP_MAX_CONCURRENCY}`,
        fix: 'give how many items may run at once, e.g. 50',
      });
    }
    if (f.mode === FanOutMode.INLINE && f.maxConcurrency > INLINE_MAP_MAX_CONCURRENCY) {
      fail(this.scope, {
        prop: `${at}.maxConcurrency`,
        received: `${f.maxConcurrency} with mode INLINE`,
        allowed: `at most ${INLINE_MAP_MAX_CONCURRENCY} items at once in an inline Map`,
        fix: 'use FanOutMode.DISTRIBUTED (or AUTO) for more items at once',
      });
    }
    if (!Number.isInteger(f.expectedItems) || f.expectedItems < 1) {
      fail(this.scope, {
        prop: `${at}.expectedItems`,
        received: `${f.expectedItems}`,
        allowed: 'a whole number of at least 1',
        fix: 'give the usual number of items per run',
      });
    }
    if (f.maxFailedItems !== undefined && (!Number.isInteger(f.maxFailedItems) || f.maxFailedItems < 0)) {
      fail(this.scope, {
        prop: `${at}.maxFailedItems`,
        received: `${f.maxFailedItems}`,
        allowed: 'a whole number of at least 0',
        fix: 'use 0 to stop the steps after the fan-out when any item fails',
      });
    }
    if (
      f.maxFailedPercentage !== undefined &&
      (!Number.isInteger(f.maxFailedPercentage) || f.maxFailedPercentage < 0 || f.maxFailedPercentage > 100)
    ) {
      fail(this.scope, {
        prop: `${at}.maxFailedPercentage`,
        received: `${f.maxFailedPercentage}`,
        allowed: 'a whole number from 0 to 100',
        fix: 'use e.g. 10 to stop the steps after the fan-out when more than 10% of the items failed',
      });
    }
    if (f.maxFailedPercentage !== undefined && f.maxFailedPercentage > 0 && !percentageFits(f.maxFailedPercentage)) {
      const allowed = Array.from({ length: 100 }, (_, i) => i + 1).filter(percentageFits);
      fail(this.scope, {
        prop: `${at}.maxFailedPercentage`,
        received: `${f.maxFailedPercentage} (the run-time check would nest more than ${MAX_NESTED_INTRINSICS} intrinsic functions)`,
        allowed: `0 or one of ${allowed.join(', ')}`,
        fix: `use the nearest allowed percentage, e.g. ${allowed.reduce((a, b) => (Math.abs(b - f.maxFailedPercentage!) < Math.abs(a - f.maxFailedPercentage!) ? b : a))}, or maxFailedItems for an exact count`,
      });
    }
    if (f.manifest && !f.results) {
      fail(this.scope, {
        prop: `${at}.results`,
        received: 'none, with items from a manifest',
        allowed:
          'results in S3 whenever items come from a manifest: its length is known only at run time, and outcomes kept in the state fail the whole run uncatchably beyond 256 KiB',
        fix: "write outcomes to S3: results: { bucket: resultsBucket, prefix: 'runs/' }",
      });
    }
    // Items passed in the input and outcomes kept in the state both count against the 256 KiB state limit.
    const perItem = (f.manifest ? 0 : ITEM_BYTES) + (f.results ? 0 : OUTCOME_BYTES);
    if (perItem > 0 && f.expectedItems * perItem > MAX_STATE_PAYLOAD_BYTES) {
      const kept = [f.manifest ? undefined : 'items in the input', f.results ? undefined : 'outcomes in the state']
        .filter(Boolean)
        .join(' and ');
      fail(this.scope, {
        prop: `${at}.expectedItems`,
        received: `${f.expectedItems} (${kept}, up to ~${perItem} bytes each, would exceed the ${MAX_STATE_PAYLOAD_BYTES / 1024} KiB state limit)`,
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
      fail(this.scope, {
        prop: `fanOut '${f.name}'.mode`,
        received: `INLINE for ${f.expectedItems} items (~${events} history events, ~${this.estimatedEventsPerItem(f)} per item)`,
        allowed: `at most ${MAX_HISTORY_EVENTS} events in one execution's history (reaching it fails the execution)`,
        fix: 'use FanOutMode.DISTRIBUTED (each item gets its own history) or fewer items per execution',
      });
    }
    // Only a Distributed Map reads items from S3 and writes results there (a manifest comes with results).
    if (f.results) {
      if (f.mode === FanOutMode.INLINE) {
        fail(this.scope, {
          prop: `fanOut '${f.name}'.mode`,
          received: f.manifest ? 'INLINE with items from a manifest in S3' : 'INLINE with results written to S3',
          allowed: 'DISTRIBUTED or AUTO: only a Distributed Map reads items from S3 and writes results there',
          fix: f.manifest
            ? 'remove mode (AUTO)'
            : 'remove mode (AUTO), or remove results to keep outcomes in the execution output',
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

  // ---------------------------------------------------------------------------------------------------------------
  // Steps

  private planStep(step: WorkflowStep): StepPlan {
    const job = step.options.job;
    const queue = step.options.queue ?? job.queues[0];
    if (!job.queues.includes(queue)) {
      fail(this.scope, {
        prop: `steps['${step.name}'].queue`,
        received: `${queue.node.path}, which job ${job.node.path} is not bound to`,
        allowed: `one of the job's queues (${job.queues.map((q) => q.node.path).join(', ')})`,
        fix: `add the queue to the job's queues so it is fit-checked, or use one of them`,
      });
    }
    const onDemandQueue = this.onDemandQueueFor(step, queue);
    if (onDemandQueue) {
      job._markByWorkflow({ spotEscalated: true });
    }
    this.checkShareIdentifier(step, [queue, ...(onDemandQueue ? [onDemandQueue] : [])]);
    this.checkArraySize(step);
    if (step.options.checkpoint) {
      const prefix = step.options.checkpoint.prefix ?? 'checkpoints/';
      job.grantRead(step.options.checkpoint.bucket, prefix);
      job.grantWrite(step.options.checkpoint.bucket, prefix);
      job._markByWorkflow({ checkpointing: true });
    }
    const parameters = this.resolveParameters(step);
    const environment = this.resolveEnvironment(step);
    const { shareIdentifier, arraySizePath } = step.options;
    const at = `steps['${step.name}']`;
    const reads: StateRead[] = [
      ...Object.entries(parameters).map(([k, path]) => ({
        path,
        type: 'string' as const,
        prop: `${at}.parameters.${k}`,
      })),
      ...Object.entries(environment).map(([k, path]) => ({
        path,
        type: 'string' as const,
        prop: `${at}.environment.${k}`,
      })),
      ...(shareIdentifier?.startsWith('$')
        ? [{ path: shareIdentifier, type: 'string' as const, prop: `${at}.shareIdentifier` }]
        : []),
      ...(arraySizePath !== undefined
        ? [{ path: arraySizePath, type: 'number' as const, prop: `${at}.arraySizePath` }]
        : []),
    ];
    for (const read of reads) {
      this.checkRead(step, read);
    }
    return {
      step,
      queue,
      onDemandQueue,
      memoryLevelsMiB: this.memoryLadder(step, [queue, ...(onDemandQueue ? [onDemandQueue] : [])]),
      parameters,
      environment,
      reads,
    };
  }

  /**
   * Every value the fan-out's steps read from an item, each path once: the declared item fields (strings), then the
   * paths the steps name (`$.item.lab`, `$.item.chunks`). The item's check tests them all.
   */
  public itemReads(f: FanOut): StateRead[] {
    const declared = f.itemFields.map((field) => ({
      path: `$.item.${field}`,
      type: 'string' as const,
      prop: `forEach '${f.name}'.itemFields`,
    }));
    const named = this.stepsOf(f).flatMap((s) => this.planOf(s).reads.filter((r) => r.path.startsWith('$.item')));
    return this.distinctReads([...declared, ...named]);
  }

  /**
   * The values steps outside any fan-out read from the execution input (`$$.Execution.Input.x`, or `$.x`, which the
   * run's first state sees as the input), each once: the run checks them at its start, before any job runs. Paths under
   * the keys the workflow writes itself (`$.<fan-out>Summary`…) are not input and are not checked.
   */
  public inputReads(): StateRead[] {
    const written = [
      ...Object.values(STEP_STATE_KEYS),
      ...this.fanOuts.flatMap((f) => Object.values(fanOutStateKeys(f.name))),
    ];
    const reads = this.steps
      .filter((s) => !s.forEach)
      .flatMap((s) => this.planOf(s).reads)
      .filter((r) => {
        if (r.path.startsWith('$$.')) {
          return r.path.startsWith('$$.Execution.Input');
        }
        const key = /^\$\.([A-Za-z_][A-Za-z0-9_]*)/.exec(r.path)?.[1];
        return key !== undefined && !written.includes(key);
      });
    return this.distinctReads(reads);
  }

  private distinctReads(reads: StateRead[]): StateRead[] {
    const byPath = new Map<string, StateRead>();
    for (const r of reads) {
      const seen = byPath.get(r.path);
      if (seen && seen.type !== r.type) {
        fail(this.scope, {
          prop: r.prop,
          received: `'${r.path}', read as a ${r.type} here and as a ${seen.type} by ${seen.prop}`,
          allowed: 'one type per path (parameters, environment and share identifiers are strings, array sizes numbers)',
          fix: 'read the array size and the string from different fields',
        });
      }
      byPath.set(r.path, seen ?? r);
    }
    return [...byPath.values()];
  }

  /**
   * A path a step reads must be one the run can check first: a reference path, inside a fan-out one of the item's
   * (the item's steps see only `$.item`, and in a Distributed Map `$$.Execution.Input` is the child execution's),
   * outside one not an item's.
   */
  private checkRead(step: WorkflowStep, read: StateRead): void {
    const { path, prop } = read;
    if (!REFERENCE_PATH.test(path)) {
      fail(this.scope, {
        prop,
        received: `'${path}'`,
        allowed:
          "a reference path of field names and indexes, e.g. '$.item.lab' or '$.item.files[0]' (no filters, wildcards or quoted names)",
        fix: `name the field directly, e.g. '${step.forEach ? '$.item.lab' : '$$.Execution.Input.reference'}'`,
      });
    }
    // The field named in the fix: the path's last name (a made-up one when the path names the input itself).
    const field = path === '$$.Execution.Input' ? 'reference' : (/[A-Za-z0-9_]+$/.exec(path)?.[0] ?? 'field');
    const inputInFanOut = step.forEach !== undefined && path.startsWith('$$.Execution.Input');
    const knownContext = CONTEXT_PATHS.includes(path) || (!step.forEach && INPUT_FIELD.test(path));
    if (path.startsWith('$$') && !knownContext && !inputInFanOut) {
      fail(this.scope, {
        prop,
        received: `'${path}'`,
        allowed: `a field of the execution input ('$$.Execution.Input.<field>', outside fan-outs) or one of ${CONTEXT_PATHS.join(', ')}`,
        fix: step.forEach
          ? `read the item, e.g. '$.item.${field}'`
          : `read an input field, e.g. '$$.Execution.Input.${field}'`,
      });
    }
    if (step.forEach) {
      if (path.startsWith('$$.Execution.Input')) {
        fail(this.scope, {
          prop,
          received: `'${path}', in fan-out '${step.forEach.name}'`,
          allowed:
            "item paths ('$.item.<field>'): in a Distributed Map each item runs as a child execution whose input is the item, not the workflow's",
          fix: `put the value in each item and read '$.item.${field}', or give the job a default for it`,
        });
      }
      if (path.startsWith('$.') && !path.startsWith('$.item.') && !path.startsWith('$.item[')) {
        fail(this.scope, {
          prop,
          received: `'${path}', in fan-out '${step.forEach.name}'`,
          allowed: "item paths ('$.item.<field>'): an item's steps see only the item",
          fix: `read '$.item.${field}'`,
        });
      }
    } else if (path.startsWith('$.item.') || path.startsWith('$.item[')) {
      fail(this.scope, {
        prop,
        received: `'${path}', in step '${step.name}', which is not part of a fan-out`,
        allowed: 'paths of the execution input outside a fan-out',
        fix: `read it from the input, e.g. '$$.Execution.Input.${field}', or set forEach`,
      });
    }
  }

  /**
   * The On-Demand queue a Spot-exhausted job of the step reruns on. On by default whenever the step's queue has Spot
   * capacity and the job has an On-Demand queue, however short the job: a 1-hour qc job loses its sample to Spot as
   * surely as a 6-hour one. A long Spot job with nowhere to escalate is an error unless escalation is turned off.
   */
  private onDemandQueueFor(step: WorkflowStep, queue: IJobQueue): IJobQueue | undefined {
    const job = step.options.job;
    const hasSpot = queue.capacities.some((c) => c.purchaseOption === PurchaseOption.SPOT);
    if (step.options.spotEscalation === false || (!hasSpot && step.options.spotEscalation === undefined)) {
      return undefined;
    }
    const onDemandQueue =
      step.options.onDemandQueue ??
      job.queues.find(
        (q) => q.capacities.length > 0 && q.capacities.every((c) => c.purchaseOption === PurchaseOption.ON_DEMAND),
      );
    if (!onDemandQueue) {
      if (step.options.spotEscalation === undefined && job.timeout.toSeconds() <= LONG_SPOT_JOB_SECONDS) {
        // A short Spot job without an On-Demand queue: its retries are all it has, which the job's owner chose.
        return undefined;
      }
      fail(this.scope, {
        prop: `steps['${step.name}'].spotEscalation`,
        received: `on (job ${job.node.path} may run ${job.timeout.toHumanString()} on Spot) with no On-Demand queue`,
        allowed: 'Spot escalation with a queue of On-Demand capacity among the job’s queues',
        fix: 'bind the job to an On-Demand queue too (queues: [standard, onDemandOnly]), set onDemandQueue, or set spotEscalation: false',
      });
    }
    if (!job.queues.includes(onDemandQueue)) {
      fail(this.scope, {
        prop: `steps['${step.name}'].onDemandQueue`,
        received: `${onDemandQueue.node.path}, which job ${job.node.path} is not bound to`,
        allowed: "one of the job's queues, so the job is fit-checked against it",
        fix: 'add the queue to the job’s queues',
      });
    }
    const spotThere = onDemandQueue.capacities.find((c) => c.purchaseOption === PurchaseOption.SPOT);
    if (spotThere) {
      fail(this.scope, {
        prop: `steps['${step.name}'].onDemandQueue`,
        received: `${onDemandQueue.node.path}, which has Spot capacity ${spotThere.node.path}`,
        allowed: 'a queue of On-Demand capacity only',
        fix: 'escalate to a queue whose capacities are all On-Demand',
      });
    }
    return onDemandQueue === queue ? undefined : onDemandQueue;
  }

  /**
   * SubmitJob requires a share identifier on a fair-share queue and refuses one elsewhere.
   * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html
   */
  private checkShareIdentifier(step: WorkflowStep, queues: IJobQueue[]): void {
    const share = step.options.shareIdentifier;
    const fairShare = queues.filter((q) => q.fairShare);
    const prop = `steps['${step.name}'].shareIdentifier`;
    if (share === undefined && fairShare.length > 0) {
      fail(this.scope, {
        prop,
        received: `none, for fair-share queue ${fairShare[0].node.path}`,
        allowed:
          'a share identifier on every step that submits to a fair-share queue (Batch refuses the job without one)',
        fix: "set shareIdentifier, e.g. 'default' or '$.item.lab' to read it from each item",
      });
    }
    if (share !== undefined && fairShare.length !== queues.length) {
      const plain = queues.find((q) => !q.fairShare)!;
      fail(this.scope, {
        prop,
        received: `'${share}', for ${plain.node.path}, which has no fair-share policy`,
        allowed: 'a share identifier only when every queue the step submits to has a fair-share policy',
        fix: 'remove shareIdentifier, or give the queue a fairShare policy',
      });
    }
    const priority = step.options.schedulingPriority;
    if (priority !== undefined && share === undefined) {
      fail(this.scope, {
        prop: `steps['${step.name}'].schedulingPriority`,
        received: `${priority}, without a share identifier`,
        allowed: 'a scheduling priority only on a fair-share step (with shareIdentifier)',
        fix: 'set shareIdentifier too, or remove schedulingPriority',
      });
    }
    if (
      priority !== undefined &&
      (!Number.isInteger(priority) || priority < MIN_SCHEDULING_PRIORITY || priority > MAX_SCHEDULING_PRIORITY)
    ) {
      fail(this.scope, {
        prop: `steps['${step.name}'].schedulingPriority`,
        received: `${priority}`,
        allowed: `a whole number from ${MIN_SCHEDULING_PRIORITY} to ${MAX_SCHEDULING_PRIORITY} (higher runs first)`,
        fix: 'use e.g. 0, or 100 for a step that should go first',
      });
    }
    if (share !== undefined && share.startsWith('$')) {
      checkPath(this.scope, prop, share);
    } else if (
      share !== undefined &&
      (share.length === 0 || share.length > MAX_SHARE_IDENTIFIER_LENGTH || !/^[A-Za-z0-9_]+$/.test(share))
    ) {
      fail(this.scope, {
        prop,
        received: `'${share}'`,
        allowed: `1..${MAX_SHARE_IDENTIFIER_LENGTH} letters, digits and underscores, or a JSONPath starting with $`,
        fix: `use e.g. '${share.replace(/[^A-Za-z0-9_]/g, '_').slice(0, MAX_SHARE_IDENTIFIER_LENGTH) || 'default'}'`,
      });
    }
  }

  /**
   * An array job runs as one job unless SubmitJob gives it ArrayProperties; a plain job must not get them.
   * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ArrayProperties.html
   */
  private checkArraySize(step: WorkflowStep): void {
    const { job, arraySize, arraySizePath } = step.options;
    const prop = `steps['${step.name}'].arraySize`;
    const given = arraySize !== undefined || arraySizePath !== undefined;
    if (job.arrayJob && !given) {
      fail(this.scope, {
        prop,
        received: `none, for array job ${job.node.path}`,
        allowed: `the number of children (${MIN_ARRAY_SIZE}..${MAX_ARRAY_SIZE}), fixed or read from the state`,
        fix: "set arraySize: 100, or arraySizePath: '$.item.chunks'",
      });
    }
    if (!job.arrayJob && given) {
      fail(this.scope, {
        prop,
        received: `${arraySize ?? arraySizePath}, for job ${job.node.path}, which is not an array job`,
        allowed: 'arraySize only for jobs created with arrayJob: true',
        fix: 'create the job with arrayJob: true, or remove arraySize',
      });
    }
    if (arraySize !== undefined && arraySizePath !== undefined) {
      fail(this.scope, {
        prop,
        received: `both arraySize ${arraySize} and arraySizePath '${arraySizePath}'`,
        allowed: 'one of them',
        fix: 'keep the one that says where the size comes from',
      });
    }
    if (
      arraySize !== undefined &&
      (!Number.isInteger(arraySize) || arraySize < MIN_ARRAY_SIZE || arraySize > MAX_ARRAY_SIZE)
    ) {
      fail(this.scope, {
        prop,
        received: `${arraySize}`,
        allowed: `a whole number from ${MIN_ARRAY_SIZE} to ${MAX_ARRAY_SIZE}`,
        fix: `use a size in that range, or several steps for more than ${MAX_ARRAY_SIZE} children`,
      });
    }
    if (arraySizePath !== undefined) {
      checkPath(this.scope, `steps['${step.name}'].arraySizePath`, arraySizePath);
    }
  }

  /**
   * The memory of each attempt: the job's, then ×factor after each out-of-memory kill, each level snapped to a size
   * the step's capacity accepts (on Fargate the next valid memory for the job's vCPUs; on EC2 at most what the
   * largest instance type leaves usable), stopping when no larger size fits.
   */
  private memoryLadder(step: WorkflowStep, queues: IJobQueue[]): number[] {
    const job = step.options.job;
    const base = job.resources.memory.toMebibytes();
    const options = step.options.memoryEscalation;
    if (options === false) {
      return [base];
    }
    const factor = options?.factor ?? 1.5;
    const maxTimes = options?.maxTimes ?? 2;
    if (!(factor > 1) || !Number.isInteger(maxTimes) || maxTimes < 0 || maxTimes > 5) {
      fail(this.scope, {
        prop: `steps['${step.name}'].memoryEscalation`,
        received: `factor ${factor}, maxTimes ${maxTimes}`,
        allowed: 'a factor above 1 and 0..5 times',
        fix: 'use e.g. { factor: 1.5, maxTimes: 2 }, or false to turn escalation off',
      });
    }
    const fits = Math.min(...queues.map((q) => largestFittingMemory(q, job)));
    const ceiling = options?.ceiling?.toMebibytes() ?? fits;
    if (ceiling > fits) {
      fail(this.scope, {
        prop: `steps['${step.name}'].memoryEscalation.ceiling`,
        received: gib(ceiling),
        allowed: `at most ${gib(fits)}, the largest ${job.resources.vcpus}-vCPU job every queue of the step can place`,
        fix: 'lower the ceiling, or add larger instance types',
      });
    }
    if (options?.ceiling !== undefined && ceiling <= base) {
      fail(this.scope, {
        prop: `steps['${step.name}'].memoryEscalation.ceiling`,
        received: `${gib(ceiling)}, for job ${job.node.path} of ${gib(base)}`,
        allowed: 'a ceiling above the job memory (at or below it, escalation would silently never happen)',
        fix: `raise the ceiling above ${gib(base)} (at most ${gib(fits)}), or set memoryEscalation: false`,
      });
    }
    const fargate = job.platform === CapacityPlatform.FARGATE;
    const valid = fargate ? (FARGATE_SIZES.find((s) => s.vcpus === job.resources.vcpus)?.memoryMiB ?? []) : [];
    const levels = [base];
    for (let i = 0; i < maxTimes; i++) {
      const previous = levels[levels.length - 1];
      let next = Math.min(Math.floor(previous * factor), ceiling);
      if (fargate) {
        // The smallest valid size at or above the target, else the largest valid one above the previous level.
        next = valid.find((m) => m >= next && m <= ceiling) ?? Math.max(0, ...valid.filter((m) => m <= ceiling));
      }
      if (next <= previous) {
        break;
      }
      levels.push(next);
    }
    return levels;
  }

  private resolveParameters(step: WorkflowStep): Record<string, string> {
    const job = step.options.job;
    const given = step.options.parameters ?? {};
    for (const [name, path] of Object.entries(given)) {
      if (!job.parameterNames.includes(name)) {
        fail(this.scope, {
          prop: `steps['${step.name}'].parameters.${name}`,
          received: `'${name}', which job ${job.node.path} does not use`,
          allowed: `the job's Ref:: parameters: ${job.parameterNames.join(', ') || 'none'}`,
          fix: `use Ref::${name} in the job's command, or remove it`,
        });
      }
      checkPath(this.scope, `steps['${step.name}'].parameters.${name}`, path);
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
        fail(this.scope, {
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
        fail(this.scope, {
          prop: `steps['${step.name}'].environment.${name}`,
          received: `'${name}'`,
          allowed: `names not starting with ${RESERVED_ENV_PREFIX} (reserved by Batch)`,
          fix: 'rename the variable',
        });
      }
      checkPath(this.scope, `steps['${step.name}'].environment.${name}`, path);
    }
    return env;
  }

  /** A given timeout must leave every step at least one attempt of its job. */
  private checkTimeout(timeout: Duration | undefined): void {
    if (timeout === undefined) {
      return;
    }
    const longest = Math.max(...this.steps.map((s) => s.options.job.timeout.toSeconds()));
    const seconds = timeout.toSeconds();
    if (!(seconds >= longest)) {
      const step = this.steps.find((s) => s.options.job.timeout.toSeconds() === longest)!;
      fail(this.scope, {
        prop: 'timeout',
        received: `${seconds} seconds, shorter than step '${step.name}''s job timeout (${longest} seconds)`,
        allowed: `at least the longest job timeout of the steps (${longest} seconds): a shorter run stops its jobs mid-attempt`,
        fix: 'leave timeout out (it is derived from the steps), or give at least the longest job timeout',
      });
    }
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
      const steps = this.stepsOf(u);
      const levels = levelsOf(steps, (s) => s.dependencies.filter((d) => d.forEach === u));
      const perItem = levels.reduce((sum, l) => sum + Math.max(...l.map(worst)), 0);
      return Math.ceil(u.expectedItems / u.maxConcurrency) * perItem;
    };
    const levels = levelsOf(this.units(), (u) => this.unitDeps(u));
    const seconds = levels.reduce((sum, l) => sum + Math.max(...l.map(unitSeconds)), 0);
    return Duration.seconds(Math.min(seconds, MAX_EXECUTION_DAYS * 24 * 3600));
  }
}

/**
 * Whether the check `failed × 100/g > items × p/g` (g = gcd(100, p)) stays within Step Functions' nesting limit of
 * intrinsic functions, doubling with States.MathAdd being the only way to multiply.
 */
function percentageFits(p: number): boolean {
  const g = gcd(100, p);
  return timesCalls(100 / g) <= MAX_NESTED_INTRINSICS && timesCalls(p / g) <= MAX_NESTED_INTRINSICS;
}

/** The most memory (MiB) a job of `job`'s vCPUs/GPUs can get on some capacity of `queue`. */
function largestFittingMemory(queue: IJobQueue, job: Job): number {
  const r = job.resources;
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

export function checkPath(scope: Construct, prop: string, path: string): void {
  if (!path.startsWith('$')) {
    fail(scope, {
      prop,
      received: `'${path}'`,
      allowed: "a JSONPath starting with '$' (state) or '$$' (context)",
      fix: `use e.g. '$.item.${path}'`,
    });
  }
}
