import { Size } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CapacityPlatform, ICapacity, PurchaseOption } from '../compute/capacity';
import { fitOnInstances, FitResult, formatFargateSize, JobResources } from '../compute/fit';
import { InstanceCatalog, InstanceTypeInfo } from '../compute/instance-catalog';
import { describeProblem } from '../core/validation-error';
import type { IJobQueue } from '../queues/job-queue-base';
import { gib } from '../private/errors';
import { count } from '../private/plural';
import { FARGATE_SIZES } from '../private/limits';

/** A warning with its id, as `Annotations.addWarningV2` takes it. */
export interface FitWarning {
  readonly id: string;
  readonly message: string;
}

/** What the fit check found for one job on one queue. */
export interface FitFindings {
  readonly errors: string[];
  readonly warnings: FitWarning[];
}

/** What the fit check needs to know of a job. */
export interface FitSubject {
  readonly scope: IConstruct;
  readonly resources: JobResources;
  /** Packing efficiency below which a placement is reported as wasteful (0..1). */
  readonly packingThreshold: number;
}

/** A job's size as users write it, the scarcest resource first: `1 GPU / 4 vCPU / 16 GiB`, `4 vCPU / 30 GiB`. */
export function describeRequest(r: JobResources): string {
  return [r.gpus ? `${r.gpus} GPU` : undefined, `${r.vcpus} vCPU`, gib(r.memory.toMebibytes())]
    .filter((x) => x !== undefined)
    .join(' / ');
}

/** The value of the prop that does not fit, then the rest of the request: `4 (with 16 vCPU / 64 GiB)`. */
function describeAsked(prop: 'gpus' | 'vcpus' | 'memory', r: JobResources): string {
  const parts: Array<[string, string | undefined]> = [
    ['gpus', r.gpus ? `${r.gpus} GPU` : undefined],
    ['vcpus', `${r.vcpus} vCPU`],
    ['memory', gib(r.memory.toMebibytes())],
  ];
  const value = prop === 'gpus' ? `${r.gpus ?? 0}` : prop === 'vcpus' ? `${r.vcpus}` : gib(r.memory.toMebibytes());
  const rest = parts.filter(([p, v]) => p !== prop && v !== undefined).map(([, v]) => v);
  return `${value} (with ${rest.join(' / ')})`;
}

/** The smallest (cheapest) catalog type of the capacity's architecture, preferring its families, that fits. */
function suggestInstance(
  capacity: ICapacity,
  request: JobResources,
  knownTypes: string[],
): InstanceTypeInfo | undefined {
  const families = new Set(knownTypes.map((n) => InstanceCatalog.tryLookup(n)?.family).filter((f) => f !== undefined));
  const candidates = InstanceCatalog.all()
    .filter((i) => i.architecture === capacity.architecture)
    .filter((i) => fitOnInstances(request, [i.name]).fits)
    .sort((a, b) => a.onDemandHourlyUsd - b.onDemandHourlyUsd);
  return candidates.find((i) => families.has(i.family)) ?? candidates[0];
}

function instanceTypesOf(fit: FitResult): string[] {
  return [...fit.placements.map((p) => p.instanceType), ...fit.misses.map((m) => m.instanceType)];
}

/** Why a job fits nowhere in an EC2 capacity, as the parts of an error message. */
function ec2NoFit(subject: FitSubject, queue: IJobQueue, capacity: ICapacity, fit: FitResult): string {
  const r = subject.resources;
  const known = instanceTypesOf(fit).map((n) => InstanceCatalog.tryLookup(n)!);
  const most = (key: (i: InstanceTypeInfo) => number) =>
    known.reduce<InstanceTypeInfo | undefined>((a, b) => (a === undefined || key(b) > key(a) ? b : a), undefined);
  const largest = most((i) => i.usableMemoryMiB);
  const mostVcpus = most((i) => i.vcpus);
  const mostGpus = most((i) => i.gpus);
  const maxVcpus = mostVcpus?.vcpus ?? 0;
  const maxGpus = mostGpus?.gpus ?? 0;
  const suggestion = suggestInstance(capacity, r, instanceTypesOf(fit));
  const where = `queue ${queue.node.path} (capacity ${capacity.node.path})`;
  if (fit.reason?.includes('maxvCpus')) {
    return describeProblem(subject.scope, {
      prop: 'vcpus',
      received: describeAsked('vcpus', r),
      problem: `does not fit ${where}: ${fit.reason}`,
      allowed: `at most ${count(capacity.maxvCpus, 'vCPU')} (the capacity's maxvCpus)`,
      fix: `request at most ${count(capacity.maxvCpus, 'vCPU')}, or raise maxvCpus of ${capacity.node.path}`,
    });
  }
  // What stops the job, the scarcest resource first: the prop named is the first one no type has enough of.
  // No GPU type at all: "request at most 0 GPUs" would not be a fix for a GPU job; adding a GPU type is.
  const short: Array<{ prop: 'gpus' | 'vcpus' | 'memory'; has: string; ask?: string }> = [];
  if ((r.gpus ?? 0) > maxGpus) {
    short.push(
      maxGpus > 0
        ? { prop: 'gpus', has: `${mostGpus!.name} has ${count(maxGpus, 'GPU')}`, ask: count(maxGpus, 'GPU') }
        : { prop: 'gpus', has: 'none of its types has a GPU' },
    );
  }
  if (r.vcpus > maxVcpus && mostVcpus) {
    short.push({
      prop: 'vcpus',
      has: `${mostVcpus.name} has ${count(maxVcpus, 'vCPU')}`,
      ask: count(maxVcpus, 'vCPU'),
    });
  }
  if (largest && r.memory.toMebibytes() > largest.usableMemoryMiB) {
    const has = `${largest.name} has ${gib(largest.usableMemoryMiB)} usable of ${gib(largest.memoryMiB)}`;
    short.push({ prop: 'memory', has, ask: `${Math.floor(largest.usableMemoryMiB / 1024)} GiB` });
  }
  const prop = short[0]?.prop ?? 'memory';
  const allowed = [
    maxGpus > 0 || (r.gpus ?? 0) > 0 ? count(maxGpus, 'GPU') : undefined,
    count(maxVcpus, 'vCPU'),
    largest ? `${gib(largest.usableMemoryMiB)} memory (usable on ${largest.name})` : undefined,
  ].filter((x) => x !== undefined);
  return describeProblem(subject.scope, {
    prop,
    received: describeAsked(prop, r),
    problem:
      `does not fit any instance type of ${where}: ` +
      (short.length ? short.map((s) => s.has).join(', ') : 'each resource fits some type, but no one type has all'),
    allowed: known.length
      ? `at most ${allowed.slice(0, -1).join(', ')} and ${allowed[allowed.length - 1]}, on one instance type`
      : 'instance types the catalog knows',
    fix: `${fixFor(short, suggestion, capacity)}; a job that fits nowhere waits in RUNNABLE until the queue cancels it`,
  });
}

/** "request at most 1 GPU and 60 GiB, or add g5.12xlarge to Capacity", or only the type when no request fits. */
function fixFor(short: Array<{ ask?: string }>, suggestion: InstanceTypeInfo | undefined, capacity: ICapacity): string {
  const add = suggestion ? `add ${suggestion.name} to ${capacity.node.path}` : undefined;
  const asks = short.map((s) => s.ask);
  if (short.length === 0) {
    return ['change the vCPU/memory ratio to match one instance type', add].filter((x) => x).join(', or ');
  }
  if (asks.some((a) => a === undefined)) {
    return add ?? `add instance types with GPUs to ${capacity.node.path}`;
  }
  return [`request at most ${asks.join(' and ')}`, add].filter((x) => x).join(', or ');
}

/**
 * Checks a job of `subject.resources` against every capacity of `queue`: fits nowhere (error), fits only some
 * capacities (warning), fits only wastefully (warning).
 */
export function checkFit(subject: FitSubject, queue: IJobQueue): FitFindings {
  const errors: string[] = [];
  const warnings: FitWarning[] = [];
  const capacities = queue.capacities;
  if (capacities.length === 0) {
    return { errors, warnings };
  }
  const fits = capacities.map((c) => ({ capacity: c, fit: c.fit(subject.resources) }));
  const placed = fits.filter((f) => f.fit.fits);
  const path = subject.scope.node.path;
  if (placed.length === 0) {
    const first = fits[0];
    if (first.capacity.platform === CapacityPlatform.FARGATE) {
      const nearest = first.fit.nearestFargateSizes ?? [];
      const prop =
        (subject.resources.gpus ?? 0) > 0
          ? 'gpus'
          : FARGATE_SIZES.some((s) => s.vcpus === subject.resources.vcpus)
            ? 'memory'
            : 'vcpus';
      errors.push(
        describeProblem(subject.scope, {
          prop,
          received: describeAsked(prop, subject.resources),
          problem: `does not fit Fargate queue ${queue.node.path}: ${first.fit.reason}`,
          allowed: `Fargate's vCPU/memory pairs (vCPUs ${FARGATE_SIZES.map((s) => s.vcpus).join(', ')}, each with its memory sizes: https://docs.aws.amazon.com/batch/latest/APIReference/API_ResourceRequirement.html), no GPUs`,
          fix: nearest.length
            ? `request ${nearest.map(formatFargateSize).join(' or ')}`
            : 'use EC2 capacity for this job',
        }),
      );
    } else {
      errors.push(
        ec2NoFit(
          subject,
          queue,
          first.capacity,
          fits.reduce((a, b) => ((b.fit.largestUsableMemoryMiB ?? 0) > (a.fit.largestUsableMemoryMiB ?? 0) ? b : a))
            .fit,
        ),
      );
    }
    return { errors, warnings };
  }
  for (const { capacity, fit } of fits.filter((f) => !f.fit.fits)) {
    warnings.push({
      id: 'cdk-batch-pipelines:partial-fit',
      message:
        `${path}: ${describeRequest(subject.resources)} fits queue ${queue.node.path} but not its capacity ` +
        `${capacity.node.path} (${fit.reason}), so that capacity never runs this job` +
        (capacity.purchaseOption === PurchaseOption.ON_DEMAND ? ' and there is no On-Demand fallback for it' : '') +
        '. Give the capacities instance types of the same sizes.',
    });
  }
  for (const { capacity, fit } of placed) {
    if (capacity.platform !== CapacityPlatform.EC2) {
      continue;
    }
    // Batch, not the user, picks among the capacity's types, so any wasteful placement is worth a warning.
    const wasteful = fit.placements.filter((p) => p.packingEfficiency < subject.packingThreshold);
    if (wasteful.length === 0) {
      continue;
    }
    const worst = wasteful[wasteful.length - 1];
    const better =
      betterRequest(subject.resources, fit, subject.packingThreshold) ?? smallerTypeRequest(subject.resources, fit);
    warnings.push({
      id: 'cdk-batch-pipelines:wasteful-fit',
      message:
        `${path}: ${describeRequest(subject.resources)} packs only ${Math.round(worst.packingEfficiency * 100)}% of ` +
        `${wasteful.map((p) => p.instanceType).join(', ')} in ${capacity.node.path} (${worst.jobsPerInstance} per ` +
        `${worst.instanceType}), so Batch may launch instances you pay for and leave partly idle.` +
        (better ? ` ${better}` : ' Choose instance types shaped like the job.'),
    });
  }
  return { errors, warnings };
}

/** A smaller memory request that packs at least `threshold`, e.g. "30 GiB fits 2 per r6i.2xlarge, 1 per r6i.xlarge". */
function betterRequest(request: JobResources, fit: FitResult, threshold: number): string | undefined {
  const types = instanceTypesOf(fit);
  const mib = request.memory.toMebibytes();
  for (let g = Math.floor(mib / 1024) - (mib % 1024 === 0 ? 1 : 0); g >= 1 && g >= (mib / 1024) * 0.75; g--) {
    const smaller = { ...request, memory: Size.gibibytes(g) };
    const f = fitOnInstances(smaller, types);
    if (f.placements.length > 0 && f.placements.every((p) => p.packingEfficiency >= threshold)) {
      const bySize = [...f.placements].sort((a, b) => a.instance.vcpus - b.instance.vcpus);
      const examples = bySize.filter((p, i) => i === 0 || p.jobsPerInstance !== bySize[i - 1].jobsPerInstance);
      const where = examples
        .slice(0, 2)
        .map((p) => `${p.jobsPerInstance} per ${p.instanceType}`)
        .join(', ');
      const worst = Math.min(...f.placements.map((p) => p.packingEfficiency));
      return `Request ${g} GiB instead: it fits ${where} (at least ${Math.round(worst * 100)}% packed on every type).`;
    }
  }
  return undefined;
}

/**
 * A memory request a little below the job's that fits a smaller instance type of the capacity at a lower price a job,
 * when the job misses that type by memory alone: a 1-GPU / 4 vCPU / 16 GiB job misses g5.xlarge (16 GiB installed,
 * 15.2 GiB usable) and lands on g5.2xlarge or larger, which a GPU limits to one job each whatever the memory; 15 GiB
 * fits g5.xlarge. Usable memory is the catalog's model (`InstanceCatalog.usableMemoryMiB`), the price On-Demand.
 */
function smallerTypeRequest(request: JobResources, fit: FitResult): string | undefined {
  const mib = request.memory.toMebibytes();
  const perJob = (p: { instance: InstanceTypeInfo; jobsPerInstance: number }) =>
    p.instance.onDemandHourlyUsd / p.jobsPerInstance;
  const now = [...fit.placements].sort((a, b) => perJob(a) - perJob(b))[0];
  if (!now) {
    return undefined;
  }
  const options = fit.misses
    .map((m) => InstanceCatalog.tryLookup(m.instanceType)!)
    .filter((i) => i.vcpus >= request.vcpus && i.gpus >= (request.gpus ?? 0) && i.usableMemoryMiB < mib)
    .map((i) => {
      const g = Math.floor(i.usableMemoryMiB / 1024);
      const placed = fitOnInstances({ ...request, memory: Size.gibibytes(g) }, [i.name]).best;
      return { g, placed };
    })
    .filter(
      (o): o is { g: number; placed: NonNullable<FitResult['best']> } =>
        o.placed !== undefined && o.g >= 1 && o.g >= (mib / 1024) * 0.75 && perJob(o.placed) < perJob(now),
    )
    .sort((a, b) => b.g - a.g || perJob(a.placed) - perJob(b.placed));
  const best = options[0];
  if (!best) {
    return undefined;
  }
  const usd = (x: number) => `$${x.toFixed(3)}`;
  const { instance, jobsPerInstance } = best.placed;
  return (
    `Request ${best.g} GiB instead: it fits ${instance.name} (${gib(instance.usableMemoryMiB)} usable of ` +
    `${gib(instance.memoryMiB)} installed), ${jobsPerInstance} per instance at ${usd(perJob(best.placed))} a job-hour ` +
    `On-Demand, where ${gib(mib)} needs ${now.instanceType} or larger (${now.jobsPerInstance} per instance, ` +
    `${usd(perJob(now))} a job-hour).`
  );
}
