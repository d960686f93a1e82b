import { Annotations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { InstanceCatalog } from './instance-catalog';
import { fail } from '../private/errors';

/**
 * Batch takes one or two `ec2Configuration` entries.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeResource.html
 */
const MAX_IMAGES = 2;

const NVIDIA_TYPES: string[] = [batch.EcsMachineImageType.ECS_AL2_NVIDIA, batch.EcsMachineImageType.ECS_AL2023_NVIDIA];

/**
 * The AMIs of an EC2 capacity: the ones given, checked, or the library's default (ECS-optimized Amazon Linux 2023,
 * plus its NVIDIA variant when GPU instance types are launched).
 */
export function resolveImages(
  scope: IConstruct,
  given: batch.EcsMachineImage[] | undefined,
  instanceTypeNames: string[],
  architecture: ec2.InstanceArchitecture,
  scratch: boolean,
): batch.EcsMachineImage[] {
  const gpuTypes = instanceTypeNames.filter((n) => (InstanceCatalog.tryLookup(n)?.gpus ?? 0) > 0);
  if (given === undefined) {
    const allGpu = gpuTypes.length > 0 && gpuTypes.length === instanceTypeNames.length;
    return [
      ...(allGpu ? [] : [{ imageType: batch.EcsMachineImageType.ECS_AL2023 }]),
      // Batch picks the NVIDIA AMI for GPU instance types when both image types are listed.
      ...(gpuTypes.length > 0 ? [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA }] : []),
    ];
  }
  if (given.length === 0 || given.length > MAX_IMAGES) {
    fail(scope, {
      prop: 'images',
      received: `${given.length} images`,
      allowed: `1 or ${MAX_IMAGES} (Batch takes one or two EC2 configurations)`,
      fix: 'leave images unset for Amazon Linux 2023 (with its NVIDIA variant for GPU types), or give e.g. [{ imageType: batch.EcsMachineImageType.ECS_AL2023 }]',
    });
  }
  const types = given.map((i) => String(i.imageType ?? 'unset'));
  // GPU jobs need an AMI with the NVIDIA driver; without one the ECS agent registers no GPUs and a job asking for
  // GPUs never leaves RUNNABLE. https://docs.aws.amazon.com/batch/latest/userguide/batch-gpu-ami.html
  // A custom AMI (`image`) may carry the driver itself: it is trusted.
  const gpuCapable = given.some((i) => NVIDIA_TYPES.includes(String(i.imageType)) || i.image !== undefined);
  if (gpuTypes.length > 0 && !gpuCapable) {
    fail(scope, {
      prop: 'images',
      received: `[${types.join(', ')}] for GPU instance types ${gpuTypes.join(', ')}`,
      problem: 'has no GPU AMI: the instances would boot without the NVIDIA driver and GPU jobs stay RUNNABLE',
      allowed: 'an ECS_AL2023_NVIDIA (or ECS_AL2_NVIDIA) image, or a custom image with the driver, for GPU types',
      fix:
        'add { imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA } to images (Batch uses it for the GPU types ' +
        'and the other entry for the rest)',
    });
  }
  // "ECS_AL2_NVIDIA ... can be used for all non AWS Graviton-based instance types."
  // https://docs.aws.amazon.com/batch/latest/APIReference/API_Ec2Configuration.html
  if (architecture === ec2.InstanceArchitecture.ARM_64 && types.includes(batch.EcsMachineImageType.ECS_AL2_NVIDIA)) {
    fail(scope, {
      prop: 'images',
      received: `[${types.join(', ')}] on Graviton (arm64) instance types`,
      allowed: 'ECS_AL2_NVIDIA only on x86_64 instance types',
      fix: 'use { imageType: batch.EcsMachineImageType.ECS_AL2023 } for Graviton instance types',
    });
  }
  if (scratch && given.some((i) => i.image !== undefined)) {
    Annotations.of(scope).addWarningV2(
      'cdk-batch-pipelines:custom-ami-scratch',
      `${scope.node.path}: a custom image with scratchVolumeSize: the launch template formats the scratch volume ` +
        'through /dev/xvdb (a link Amazon Linux makes for NVMe volumes) with blkid and mkfs.xfs, and maps the root ' +
        'volume as /dev/xvda. Make sure the image has both (Amazon Linux based ECS AMIs do), or the scratch volume is ' +
        'not mounted and rootVolumeSize does not apply.',
    );
  }
  return given;
}
