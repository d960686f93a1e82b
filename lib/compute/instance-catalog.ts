import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { MEMORY_RESERVE_FRACTION, MEMORY_RESERVE_MIN_MIB } from '../private/limits';

/** What an instance family is optimized for. */
export enum InstanceCategory {
  /** 8 GiB per vCPU: r-families. */
  MEMORY_OPTIMIZED = 'memory-optimized',
  /** 4 GiB per vCPU: m-families. */
  GENERAL_PURPOSE = 'general-purpose',
  /** 2 GiB per vCPU: c-families. */
  COMPUTE_OPTIMIZED = 'compute-optimized',
  /** Instances with GPUs. */
  ACCELERATED = 'accelerated',
}

/** One instance type the catalog knows. */
export interface InstanceTypeInfo {
  /** API name, e.g. `r6i.xlarge`. */
  readonly name: string;
  /** Family, e.g. `r6i`. */
  readonly family: string;
  /** What the family is optimized for. */
  readonly category: InstanceCategory;
  /** vCPUs. */
  readonly vcpus: number;
  /** Installed memory in MiB. */
  readonly memoryMiB: number;
  /** Memory a Batch job can be given on this instance, in MiB (see `InstanceCatalog.usableMemoryMiB`). */
  readonly usableMemoryMiB: number;
  /** GPUs (0 when none). */
  readonly gpus: number;
  /** GPU model, when the instance has GPUs. */
  readonly gpuModel?: string;
  /** CPU architecture. */
  readonly architecture: ec2.InstanceArchitecture;
  /** On-Demand Linux price in us-east-1, USD per hour (see `InstanceCatalog.PRICE_SOURCE`). */
  readonly onDemandHourlyUsd: number;
}

interface FamilySpec {
  readonly family: string;
  readonly category: InstanceCategory;
  readonly architecture: ec2.InstanceArchitecture;
  /** GiB per vCPU. */
  readonly gibPerVcpu: number;
  /** USD per hour of the `large` size (2 vCPUs); larger sizes scale linearly, as AWS prices them. */
  readonly largeHourlyUsd: number;
  /** Sizes sold, as multiples of `large`; default large..8xlarge. */
  readonly sizes?: ReadonlyArray<readonly [string, number]>;
}

const X86 = ec2.InstanceArchitecture.X86_64;
const ARM = ec2.InstanceArchitecture.ARM_64;
const LARGE_TO_8XL: ReadonlyArray<readonly [string, number]> = [
  ['large', 1],
  ['xlarge', 2],
  ['2xlarge', 4],
  ['4xlarge', 8],
  ['8xlarge', 16],
];

// On-Demand Linux prices, us-east-1; the `large` price of each family (sizes scale linearly).
const FAMILIES: readonly FamilySpec[] = [
  // Memory-optimized, x86: 8 GiB per vCPU.
  {
    family: 'r5',
    category: InstanceCategory.MEMORY_OPTIMIZED,
    architecture: X86,
    gibPerVcpu: 8,
    largeHourlyUsd: 0.126,
  },
  {
    family: 'r6i',
    category: InstanceCategory.MEMORY_OPTIMIZED,
    architecture: X86,
    gibPerVcpu: 8,
    largeHourlyUsd: 0.126,
  },
  {
    family: 'r7i',
    category: InstanceCategory.MEMORY_OPTIMIZED,
    architecture: X86,
    gibPerVcpu: 8,
    largeHourlyUsd: 0.1323,
  },
  // General purpose, x86: 4 GiB per vCPU.
  { family: 'm5', category: InstanceCategory.GENERAL_PURPOSE, architecture: X86, gibPerVcpu: 4, largeHourlyUsd: 0.096 },
  {
    family: 'm6i',
    category: InstanceCategory.GENERAL_PURPOSE,
    architecture: X86,
    gibPerVcpu: 4,
    largeHourlyUsd: 0.096,
  },
  {
    family: 'm7i',
    category: InstanceCategory.GENERAL_PURPOSE,
    architecture: X86,
    gibPerVcpu: 4,
    largeHourlyUsd: 0.1008,
  },
  // Compute-optimized, x86: 2 GiB per vCPU. c5 sells 9xlarge instead of 8xlarge.
  {
    family: 'c5',
    category: InstanceCategory.COMPUTE_OPTIMIZED,
    architecture: X86,
    gibPerVcpu: 2,
    largeHourlyUsd: 0.085,
    sizes: [...LARGE_TO_8XL.slice(0, 4), ['9xlarge', 18]],
  },
  {
    family: 'c6i',
    category: InstanceCategory.COMPUTE_OPTIMIZED,
    architecture: X86,
    gibPerVcpu: 2,
    largeHourlyUsd: 0.085,
  },
  {
    family: 'c7i',
    category: InstanceCategory.COMPUTE_OPTIMIZED,
    architecture: X86,
    gibPerVcpu: 2,
    largeHourlyUsd: 0.08925,
  },
  // Graviton (arm64).
  {
    family: 'r7g',
    category: InstanceCategory.MEMORY_OPTIMIZED,
    architecture: ARM,
    gibPerVcpu: 8,
    largeHourlyUsd: 0.1071,
  },
  {
    family: 'm7g',
    category: InstanceCategory.GENERAL_PURPOSE,
    architecture: ARM,
    gibPerVcpu: 4,
    largeHourlyUsd: 0.0816,
  },
  {
    family: 'c7g',
    category: InstanceCategory.COMPUTE_OPTIMIZED,
    architecture: ARM,
    gibPerVcpu: 2,
    largeHourlyUsd: 0.0725,
  },
];

// GPU families do not scale linearly: listed size by size (vCPUs, GiB, GPUs, USD/h).
const GPU_TYPES: ReadonlyArray<readonly [string, number, number, number, string, number]> = [
  ['g4dn.xlarge', 4, 16, 1, 'NVIDIA T4', 0.526],
  ['g4dn.2xlarge', 8, 32, 1, 'NVIDIA T4', 0.752],
  ['g4dn.4xlarge', 16, 64, 1, 'NVIDIA T4', 1.204],
  ['g4dn.8xlarge', 32, 128, 1, 'NVIDIA T4', 2.176],
  ['g4dn.12xlarge', 48, 192, 4, 'NVIDIA T4', 3.912],
  ['g5.xlarge', 4, 16, 1, 'NVIDIA A10G', 1.006],
  ['g5.2xlarge', 8, 32, 1, 'NVIDIA A10G', 1.212],
  ['g5.4xlarge', 16, 64, 1, 'NVIDIA A10G', 1.624],
  ['g5.8xlarge', 32, 128, 1, 'NVIDIA A10G', 2.448],
  ['g5.12xlarge', 48, 192, 4, 'NVIDIA A10G', 5.672],
];

function usable(memoryMiB: number): number {
  return Math.floor(memoryMiB - Math.max(memoryMiB * MEMORY_RESERVE_FRACTION, MEMORY_RESERVE_MIN_MIB));
}

function buildCatalog(): Map<string, InstanceTypeInfo> {
  const out = new Map<string, InstanceTypeInfo>();
  for (const f of FAMILIES) {
    for (const [size, multiple] of f.sizes ?? LARGE_TO_8XL) {
      const vcpus = 2 * multiple;
      const memoryMiB = vcpus * f.gibPerVcpu * 1024;
      const name = `${f.family}.${size}`;
      out.set(name, {
        name,
        family: f.family,
        category: f.category,
        vcpus,
        memoryMiB,
        usableMemoryMiB: usable(memoryMiB),
        gpus: 0,
        architecture: f.architecture,
        onDemandHourlyUsd: Math.round(f.largeHourlyUsd * multiple * 10000) / 10000,
      });
    }
  }
  for (const [name, vcpus, gib, gpus, gpuModel, price] of GPU_TYPES) {
    const memoryMiB = gib * 1024;
    out.set(name, {
      name,
      family: name.split('.')[0],
      category: InstanceCategory.ACCELERATED,
      vcpus,
      memoryMiB,
      usableMemoryMiB: usable(memoryMiB),
      gpus,
      gpuModel,
      architecture: X86,
      onDemandHourlyUsd: price,
    });
  }
  return out;
}

const CATALOG = buildCatalog();

/**
 * The instance types this library can reason about: sizes, memory a job can actually get, GPUs, architecture and
 * On-Demand price. Used by the fit check (does a job fit, how many per instance) and by cost estimates.
 */
export class InstanceCatalog {
  /**
   * Where and when the On-Demand prices were taken. Prices are inputs to estimates, not quotes: verify before
   * publishing a number.
   */
  public static readonly PRICE_SOURCE =
    'Amazon EC2 On-Demand pricing, Linux, us-east-1 (https://aws.amazon.com/ec2/pricing/on-demand/), as listed 2026-11';

  /** Every instance type the catalog knows, in catalog order. */
  public static all(): InstanceTypeInfo[] {
    return [...CATALOG.values()];
  }

  /** The instance type named `name` (e.g. `r6i.xlarge`), or `undefined` when the catalog does not know it. */
  public static tryLookup(name: string): InstanceTypeInfo | undefined {
    return CATALOG.get(name);
  }

  /** The sizes of one family (e.g. `r6i`) the catalog knows, smallest first; empty when it knows none. */
  public static family(family: string): InstanceTypeInfo[] {
    return InstanceCatalog.all()
      .filter((i) => i.family === family)
      .sort((a, b) => a.vcpus - b.vcpus);
  }

  /**
   * Memory a Batch job can be given on an instance with `memoryMiB` installed. The ECS agent registers what the OS
   * reports minus a reserve, and AWS recommends leaving 5% for the OS, so a 32 GiB instance offers about 30.4 GiB
   * and a job asking for 32 GiB never fits it.
   *
   * @see https://docs.aws.amazon.com/batch/latest/userguide/memory-management.html
   */
  public static usableMemoryMiB(memoryMiB: number): number {
    return usable(memoryMiB);
  }

  private constructor() {}
}
