import { Size } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CapacityPlatform, ICapacity, PurchaseOption } from '../compute/capacity';
import { fitOnInstances, FitResult, formatFargateSize, JobResources } from '../compute/fit';
import { InstanceCatalog, InstanceTypeInfo } from '../compute/instance-catalog';
import { describeProblem } from '../core/validation-error';
import type { IJobQueue } from '../queues/job-queue-base';
import { gib } from '../private/errors';
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

function describeRequest(r: JobResources): string {
  const g = r.gpus ? `, ${r.gpus} GPU` : '';
  return `${r.vcpus} vCPU / ${gib(r.memory.toMebibytes())}${g}`;
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
  const known = instanceTypesOf(fit);
  const largest = known
    .map((n) => InstanceCatalog.tryLookup(n)!)
    .sort((a, b) => b.usableMemoryMiB - a.usableMemoryMiB)[0];
  const maxVcpus = Math.max(0, ...known.map((n) => InstanceCatalog.tryLookup(n)!.vcpus));
  const maxGpus = Math.max(0, ...known.map((n) => InstanceCatalog.tryLookup(n)!.gpus));
  const suggestion = suggestInstance(capacity, r, known);
  if (fit.reason?.includes('maxvCpus')) {
    return describeProblem(subject.scope, {
      prop: 'vcpus',
      received: describeRequest(r),
      problem: `does not fit queue ${queue.node.path} (capacity ${capacity.node.path}): ${fit.reason}`,
      allowed: `at most ${capacity.maxvCpus} vCPUs (the capacity's maxvCpus)`,
      fix: `request at most ${capacity.maxvCpus} vCPUs, or raise maxvCpus of ${capacity.node.path}`,
    });
  }
  const asks: string[] = [];
  let prop = 'memory';
  if (largest && r.memory.toMebibytes() > largest.usableMemoryMiB) {
    asks.push(`request at most ${Math.floor(largest.usableMemoryMiB / 1024)} GiB`);
  }
  if (r.vcpus > maxVcpus) {
    prop = asks.length ? prop : 'vcpus';
    asks.push(`request at most ${maxVcpus} vCPUs`);
  }
  if ((r.gpus ?? 0) > maxGpus) {
    prop = asks.length ? prop : 'gpus';
    asks.push(`request at most ${maxGpus} GPUs`);
  }
  if (asks.length === 0) {
    // Each resource fits some type, but no single type holds them all.
    asks.push('change the vCPU/memory ratio to match one instance type');
  }
  const add = suggestion ? `, or add ${suggestion.name} to ${capacity.node.path}` : '';
  return describeProblem(subject.scope, {
    prop,
    received: describeRequest(r),
    problem: `does not fit any instance type of queue ${queue.node.path} (capacity ${capacity.node.path})`,
    allowed: largest
      ? `at most ${gib(largest.usableMemoryMiB)} memory (usable on ${largest.name}), ${maxVcpus} vCPUs, ${maxGpus} GPUs`
      : 'instance types the catalog knows',
    fix: `${asks.join(' and ')}${add}; a job that fits nowhere waits in RUNNABLE until the queue cancels it`,
  });
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
      errors.push(
        describeProblem(subject.scope, {
          prop:
            (subject.resources.gpus ?? 0) > 0
              ? 'gpus'
              : FARGATE_SIZES.some((s) => s.vcpus === subject.resources.vcpus)
                ? 'memory'
                : 'vcpus',
          received: describeRequest(subject.resources),
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
    const better = betterRequest(subject.resources, fit, subject.packingThreshold);
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
