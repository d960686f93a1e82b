import { Duration } from 'aws-cdk-lib';
import { formatHours } from './cost-format';
import { estimateWithHints } from './cost-model';
import { CostAssumptions, CostLine, CostModelError, FIXED_COST_PRICES, LIBRARY_INPUT_NAMES } from './cost-types';
import type { DeclaredCostEstimate, StepCacheEstimate, StepCost, TransitionEstimate } from './declared-cost-types';
import { countTransitions } from './transitions';
import { CapacityPlatform, ICapacity, PurchaseOption } from '../compute/capacity';
import { Job } from '../jobs/job';
import { IJobQueue } from '../queues/job-queue-base';
import { FanOut } from '../workflow/step';
import { Workflow } from '../workflow/workflow';

/*
 * Prices what a stack declares: each step's job (vCPUs, memory, GPUs, timeout) on the capacities of the queue it is
 * submitted to, in the numbers its fan-out declares (expectedItems, maxConcurrency), plus the workflow's state
 * transitions counted from its definition. Internal to lib/cost: CostReport is its front end.
 */

/** Jobs at once of a step no fan-out bounds: only the capacity's maxvCpus limits it. */
const UNBOUNDED_CONCURRENCY = 1_000_000;

/** One thing to price: a step of a workflow, or a job on its own. */
export interface PricedUnit {
  /** The step's name, or the job's construct id: what `runtimes` is keyed by. */
  readonly name: string;
  readonly job: Job;
  readonly queue: IJobQueue | undefined;
  readonly fanOut?: FanOut;
  readonly arraySize?: number;
}

/** What the stack cannot know, and the units to price. */
export interface DeclaredWork {
  readonly units: PricedUnit[];
  readonly workflow?: Workflow;
  readonly itemsPerMonth: number;
  readonly runtimes: Record<string, Duration>;
  readonly assumptions: CostAssumptions;
}

/** The steps of `workflow` as units to price, in its order. */
export function unitsOfWorkflow(workflow: Workflow): PricedUnit[] {
  return workflow.steps.map((s) => ({
    name: s.name,
    job: s.job,
    queue: s._options.queue ?? s.job.queues[0],
    fanOut: s.forEach,
    arraySize: s._options.arraySize,
  }));
}

/** Jobs on their own, each run once per item on its first queue. */
export function unitsOfJobs(jobs: Job[]): PricedUnit[] {
  return jobs.map((job) => ({ name: job.node.id, job, queue: job.queues[0] }));
}

/** The option name `estimateCost` gives the line of a capacity of this platform and purchase option. */
function lineOf(c: ICapacity): string {
  const spot = c.purchaseOption === PurchaseOption.SPOT;
  if (c.platform === CapacityPlatform.FARGATE) {
    return spot ? 'Fargate Spot' : 'Fargate';
  }
  return spot ? 'Batch Spot' : 'Batch On-Demand';
}

/** How a capacity reads in the table: `EC2 Spot`, `Fargate On-Demand`. */
export function capacityLabel(c: ICapacity): string {
  const platform = c.platform === CapacityPlatform.FARGATE ? 'Fargate' : 'EC2';
  return `${platform} ${c.purchaseOption === PurchaseOption.SPOT ? 'Spot' : 'On-Demand'}`;
}

/** Prices the declared work. A unit that cannot be priced is listed in `notPriced`, never a failed synth. */
export function estimateDeclared(work: DeclaredWork): DeclaredCostEstimate {
  const firstFanOut = work.units.find((u) => u.fanOut)?.fanOut;
  const runsPerMonth = firstFanOut ? work.itemsPerMonth / firstFanOut.expectedItems : work.itemsPerMonth;
  const steps: StepCost[] = [];
  const warnings: string[] = [];
  const notPriced: string[] = [];
  for (const u of work.units) {
    try {
      const step = priceUnit(u, work, runsPerMonth);
      if (typeof step === 'string') {
        notPriced.push(step);
      } else {
        steps.push(step);
        if (step.hoursPerJob > u.job.timeout.toSeconds() / 3600) {
          warnings.push(
            `${u.name}: runtimes.${u.name} ${formatHours(step.hoursPerJob)} is longer than its job's timeout ` +
              `(${formatHours(u.job.timeout.toSeconds() / 3600)}): Batch stops the job at its timeout. Fix: give the ` +
              "job's typical runtime in runtimes, or raise the job's timeout",
          );
        }
        warnings.push(...step.estimate.warnings.map((w) => `${u.name}: ${w}`));
      }
    } catch (e) {
      if (!(e instanceof CostModelError)) {
        throw e;
      }
      notPriced.push(`${u.name}: ${e.message}`);
    }
  }
  const transitions = work.workflow ? transitionsOf(work.workflow, runsPerMonth, notPriced) : undefined;
  const computeMonthlyUsd = steps.reduce((s, x) => s + x.line.monthlyUsd, 0);
  const cached = work.workflow?.cachedSteps.map((st) => st.name) ?? [];
  return {
    itemsPerMonth: work.itemsPerMonth,
    steps,
    transitions,
    cache: cached.length > 0 ? cacheEstimate(cached, steps, work.itemsPerMonth) : undefined,
    computeMonthlyUsd,
    monthlyUsd: computeMonthlyUsd + (transitions?.monthlyUsd ?? 0),
    warnings,
    notPriced,
  };
}

function priceUnit(u: PricedUnit, work: DeclaredWork, runsPerMonth: number): StepCost | string {
  const capacities = u.queue?.capacities ?? [];
  if (!u.queue || capacities.length === 0) {
    return (
      `${u.name}: not priced: its queue ${u.queue?.node.path ?? '(none)'} declares no capacity. Fix: give the ` +
      'imported queue its capacities (JobQueue.fromJobQueueArn(scope, id, arn, { capacities }))'
    );
  }
  const array = u.arraySize ?? 1;
  const given = work.runtimes[u.name];
  const hours = (given ?? u.job.timeout).toSeconds() / 3600;
  const f = u.fanOut;
  const workload = {
    // A step outside the fan-outs runs once per run (each item a run when the workflow has no fan-out).
    itemsPerMonth: (f ? runsPerMonth * f.expectedItems : runsPerMonth) * array,
    hoursPerItem: hours,
    vcpus: u.job.resources.vcpus,
    memory: u.job.resources.memory,
    gpus: u.job.resources.gpus,
    maxConcurrency: f ? f.maxConcurrency * array : UNBOUNDED_CONCURRENCY,
    burstSize: f ? f.expectedItems * array : undefined,
  };
  const hints = {
    writeMinutes: (m: number) => `runtimes: { ${u.name}: Duration.minutes(${m}) }`,
    hoursSource: given ? undefined : "its job's timeout",
  };
  const [first, ...others] = capacities;
  const price = (c: ICapacity) => {
    const types = 'instanceTypeNames' in c ? (c as { instanceTypeNames: string[] }).instanceTypeNames : undefined;
    const names = {
      ...LIBRARY_INPUT_NAMES,
      hoursPerItem: `runtimes.${u.name}`,
      maxConcurrency: f ? `maxConcurrency of fan-out ${f.name}` : 'maxConcurrency',
      maxvCpus: `maxvCpus of ${c.node.path}`,
    };
    const assumptions = { ...work.assumptions, instanceTypes: types ?? work.assumptions.instanceTypes };
    // The capacity's architecture sets Fargate's rate: Linux/ARM is priced below Linux/x86.
    const estimate = estimateWithHints(
      workload,
      { ...assumptions, maxvCpus: c.maxvCpus },
      { platform: c.platform, inputNames: names, architecture: c.architecture },
      hints,
    );
    const priced = estimate.lines.find((l) => l.option === lineOf(c));
    if (!priced) {
      // Only an imported capacity can claim Fargate Spot on arm64: FargateCapacity refuses it.
      throw new CostModelError(
        `${c.node.path}: purchaseOption SPOT with architecture ${c.architecture} is not allowed; allowed: Fargate ` +
          'Spot on x86_64 only (it runs no ARM64 task). Fix: declare the capacity as the compute environment was ' +
          'created: purchaseOption: PurchaseOption.ON_DEMAND, or architecture: ec2.InstanceArchitecture.X86_64',
      );
    }
    return { estimate, line: priced };
  };
  const primary = price(first);
  const fallbackLines: CostLine[] = [];
  for (const c of others) {
    try {
      const l = price(c).line;
      fallbackLines.push({ ...l, option: `${l.option} (${c.node.id})` });
    } catch (e) {
      if (!(e instanceof CostModelError)) {
        throw e;
      }
    }
  }
  return {
    step: u.name,
    queue: u.queue.node.path,
    capacity: capacityLabel(first),
    jobsPerMonth: workload.itemsPerMonth,
    hoursPerJob: hours,
    hoursFrom: given ? 'runtimes' : "its job's timeout",
    estimate: primary.estimate,
    line: primary.line,
    fallbackLines,
  };
}

function transitionsOf(workflow: Workflow, runsPerMonth: number, notPriced: string[]): TransitionEstimate {
  const count = countTransitions(workflow.stateMachine);
  const fanOuts = [...new Set(workflow.steps.flatMap((s) => (s.forEach ? [s.forEach] : [])))];
  let perRunTotal = count.perRun;
  let perItem = 0;
  let childExecutionsPerItem = 0;
  for (const [state, n] of Object.entries(count.perItem)) {
    // Fan-out states are named '<fan-out>: …'.
    const f = fanOuts.find((x) => state.startsWith(`${x.name}:`)) ?? fanOuts[0];
    perRunTotal += n * (f?.expectedItems ?? 1);
    perItem += n;
    childExecutionsPerItem += count.distributed.includes(state) ? 1 : 0;
  }
  for (const state of count.expressItems) {
    // Workflow starts Standard children only; this is for a definition changed by hand.
    notPriced.push(
      `${state}: its items run as Express child executions, billed per request and duration ` +
        '(https://aws.amazon.com/step-functions/pricing/); only the transition that starts each is priced',
    );
  }
  const perMonth = runsPerMonth * perRunTotal;
  return {
    perRun: count.perRun,
    perItem,
    childExecutionsPerItem,
    runsPerMonth,
    perMonth,
    monthlyUsd: perMonth * FIXED_COST_PRICES.stateTransitionUsd,
  };
}

/** Share of items assumed to fail at one step and be rerun, for the step cache's saving. */
const FAILED_SHARE = 0.02;

/** What the step cache adds to a first run, and what it saves when a share of items fails and is rerun. */
function cacheEstimate(cached: string[], steps: StepCost[], itemsPerMonth: number): StepCacheEstimate {
  const perItem = (s: StepCost) => (itemsPerMonth > 0 ? s.line.monthlyUsd / itemsPerMonth : 0);
  const itemSteps = steps.filter((s) => cached.includes(s.step));
  const failedPerMonth = itemsPerMonth * FAILED_SHARE;
  const missTransitionsPerItem = 2 * cached.length;
  return {
    steps: cached,
    missTransitionsPerItem,
    missMonthlyUsd: missTransitionsPerItem * itemsPerMonth * FIXED_COST_PRICES.stateTransitionUsd,
    failedShare: FAILED_SHARE,
    rerunWithoutUsd: failedPerMonth * itemSteps.reduce((sum, s) => sum + perItem(s), 0),
    rerunWithUsd: failedPerMonth * Math.max(0, ...itemSteps.map(perItem)),
  };
}
