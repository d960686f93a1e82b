import { App, CfnElement, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ContextError, genomicsPropsFromContext } from '../../examples/genomics/context';
import { GenomicsPipelineStack, NetworkMode } from '../../examples/genomics/genomics-pipeline-stack';
import { aslOf } from '../support/asl';
import { runLocally, threeSamples } from '../support/pipeline';
import { synthValidated, validatingApp } from '../support/synth';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (d: unknown) => { isValid: boolean };

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;

describe('GenomicsPipelineStack', () => {
  // Synthesized once, with the CloudFormation validator (findings are errors) and cdk-nag's AWS Solutions checks on,
  // and shared by the assertions below. Either finding anything fails the synth, and so this whole suite.
  const app = validatingApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new GenomicsPipelineStack(app, 'Genomics');
  const template: Template = synthValidated(app, stack);
  const resources = template.toJSON().Resources as Resources;
  const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);

  test('passes cdk-nag AwsSolutions with every acknowledgement naming one finding and a reason', () => {
    // The synth above ran cdk-nag and would have thrown on any unacknowledged finding.
    const acks: Array<[string, string]> = [];
    const visit = (c: IConstruct) => {
      for (const m of c.node.metadata) {
        if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          acks.push(...(Object.entries(m.data as Record<string, string>) as Array<[string, string]>));
        }
      }
      c.node.children.forEach(visit);
    };
    visit(stack);
    const nag = acks
      .map(([id, reason]) => [id.replace(/^[A-Za-z]+::/, ''), reason] as const)
      .filter(([id]) => id.startsWith('AwsSolutions-'));
    expect(nag.length).toBeGreaterThan(0);
    for (const [id, reason] of nag) {
      // A bare rule id only for a rule that reports no sub-findings (S1: the access-log bucket is not itself logged;
      // SQS3: the dead-letter queue has none of its own).
      expect(
        id === 'AwsSolutions-S1' ||
          id === 'AwsSolutions-SQS3' ||
          /^AwsSolutions-IAM5\[(Resource|Action)::.+\]$/.test(id),
      ).toBe(true);
      expect(reason.length).toBeGreaterThan(30);
    }
  });

  test('has a Spot environment (price-capacity optimized, scales to zero) and an On-Demand one', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        Type: 'SPOT',
        AllocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED',
        MinvCpus: 0,
      }),
    });
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Type: 'EC2', AllocationStrategy: 'BEST_FIT_PROGRESSIVE', MinvCpus: 0 }),
    });
    const envs = ofType('AWS::Batch::ComputeEnvironment').map(([, r]) => r.Properties.ComputeResources as never);
    expect(envs.map((e: { MaxvCpus: number }) => e.MaxvCpus)).toEqual([200, 200]); // 50 x 4 vCPU / 30 GiB
  });

  test('instances: IMDSv2 only, encrypted volumes, private subnets, no inbound rules', () => {
    for (const [, lt] of ofType('AWS::EC2::LaunchTemplate')) {
      const data = lt.Properties.LaunchTemplateData as {
        MetadataOptions: { HttpTokens: string };
        BlockDeviceMappings: Array<{ Ebs: { Encrypted: boolean } }>;
        NetworkInterfaces?: unknown;
      };
      expect(data.MetadataOptions.HttpTokens).toBe('required');
      data.BlockDeviceMappings.forEach((b) => expect(b.Ebs.Encrypted).toBe(true));
      expect(data.NetworkInterfaces).toBeUndefined();
    }
    const privateSubnets = ofType('AWS::EC2::Subnet')
      .filter(([, s]) => s.Properties.MapPublicIpOnLaunch === false)
      .map(([id]) => id);
    for (const [, ce] of ofType('AWS::Batch::ComputeEnvironment')) {
      const subnets = (ce.Properties.ComputeResources as { Subnets: Array<{ Ref: string }> }).Subnets;
      subnets.forEach((s) => expect(privateSubnets).toContain(s.Ref));
    }
    expect(ofType('AWS::EC2::SecurityGroupIngress')).toEqual([]);
    for (const [, sg] of ofType('AWS::EC2::SecurityGroup')) {
      expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    }
  });

  test('IAM: no Action "*", and Resource "*" only in the statements that have no narrower resource', () => {
    const statements = [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::Role')].flatMap(([, r]) => [
      ...((r.Properties.PolicyDocument as { Statement: unknown[] } | undefined)?.Statement ?? []),
      ...((r.Properties.Policies as Array<{ PolicyDocument: { Statement: unknown[] } }> | undefined) ?? []).flatMap(
        (p) => p.PolicyDocument.Statement,
      ),
    ]) as Array<{ Action: string | string[]; Resource: unknown }>;
    const allowedStar = [
      'batch:DescribeJobs', // no resource-level permissions
      'batch:ListJobs', // no resource-level permissions (the queue probe)
      'cloudwatch:PutMetricData', // limited to the library's namespace by a condition (the queue probe)
      'xray:PutTraceSegments',
      'logs:CreateLogDelivery', // Step Functions log delivery
      'ec2:DescribeTags', // ECS container-instance role (AmazonEC2ContainerServiceforEC2Role written out)
    ];
    for (const s of statements) {
      const actions = ([] as string[]).concat(s.Action);
      expect(actions).not.toContain('*');
      if (s.Resource === '*') {
        expect(actions.some((a) => allowedStar.includes(a))).toBe(true);
      }
    }
  });

  test('buckets: encrypted, public access blocked, TLS only, retained, logged, versioned; data under the lab key', () => {
    const [[dataKeyId]] = ofType('AWS::KMS::Key').filter(([id]) => id.startsWith('DataKey'));
    const byKey = {
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [dataKeyId, 'Arn'] } },
      BucketKeyEnabled: true,
    };
    const s3Managed = { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } };
    for (const [id, encryption] of [
      ['Input49F21B70', byKey],
      ['Results25575328', byKey],
      // The log-delivery services write the access-log bucket without a key policy of their own.
      ['AccessLogs8B620ECA', s3Managed],
    ] as const) {
      const b = resources[id];
      expect(b).toMatchObject({
        Type: 'AWS::S3::Bucket',
        DeletionPolicy: 'Retain',
        Properties: {
          BucketEncryption: { ServerSideEncryptionConfiguration: [encryption] },
          VersioningConfiguration: { Status: 'Enabled' },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    expect(resources.Input49F21B70.Properties.LoggingConfiguration).toMatchObject({ LogFilePrefix: 'input/' });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'results/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
          }),
        ]),
      },
    });
  });

  test('compliance: every log group under the lab key and kept a year; instances with detailed monitoring', () => {
    const [[dataKeyId, dataKey]] = ofType('AWS::KMS::Key').filter(([id]) => id.startsWith('DataKey'));
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(6);
    for (const [, g] of groups) {
      expect(g.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [dataKeyId, 'Arn'] });
      expect(g.Properties.RetentionInDays).toBe(365);
    }
    // CloudWatch Logs may use the key for log groups of this account and Region only.
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    const statements = (dataKey.Properties.KeyPolicy as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'CloudWatchLogsEncryptLogGroups',
          Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
          Condition: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':logs:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':log-group:*',
                  ],
                ],
              },
            },
          },
        }),
        expect.objectContaining({ Sid: 'GrantsOnlyForAwsServices', Effect: 'Deny', Action: 'kms:CreateGrant' }),
      ]),
    );
    expect(dataKey.Properties.EnableKeyRotation).toBe(true);
    for (const [, lt] of ofType('AWS::EC2::LaunchTemplate')) {
      expect((lt.Properties.LaunchTemplateData as { Monitoring?: unknown }).Monitoring).toEqual({ Enabled: true });
    }
  });

  test('flow logs: the log-delivery statements are part of the bucket policy CloudFormation manages', () => {
    // Without them the service's own statements would be dropped by the next policy update, and delivery would stop.
    // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html
    const [[flowLogId, flowLog]] = ofType('AWS::EC2::FlowLog');
    const destination = flowLog.Properties as {
      LogDestinationType: string;
      LogDestination: { 'Fn::Join': [string, [{ 'Fn::GetAtt': [string, string] }, string]] };
    };
    expect(destination.LogDestinationType).toBe('s3');
    const logBucket = destination.LogDestination['Fn::Join'][1][0]['Fn::GetAtt'][0];
    const [[policyId, policy]] = ofType('AWS::S3::BucketPolicy').filter(
      ([, p]) => (p.Properties.Bucket as { Ref: string }).Ref === logBucket,
    );
    expect((flowLog as { DependsOn?: string[] }).DependsOn).toContain(policyId);
    const statements = (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
    const source = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*'],
          ],
        },
      },
    };
    expect(statements.find((st) => st.Sid === 'AWSLogDeliveryWrite')).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Action: 's3:PutObject',
      Condition: {
        ...source,
        StringEquals: { ...source.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' },
      },
    });
    expect(JSON.stringify(statements.find((st) => st.Sid === 'AWSLogDeliveryWrite')!.Resource)).toContain(
      '/vpc-flow-logs/AWSLogs/',
    );
    expect(statements.find((st) => st.Sid === 'AWSLogDeliveryAclCheck')).toMatchObject({
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Action: ['s3:GetBucketAcl', 's3:ListBucket'],
      Resource: { 'Fn::GetAtt': [logBucket, 'Arn'] },
      Condition: source,
    });
    expect(flowLogId).toMatch(/FlowLog/);
  });

  test("outputs give what the README's commands take: buckets, the workflow, the queues, the topic", () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'InputBucket',
        'NotStartedQueueUrl',
        'NotificationTopicArn',
        'ResultsBucket',
        'StandardQueue',
        'UrgentQueue',
        'WorkflowStateMachineArn',
      ].sort(),
    );
    expect(outputs.WorkflowStateMachineArn.Value).toEqual({
      Ref: stack.getLogicalId(stack.workflow.stateMachine.node.defaultChild as CfnElement),
    });
  });

  test('stateful resources keep their logical ids (a rename would replace them)', () => {
    const pinned: Record<string, string> = {
      AccessLogs8B620ECA: 'AWS::S3::Bucket',
      Input49F21B70: 'AWS::S3::Bucket',
      Results25575328: 'AWS::S3::Bucket',
      JobResourcesLogsF9F6FF90: 'AWS::Logs::LogGroup',
      WorkflowLogs8B0907C7: 'AWS::Logs::LogGroup',
    };
    for (const [id, type] of Object.entries(pinned)) {
      expect(resources[id]?.Type).toBe(type);
    }
  });

  test('a manifest uploaded under manifests/ starts one run over its samples, through the named starter, with no Lambda', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: 'Input49F21B70' }] }, object: { key: [{ wildcard: 'manifests/*.json' }] } },
      },
      // The whole event goes to the starter, which names the run after bucket, key and ETag and starts the workflow.
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^ManifestTriggerStarter') } })],
    });
    expect(resources.Input49F21B70.Properties.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    expect(ofType('AWS::Lambda::Function')).toEqual([]);
  });

  test('the workflow: per sample align, then call-variants and qc in parallel; aggregate after all; 50 at once', async () => {
    expect(stack.workflow.toMermaid()).toContain('Distributed Map, 50 at once');
    const asl = aslOf(template);
    expect(aslValidator(asl).isValid).toBe(true);
    const run = await runLocally(stack, {
      manifest: { bucket: 'input', key: 'manifests/batch-1.json' },
      manifestItems: threeSamples.samples,
    });
    expect(run.error).toBeUndefined();
    // Jobs are named after the run, their step and their sample's index.
    expect(run.calls.filter((c) => c.state === 'align').map((c) => c.input.JobName)).toEqual([
      'run-1-align-0',
      'run-1-align-1',
      'run-1-align-2',
    ]);
    const aggregate = run.calls[run.calls.length - 1];
    expect(aggregate.input.JobName).toBe('run-1-aggregate');
    expect(aggregate.input.JobQueue).toContain('UrgentQueue');
    // The cohort step is told where the samples' outcomes are.
    expect(aggregate.input.ContainerOverrides?.Environment).toEqual([
      { Name: 'SAMPLES_RESULTS', Value: 's3://results-bucket/results/local-run/manifest.json' },
    ]);
    expect(run.output!.samplesSummary).toMatchObject({ status: 'SUCCEEDED', items: 3, failed: 0, succeeded: 3 });
  });

  test('deploys leave running work alone: old job definition revisions stay, compute updates wait out the longest job', () => {
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-jobdefinition-resourceretentionpolicy.html
    for (const [, definition] of ofType('AWS::Batch::JobDefinition')) {
      expect(definition.Properties.ResourceRetentionPolicy).toEqual({ SkipDeregisterOnUpdate: true });
    }
    // align may run 6 hours: an infrastructure update lets running jobs finish for 360 minutes, not Batch's 30.
    // https://docs.aws.amazon.com/batch/latest/userguide/updating-compute-environments.html
    for (const [, environment] of ofType('AWS::Batch::ComputeEnvironment')) {
      expect(environment.Properties.UpdatePolicy).toEqual({
        JobExecutionTimeoutMinutes: 360,
        TerminateJobsOnUpdate: false,
      });
    }
  });

  test('a manifest whose run cannot start is retried for a day, then kept in a dead-letter queue that alarms to the topic', () => {
    const [, rule] = ofType('AWS::Events::Rule').find(([id]) => id.startsWith('ManifestTriggerUploaded'))!;
    expect((rule.Properties.Targets as unknown[])[0]).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ManifestTriggerNotStarted/), 'Arn'] } },
    });
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(([id]) => id.startsWith('ManifestTrigger'));
    expect(alarms.map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'ManifestTriggerManifestNotStarted',
      'ManifestTriggerStarterFailed',
    ]);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^MonitoringTopic/) }]);
    }
  });

  test('matches the reviewed snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('GenomicsPipelineStack context', () => {
  test('synthesizes with non-default values', () => {
    const app = new App({
      builtinCloudFormationValidation: false,
      context: {
        maxConcurrentJobs: '20',
        instanceFamilies: 'r6i,r7i',
        alignImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/bwa:0.7.17',
        logRetentionDays: '90',
        networkMode: 'endpoints',
        compliance: 'false',
      },
    });
    const props = genomicsPropsFromContext(app);
    expect(props).toMatchObject({
      maxConcurrentJobs: 20,
      instanceFamilies: ['r6i', 'r7i'],
      networkMode: NetworkMode.ENDPOINTS,
    });
    const stack = new GenomicsPipelineStack(app, 'Custom', props);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 7); // S3 gateway + 6 interface endpoints
    t.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        MaxvCpus: 80,
        InstanceTypes: Match.arrayWith(['r6i.xlarge', 'r7i.4xlarge']),
      }),
    });
    t.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/bwa:0.7.17' }),
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    // Without compliance: S3-managed keys, no customer-managed key for data.
    t.resourceCountIs('AWS::KMS::Key', 1); // the monitoring topic's
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  test('compliance with logs kept less than a year is refused, naming both ways out', () => {
    expect(() => new GenomicsPipelineStack(new App(), 'Short', { logRetention: logs.RetentionDays.ONE_MONTH })).toThrow(
      'Short: logRetention 30 days with compliance is not allowed; allowed: at least 365 days (compliance keeps logs a year). Fix: set logRetention to logs.RetentionDays.ONE_YEAR or longer, or compliance: false',
    );
  });

  test.each([
    [
      'maxConcurrentJobs',
      'many',
      "cdk context maxConcurrentJobs: 'many' is not allowed; allowed: a whole number from 1 to 1000. Fix: e.g. -c maxConcurrentJobs=50",
    ],
    [
      'maxConcurrentJobs',
      '0',
      "cdk context maxConcurrentJobs: '0' is not allowed; allowed: a whole number from 1 to 1000. Fix: e.g. -c maxConcurrentJobs=50",
    ],
    [
      'instanceFamilies',
      'r6i,c6i',
      "cdk context instanceFamilies: 'c6i' is not allowed; allowed: comma-separated memory-optimized x86 families the catalog knows (r5, r6i, r7i). Fix: e.g. -c instanceFamilies=r6i,r7i",
    ],
    [
      'logRetentionDays',
      '31',
      "cdk context logRetentionDays: '31' is not allowed; allowed: one of CloudWatch Logs retention periods in days (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, …). Fix: e.g. -c logRetentionDays=30",
    ],
    [
      'networkMode',
      'vpn',
      "cdk context networkMode: 'vpn' is not allowed; allowed: 'nat' or 'endpoints'. Fix: e.g. -c networkMode=endpoints",
    ],
    [
      'alignImage',
      'not an image!',
      "cdk context alignImage: 'not an image!' is not allowed; allowed: a container image reference. Fix: e.g. -c alignImage=123456789012.dkr.ecr.us-east-1.amazonaws.com/align:1.0",
    ],
  ])('rejects %s=%s', (key, value, message) => {
    const app = new App({ context: { [key]: value } });
    expect(() => genomicsPropsFromContext(app)).toThrow(ContextError);
    expect(() => genomicsPropsFromContext(app)).toThrow(message);
  });
});

describe('the checks the example passes are live', () => {
  // Without these, "the example passes cdk-nag and the validator" could mean the plugins never ran.
  test('cdk-nag, set up as above, fails synth on a finding', () => {
    const app = validatingApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Unsafe');
    new s3.Bucket(stack, 'NoLogsNoTls');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  test('the CloudFormation validator, set up as above, fails synth on an invalid template', () => {
    const app = validatingApp();
    const stack = new Stack(app, 'Invalid');
    new CfnResource(stack, 'Queue', { type: 'AWS::Batch::JobQueue', properties: { Priority: 'high', Bogus: 1 } });
    expect(() => app.synth()).toThrow(/Bogus/);
  });
});
