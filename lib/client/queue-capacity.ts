import type { JobDetail } from '@aws-sdk/client-batch';
import { Size } from 'aws-cdk-lib';
import { AwsCalls } from './aws-calls';
import { InstanceCatalog } from '../compute/instance-catalog';

/** What a queue's compute environments can hold and what a job asks for: read by `diagnose` and `runCost`. */

/** What the client knows of a queue's compute environments. */
export interface QueueCapacity {
  /** Instance types, families expanded to the sizes the catalog knows. */
  readonly types: string[];
  /** Whether the environments list exact sizes the catalog knows (no family, no `optimal`). */
  readonly exact: boolean;
  /** Each environment's maxvCpus. */
  readonly maxvCpus: number[];
  /** INVALID environments with their reason. */
  readonly states: string[];
  /** Whether an environment is Spot (EC2 Spot or Fargate Spot). */
  readonly spot: boolean;
}

/** A job's vCPU, memory and GPU request. */
export interface JobSize {
  readonly vcpus: number;
  readonly memory: Size;
  readonly gpus: number;
}

/** The queue's compute environments (DescribeJobQueues, DescribeComputeEnvironments). */
export async function queueCapacity(aws: AwsCalls, jobQueue: string): Promise<QueueCapacity> {
  const queues = await aws.call(() =>
    aws.batch.send(new aws.sdk.batch.DescribeJobQueuesCommand({ jobQueues: [jobQueue] })),
  );
  const ces = (queues.jobQueues?.[0]?.computeEnvironmentOrder ?? []).map((o) => o.computeEnvironment!);
  if (ces.length === 0) {
    return { types: [], exact: false, maxvCpus: [], states: [], spot: false };
  }
  const described = await aws.call(() =>
    aws.batch.send(new aws.sdk.batch.DescribeComputeEnvironmentsCommand({ computeEnvironments: ces })),
  );
  const envs = described.computeEnvironments ?? [];
  const listed = envs.flatMap((e) => e.computeResources?.instanceTypes ?? []);
  return {
    // Instance classes (e.g. r7i) expand to the sizes the catalog knows; each type once, though Spot and
    // On-Demand environments of a queue usually share them.
    types: [
      ...new Set(
        listed.flatMap((t) => (InstanceCatalog.tryLookup(t) ? [t] : InstanceCatalog.family(t).map((i) => i.name))),
      ),
    ],
    // Batch may launch any size of a listed family, and any type for `optimal`: only a list of sizes the catalog
    // knows says for certain that nothing fits.
    exact: listed.length > 0 && listed.every((t) => InstanceCatalog.tryLookup(t) !== undefined),
    maxvCpus: envs.map((e) => e.computeResources?.maxvCpus ?? 0),
    states: envs
      .filter((e) => e.status === 'INVALID')
      .map((e) => `${e.computeEnvironmentName}: INVALID (${e.statusReason ?? 'no reason'})`),
    spot: envs.some((e) => e.computeResources?.type === 'SPOT' || e.computeResources?.type === 'FARGATE_SPOT'),
  };
}

/** The job's request, from its resource requirements (or the older `vcpus` and `memory`); undefined if unknown. */
export function jobSize(job: JobDetail): JobSize | undefined {
  const req = job.container?.resourceRequirements ?? [];
  const get = (t: string) => req.find((r) => r.type === t)?.value;
  const vcpus = Number(get('VCPU') ?? job.container?.vcpus);
  const memory = Number(get('MEMORY') ?? job.container?.memory);
  if (!vcpus || !memory) {
    return undefined;
  }
  return { vcpus, memory: Size.mebibytes(memory), gpus: Number(get('GPU') ?? 0) };
}
