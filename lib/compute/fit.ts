import { Size } from 'aws-cdk-lib';
import { InstanceCatalog, InstanceTypeInfo } from './instance-catalog';
import { FARGATE_SIZES } from '../private/limits';
import { count } from '../private/plural';

/** What one job asks for. */
export interface JobResources {
  /** vCPUs (whole numbers on EC2; 0.25..16 on Fargate). */
  readonly vcpus: number;
  /** Memory. */
  readonly memory: Size;
  /**
   * GPUs.
   * @default 0
   */
  readonly gpus?: number;
}

/** Which resource stops another job from fitting on the same instance. */
export enum FitLimit {
  /** vCPUs run out first. */
  VCPUS = 'vcpus',
  /** Usable memory runs out first. */
  MEMORY = 'memory',
  /** GPUs run out first. */
  GPUS = 'gpus',
}

/** How a job lands on one instance type. */
export interface InstanceFit {
  /** The instance type, e.g. `r6i.xlarge`. */
  readonly instanceType: string;
  /** How many such jobs one instance runs at once. */
  readonly jobsPerInstance: number;
  /**
   * Fraction (0..1) of the paid instance that those jobs use: the mean of the vCPU, installed-memory and (where the
   * instance has any) GPU shares they take. 1 means nothing paid for sits idle.
   */
  readonly packingEfficiency: number;
  /** The resource that runs out first. */
  readonly limitedBy: FitLimit;
  /** The instance type as the catalog knows it. */
  readonly instance: InstanceTypeInfo;
}

/** An instance type that cannot place the job, and why. */
export interface InstanceMiss {
  /** The instance type. */
  readonly instanceType: string;
  /** Why it cannot place the job, e.g. `needs 32 GiB, 30.4 GiB usable`. */
  readonly reason: string;
}

/** The answer to "does a job of this size fit here, and how well". */
export interface FitResult {
  /** True when at least one instance type (or Fargate size) can run the job. */
  readonly fits: boolean;
  /** Instance types that can run the job, best packing first. Empty on Fargate. */
  readonly placements: InstanceFit[];
  /** The best placement, when there is one. */
  readonly best?: InstanceFit;
  /** Instance types that cannot run it, with the reason. */
  readonly misses: InstanceMiss[];
  /** Requested instance types the catalog does not know; they were left out of the answer. */
  readonly unknownInstanceTypes: string[];
  /** Largest usable memory (MiB) among the known candidates, for error messages. */
  readonly largestUsableMemoryMiB?: number;
  /** The candidate with the largest usable memory. */
  readonly largestInstanceType?: string;
  /** One line for humans when the job does not fit. */
  readonly reason?: string;
  /** Valid Fargate sizes nearest the request, when asked of Fargate capacity. */
  readonly nearestFargateSizes?: FargateSize[];
}

/** One valid Fargate task size. */
export interface FargateSize {
  /** vCPUs. */
  readonly vcpus: number;
  /** Memory in MiB. */
  readonly memoryMiB: number;
}

function share(used: number, total: number): number {
  return total === 0 ? 0 : used / total;
}

/** How a job of `request` size fits one known instance type, or why it does not. */
export function fitOnInstance(request: JobResources, instance: InstanceTypeInfo): InstanceFit | InstanceMiss {
  const memMiB = request.memory.toMebibytes();
  const gpus = request.gpus ?? 0;
  if (request.vcpus > instance.vcpus) {
    return { instanceType: instance.name, reason: `needs ${count(request.vcpus, 'vCPU')}, has ${instance.vcpus}` };
  }
  if (memMiB > instance.usableMemoryMiB) {
    return {
      instanceType: instance.name,
      reason: `needs ${memMiB} MiB, ${instance.usableMemoryMiB} MiB usable of ${instance.memoryMiB} MiB installed`,
    };
  }
  if (gpus > instance.gpus) {
    return { instanceType: instance.name, reason: `needs ${count(gpus, 'GPU')}, has ${instance.gpus}` };
  }
  const byVcpu = request.vcpus > 0 ? Math.floor(instance.vcpus / request.vcpus) : Infinity;
  const byMem = memMiB > 0 ? Math.floor(instance.usableMemoryMiB / memMiB) : Infinity;
  const byGpu = gpus > 0 ? Math.floor(instance.gpus / gpus) : Infinity;
  const jobs = Math.min(byVcpu, byMem, byGpu);
  const limitedBy = jobs === byGpu ? FitLimit.GPUS : jobs === byMem ? FitLimit.MEMORY : FitLimit.VCPUS;
  const shares = [share(jobs * request.vcpus, instance.vcpus), share(jobs * memMiB, instance.memoryMiB)];
  if (instance.gpus > 0) {
    shares.push(share(jobs * gpus, instance.gpus));
  }
  const packingEfficiency = shares.reduce((a, b) => a + b, 0) / shares.length;
  return { instanceType: instance.name, jobsPerInstance: jobs, packingEfficiency, limitedBy, instance };
}

/**
 * Which of `instanceTypes` can place a job of `request` size, how many per instance and how well they pack.
 * Unknown instance types are reported, not guessed at.
 */
export function fitOnInstances(request: JobResources, instanceTypes: readonly string[]): FitResult {
  const placements: InstanceFit[] = [];
  const misses: InstanceMiss[] = [];
  const unknownInstanceTypes: string[] = [];
  let largest: InstanceTypeInfo | undefined;
  for (const name of instanceTypes) {
    const info = InstanceCatalog.tryLookup(name);
    if (!info) {
      unknownInstanceTypes.push(name);
      continue;
    }
    if (!largest || info.usableMemoryMiB > largest.usableMemoryMiB) {
      largest = info;
    }
    const fit = fitOnInstance(request, info);
    if ('jobsPerInstance' in fit) {
      placements.push(fit);
    } else {
      misses.push(fit);
    }
  }
  placements.sort(
    (a, b) => b.packingEfficiency - a.packingEfficiency || a.instance.onDemandHourlyUsd - b.instance.onDemandHourlyUsd,
  );
  const fits = placements.length > 0;
  return {
    fits,
    placements,
    best: placements[0],
    misses,
    unknownInstanceTypes,
    largestUsableMemoryMiB: largest?.usableMemoryMiB,
    largestInstanceType: largest?.name,
    reason: fits ? undefined : misses.map((m) => `${m.instanceType}: ${m.reason}`).join('; ') || undefined,
  };
}

/** True when `vcpus` / `memoryMiB` is a valid Fargate task size. */
export function isValidFargateSize(vcpus: number, memoryMiB: number): boolean {
  return FARGATE_SIZES.some((s) => s.vcpus === vcpus && s.memoryMiB.includes(memoryMiB));
}

/**
 * The valid Fargate sizes nearest a request: the smallest one that holds it (round up), and the largest one it
 * holds (round down), when they exist.
 */
export function nearestFargateSizes(vcpus: number, memoryMiB: number): FargateSize[] {
  const all: FargateSize[] = FARGATE_SIZES.flatMap((s) => s.memoryMiB.map((m) => ({ vcpus: s.vcpus, memoryMiB: m })));
  const cost = (s: FargateSize) => s.vcpus * 1e6 + s.memoryMiB;
  const up = all.filter((s) => s.vcpus >= vcpus && s.memoryMiB >= memoryMiB).sort((a, b) => cost(a) - cost(b))[0];
  const down = all.filter((s) => s.vcpus <= vcpus && s.memoryMiB <= memoryMiB).sort((a, b) => cost(b) - cost(a))[0];
  return [up, down].filter((s): s is FargateSize => s !== undefined);
}

/** Renders a Fargate size as `4 vCPU / 30720 MiB`. */
export function formatFargateSize(s: FargateSize): string {
  return `${s.vcpus} vCPU / ${s.memoryMiB} MiB`;
}

/** Whether and how a job of `request` size runs on Fargate. */
export function fitOnFargate(request: JobResources): FitResult {
  const memMiB = request.memory.toMebibytes();
  const gpus = request.gpus ?? 0;
  const base = { placements: [], misses: [], unknownInstanceTypes: [] };
  if (gpus > 0) {
    return { ...base, fits: false, reason: `Fargate has no GPUs (asked for ${gpus})` };
  }
  if (isValidFargateSize(request.vcpus, memMiB)) {
    return { ...base, fits: true };
  }
  const nearest = nearestFargateSizes(request.vcpus, memMiB);
  return {
    ...base,
    fits: false,
    nearestFargateSizes: nearest,
    reason:
      `${request.vcpus} vCPU / ${memMiB} MiB is not a valid Fargate size; nearest valid: ` +
      (nearest.map(formatFargateSize).join(' or ') || 'none'),
  };
}
