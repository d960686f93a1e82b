import { Annotations, Arn, ArnFormat } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { CapacityPlatform, ICapacity } from '../compute/capacity';
import { JobQueueBase } from './job-queue-base';
import { checkImportedArn } from '../private/arns';
import { fail } from '../private/errors';
import { MAX_COMPUTE_ENVIRONMENTS_PER_QUEUE } from '../private/limits';

/** What this app should know of a queue it imports. */
export interface ImportedJobQueueOptions {
  /**
   * The queue's capacities in fallback order, imported with `Ec2Capacity.fromComputeEnvironmentArn` or
   * `FargateCapacity.fromComputeEnvironmentArn`: jobs bound to the queue are checked against them at synth.
   * @default - none: jobs are not checked against the queue's instance types (a warning says so)
   */
  readonly capacities?: ICapacity[];
  /**
   * EC2 or Fargate: what job definitions bound to the queue are built for.
   * @default - the platform of `capacities`, else CapacityPlatform.EC2
   */
  readonly platform?: CapacityPlatform;
  /**
   * Whether the queue has a fair-share scheduling policy (jobs then need a share identifier when submitted).
   * @default false
   */
  readonly fairShare?: boolean;
}

/** A queue this app does not create: what it knows of it is what the importer declared. */
export class ImportedJobQueue extends JobQueueBase {
  public readonly jobQueueArn: string;
  public readonly jobQueueName: string;
  private readonly importedCapacities: ICapacity[];
  public readonly platform: CapacityPlatform;
  public readonly architecture?: ec2.InstanceArchitecture;
  public readonly fairShare: boolean;

  /** The capacities declared at import, in fallback order. */
  public get capacities(): ICapacity[] {
    return [...this.importedCapacities];
  }

  constructor(scope: Construct, id: string, jobQueueArn: string, options: ImportedJobQueueOptions) {
    super(scope, id);
    this.jobQueueArn = jobQueueArn;
    checkImportedArn(this, 'jobQueueArn', jobQueueArn, 'job-queue');
    this.jobQueueName = Arn.split(jobQueueArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName ?? '';
    const capacities = options.capacities ?? [];
    const platforms = [...new Set(capacities.map((c) => c.platform))];
    const architectures = [...new Set(capacities.map((c) => c.architecture))];
    this.platform = options.platform ?? platforms[0] ?? CapacityPlatform.EC2;
    if (platforms.some((p) => p !== this.platform) || architectures.length > 1) {
      fail(this, {
        prop: 'capacities',
        received: capacities.map((c) => `${c.node.path} (${c.platform}, ${c.architecture})`).join(', '),
        allowed: `capacities of one platform (${this.platform}) and one CPU architecture, as a queue has`,
        fix: 'declare the capacities the queue really has, in its order',
      });
    }
    if (capacities.length > MAX_COMPUTE_ENVIRONMENTS_PER_QUEUE) {
      fail(this, {
        prop: 'capacities',
        received: `${capacities.length} capacities`,
        allowed: `at most ${MAX_COMPUTE_ENVIRONMENTS_PER_QUEUE} (a queue has no more)`,
        fix: 'declare the capacities the queue really has, in its order',
      });
    }
    this.importedCapacities = [...capacities];
    this.architecture = architectures[0];
    this.fairShare = options.fairShare ?? false;
    if (capacities.length === 0) {
      Annotations.of(this).addWarningV2(
        'cdk-batch-pipelines:imported-queue-unchecked',
        `${this.node.path}: jobs bound to imported queue ${this.jobQueueName || jobQueueArn} are not checked against ` +
          'its instance types, which this app cannot see: a job too big for all of them would wait in RUNNABLE. ' +
          "Declare them with the compute environment's own values (aws batch describe-compute-environments shows " +
          `them): \`${declareCapacitiesExample(id, this.platform)}\`, or acknowledge this warning.`,
      );
    }
  }
}

/**
 * The code that declares an imported queue's capacities, as a user writes it in a stack: every required option of
 * the platform's importer, so that it compiles as shown (test/queues/imported-job-queue.test.ts type-checks it).
 */
function declareCapacitiesExample(id: string, platform: CapacityPlatform): string {
  const capacity =
    platform === CapacityPlatform.FARGATE
      ? "FargateCapacity.fromComputeEnvironmentArn(this, 'Capacity', computeEnvironmentArn, " +
        '{ purchaseOption: PurchaseOption.SPOT, maxvCpus: 256 })'
      : "Ec2Capacity.fromComputeEnvironmentArn(this, 'Capacity', computeEnvironmentArn, " +
        "{ purchaseOption: PurchaseOption.SPOT, instanceTypes: [new ec2.InstanceType('r6i')], maxvCpus: 256 })";
  return `JobQueue.fromJobQueueArn(this, '${id.replace(/['\\]/g, '\\$&')}', queueArn, { capacities: [${capacity}] })`;
}
