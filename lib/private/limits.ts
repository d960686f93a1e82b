/**
 * AWS limits the library checks against, in one place, each with the page it comes from.
 * See also ../shared/reference/aws-batch-facts.md in the development workspace.
 */

/**
 * Compute environments per job queue, all EC2-type or all Fargate-type, one CPU architecture.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html
 */
export const MAX_COMPUTE_ENVIRONMENTS_PER_QUEUE = 3;

/**
 * Job queue priority range; higher is scheduled first.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-batch-jobqueue.html
 */
export const MIN_QUEUE_PRIORITY = 0;
export const MAX_QUEUE_PRIORITY = 1000;

/**
 * Spot bid percentage: the maximum percentage of the On-Demand price an instance may cost.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeResource.html
 */
export const MIN_SPOT_BID_PERCENTAGE = 1;
export const MAX_SPOT_BID_PERCENTAGE = 100;

/**
 * The ECS agent reserves memory for the OS; AWS recommends leaving a 5% buffer and the agent
 * keeps at least 32 MiB. Usable memory is modelled as `installed - max(5%, 32 MiB)`.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/memory-management.html
 */
export const MEMORY_RESERVE_FRACTION = 0.05;
export const MEMORY_RESERVE_MIN_MIB = 32;

/**
 * Valid Fargate vCPU -> memory (MiB) combinations.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ResourceRequirement.html
 */
export const FARGATE_SIZES: ReadonlyArray<{ readonly vcpus: number; readonly memoryMiB: readonly number[] }> = [
  { vcpus: 0.25, memoryMiB: [512, 1024, 2048] },
  { vcpus: 0.5, memoryMiB: range(1024, 4096, 1024) },
  { vcpus: 1, memoryMiB: range(2048, 8192, 1024) },
  { vcpus: 2, memoryMiB: range(4096, 16384, 1024) },
  { vcpus: 4, memoryMiB: range(8192, 30720, 1024) },
  { vcpus: 8, memoryMiB: range(16384, 61440, 4096) },
  { vcpus: 16, memoryMiB: range(32768, 122880, 8192) },
];

/**
 * Fargate ephemeral storage range (GiB).
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_EphemeralStorage.html
 */
export const FARGATE_MIN_EPHEMERAL_GIB = 21;
export const FARGATE_MAX_EPHEMERAL_GIB = 200;

/**
 * EBS gp3 volume size range (GiB).
 * @see https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html
 */
export const GP3_MIN_GIB = 1;
export const GP3_MAX_GIB = 16384;

/**
 * The ECS-optimized Amazon Linux 2023 AMI's root volume; a smaller root device fails to launch.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-optimized_AMI.html
 */
export const ECS_AMI_MIN_ROOT_GIB = 30;

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) {
    out.push(v);
  }
  return out;
}
