import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { CapacityPlatform, ICapacity, PurchaseOption } from './capacity';
import { fitOnEc2Capacity, fitOnFargateCapacity, warnUnknownInstanceTypes } from './capacity-fit';
import { FitResult, JobResources } from './fit';
import { InstanceCatalog } from './instance-catalog';
import { checkImportedArn } from '../private/arns';
import { fail } from '../private/errors';

/** What this app should know of an EC2 compute environment it imports, so jobs can be checked against it. */
export interface ImportedEc2CapacityOptions {
  /** Spot or On-Demand, as the compute environment was created. */
  readonly purchaseOption: PurchaseOption;
  /**
   * Its instance types or families, as the environment lists them. Batch's `optimal` cannot be checked: list what
   * it stands for in your region, or the types you see it launch.
   */
  readonly instanceTypes: ec2.InstanceType[];
  /** The most vCPUs it scales to (its maxvCpus). */
  readonly maxvCpus: number;
}

/** What this app should know of a Fargate compute environment it imports. */
export interface ImportedFargateCapacityOptions {
  /** Fargate Spot or Fargate On-Demand, as the compute environment was created. */
  readonly purchaseOption: PurchaseOption;
  /** The most vCPUs it scales to (its maxvCpus). */
  readonly maxvCpus: number;
  /**
   * The CPU architecture of its tasks.
   * @default ec2.InstanceArchitecture.X86_64
   */
  readonly architecture?: ec2.InstanceArchitecture;
}

function checkMaxvCpus(scope: Construct, maxvCpus: number): void {
  if (!Number.isInteger(maxvCpus) || maxvCpus < 1) {
    fail(scope, {
      prop: 'maxvCpus',
      received: `${maxvCpus}`,
      allowed: 'a whole number of at least 1, the maxvCpus the compute environment has',
      fix: 'read it with aws batch describe-compute-environments (computeResources.maxvCpus)',
    });
  }
}

/** An EC2 compute environment another stack owns, as declared by the importer. */
export class ImportedEc2Capacity extends Construct implements ICapacity {
  public readonly computeEnvironment: batch.IManagedEc2EcsComputeEnvironment;
  public readonly platform = CapacityPlatform.EC2;
  public readonly purchaseOption: PurchaseOption;
  public readonly architecture: ec2.InstanceArchitecture;
  public readonly maxvCpus: number;
  /** Instance types jobs are checked against, families expanded to the sizes the catalog knows. */
  public readonly instanceTypeNames: string[];
  private readonly unknown: string[];
  private warned = false;

  constructor(scope: Construct, id: string, arn: string, options: ImportedEc2CapacityOptions) {
    super(scope, id);
    checkImportedArn(this, 'computeEnvironmentArn', arn, 'compute-environment');
    this.computeEnvironment = batch.ManagedEc2EcsComputeEnvironment.fromManagedEc2EcsComputeEnvironmentArn(
      this,
      'Resource',
      arn,
    );
    this.purchaseOption = options.purchaseOption;
    checkMaxvCpus(this, options.maxvCpus);
    this.maxvCpus = options.maxvCpus;
    if (options.instanceTypes.length === 0) {
      fail(this, {
        prop: 'instanceTypes',
        received: '[]',
        allowed: 'the instance types or families the compute environment lists',
        fix: 'list them, e.g. [new ec2.InstanceType("r6i.2xlarge")], as aws batch describe-compute-environments shows',
      });
    }
    const names = options.instanceTypes.map((t) => t.toString());
    // A family ("r6i") stands for every size Batch may launch; only the sizes the catalog knows can be checked.
    this.instanceTypeNames = [
      ...new Set(names.flatMap((n) => (n.includes('.') ? [n] : InstanceCatalog.family(n).map((i) => i.name)))),
    ];
    // As Ec2Capacity reports them: types the catalog does not know, and families it knows no size of.
    this.unknown = names.filter((n) =>
      n.includes('.') ? !InstanceCatalog.tryLookup(n) : InstanceCatalog.family(n).length === 0,
    );
    const architectures = [
      ...new Set(
        options.instanceTypes.map(
          (t) =>
            InstanceCatalog.tryLookup(t.toString())?.architecture ??
            InstanceCatalog.family(t.toString())[0]?.architecture ??
            (t.toString().includes('.') ? t.architecture : new ec2.InstanceType(`${t}.large`).architecture),
        ),
      ),
    ];
    if (architectures.length > 1) {
      fail(this, {
        prop: 'instanceTypes',
        received: `mixing CPU architectures (${names.join(', ')})`,
        allowed: 'one CPU architecture, as a compute environment has',
        fix: 'declare the instance types the compute environment really lists',
      });
    }
    this.architecture = architectures[0];
  }

  public fit(request: JobResources): FitResult {
    if (this.unknown.length > 0 && !this.warned) {
      this.warned = true;
      warnUnknownInstanceTypes(this, this.unknown);
    }
    return fitOnEc2Capacity(request, this.instanceTypeNames, this.unknown, this.maxvCpus);
  }
}

/** A Fargate compute environment another stack owns, as declared by the importer. */
export class ImportedFargateCapacity extends Construct implements ICapacity {
  public readonly computeEnvironment: batch.IFargateComputeEnvironment;
  public readonly platform = CapacityPlatform.FARGATE;
  public readonly purchaseOption: PurchaseOption;
  public readonly architecture: ec2.InstanceArchitecture;
  public readonly maxvCpus: number;

  constructor(scope: Construct, id: string, arn: string, options: ImportedFargateCapacityOptions) {
    super(scope, id);
    checkImportedArn(this, 'computeEnvironmentArn', arn, 'compute-environment');
    this.computeEnvironment = batch.FargateComputeEnvironment.fromFargateComputeEnvironmentArn(this, 'Resource', arn);
    this.purchaseOption = options.purchaseOption;
    checkMaxvCpus(this, options.maxvCpus);
    this.maxvCpus = options.maxvCpus;
    this.architecture = options.architecture ?? ec2.InstanceArchitecture.X86_64;
  }

  public fit(request: JobResources): FitResult {
    return fitOnFargateCapacity(request, this.maxvCpus);
  }
}
