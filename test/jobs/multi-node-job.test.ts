import { CfnElement, Size } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  BatchPipelinesValidationError,
  Ec2Capacity,
  JobQueue,
  MultiNodeJob,
  MultiNodeJobProps,
  NodeRange,
  PurchaseOption,
} from '../../lib';
import { capacities, errorOf } from '../support/capacity';
import { stackWithVpc } from '../support/stacks';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');
const range = (startNode: number, endNode: number, extra: Partial<NodeRange> = {}): NodeRange => ({
  startNode,
  endNode,
  image,
  vcpus: 8,
  memory: Size.gibibytes(28),
  ...extra,
});

function setup() {
  const { app, stack, vpc } = stackWithVpc();
  const c = capacities(stack, vpc);
  const onDemand = new JobQueue(stack, 'MpiQueue', { capacities: [c.onDemand], priority: 50 });
  const spotQueue = new JobQueue(stack, 'SpotOnly', { capacities: [c.spot] });
  const fargateQueue = new JobQueue(stack, 'FargateQueue', { capacities: [c.fargate] });
  return { app, stack, vpc, onDemand, spotQueue, fargateQueue };
}

function mpi(s: ReturnType<typeof setup>, extra: Partial<MultiNodeJobProps> = {}) {
  return new MultiNodeJob(s.stack, 'Mpi', {
    queues: [s.onDemand],
    nodeRanges: [range(0, 0, { command: ['mpirun', 'solver'] }), range(1, 3)],
    ...extra,
  });
}

describe('MultiNodeJob', () => {
  test('runs as a role of its own, described by its job name (characters IAM accepts, whatever the construct id)', () => {
    const s = setup();
    const j = new MultiNodeJob(s.stack, 'Lösung🚀', {
      queues: [s.onDemand],
      nodeRanges: [range(0, 0, { command: ['mpirun', 'solver'] }), range(1, 3)],
      jobName: 'solver',
    });
    expect(j.jobRole.node.path).toBe('Test/Lösung🚀/JobRole');
    // CreateRole's description: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*, up to 1,000 characters.
    // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
    Template.fromStack(s.stack).hasResourceProperties('AWS::IAM::Role', {
      Description: 'Role the containers of Batch job solver run as',
    });
  });

  test('renders node properties: 4 nodes, main node 0, two ranges, no retries by default', () => {
    const s = setup();
    const j = mpi(s);
    s.app.synth();
    expect(j.numNodes).toBe(4);
    Template.fromStack(s.stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      Type: 'multinode',
      PropagateTags: true,
      RetryStrategy: { Attempts: 1, EvaluateOnExit: Match.absent() },
      NodeProperties: Match.objectLike({
        MainNode: 0,
        NumNodes: 4,
        NodeRangeProperties: [Match.objectLike({ TargetNodes: '0:0' }), Match.objectLike({ TargetNodes: '1:3' })],
      }),
    });
  });

  test('each node range is fit-checked against the queue', () => {
    const s = setup();
    mpi(s, { nodeRanges: [range(0, 1, { vcpus: 8, memory: Size.gibibytes(200) })] });
    expect(() => s.app.synth()).toThrow(
      'Test/Mpi: memory 200 GiB (with 8 vCPU) does not fit any instance type of queue Test/MpiQueue',
    );
  });

  test.each([
    [
      'a gap between ranges',
      (s: ReturnType<typeof setup>) => mpi(s, { nodeRanges: [range(0, 0), range(2, 3)] }),
      'Test/Mpi: nodeRanges a gap: nodes 1..1 have no range is not allowed; allowed: ranges that cover nodes 0..N-1 with no gap. Fix: start the next range at node 1, or extend the previous one',
    ],
    [
      'overlapping ranges',
      (s: ReturnType<typeof setup>) => mpi(s, { nodeRanges: [range(0, 2), range(2, 3)] }),
      'Test/Mpi: nodeRanges an overlap: node 2 is in two ranges is not allowed; allowed: ranges that do not overlap. Fix: start this range at node 3',
    ],
    [
      'a main node outside the ranges',
      (s: ReturnType<typeof setup>) => mpi(s, { mainNode: 4 }),
      'Test/Mpi: mainNode 4 is not allowed; allowed: a node index from 0 to 3. Fix: use 0, or a node inside one of the ranges',
    ],
    [
      'more than 5 node ranges',
      (s: ReturnType<typeof setup>) => mpi(s, { nodeRanges: [0, 1, 2, 3, 4, 5].map((i) => range(i, i)) }),
      'Test/Mpi: nodeRanges 6 ranges is not allowed; allowed: 1 to 5 node ranges. Fix: merge ranges that run the same container',
    ],
    [
      'a Fargate queue',
      (s: ReturnType<typeof setup>) => mpi(s, { queues: [s.fargateQueue] }),
      'Test/Mpi: queues Test/FargateQueue (FARGATE) is not allowed; allowed: EC2 queues only: Fargate does not run multi-node parallel jobs. Fix: submit the job to a queue of On-Demand Ec2Capacity',
    ],
    [
      'a node range larger than the instance type',
      (s: ReturnType<typeof setup>) => mpi(s, { instanceType: new ec2.InstanceType('r6i.xlarge') }),
      'Test/Mpi: nodeRanges[0..0] 8 vCPU / 28672 MiB does not fit instanceType r6i.xlarge; allowed: what one r6i.xlarge offers (r6i.xlarge: needs 8 vCPUs, has 4). Fix: ask for less per node, or choose a larger instanceType',
    ],
  ])('rejects %s', (_name, build, message) => {
    const error = errorOf(() => build(setup()));
    expect(error).toBeInstanceOf(BatchPipelinesValidationError);
    expect(error.message).toBe(message);
  });

  test('a Spot queue fails synth: Batch runs no multi-node jobs on Spot', () => {
    const s = setup();
    mpi(s, { queues: [s.spotQueue] });
    expect(() => s.app.synth()).toThrow(
      'Test/Mpi: queues Test/SpotOnly (capacity Test/Spot is Spot) is not allowed; allowed: queues of On-Demand EC2 capacity only',
    );
  });

  test('a node pinned to an instance type its queue does not launch fails synth (it would wait in RUNNABLE forever)', () => {
    const s = setup();
    mpi(s, { instanceType: new ec2.InstanceType('r6i.8xlarge') });
    expect(() => s.app.synth()).toThrow(
      'Test/Mpi: instanceType r6i.8xlarge is not launched by capacity Test/OnDemand of queue Test/MpiQueue',
    );
  });
});

describe('a four-node GPU training job', () => {
  // The README's training stack: 4 x g5.12xlarge (4 GPUs each) in a cluster placement group, checkpoints on EFS.
  function training() {
    const { app, stack, vpc } = stackWithVpc();
    const cluster = new ec2.PlacementGroup(stack, 'Cluster', { strategy: ec2.PlacementGroupStrategy.CLUSTER });
    const gpus = new Ec2Capacity(stack, 'Gpus', {
      vpc,
      purchaseOption: PurchaseOption.ON_DEMAND,
      instanceTypes: [new ec2.InstanceType('g5.12xlarge')],
      maxvCpus: 192,
      placementGroup: cluster,
      // A cluster placement group lives in one Availability Zone.
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [vpc.availabilityZones[0]] },
    });
    const queue = new JobQueue(stack, 'Training', { capacities: [gpus] });
    const checkpoints = new efs.FileSystem(stack, 'Checkpoints', { vpc });
    const wandb = new secretsmanager.Secret(stack, 'WandbKey');
    const job = new MultiNodeJob(stack, 'Train', {
      queues: [queue],
      instanceType: new ec2.InstanceType('g5.12xlarge'),
      nodeRanges: [
        {
          startNode: 0,
          endNode: 3,
          image,
          command: ['torchrun', '--nnodes', '4', 'train.py'],
          vcpus: 44,
          memory: Size.gibibytes(160),
          gpus: 4,
          secrets: { WANDB_API_KEY: batch.Secret.fromSecretsManager(wandb) },
        },
      ],
    });
    job.mountEfs(checkpoints, { containerPath: '/checkpoints' });
    app.synth();
    return { stack, gpus, job, checkpoints, cluster, template: Template.fromStack(stack) };
  }

  test('nodes may talk to each other through one self-referencing rule on the compute environment group', () => {
    // Each node's network interface carries the compute environment's security groups:
    // https://docs.aws.amazon.com/batch/latest/userguide/multi-node-parallel-jobs.html
    const { stack, gpus, template } = training();
    const sg = stack.getLogicalId(
      gpus.computeEnvironment.connections.securityGroups[0].node.defaultChild as CfnElement,
    );
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [sg, 'GroupId'] }),
    );
    expect(ingress.map((r) => r.Properties)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          IpProtocol: '-1',
          SourceSecurityGroupId: { 'Fn::GetAtt': [sg, 'GroupId'] },
          Description: 'Multi-node parallel jobs: traffic between the nodes of a job',
        }),
      ]),
    );
    // Nothing from outside the group, other than NFS to the file system (which is the file system's own group).
    const group = template.findResources('AWS::EC2::SecurityGroup')[sg];
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('a cluster placement group over subnets in two zones is refused, with the fix', () => {
    const { stack, vpc } = stackWithVpc();
    const cluster = new ec2.PlacementGroup(stack, 'Cluster', { strategy: ec2.PlacementGroupStrategy.CLUSTER });
    expect(
      () =>
        new Ec2Capacity(stack, 'Gpus', {
          vpc,
          purchaseOption: PurchaseOption.ON_DEMAND,
          instanceTypes: [new ec2.InstanceType('g5.12xlarge')],
          placementGroup: cluster,
        }),
    ).toThrow(
      'Test/Gpus: placementGroup a cluster placement group with subnets in 2 Availability Zones is not allowed; allowed: a cluster placement group with subnets in one Availability Zone (it packs instances in one zone). Fix: give vpcSubnets in one zone, e.g. { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [vpc.availabilityZones[0]] }',
    );
  });

  test('the capacity launches in the cluster placement group', () => {
    const { stack, cluster, template } = training();
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        PlacementGroup: { 'Fn::GetAtt': [stack.getLogicalId(cluster.node.defaultChild as CfnElement), 'GroupName'] },
      }),
    });
  });

  test('checkpoints on EFS in every node, secrets, the stack naming pattern and kept revisions, as a Job has', () => {
    const { stack, job, checkpoints, template } = training();
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      Type: 'multinode',
      JobDefinitionName: 'Test_Train',
      ResourceRetentionPolicy: { SkipDeregisterOnUpdate: true },
      NodeProperties: Match.objectLike({
        NumNodes: 4,
        NodeRangeProperties: [
          Match.objectLike({
            TargetNodes: '0:3',
            Container: Match.objectLike({
              Volumes: [
                Match.objectLike({
                  EfsVolumeConfiguration: Match.objectLike({
                    FileSystemId: { Ref: stack.getLogicalId(checkpoints.node.defaultChild as CfnElement) },
                    TransitEncryption: 'ENABLED',
                    AuthorizationConfig: { Iam: 'ENABLED' },
                  }),
                }),
              ],
              MountPoints: [Match.objectLike({ ContainerPath: '/checkpoints', ReadOnly: false })],
              Secrets: [Match.objectLike({ Name: 'WANDB_API_KEY' })],
            }),
          }),
        ],
      }),
    });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('elasticfilesystem:ClientWrite');
    expect(job.jobDefinitionName).toBe('Test_Train');
  });
});

describe('MultiNodeJob container settings', () => {
  test('each node range takes shared memory, a memlock ulimit for RDMA, a user and extra volumes', () => {
    const s = setup();
    mpi(s, {
      nodeRanges: [
        range(0, 3, {
          linuxParameters: { sharedMemorySize: Size.gibibytes(16), initProcessEnabled: true },
          ulimits: [{ name: batch.UlimitName.MEMLOCK, softLimit: -1, hardLimit: -1 }],
          user: 'mpi',
          readonlyRootFilesystem: true,
          volumes: [batch.EcsVolume.host({ name: 'ckpt', hostPath: '/scratch/ckpt', containerPath: '/ckpt' })],
        }),
      ],
    });
    Template.fromStack(s.stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      NodeProperties: Match.objectLike({
        NodeRangeProperties: [
          Match.objectLike({
            TargetNodes: '0:3',
            Container: Match.objectLike({
              LinuxParameters: Match.objectLike({ SharedMemorySize: 16384, InitProcessEnabled: true }),
              Ulimits: [{ Name: 'memlock', SoftLimit: -1, HardLimit: -1 }],
              User: 'mpi',
              ReadonlyRootFilesystem: true,
              Volumes: [{ Name: 'ckpt', Host: { SourcePath: '/scratch/ckpt' } }],
              MountPoints: [{ ContainerPath: '/ckpt', SourceVolume: 'ckpt' }],
            }),
          }),
        ],
      }),
    });
  });

  test('an EFS volume of a range gets NFS ingress from the capacities', () => {
    const s = setup();
    const fileSystem = new efs.FileSystem(s.stack, 'Shared', { vpc: s.vpc });
    mpi(s, {
      nodeRanges: [
        range(0, 1, { volumes: [batch.EcsVolume.efs({ name: 'shared', fileSystem, containerPath: '/shared' })] }),
      ],
    });
    Template.fromStack(s.stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 2049 });
  });

  test('errors name the node range', () => {
    const s = setup();
    const e = errorOf(() =>
      mpi(s, { nodeRanges: [range(0, 1, { linuxParameters: { sharedMemorySize: Size.gibibytes(32) } })] }),
    );
    expect(e).toBeInstanceOf(BatchPipelinesValidationError);
    expect(e.message).toBe(
      "Test/Mpi: nodeRanges[0..1].linuxParameters.sharedMemorySize 32 GiB is more than the job's memory (28 GiB); allowed: at most the job's memory: what is written there counts against it. Fix: give at most Size.gibibytes(28), or raise the job's memory",
    );
    const s2 = setup();
    expect(
      errorOf(() =>
        mpi(s2, {
          nodeRanges: [range(0, 1, { volumes: [batch.EcsVolume.host({ name: 'efs0', containerPath: '/x' })] })],
        }),
      ).message,
    ).toContain("Test/Mpi: nodeRanges[0..1].volumes[0].name 'efs0' is a volume name this library uses itself");
  });
});
