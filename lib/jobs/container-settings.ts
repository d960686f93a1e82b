import { Annotations, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import { Construct, IConstruct } from 'constructs';
import { CapacityPlatform } from '../compute/capacity';
import { fail, gib } from '../private/errors';
import { checkKnownProps, KnownKeys } from '../private/known-props';

/**
 * Linux settings of a job's container, rendered through aws-cdk-lib's `batch.LinuxParameters` (which needs a scope
 * of its own: the job makes it, so no escape hatch is needed).
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_LinuxParameters.html
 */
export interface ContainerLinuxParameters {
  /**
   * Size of `/dev/shm` (EC2 only). Docker gives 64 MiB, which PyTorch's DataLoader with `num_workers > 0` (and NCCL)
   * outgrow: give e.g. `Size.gibibytes(8)`. What the job writes there counts against its `memory`, so it can be at
   * most `memory`.
   * @default - Docker's 64 MiB
   */
  readonly sharedMemorySize?: Size;

  /**
   * Run an init process (`docker run --init`) as PID 1 that forwards signals and reaps zombie processes, so a job
   * that spawns children stops cleanly when Batch terminates it.
   * @default false
   */
  readonly initProcessEnabled?: boolean;

  /**
   * Host devices exposed to the container (EC2 only), e.g. `{ hostPath: '/dev/fuse' }`. GPUs are asked for with
   * `gpus`, not here.
   * @default - none
   */
  readonly devices?: batch.Device[];

  /**
   * tmpfs mounts (EC2 only): in-memory directories at absolute container paths; like `/dev/shm`, what is written
   * there counts against the job's `memory`.
   * @default - none
   */
  readonly tmpfs?: batch.Tmpfs[];

  /**
   * Swap the container may use (EC2 only). The instance must have swap: the ECS-optimized AMIs have none, so without
   * swap set up on the instances the job runs without any (the library warns).
   * @default - the container does not use the instance's swap configuration
   */
  readonly maxSwap?: Size;

  /**
   * How eagerly the container swaps, 0..100 (EC2 only; needs `maxSwap`, which Batch otherwise ignores it without).
   * Amazon ECS does not support it on Amazon Linux 2023, the AMI `Ec2Capacity` boots by default, so there it has no
   * effect (the library warns): https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-swap.html
   * @default 60 - Batch's default
   */
  readonly swappiness?: number;
}

/** Every field of `ContainerLinuxParameters`, for the run-time check of unknown keys. */
const LINUX_PARAMETERS_KEYS: KnownKeys<ContainerLinuxParameters> = {
  sharedMemorySize: true,
  initProcessEnabled: true,
  devices: true,
  tmpfs: true,
  maxSwap: true,
  swappiness: true,
};

/** Container settings a `Job` and each node range of a `MultiNodeJob` take, next to aws-cdk-lib's. */
export interface ContainerSettings {
  /**
   * Linux settings: shared memory (`/dev/shm`), init process, devices, tmpfs, swap.
   * @default - Docker's defaults (64 MiB `/dev/shm`, no init process, no devices, no tmpfs, no swap setting)
   */
  readonly linuxParameters?: ContainerLinuxParameters;

  /**
   * ulimits of the container (EC2 only: Batch does not apply them on Fargate), e.g.
   * `{ name: batch.UlimitName.NOFILE, softLimit: 65536, hardLimit: 65536 }`; -1 means unlimited.
   * @default - the Docker daemon's ulimits on the instance
   */
  readonly ulimits?: batch.Ulimit[];

  /**
   * User (and optionally group) the container runs as: `name`, `uid`, `name:group` or `uid:gid`.
   * @default - the image's USER (root when the image sets none)
   */
  readonly user?: string;

  /**
   * Mount the container's root file system read-only. Give the job somewhere to write: `tmpfs`, a host or EFS
   * volume, `scratchPath` or `mountEfs`.
   * @default false - the root file system is writable
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * Extra volumes: `batch.EcsVolume.host(...)` (EC2 only) or `batch.EcsVolume.efs(...)`. An EFS volume gets NFS
   * ingress from the job's capacities, and with `useJobRole` the job role may mount it (and write unless
   * `readonly`). An EFS volume without `useJobRole` mounts without IAM authorization, which a file system whose
   * policy admits only IAM-authorized clients refuses (the library warns). `job.mountEfs(...)` does the same with
   * encryption and IAM authorization on by default.
   * @default - none besides `scratchPath` and `mountEfs` mounts
   */
  readonly volumes?: batch.EcsVolume[];
}

/** What the container settings are checked against. */
export interface ContainerContext {
  /** EC2 or Fargate. */
  readonly platform: CapacityPlatform;
  /** The container's memory. */
  readonly memory: Size;
  /** Prefix of prop names in messages, e.g. `nodeRanges[0..3].` for a multi-node job. */
  readonly prefix?: string;
  /** Volume names the library uses itself (the scratch volume, `mountEfs` volumes). */
  readonly reservedVolumeNames?: (name: string) => boolean;
}

/**
 * The ulimit names Batch accepts.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_Ulimit.html
 */
const ULIMIT_NAMES = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
];

/**
 * Volume names Batch accepts: up to 255 letters, digits, hyphens and underscores.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_Volume.html
 */
const VOLUME_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** Throws on container settings Batch would refuse at registration, or that would fail or do nothing at run. */
export function checkContainerSettings(scope: IConstruct, s: ContainerSettings, ctx: ContainerContext): void {
  const p = ctx.prefix ?? '';
  if (ctx.platform === CapacityPlatform.FARGATE) {
    checkFargate(scope, s, p);
  }
  checkKnownProps(
    scope,
    'ContainerLinuxParameters',
    s.linuxParameters,
    LINUX_PARAMETERS_KEYS,
    `${ctx.prefix ?? ''}linuxParameters.`,
  );
  checkLinuxParameters(scope, s.linuxParameters ?? {}, ctx);
  checkUlimits(scope, s.ulimits ?? [], p);
  if (s.user !== undefined && !Token.isUnresolved(s.user) && !/^[^:\s]+(:[^:\s]+)?$/.test(s.user)) {
    // docker run --user takes name|uid[:group|gid]: https://docs.docker.com/reference/cli/docker/container/run/
    fail(scope, {
      prop: `${p}user`,
      received: `'${s.user}'`,
      allowed: 'name, uid, name:group or uid:gid (what `docker run --user` takes), without spaces',
      fix: "give e.g. '1000:1000', or leave user unset to run as the image's USER",
    });
  }
  checkVolumes(scope, s.volumes ?? [], ctx);
}

/**
 * What Batch does not apply on Fargate resources ("isn't applicable to jobs that are running on Fargate resources"):
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_LinuxParameters.html (devices, sharedMemorySize, tmpfs,
 * maxSwap, swappiness), https://docs.aws.amazon.com/batch/latest/APIReference/API_Ulimit.html and
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_Volume.html (host volumes).
 */
function checkFargate(scope: IConstruct, s: ContainerSettings, p: string): void {
  const lp = s.linuxParameters ?? {};
  const ec2Only: Array<[string, boolean, string]> = [
    [
      'linuxParameters.sharedMemorySize',
      lp.sharedMemorySize !== undefined,
      'remove it, or submit the job to an EC2 queue',
    ],
    ['linuxParameters.devices', (lp.devices ?? []).length > 0, 'remove them, or submit the job to an EC2 queue'],
    [
      'linuxParameters.tmpfs',
      (lp.tmpfs ?? []).length > 0,
      'remove it (ephemeralStorage gives a Fargate task more disk), or submit the job to an EC2 queue',
    ],
    ['linuxParameters.maxSwap', lp.maxSwap !== undefined, 'remove it, or submit the job to an EC2 queue'],
    ['linuxParameters.swappiness', lp.swappiness !== undefined, 'remove it, or submit the job to an EC2 queue'],
    ['ulimits', (s.ulimits ?? []).length > 0, 'remove them, or submit the job to an EC2 queue'],
    [
      'volumes',
      (s.volumes ?? []).some((v) => batch.HostVolume.isHostVolume(v)),
      'use ephemeralStorage or an EcsVolume.efs volume on Fargate, or submit the job to an EC2 queue',
    ],
  ];
  for (const [prop, set, fix] of ec2Only) {
    if (set) {
      fail(scope, {
        prop: `${p}${prop}`,
        received: prop === 'volumes' ? 'a host volume on a Fargate queue' : 'on a Fargate queue',
        allowed: `${prop === 'volumes' ? 'host volumes' : prop} only on EC2 capacity (Batch does not apply it on Fargate)`,
        fix,
      });
    }
  }
}

function checkLinuxParameters(scope: IConstruct, lp: ContainerLinuxParameters, ctx: ContainerContext): void {
  const p = `${ctx.prefix ?? ''}linuxParameters.`;
  const memoryMib = ctx.memory.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  // /dev/shm and tmpfs are in-memory file systems whose pages are charged to the container's memory cgroup, so a
  // job can never fill more than its memory (and is OOM-killed trying):
  // https://docs.kernel.org/admin-guide/cgroup-v2.html#memory (tmpfs pages are page cache, counted as `shmem`)
  const inMemory = (prop: string, size: Size): void => {
    const mib = wholeMib(scope, prop, size, 1);
    if (mib > memoryMib) {
      fail(scope, {
        prop,
        received: gib(mib),
        problem: `is more than the job's memory (${gib(memoryMib)})`,
        allowed: `at most the job's memory: what is written there counts against it`,
        fix: `give at most ${memorySizeCode(memoryMib)}, or raise the job's memory`,
      });
    }
  };
  if (lp.sharedMemorySize !== undefined) {
    inMemory(`${p}sharedMemorySize`, lp.sharedMemorySize);
  }
  (lp.tmpfs ?? []).forEach((t, i) => {
    if (!Token.isUnresolved(t.containerPath) && !t.containerPath.startsWith('/')) {
      // https://docs.aws.amazon.com/batch/latest/APIReference/API_Tmpfs.html: "The absolute file path in the container"
      fail(scope, {
        prop: `${p}tmpfs[${i}].containerPath`,
        received: `'${t.containerPath}'`,
        allowed: 'an absolute path in the container',
        fix: `give '/${t.containerPath}'`,
      });
    }
    inMemory(`${p}tmpfs[${i}].size`, t.size);
  });
  if (lp.maxSwap !== undefined) {
    // "Accepted values are 0 or any positive integer" (MiB).
    wholeMib(scope, `${p}maxSwap`, lp.maxSwap, 0);
  }
  if (lp.swappiness !== undefined && !Token.isUnresolved(lp.swappiness)) {
    if (!Number.isInteger(lp.swappiness) || lp.swappiness < 0 || lp.swappiness > 100) {
      fail(scope, {
        prop: `${p}swappiness`,
        received: `${lp.swappiness}`,
        allowed: 'a whole number from 0 to 100',
        fix: 'give e.g. 10 (swap only under pressure), or leave it unset for 60',
      });
    }
    if (lp.maxSwap === undefined) {
      // "If a value isn't specified for maxSwap, then this parameter is ignored."
      fail(scope, {
        prop: `${p}swappiness`,
        received: `${lp.swappiness} without maxSwap`,
        problem: 'would be ignored by Batch',
        allowed: 'swappiness only together with maxSwap',
        fix: 'set maxSwap too (e.g. Size.gibibytes(4)), or remove swappiness',
      });
    }
  }
}

function checkUlimits(scope: IConstruct, ulimits: batch.Ulimit[], p: string): void {
  ulimits.forEach((u, i) => {
    const name = String(u.name);
    if (!ULIMIT_NAMES.includes(name)) {
      fail(scope, {
        prop: `${p}ulimits[${i}].name`,
        received: `'${name}'`,
        allowed: ULIMIT_NAMES.join(', '),
        fix: 'use a batch.UlimitName, e.g. batch.UlimitName.NOFILE',
      });
    }
    for (const [what, v] of [
      ['softLimit', u.softLimit],
      ['hardLimit', u.hardLimit],
    ] as const) {
      if (!Token.isUnresolved(v) && (!Number.isInteger(v) || v < -1)) {
        fail(scope, {
          prop: `${p}ulimits[${i}].${what}`,
          received: `${v} (${name})`,
          allowed: 'a whole number of at least 0, or -1 for unlimited',
          fix: `give a whole number, e.g. ${name === 'nofile' ? 65536 : -1}`,
        });
      }
    }
    const unlimited = (v: number): number => (v === -1 ? Infinity : v);
    if (!Token.isUnresolved(u.softLimit) && !Token.isUnresolved(u.hardLimit)) {
      if (unlimited(u.softLimit) > unlimited(u.hardLimit)) {
        // setrlimit fails with EINVAL when the soft limit exceeds the hard one, so the container does not start:
        // https://man7.org/linux/man-pages/man2/setrlimit.2.html
        fail(scope, {
          prop: `${p}ulimits[${i}]`,
          received: `${name} soft ${u.softLimit} > hard ${u.hardLimit}`,
          problem: 'would keep the container from starting',
          allowed: 'softLimit at most hardLimit (-1 is unlimited)',
          fix: `give softLimit: ${u.hardLimit}, or raise hardLimit to ${u.softLimit}`,
        });
      }
    }
  });
}

function checkVolumes(scope: IConstruct, volumes: batch.EcsVolume[], ctx: ContainerContext): void {
  const p = `${ctx.prefix ?? ''}volumes`;
  const seen = new Set<string>();
  volumes.forEach((v, i) => {
    if (Token.isUnresolved(v.name)) {
      return;
    }
    if (!VOLUME_NAME.test(v.name)) {
      fail(scope, {
        prop: `${p}[${i}].name`,
        received: `'${v.name}'`,
        allowed: 'up to 255 letters, digits, hyphens and underscores',
        fix: `name it e.g. '${v.name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 255) || 'data'}'`,
      });
    }
    if (seen.has(v.name) || ctx.reservedVolumeNames?.(v.name)) {
      fail(scope, {
        prop: `${p}[${i}].name`,
        received: `'${v.name}'`,
        problem: seen.has(v.name) ? 'names two volumes' : 'is a volume name this library uses itself',
        allowed: "a name no other volume of the container has (not 'scratch', nor 'efs' and a number)",
        fix: `name it e.g. '${v.name}-${i}'`,
      });
    }
    seen.add(v.name);
    if (batch.EfsVolume.isEfsVolume(v)) {
      checkEfsVolume(scope, v, `${p}[${i}]`);
      warnEfsWithoutIam(scope, v, `${p}[${i}]`);
    }
  });
}

/**
 * An access point and IAM authorization both need transit encryption, and an access point sets its own root
 * directory; Batch refuses the job definition otherwise.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_EFSVolumeConfiguration.html
 */
function checkEfsVolume(scope: IConstruct, v: batch.EfsVolume, prop: string): void {
  const needsEncryption = v.accessPointId !== undefined || v.useJobRole === true;
  if (needsEncryption && v.enableTransitEncryption !== true) {
    fail(scope, {
      prop: `${prop}.enableTransitEncryption`,
      received: `${v.enableTransitEncryption ?? 'unset'} with ${v.accessPointId ? 'an access point' : 'useJobRole'}`,
      allowed: 'transit encryption on whenever an access point or useJobRole (IAM authorization) is used',
      fix: 'set enableTransitEncryption: true in batch.EcsVolume.efs(...)',
    });
  }
  if (v.accessPointId !== undefined && v.rootDirectory !== undefined && v.rootDirectory !== '/') {
    fail(scope, {
      prop: `${prop}.rootDirectory`,
      received: `'${v.rootDirectory}' with an access point`,
      allowed: "no rootDirectory (or '/') with an access point, which sets its own",
      fix: 'remove rootDirectory, or set the directory on the access point',
    });
  }
}

/** The warning id of an EFS volume mounted without IAM authorization. */
export const EFS_VOLUME_WITHOUT_IAM = 'cdk-batch-pipelines:efs-volume-without-iam';

/**
 * An EFS volume without `useJobRole` mounts as an anonymous NFS client. EFS lets an anonymous client in only while the
 * default file system policy (full access to anonymous clients) is in effect; a file system policy replaces it
 * (https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html). aws-cdk-lib's `efs.FileSystem` sets
 * one that grants anonymous clients no ClientMount when the `@aws-cdk/aws-efs:denyAnonymousAccess` feature flag is on
 * (its recommended value, which `cdk init` writes to cdk.json) or after `grantRead`/`grantReadWrite`/`grantRootAccess`
 * (aws-cdk-lib aws-efs/lib/efs-file-system.ts, `allowAnonymousAccess`): the mount then fails and the job with it.
 *
 * A warning, not a default: `useJobRole` is part of the user's own `batch.EcsVolume.efs(...)` (EfsVolume's fields are
 * read-only), IAM authorization also needs transit encryption, and a file system that admits anonymous clients
 * (`allowAnonymousAccess: true`, an imported one with such a policy) works as given.
 */
function warnEfsWithoutIam(scope: IConstruct, v: batch.EfsVolume, prop: string): void {
  if (v.useJobRole === true) {
    return;
  }
  Annotations.of(scope).addWarningV2(
    EFS_VOLUME_WITHOUT_IAM,
    `${scope.node.path}: ${prop} (EFS ${v.fileSystem.node.path}) mounts without IAM authorization (no useJobRole), ` +
      "so EFS lets it in only if the file system's policy admits anonymous clients; an aws-cdk-lib efs.FileSystem " +
      'with the @aws-cdk/aws-efs:denyAnonymousAccess feature flag (which cdk init sets), or one granted with ' +
      'grantRead/grantReadWrite, does not, and the job fails to mount it. Set useJobRole: true and ' +
      'enableTransitEncryption: true in batch.EcsVolume.efs(...) (the job role is then granted ClientMount, and ' +
      `ClientWrite unless readonly), or use job.mountEfs(fileSystem, { containerPath: '${v.containerPath}' }); if the ` +
      `file system admits anonymous clients, acknowledge ${EFS_VOLUME_WITHOUT_IAM}.`,
  );
}

function wholeMib(scope: IConstruct, prop: string, size: Size, min: number): number {
  const mib = size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!Number.isInteger(mib) || mib < min) {
    fail(scope, {
      prop,
      received: `${mib} MiB`,
      allowed: `whole MiB, at least ${min}`,
      fix: 'give e.g. Size.gibibytes(8) or Size.mebibytes(512)',
    });
  }
  return mib;
}

function memorySizeCode(mib: number): string {
  return mib % 1024 === 0 ? `Size.gibibytes(${mib / 1024})` : `Size.mebibytes(${mib})`;
}

/** The aws-cdk-lib container props for the settings, with `batch.LinuxParameters` made under `scope`. */
export function containerSettingsProps(
  scope: Construct,
  id: string,
  s: ContainerSettings,
): Pick<batch.EcsContainerDefinitionProps, 'linuxParameters' | 'user' | 'readonlyRootFilesystem' | 'volumes'> {
  const lp = s.linuxParameters;
  let linuxParameters: batch.LinuxParameters | undefined;
  if (lp !== undefined) {
    linuxParameters = new batch.LinuxParameters(scope, id, {
      sharedMemorySize: lp.sharedMemorySize,
      initProcessEnabled: lp.initProcessEnabled,
      maxSwap: lp.maxSwap,
      swappiness: lp.swappiness,
    });
    linuxParameters.addDevices(...(lp.devices ?? []));
    linuxParameters.addTmpfs(...(lp.tmpfs ?? []));
  }
  return {
    linuxParameters,
    user: s.user,
    readonlyRootFilesystem: s.readonlyRootFilesystem,
    volumes: s.volumes,
  };
}

/** The warning id of `swappiness`, which Amazon Linux 2023 ignores. */
export const SWAPPINESS_IGNORED_ON_AL2023 = 'cdk-batch-pipelines:swappiness-ignored-on-al2023';

/**
 * Swap settings that do nothing on the default AMI. Swap needs swap on the instance; the ECS-optimized AMIs have
 * none, so `maxSwap` alone gives the job none. And "If you're using tasks on Amazon Linux 2023 the swappiness
 * parameter isn't supported" (the considerations of the same page), while Amazon Linux 2023 is what `Ec2Capacity`
 * boots unless given a custom image.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-swap.html
 */
export function warnSwap(scope: IConstruct, s: ContainerSettings, prefix = ''): void {
  const swappiness = s.linuxParameters?.swappiness;
  if (swappiness !== undefined) {
    Annotations.of(scope).addWarningV2(
      SWAPPINESS_IGNORED_ON_AL2023,
      `${scope.node.path}: ${prefix}linuxParameters.swappiness ${swappiness} has no effect on Amazon Linux 2023 ` +
        '(Amazon ECS does not support swappiness there), the AMI Ec2Capacity boots by default. Remove swappiness; ' +
        `if the job's instances boot another OS (a custom image) where it applies, acknowledge ` +
        `${SWAPPINESS_IGNORED_ON_AL2023}.`,
    );
  }
  const swap = s.linuxParameters?.maxSwap;
  if (swap !== undefined && swap.toMebibytes({ rounding: SizeRoundingBehavior.NONE }) > 0) {
    Annotations.of(scope).addWarningV2(
      'cdk-batch-pipelines:swap-needs-instance-swap',
      `${scope.node.path}: ${prefix}linuxParameters.maxSwap lets the container swap, but the ECS-optimized AMIs ` +
        'enable no swap, so the job gets none unless its instances set up swap (a swap file in user data or a ' +
        'custom AMI). Set swap up on the instances, or remove maxSwap.',
    );
  }
}

/** The EFS volumes among `volumes`. */
export function efsVolumes(volumes: readonly batch.EcsVolume[] | undefined): batch.EfsVolume[] {
  return (volumes ?? []).filter((v): v is batch.EfsVolume => batch.EfsVolume.isEfsVolume(v));
}
