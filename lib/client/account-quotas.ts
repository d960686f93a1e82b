import type { ComputeEnvironmentDetail } from '@aws-sdk/client-batch';
import type { ServiceQuota } from '@aws-sdk/client-service-quotas';
import { AwsCalls } from './aws-calls';
import { EC2_SERVICE_CODE, Ec2Quota, quotaConsoleUrl, quotaGroupOf, quotaIncreaseCommand } from './ec2-quotas';
import { InstanceCatalog } from '../compute/instance-catalog';

/*
 * The account's EC2 vCPU quotas against a queue's compute environments. Batch does not name a quota when it cannot
 * launch instances: jobs wait in RUNNABLE (at best with CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY or no reason at all),
 * https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html. So the quotas are read
 * (GetServiceQuota, https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html) and
 * set against the environments' maxvCpus here.
 */

/**
 * One EC2 vCPU quota a queue's compute environments draw on, against what they may ask for.
 * @jsii ignore
 */
export interface QuotaFinding {
  /** Service Quotas' code, e.g. `L-34B43A08`. */
  readonly quotaCode: string;
  /** Its name, e.g. `All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests`. */
  readonly quotaName: string;
  /** Spot or On-Demand. */
  readonly purchase: 'Spot' | 'On-Demand';
  /** The compute environments that draw on it. */
  readonly computeEnvironments: string[];
  /** vCPUs they may ask for together: the sum of their maxvCpus. */
  readonly maxvCpus: number;
  /** The quota's applied value in vCPUs; undefined when it could not be read (see `QueueQuotas.notes`). */
  readonly quotaVcpus?: number;
  /** Whether `quotaVcpus` is AWS's default (GetAWSDefaultServiceQuota) because the applied value was not available. */
  readonly isDefault: boolean;
  /** What a new account starts with (AWS's EC2 quota tables). */
  readonly newAccountDefault: number;
  /** Whether the quota is below `maxvCpus`: the environments cannot reach their maximum. */
  readonly binding: boolean;
  /** Whether the quota is below the vCPUs of the environments' smallest instance type: no instance starts at all. */
  readonly blocking: boolean;
  /** What it means and how to raise it. */
  readonly diagnosis: string;
}

/**
 * The EC2 vCPU quotas of a queue's compute environments.
 * @jsii ignore
 */
export interface QueueQuotas {
  /** The Region the quotas were read in. */
  readonly region: string;
  /** One finding a quota, binding ones first. */
  readonly findings: QuotaFinding[];
  /** What could not be checked, and why (a denied permission, Fargate environments, an unknown instance type). */
  readonly notes: string[];
}

/** What a group of compute environments of one purchase option asks of one quota. */
interface Demand {
  readonly quota: Ec2Quota;
  readonly purchase: 'Spot' | 'On-Demand';
  readonly environments: string[];
  maxvCpus: number;
  /** The smallest instance type of theirs on this quota, with its vCPUs, when the catalog knows one. */
  smallest?: { readonly type: string; readonly vcpus: number };
}

/** The queue's EC2 vCPU quotas against its compute environments' maxvCpus. */
export async function accountQuotas(aws: AwsCalls, jobQueue: string): Promise<QueueQuotas> {
  const region = await aws.quotas.config.region();
  const notes: string[] = [];
  const demands = demandsOf(await computeEnvironments(aws, jobQueue), notes);
  const findings: QuotaFinding[] = [];
  let unreadable: string | undefined;
  for (const d of demands) {
    const read = unreadable === undefined ? await readQuota(aws, d.quota) : undefined;
    if (read !== undefined && 'error' in read) {
      unreadable = read.error;
      notes.push(
        `Could not read the account's EC2 vCPU quotas (${read.error}): allow servicequotas:GetServiceQuota and ` +
          `servicequotas:GetAWSDefaultServiceQuota to check them here, or compare them in the Service Quotas ` +
          `console: ${quotaConsoleUrl(d.quota, region)}. A new account starts with ${d.quota.newAccountDefault} ` +
          `vCPUs of ${d.quota.name}.`,
      );
    }
    findings.push(finding(d, read && !('error' in read) ? read : undefined, region));
  }
  findings.sort((a, b) => Number(b.blocking) - Number(a.blocking) || Number(b.binding) - Number(a.binding));
  return { region, findings, notes };
}

async function computeEnvironments(aws: AwsCalls, jobQueue: string): Promise<ComputeEnvironmentDetail[]> {
  const queues = await aws.call(() =>
    aws.batch.send(new aws.sdk.batch.DescribeJobQueuesCommand({ jobQueues: [jobQueue] })),
  );
  const names = (queues.jobQueues?.[0]?.computeEnvironmentOrder ?? []).map((o) => o.computeEnvironment!);
  if (names.length === 0) {
    return [];
  }
  const described = await aws.call(() =>
    aws.batch.send(new aws.sdk.batch.DescribeComputeEnvironmentsCommand({ computeEnvironments: names })),
  );
  return described.computeEnvironments ?? [];
}

/** Per quota, the environments that draw on it and the vCPUs they may ask for. */
function demandsOf(envs: ComputeEnvironmentDetail[], notes: string[]): Demand[] {
  const demands = new Map<string, Demand>();
  for (const env of envs) {
    const name = env.computeEnvironmentName ?? env.computeEnvironmentArn ?? '?';
    const r = env.computeResources;
    if (!r) {
      continue; // unmanaged: its instances are the owner's to launch
    }
    if (r.type === 'FARGATE' || r.type === 'FARGATE_SPOT') {
      notes.push(`${name} is Fargate: its vCPU quota (Service Quotas, service fargate) is not checked here.`);
      continue;
    }
    const purchase = r.type === 'SPOT' ? 'Spot' : 'On-Demand';
    // An environment spanning groups may ask each group's quota for its whole maxvCpus.
    const byQuota = new Map<string, Demand>();
    for (const type of r.instanceTypes ?? []) {
      const group = quotaGroupOf(type);
      const quota = group && (purchase === 'Spot' ? group.spot : group.onDemand);
      if (!quota) {
        notes.push(`${name}: no ${purchase} vCPU quota is known for instance type ${type}; not checked.`);
        continue;
      }
      const d = byQuota.get(quota.code) ?? { quota, purchase, environments: [name], maxvCpus: r.maxvCpus ?? 0 };
      const vcpus = smallestVcpus(type);
      if (vcpus && (!d.smallest || vcpus.vcpus < d.smallest.vcpus)) {
        d.smallest = vcpus;
      }
      byQuota.set(quota.code, d);
    }
    for (const d of byQuota.values()) {
      const seen = demands.get(d.quota.code);
      if (seen) {
        seen.environments.push(name);
        seen.maxvCpus += d.maxvCpus;
        if (d.smallest && (!seen.smallest || d.smallest.vcpus < seen.smallest.vcpus)) {
          seen.smallest = d.smallest;
        }
      } else {
        demands.set(d.quota.code, d);
      }
    }
  }
  return [...demands.values()];
}

/** The smallest size the catalog knows of a type or family; undefined for `optimal` and unknown names. */
function smallestVcpus(type: string): { type: string; vcpus: number } | undefined {
  const exact = InstanceCatalog.tryLookup(type);
  const sizes = exact ? [exact] : InstanceCatalog.family(type);
  const smallest = [...sizes].sort((a, b) => a.vcpus - b.vcpus)[0];
  return smallest && { type: smallest.name, vcpus: smallest.vcpus };
}

/**
 * The quota's applied value; AWS's default when the applied value is not available (GetServiceQuota then answers
 * NoSuchResourceException); `{ error }` when neither can be read.
 * @see https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetAWSDefaultServiceQuota.html
 */
async function readQuota(
  aws: AwsCalls,
  quota: Ec2Quota,
): Promise<{ value: number; isDefault: boolean } | { error: string }> {
  const input = { ServiceCode: EC2_SERVICE_CODE, QuotaCode: quota.code };
  const value = (q: ServiceQuota | undefined) => q?.Value;
  try {
    const applied = value(
      (await aws.call(() => aws.quotas.send(new aws.quotasSdk.GetServiceQuotaCommand(input)))).Quota,
    );
    if (applied !== undefined) {
      return { value: applied, isDefault: false };
    }
  } catch (e) {
    if ((e as Error).name !== 'NoSuchResourceException') {
      return { error: errorText(e) };
    }
  }
  try {
    const byDefault = value(
      (await aws.call(() => aws.quotas.send(new aws.quotasSdk.GetAWSDefaultServiceQuotaCommand(input)))).Quota,
    );
    return byDefault !== undefined
      ? { value: byDefault, isDefault: true }
      : { error: `no value for ${quota.code} in the answer` };
  } catch (e) {
    return { error: errorText(e) };
  }
}

function errorText(e: unknown): string {
  const err = e as Error;
  return `${err.name ?? 'Error'}: ${err.message ?? String(e)}`;
}

function finding(d: Demand, read: { value: number; isDefault: boolean } | undefined, region: string): QuotaFinding {
  const quotaVcpus = read?.value;
  const binding = quotaVcpus !== undefined && quotaVcpus < d.maxvCpus;
  const blocking = quotaVcpus !== undefined && d.smallest !== undefined && quotaVcpus < d.smallest.vcpus;
  const envs = `${d.environments.length === 1 ? 'compute environment' : 'compute environments'} ${d.environments.join(', ')}`;
  const label = `${d.quota.name} (${d.quota.code})`;
  const raise =
    `Raise it to ${d.maxvCpus}: ${quotaConsoleUrl(d.quota, region)} or ` +
    `\`${quotaIncreaseCommand(d.quota, d.maxvCpus, region)}\`. The quota is shared by every ${d.purchase} ` +
    'instance of its group in the account and Region.';
  const shown = read?.isDefault
    ? `${quotaVcpus} vCPUs (AWS's default; the applied value was not available)`
    : `${quotaVcpus} vCPUs`;
  let diagnosis: string;
  if (quotaVcpus === undefined) {
    diagnosis =
      `${label} was not read; ${envs} may ask for ${d.maxvCpus} vCPUs, and a new account starts with ` +
      `${d.quota.newAccountDefault}. ${raise}`;
  } else if (blocking) {
    diagnosis =
      `${label} is ${shown} in ${region}: not one ${d.smallest!.type} (${d.smallest!.vcpus} vCPUs) can start, so ` +
      `jobs on ${envs} wait in RUNNABLE and Batch's reason does not name the quota. ${raise}`;
  } else if (binding) {
    diagnosis =
      `${label} is ${shown} in ${region}, below the ${d.maxvCpus} maxvCpus of ${envs}: at most ${quotaVcpus} ` +
      `vCPUs of ${d.purchase} instances run at once, and jobs beyond them wait in RUNNABLE with a reason that does ` +
      `not name the quota. ${raise}`;
  } else {
    diagnosis = `${label} is ${shown} in ${region}: enough for the ${d.maxvCpus} maxvCpus of ${envs}.`;
  }
  return {
    quotaCode: d.quota.code,
    quotaName: d.quota.name,
    purchase: d.purchase,
    computeEnvironments: d.environments,
    maxvCpus: d.maxvCpus,
    quotaVcpus,
    isDefault: read?.isDefault ?? false,
    newAccountDefault: d.quota.newAccountDefault,
    binding,
    blocking,
    diagnosis,
  };
}
