import { formatGiB } from './cost-format';
import type { CostInputNames } from './cost-types';
import { fitOnInstance, JobResources } from '../compute/fit';
import { InstanceCatalog, InstanceTypeInfo } from '../compute/instance-catalog';
import { FARGATE_SIZES } from '../private/limits';

/** Where a smaller request could land: an instance type, or Fargate's largest size. */
interface Landing {
  readonly name?: string;
  readonly vcpus: number;
  readonly usableMemoryMiB: number;
  readonly gpus: number;
}

const FARGATE_LARGEST: Landing = {
  vcpus: Math.max(...FARGATE_SIZES.map((s) => s.vcpus)),
  usableMemoryMiB: Math.max(...FARGATE_SIZES.flatMap((s) => s.memoryMiB)),
  gpus: 0,
};

/** `--memory-gib 30` for a flag (the unit is in the flag), `memory 30 GiB` for a prop. */
function say(names: CostInputNames, key: 'vcpus' | 'memory' | 'gpus', value: string | number, unit?: string) {
  return names.areFlags || !unit ? `${names[key]} ${value}` : `${names[key]} ${value} ${unit}`;
}

/**
 * Why a job fits neither the instance types given nor any Fargate size, and fixes that are themselves valid: a
 * larger type of the same architecture when the catalog has one that fits (named), or the largest request that does
 * fit. Named with the front end's own input names.
 */
export function unfittableMessage(request: JobResources, instanceTypes: string[], names: CostInputNames): string {
  const memMiB = request.memory.toMebibytes();
  const gpus = request.gpus ?? 0;
  const given = instanceTypes.map((t) => InstanceCatalog.tryLookup(t)).filter((i): i is InstanceTypeInfo => !!i);
  const asked = [
    say(names, 'vcpus', request.vcpus),
    say(names, 'memory', formatGiB(memMiB), 'GiB'),
    ...(gpus > 0 ? [say(names, 'gpus', gpus)] : []),
  ].join(names.areFlags ? ' ' : ', ');

  const why: string[] = [];
  const most = (pick: (i: InstanceTypeInfo) => number) =>
    given.reduce<InstanceTypeInfo | undefined>((m, i) => (!m || pick(i) > pick(m) ? i : m), undefined);
  const byMemory = most((i) => i.usableMemoryMiB);
  const byVcpus = most((i) => i.vcpus);
  const byGpus = most((i) => i.gpus);
  if (byMemory && memMiB > byMemory.usableMemoryMiB) {
    why.push(`the most memory a job can get is ${formatGiB(byMemory.usableMemoryMiB)} GiB, on ${byMemory.name}`);
  }
  if (byVcpus && request.vcpus > byVcpus.vcpus) {
    why.push(`the most vCPUs is ${byVcpus.vcpus}, on ${byVcpus.name}`);
  }
  if (byGpus && gpus > byGpus.gpus) {
    why.push(byGpus.gpus === 0 ? 'none has GPUs' : `the most GPUs is ${byGpus.gpus}, on ${byGpus.name}`);
  }
  if (why.length === 0 && given.length > 0) {
    why.push('none has both the vCPUs and the memory');
  }
  const fargateMaxMiB = Math.max(
    0,
    ...FARGATE_SIZES.filter((s) => s.vcpus >= request.vcpus).flatMap((s) => s.memoryMiB),
  );
  const fargateWhy =
    gpus > 0
      ? 'Fargate has no GPUs'
      : request.vcpus > FARGATE_LARGEST.vcpus
        ? `Fargate sizes go up to ${FARGATE_LARGEST.vcpus} vCPUs`
        : `Fargate sizes go up to ${formatGiB(fargateMaxMiB)} GiB`;
  const typesGiven = instanceTypes.length > 0 ? instanceTypes.join(', ') : 'none';
  const parts = [
    `${asked} fits none of the instance types given (${typesGiven}${why.length ? `: ${why.join('; ')}` : ''}) ` +
      `and no Fargate size (${fargateWhy}).`,
  ];

  // A larger type of the same architecture (a job queue's environments share one), cheapest per job-hour.
  const architectures = new Set(given.map((i) => i.architecture));
  const sameArchitecture = InstanceCatalog.all().filter(
    (i) => !instanceTypes.includes(i.name) && (architectures.size === 0 || architectures.has(i.architecture)),
  );
  const larger = sameArchitecture
    .map((i) => fitOnInstance(request, i))
    .flatMap((f) => ('jobsPerInstance' in f ? [f] : []))
    .sort(
      (x, y) => x.instance.onDemandHourlyUsd / x.jobsPerInstance - y.instance.onDemandHourlyUsd / y.jobsPerInstance,
    )[0];
  const fixes: string[] = [];
  if (larger) {
    fixes.push(
      `add ${larger.instanceType} to ${names.instanceTypes} (${larger.instance.vcpus} vCPUs, ` +
        `${formatGiB(larger.instance.usableMemoryMiB)} GiB usable)`,
    );
  } else {
    const arch = architectures.size === 1 ? ` (${[...architectures][0]})` : '';
    parts.push(`No instance type in the catalog${arch} fits it either.`);
  }
  const landings: Landing[] = [...given, ...(gpus === 0 || given.length === 0 ? [FARGATE_LARGEST] : [])];
  const withinGiven = smallerRequest(request, landings, names);
  if (withinGiven) {
    fixes.push(`${withinGiven.text} or less`);
  }
  if (!larger) {
    // The largest request the whole catalog (same architecture) can hold, when that is more than the types given.
    const withinCatalog = smallerRequest(request, [...landings, ...sameArchitecture], names);
    if (withinCatalog?.landing.name && !instanceTypes.includes(withinCatalog.landing.name)) {
      fixes.push(
        `${withinCatalog.text} or less and add ${withinCatalog.landing.name} to ${names.instanceTypes}` +
          ` (${formatGiB(withinCatalog.landing.usableMemoryMiB)} GiB usable)`,
      );
    }
  }
  return `${parts.join(' ')}${fixes.length ? ` Fix: ${fixes.join(', or ')}.` : ''}`;
}

/**
 * The request cut down to fit the landing that keeps the most of it (GPUs first, then vCPUs, then memory), and how
 * to say it: `set --memory-gib 121`. Memory is cut to whole GiB, which always fit.
 */
function smallerRequest(
  request: JobResources,
  landings: Landing[],
  names: CostInputNames,
): { text: string; landing: Landing } | undefined {
  const memGiB = request.memory.toMebibytes() / 1024;
  const gpus = request.gpus ?? 0;
  const options = landings
    .map((l) => {
      const fitted = {
        vcpus: Math.min(request.vcpus, l.vcpus),
        gpus: Math.min(gpus, l.gpus),
        memGiB: Math.min(memGiB, Math.floor(l.usableMemoryMiB / 1024)),
      };
      // Fargate's 16-vCPU sizes hold any fewer vCPUs; an instance holds what it has.
      return { landing: l, fitted };
    })
    .filter((o) => o.fitted.memGiB > 0)
    .sort(
      (x, y) =>
        Number(y.fitted.gpus === gpus) - Number(x.fitted.gpus === gpus) ||
        y.fitted.gpus - x.fitted.gpus ||
        y.fitted.vcpus - x.fitted.vcpus ||
        y.fitted.memGiB - x.fitted.memGiB,
    );
  const best = options[0];
  if (!best) {
    return undefined;
  }
  const changes: string[] = [];
  if (best.fitted.vcpus < request.vcpus) {
    changes.push(say(names, 'vcpus', best.fitted.vcpus));
  }
  if (best.fitted.memGiB < memGiB) {
    changes.push(say(names, 'memory', best.fitted.memGiB, 'GiB'));
  }
  if (best.fitted.gpus < gpus) {
    changes.push(say(names, 'gpus', best.fitted.gpus));
  }
  return changes.length > 0 ? { text: `set ${changes.join(' and ')}`, landing: best.landing } : undefined;
}
