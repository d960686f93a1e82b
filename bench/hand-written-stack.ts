import { Duration, RemovalPolicy, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/**
 * The genomics pipeline written by hand with aws-cdk-lib only: the same VPC (with flow logs), buckets (with access
 * logs), compute environments, queues, job definitions and state-machine shape (per sample align, then call-variants
 * and qc in parallel, in a Distributed Map; then aggregate), the same manifest trigger and the same kind of
 * monitoring (job events to logs and metrics, failure notifications through an encrypted topic, alarms, a
 * dashboard), the way aws-cdk-lib's L2s make them; without the library's checks and escalations. Used by
 * `npm run bench` to compare synth cost, never deployed.
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
    vpc.addFlowLog('FlowLogs', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', { retention: logs.RetentionDays.ONE_MONTH }),
      ),
    });
    const bucket = (id2: string, props: s3.BucketProps = {}) =>
      new s3.Bucket(this, id2, {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        removalPolicy: RemovalPolicy.RETAIN,
        ...props,
      });
    const accessLogs = bucket('AccessLogs');
    const input = bucket('Input', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'input/',
      eventBridgeEnabled: true,
    });
    const results = bucket('Results', {
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'results/',
    });

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
    const workflow = new sfn.StateMachine(this, 'Workflow', {
      definitionBody: sfn.DefinitionBody.fromChainable(map.next(submit('Submit aggregate', aggregate, urgent))),
      logs: { destination: new logs.LogGroup(this, 'WorkflowLogs'), level: sfn.LogLevel.ALL },
      tracingEnabled: true,
    });

    // A manifest uploaded under manifests/ starts a run.
    new events.Rule(this, 'ManifestUploaded', {
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [input.bucketName] }, object: { key: [{ wildcard: 'manifests/*.json' }] } },
      },
      targets: [
        new targets.SfnStateMachine(workflow, {
          input: events.RuleTargetInput.fromObject({
            manifest: {
              bucket: events.EventField.fromPath('$.detail.bucket.name'),
              key: events.EventField.fromPath('$.detail.object.key'),
            },
          }),
        }),
      ],
    });

    // Monitoring: job events to a log group with metric filters, failure notifications, alarms and a dashboard.
    const queues = [standard.jobQueueArn, urgent.jobQueueArn];
    const topic = new sns.Topic(this, 'Alerts', {
      masterKey: new kms.Key(this, 'AlertsKey', { enableKeyRotation: true }),
      enforceSSL: true,
    });
    const jobEvents = new logs.LogGroup(this, 'JobEvents', { retention: logs.RetentionDays.ONE_MONTH });
    new events.Rule(this, 'JobStateChanges', {
      eventPattern: { source: ['aws.batch'], detailType: ['Batch Job State Change'], detail: { jobQueue: queues } },
      targets: [new targets.CloudWatchLogGroup(jobEvents)],
    });
    const metrics: Record<string, string> = {
      JobsSubmitted: '{ $.detail.status = "SUBMITTED" }',
      JobsStarted: '{ $.detail.status = "RUNNING" }',
      JobsSucceeded: '{ $.detail.status = "SUCCEEDED" }',
      JobsFailed: '{ $.detail.status = "FAILED" }',
      SpotInterruptions: '{ $.detail.statusReason = "Host EC2*" }',
    };
    const metric = (name: string) =>
      new cloudwatch.Metric({ namespace: 'Genomics', metricName: name, statistic: 'Sum', period: Duration.hours(1) });
    for (const [name, pattern] of Object.entries(metrics)) {
      new logs.MetricFilter(this, `${name}Filter`, {
        logGroup: jobEvents,
        filterPattern: logs.FilterPattern.literal(pattern),
        metricNamespace: 'Genomics',
        metricName: name,
        metricValue: '1',
      });
    }
    const notifier = new sfn.StateMachine(this, 'Notifier', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromChainable(
        new tasks.SnsPublish(this, 'Publish', {
          topic,
          subject: sfn.JsonPath.format('Batch job {} failed', sfn.JsonPath.stringAt('$.detail.jobName')),
          message: sfn.TaskInput.fromText(
            sfn.JsonPath.format(
              'Reason: {}\nJob: {}\nQueue: {}',
              sfn.JsonPath.stringAt('$.detail.statusReason'),
              sfn.JsonPath.stringAt('$.detail.jobId'),
              sfn.JsonPath.stringAt('$.detail.jobQueue'),
            ),
          ),
        }),
      ),
      logs: { destination: new logs.LogGroup(this, 'NotifierLogs'), level: sfn.LogLevel.ERROR },
    });
    new events.Rule(this, 'JobFailed', {
      eventPattern: {
        source: ['aws.batch'],
        detailType: ['Batch Job State Change'],
        detail: { jobQueue: queues, status: ['FAILED'] },
      },
      targets: [new targets.SfnStateMachine(notifier)],
    });
    new events.Rule(this, 'WorkflowFailed', {
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [workflow.stateMachineArn], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      targets: [new targets.SnsTopic(topic)],
    });
    const alarms = [
      new cloudwatch.Alarm(this, 'Stuck', {
        metric: metric('JobsStarted'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'SpotInterruptions', {
        metric: metric('SpotInterruptions'),
        threshold: 3,
        evaluationPeriods: 1,
      }),
      new cloudwatch.Alarm(this, 'JobFailures', { metric: metric('JobsFailed'), threshold: 1, evaluationPeriods: 1 }),
      new cloudwatch.Alarm(this, 'WorkflowFailedAlarm', {
        metric: workflow.metricFailed(),
        threshold: 1,
        evaluationPeriods: 1,
      }),
      new cloudwatch.Alarm(this, 'WorkflowTimedOut', {
        metric: workflow.metricTimedOut(),
        threshold: 1,
        evaluationPeriods: 1,
      }),
      new cloudwatch.Alarm(this, 'WorkflowThrottled', {
        metric: workflow.metricThrottled(),
        threshold: 1,
        evaluationPeriods: 1,
      }),
      new cloudwatch.Alarm(this, 'NotifierFailed', {
        metric: notifier.metricFailed(),
        threshold: 1,
        evaluationPeriods: 1,
      }),
    ];
    alarms.forEach((a) => a.addAlarmAction(new actions.SnsAction(topic)));
    new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Jobs',
            left: ['JobsSubmitted', 'JobsStarted', 'JobsSucceeded', 'JobsFailed'].map(metric),
          }),
          new cloudwatch.GraphWidget({ title: 'Spot interruptions', left: [metric('SpotInterruptions')] }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Workflow',
            left: [workflow.metricStarted(), workflow.metricSucceeded(), workflow.metricFailed()],
          }),
        ],
        [
          new cloudwatch.LogQueryWidget({
            title: 'Failed jobs',
            logGroupNames: [jobEvents.logGroupName],
            queryLines: ['fields @timestamp, detail.jobName, detail.statusReason', 'filter detail.status = "FAILED"'],
          }),
        ],
      ],
    });
  }
}
