import { Duration, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';
import { tsString } from '../private/code-text';
import { didYouMean } from '../private/did-you-mean';
import { fail } from '../private/errors';
import {
  FARGATE_MAX_EPHEMERAL_GIB,
  FARGATE_MAX_JOB_SECONDS,
  FARGATE_MIN_EPHEMERAL_GIB,
  MAX_TAGS,
  MIN_JOB_MEMORY_MIB,
  MIN_JOB_TIMEOUT_SECONDS,
  RESERVED_ENV_PREFIX,
} from '../private/limits';
import { CapacityPlatform, ICapacity } from '../compute/capacity';
import { PIPELINE_TAG_KEY } from '../contract/cost-tag';
import { RUN_TAG } from '../contract/job-env';
import { describeProblem } from '../core/validation-error';
import type { JobProps } from './job-props';

/** Throws unless `timeout` is at least 60 s (and at most 14 days on Fargate). */
export function checkTimeout(scope: IConstruct, platform: CapacityPlatform, timeout: Duration): Duration {
  const s = timeout.toSeconds();
  if (s < MIN_JOB_TIMEOUT_SECONDS) {
    fail(scope, {
      prop: 'timeout',
      received: `${s} seconds`,
      allowed: `at least ${MIN_JOB_TIMEOUT_SECONDS} seconds`,
      fix: 'give Duration.minutes(1) or more',
    });
  }
  if (platform === CapacityPlatform.FARGATE && s > FARGATE_MAX_JOB_SECONDS) {
    fail(scope, {
      prop: 'timeout',
      received: `${timeout.toHumanString()} on Fargate`,
      allowed: 'at most 14 days (Fargate stops tasks after 14 days)',
      fix: 'give Duration.days(14) or less, or run the job on EC2 capacity',
    });
  }
  return timeout;
}

/** Throws on environment variable names Batch reserves. */
export function checkEnvironment(scope: IConstruct, env: Record<string, string>): void {
  for (const name of Object.keys(env)) {
    if (name.startsWith(RESERVED_ENV_PREFIX)) {
      fail(scope, {
        prop: `environment.${name}`,
        received: `'${name}'`,
        allowed: `names not starting with ${RESERVED_ENV_PREFIX} (reserved by Batch)`,
        fix: `rename it, e.g. '${name.replace(/^AWS_BATCH_?/, 'APP_')}'`,
      });
    }
  }
}

/**
 * Tags the library adds: the cost-allocation tag on the definition (`PipelineTag`) and the run tag on each job.
 * Batch fails a job whose own and definition's tags together exceed 50 when they are propagated.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-batch-jobdefinition.html#cfn-batch-jobdefinition-propagatetags
 */
const LIBRARY_TAGS = [PIPELINE_TAG_KEY, RUN_TAG];

/** Throws on more tags than Batch accepts with propagation, beside the library's own. */
export function checkTags(scope: IConstruct, tags: Record<string, string>): void {
  const n = Object.keys(tags).length;
  const max = MAX_TAGS - LIBRARY_TAGS.length;
  if (n > max) {
    fail(scope, {
      prop: 'tags',
      received: `${n} tags`,
      allowed:
        `at most ${max} (with propagated tags, a job whose tags exceed ${MAX_TAGS} fails; the library adds ` +
        `${LIBRARY_TAGS[0]} to the definition and ${LIBRARY_TAGS[1]} to each job)`,
      fix: `drop ${n - max} of them`,
    });
  }
}

/**
 * A registry image must name something: `ContainerImage.fromRegistry('')` synthesizes, and Batch fails every attempt
 * of the job with CannotPullContainerError at run time. aws-cdk-lib keeps the name in a private field of
 * `RepositoryImage`; images of other kinds (ECR, assets) always carry one.
 */
export function checkImage(scope: IConstruct, image: ecs.ContainerImage): void {
  if (!(image instanceof ecs.RepositoryImage)) {
    return;
  }
  const name = (image as unknown as { imageName?: unknown }).imageName;
  if (typeof name === 'string' && !Token.isUnresolved(name) && name.trim() === '') {
    fail(scope, {
      prop: 'image',
      received: `ContainerImage.fromRegistry('${name}')`,
      problem: 'names no image',
      allowed: 'an image reference, e.g. public.ecr.aws/docker/library/busybox:1.36',
      fix: "give the image, e.g. ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36')",
    });
  }
}

/** Throws unless vCPUs, memory and GPUs are what the platform accepts. */
export function checkResources(scope: IConstruct, platform: CapacityPlatform, props: JobProps): void {
  const { vcpus, memory } = props;
  const gpus = props.gpus ?? 0;
  if (!Token.isUnresolved(vcpus)) {
    const whole = Number.isInteger(vcpus);
    if (!Number.isFinite(vcpus) || vcpus <= 0 || (platform === CapacityPlatform.EC2 && !whole)) {
      fail(scope, {
        prop: 'vcpus',
        received: `${vcpus}`,
        allowed:
          platform === CapacityPlatform.EC2
            ? 'a whole number of at least 1 on EC2'
            : '0.25, 0.5, 1, 2, 4, 8 or 16 on Fargate',
        fix:
          platform === CapacityPlatform.EC2
            ? `use ${Number.isFinite(vcpus) ? Math.max(1, Math.ceil(vcpus)) : 4}`
            : 'use a valid Fargate vCPU count, e.g. 1',
      });
    }
  }
  const mib = memory.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!Number.isInteger(mib) || mib < MIN_JOB_MEMORY_MIB) {
    fail(scope, {
      prop: 'memory',
      received: `${mib} MiB`,
      allowed: `whole MiB, at least ${MIN_JOB_MEMORY_MIB}`,
      fix: 'give e.g. Size.gibibytes(30) or Size.mebibytes(512)',
    });
  }
  if (!Number.isInteger(gpus) || gpus < 0) {
    fail(scope, {
      prop: 'gpus',
      received: `${gpus}`,
      allowed: 'a whole number of at least 0',
      fix: 'give the number of GPUs one job uses',
    });
  }
}

/** Throws on a parameter default the command does not use (Batch would ignore it silently). */
export function checkParameterDefaults(
  scope: IConstruct,
  parameterNames: string[],
  defaults: Readonly<Record<string, string>>,
): void {
  for (const [name, value] of Object.entries(defaults)) {
    if (!parameterNames.includes(name)) {
      const meant = didYouMean(name, parameterNames);
      fail(scope, {
        prop: `parameters.${name}`,
        received: `'${name}' (not used as Ref::${name} in command)`,
        allowed: `defaults for parameters the command uses: ${parameterNames.join(', ') || 'none'}`,
        fix: meant
          ? `did you mean \`${meant}\` (the command's Ref::${meant})? Name the default as the command does: ` +
            `\`parameters: { ${meant}: ${tsString(value)} }\`, or use Ref::${name} in the command`
          : `use Ref::${name} in the command, or remove the default (a typo here would be silently ignored by Batch)`,
      });
    }
  }
}

/** Throws on props only EC2 capacity has, and on ephemeral storage Fargate does not offer. */
export function checkFargateOnly(scope: IConstruct, props: JobProps): void {
  const ec2Only: Array<[string, boolean]> = [
    ['gpus', (props.gpus ?? 0) > 0],
    ['privileged', props.privileged === true],
    ['scratchPath', props.scratchPath !== undefined],
  ];
  for (const [prop, set] of ec2Only) {
    if (set) {
      fail(scope, {
        prop,
        received: 'on a Fargate queue',
        allowed: `${prop} only on EC2 capacity`,
        fix:
          prop === 'gpus'
            ? 'Fargate has no GPUs: submit this job to a queue of Ec2Capacity with g4dn/g5 instance types'
            : prop === 'scratchPath'
              ? 'use ephemeralStorage on Fargate'
              : `remove ${prop}, or submit the job to an EC2 queue`,
      });
    }
  }
  if (props.ephemeralStorage) {
    const g = props.ephemeralStorage.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
    if (!Number.isInteger(g) || g < FARGATE_MIN_EPHEMERAL_GIB || g > FARGATE_MAX_EPHEMERAL_GIB) {
      fail(scope, {
        prop: 'ephemeralStorage',
        received: `${g} GiB`,
        allowed: `whole GiB from ${FARGATE_MIN_EPHEMERAL_GIB} to ${FARGATE_MAX_EPHEMERAL_GIB}`,
        fix: 'give e.g. Size.gibibytes(100)',
      });
    }
  }
}

/** Problems of a scratch path on capacities without a scratch volume mounted there. */
export function checkScratch(
  scope: IConstruct,
  scratchPath: string | undefined,
  capacities: readonly ICapacity[],
): string[] {
  if (!scratchPath) {
    return [];
  }
  return capacities
    .filter(
      (c) =>
        c.platform === CapacityPlatform.EC2 && (c as { scratchMountPath?: string }).scratchMountPath !== '/scratch',
    )
    .map((c) =>
      describeProblem(scope, {
        prop: 'scratchPath',
        received: `'${scratchPath}'`,
        problem: `needs a scratch volume mounted at /scratch on ${c.node.path}, which has none`,
        allowed: 'scratchPath only when every EC2 capacity of the job has a scratch volume',
        fix: `set scratchVolumeSize on ${c.node.path}, or remove scratchPath`,
      }),
    );
}

/** Names of `Ref::name` placeholders in a command, in order of first use. */
export function refParameters(command: readonly string[]): string[] {
  const names: string[] = [];
  for (const arg of command) {
    for (const m of arg.matchAll(/Ref::([A-Za-z0-9_]+)/g)) {
      if (!names.includes(m[1])) {
        names.push(m[1]);
      }
    }
  }
  return names;
}
