import { Annotations, FeatureFlags } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';
import { InstanceCatalog } from './instance-catalog';
import { fail } from '../private/errors';

/*
 * The AMI choice of an Ec2Capacity. AWS rules it encodes, from the Ec2Configuration API reference
 * (https://docs.aws.amazon.com/batch/latest/APIReference/API_Ec2Configuration.html, `imageType`):
 * - ECS_AL2023_NVIDIA "can be used for all non AWS Graviton-based instance types" and "doesn't support p3 and g3
 *   instance types"; ECS_AL2_NVIDIA likewise only for non-Graviton types. Batch offers no arm64 NVIDIA AMI.
 * - "Effective June 30, 2026, Batch will block creation of new Amazon ECS compute environments using Batch-provided
 *   Amazon Linux 2 AMIs": ECS_AL2 and ECS_AL2_NVIDIA work only with a custom `image`.
 */

/**
 * Batch takes one or two `ec2Configuration` entries.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeResource.html
 */
const MAX_IMAGES = 2;

const AL2023 = batch.EcsMachineImageType.ECS_AL2023;
const AL2023_NVIDIA = batch.EcsMachineImageType.ECS_AL2023_NVIDIA;
const NVIDIA_TYPES: string[] = [batch.EcsMachineImageType.ECS_AL2_NVIDIA, AL2023_NVIDIA];
/** Each Amazon Linux 2 image type and its Amazon Linux 2023 successor. */
const AL2_SUCCESSOR: Record<string, batch.EcsMachineImageType> = {
  [batch.EcsMachineImageType.ECS_AL2]: AL2023,
  [batch.EcsMachineImageType.ECS_AL2_NVIDIA]: AL2023_NVIDIA,
};

/**
 * Instance families with NVIDIA GPUs: those Batch boots its ECS GPU-optimized AMI on, "p6, p3, p4, p5, g3, g3s, g4,
 * g5, or g6 instance types or families" (https://docs.aws.amazon.com/batch/latest/userguide/batch-gpu-ami.html).
 * Matched by family prefix, so families and sizes the catalog does not know (g6e, p5en, g4dn.16xlarge) count too.
 */
const GPU_FAMILY = /^(p[3-6]|g[3-6])/;
/** The GPU families ECS_AL2023_NVIDIA does not support (API_Ec2Configuration, above). */
const NO_AL2023_NVIDIA_FAMILY = /^(p3|g3)/;
/** An AMI as a user would pin one, for the fixes messages suggest. */
const CUSTOM_IMAGE_CODE = "image: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' })";

/**
 * Whether instances of `name` (a type `g6.xlarge` or a class `g6`) have GPUs: the catalog's GPU count when it knows
 * the type, else the family prefix Batch's GPU AMI choice goes by.
 */
export function hasGpus(name: string): boolean {
  const known = InstanceCatalog.tryLookup(name);
  return known ? known.gpus > 0 : GPU_FAMILY.test(name.split('.')[0]);
}

/**
 * The AMIs of an EC2 capacity: the ones given, checked, or the library's default (ECS-optimized Amazon Linux 2023,
 * plus its NVIDIA variant when GPU instance types are launched).
 *
 * `instanceNames` are the instance types and classes as given (`g6.xlarge`, `g6`), so a family the catalog does not
 * know still counts as GPU; `architecture` is the capacity's one CPU architecture.
 */
export function resolveImages(
  scope: IConstruct,
  given: batch.EcsMachineImage[] | undefined,
  instanceNames: string[],
  architecture: ec2.InstanceArchitecture,
  scratch: boolean,
): batch.EcsMachineImage[] {
  const gpuNames = instanceNames.filter(hasGpus);
  const arm = architecture === ec2.InstanceArchitecture.ARM_64;
  const allGpu = gpuNames.length > 0 && gpuNames.length === instanceNames.length;
  // Batch picks the NVIDIA AMI for GPU instance types when both image types are listed.
  const defaults: batch.EcsMachineImage[] = [
    ...(allGpu ? [] : [{ imageType: AL2023 }]),
    ...(gpuNames.length > 0 ? [{ imageType: AL2023_NVIDIA }] : []),
  ];
  if (given !== undefined && (given.length === 0 || given.length > MAX_IMAGES)) {
    fail(scope, {
      prop: 'images',
      received: `${given.length} images`,
      allowed: `1 or ${MAX_IMAGES} (Batch takes one or two EC2 configurations)`,
      fix: `leave images unset for Amazon Linux 2023 (with its NVIDIA variant for GPU types), or give e.g. [{ imageType: batch.EcsMachineImageType.ECS_AL2023 }]`,
    });
  }
  const types = (given ?? []).map((i) => imageTypeOf(scope, i));
  const shown = given === undefined ? 'unset' : `[${types.join(', ')}]`;
  // The entry Batch boots GPU instance types with: the NVIDIA one, else a custom image, else the only one.
  const gpuEntry =
    given === undefined
      ? undefined
      : (given.find((_, i) => NVIDIA_TYPES.includes(types[i])) ?? given.find((i) => i.image !== undefined) ?? given[0]);
  const gpuCustom = gpuEntry?.image !== undefined;

  if (arm) {
    checkArm(scope, given, types, shown, gpuNames, gpuCustom);
  } else {
    checkNoAl2023Nvidia(scope, shown, gpuNames, gpuCustom);
  }
  if (given === undefined) {
    return defaults;
  }
  checkAl2(scope, given, types, gpuNames, defaults);
  // GPU jobs need an AMI with the NVIDIA driver; without one the ECS agent registers no GPUs and a job asking for
  // GPUs never leaves RUNNABLE. https://docs.aws.amazon.com/batch/latest/userguide/batch-gpu-ami.html
  // A custom AMI (`image`) may carry the driver itself: it is trusted.
  const gpuCapable = given.some((i, n) => NVIDIA_TYPES.includes(types[n]) || i.image !== undefined);
  if (gpuNames.length > 0 && !gpuCapable) {
    fail(scope, {
      prop: 'images',
      received: `${shown} for GPU instance types ${gpuNames.join(', ')}`,
      problem: 'has no GPU AMI: the instances would boot without the NVIDIA driver and GPU jobs stay RUNNABLE',
      allowed: 'an ECS_AL2023_NVIDIA image, or a custom image with the driver, for GPU types',
      fix:
        given.length < MAX_IMAGES
          ? 'add { imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA } to images (Batch uses it for the GPU ' +
            'types and the other entry for the rest)'
          : `give images: ${imagesCode(defaults)}`,
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

/**
 * Graviton: Batch's NVIDIA image types are for x86_64 only, so an NVIDIA type needs a custom image, and Graviton GPU
 * types (g5g) boot without the driver unless a custom image brings it.
 */
function checkArm(
  scope: IConstruct,
  given: batch.EcsMachineImage[] | undefined,
  types: string[],
  shown: string,
  gpuNames: string[],
  gpuCustom: boolean,
): void {
  const customGpuFix =
    `give images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA, ${CUSTOM_IMAGE_CODE} }] with an arm64 ` +
    'ECS AMI that has the NVIDIA driver, or use x86_64 GPU instance types (e.g. g6.xlarge)';
  const nvidiaWithoutImage = (given ?? []).some((i, n) => NVIDIA_TYPES.includes(types[n]) && i.image === undefined);
  if (nvidiaWithoutImage) {
    fail(scope, {
      prop: 'images',
      received: `${shown} on Graviton (arm64) instance types`,
      allowed:
        'ECS_AL2023_NVIDIA (and ECS_AL2_NVIDIA) only on x86_64 instance types, or with a custom image on Graviton: ' +
        'Batch has no arm64 NVIDIA AMI',
      fix:
        gpuNames.length > 0
          ? customGpuFix
          : 'use [{ imageType: batch.EcsMachineImageType.ECS_AL2023 }] for Graviton instance types (or leave images unset)',
    });
  }
  if (gpuNames.length > 0 && !gpuCustom) {
    fail(scope, {
      prop: 'images',
      received: `${shown} for Graviton GPU instance types ${gpuNames.join(', ')}`,
      problem:
        'has no GPU AMI: Batch has no arm64 NVIDIA AMI, so the instances would boot without the NVIDIA driver and ' +
        'GPU jobs stay RUNNABLE',
      allowed: 'a custom image with the NVIDIA driver for Graviton GPU instance types',
      fix: customGpuFix,
    });
  }
}

/** p3 and g3: ECS_AL2023_NVIDIA does not support them, and Batch's AL2 AMIs are no longer offered. */
function checkNoAl2023Nvidia(scope: IConstruct, shown: string, gpuNames: string[], gpuCustom: boolean): void {
  const old = gpuNames.filter((n) => NO_AL2023_NVIDIA_FAMILY.test(n));
  if (old.length === 0 || gpuCustom) {
    return;
  }
  fail(scope, {
    prop: 'images',
    received: `${shown} for ${old.join(', ')}`,
    problem:
      "has no AMI for them: Batch's ECS_AL2023_NVIDIA does not support p3 and g3 instance types, and Batch no " +
      'longer creates environments with its Amazon Linux 2 AMIs (since June 30, 2026)',
    allowed: 'p3 and g3 instance types only with a custom image whose NVIDIA driver supports their GPUs',
    fix:
      'use a newer GPU family instead (e.g. g6.xlarge, g5.xlarge, p4d.24xlarge), or give images: ' +
      `[{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA, ${CUSTOM_IMAGE_CODE} }] with such an AMI`,
  });
}

/** Batch-provided Amazon Linux 2 AMIs: new environments with them are blocked since June 30, 2026. */
function checkAl2(
  scope: IConstruct,
  given: batch.EcsMachineImage[],
  types: string[],
  gpuNames: string[],
  defaults: batch.EcsMachineImage[],
): void {
  const al2 = given.filter((i, n) => AL2_SUCCESSOR[types[n]] !== undefined && i.image === undefined);
  if (al2.length === 0) {
    return;
  }
  const renewed = given.map((i, n) =>
    AL2_SUCCESSOR[types[n]] !== undefined && i.image === undefined ? { imageType: AL2_SUCCESSOR[types[n]] } : i,
  );
  // The renewed list is the fix when it still gives GPU types an NVIDIA AMI; otherwise the library's default.
  const renewedGpuCapable = renewed.some((i) => NVIDIA_TYPES.includes(String(i.imageType)) || i.image !== undefined);
  const fix = gpuNames.length > 0 && !renewedGpuCapable ? defaults : renewed;
  fail(scope, {
    prop: 'images',
    received: `[${types.join(', ')}] (Batch-provided Amazon Linux 2 AMIs)`,
    problem:
      'would not deploy: since June 30, 2026 Batch blocks creating ECS compute environments with its Amazon Linux 2 AMIs',
    allowed: 'ECS_AL2023 or ECS_AL2023_NVIDIA, or ECS_AL2 / ECS_AL2_NVIDIA only with a custom image (imageIdOverride)',
    fix: `give images: ${imagesCode(fix)} (or leave images unset)`,
  });
}

/** The image type Batch gets for an entry: the one given, else aws-cdk-lib's default (AL2023 with its feature flag). */
function imageTypeOf(scope: IConstruct, image: batch.EcsMachineImage): string {
  if (image.imageType !== undefined) {
    return String(image.imageType);
  }
  // aws-cdk-lib renders an unset imageType as ECS_AL2023 with @aws-cdk/aws-batch:defaultToAL2023, else ECS_AL2.
  return FeatureFlags.of(scope).isEnabled(cxapi.BATCH_DEFAULT_AL2023) ? AL2023 : batch.EcsMachineImageType.ECS_AL2;
}

/** `images` as TypeScript code, for a fix; a custom image is shown as a pinned AMI id to put the user's own in. */
function imagesCode(images: batch.EcsMachineImage[]): string {
  const entry = (i: batch.EcsMachineImage): string =>
    `{ imageType: batch.EcsMachineImageType.${String(i.imageType)}${i.image !== undefined ? `, ${CUSTOM_IMAGE_CODE}` : ''} }`;
  return `[${images.map(entry).join(', ')}]`;
}
