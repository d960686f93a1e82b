import { Duration, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';
import { fail } from '../private/errors';
import { FARGATE_MAX_JOB_SECONDS, MAX_TAGS, MIN_JOB_TIMEOUT_SECONDS, RESERVED_ENV_PREFIX } from '../private/limits';
import { CapacityPlatform } from '../compute/capacity';

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

/** Throws on more tags than Batch accepts with propagation. */
export function checkTags(scope: IConstruct, tags: Record<string, string>): void {
  const n = Object.keys(tags).length;
  if (n > MAX_TAGS) {
    fail(scope, {
      prop: 'tags',
      received: `${n} tags`,
      allowed: `at most ${MAX_TAGS} (with propagated tags, a job whose tags exceed ${MAX_TAGS} fails)`,
      fix: 'drop tags, or tag at the stack level where they are not propagated to jobs',
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
