import { Aspects, CfnOutput, Duration, RemovalPolicy, Size, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  CostReport,
  ComplianceControls,
  Ec2Capacity,
  FanOut,
  Job,
  JobProps,
  JobQueue,
  ManifestTrigger,
  PipelineBudget,
  PipelineMonitoring,
  PipelineTag,
  PurchaseOption,
  RetryPolicy,
  SharedJobResources,
  Workflow,
  WorkflowStep,
} from '../../lib';

/** How the jobs' private subnets reach AWS services and container registries. */
export enum NetworkMode {
  /**
   * One NAT gateway (~$32 a month plus $0.045 per GB) and a free S3 gateway endpoint: jobs can pull public images.
   */
  NAT = 'nat',
  /**
   * No NAT: an S3 gateway endpoint plus interface endpoints for ECR, CloudWatch Logs and ECS (~$7.30 a month each per
   * Availability Zone, 12 in all here, plus $0.01 per GB). Images must be in your private ECR.
   */
  ENDPOINTS = 'endpoints',
}

/** Container images of the four steps. */
export interface GenomicsImages {
  readonly align: string;
  readonly callVariants: string;
  readonly qc: string;
  readonly aggregate: string;
}

/** Props of the genomics example stack. */
export interface GenomicsPipelineStackProps extends StackProps {
  /**
   * How many samples are processed at once.
   * @default 50
   */
  readonly maxConcurrentJobs?: number;
  /**
   * Instance families of the capacity (memory-optimized x86, xlarge..4xlarge of each).
   * @default ['r5', 'r6i', 'r7i']
   */
  readonly instanceFamilies?: string[];
  /**
   * Container images of the steps.
   * @default - placeholder public images (`GenomicsPipelineStack.PLACEHOLDER_IMAGES`)
   */
  readonly images?: Partial<GenomicsImages>;
  /**
   * How long job and workflow logs are kept (at least a year with `compliance`).
   * @default - logs.RetentionDays.ONE_YEAR with `compliance`, else ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The controls a lab handling human DNA is asked about: a customer-managed key (rotated yearly) encrypts the input
   * and results buckets and every log group, logs are kept a year, every bucket is versioned, and instances get
   * detailed monitoring (`ComplianceControls`). It costs about $1 a month for the key plus detailed monitoring per
   * instance-hour.
   * @default true
   */
  readonly compliance?: boolean;
  /**
   * How private subnets reach AWS.
   * @default NetworkMode.NAT
   */
  readonly networkMode?: NetworkMode;
  /**
   * E-mail address that receives failure notifications and alarms.
   * @default - none; subscribe to the monitoring topic yourself
   */
  readonly notificationEmail?: string;
  /**
   * A monthly budget in US dollars for what the stack tags (`PipelineBudget`): alerts to the monitoring topic, and at
   * the cap no new runs or jobs start (running jobs finish). The `BudgetLiftCommand` output lifts the stop.
   * @default - no budget
   */
  readonly monthlyBudgetUsd?: number;
  /**
   * The roles people run `batch-pipelines` as (start, rerun, submit): at the budget's cap they may no longer start
   * work either (with `monthlyBudgetUsd`).
   * @default - none: the CLI's own credentials are not stopped (runs they start fail at their first submit)
   */
  readonly operatorRoles?: iam.IRole[];
}

/**
 * The reference workload made real: ~500 DNA samples a week, each ~4 h at up to ~30 GiB, arriving in bursts as batch
 * manifests, results in S3, up to 50 jobs at once, no instances running when idle. Built only from the library's
 * public API plus aws-cdk-lib for the surrounding pieces.
 */
export class GenomicsPipelineStack extends Stack {
  /** Placeholder images: each prints what it would do. Replace them with your tools' images. */
  public static readonly PLACEHOLDER_IMAGES: GenomicsImages = {
    align: 'public.ecr.aws/docker/library/busybox:1.36',
    callVariants: 'public.ecr.aws/docker/library/busybox:1.36',
    qc: 'public.ecr.aws/docker/library/busybox:1.36',
    aggregate: 'public.ecr.aws/docker/library/busybox:1.36',
  };

  /** The VPC jobs run in. */
  public readonly vpc: ec2.Vpc;
  /** Access logs of the other buckets. */
  public readonly logBucket: s3.Bucket;
  /** The customer-managed key of the buckets and logs, with `compliance`. */
  public readonly dataKey?: kms.Key;
  /** Samples land under `samples/`, batch manifests under `manifests/`. */
  public readonly inputBucket: s3.Bucket;
  /** Results (versioned) and checkpoints. */
  public readonly resultsBucket: s3.Bucket;
  /** Spot capacity, tried first. */
  public readonly spotCapacity: Ec2Capacity;
  /** On-Demand capacity, the fallback when Spot is short or a job keeps being interrupted. */
  public readonly onDemandCapacity: Ec2Capacity;
  /** Priority 10: Spot first, then On-Demand. Where samples normally run. */
  public readonly standardQueue: JobQueue;
  /** Priority 100: On-Demand only. Escalations and the final aggregate, which must not be interrupted. */
  public readonly urgentQueue: JobQueue;
  /** The pipeline's jobs, by step. */
  public readonly jobs: { align: Job; callVariants: Job; qc: Job; aggregate: Job };
  /** Per sample: align, then call-variants and qc in parallel; after every sample, aggregate. */
  public readonly workflow: Workflow;
  /** Starts one execution per manifest uploaded under `manifests/` (named after the manifest, so only once). */
  public readonly manifestTrigger: ManifestTrigger;
  /** Notifications, alarms and the dashboard. */
  public readonly monitoring: PipelineMonitoring;
  /** The monthly budget that stops new work at its cap, with `monthlyBudgetUsd`. */
  public readonly budget?: PipelineBudget;
  /** What the reference workload costs on this capacity, printed at synth and kept in the assembly. */
  public readonly cost: CostReport;
  /** The week priced from the workflow's steps, with the step cache's cost and saving. */
  public readonly stepCost: CostReport;

  constructor(scope: Construct, id: string, props: GenomicsPipelineStackProps = {}) {
    super(scope, id, props);
    // Access logs are delivered under a bucket policy, not ACLs, whatever the app's feature flags say.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    // The pipeline's cost-allocation tag on everything here, the NAT gateway and the buckets too (the library's
    // constructs tag theirs anyway), so batch-pipelines spend and the budget count the whole stack.
    PipelineTag.applyTo(this);
    const maxConcurrentJobs = props.maxConcurrentJobs ?? 50;
    const images = { ...GenomicsPipelineStack.PLACEHOLDER_IMAGES, ...props.images };
    const compliance = props.compliance ?? true;
    if (compliance && props.logRetention !== undefined && props.logRetention < logs.RetentionDays.ONE_YEAR) {
      throw new Error(
        `${this.node.path}: logRetention ${props.logRetention} days with compliance is not allowed; allowed: at least 365 days (compliance keeps logs a year). Fix: set logRetention to logs.RetentionDays.ONE_YEAR or longer, or compliance: false`,
      );
    }
    const logRetention =
      props.logRetention ?? (compliance ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH);
    if (compliance) {
      this.dataKey = new kms.Key(this, 'DataKey', {
        enableKeyRotation: true,
        description: 'Encrypts the genomics pipeline input and results buckets and its logs',
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Aspects.of(this).add(new ComplianceControls({ encryptionKey: this.dataKey, minLogRetention: logRetention }));
    }
    const networkMode = props.networkMode ?? NetworkMode.NAT;

    // Storage: ids of stateful resources are pinned by a test; renaming one would replace a bucket.
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3-managed keys: the log-delivery services (S3 server access logs, VPC flow logs) write here without a key
      // policy of their own, and the logs hold request metadata, not sample data.
      ...secureBucket(),
      versioned: compliance || undefined,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: Duration.days(365),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          noncurrentVersionExpiration: compliance ? Duration.days(30) : undefined,
        },
      ],
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });
    this.inputBucket = new s3.Bucket(this, 'Input', {
      ...secureBucket(this.dataKey),
      versioned: compliance || undefined,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'input/',
      lifecycleRules: [
        {
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          noncurrentVersionExpiration: compliance ? Duration.days(90) : undefined,
        },
      ],
    });
    // Send object events to EventBridge. The L2's eventBridgeEnabled deploys a Lambda-backed custom resource to do
    // this; the bucket's own NotificationConfiguration does it with no Lambda to run or patch.
    (this.inputBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    this.resultsBucket = new s3.Bucket(this, 'Results', {
      ...secureBucket(this.dataKey),
      versioned: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'results/',
      lifecycleRules: [
        {
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          noncurrentVersionExpiration: Duration.days(90),
        },
        // Checkpoints only matter while a run is going.
        { prefix: 'checkpoints/', expiration: Duration.days(14) },
      ],
    });

    this.vpc = this.createNetwork(networkMode);

    // Capacity: one sample is 4 vCPU and 30 GiB, which fits a 32 GiB r-family xlarge (a 32 GiB request would not).
    const sample = { vcpus: 4, memory: Size.gibibytes(30) };
    const families = props.instanceFamilies ?? ['r5', 'r6i', 'r7i'];
    const instanceTypes = families.flatMap((f) =>
      ['xlarge', '2xlarge', '4xlarge'].map((size) => new ec2.InstanceType(`${f}.${size}`)),
    );
    this.spotCapacity = new Ec2Capacity(this, 'SpotCapacity', {
      vpc: this.vpc,
      purchaseOption: PurchaseOption.SPOT,
      instanceTypes,
      concurrentJobs: { jobs: maxConcurrentJobs, resources: sample },
    });
    this.onDemandCapacity = new Ec2Capacity(this, 'OnDemandCapacity', {
      vpc: this.vpc,
      purchaseOption: PurchaseOption.ON_DEMAND,
      instanceTypes,
      concurrentJobs: { jobs: maxConcurrentJobs, resources: sample },
    });
    this.standardQueue = JobQueue.spotFirst(this, 'StandardQueue', this.spotCapacity, this.onDemandCapacity, {
      priority: 10,
    });
    this.urgentQueue = new JobQueue(this, 'UrgentQueue', { capacities: [this.onDemandCapacity], priority: 100 });

    // Jobs: each has a role of its own, limited to the prefixes its step reads and writes.
    const shared = new SharedJobResources(this, 'JobResources', { logRetention });
    const queues = [this.standardQueue, this.urgentQueue];
    const job = (jobId: string, props2: Omit<JobProps, 'queues' | 'shared' | 'jobRole'>) =>
      new Job(this, jobId, {
        queues,
        shared,
        jobRole: new iam.Role(this, `${jobId}Role`, {
          assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
          description: `Batch job ${jobId} of the genomics pipeline`,
        }),
        ...props2,
      });
    this.jobs = {
      align: job('Align', {
        image: ecs.ContainerImage.fromRegistry(images.align),
        command: ['sh', '-c', 'echo align Ref::sampleId from Ref::inputUri to Ref::outputUri'],
        ...sample,
        timeout: Duration.hours(6),
        retryPolicy: RetryPolicy.spotInterruptions(3),
      }),
      callVariants: job('CallVariants', {
        image: ecs.ContainerImage.fromRegistry(images.callVariants),
        command: ['sh', '-c', 'echo call-variants Ref::sampleId into Ref::outputUri'],
        vcpus: 4,
        memory: Size.gibibytes(15),
        timeout: Duration.hours(4),
      }),
      qc: job('Qc', {
        image: ecs.ContainerImage.fromRegistry(images.qc),
        command: ['sh', '-c', 'echo qc Ref::sampleId'],
        vcpus: 2,
        memory: Size.gibibytes(7),
        timeout: Duration.hours(1),
      }),
      aggregate: new Job(this, 'Aggregate', {
        // One job after every sample: run it On-Demand, where an interruption cannot lose the whole run's tail.
        queues: [this.urgentQueue],
        shared,
        jobRole: new iam.Role(this, 'AggregateRole', {
          assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
          description: 'Batch job Aggregate of the genomics pipeline',
        }),
        image: ecs.ContainerImage.fromRegistry(images.aggregate),
        command: ['sh', '-c', 'echo aggregate'],
        vcpus: 4,
        memory: Size.gibibytes(30),
        timeout: Duration.hours(2),
      }),
    };
    this.jobs.align.grantRead(this.inputBucket, 'samples/');
    this.jobs.align.grantWrite(this.resultsBucket, 'aligned/');
    this.jobs.callVariants.grantRead(this.resultsBucket, 'aligned/');
    this.jobs.callVariants.grantWrite(this.resultsBucket, 'variants/');
    this.jobs.qc.grantRead(this.resultsBucket, 'aligned/');
    this.jobs.qc.grantWrite(this.resultsBucket, 'qc/');
    this.jobs.aggregate.grantRead(this.resultsBucket, 'variants/');
    this.jobs.aggregate.grantRead(this.resultsBucket, 'qc/');
    this.jobs.aggregate.grantWrite(this.resultsBucket, 'cohort/');

    // Workflow: one execution per manifest, a JSON array of { sampleId, inputUri, outputUri }. Every sample's outcome
    // goes to S3 under runs/ (the result files list failed samples with their reasons); the cohort step runs over the
    // samples that succeeded unless more than 10% failed (the default policy), and reads which from SAMPLES_RESULTS.
    const samples = new FanOut('samples', {
      idField: 'sampleId',
      itemFields: ['sampleId', 'inputUri', 'outputUri'],
      maxConcurrency: maxConcurrentJobs,
      manifest: { bucket: this.inputBucket, prefix: 'manifests/' },
      results: { bucket: this.resultsBucket, prefix: 'runs/' },
      // A sample's reads uploaded again under the same URI run align (and what follows) again: their ETag is in
      // align's step-cache key.
      inputObjects: [{ field: 'inputUri', bucket: this.inputBucket, prefix: 'samples/' }],
    });
    const checkpoint = { bucket: this.resultsBucket, prefix: 'checkpoints/' };
    // In a Spot drought a sample waits at most an hour for Spot at each step, then runs On-Demand (and its later
    // steps too); while the Spot capacity is merely full, samples wait their turn.
    const spotWaitLimit = Duration.hours(1);
    const align = new WorkflowStep('align', { job: this.jobs.align, forEach: samples, checkpoint, spotWaitLimit });
    const callVariants = new WorkflowStep('callVariants', {
      job: this.jobs.callVariants,
      forEach: samples,
      dependsOn: [align],
      checkpoint,
      spotWaitLimit,
    });
    const qc = new WorkflowStep('qc', { job: this.jobs.qc, forEach: samples, dependsOn: [align], spotWaitLimit });
    const aggregate = new WorkflowStep('aggregate', { job: this.jobs.aggregate, dependsOn: [callVariants, qc] });
    this.workflow = new Workflow(this, 'Workflow', {
      steps: [align, callVariants, qc, aggregate],
      logRetention,
    });

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      queues: [this.standardQueue, this.urgentQueue],
      workflow: this.workflow,
      notificationEmail: props.notificationEmail,
      logRetention,
    });
    // Sporadic arrivals: a manifest uploaded under manifests/ starts one run over its samples, once per upload even
    // when S3 delivers the event twice; a manifest whose run cannot be started is kept and alarmed on.
    this.manifestTrigger = new ManifestTrigger(this, 'ManifestTrigger', {
      workflow: this.workflow,
      alarmTopic: this.monitoring.topic,
      logRetention,
    });
    if (props.monthlyBudgetUsd !== undefined) {
      this.budget = new PipelineBudget(this, 'Budget', {
        monthlyLimitUsd: props.monthlyBudgetUsd,
        workflow: this.workflow,
        topic: this.monitoring.topic,
        triggers: [this.manifestTrigger],
        operatorRoles: props.operatorRoles,
      });
    }

    // 500 samples a week (2,167 a month), 4 h each, at the configured concurrency; jobs checkpoint.
    this.cost = new CostReport(this, 'CostEstimate', {
      workload: { itemsPerMonth: (500 * 52) / 12, hoursPerItem: 4, ...sample, maxConcurrency: maxConcurrentJobs },
      capacity: this.spotCapacity,
      assumptions: { checkpointing: true },
      includeFixedCosts: true,
    });
    // The same week priced step by step from the workflow: each step on its queue's capacity, the state transitions,
    // and what the step cache costs and saves (align's typical 4 h; the other steps at their timeouts, an upper bound).
    this.stepCost = new CostReport(this, 'StepCostEstimate', {
      workflow: this.workflow,
      itemsPerMonth: (500 * 52) / 12,
      runtimes: { align: Duration.hours(4) },
    });
    // What the README's commands need, printed by `cdk deploy` (and in the stack's Outputs): bucket names, the
    // workflow to start and rerun, the queues `submit`/`watch`/`diagnose`/`cancel` take, the topic to subscribe to.
    const outputs: Array<[string, string, string]> = [
      ['InputBucket', this.inputBucket.bucketName, 'Upload samples under samples/ and manifests under manifests/'],
      ['ResultsBucket', this.resultsBucket.bucketName, 'Per-sample results, run outcomes under runs/'],
      [
        'WorkflowStateMachineArn',
        this.workflow.stateMachine.stateMachineArn,
        'batch-pipelines start --state-machine-arn',
      ],
      ['StandardQueue', this.standardQueue.jobQueue.jobQueueName, 'batch-pipelines submit/watch/diagnose --queue'],
      ['UrgentQueue', this.urgentQueue.jobQueue.jobQueueName, 'On-Demand queue: escalations and the cohort step'],
      ['NotificationTopicArn', this.monitoring.topic.topicArn, 'Subscribe a person to failures and run outcomes'],
      ['NotStartedQueueUrl', this.manifestTrigger.deadLetterQueue.queueUrl, 'Manifests whose run could not start'],
      ...(this.budget
        ? [
            ['BudgetLiftCommand', this.budget.liftCommand, 'Lifts the budget stop (raise monthlyBudgetUsd first)'] as [
              string,
              string,
              string,
            ],
          ]
        : []),
    ];
    for (const [id, value, description] of outputs) {
      // Named as the README names them (the construct id differs from the queues' own).
      new CfnOutput(this, `${id}Output`, { value, description }).overrideLogicalId(id);
    }
  }

  private createNetwork(mode: NetworkMode): ec2.Vpc {
    const nat = mode === NetworkMode.NAT;
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: nat ? 1 : 0,
      subnetConfiguration: nat
        ? [
            // Only the NAT gateways live here, on their own Elastic IPs: nothing gets a public address by default.
            { name: 'public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
            { name: 'jobs', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          ]
        : [{ name: 'jobs', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      // Nothing uses the default security group; locking it down would deploy a Lambda-backed custom resource.
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toS3(this.logBucket, 'vpc-flow-logs/'),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    // VPC flow-log delivery writes with the log-delivery service. CloudFormation owns this bucket's policy: the
    // statements the service adds on its own when the first flow log is created would be removed by the next update of
    // the policy (a new log prefix, say), and flow logs would stop silently. So they are declared here, as the VPC
    // docs give them. https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html
    const logDelivery = {
      StringEquals: { 'aws:SourceAccount': this.account },
      ArnLike: { 'aws:SourceArn': `arn:${this.partition}:logs:${this.region}:${this.account}:*` },
    };
    this.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSLogDeliveryWrite',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.logBucket.arnForObjects(`vpc-flow-logs/AWSLogs/${this.account}/*`)],
        conditions: {
          ...logDelivery,
          StringEquals: { ...logDelivery.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' },
        },
      }),
    );
    this.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSLogDeliveryAclCheck',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['s3:GetBucketAcl', 's3:ListBucket'],
        resources: [this.logBucket.bucketArn],
        conditions: logDelivery,
      }),
    );
    if (!nat) {
      for (const [name, service] of [
        ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
        ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
        ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
        ['Ecs', ec2.InterfaceVpcEndpointAwsService.ECS],
        ['EcsAgent', ec2.InterfaceVpcEndpointAwsService.ECS_AGENT],
        ['EcsTelemetry', ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY],
      ] as const) {
        vpc.addInterfaceEndpoint(name, { service });
      }
    }
    return vpc;
  }
}

/** Encrypted, private, TLS-only, kept when the stack is deleted. */
function secureBucket(key?: kms.IKey): s3.BucketProps {
  return {
    ...(key
      ? // Bucket keys cut the KMS requests (and their cost) of many small objects.
        { encryption: s3.BucketEncryption.KMS, encryptionKey: key, bucketKeyEnabled: true }
      : { encryption: s3.BucketEncryption.S3_MANAGED }),
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    removalPolicy: RemovalPolicy.RETAIN,
  };
}
