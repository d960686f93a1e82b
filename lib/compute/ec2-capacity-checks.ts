import { Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import type { Ec2CapacityProps } from './ec2-capacity-props';
import { fitOnInstances } from './fit';
import { InstanceCatalog } from './instance-catalog';
import { fail, gib } from '../private/errors';
import { ECS_AMI_MIN_ROOT_GIB, GP3_MAX_GIB, MAX_SPOT_BID_PERCENTAGE, MIN_SPOT_BID_PERCENTAGE } from '../private/limits';

/*
 * The checks and derivations behind Ec2Capacity's props: each throws a BatchPipelinesValidationError naming the
 * capacity, the prop, the value, what is allowed and the fix.
 */

/**
 * The default instance types, fresh each time (see `Ec2Capacity.DEFAULT_INSTANCE_TYPES`).
 */
export function defaultInstanceTypes(): string[] {
  return ['r5', 'r6i', 'r7i'].flatMap((f) => ['xlarge', '2xlarge', '4xlarge'].map((s) => `${f}.${s}`));
}

/** Instance types and classes as the sizes the catalog knows, and the names it does not know. */
export function expandInstances(
  types: ec2.InstanceType[],
  classes: ec2.InstanceClass[],
): { names: string[]; unknown: string[] } {
  const names: string[] = [];
  const unknown: string[] = [];
  for (const t of types) {
    const name = t.toString();
    names.push(name);
    if (!InstanceCatalog.tryLookup(name)) {
      unknown.push(name);
    }
  }
  for (const c of classes) {
    const sizes = InstanceCatalog.family(c);
    if (sizes.length === 0) {
      unknown.push(`${c} (instance class)`);
    }
    names.push(...sizes.map((s) => s.name));
  }
  return { names: [...new Set(names)], unknown };
}

export function validateSpotOptions(scope: IConstruct, props: Ec2CapacityProps, spot: boolean): void {
  const strategy = props.allocationStrategy;
  const spotStrategies = [
    batch.AllocationStrategy.SPOT_CAPACITY_OPTIMIZED,
    batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED,
  ];
  if (!spot && strategy && spotStrategies.includes(strategy)) {
    fail(scope, {
      prop: 'allocationStrategy',
      received: `${strategy} on On-Demand capacity`,
      allowed: 'BEST_FIT_PROGRESSIVE or BEST_FIT for On-Demand',
      fix: 'remove allocationStrategy (On-Demand defaults to BEST_FIT_PROGRESSIVE), or set purchaseOption: PurchaseOption.SPOT',
    });
  }
  if (props.spotBidPercentage === undefined || Token.isUnresolved(props.spotBidPercentage)) {
    return;
  }
  if (!spot) {
    fail(scope, {
      prop: 'spotBidPercentage',
      received: `${props.spotBidPercentage} on On-Demand capacity`,
      allowed: 'a bid percentage only on Spot capacity',
      fix: 'remove spotBidPercentage, or set purchaseOption: PurchaseOption.SPOT',
    });
  }
  const p = props.spotBidPercentage;
  if (!Number.isInteger(p) || p < MIN_SPOT_BID_PERCENTAGE || p > MAX_SPOT_BID_PERCENTAGE) {
    fail(scope, {
      prop: 'spotBidPercentage',
      received: `${p}`,
      allowed: `a whole number from ${MIN_SPOT_BID_PERCENTAGE} to ${MAX_SPOT_BID_PERCENTAGE} (percent of the On-Demand price)`,
      fix: 'remove it to pay up to the On-Demand price, or give e.g. 60',
    });
  }
}

export function checkArchitecture(
  scope: IConstruct,
  types: ec2.InstanceType[],
  classes: ec2.InstanceClass[],
): ec2.InstanceArchitecture {
  const seen = new Map<ec2.InstanceArchitecture, string[]>();
  const note = (arch: ec2.InstanceArchitecture, name: string) => seen.set(arch, [...(seen.get(arch) ?? []), name]);
  for (const t of types) {
    note(InstanceCatalog.tryLookup(t.toString())?.architecture ?? t.architecture, t.toString());
  }
  for (const c of classes) {
    const known = InstanceCatalog.family(c)[0];
    note(known?.architecture ?? new ec2.InstanceType(`${c}.large`).architecture, c);
  }
  if (seen.size > 1) {
    const parts = [...seen.entries()].map(([arch, names]) => `${arch}: ${names.join(', ')}`);
    fail(scope, {
      prop: 'instanceTypes',
      received: `mixing CPU architectures (${parts.join('; ')})`,
      allowed: 'one CPU architecture per compute environment',
      fix: 'split them into two Ec2Capacity constructs, one per architecture, each with its own queue',
    });
  }
  return [...seen.keys()][0];
}

export function resolveMaxvCpus(scope: IConstruct, props: Ec2CapacityProps, instanceTypeNames: string[]): number {
  if (props.maxvCpus !== undefined && props.concurrentJobs) {
    fail(scope, {
      prop: 'maxvCpus',
      received: `${props.maxvCpus} together with concurrentJobs`,
      allowed: 'either maxvCpus or concurrentJobs',
      fix: 'remove one of them',
    });
  }
  if (!props.concurrentJobs) {
    return props.maxvCpus ?? 256;
  }
  const { jobs, resources } = props.concurrentJobs;
  if (!Number.isInteger(jobs) || jobs < 1) {
    fail(scope, {
      prop: 'concurrentJobs.jobs',
      received: `${jobs}`,
      allowed: 'a whole number of at least 1',
      fix: 'give how many jobs must run at once, e.g. 50',
    });
  }
  const fit = fitOnInstances(resources, instanceTypeNames);
  if (!fit.fits) {
    fail(scope, {
      prop: 'concurrentJobs.resources',
      received: `${resources.vcpus} vCPU / ${gib(resources.memory.toMebibytes())}`,
      allowed: `a size that fits one of ${instanceTypeNames.join(', ')} (largest usable memory ${gib(fit.largestUsableMemoryMiB ?? 0)} on ${fit.largestInstanceType ?? 'none'})`,
      fix: 'ask for less, or add larger instance types',
    });
  }
  // Instance vCPUs per job on the least dense placement, so N jobs fit whichever type Batch launches.
  const vcpusPerJob = Math.max(...fit.placements.map((p) => p.instance.vcpus / p.jobsPerInstance));
  return Math.ceil(jobs * vcpusPerJob);
}

export function validateVcpus(
  scope: IConstruct,
  minvCpus: number,
  maxvCpus: number,
  instanceTypeNames: string[],
): void {
  if (Token.isUnresolved(minvCpus) || Token.isUnresolved(maxvCpus)) {
    return;
  }
  if (minvCpus < 0 || !Number.isInteger(minvCpus)) {
    fail(scope, {
      prop: 'minvCpus',
      received: `${minvCpus}`,
      allowed: 'a whole number of at least 0',
      fix: 'use 0 so the environment scales to zero when idle',
    });
  }
  if (maxvCpus <= 0 || !Number.isInteger(maxvCpus)) {
    fail(scope, {
      prop: 'maxvCpus',
      received: `${maxvCpus}`,
      allowed: 'a whole number of at least 1',
      fix: 'give the most vCPUs the environment may run, or use concurrentJobs to derive it',
    });
  }
  if (minvCpus > maxvCpus) {
    fail(scope, {
      prop: 'minvCpus',
      received: `${minvCpus} (greater than maxvCpus ${maxvCpus})`,
      allowed: `0..${maxvCpus}`,
      fix: 'lower minvCpus (0 scales to zero) or raise maxvCpus',
    });
  }
  const known = instanceTypeNames.map((n) => InstanceCatalog.tryLookup(n)).filter((i) => i !== undefined);
  if (known.length === 0) {
    return;
  }
  const smallest = known.reduce((a, b) => (b.vcpus < a.vcpus ? b : a));
  if (maxvCpus < smallest.vcpus) {
    fail(scope, {
      prop: 'maxvCpus',
      received: `${maxvCpus} (smaller than the ${smallest.vcpus} vCPUs of the smallest instance type, ${smallest.name})`,
      allowed: `at least ${smallest.vcpus}`,
      fix: `raise maxvCpus to at least ${smallest.vcpus}, or add smaller instance types`,
    });
  }
}

export function validateVolume(scope: IConstruct, prop: string, size: Size, minGib: number): number {
  const g = size.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!Number.isInteger(g) || g < minGib || g > GP3_MAX_GIB) {
    fail(scope, {
      prop,
      // In the unit the user typed: whole GiB as GiB, anything else as MiB.
      received: Number.isInteger(g) ? `${g} GiB` : `${size.toMebibytes()} MiB`,
      allowed: `whole GiB from ${minGib} to ${GP3_MAX_GIB} (gp3${minGib === ECS_AMI_MIN_ROOT_GIB ? '; the ECS AMI needs 30 GiB' : ''})`,
      fix: `give Size.gibibytes(n) with n >= ${minGib}`,
    });
  }
  return g;
}

/**
 * A cluster placement group packs instances in one Availability Zone: subnets in several would leave the
 * environment launching instances it cannot place.
 * https://docs.aws.amazon.com/batch/latest/userguide/mnp-ce.html
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/placement-strategies.html
 */
export function checkPlacementGroup(scope: IConstruct, props: Ec2CapacityProps, subnets: ec2.SubnetSelection): void {
  const group = props.placementGroup as ec2.PlacementGroup | undefined;
  if (group?.strategy !== ec2.PlacementGroupStrategy.CLUSTER) {
    return;
  }
  const zones = [...new Set(props.vpc.selectSubnets(subnets).subnets.map((s) => s.availabilityZone))];
  if (zones.length > 1) {
    fail(scope, {
      prop: 'placementGroup',
      received: `a cluster placement group with subnets in ${zones.length} Availability Zones`,
      allowed: 'a cluster placement group with subnets in one Availability Zone (it packs instances in one zone)',
      fix: 'give vpcSubnets in one zone, e.g. { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [vpc.availabilityZones[0]] }',
    });
  }
}
