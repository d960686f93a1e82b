/*
 * The account's EC2 vCPU quotas: which quota an instance type draws on, On-Demand or Spot, with the quota codes and a
 * new account's defaults. No SDK and no aws-cdk-lib imports: `diagnose` (lib/client) and `estimate` (lib/cli) both
 * read it.
 *
 * EC2 counts running On-Demand and Spot instances in vCPUs, per account and Region, one quota per group of instance
 * families. Codes, names and defaults are AWS's tables:
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-on-demand-instances.html#ec2-on-demand-instances-limits
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-spot-limits.html
 * The defaults are those tables' "Default" column: what a new account starts with. EC2 raises quotas by itself as an
 * account is used, so an older account's are usually higher: `diagnose` reads the applied value.
 */

/** One EC2 vCPU quota (Service Quotas service code `ec2`). */
export interface Ec2Quota {
  /** Service Quotas' code, e.g. `L-1216C47A`. */
  readonly code: string;
  /** Its name in the Service Quotas console. */
  readonly name: string;
  /** vCPUs a new account starts with (AWS's table). */
  readonly newAccountDefault: number;
}

/** A group of instance families that share one On-Demand quota and one Spot quota. */
export interface Ec2QuotaGroup {
  /** The group, as AWS names it (`Standard (A, C, D, H, I, M, R, T, Z)`, `G and VT`). */
  readonly group: string;
  /** Running On-Demand instances of the group. */
  readonly onDemand: Ec2Quota;
  /** Spot Instance requests of the group; undefined where EC2 offers no Spot quota (HPC, High Memory). */
  readonly spot?: Ec2Quota;
}

/** The Service Quotas service code of EC2. */
export const EC2_SERVICE_CODE = 'ec2';

const STANDARD: Ec2QuotaGroup = {
  group: 'Standard (A, C, D, H, I, M, R, T, Z)',
  onDemand: {
    code: 'L-1216C47A',
    name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
    newAccountDefault: 5,
  },
  spot: {
    code: 'L-34B43A08',
    name: 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests',
    newAccountDefault: 5,
  },
};

/** Other groups: letter prefixes of the family name (longest match wins), their On-Demand and Spot quotas. */
const OTHER_GROUPS: ReadonlyArray<readonly [string[], Ec2QuotaGroup]> = [
  [['g', 'vt'], group('G and VT', 'L-DB2E81BA', 'L-3819A6DF')],
  // One On-Demand quota for every P family; Spot splits P2-P4 from P5 (using-spot-limits.html, 2026).
  [['p'], { ...group('P', 'L-417A185B'), spot: spotQuota('L-7212CCBC', 'All P4, P3 and P2 Spot Instance Requests') }],
  [['x'], group('X', 'L-7295265B', 'L-E3A00192')],
  [['f'], group('F', 'L-74FC7D96', 'L-88CF9481')],
  [['inf'], group('Inf', 'L-1945791B', 'L-B5D1601B')],
  [['trn'], group('Trn', 'L-2C3B7624', 'L-6B0D517C')],
  [['dl'], group('DL', 'L-6E869C2A', 'L-85EED4F7')],
  [['hpc'], group('HPC', 'L-F7808C92')],
  [['u'], group('High Memory', 'L-43DA4232')],
];

/** The letters a Standard family starts with. */
const STANDARD_LETTERS = ['a', 'c', 'd', 'h', 'i', 'm', 'r', 't', 'z'];

/** P5 families (p5, p5e, p5en): the P On-Demand quota, their own Spot quota. */
const P5: Ec2QuotaGroup = {
  group: 'P5',
  onDemand: { code: 'L-417A185B', name: 'Running On-Demand P instances', newAccountDefault: 0 },
  spot: spotQuota('L-C4BD4855', 'All P5 Spot Instance Requests'),
};

function spotQuota(code: string, name: string): Ec2Quota {
  return { code, name, newAccountDefault: 0 };
}

function group(name: string, onDemandCode: string, spotCode?: string): Ec2QuotaGroup {
  return {
    group: name,
    onDemand: { code: onDemandCode, name: `Running On-Demand ${name} instances`, newAccountDefault: 0 },
    spot: spotCode ? { code: spotCode, name: `All ${name} Spot Instance Requests`, newAccountDefault: 0 } : undefined,
  };
}

/**
 * The quota group an instance type (`r6i.xlarge`) or family (`g5`) draws on; Batch's `optimal` and `default_*`
 * choose Standard families (C, M, R). Undefined for a name of no known group.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeResource.html (instanceTypes)
 */
export function quotaGroupOf(instanceType: string): Ec2QuotaGroup | undefined {
  const name = instanceType.toLowerCase();
  if (name === 'optimal' || name.startsWith('default_')) {
    return STANDARD;
  }
  // The letters before the generation digit (`inf` of inf2, `u` of u-6tb1, `vt` of vt1).
  const prefix = /^([a-z]+)/.exec(name)?.[1];
  if (!prefix) {
    return undefined;
  }
  if (prefix === 'p' && Number(/^p(\d+)/.exec(name)?.[1] ?? 0) >= 5) {
    return P5;
  }
  const other = OTHER_GROUPS.find(([prefixes]) => prefixes.includes(prefix));
  if (other) {
    return other[1];
  }
  // G families with more letters (gr6) are G instances.
  if (prefix.startsWith('g')) {
    return OTHER_GROUPS[0][1];
  }
  return STANDARD_LETTERS.includes(prefix[0]) ? STANDARD : undefined;
}

/** Every group, Standard first (for documentation and tests). */
export function allQuotaGroups(): Ec2QuotaGroup[] {
  return [STANDARD, ...OTHER_GROUPS.map(([, g]) => g), P5];
}

/** The Service Quotas console page of a quota in a Region, where its increase is requested. */
export function quotaConsoleUrl(quota: Ec2Quota, region: string): string {
  return `https://${region}.console.aws.amazon.com/servicequotas/home/services/${EC2_SERVICE_CODE}/quotas/${quota.code}`;
}

/** The AWS CLI command that requests `vcpus` for a quota in a Region. */
export function quotaIncreaseCommand(quota: Ec2Quota, vcpus: number, region: string): string {
  return (
    `aws service-quotas request-service-quota-increase --service-code ${EC2_SERVICE_CODE} ` +
    `--quota-code ${quota.code} --desired-value ${vcpus} --region ${region}`
  );
}
