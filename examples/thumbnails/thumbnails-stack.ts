import { CfnOutput, Duration, RemovalPolicy, Size, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FargateCapacity, Job, JobQueue, PurchaseOption } from '../../lib';

/** Props of the thumbnails example stack. */
export interface ThumbnailsStackProps extends StackProps {
  /**
   * The resizing image; it reads its photo from the manifest item at `BATCH_PIPELINES_OFFSET +
   * AWS_BATCH_JOB_ARRAY_INDEX` of `BATCH_PIPELINES_MANIFEST`.
   * @default - a placeholder public image that only prints what it would do
   */
  readonly image?: string;
}

/**
 * The other everyday batch shape: many small independent items (10,000 photos to resize) as one array job per run on
 * Fargate Spot, with Fargate On-Demand behind it, and no workflow. Submitted and followed with `batch-pipelines
 * submit --manifest-uri` and `watch`.
 */
export class ThumbnailsStack extends Stack {
  /** Originals under `originals/`, manifests under `manifests/`, results under `thumbnails/`. */
  public readonly photos: s3.Bucket;
  /** Fargate Spot first, then Fargate On-Demand. */
  public readonly queue: JobQueue;
  /** One photo per array child: 1 vCPU, 2 GiB, 15 minutes at most. */
  public readonly resize: Job;

  constructor(scope: Construct, id: string, props: ThumbnailsStackProps = {}) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
        { name: 'jobs', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', {
              retention: logs.RetentionDays.ONE_MONTH,
              removalPolicy: RemovalPolicy.DESTROY,
            }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    this.photos = new s3.Bucket(this, 'Photos', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    });
    Validations.of(this.photos).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Photos are not regulated data here; give the bucket serverAccessLogsBucket where an audit trail of reads is required (the genomics example does).',
    });

    const spot = new FargateCapacity(this, 'FargateSpot', { vpc });
    const onDemand = new FargateCapacity(this, 'Fargate', { vpc, purchaseOption: PurchaseOption.ON_DEMAND });
    this.queue = JobQueue.fargateSpotFirst(this, 'Queue', spot, onDemand);
    this.resize = new Job(this, 'Resize', {
      queues: [this.queue],
      image: ecs.ContainerImage.fromRegistry(props.image ?? 'public.ecr.aws/docker/library/busybox:1.36'),
      command: [
        'sh',
        '-c',
        'echo resize item $((BATCH_PIPELINES_OFFSET + AWS_BATCH_JOB_ARRAY_INDEX)) of $BATCH_PIPELINES_MANIFEST',
      ],
      vcpus: 1,
      memory: Size.gibibytes(2),
      timeout: Duration.minutes(15),
    });
    this.resize.grantRead(this.photos, 'originals/');
    this.resize.grantRead(this.photos, 'manifests/');
    this.resize.grantWrite(this.photos, 'thumbnails/');

    const outputs: Array<[string, string, string]> = [
      ['PhotosBucket', this.photos.bucketName, 'Originals under originals/, manifests under manifests/'],
      ['Queue', this.queue.jobQueue.jobQueueName, 'batch-pipelines submit/watch --queue'],
      ['ResizeJobDefinition', this.resize.jobDefinitionName, 'batch-pipelines submit --stage resize='],
    ];
    for (const [outputId, value, description] of outputs) {
      new CfnOutput(this, `${outputId}Output`, { value, description }).overrideLogicalId(outputId);
    }
  }
}
