import { Duration, RemovalPolicy, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/**
 * The genomics pipeline written by hand with aws-cdk-lib only: the same VPC, buckets, compute environments, queues,
 * job definitions and state-machine shape (per sample align, then call-variants and qc in parallel, in a Distributed
 * Map; then aggregate), without the library's checks, escalations or monitoring. Used by `npm run bench` to compare
 * synth cost, never deployed.
 */
export class HandWrittenGenomicsStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'jobs', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const bucket = (id2: string, versioned = false) =>
      new s3.Bucket(this, id2, {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    const input = bucket('Input');
    const results = bucket('Results', true);
    bucket('AccessLogs');

    const instanceTypes = ['r5', 'r6i', 'r7i'].flatMap((f) =>
      ['xlarge', '2xlarge', '4xlarge'].map((s) => new ec2.InstanceType(`${f}.${s}`)),
    );
    const launchTemplate = (id2: string) =>
      new ec2.LaunchTemplate(this, id2, {
        requireImdsv2: true,
        httpPutResponseHopLimit: 2,
        blockDevices: [
          {
            deviceName: '/dev/xvda',
            volume: ec2.BlockDeviceVolume.ebs(50, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
          },
        ],
        userData: new ec2.MultipartUserData(),
      });
    const spot = new batch.ManagedEc2EcsComputeEnvironment(this, 'Spot', {
      vpc,
      spot: true,
      instanceTypes,
      useOptimalInstanceClasses: false,
      maxvCpus: 200,
      launchTemplate: launchTemplate('SpotTemplate'),
    });
    const onDemand = new batch.ManagedEc2EcsComputeEnvironment(this, 'OnDemand', {
      vpc,
      instanceTypes,
      useOptimalInstanceClasses: false,
      maxvCpus: 200,
      launchTemplate: launchTemplate('OnDemandTemplate'),
    });
    const standard = new batch.JobQueue(this, 'Standard', {
      priority: 10,
      computeEnvironments: [
        { computeEnvironment: spot, order: 1 },
        { computeEnvironment: onDemand, order: 2 },
      ],
    });
    const urgent = new batch.JobQueue(this, 'Urgent', {
      priority: 100,
      computeEnvironments: [{ computeEnvironment: onDemand, order: 1 }],
    });

    const logGroup = new logs.LogGroup(this, 'JobLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const job = (id2: string, vcpus: number, gib: number, hours: number) => {
      const role = new iam.Role(this, `${id2}Role`, { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      input.grantRead(role);
      results.grantReadWrite(role);
      return new batch.EcsJobDefinition(this, id2, {
        container: new batch.EcsEc2ContainerDefinition(this, `${id2}Container`, {
          image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36'),
          cpu: vcpus,
          memory: Size.gibibytes(gib),
          command: ['sh', '-c', `echo ${id2} Ref::sampleId`],
          jobRole: role,
          logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: id2 }),
        }),
        timeout: Duration.hours(hours),
        retryAttempts: 3,
        retryStrategies: [
          batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.SPOT_INSTANCE_RECLAIMED),
          batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onReason: '*' })),
        ],
      });
    };
    const align = job('Align', 4, 30, 6);
    const callVariants = job('CallVariants', 4, 15, 4);
    const qc = job('Qc', 2, 7, 1);
    const aggregate = job('Aggregate', 4, 30, 2);

    const submit = (id2: string, definition: batch.EcsJobDefinition, queue: batch.JobQueue) =>
      new tasks.BatchSubmitJob(this, id2, {
        jobName: id2,
        jobDefinitionArn: definition.jobDefinitionArn,
        jobQueueArn: queue.jobQueueArn,
        payload: sfn.TaskInput.fromObject({ 'sampleId.$': '$.sampleId' }),
        resultPath: sfn.JsonPath.DISCARD,
      });
    const perSample = submit('Submit align', align, standard).next(
      new sfn.Parallel(this, 'Call variants and QC', { resultPath: sfn.JsonPath.DISCARD })
        .branch(submit('Submit call-variants', callVariants, standard))
        .branch(submit('Submit qc', qc, standard)),
    );
    const map = new sfn.DistributedMap(this, 'For each sample', { itemsPath: '$.samples', maxConcurrency: 50 });
    map.itemProcessor(perSample);
    new sfn.StateMachine(this, 'Workflow', {
      definitionBody: sfn.DefinitionBody.fromChainable(map.next(submit('Submit aggregate', aggregate, urgent))),
      logs: { destination: new logs.LogGroup(this, 'WorkflowLogs'), level: sfn.LogLevel.ALL },
      tracingEnabled: true,
    });
  }
}
