import { AwsSolutionsChecks } from 'cdk-nag';
import { App, Annotations as CdkAnnotations, CfnElement, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  BatchPipelinesValidationError,
  CapacityPlatform,
  Ec2Capacity,
  IJobQueue,
  Job,
  JobProps,
  JobQueue,
  PurchaseOption,
  RetryAction,
  RetryPolicy,
  SharedJobResources,
} from '../../lib';
import { capacities, errorOf } from '../support/capacity';
import { validationFindings } from '../support/synth';
import { stackWithVpc } from '../support/stacks';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');

function setup() {
  const { app, stack, vpc } = stackWithVpc();
  const c = capacities(stack, vpc);
  const queue = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
  const fargateQueue = JobQueue.fargateSpotFirst(stack, 'FargateQueue', c.fargateSpot, c.fargate);
  return { app, stack, vpc, c, queue, fargateQueue };
}

function job(scope: Stack, queue: IJobQueue, extra: Partial<JobProps> = {}, id = 'Align'): Job {
  return new Job(scope, id, { queues: [queue], image, vcpus: 4, memory: Size.gibibytes(30), ...extra });
}

function warnings(stack: Stack, id: string): string[] {
  return Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp(id))
    .map((w) => String(w.entry.data));
}

describe('Job defaults on EC2', () => {
  const { stack, queue } = setup();
  const j = job(stack, queue, { command: ['align', 'Ref::sample'] });
  const template = Template.fromStack(stack);

  test('an EC2 job definition with the requested resources, from the queue platform', () => {
    expect(j.platform).toBe(CapacityPlatform.EC2);
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      Type: 'container',
      // EC2 is the platform Batch assumes when none is given.
      PlatformCapabilities: Match.absent(),
      ContainerProperties: Match.objectLike({
        Command: ['align', 'Ref::sample'],
        ResourceRequirements: [
          { Type: 'MEMORY', Value: '30720' },
          { Type: 'VCPU', Value: '4' },
        ],
      }),
    });
  });

  test('is named <stack>_<construct path>, the prefix every job definition of the stack shares', () => {
    expect(j.jobDefinitionName).toBe('Test_Align');
    template.hasResourceProperties('AWS::Batch::JobDefinition', { JobDefinitionName: 'Test_Align' });
    const other = setup();
    const nested = new Job(new Construct(other.stack, 'Genomics.v2'), 'Align', {
      queues: [other.queue],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    // Characters Batch does not allow are replaced, and a hash of the path keeps the name unique.
    expect(nested.jobDefinitionName).toMatch(/^Test_Genomics-v2-Align-[0-9a-f]{8}$/);
  });

  test('leaves out what the job definition would only repeat of the defaults (keeps large pipelines in one stack)', () => {
    const props = Object.values(template.findResources('AWS::Batch::JobDefinition'))[0].Properties;
    // No environment, a writable root file system, and logs in the job's own Region.
    expect(props.ContainerProperties.Environment).toBeUndefined();
    expect(props.ContainerProperties.ReadonlyRootFilesystem).toBeUndefined();
    expect(props.ContainerProperties.LogConfiguration.Options).toEqual({
      'awslogs-group': expect.anything(),
      'awslogs-stream-prefix': 'Align',
    });
  });

  test('retries Spot interruptions (the EC2 reason: the Fargate one never matches here) only, 3 attempts, ending with a catch-all EXIT', () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      RetryStrategy: {
        Attempts: 3,
        EvaluateOnExit: [
          { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
          { Action: 'EXIT', OnReason: '*' },
        ],
      },
    });
  });

  test('keeps earlier revisions registered on update, so running workflows can still submit them', () => {
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-jobdefinition-resourceretentionpolicy.html
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ResourceRetentionPolicy: { SkipDeregisterOnUpdate: true },
    });
  });

  test('times out after 24 hours and propagates tags', () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      Timeout: { AttemptDurationSeconds: 86400 },
      PropagateTags: true,
    });
    expect(j.timeout.toHours()).toBe(24);
  });

  test('logs to the pipeline log group (30 days, retained), not /aws/batch/job', () => {
    const logGroupId = stack.getLogicalId(j.shared.logGroup.node.defaultChild as CfnElement);
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: Match.objectLike({ 'awslogs-group': { Ref: logGroupId }, 'awslogs-stream-prefix': 'Align' }),
        },
      }),
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('/aws/batch/job');
  });

  test('runs with the shared execution role and a job role of its own', () => {
    const role = (r: iam.IRole) => ({ 'Fn::GetAtt': [stack.getLogicalId(r.node.defaultChild as CfnElement), 'Arn'] });
    expect(j.jobRole.node.path).toBe('Test/Align/JobRole');
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        ExecutionRoleArn: role(j.shared.executionRole),
        JobRoleArn: role(j.jobRole),
      }),
    });
  });

  test('the submit name is the construct id', () => {
    expect(j.jobName).toBe('Align');
    expect(j.parameterNames).toEqual(['sample']);
    expect(j.arrayJob).toBe(false);
    expect(j.checkpointing).toBe(false);
  });
});

describe('least privilege per job, sharing by choice', () => {
  test('a grant on one job reaches no other job: each runs as a role of its own', () => {
    const { stack, queue } = setup();
    const probe = job(stack, queue, {}, 'Probe');
    const transcode = job(stack, queue, {}, 'Transcode');
    transcode.grantWrite(new s3.Bucket(stack, 'Renditions'), 'renditions/');
    const t = Template.fromStack(stack);
    const roleId = (j: Job) => stack.getLogicalId(j.jobRole.node.defaultChild as CfnElement);
    expect(roleId(probe)).not.toBe(roleId(transcode));
    const policies = Object.values(t.findResources('AWS::IAM::Policy')) as Array<{
      Properties: { Roles: Array<{ Ref: string }>; PolicyDocument: unknown };
    }>;
    const on = (j: Job) => policies.filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId(j)));
    expect(on(probe)).toEqual([]);
    expect(JSON.stringify(on(transcode).map((p) => p.Properties.PolicyDocument))).toContain('s3:PutObject');
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('shared-role-grant'))).toEqual([]);
  });

  test('each extra job adds two resources: its job definition and its role', () => {
    const count = (n: number) => {
      const { stack, queue } = setup();
      for (let i = 0; i < n; i++) {
        job(stack, queue, {}, `Job${i}`);
      }
      return Object.keys(Template.fromStack(stack).toJSON().Resources).length;
    };
    expect(count(11) - count(1)).toBe(20);
  });

  test('jobs given one shared role add one resource each, and a grant on one of them warns that it reaches all', () => {
    const count = (n: number) => {
      const { stack, queue } = setup();
      const shared = SharedJobResources.of(stack);
      const jobs = Array.from({ length: n }, (_, i) => job(stack, queue, { jobRole: shared.jobRole }, `Job${i}`));
      return { stack, jobs, resources: Object.keys(Template.fromStack(stack).toJSON().Resources).length };
    };
    expect(count(11).resources - count(1).resources).toBe(10);
    const { stack, jobs } = count(2);
    jobs[0].grantRead(new s3.Bucket(stack, 'In'), 'samples/');
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('shared-role-grant'));
    expect(warnings.map((w) => w.entry.data)).toEqual([
      "Test/Job0: grantRead(Test/In, 'samples/') lands on the role the job was given (Test/BatchPipelinesShared/JobRole), " +
        'not on a role of its own: every job that runs as that role gets it too. Leave jobRole unset to give the job a ' +
        'role of its own, or acknowledge this warning if the jobs sharing the role may all touch this data. ' +
        '[ack: cdk-batch-pipelines:shared-role-grant]',
    ]);
  });

  test('two jobs share one log group and one execution role; the shared job role is made only when used', () => {
    const { stack, queue } = setup();
    const a = job(stack, queue, {}, 'A');
    const b = job(stack, queue, {}, 'B');
    expect(a.shared).toBe(b.shared);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Logs::LogGroup', 1);
    t.resourceCountIs('AWS::Batch::JobDefinition', 2);
    expect(stack.node.tryFindChild('BatchPipelinesShared')!.node.tryFindChild('JobRole')).toBeUndefined();
  });
});

describe('Job on Fargate', () => {
  test('follows a Fargate queue: FARGATE capability, x86_64, latest platform, no public IP', () => {
    const { stack, fargateQueue } = setup();
    const j = job(stack, fargateQueue, { memory: Size.gibibytes(30) });
    expect(j.platform).toBe(CapacityPlatform.FARGATE);
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      PlatformCapabilities: ['FARGATE'],
      ContainerProperties: Match.objectLike({
        RuntimePlatform: { CpuArchitecture: 'X86_64' },
        FargatePlatformConfiguration: { PlatformVersion: 'LATEST' },
        NetworkConfiguration: { AssignPublicIp: 'DISABLED' },
      }),
    });
  });

  test("retries Fargate Spot interruptions (Fargate's reason: the EC2 one never matches here) only", () => {
    const { stack, fargateQueue } = setup();
    job(stack, fargateQueue, { memory: Size.gibibytes(30) });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      RetryStrategy: {
        Attempts: 3,
        EvaluateOnExit: [
          { Action: 'RETRY', OnStatusReason: 'Your Spot Task was interrupted*' },
          { Action: 'EXIT', OnReason: '*' },
        ],
      },
    });
  });

  test('ephemeral storage reaches the definition', () => {
    const { stack, fargateQueue } = setup();
    job(stack, fargateQueue, { ephemeralStorage: Size.gibibytes(100) });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ EphemeralStorage: { SizeInGiB: 100 } }),
    });
  });
});

describe('retry policies', () => {
  test.each([
    [
      'spotInterruptionsAndImagePulls',
      RetryPolicy.spotInterruptionsAndImagePulls(4),
      {
        Attempts: 4,
        EvaluateOnExit: [
          { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
          { Action: 'RETRY', OnReason: 'CannotPullContainerError:*' },
          { Action: 'EXIT', OnReason: '*' },
        ],
      },
    ],
    ['never', RetryPolicy.never(), { Attempts: 1, EvaluateOnExit: Match.absent() }],
    [
      'custom',
      RetryPolicy.custom(5, [
        { action: RetryAction.RETRY, onExitCode: '75' },
        { action: RetryAction.EXIT, onExitCode: '*' },
      ]),
      {
        Attempts: 5,
        EvaluateOnExit: [
          { Action: 'RETRY', OnExitCode: '75' },
          { Action: 'EXIT', OnExitCode: '*' },
        ],
      },
    ],
  ])('%s', (_name, retryPolicy, expected) => {
    const { stack, queue } = setup();
    job(stack, queue, { retryPolicy });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', { RetryStrategy: expected });
  });

  test('the preset says whether it retries Spot interruptions', () => {
    expect(RetryPolicy.spotInterruptions().retriesSpotInterruptions).toBe(true);
    expect(RetryPolicy.never().retriesSpotInterruptions).toBe(false);
  });
});

describe('grants', () => {
  test('grantSubmit covers every revision of the definition and the job queues', () => {
    const { stack, queue } = setup();
    const j = job(stack, queue);
    const role = new iam.Role(stack, 'Submitter', { assumedBy: new iam.AccountRootPrincipal() });
    j.grantSubmit(role);
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(stack.getLogicalId(role.node.defaultChild as CfnElement)),
    )!;
    const statement = policy.Properties.PolicyDocument.Statement[0];
    expect(statement.Action).toBe('batch:SubmitJob');
    const rendered = JSON.stringify(statement.Resource);
    expect(rendered).toContain(':job-definition/');
    expect(rendered).toContain(':*');
    expect(rendered).toContain(stack.getLogicalId(queue.jobQueue.node.defaultChild as CfnElement));
  });

  test("grantSubmit's every-revision pattern is acknowledged for cdk-nag on the grantee, as the other grants are", () => {
    const app = new App({ builtinCloudFormationValidation: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Nag');
    const c = capacities(stack, new ec2.Vpc(stack, 'Vpc'));
    const q = new JobQueue(stack, 'Q', { capacities: [c.onDemand] });
    const j = job(stack, q);
    j.grantSubmit(new iam.Role(stack, 'Submitter', { assumedBy: new iam.AccountRootPrincipal() }));
    // The bare VPC of this test has findings of its own; the grant must add none.
    const flagged = validationFindings(app);
    expect(flagged.filter((f) => f.split(' ')[1].startsWith('Nag/Submitter'))).toEqual([]);
  });

  test('a job is IGrantable: bucket.grantRead(job) grants its role, the CDK way', () => {
    const { stack, queue } = setup();
    const role = new iam.Role(stack, 'AlignRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const j = job(stack, queue, { jobRole: role });
    new s3.Bucket(stack, 'Refs').grantRead(j);
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(stack.getLogicalId(role.node.defaultChild as CfnElement)),
    )!;
    expect(JSON.stringify(policy)).toContain('s3:GetObject*');
    expect(j.grantPrincipal).toBe(role);
  });

  test('grantRead / grantWrite give S3 object actions on the prefix only, no wildcard actions', () => {
    const { stack, queue } = setup();
    const role = new iam.Role(stack, 'AlignRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const j = job(stack, queue, { jobRole: role });
    const bucket = new s3.Bucket(stack, 'Data');
    j.grantRead(bucket, 'samples/');
    j.grantWrite(bucket, 'results/');
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(stack.getLogicalId(role.node.defaultChild as CfnElement)),
    )!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>;
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.sort()).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    const text = JSON.stringify(statements);
    expect(text).toContain('/samples/*');
    expect(text).toContain('/results/*');
    expect(text).toContain('"s3:prefix":["samples/*"]');
  });

  test('secrets are read by the execution role', () => {
    const { stack, queue } = setup();
    const secret = new secretsmanager.Secret(stack, 'Token');
    const j = job(stack, queue, { secrets: { TOKEN: batch.Secret.fromSecretsManager(secret) } });
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(
        stack.getLogicalId(j.shared.executionRole.node.defaultChild as CfnElement),
      ),
    )!;
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('secretsmanager:GetSecretValue');
  });
});

describe('options', () => {
  test('tags are set on the definition and propagated', () => {
    const { stack, queue } = setup();
    job(stack, queue, { tags: { project: 'genomics' } });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      Tags: { project: 'genomics' },
      PropagateTags: true,
    });
  });

  test('array jobs read their index from AWS_BATCH_JOB_ARRAY_INDEX', () => {
    const { stack, queue } = setup();
    const j = job(stack, queue, { arrayJob: true });
    expect(j.arrayJob).toBe(true);
    expect(Job.ARRAY_INDEX_VARIABLE).toBe('AWS_BATCH_JOB_ARRAY_INDEX');
  });

  test('scratchPath mounts the capacity scratch volume', () => {
    const { app, stack, vpc } = stackWithVpc();
    const cap = new Ec2Capacity(stack, 'Spot', { vpc, scratchVolumeSize: Size.gibibytes(200) });
    const q = new JobQueue(stack, 'Q', { capacities: [cap] });
    job(stack, q, { scratchPath: '/data' });
    app.synth();
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        Volumes: [{ Name: 'scratch', Host: { SourcePath: '/scratch' } }],
        MountPoints: [{ ContainerPath: '/data', SourceVolume: 'scratch' }],
      }),
    });
  });

  test('scratchPath without a scratch volume on the capacity fails synth', () => {
    const { app, stack, queue } = setup();
    job(stack, queue, { scratchPath: '/data' });
    expect(() => app.synth()).toThrow(
      "Test/Align: scratchPath '/data' needs a scratch volume mounted at /scratch on Test/Spot, which has none",
    );
  });

  test('mountEfs: access point, transit encryption, IAM auth, NFS ingress from the capacities, client grants', () => {
    const { stack, vpc, queue, c } = setup();
    const fileSystem = new efs.FileSystem(stack, 'Refs', { vpc });
    const accessPoint = fileSystem.addAccessPoint('Ap', { path: '/refs' });
    const j = job(stack, queue);
    j.mountEfs(fileSystem, { containerPath: '/refs', accessPoint, readOnly: true });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        Volumes: [
          {
            Name: 'efs0',
            EfsVolumeConfiguration: {
              FileSystemId: { Ref: stack.getLogicalId(fileSystem.node.defaultChild as CfnElement) },
              TransitEncryption: 'ENABLED',
              AuthorizationConfig: {
                AccessPointId: { Ref: stack.getLogicalId(accessPoint.node.defaultChild as CfnElement) },
                Iam: 'ENABLED',
              },
            },
          },
        ],
        MountPoints: [{ ContainerPath: '/refs', ReadOnly: true, SourceVolume: 'efs0' }],
      }),
    });
    const sgId = (cap: Ec2Capacity) =>
      stack.getLogicalId(cap.computeEnvironment.securityGroups[0].node.defaultChild as CfnElement);
    for (const cap of [c.spot, c.onDemand]) {
      t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: 2049,
        ToPort: 2049,
        SourceSecurityGroupId: { 'Fn::GetAtt': [sgId(cap), 'GroupId'] },
      });
    }
    expect(JSON.stringify(t.toJSON())).toContain('elasticfilesystem:ClientMount');
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toContain('elasticfilesystem:ClientWrite');
  });

  test('a read-only mount is read-only in the container, whatever the role may do; a writer on the same role mounts read-write', () => {
    // EFS allows what the identity or the file-system policy allows; the container's read-only mount holds either way.
    // https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
    const { stack, vpc, queue } = setup();
    const fileSystem = new efs.FileSystem(stack, 'Refs', { vpc });
    job(stack, queue).mountEfs(fileSystem, { containerPath: '/refs', readOnly: true });
    job(stack, queue, {}, 'Index').mountEfs(fileSystem, { containerPath: '/refs' });
    const mounts = Object.entries(Template.fromStack(stack).findResources('AWS::Batch::JobDefinition')).map(
      ([id, d]) => [id.replace(/[0-9A-F]{8}$/, ''), d.Properties.ContainerProperties.MountPoints[0].ReadOnly],
    );
    expect(mounts.sort()).toEqual([
      ['Align', true],
      ['Index', false],
    ]);
  });

  test('a read-only mount with its own role: that role may only mount', () => {
    const { stack, vpc, queue } = setup();
    const fileSystem = new efs.FileSystem(stack, 'Refs', { vpc });
    const readerRole = new iam.Role(stack, 'ReaderRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    const reader = job(stack, queue, { jobRole: readerRole });
    reader.mountEfs(fileSystem, { containerPath: '/refs', readOnly: true });
    job(stack, queue, {}, 'Index').mountEfs(fileSystem, { containerPath: '/refs' });
    const t = Template.fromStack(stack);
    const readerPolicy = Object.values(t.findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(stack.getLogicalId(readerRole.node.defaultChild as CfnElement)),
    )!;
    expect(JSON.stringify(readerPolicy)).toContain('elasticfilesystem:ClientMount');
    expect(JSON.stringify(readerPolicy)).not.toContain('elasticfilesystem:ClientWrite');
  });

  test.each([
    ['s3://in-bucket/samples/', "pass 'samples/'"],
    ['/samples/', "pass 'samples/'"],
  ])('grants refuse a prefix given as %s (it would match no key)', (prefix, fix) => {
    const { stack, queue } = setup();
    const bucket = new s3.Bucket(stack, 'In');
    const j = job(stack, queue);
    expect(() => j.grantRead(bucket, prefix)).toThrow(
      `Test/Align: grantRead.prefix '${prefix}' is not allowed; allowed: a key prefix of the bucket, e.g. 'samples/' (no s3:// and no leading '/': S3 keys have none). Fix: ${fix}`,
    );
    expect(() => j.grantWrite(bucket, prefix)).toThrow(/grantWrite.prefix/);
  });

  test('vcpus that are not a number say so, with a fix that is a number', () => {
    const { stack, queue } = setup();
    expect(() => job(stack, queue, { vcpus: Number.NaN })).toThrow(
      'Test/Align: vcpus NaN is not allowed; allowed: a whole number of at least 1 on EC2. Fix: use 4',
    );
  });

  test('mountEfs rejects a root directory together with an access point', () => {
    const { stack, vpc, queue } = setup();
    const fileSystem = new efs.FileSystem(stack, 'Refs', { vpc });
    const accessPoint = fileSystem.addAccessPoint('Ap', { path: '/refs' });
    const j = job(stack, queue);
    expect(() => j.mountEfs(fileSystem, { containerPath: '/refs', accessPoint, rootDirectory: '/other' })).toThrow(
      "Test/Align: mountEfs.rootDirectory '/other' with an access point is not allowed; allowed: no rootDirectory (or '/') when mounting through an access point, which sets its own. Fix: remove rootDirectory, or set the directory on the access point",
    );
  });

  test('two jobs in one stack do not collide', () => {
    const { stack, queue } = setup();
    job(stack, queue, {}, 'A');
    job(stack, queue, {}, 'B');
    Template.fromStack(stack).resourceCountIs('AWS::Batch::JobDefinition', 2);
  });
});

describe('the fit check at synth', () => {
  function memoryQueue(stack: Stack, vpc: ec2.IVpc, types: string[], id = 'Mem') {
    const cap = new Ec2Capacity(stack, `${id}Capacity`, {
      vpc,
      purchaseOption: PurchaseOption.ON_DEMAND,
      instanceTypes: types.map((t) => new ec2.InstanceType(t)),
    });
    return new JobQueue(stack, id, { capacities: [cap] });
  }

  test('a 32 GiB job on a queue of 32 GiB instances fails synth, naming the largest usable size and the fix', () => {
    const { app, stack, vpc } = stackWithVpc();
    const q = memoryQueue(stack, vpc, ['r6i.xlarge', 'r7i.xlarge']);
    job(stack, q, { memory: Size.gibibytes(32) });
    expect(() => app.synth()).toThrow(
      'Test/Align: memory 32 GiB (with 4 vCPU) does not fit any instance type of queue Test/Mem (capacity Test/MemCapacity): ' +
        'r6i.xlarge has 30.3 GiB usable of 32 GiB; allowed: at most 4 vCPUs and 30.3 GiB memory (usable on r6i.xlarge), on one instance type. ' +
        'Fix: request at most 30 GiB, or add r6i.2xlarge to Test/MemCapacity; a job that fits nowhere waits in RUNNABLE until the queue cancels it',
    );
  });

  test('a 30 GiB job fits the same queue, one per instance, with no warning', () => {
    const { app, stack, vpc } = stackWithVpc();
    const q = memoryQueue(stack, vpc, ['r6i.xlarge', 'r7i.xlarge']);
    job(stack, q, { memory: Size.gibibytes(30) });
    app.synth();
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('32 GiB on 64 GiB instances warns of waste and names the better request', () => {
    const { app, stack, vpc } = stackWithVpc();
    const q = memoryQueue(stack, vpc, ['r6i.2xlarge']);
    job(stack, q, { memory: Size.gibibytes(32) });
    app.synth();
    expect(warnings(stack, 'wasteful-fit')).toEqual([
      'Test/Align: 4 vCPU / 32 GiB packs only 50% of r6i.2xlarge in Test/MemCapacity (1 per r6i.2xlarge), so Batch ' +
        'may launch instances you pay for and leave partly idle. Request 30 GiB instead: it fits 2 per r6i.2xlarge ' +
        '(at least 97% packed on every type). [ack: cdk-batch-pipelines:wasteful-fit]',
    ]);
  });

  test('a job bound to a queue before its capacity is added is checked against that capacity', () => {
    const { app, stack, vpc } = stackWithVpc();
    const q = new JobQueue(stack, 'Late', { platform: CapacityPlatform.EC2 });
    job(stack, q, { memory: Size.gibibytes(32) });
    q.addCapacity(
      new Ec2Capacity(stack, 'Small', {
        vpc,
        purchaseOption: PurchaseOption.ON_DEMAND,
        instanceTypes: [new ec2.InstanceType('r6i.xlarge')],
      }),
    );
    expect(() => app.synth()).toThrow(
      'Test/Align: memory 32 GiB (with 4 vCPU) does not fit any instance type of queue Test/Late',
    );
  });

  test('every problem is reported at once', () => {
    const { app, stack, vpc } = stackWithVpc();
    const q = memoryQueue(stack, vpc, ['r6i.xlarge']);
    job(stack, q, { memory: Size.gibibytes(32) }, 'A');
    job(stack, q, { memory: Size.gibibytes(64) }, 'B');
    const error = errorOf(() => app.synth());
    expect(error.message).toContain('Test/A: memory 32 GiB (with 4 vCPU) does not fit');
    expect(error.message).toContain('Test/B: memory 64 GiB (with 4 vCPU) does not fit');
  });

  test('more vCPUs than maxvCpus fits nowhere', () => {
    const { app, stack, vpc } = stackWithVpc();
    const cap = new Ec2Capacity(stack, 'Tiny', { vpc, purchaseOption: PurchaseOption.ON_DEMAND, maxvCpus: 8 });
    const q = new JobQueue(stack, 'Q', { capacities: [cap] });
    job(stack, q, { vcpus: 16, memory: Size.gibibytes(8) });
    expect(() => app.synth()).toThrow(
      "Test/Align: vcpus 16 (with 8 GiB) does not fit queue Test/Q (capacity Test/Tiny): needs 16 vCPUs but maxvCpus is 8; allowed: at most 8 vCPUs (the capacity's maxvCpus). Fix: request at most 8 vCPUs, or raise maxvCpus of Test/Tiny",
    );
  });

  test('a GPU job on a queue without GPUs names GPU instance types', () => {
    const { app, stack, queue } = setup();
    job(stack, queue, { gpus: 1, memory: Size.gibibytes(14) });
    expect(() => app.synth()).toThrow(
      'Test/Align: gpus 1 (with 4 vCPU / 14 GiB) does not fit any instance type of queue Test/Standard (capacity Test/Spot): none of its types has a GPU; allowed: at most 0 GPUs, 16 vCPUs and 121.5 GiB memory (usable on r5.4xlarge), on one instance type. Fix: add g4dn.xlarge to Test/Spot',
    );
  });

  test('a Fargate job of a vCPU count Fargate does not offer is reported under vcpus', () => {
    const { app, stack, fargateQueue } = setup();
    job(stack, fargateQueue, { vcpus: 3, memory: Size.gibibytes(8) });
    expect(() => app.synth()).toThrow(
      /\[Test\/Align\] Test\/Align: vcpus 3 \(with 8 GiB\) does not fit Fargate queue Test\/FargateQueue/,
    );
  });

  test('an invalid Fargate size fails synth, naming the nearest valid sizes', () => {
    const { app, stack, fargateQueue } = setup();
    job(stack, fargateQueue, { memory: Size.gibibytes(32) });
    expect(() => app.synth()).toThrow(
      "Test/Align: memory 32 GiB (with 4 vCPU) does not fit Fargate queue Test/FargateQueue: 4 vCPU / 32768 MiB is not a valid Fargate size; nearest valid: 8 vCPU / 32768 MiB or 4 vCPU / 30720 MiB; allowed: Fargate's vCPU/memory pairs (vCPUs 0.25, 0.5, 1, 2, 4, 8, 16, each with its memory sizes: https://docs.aws.amazon.com/batch/latest/APIReference/API_ResourceRequirement.html), no GPUs. Fix: request 8 vCPU / 32768 MiB or 4 vCPU / 30720 MiB",
    );
  });

  test('fitting one capacity of a queue but not the other warns', () => {
    const { app, stack, vpc } = stackWithVpc();
    const big = new Ec2Capacity(stack, 'Big', { vpc, instanceTypes: [new ec2.InstanceType('r6i.2xlarge')] });
    const small = new Ec2Capacity(stack, 'Small', {
      vpc,
      purchaseOption: PurchaseOption.ON_DEMAND,
      instanceTypes: [new ec2.InstanceType('r6i.xlarge')],
    });
    const q = JobQueue.spotFirst(stack, 'Q', big, small);
    job(stack, q, { memory: Size.gibibytes(60), vcpus: 8, checkpointing: true });
    app.synth();
    expect(warnings(stack, 'partial-fit')[0]).toContain(
      'Test/Align: 8 vCPU / 60 GiB fits queue Test/Q but not its capacity Test/Small',
    );
    expect(warnings(stack, 'partial-fit')[0]).toContain('there is no On-Demand fallback for it');
  });

  test('a long job on Spot without checkpointing warns; checkpointing, On-Demand or no stated length silences it', () => {
    const { app, stack, vpc, queue } = setup();
    job(stack, queue, { timeout: Duration.hours(6) }, 'Long');
    // The 24-hour default timeout is a ceiling, not a length: no warning for every Spot job left at it.
    job(stack, queue, {}, 'DefaultTimeout');
    job(stack, queue, { timeout: Duration.hours(6), checkpointing: true }, 'Checkpointed');
    job(stack, queue, { timeout: Duration.minutes(50) }, 'Short');
    job(stack, memoryQueue(stack, vpc, ['r6i.xlarge']), { timeout: Duration.hours(6) }, 'OnDemandOnly');
    app.synth();
    const found = warnings(stack, 'long-spot-job');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^Test\/Long: may run up to 6 hours on Spot capacity Test\/Spot without checkpointing/);
  });
});

describe('Job bad input', () => {
  const cases: Array<[string, (s: ReturnType<typeof setup>) => unknown, string]> = [
    [
      'zero vCPUs',
      ({ stack, queue }) => job(stack, queue, { vcpus: 0 }),
      'Test/Align: vcpus 0 is not allowed; allowed: a whole number of at least 1 on EC2. Fix: use 1',
    ],
    [
      'fractional vCPUs on EC2',
      ({ stack, queue }) => job(stack, queue, { vcpus: 0.5 }),
      'Test/Align: vcpus 0.5 is not allowed; allowed: a whole number of at least 1 on EC2. Fix: use 1',
    ],
    [
      'memory below 4 MiB',
      ({ stack, queue }) => job(stack, queue, { memory: Size.mebibytes(2) }),
      'Test/Align: memory 2 MiB is not allowed; allowed: whole MiB, at least 4. Fix: give e.g. Size.gibibytes(30) or Size.mebibytes(512)',
    ],
    [
      'timeout under 60 s',
      ({ stack, queue }) => job(stack, queue, { timeout: Duration.seconds(30) }),
      'Test/Align: timeout 30 seconds is not allowed; allowed: at least 60 seconds. Fix: give Duration.minutes(1) or more',
    ],
    [
      'retry attempts of 11',
      ({ stack, queue }) => job(stack, queue, { retryPolicy: RetryPolicy.spotInterruptions(11) }),
      'Test/Align: retryPolicy (spotInterruptions).attempts 11 is not allowed; allowed: a whole number from 1 to 10 (total attempts, the first included). Fix: use e.g. 3; use RetryPolicy.never() for a single attempt',
    ],
    [
      'retry attempts of 0',
      ({ stack, queue }) =>
        job(stack, queue, { retryPolicy: RetryPolicy.custom(0, [{ action: RetryAction.EXIT, onReason: '*' }]) }),
      'Test/Align: retryPolicy (custom).attempts 0 is not allowed; allowed: a whole number from 1 to 10 (total attempts, the first included). Fix: use e.g. 3; use RetryPolicy.never() for a single attempt',
    ],
    [
      'more than 5 retry rules',
      ({ stack, queue }) =>
        job(stack, queue, {
          retryPolicy: RetryPolicy.custom(3, [
            ...['1', '2', '3', '4', '5'].map((code) => ({ action: RetryAction.RETRY, onExitCode: code })),
            { action: RetryAction.EXIT, onReason: '*' },
          ]),
        }),
      'Test/Align: retryPolicy (custom).rules 6 rules is not allowed; allowed: at most 5 (AWS Batch evaluateOnExit limit), the last a catch-all. Fix: merge rules with a trailing * (e.g. Host EC2*), or drop the least important ones',
    ],
    [
      'a pattern with * in the middle',
      ({ stack, queue }) =>
        job(stack, queue, {
          retryPolicy: RetryPolicy.custom(3, [
            { action: RetryAction.RETRY, onStatusReason: 'Host*terminated' },
            { action: RetryAction.EXIT, onReason: '*' },
          ]),
        }),
      "Test/Align: retryPolicy (custom).rules[0].onStatusReason 'Host*terminated' is not allowed; allowed: 1..512 characters: letters, digits, '.', ':' and spaces, '*' only at the end. Fix: move the * to the end; a pattern matches from the start of the text, e.g. 'Host*'",
    ],
    [
      'a pattern with a leading * (the fix must not be a bare *, which would retry every failure)',
      ({ stack, queue }) =>
        job(stack, queue, {
          retryPolicy: RetryPolicy.custom(3, [
            { action: RetryAction.RETRY, onStatusReason: '*Spot*' },
            { action: RetryAction.EXIT, onReason: '*' },
          ]),
        }),
      "Test/Align: retryPolicy (custom).rules[0].onStatusReason '*Spot*' is not allowed; allowed: 1..512 characters: letters, digits, '.', ':' and spaces, '*' only at the end. Fix: move the * to the end; a pattern matches from the start of the text, e.g. 'Spot*'",
    ],
    [
      'an exit code that is not digits',
      ({ stack, queue }) =>
        job(stack, queue, {
          retryPolicy: RetryPolicy.custom(3, [
            { action: RetryAction.RETRY, onExitCode: 'OOM' },
            { action: RetryAction.EXIT, onReason: '*' },
          ]),
        }),
      "Test/Align: retryPolicy (custom).rules[0].onExitCode 'OOM' is not allowed; allowed: 1..512 characters: digits only, '*' only at the end. Fix: remove the characters Batch does not accept",
    ],
    [
      'custom rules with no catch-all',
      ({ stack, queue }) =>
        job(stack, queue, {
          retryPolicy: RetryPolicy.custom(3, [{ action: RetryAction.RETRY, onStatusReason: 'Host EC2*' }]),
        }),
      "Test/Align: retryPolicy (custom).rules no catch-all rule is not allowed; allowed: rules ending with a catch-all, e.g. { action: RetryAction.EXIT, onReason: '*' }. Fix: add { action: RetryAction.EXIT, onReason: '*' } last: Batch retries any failure that matches no rule",
    ],
    [
      'a catch-all before other rules',
      ({ stack, queue }) =>
        job(stack, queue, {
          retryPolicy: RetryPolicy.custom(3, [
            { action: RetryAction.EXIT, onReason: '*' },
            { action: RetryAction.RETRY, onStatusReason: 'Host EC2*' },
          ]),
        }),
      'Test/Align: retryPolicy (custom).rules[0] a catch-all before other rules is not allowed; allowed: the catch-all as the last rule (rules after it never match). Fix: move the catch-all rule to the end',
    ],
    [
      'an environment variable starting with AWS_BATCH',
      ({ stack, queue }) => job(stack, queue, { environment: { AWS_BATCH_SAMPLE: 'x' } }),
      "Test/Align: environment.AWS_BATCH_SAMPLE 'AWS_BATCH_SAMPLE' is not allowed; allowed: names not starting with AWS_BATCH (reserved by Batch). Fix: rename it, e.g. 'APP_SAMPLE'",
    ],
    [
      'more than 48 tags (the library adds two)',
      ({ stack, queue }) =>
        job(stack, queue, { tags: Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v'])) }),
      'Test/Align: tags 49 tags is not allowed; allowed: at most 48 (with propagated tags, a job whose tags exceed 50 fails; the library adds batch-pipelines:pipeline to the definition and batch-pipelines:run to each job). Fix: drop 1 of them',
    ],
    [
      'a job bound to a queue of the other platform',
      ({ stack, queue, fargateQueue }) =>
        new Job(stack, 'Align', { queues: [queue, fargateQueue], image, vcpus: 4, memory: Size.gibibytes(30) }),
      'Test/Align: queues Test/FargateQueue (FARGATE) for a EC2 job is not allowed; allowed: EC2 queues only (the job definition is built for EC2). Fix: define a separate FARGATE job for that queue',
    ],
    [
      'an invalid job name',
      ({ stack, queue }) => job(stack, queue, {}, 'call variants'),
      "Test/call variants: jobName (from the construct id) 'call variants' is not allowed; allowed: up to 128 letters, digits, hyphens and underscores, starting with a letter or digit. Fix: use e.g. 'call-variants'",
    ],
    [
      'an invalid job definition name',
      ({ stack, queue }) => job(stack, queue, { jobDefinitionName: 'align.v2' }),
      "Test/Align: jobDefinitionName 'align.v2' is not allowed; allowed: up to 128 letters, digits, hyphens and underscores, starting with a letter or digit. Fix: use e.g. 'align-v2'",
    ],
    [
      'GPUs on Fargate',
      ({ stack, fargateQueue }) => job(stack, fargateQueue, { gpus: 1 }),
      'Test/Align: gpus on a Fargate queue is not allowed; allowed: gpus only on EC2 capacity. Fix: Fargate has no GPUs: submit this job to a queue of Ec2Capacity with g4dn/g5 instance types',
    ],
    [
      'privileged on Fargate',
      ({ stack, fargateQueue }) => job(stack, fargateQueue, { privileged: true }),
      'Test/Align: privileged on a Fargate queue is not allowed; allowed: privileged only on EC2 capacity. Fix: remove privileged, or submit the job to an EC2 queue',
    ],
    [
      'a Fargate timeout over 14 days',
      ({ stack, fargateQueue }) => job(stack, fargateQueue, { timeout: Duration.days(15) }),
      'Test/Align: timeout 15 days on Fargate is not allowed; allowed: at most 14 days (Fargate stops tasks after 14 days). Fix: give Duration.days(14) or less, or run the job on EC2 capacity',
    ],
    [
      'a parameter default the command does not use',
      ({ stack, queue }) => job(stack, queue, { command: ['align', 'Ref::sample'], parameters: { smple: 'x' } }),
      "Test/Align: parameters.smple 'smple' (not used as Ref::smple in command) is not allowed; allowed: defaults for parameters the command uses: sample. Fix: did you mean `sample` (the command's Ref::sample)? Name the default as the command does: `parameters: { sample: 'x' }`, or use Ref::smple in the command",
    ],
    [
      'no queues',
      ({ stack }) => new Job(stack, 'Align', { queues: [], image, vcpus: 4, memory: Size.gibibytes(30) }),
      'Test/Align: queues [] is not allowed; allowed: at least one JobQueue. Fix: pass the queue(s) this job is submitted to',
    ],
    [
      'ephemeral storage on EC2',
      ({ stack, queue }) => job(stack, queue, { ephemeralStorage: Size.gibibytes(50) }),
      'Test/Align: ephemeralStorage 50 GiB on EC2 is not allowed; allowed: ephemeralStorage only on Fargate. Fix: on EC2 use the capacity scratch volume (Ec2Capacity.scratchVolumeSize) and scratchPath',
    ],
  ];

  test.each(cases)('%s', (_name, build, message) => {
    const error = errorOf(() => build(setup()));
    expect(error).toBeInstanceOf(BatchPipelinesValidationError);
    expect(error.message).toBe(message);
  });
});

describe('Job.fromJobDefinitionArn: a job definition another stack or team owns', () => {
  const env = { account: '111111111111', region: 'eu-west-1' };

  test('grantSubmit grants every revision of it and the queues it is submitted to, acknowledged for cdk-nag', () => {
    const app = new App();
    const stack = new Stack(app, 'Ops', { env });
    const queue = JobQueue.fromJobQueueArn(stack, 'Queue', 'arn:aws:batch:eu-west-1:111111111111:job-queue/shared');
    const imported = Job.fromJobDefinitionArn(
      stack,
      'Report',
      'arn:aws:batch:eu-west-1:111111111111:job-definition/report:7',
      { queues: [queue] },
    );
    expect(imported.jobDefinitionName).toBe('report');
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantSubmit(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'batch:SubmitJob',
            Resource: [
              'arn:aws:batch:eu-west-1:111111111111:job-definition/report:*',
              'arn:aws:batch:eu-west-1:111111111111:job-queue/shared',
            ],
          }),
        ]),
      },
    });
  });

  test('a job definition of another region, or an ARN of something else, is refused with the fix', () => {
    const stack = new Stack(new App(), 'Ops', { env });
    expect(() =>
      Job.fromJobDefinitionArn(stack, 'Far', 'arn:aws:batch:us-east-1:111111111111:job-definition/report:1'),
    ).toThrow(
      "Ops/Far: jobDefinitionArn 'arn:aws:batch:us-east-1:111111111111:job-definition/report:1' is in region us-east-1, not this stack's eu-west-1",
    );
    expect(() =>
      Job.fromJobDefinitionArn(stack, 'Queue', 'arn:aws:batch:eu-west-1:111111111111:job-queue/shared'),
    ).toThrow(/Ops\/Queue: jobDefinitionArn '.*job-queue\/shared' is not allowed; allowed: arn:<partition>:batch/);
  });
});

describe('container settings (parity with aws-cdk-lib container definitions)', () => {
  function gpuQueue() {
    const { app, stack, vpc } = stackWithVpc();
    const gpu = new Ec2Capacity(stack, 'Gpu', { vpc, instanceTypes: [new ec2.InstanceType('g5.2xlarge')] });
    const queue = new JobQueue(stack, 'GpuQueue', { capacities: [gpu] });
    return { app, stack, vpc, queue };
  }

  test('a GPU PyTorch job: shared memory, init process, tmpfs, ulimits, user, read-only root file system', () => {
    // GIVEN a queue of g5.2xlarge (1 GPU, 8 vCPUs, 32 GiB)
    const { stack, queue } = gpuQueue();
    // WHEN
    new Job(stack, 'Train', {
      queues: [queue],
      image,
      vcpus: 4,
      memory: Size.gibibytes(28),
      gpus: 1,
      linuxParameters: {
        sharedMemorySize: Size.gibibytes(8),
        initProcessEnabled: true,
        tmpfs: [{ containerPath: '/tmp', size: Size.gibibytes(2), mountOptions: [batch.TmpfsMountOption.NOEXEC] }],
        devices: [{ hostPath: '/dev/fuse', permissions: [batch.DevicePermission.READ, batch.DevicePermission.WRITE] }],
      },
      ulimits: [{ name: batch.UlimitName.MEMLOCK, softLimit: -1, hardLimit: -1 }],
      user: '1000:1000',
      readonlyRootFilesystem: true,
    });
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        LinuxParameters: {
          SharedMemorySize: 8192,
          InitProcessEnabled: true,
          Tmpfs: [{ ContainerPath: '/tmp', Size: 2048, MountOptions: ['noexec'] }],
          Devices: [{ HostPath: '/dev/fuse', Permissions: ['read', 'write'] }],
        },
        Ulimits: [{ Name: 'memlock', SoftLimit: -1, HardLimit: -1 }],
        User: '1000:1000',
        ReadonlyRootFilesystem: true,
      }),
    });
  });

  test('defaults: no Linux parameters, no user, the root file system writable (the property left out)', () => {
    const { stack, queue } = setup();
    job(stack, queue);
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        LinuxParameters: Match.absent(),
        User: Match.absent(),
        ReadonlyRootFilesystem: Match.absent(),
      }),
    });
  });

  test('only the Linux parameters given are written (no empty device or tmpfs lists)', () => {
    const { stack, queue } = setup();
    job(stack, queue, { linuxParameters: { initProcessEnabled: true } });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ LinuxParameters: { InitProcessEnabled: true } }),
    });
  });

  test('an init process is allowed on Fargate', () => {
    const { stack, fargateQueue } = setup();
    job(stack, fargateQueue, { vcpus: 1, memory: Size.gibibytes(2), linuxParameters: { initProcessEnabled: true } });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ LinuxParameters: { InitProcessEnabled: true } }),
    });
  });

  test('extra host volumes mount next to the scratch volume', () => {
    const { app, stack, vpc } = stackWithVpc();
    const cap = new Ec2Capacity(stack, 'Spot', { vpc, scratchVolumeSize: Size.gibibytes(200) });
    const q = new JobQueue(stack, 'Q', { capacities: [cap] });
    job(stack, q, {
      scratchPath: '/data',
      volumes: [
        batch.EcsVolume.host({ name: 'models', hostPath: '/opt/models', containerPath: '/models', readonly: true }),
      ],
    });
    app.synth();
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        Volumes: [
          { Name: 'scratch', Host: { SourcePath: '/scratch' } },
          { Name: 'models', Host: { SourcePath: '/opt/models' } },
        ],
        MountPoints: [
          { ContainerPath: '/data', SourceVolume: 'scratch' },
          { ContainerPath: '/models', SourceVolume: 'models', ReadOnly: true },
        ],
      }),
    });
  });

  test('an EFS volume in volumes gets NFS ingress from the capacities and, with useJobRole, mount and write grants', () => {
    const { app, stack, vpc, queue } = setup();
    const fileSystem = new efs.FileSystem(stack, 'Refs', { vpc });
    job(stack, queue, {
      volumes: [
        batch.EcsVolume.efs({
          name: 'refs',
          fileSystem,
          containerPath: '/refs',
          enableTransitEncryption: true,
          useJobRole: true,
        }),
      ],
    });
    app.synth();
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 2049, ToPort: 2049 });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'] }),
        ]),
      },
    });
  });

  test('an EFS volume without useJobRole warns that a file system admitting only IAM clients refuses the mount', () => {
    // GIVEN a file system in an app with @aws-cdk/aws-efs:denyAnonymousAccess (cdk init sets it): its policy grants
    // anonymous clients no ClientMount
    const { stack, vpc, queue } = setup();
    const data = new Construct(stack, 'Data');
    data.node.setContext('@aws-cdk/aws-efs:denyAnonymousAccess', true);
    const fileSystem = new efs.FileSystem(data, 'Refs', { vpc });
    // WHEN a job mounts it through volumes without IAM authorization
    const j = job(stack, queue, {
      volumes: [batch.EcsVolume.efs({ name: 'refs', fileSystem, containerPath: '/refs' })],
    });
    // THEN the policy indeed leaves ClientMount out for anonymous clients, and a warning says so with the fix
    const policy = Template.fromStack(stack).findResources('AWS::EFS::FileSystem');
    expect(JSON.stringify(Object.values(policy)[0].Properties.FileSystemPolicy)).not.toContain('ClientMount');
    expect(warnings(stack, 'efs-volume-without-iam')).toEqual([
      "Test/Align: volumes[0] (EFS Test/Data/Refs) mounts without IAM authorization (no useJobRole), so EFS lets it in only if the file system's policy admits anonymous clients; an aws-cdk-lib efs.FileSystem with the @aws-cdk/aws-efs:denyAnonymousAccess feature flag (which cdk init sets), or one granted with grantRead/grantReadWrite, does not, and the job fails to mount it. Set useJobRole: true and enableTransitEncryption: true in batch.EcsVolume.efs(...) (the job role is then granted ClientMount, and ClientWrite unless readonly), or use job.mountEfs(fileSystem, { containerPath: '/refs' }); if the file system admits anonymous clients, acknowledge cdk-batch-pipelines:efs-volume-without-iam. [ack: cdk-batch-pipelines:efs-volume-without-iam]",
    ]);
    // AND it can be acknowledged by its id
    CdkAnnotations.of(j).acknowledgeWarning('cdk-batch-pipelines:efs-volume-without-iam', 'allowAnonymousAccess');
    expect(warnings(stack, 'efs-volume-without-iam')).toEqual([]);
  });

  test('an EFS volume with useJobRole and transit encryption (the fix) does not warn', () => {
    const { stack, vpc, queue } = setup();
    const fileSystem = new efs.FileSystem(stack, 'Refs', { vpc });
    job(stack, queue, {
      volumes: [
        batch.EcsVolume.efs({
          name: 'refs',
          fileSystem,
          containerPath: '/refs',
          useJobRole: true,
          enableTransitEncryption: true,
        }),
      ],
    });
    expect(warnings(stack, 'efs-volume-without-iam')).toEqual([]);
  });

  test('swappiness warns that Amazon Linux 2023 (the default AMI) ignores it, and the warning can be acknowledged', () => {
    const { stack, queue } = setup();
    const j = job(stack, queue, { linuxParameters: { maxSwap: Size.gibibytes(4), swappiness: 10 } });
    expect(warnings(stack, 'swappiness-ignored-on-al2023')).toEqual([
      "Test/Align: linuxParameters.swappiness 10 has no effect on Amazon Linux 2023 (Amazon ECS does not support swappiness there), the AMI Ec2Capacity boots by default. Remove swappiness; if the job's instances boot another OS (a custom image) where it applies, acknowledge cdk-batch-pipelines:swappiness-ignored-on-al2023. [ack: cdk-batch-pipelines:swappiness-ignored-on-al2023]",
    ]);
    CdkAnnotations.of(j).acknowledgeWarning('cdk-batch-pipelines:swappiness-ignored-on-al2023', 'custom AL2 AMI');
    expect(warnings(stack, 'swappiness-ignored-on-al2023')).toEqual([]);
  });

  test('maxSwap without swappiness does not get the swappiness warning', () => {
    const { stack, queue } = setup();
    job(stack, queue, { linuxParameters: { maxSwap: Size.gibibytes(4) } });
    expect(warnings(stack, 'swappiness-ignored-on-al2023')).toEqual([]);
  });

  test('maxSwap warns that the ECS-optimized AMIs have no swap', () => {
    const { stack, queue } = setup();
    job(stack, queue, { linuxParameters: { maxSwap: Size.gibibytes(4), swappiness: 10 } });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ LinuxParameters: { MaxSwap: 4096, Swappiness: 10 } }),
    });
    expect(warnings(stack, 'swap-needs-instance-swap')[0]).toContain(
      'Test/Align: linuxParameters.maxSwap lets the container swap, but the ECS-optimized AMIs enable no swap',
    );
  });

  test.each<[string, Partial<JobProps>, string]>([
    [
      'shared memory',
      { linuxParameters: { sharedMemorySize: Size.gibibytes(1) } },
      'Test/Align: linuxParameters.sharedMemorySize on a Fargate queue is not allowed; allowed: linuxParameters.sharedMemorySize only on EC2 capacity (Batch does not apply it on Fargate). Fix: remove it, or submit the job to an EC2 queue',
    ],
    [
      'devices',
      { linuxParameters: { devices: [{ hostPath: '/dev/fuse' }] } },
      'Test/Align: linuxParameters.devices on a Fargate queue is not allowed; allowed: linuxParameters.devices only on EC2 capacity',
    ],
    [
      'tmpfs',
      { linuxParameters: { tmpfs: [{ containerPath: '/tmp', size: Size.mebibytes(512) }] } },
      'Fix: remove it (ephemeralStorage gives a Fargate task more disk), or submit the job to an EC2 queue',
    ],
    ['swap', { linuxParameters: { maxSwap: Size.gibibytes(1) } }, 'Test/Align: linuxParameters.maxSwap on a Fargate'],
    [
      'swappiness',
      { linuxParameters: { swappiness: 10 } },
      'Test/Align: linuxParameters.swappiness on a Fargate queue is not allowed',
    ],
    [
      'ulimits',
      { ulimits: [{ name: batch.UlimitName.NOFILE, softLimit: 1024, hardLimit: 4096 }] },
      'Test/Align: ulimits on a Fargate queue is not allowed; allowed: ulimits only on EC2 capacity',
    ],
    [
      'host volumes',
      { volumes: [batch.EcsVolume.host({ name: 'data', containerPath: '/data' })] },
      'Test/Align: volumes a host volume on a Fargate queue is not allowed; allowed: host volumes only on EC2 capacity (Batch does not apply it on Fargate). Fix: use ephemeralStorage or an EcsVolume.efs volume on Fargate, or submit the job to an EC2 queue',
    ],
  ])('Fargate refuses %s, which Batch does not apply there', (_name, extra, message) => {
    const { stack, fargateQueue } = setup();
    const e = errorOf(() => job(stack, fargateQueue, { vcpus: 1, memory: Size.gibibytes(2), ...extra }));
    expect(e).toBeInstanceOf(BatchPipelinesValidationError);
    expect(e.message).toContain(message);
  });

  test.each<[string, Partial<JobProps>, string]>([
    [
      'shared memory above the job memory',
      { linuxParameters: { sharedMemorySize: Size.gibibytes(64) } },
      "Test/Align: linuxParameters.sharedMemorySize 64 GiB is more than the job's memory (30 GiB); allowed: at most the job's memory: what is written there counts against it. Fix: give at most Size.gibibytes(30), or raise the job's memory",
    ],
    [
      'shared memory of a fraction of a MiB',
      { linuxParameters: { sharedMemorySize: Size.kibibytes(1536) } },
      'Test/Align: linuxParameters.sharedMemorySize 1.5 MiB is not allowed; allowed: whole MiB, at least 1',
    ],
    [
      'a tmpfs larger than the job memory',
      { linuxParameters: { tmpfs: [{ containerPath: '/work', size: Size.gibibytes(31) }] } },
      "Test/Align: linuxParameters.tmpfs[0].size 31 GiB is more than the job's memory (30 GiB)",
    ],
    [
      'a relative tmpfs path',
      { linuxParameters: { tmpfs: [{ containerPath: 'tmp', size: Size.gibibytes(1) }] } },
      "Test/Align: linuxParameters.tmpfs[0].containerPath 'tmp' is not allowed; allowed: an absolute path in the container. Fix: give '/tmp'",
    ],
    [
      'swappiness without maxSwap',
      { linuxParameters: { swappiness: 10 } },
      'Test/Align: linuxParameters.swappiness 10 without maxSwap would be ignored by Batch; allowed: swappiness only together with maxSwap. Fix: set maxSwap too (e.g. Size.gibibytes(4)), or remove swappiness',
    ],
    [
      'swappiness above 100',
      { linuxParameters: { maxSwap: Size.gibibytes(1), swappiness: 150 } },
      'Test/Align: linuxParameters.swappiness 150 is not allowed; allowed: a whole number from 0 to 100',
    ],
    [
      'an unknown ulimit name (plain JavaScript)',
      { ulimits: [{ name: 'openfiles' as batch.UlimitName, softLimit: 1, hardLimit: 1 }] },
      "Test/Align: ulimits[0].name 'openfiles' is not allowed; allowed: core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack. Fix: use a batch.UlimitName, e.g. batch.UlimitName.NOFILE",
    ],
    [
      'a soft ulimit above the hard one',
      { ulimits: [{ name: batch.UlimitName.NOFILE, softLimit: 65536, hardLimit: 4096 }] },
      'Test/Align: ulimits[0] nofile soft 65536 > hard 4096 would keep the container from starting; allowed: softLimit at most hardLimit (-1 is unlimited). Fix: give softLimit: 4096, or raise hardLimit to 65536',
    ],
    [
      'a negative ulimit other than -1',
      { ulimits: [{ name: batch.UlimitName.CORE, softLimit: -2, hardLimit: 0 }] },
      'Test/Align: ulimits[0].softLimit -2 (core) is not allowed; allowed: a whole number of at least 0, or -1 for unlimited',
    ],
    [
      'a user with a space',
      { user: 'data scientist' },
      "Test/Align: user 'data scientist' is not allowed; allowed: name, uid, name:group or uid:gid",
    ],
    [
      'a volume name Batch refuses',
      { volumes: [batch.EcsVolume.host({ name: 'ref data', containerPath: '/ref' })] },
      "Test/Align: volumes[0].name 'ref data' is not allowed; allowed: up to 255 letters, digits, hyphens and underscores. Fix: name it e.g. 'ref-data'",
    ],
    [
      'a volume name the library uses',
      { volumes: [batch.EcsVolume.host({ name: 'scratch', containerPath: '/s' })] },
      "Test/Align: volumes[0].name 'scratch' is a volume name this library uses itself",
    ],
    [
      'two volumes of one name',
      {
        volumes: [
          batch.EcsVolume.host({ name: 'ref', containerPath: '/a' }),
          batch.EcsVolume.host({ name: 'ref', containerPath: '/b' }),
        ],
      },
      "Test/Align: volumes[1].name 'ref' names two volumes; allowed: a name no other volume of the container has",
    ],
  ])('refuses %s', (_name, extra, message) => {
    const { stack, queue } = setup();
    const e = errorOf(() => job(stack, queue, extra));
    expect(e).toBeInstanceOf(BatchPipelinesValidationError);
    expect(e.message).toContain(message);
  });

  test('an EFS volume with IAM authorization or an access point needs transit encryption', () => {
    const { stack, vpc, queue } = setup();
    const fileSystem = new efs.FileSystem(stack, 'Refs', { vpc });
    const e = errorOf(() =>
      job(stack, queue, {
        volumes: [batch.EcsVolume.efs({ name: 'refs', fileSystem, containerPath: '/refs', useJobRole: true })],
      }),
    );
    expect(e.message).toBe(
      'Test/Align: volumes[0].enableTransitEncryption unset with useJobRole is not allowed; allowed: transit encryption on whenever an access point or useJobRole (IAM authorization) is used. Fix: set enableTransitEncryption: true in batch.EcsVolume.efs(...)',
    );
  });
});
