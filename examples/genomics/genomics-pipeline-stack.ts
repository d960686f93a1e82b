import { Size, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { Ec2Capacity, PurchaseOption } from '../../lib';

/** Props of the genomics example stack. */
export interface GenomicsPipelineStackProps extends StackProps {
  /**
   * How many samples are processed at once.
   * @default 50
   */
  readonly maxConcurrentJobs?: number;
}

/**
 * The reference workload: ~500 DNA samples a week, each ~4 h at up to ~30 GiB, in bursts, results in S3, up to 50
 * jobs at once, nothing running when idle. Built only from the library's public API.
 */
export class GenomicsPipelineStack extends Stack {
  /** The VPC jobs run in. */
  public readonly vpc: ec2.Vpc;
  /** Spot capacity, tried first. */
  public readonly spotCapacity: Ec2Capacity;
  /** On-Demand capacity, the fallback when Spot is short or a job keeps being interrupted. */
  public readonly onDemandCapacity: Ec2Capacity;

  constructor(scope: Construct, id: string, props: GenomicsPipelineStackProps = {}) {
    super(scope, id, props);
    const maxConcurrentJobs = props.maxConcurrentJobs ?? 50;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'jobs', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    });

    // One sample: 4 vCPU and 30 GiB, which fits a 32 GiB r-family xlarge (a 32 GiB request would not).
    const sample = { vcpus: 4, memory: Size.gibibytes(30) };
    this.spotCapacity = new Ec2Capacity(this, 'SpotCapacity', {
      vpc: this.vpc,
      purchaseOption: PurchaseOption.SPOT,
      concurrentJobs: { jobs: maxConcurrentJobs, resources: sample },
    });
    this.onDemandCapacity = new Ec2Capacity(this, 'OnDemandCapacity', {
      vpc: this.vpc,
      purchaseOption: PurchaseOption.ON_DEMAND,
      concurrentJobs: { jobs: maxConcurrentJobs, resources: sample },
    });
  }
}
