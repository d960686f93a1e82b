import { AwsSolutionsChecks } from 'cdk-nag';
import { App, CfnElement, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  BatchPipelinesValidationError,
  CapacityPlatform,
  Ec2Capacity,
  FargateCapacity,
  Job,
  JobQueue,
  PurchaseOption,
} from '../../lib';
import { capacities, errorOf } from '../support/capacity';
import { validationFindings } from '../support/synth';
import { stackWithVpc } from '../support/stacks';

describe('JobQueue defaults', () => {
  const { stack, vpc } = stackWithVpc();
  const { spot, onDemand } = capacities(stack, vpc);
  const queue = JobQueue.spotFirst(stack, 'Standard', spot, onDemand);
  const template = Template.fromStack(stack);

  test('Spot first, then On-Demand, priority 10, enabled', () => {
    const envId = (c: Ec2Capacity) => stack.getLogicalId(c.computeEnvironment.node.defaultChild as CfnElement);
    template.hasResourceProperties('AWS::Batch::JobQueue', {
      Priority: 10,
      State: 'ENABLED',
      ComputeEnvironmentOrder: [
        { ComputeEnvironment: { 'Fn::GetAtt': [envId(spot), 'ComputeEnvironmentArn'] }, Order: 1 },
        { ComputeEnvironment: { 'Fn::GetAtt': [envId(onDemand), 'ComputeEnvironmentArn'] }, Order: 2 },
      ],
      JobQueueName: Match.absent(),
      SchedulingPolicyArn: Match.absent(),
    });
    expect(queue.platform).toBe(CapacityPlatform.EC2);
    expect(queue.architecture).toBe(ec2.InstanceArchitecture.X86_64);
  });

  test('cancels jobs that can never run after 30 minutes; capacity shortages wait', () => {
    template.hasResourceProperties('AWS::Batch::JobQueue', {
      JobStateTimeLimitActions: [
        {
          Action: 'CANCEL',
          MaxTimeSeconds: 1800,
          Reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT',
          State: 'RUNNABLE',
        },
        {
          Action: 'CANCEL',
          MaxTimeSeconds: 1800,
          Reason: 'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE',
          State: 'RUNNABLE',
        },
      ],
    });
  });
});

describe('JobQueue options', () => {
  test('several queues of different priorities share capacity', () => {
    const { stack, vpc } = stackWithVpc();
    const { spot, onDemand } = capacities(stack, vpc);
    new JobQueue(stack, 'Urgent', { capacities: [onDemand], priority: 100 });
    JobQueue.spotFirst(stack, 'Standard', spot, onDemand, { priority: 10 });
    new JobQueue(stack, 'Backfill', { capacities: [spot], priority: 1 });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Batch::JobQueue', 3);
    t.resourceCountIs('AWS::Batch::ComputeEnvironment', 4); // two EC2 + two Fargate from the helper
    for (const p of [100, 10, 1]) {
      t.hasResourceProperties('AWS::Batch::JobQueue', { Priority: p });
    }
  });

  test('Fargate Spot first, then Fargate', () => {
    const { stack, vpc } = stackWithVpc();
    const { fargateSpot, fargate } = capacities(stack, vpc);
    const q = JobQueue.fargateSpotFirst(stack, 'FargateQueue', fargateSpot, fargate);
    expect(q.capacities).toEqual([fargateSpot, fargate]);
    expect(q.platform).toBe(CapacityPlatform.FARGATE);
  });

  test('insufficient-capacity cancellation and a custom unrunnable time', () => {
    const { stack, vpc } = stackWithVpc();
    const { spot } = capacities(stack, vpc);
    new JobQueue(stack, 'Q', {
      capacities: [spot],
      cancelUnrunnableAfter: Duration.minutes(10),
      cancelOnInsufficientCapacityAfter: Duration.hours(4),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobQueue', {
      JobStateTimeLimitActions: [
        Match.objectLike({ MaxTimeSeconds: 600, Reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT' }),
        Match.objectLike({ MaxTimeSeconds: 600, Reason: 'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE' }),
        Match.objectLike({ MaxTimeSeconds: 14400, Reason: 'CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY' }),
      ],
    });
  });

  test('fair share creates a scheduling policy with shares, reservation and decay', () => {
    const { stack, vpc } = stackWithVpc();
    const { spot } = capacities(stack, vpc);
    const q = new JobQueue(stack, 'Q', {
      capacities: [spot],
      fairShare: {
        shares: [
          { shareIdentifier: 'labA', weightFactor: 1 },
          { shareIdentifier: 'labB*', weightFactor: 0.5 },
        ],
        computeReservation: 10,
        shareDecay: Duration.hours(1),
      },
    });
    expect(q.fairShare).toBe(true);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Batch::SchedulingPolicy', {
      FairsharePolicy: {
        ComputeReservation: 10,
        ShareDecaySeconds: 3600,
        ShareDistribution: [
          { ShareIdentifier: 'labA', WeightFactor: 1 },
          { ShareIdentifier: 'labB*', WeightFactor: 0.5 },
        ],
      },
    });
    t.hasResourceProperties('AWS::Batch::JobQueue', { SchedulingPolicyArn: Match.anyValue() });
  });

  test('fair share defaults: no compute reservation, no share decay', () => {
    const { stack, vpc } = stackWithVpc();
    const { spot } = capacities(stack, vpc);
    new JobQueue(stack, 'Q', {
      capacities: [spot],
      fairShare: { shares: [{ shareIdentifier: 'a', weightFactor: 1 }] },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::SchedulingPolicy', {
      FairsharePolicy: {
        ComputeReservation: 0,
        ShareDecaySeconds: 0,
        ShareDistribution: [{ ShareIdentifier: 'a', WeightFactor: 1 }],
      },
    });
  });

  test('capacity added after construction joins the queue in order', () => {
    const { stack, vpc } = stackWithVpc();
    const { spot, onDemand } = capacities(stack, vpc);
    const q = new JobQueue(stack, 'Q', { platform: CapacityPlatform.EC2 });
    q.addCapacity(spot);
    q.addCapacity(onDemand);
    expect(q.capacities).toEqual([spot, onDemand]);
    const order = Template.fromStack(stack).findResources('AWS::Batch::JobQueue');
    expect(Object.values(order)[0].Properties.ComputeEnvironmentOrder.map((o: { Order: number }) => o.Order)).toEqual([
      1, 2,
    ]);
  });

  test('grantSubmit allows SubmitJob on this queue only, and tagging the new jobs with the run tag only', () => {
    const { stack, vpc } = stackWithVpc();
    const { spot } = capacities(stack, vpc);
    const q = new JobQueue(stack, 'Q', { capacities: [spot] });
    const role = new iam.Role(stack, 'Submitter', { assumedBy: new iam.AccountRootPrincipal() });
    const grant = q.grantSubmit(role);
    expect(grant.success).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          // batch-pipelines submit tags each job with its run; tagging on creation may be authorized as TagResource.
          // https://docs.aws.amazon.com/batch/latest/userguide/tag-resources.html
          {
            Action: 'batch:TagResource',
            Effect: 'Allow',
            Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['batch-pipelines:run'] } },
            Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
          },
          {
            Action: 'batch:SubmitJob',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [stack.getLogicalId(q.jobQueue.node.defaultChild as CfnElement), 'JobQueueArn'] },
          },
        ],
      },
    });
  });

  test('grantOperate gives what watch, diagnose, cancel and rerun call, and cdk-nag finds nothing unacknowledged on it', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Nag');
    const { spot } = capacities(stack, new ec2.Vpc(stack, 'Vpc'));
    const q = new JobQueue(stack, 'Q', { capacities: [spot] });
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    expect(q.grantOperate(role).success).toBe(true);
    const flagged = validationFindings(app);
    expect(flagged.filter((f) => f.split(' ')[1].startsWith('Nag/Operator'))).toEqual([]);
    // The same grant in a stack without cdk-nag, to read its statements.
    const plain = stackWithVpc();
    const role2 = new iam.Role(plain.stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    new JobQueue(plain.stack, 'Q', { capacities: [capacities(plain.stack, plain.vpc).spot] }).grantOperate(role2);
    const policy = Object.values(Template.fromStack(plain.stack).findResources('AWS::IAM::Policy'))[0];
    const actions = (policy.Properties.PolicyDocument.Statement as Array<{ Action: string[] }>).flatMap(
      (st) => st.Action,
    );
    expect(actions.sort()).toEqual(
      [
        'batch:CancelJob',
        'batch:DescribeComputeEnvironments',
        'batch:DescribeJobDefinitions',
        'batch:DescribeJobQueues',
        'batch:DescribeJobs',
        'batch:ListJobs',
        'batch:TerminateJob',
        // diagnose reads the account's EC2 vCPU quotas.
        'servicequotas:GetAWSDefaultServiceQuota',
        'servicequotas:GetServiceQuota',
        // logs reads the jobs' logs.
        'logs:GetLogEvents',
        // rightsize reads Container Insights' performance events.
        'logs:FilterLogEvents',
      ].sort(),
    );
  });

  test("grantOperate lets logs read Batch's default log group and the stack's jobs' group, jobs defined after it too", () => {
    const { stack, vpc } = stackWithVpc();
    // The role before the queue: its own aspect (which freezes its policy) visits before the queue's node.
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).spot] });
    q.grantOperate(role);
    new Job(stack, 'Align', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      command: ['align'],
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))[0];
    const statement = (
      policy.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>
    ).find((st) => st.Action === 'logs:GetLogEvents');
    expect(statement?.Resource).toEqual([
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':logs:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':log-group:/aws/batch/job:*',
          ],
        ],
      },
      { 'Fn::GetAtt': [expect.stringMatching(/^BatchPipelinesSharedLogs/), 'Arn'] },
    ]);
  });

  test('two queues in one stack do not collide', () => {
    const { stack, vpc } = stackWithVpc();
    const { spot, onDemand } = capacities(stack, vpc);
    JobQueue.spotFirst(stack, 'A', spot, onDemand);
    JobQueue.spotFirst(stack, 'B', spot, onDemand);
    Template.fromStack(stack).resourceCountIs('AWS::Batch::JobQueue', 2);
  });
});

describe('JobQueue bad input', () => {
  const cases: Array<[string, (t: ReturnType<typeof setup>) => unknown, string]> = [
    [
      'priority above 1000',
      ({ stack, c }) => new JobQueue(stack, 'Bad', { capacities: [c.spot], priority: 1001 }),
      'Test/Bad: priority 1001 is not allowed; allowed: a whole number from 0 to 1000 (higher runs first). Fix: use e.g. 100 for urgent, 10 for standard, 1 for backfill',
    ],
    [
      'fractional priority',
      ({ stack, c }) => new JobQueue(stack, 'Bad', { capacities: [c.spot], priority: 2.5 }),
      'Test/Bad: priority 2.5 is not allowed; allowed: a whole number from 0 to 1000 (higher runs first). Fix: use e.g. 100 for urgent, 10 for standard, 1 for backfill',
    ],
    [
      'more than 3 capacities',
      ({ stack, vpc, c }) =>
        new JobQueue(stack, 'Bad', {
          capacities: [c.spot, c.onDemand, new Ec2Capacity(stack, 'X', { vpc }), new Ec2Capacity(stack, 'Y', { vpc })],
        }),
      'Test/Bad: capacities 4 capacities is not allowed; allowed: at most 3 per queue (AWS Batch quota). Fix: use fewer, larger capacities (more instance types each), or a second queue',
    ],
    [
      'EC2 and Fargate in one queue',
      ({ stack, c }) => new JobQueue(stack, 'Bad', { capacities: [c.spot, c.fargate] }),
      'Test/Bad: capacities Test/Fargate (FARGATE) in a EC2 queue is not allowed; allowed: all EC2 or all Fargate capacities in one queue. Fix: put FARGATE capacity in its own queue',
    ],
    [
      'mixed architectures',
      ({ stack, vpc, c }) =>
        new JobQueue(stack, 'Bad', {
          capacities: [
            c.spot,
            new Ec2Capacity(stack, 'Arm', { vpc, instanceTypes: [new ec2.InstanceType('r7g.xlarge')] }),
          ],
        }),
      'Test/Bad: capacities Test/Arm (arm64) in a queue of x86_64 capacity is not allowed; allowed: one CPU architecture per queue. Fix: put arm64 capacity in its own queue, with job definitions built for it',
    ],
    [
      'the same capacity twice (duplicate order)',
      ({ stack, c }) => new JobQueue(stack, 'Bad', { capacities: [c.spot, c.spot] }),
      'Test/Bad: capacities Test/Spot twice is not allowed; allowed: each capacity once, in fallback order. Fix: remove the duplicate',
    ],
    [
      'a platform that disagrees with the capacity',
      ({ stack, c }) => new JobQueue(stack, 'Bad', { platform: CapacityPlatform.FARGATE, capacities: [c.spot] }),
      'Test/Bad: capacities Test/Spot (EC2) in a FARGATE queue is not allowed; allowed: all EC2 or all Fargate capacities in one queue. Fix: put EC2 capacity in its own queue',
    ],
    [
      'spotFirst with the capacities swapped',
      ({ stack, c }) => JobQueue.spotFirst(stack, 'Bad', c.onDemand, c.spot),
      'Test/Bad: spot Test/OnDemand (ON_DEMAND) is not allowed; allowed: SPOT capacity in this position. Fix: swap the two capacities, or build the queue with new JobQueue({ capacities }) for another order',
    ],
    [
      'fargateSpotFirst with EC2 capacity',
      ({ stack, c }) => JobQueue.fargateSpotFirst(stack, 'Bad', c.spot, c.onDemand),
      'Test/Bad: fargateSpot Test/Spot (EC2) is not allowed; allowed: FargateCapacity. Fix: pass FargateCapacity constructs, or use JobQueue.spotFirst for EC2 capacity',
    ],
    [
      'unrunnable cancellation below 10 minutes',
      ({ stack, c }) =>
        new JobQueue(stack, 'Bad', { capacities: [c.spot], cancelUnrunnableAfter: Duration.minutes(5) }),
      'Test/Bad: cancelUnrunnableAfter 300 seconds is not allowed; allowed: 600..86400 seconds (10 minutes to 24 hours). Fix: give e.g. Duration.minutes(30)',
    ],
    [
      'weight factor out of range',
      ({ stack, c }) =>
        new JobQueue(stack, 'Bad', {
          capacities: [c.spot],
          fairShare: { shares: [{ shareIdentifier: 'a', weightFactor: 1000 }] },
        }),
      "Test/Bad: fairShare.shares['a'].weightFactor 1000 is not allowed; allowed: 0.0001..999.9999 (lower gets more). Fix: use e.g. 1 for a normal share, 0.5 for a share that gets twice as much",
    ],
    [
      'compute reservation of 100',
      ({ stack, c }) =>
        new JobQueue(stack, 'Bad', {
          capacities: [c.spot],
          fairShare: { shares: [{ shareIdentifier: 'a', weightFactor: 1 }], computeReservation: 100 },
        }),
      'Test/Bad: fairShare.computeReservation 100 is not allowed; allowed: a whole percentage from 0 to 99. Fix: use e.g. 10 to keep 10% of vCPUs for shares that have no jobs running yet',
    ],
    [
      'share decay over a week',
      ({ stack, c }) =>
        new JobQueue(stack, 'Bad', {
          capacities: [c.spot],
          fairShare: { shares: [{ shareIdentifier: 'a', weightFactor: 1 }], shareDecay: Duration.days(8) },
        }),
      'Test/Bad: fairShare.shareDecay 691200 seconds is not allowed; allowed: 0..604800 seconds (up to 7 days). Fix: give e.g. Duration.hours(1)',
    ],
    [
      'share identifier with a wildcard in the middle',
      ({ stack, c }) =>
        new JobQueue(stack, 'Bad', {
          capacities: [c.spot],
          fairShare: { shares: [{ shareIdentifier: 'a*b', weightFactor: 1 }] },
        }),
      "Test/Bad: fairShare.shares.shareIdentifier 'a*b' is not allowed; allowed: 1..255 characters, '*' only at the end. Fix: shorten the identifier or move the wildcard to the end",
    ],
    [
      'no shares',
      ({ stack, c }) => new JobQueue(stack, 'Bad', { capacities: [c.spot], fairShare: { shares: [] } }),
      'Test/Bad: fairShare.shares [] is not allowed; allowed: at least one share. Fix: list the share identifiers jobs will be submitted with, or remove fairShare',
    ],
    [
      'an invalid queue name',
      ({ stack, c }) => new JobQueue(stack, 'Bad', { capacities: [c.spot], jobQueueName: 'my queue!' }),
      "Test/Bad: jobQueueName 'my queue!' is not allowed; allowed: up to 128 letters, digits, hyphens and underscores, starting with a letter or digit. Fix: use e.g. 'my-queue-'",
    ],
  ];

  function setup() {
    const { stack, vpc } = stackWithVpc();
    return { stack, vpc, c: capacities(stack, vpc) };
  }

  test.each(cases)('%s', (_name, build, message) => {
    const error = errorOf(() => build(setup()));
    expect(error).toBeInstanceOf(BatchPipelinesValidationError);
    expect(error.message).toBe(message);
  });

  test('a queue left without capacity fails synth', () => {
    const { app, stack } = stackWithVpc();
    new JobQueue(stack, 'Empty', { platform: CapacityPlatform.EC2 });
    expect(() => app.synth()).toThrow(
      'Test/Empty: capacities [] (the queue has no capacity) is not allowed; allowed: 1 to 3 capacities. Fix: pass capacities, or call addCapacity() before synth',
    );
  });
});

describe('JobQueue.fromJobQueueArn: a queue another stack or team owns', () => {
  const arn = 'arn:aws:batch:eu-west-1:111111111111:job-queue/shared-standard';
  const env = { account: '111111111111', region: 'eu-west-1' };
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');

  function declared(stack: Stack) {
    return JobQueue.fromJobQueueArn(stack, 'Shared', arn, {
      capacities: [
        Ec2Capacity.fromComputeEnvironmentArn(
          stack,
          'SharedSpot',
          'arn:aws:batch:eu-west-1:111111111111:compute-environment/shared-spot',
          {
            purchaseOption: PurchaseOption.SPOT,
            instanceTypes: [new ec2.InstanceType('r6i.xlarge'), new ec2.InstanceType('r6i.2xlarge')],
            maxvCpus: 256,
          },
        ),
      ],
    });
  }

  test('a new job binds to it: an EC2 job definition, SubmitJob granted on its ARN, its name from the ARN', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env });
    const queue = declared(stack);
    const j = new Job(stack, 'Align', { queues: [queue], image, vcpus: 4, memory: Size.gibibytes(30) });
    const role = new iam.Role(stack, 'Submitter', { assumedBy: new iam.AccountRootPrincipal() });
    j.grantSubmit(role);
    const template = Template.fromStack(stack);
    expect(queue.jobQueueName).toBe('shared-standard');
    expect(queue.platform).toBe(CapacityPlatform.EC2);
    expect(queue.fairShare).toBe(false);
    template.resourceCountIs('AWS::Batch::JobQueue', 0);
    // An EC2 job definition: no platform capability, as Batch defaults to EC2.
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      PlatformCapabilities: Match.absent(),
      ContainerProperties: Match.objectLike({ Image: Match.anyValue() }),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'batch:SubmitJob', Resource: Match.arrayWith([arn]) })]),
      },
    });
  });

  test('jobs are checked against the declared instance types: too big for all of them fails synth', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env });
    new Job(stack, 'Align', { queues: [declared(stack)], image, vcpus: 4, memory: Size.gibibytes(64) });
    expect(() => app.synth()).toThrow(
      /\[Jobs\/Align\] Jobs\/Align: memory 64 GiB \(with 4 vCPU\) does not fit any instance type of queue Jobs\/Shared \(capacity Jobs\/SharedSpot\).*Fix: request at most 60 GiB, or add r6i\.4xlarge to Jobs\/SharedSpot/,
    );
  });

  test('without declared capacities it warns that jobs cannot be checked, and says how to declare them', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env });
    const bare = JobQueue.fromJobQueueArn(stack, 'Shared', arn);
    expect(bare.platform).toBe(CapacityPlatform.EC2);
    expect(bare.capacities).toEqual([]);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('imported-queue-unchecked'));
    expect(warnings.map((w) => String(w.entry.data))).toEqual([
      expect.stringContaining('Ec2Capacity.fromComputeEnvironmentArn'),
    ]);
  });

  test.each([
    [
      'a queue of another region',
      'arn:aws:batch:us-east-1:111111111111:job-queue/q',
      "is in region us-east-1, not this stack's eu-west-1",
    ],
    [
      'a queue of another account',
      'arn:aws:batch:eu-west-1:222222222222:job-queue/q',
      "is in account 222222222222, not this stack's 111111111111",
    ],
    ['a name given as an ARN', 'shared-standard', 'is not allowed; allowed: arn:<partition>:batch:'],
    ['an ARN without a region', 'arn:aws:batch::111111111111:job-queue/q', 'has no region'],
    [
      'a compute environment ARN',
      'arn:aws:batch:eu-west-1:111111111111:compute-environment/ce',
      'is not allowed; allowed: arn:<partition>:batch:',
    ],
  ])('%s is refused at construction with the fix', (_, bad, problem) => {
    const stack = new Stack(new App(), 'Jobs', { env });
    expect(() => JobQueue.fromJobQueueArn(stack, 'Shared', bad)).toThrow(
      `Jobs/Shared: jobQueueArn '${bad}' ${problem}`,
    );
  });

  test("an EFS mount on an imported queue's job synthesizes, warning that NFS ingress is the owner's to allow", () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const fileSystem = new efs.FileSystem(stack, 'Refs', { vpc });
    const j = new Job(stack, 'Align', { queues: [declared(stack)], image, vcpus: 4, memory: Size.gibibytes(30) });
    j.mountEfs(fileSystem, { containerPath: '/refs', readOnly: true });
    app.synth();
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('imported-capacity-efs'));
    expect(warnings).toHaveLength(1);
  });

  test('an imported EC2 capacity lists its declared instance types, as memory escalation reads them', () => {
    const stack = new Stack(new App(), 'Jobs', { env });
    const queue = declared(stack);
    expect((queue.capacities[0] as unknown as { instanceTypeNames: string[] }).instanceTypeNames).toEqual([
      'r6i.xlarge',
      'r6i.2xlarge',
    ]);
  });

  test('an imported compute environment of another region is refused too', () => {
    const stack = new Stack(new App(), 'Jobs', { env });
    expect(() =>
      Ec2Capacity.fromComputeEnvironmentArn(
        stack,
        'Far',
        'arn:aws:batch:us-east-1:111111111111:compute-environment/ce',
        {
          purchaseOption: PurchaseOption.SPOT,
          instanceTypes: [new ec2.InstanceType('r6i.xlarge')],
          maxvCpus: 16,
        },
      ),
    ).toThrow(
      "Jobs/Far: computeEnvironmentArn 'arn:aws:batch:us-east-1:111111111111:compute-environment/ce' is in region us-east-1, not this stack's eu-west-1",
    );
  });

  test('fromJobQueueName builds the ARN in the stack account and region, and refuses an ARN', () => {
    const stack = new Stack(new App(), 'Jobs', { env });
    const q = JobQueue.fromJobQueueName(stack, 'ByName', 'shared-standard');
    expect(stack.resolve(q.jobQueueArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':batch:eu-west-1:111111111111:job-queue/shared-standard']],
    });
    expect(() => JobQueue.fromJobQueueName(stack, 'Arn', arn)).toThrow(
      `use JobQueue.fromJobQueueArn(scope, 'Arn', '${arn}')`,
    );
  });

  test('an imported Fargate capacity makes the job a Fargate job and checks Fargate sizes', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env });
    const queue = JobQueue.fromJobQueueArn(stack, 'Small', 'arn:aws:batch:eu-west-1:111111111111:job-queue/small', {
      capacities: [
        FargateCapacity.fromComputeEnvironmentArn(
          stack,
          'FargateSpot',
          'arn:aws:batch:eu-west-1:111111111111:compute-environment/fargate-spot',
          { purchaseOption: PurchaseOption.SPOT, maxvCpus: 256 },
        ),
      ],
    });
    expect(queue.architecture).toBe(ec2.InstanceArchitecture.X86_64);
    new Job(stack, 'Resize', { queues: [queue], image, vcpus: 1, memory: Size.gibibytes(2) });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', { PlatformCapabilities: ['FARGATE'] });
  });
});

describe('constructs of another region or account', () => {
  test("a queue over capacity of another region's stack, or a job on such a queue, is refused with the fix", () => {
    const app = new App();
    const east = new Stack(app, 'East', { env: { account: '111111111111', region: 'us-east-1' } });
    const west = new Stack(app, 'West', { env: { account: '111111111111', region: 'eu-west-1' } });
    const spot = new Ec2Capacity(east, 'Spot', { vpc: new ec2.Vpc(east, 'Vpc', { maxAzs: 2, natGateways: 0 }) });
    expect(() => new JobQueue(west, 'Queue', { capacities: [spot] })).toThrow(
      "West/Queue: capacities East/Spot (region us-east-1) is in another region than this construct's eu-west-1; allowed: resources of this stack's account and region (111111111111/eu-west-1): Batch links queues, compute environments and job definitions only within one. Fix: define Spot in a stack with env { account: '111111111111', region: 'eu-west-1' }, or move Queue to a stack of us-east-1",
    );
    const queue = new JobQueue(east, 'Queue', { capacities: [spot] });
    const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');
    expect(() => new Job(west, 'Align', { queues: [queue], image, vcpus: 1, memory: Size.gibibytes(2) })).toThrow(
      "West/Align: queues East/Queue (region us-east-1) is in another region than this construct's eu-west-1",
    );
  });
});
