import { Annotations, Token } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ICapacity } from '../compute/capacity';
import { fail } from '../private/errors';
import { acknowledgeFinding, acknowledgeOnGrantee, nagResource } from '../private/nag';

/** Options of `Job.mountEfs` and `MultiNodeJob.mountEfs`. */
export interface EfsMountOptions {
  /** Where the file system appears in the container. */
  readonly containerPath: string;
  /**
   * Access point to mount through (enforces a POSIX user and root directory).
   * @default - the file system root, with IAM authorization by the job role
   */
  readonly accessPoint?: efs.IAccessPoint;
  /**
   * Directory of the file system to mount. Must be left out (or `/`) with an access point, which sets its own.
   * @default '/'
   */
  readonly rootDirectory?: string;
  /**
   * Mount read-only: the container runtime mounts the volume read-only, which holds whatever the role may do, and the
   * job role is granted only ClientMount. IAM does not add to that by itself: EFS allows an action when the identity
   * policy or the file-system policy allows it, and aws-cdk-lib's `FileSystem` policy lets clients that come through a
   * mount target write. To stop writes at the file system too, give it a policy that denies ClientWrite to the
   * readers' roles.
   * https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
   * @default false
   */
  readonly readOnly?: boolean;
}

/** What mounting a file system into a job needs to know about the job. */
export interface EfsMountTarget {
  /** The job (for messages and validation). */
  readonly job: Construct;
  /** The role the job's containers run as (IAM authorization). */
  readonly jobRole: iam.IRole;
  /** Every container of the job (one per node range for a multi-node job). */
  readonly containers: batch.IEcsContainerDefinition[];
  /** The capacities the job may run on: each gets NFS ingress. */
  readonly capacities: readonly ICapacity[];
  /** How many EFS volumes the job mounted before, for the volume's name. */
  readonly index: number;
}

/**
 * Mounts an EFS file system into every container of a job: transit encryption, IAM authorization with the job role
 * (ClientMount, and ClientWrite unless read-only), NFS ingress from each capacity.
 */
export function mountEfsVolume(target: EfsMountTarget, fileSystem: efs.IFileSystem, options: EfsMountOptions): void {
  if (options.accessPoint && options.rootDirectory !== undefined && options.rootDirectory !== '/') {
    fail(target.job, {
      prop: 'mountEfs.rootDirectory',
      received: `'${options.rootDirectory}' with an access point`,
      allowed: "no rootDirectory (or '/') when mounting through an access point, which sets its own",
      fix: 'remove rootDirectory, or set the directory on the access point',
    });
  }
  for (const container of target.containers) {
    container.addVolume(
      batch.EcsVolume.efs({
        name: `efs${target.index}`,
        fileSystem,
        containerPath: options.containerPath,
        readonly: options.readOnly ?? false,
        rootDirectory: options.accessPoint ? undefined : options.rootDirectory,
        accessPointId: options.accessPoint?.accessPointId,
        // IAM authorization and access points both require transit encryption.
        enableTransitEncryption: true,
        useJobRole: true,
      }),
    );
  }
  fileSystem.grant(
    target.jobRole,
    ...(options.readOnly
      ? ['elasticfilesystem:ClientMount']
      : ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']),
  );
  allowNfsFrom(fileSystem, target.capacities);
}

/** NFS ingress to the file system from each capacity (idempotent per peer). */
export function allowNfsFrom(fileSystem: efs.IFileSystem, capacities: readonly ICapacity[]): void {
  for (const c of capacities) {
    // An imported compute environment comes without its security groups: its owner allows NFS from them.
    if (c.computeEnvironment.connections?.securityGroups === undefined) {
      Annotations.of(c).addWarningV2(
        'cdk-batch-pipelines:imported-capacity-efs',
        `${c.node.path}: an imported compute environment's security groups are not known here, so NFS from its ` +
          `instances to ${fileSystem.node.path} is not allowed by this app; allow it where the environment is defined.`,
      );
      continue;
    }
    fileSystem.connections.allowDefaultPortFrom(c.computeEnvironment, `NFS from Batch capacity ${c.node.path}`);
  }
}

/**
 * The role a job runs as when it is given none: its own (`<job>/JobRole`), so that a grant on the job reaches no other
 * job. One resource; its policy appears with its first grant.
 */
export function ownJobRole(job: Construct, jobName: string): iam.Role {
  return new iam.Role(job, 'JobRole', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    // A Batch job name (letters, digits, - and _, checked by the job): within what IAM takes in a description.
    description: `Role the containers of Batch job ${jobName} run as`,
  });
}

/**
 * Warns (once per job) that a grant on a job that was given its role lands on that role, which other jobs may run as
 * too: the grant then reaches all of them.
 */
export function warnSharedRoleGrant(job: Construct, role: iam.IRole, what: string): void {
  const warned = SHARED_ROLE_WARNED;
  if (warned.has(job)) {
    return;
  }
  warned.add(job);
  Annotations.of(job).addWarningV2(
    'cdk-batch-pipelines:shared-role-grant',
    `${job.node.path}: ${what} lands on the role the job was given (${role.node.path}), not on a role of its own: ` +
      'every job that runs as that role gets it too. Leave jobRole unset to give the job a role of its own, or ' +
      'acknowledge this warning if the jobs sharing the role may all touch this data.',
  );
}

const SHARED_ROLE_WARNED = new WeakSet<Construct>();

/**
 * Lets `role` read objects under `prefix` of `bucket` (GetObject, and ListBucket limited to the prefix), plus decrypt
 * with the bucket's KMS key; the prefix wildcard is acknowledged for cdk-nag.
 */
export function grantReadPrefix(scope: Construct, role: iam.IRole, bucket: s3.IBucket, prefix: string): iam.Grant {
  checkPrefix(scope, 'grantRead', bucket, prefix);
  const objects = bucket.arnForObjects(`${prefix}*`);
  const grant = iam.Grant.addToPrincipal({ grantee: role, actions: ['s3:GetObject'], resourceArns: [objects] });
  acknowledgePrefix(scope, role, objects);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: prefix ? { StringLike: { 's3:prefix': [`${prefix}*`] } } : undefined,
    }),
  );
  bucket.encryptionKey?.grantDecrypt(role);
  return grant;
}

/**
 * Lets `role` write objects under `prefix` of `bucket` (PutObject, AbortMultipartUpload), plus encrypt with the
 * bucket's KMS key; the prefix wildcard is acknowledged for cdk-nag.
 */
export function grantWritePrefix(scope: Construct, role: iam.IRole, bucket: s3.IBucket, prefix: string): iam.Grant {
  checkPrefix(scope, 'grantWrite', bucket, prefix);
  const objects = bucket.arnForObjects(`${prefix}*`);
  const grant = iam.Grant.addToPrincipal({
    grantee: role,
    actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
    resourceArns: [objects],
  });
  acknowledgePrefix(scope, role, objects);
  if (bucket.encryptionKey) {
    bucket.encryptionKey.grantEncryptDecrypt(role);
    // KMS names the variants of data-key generation and re-encryption by pattern; the grant is on one key.
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      acknowledgeFinding(
        role,
        `AwsSolutions-IAM5[Action::${action}]`,
        "Writing to a bucket encrypted with a customer-managed key: KMS's data-key and re-encrypt variants, on that key only.",
      );
    }
  }
  return grant;
}

/**
 * A key prefix, not a URI, a path or a pattern, granted as it is given (`<prefix>*`):
 * - `s3://bucket/x/` or `/x/` would grant keys that never exist (S3 keys have no leading slash), and the job would meet
 *   AccessDenied at run time: refused.
 * - `x/*` would grant `x/**`, and `?` matches any one character: IAM reads both as wildcards in a resource ARN
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards),
 *   so a prefix with either is refused rather than rewritten.
 * - `${` starts an IAM policy variable (`${aws:username}`), which IAM substitutes in the Resource element and in
 *   condition values alike (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html), so
 *   both the object ARN and the `s3:prefix` condition would name something else: refused too. Usually it is a
 *   JavaScript template (`'runs/${id}/'` in single quotes) that was meant to be filled in.
 * - `x` (no trailing slash) grants every key that starts with `x`, `x-old/…` too: a warning says so, since a prefix
 *   that is not a folder can be meant (`logs/2024-`).
 */
/**
 * The part of a prefix before its first IAM wildcard or policy variable, for a fix: one that holds neither (so that
 * following it does not meet the next error) and is never empty (an empty prefix would grant the whole bucket).
 */
function folderBefore(prefix: string): string {
  const before = prefix.replace(/([*?]|\$\{).*$/, '');
  return before === '' ? 'data/' : before;
}

function checkPrefix(scope: Construct, method: string, bucket: s3.IBucket, prefix: string): void {
  if (Token.isUnresolved(prefix)) {
    return;
  }
  if (prefix.startsWith('s3://') || prefix.startsWith('/')) {
    // The fix holds no wildcard either, so that following it does not meet the next error.
    const fixed = folderBefore(prefix.replace(/^s3:\/\/[^/]*\/?/, '').replace(/^\/+/, ''));
    fail(scope, {
      prop: `${method}.prefix`,
      received: `'${prefix}'`,
      allowed: "a key prefix of the bucket, e.g. 'samples/' (no s3:// and no leading '/': S3 keys have none)",
      fix: `pass '${fixed}'`,
    });
  }
  const variable = prefix.indexOf('${');
  if (variable >= 0) {
    const fixed = folderBefore(prefix);
    fail(scope, {
      prop: `${method}.prefix`,
      received: `'${prefix}'`,
      problem:
        "holds '${', which IAM reads as a policy variable in the object ARN and in the s3:prefix condition (if it is " +
        'a JavaScript value, write the prefix in backticks so it is filled in)',
      allowed: "a key prefix without '${', '*' or '?', e.g. 'samples/'",
      fix: `${method}(bucket, '${fixed}')`,
    });
  }
  const wildcard = prefix.search(/[*?]/);
  if (wildcard >= 0) {
    const fixed = folderBefore(prefix);
    fail(scope, {
      prop: `${method}.prefix`,
      received: `'${prefix}'`,
      problem: `holds an IAM wildcard ('${prefix[wildcard]}'), and the grant adds '*' after the prefix (${prefix}*)`,
      allowed: "a key prefix without '*' or '?', e.g. 'samples/': the grant covers every key under it",
      fix: `${method}(bucket, '${fixed}')`,
    });
  }
  if (prefix !== '' && !prefix.endsWith('/')) {
    const folder = prefix.replace(/\/?$/, '/');
    const name = prefix.slice(prefix.lastIndexOf('/') + 1);
    Annotations.of(scope).addWarningV2(
      GRANT_PREFIX_NOT_FOLDER,
      `${scope.node.path}: ${method}(${bucket.node.path}, '${prefix}') grants every key that starts with ` +
        `'${prefix}' (${prefix}*): besides '${folder}…' also '${prefix}-old/…' and '${prefix}.json'. ` +
        `To grant the folder only, pass '${folder}' (${method}(bucket, '${folder}')); if every key starting with ` +
        `'${name}' is meant, acknowledge ${GRANT_PREFIX_NOT_FOLDER}.`,
    );
  }
}

/** The warning id of a grant prefix that is not a folder (no trailing '/'). */
export const GRANT_PREFIX_NOT_FOLDER = 'cdk-batch-pipelines:grant-prefix-not-folder';

/** A grant on the objects under a prefix is a wildcard by nature: acknowledge exactly that one for cdk-nag. */
function acknowledgePrefix(scope: Construct, role: iam.IRole, objectsArn: string): void {
  acknowledgeFinding(
    role,
    `AwsSolutions-IAM5[Resource::${nagResource(scope, objectsArn)}]`,
    'Objects under one key prefix of one bucket, whose names (per sample) exist only at run time.',
  );
}

/**
 * A submit grant names every revision of a job definition (`…:*`): a revision number in the policy would break at the
 * next deploy. Acknowledged for cdk-nag on the grantee's role, as the library's other grants acknowledge theirs.
 */
export function acknowledgeRevisions(scope: Construct, grantee: iam.IGrantable, arnPattern: string): void {
  acknowledgeOnGrantee(
    scope,
    grantee,
    arnPattern,
    'Every revision of one job definition: a deploy registers a new revision, which a pinned number would not allow.',
  );
}
