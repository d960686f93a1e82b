import { Duration, Size } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { estimatedEventsPerItem, maxItemsInState } from './budgets';
import { checkFanOut } from './fan-out-checks';
import { chooseFanOutMode } from './fan-out-mode';
import { checkGraph, stepsOf, Unit, unitDepsOf, unitsOf } from './graph';
import { checkKnownOptions } from './known-options';
import { inputReads, itemReads } from './paths';
import { shareBusyAt } from './spot-wait';
import { planStep, StepPlan } from './step-plan';
import { checkTimeout, derivedTimeout } from './timeout';
import { StateRead } from '../asl/reads';
import { FanOut, FanOutMode, StepCache, WorkflowStep } from '../step';
import { CachePlan, cachedStepsOf, isCached, planCache } from './cache-plan';

/**
 * The declared graph checked and planned: which fan-outs there are and how they run, what each step submits where,
 * its memory ladder, what the run's checks read, and the execution timeout. It reads the steps and their jobs and
 * changes nothing: it builds no states and grants nothing (`grants.ts` applies what the plan implies). Each check and
 * computation is a function of its own file in this folder; this class runs them in order and keeps the results.
 */
export class WorkflowPlan {
  /** The step-result cache, when the workflow has one. */
  public readonly cache?: CachePlan;
  /** The fan-outs, in the order their first step is declared. */
  public readonly fanOuts: FanOut[];
  public readonly timeout: Duration;
  /** How the timeout was derived from the steps, in figures; undefined when the user gave it. */
  public readonly timeoutDerivation?: string;
  private readonly plans = new Map<WorkflowStep, StepPlan>();
  private readonly modes = new Map<FanOut, FanOutMode>();
  private readonly itemReadsOf = new Map<FanOut, StateRead[]>();
  private readonly inputReadList: StateRead[];

  constructor(
    private readonly scope: Construct,
    public readonly steps: readonly WorkflowStep[],
    timeout?: Duration,
    cache?: StepCache | false,
  ) {
    this.fanOuts = checkGraph(scope, steps);
    this.cache = planCache(scope, cache, this.fanOuts);
    checkKnownOptions(scope, steps, this.fanOuts);
    for (const f of this.fanOuts) {
      checkFanOut(scope, f);
    }
    const planned = shareBusyAt(
      steps.map((step) => {
        const plan = planStep(scope, step);
        const job = step._options.job.resources;
        const largest = { ...job, memory: Size.mebibytes(Math.max(...plan.memoryLevelsMiB)) };
        return { ...plan, largest };
      }),
    );
    for (const plan of planned) {
      this.plans.set(plan.step, plan);
    }
    for (const f of this.fanOuts) {
      this.modes.set(f, chooseFanOutMode(scope, f, this.estimatedEventsPerItem(f)));
    }
    const derived = timeout === undefined ? derivedTimeout(steps, (s) => this.planOf(s)) : undefined;
    this.timeout = timeout ?? derived!.timeout;
    this.timeoutDerivation = derived?.derivation;
    checkTimeout(scope, steps, timeout);
    for (const f of this.fanOuts) {
      this.itemReadsOf.set(f, itemReads(scope, f, this.readsOf(this.stepsOf(f))));
    }
    this.inputReadList = inputReads(scope, this.fanOuts, this.readsOf(steps.filter((s) => !s.forEach)));
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
    return stepsOf(this.steps, fanOut);
  }

  /** The most items a run of the fan-out can take with its outcomes in the state; undefined when they go to S3. */
  public maxItemsInState(f: FanOut): number | undefined {
    return maxItemsInState(f);
  }

  /** Whether a step escalates (Spot to On-Demand, or more memory), so it keeps its attempt in the state. */
  public escalates(step: WorkflowStep): boolean {
    const plan = this.planOf(step);
    return plan.onDemandQueue !== undefined || plan.memoryLevelsMiB.length > 1;
  }

  /** Estimated history events one item of the fan-out adds (see `estimatedEventsPerItem` in budgets.ts). */
  public estimatedEventsPerItem(fanOut: FanOut): number {
    const steps = this.stepsOf(fanOut);
    return estimatedEventsPerItem(fanOut, steps, steps.filter((st) => isCached(this.cache, st)).length);
  }

  /** The fan-out's steps that use the step cache, in order (none without a cache). */
  public cachedStepsOf(fanOut: FanOut): WorkflowStep[] {
    return cachedStepsOf(this.cache, this.stepsOf(fanOut));
  }

  /** The top-level units in declaration order. */
  public units(): Unit[] {
    return unitsOf(this.steps);
  }

  /** The units a unit waits for. */
  public unitDeps(u: Unit): Unit[] {
    return unitDepsOf(this.steps, u);
  }

  /** Every value the fan-out's steps read from an item, each path once: the item's check tests them all. */
  public itemReads(f: FanOut): StateRead[] {
    return [...(this.itemReadsOf.get(f) ?? [])];
  }

  /** The values steps outside any fan-out read from the execution input, each once: checked at the run's start. */
  public inputReads(): StateRead[] {
    return [...this.inputReadList];
  }

  private readsOf(steps: readonly WorkflowStep[]): StateRead[] {
    return steps.flatMap((s) => this.planOf(s).reads);
  }
}
