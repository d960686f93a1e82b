import { Duration, Size } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BatchPipelinesValidationError, Ec2Capacity, PurchaseOption } from '../../lib';
import { errorOf } from '../support/capacity';
import { typeCheck } from '../support/compiles';
import { stackWithVpc } from '../support/stacks';

test('containerMetadataAccess lets job containers reach IMDS (hop limit 2), for tools that read instance metadata', () => {
  const { stack, vpc } = stackWithVpc();
  new Ec2Capacity(stack, 'Spot', { vpc, containerMetadataAccess: true });
  Template.fromStack(stack).hasResourceProperties('AWS::EC2::LaunchTemplate', {
    LaunchTemplateData: Match.objectLike({ MetadataOptions: Match.objectLike({ HttpPutResponseHopLimit: 2 }) }),
  });
});

describe('Ec2Capacity defaults', () => {
  // GIVEN a Spot capacity with nothing but a VPC
  const { stack, vpc } = stackWithVpc();
  const capacity = new Ec2Capacity(stack, 'Spot', { vpc });
  const template = Template.fromStack(stack);

  test('is Spot with SPOT_PRICE_CAPACITY_OPTIMIZED, scales to zero, 256 vCPUs max, AL2023 ECS AMI, no placement group', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      Type: 'managed',
      ComputeResources: Match.objectLike({
        Type: 'SPOT',
        AllocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED',
        MinvCpus: 0,
        MaxvCpus: 256,
        Ec2Configuration: [{ ImageType: 'ECS_AL2023' }],
        BidPercentage: Match.absent(),
        // No placement group unless given (a cluster group is for multi-node jobs).
        PlacementGroup: Match.absent(),
      }),
    });
    expect(capacity.purchaseOption).toBe(PurchaseOption.SPOT);
    expect(capacity.maxvCpus).toBe(256);
  });

  test('launches the diversified memory-optimized set, never Batch "optimal"', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ InstanceTypes: [...Ec2Capacity.DEFAULT_INSTANCE_TYPES] }),
    });
    expect(Ec2Capacity.DEFAULT_INSTANCE_TYPES).toEqual([
      'r5.xlarge',
      'r5.2xlarge',
      'r5.4xlarge',
      'r6i.xlarge',
      'r6i.2xlarge',
      'r6i.4xlarge',
      'r7i.xlarge',
      'r7i.2xlarge',
      'r7i.4xlarge',
    ]);
    expect(capacity.architecture).toBe(ec2.InstanceArchitecture.X86_64);
  });

  test('owns a launch template requiring IMDSv2 (hop limit 1: containers cannot take the instance role) with an encrypted 50 GiB gp3 root volume', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: { Encrypted: true, VolumeSize: 50, VolumeType: 'gp3', DeleteOnTermination: true },
          },
        ],
      }),
    });
  });

  test('user data is MIME multipart, as Batch requires', () => {
    const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0];
    const rendered = JSON.stringify(lt.Properties.LaunchTemplateData.UserData);
    expect(rendered).toContain('Content-Type: multipart/mixed; boundary=');
    expect(rendered).toContain('text/x-shellscript');
  });

  test('pins the launch template version, so a template change rolls out', () => {
    const ltId = stack.getLogicalId(capacity.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate);
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        LaunchTemplate: { LaunchTemplateId: { Ref: ltId }, Version: { 'Fn::GetAtt': [ltId, 'LatestVersionNumber'] } },
      }),
    });
  });

  test('updates in place: no replacement, no physical name, jobs get 30 minutes before instances are replaced', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ReplaceComputeEnvironment: false,
      ComputeEnvironmentName: Match.absent(),
      ServiceRole: Match.absent(), // the service-linked role, which in-place updates need
      UpdatePolicy: { TerminateJobsOnUpdate: false, JobExecutionTimeoutMinutes: 30 },
    });
  });

  test('runs in private subnets, with a security group that has no inbound rules', () => {
    const privateIds = vpc.privateSubnets.map((s) => ({
      Ref: stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet),
    }));
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Subnets: privateIds }),
    });
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    for (const g of Object.values(groups)) {
      expect(g.Properties.SecurityGroupIngress).toBeUndefined();
    }
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });
});

describe('Ec2Capacity options', () => {
  test('On-Demand defaults to BEST_FIT_PROGRESSIVE on EC2', () => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'OnDemand', { vpc, purchaseOption: PurchaseOption.ON_DEMAND });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Type: 'EC2', AllocationStrategy: 'BEST_FIT_PROGRESSIVE' }),
    });
  });

  test('maxvCpus derived from "50 concurrent jobs of 4 vCPU / 30 GiB" covers the least dense instance type', () => {
    const { stack, vpc } = stackWithVpc();
    const c = new Ec2Capacity(stack, 'Spot', {
      vpc,
      concurrentJobs: { jobs: 50, resources: { vcpus: 4, memory: Size.gibibytes(30) } },
    });
    // 30 GiB on an r6i.xlarge: 1 per 4-vCPU instance; on r6i.2xlarge: 2 per 8 vCPUs -> 4 instance vCPUs per job.
    expect(c.maxvCpus).toBe(200);
  });

  test('a 32 GiB job wastes half of every instance, and the derived maxvCpus pays for it', () => {
    const { stack, vpc } = stackWithVpc();
    const c = new Ec2Capacity(stack, 'Spot', {
      vpc,
      concurrentJobs: { jobs: 50, resources: { vcpus: 4, memory: Size.gibibytes(32) } },
    });
    // No xlarge can place it; a 2xlarge holds one (8 vCPUs per job), a 4xlarge three (16/3 vCPUs per job).
    // The least dense, 8 instance vCPUs per job, sets maxvCpus: 50 x 8.
    expect(c.maxvCpus).toBe(400);
  });

  test('a scratch volume is encrypted gp3, formatted and mounted by user data', () => {
    const { stack, vpc } = stackWithVpc();
    const c = new Ec2Capacity(stack, 'Spot', { vpc, scratchVolumeSize: Size.gibibytes(500) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        BlockDeviceMappings: Match.arrayWith([
          {
            DeviceName: '/dev/xvdb',
            Ebs: { Encrypted: true, VolumeSize: 500, VolumeType: 'gp3', DeleteOnTermination: true },
          },
        ]),
      }),
    });
    expect(c.scratchMountPath).toBe('/scratch');
    const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0];
    const userData = JSON.stringify(lt.Properties.LaunchTemplateData.UserData);
    expect(userData).toContain('blkid /dev/xvdb || mkfs -t xfs /dev/xvdb');
    expect(userData).toContain('mount /dev/xvdb /scratch');
  });

  test('instance classes expand to the sizes the catalog knows', () => {
    const { stack, vpc } = stackWithVpc();
    const c = new Ec2Capacity(stack, 'Spot', { vpc, instanceClasses: [ec2.InstanceClass.R7I] });
    expect(c.instanceTypeNames).toEqual(['r7i.large', 'r7i.xlarge', 'r7i.2xlarge', 'r7i.4xlarge', 'r7i.8xlarge']);
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ InstanceTypes: ['r7i'] }),
    });
  });

  test('GPU instance types get the NVIDIA AMI', () => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'Gpu', { vpc, instanceTypes: [new ec2.InstanceType('g5.xlarge')] });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Ec2Configuration: [{ ImageType: 'ECS_AL2023_NVIDIA' }] }),
    });
  });

  test('Graviton instance types give an ARM_64 capacity', () => {
    const { stack, vpc } = stackWithVpc();
    const c = new Ec2Capacity(stack, 'Arm', { vpc, instanceTypes: [new ec2.InstanceType('r7g.xlarge')] });
    expect(c.architecture).toBe(ec2.InstanceArchitecture.ARM_64);
  });

  test('isolated-only VPCs are used when there are no private subnets with egress', () => {
    const { stack } = stackWithVpc();
    const vpc = new ec2.Vpc(stack, 'Isolated', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    new Ec2Capacity(stack, 'Spot', { vpc });
    const ids = vpc.isolatedSubnets.map((s) => ({ Ref: stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet) }));
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Subnets: ids }),
    });
  });

  test('user-given role, bid, update timeout and name reach the environment', () => {
    const { stack, vpc } = stackWithVpc();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    new Ec2Capacity(stack, 'Spot', {
      vpc,
      instanceRole: role,
      spotBidPercentage: 60,
      updateTimeout: Duration.minutes(120),
      computeEnvironmentName: 'genomics-spot',
      allocationStrategy: batch.AllocationStrategy.SPOT_CAPACITY_OPTIMIZED,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeEnvironmentName: 'genomics-spot',
      UpdatePolicy: { JobExecutionTimeoutMinutes: 120, TerminateJobsOnUpdate: false },
      ComputeResources: Match.objectLike({ BidPercentage: 60, AllocationStrategy: 'SPOT_CAPACITY_OPTIMIZED' }),
    });
  });

  test('two capacities in one stack do not collide', () => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'Spot', { vpc });
    new Ec2Capacity(stack, 'OnDemand', { vpc, purchaseOption: PurchaseOption.ON_DEMAND });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Batch::ComputeEnvironment', 2);
    template.resourceCountIs('AWS::EC2::LaunchTemplate', 2);
    template.resourceCountIs('AWS::IAM::InstanceProfile', 2);
  });
});

describe('Ec2Capacity fit', () => {
  test('answers the fit query over its instance types', () => {
    const { stack, vpc } = stackWithVpc();
    const c = new Ec2Capacity(stack, 'Spot', { vpc });
    const fit = c.fit({ vcpus: 4, memory: Size.gibibytes(30) });
    expect(fit.fits).toBe(true);
    expect(fit.best).toMatchObject({ jobsPerInstance: 1 });
    expect(fit.placements.map((p) => p.instanceType)).toContain('r6i.xlarge');
    expect(c.fit({ vcpus: 4, memory: Size.gibibytes(200) }).fits).toBe(false);
  });

  test('a job larger than maxvCpus fits nowhere', () => {
    const { stack, vpc } = stackWithVpc();
    const c = new Ec2Capacity(stack, 'Spot', { vpc, maxvCpus: 8 });
    const fit = c.fit({ vcpus: 16, memory: Size.gibibytes(8) });
    expect(fit.fits).toBe(false);
    expect(fit.reason).toBe('needs 16 vCPUs but maxvCpus is 8');
  });

  test('an instance type the catalog does not know gives a warning with an id when asked to fit, not a crash', () => {
    const { stack, vpc } = stackWithVpc();
    const c = new Ec2Capacity(stack, 'Spot', {
      vpc,
      instanceTypes: [new ec2.InstanceType('r6i.xlarge'), new ec2.InstanceType('x2iedn.xlarge')],
    });
    const fit = c.fit({ vcpus: 2, memory: Size.gibibytes(8) });
    c.fit({ vcpus: 2, memory: Size.gibibytes(8) });
    expect(fit.unknownInstanceTypes).toEqual(['x2iedn.xlarge']);
    expect(fit.fits).toBe(true);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('unknown-instance-type'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].entry.data).toContain('Test/Spot: instance types x2iedn.xlarge are not in the instance catalog');
  });
});

describe('Ec2Capacity bad input', () => {
  const cases: Array<[string, (vpc: ec2.IVpc) => Record<string, unknown>, string]> = [
    [
      'minvCpus > maxvCpus',
      () => ({ minvCpus: 64, maxvCpus: 32 }),
      'Test/Bad: minvCpus 64 (greater than maxvCpus 32) is not allowed; allowed: 0..32. Fix: lower minvCpus (0 scales to zero) or raise maxvCpus',
    ],
    [
      'negative minvCpus',
      () => ({ minvCpus: -1 }),
      'Test/Bad: minvCpus -1 is not allowed; allowed: a whole number of at least 0. Fix: use 0 so the environment scales to zero when idle',
    ],
    [
      'maxvCpus smaller than the smallest instance',
      () => ({ maxvCpus: 2 }),
      'Test/Bad: maxvCpus 2 (smaller than the 4 vCPUs of the smallest instance type, r5.xlarge) is not allowed; allowed: at least 4. Fix: raise maxvCpus to at least 4, or add smaller instance types',
    ],
    [
      'mixed architectures',
      () => ({ instanceTypes: [new ec2.InstanceType('r6i.xlarge'), new ec2.InstanceType('r7g.xlarge')] }),
      'Test/Bad: instanceTypes mixing CPU architectures (x86_64: r6i.xlarge; arm64: r7g.xlarge) is not allowed; allowed: one CPU architecture per compute environment. Fix: split them into two Ec2Capacity constructs, one per architecture, each with its own queue',
    ],
    [
      'Spot bid on On-Demand',
      () => ({ purchaseOption: PurchaseOption.ON_DEMAND, spotBidPercentage: 50 }),
      'Test/Bad: spotBidPercentage 50 on On-Demand capacity is not allowed; allowed: a bid percentage only on Spot capacity. Fix: remove spotBidPercentage, or set purchaseOption: PurchaseOption.SPOT',
    ],
    [
      'Spot allocation strategy on On-Demand',
      () => ({
        purchaseOption: PurchaseOption.ON_DEMAND,
        allocationStrategy: batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED,
      }),
      'Test/Bad: allocationStrategy SPOT_PRICE_CAPACITY_OPTIMIZED on On-Demand capacity is not allowed; allowed: BEST_FIT_PROGRESSIVE or BEST_FIT for On-Demand. Fix: remove allocationStrategy (On-Demand defaults to BEST_FIT_PROGRESSIVE), or set purchaseOption: PurchaseOption.SPOT',
    ],
    [
      'spot bid above 100',
      () => ({ spotBidPercentage: 120 }),
      'Test/Bad: spotBidPercentage 120 is not allowed; allowed: a whole number from 1 to 100 (percent of the On-Demand price). Fix: remove it to pay up to the On-Demand price, or give e.g. 60',
    ],
    [
      'spot bid of 0',
      () => ({ spotBidPercentage: 0 }),
      'Test/Bad: spotBidPercentage 0 is not allowed; allowed: a whole number from 1 to 100 (percent of the On-Demand price). Fix: remove it to pay up to the On-Demand price, or give e.g. 60',
    ],
    [
      'root volume smaller than the AMI',
      () => ({ rootVolumeSize: Size.gibibytes(20) }),
      'Test/Bad: rootVolumeSize 20 GiB is not allowed; allowed: whole GiB from 30 to 16384 (gp3; the ECS AMI needs 30 GiB). Fix: give Size.gibibytes(n) with n >= 30',
    ],
    [
      'maxvCpus and concurrentJobs together',
      () => ({ maxvCpus: 10, concurrentJobs: { jobs: 2, resources: { vcpus: 1, memory: Size.gibibytes(1) } } }),
      'Test/Bad: maxvCpus 10 together with concurrentJobs is not allowed; allowed: either maxvCpus or concurrentJobs. Fix: remove one of them',
    ],
    [
      'concurrentJobs of a size that fits nowhere',
      () => ({ concurrentJobs: { jobs: 50, resources: { vcpus: 4, memory: Size.gibibytes(200) } } }),
      'Test/Bad: concurrentJobs.resources 4 vCPU / 200 GiB is not allowed; allowed: a size that fits one of r5.xlarge, r5.2xlarge, r5.4xlarge, r6i.xlarge, r6i.2xlarge, r6i.4xlarge, r7i.xlarge, r7i.2xlarge, r7i.4xlarge (largest usable memory 121.5 GiB on r5.4xlarge). Fix: ask for less, or add larger instance types',
    ],
    [
      'scratch mount path without a volume',
      () => ({ scratchMountPath: '/data' }),
      "Test/Bad: scratchMountPath '/data' without scratchVolumeSize is not allowed; allowed: a mount path only together with a scratch volume. Fix: set scratchVolumeSize, or remove scratchMountPath",
    ],
    [
      'no instance types at all',
      () => ({ instanceTypes: [] }),
      'Test/Bad: instanceTypes [] (and no instanceClasses) is not allowed; allowed: at least one instance type or class. Fix: leave instanceTypes unset for the default memory-optimized set, or list the types jobs should run on',
    ],
  ];

  test.each(cases)('%s', (_name, props, message) => {
    const { stack, vpc } = stackWithVpc();
    let error: unknown;
    try {
      new Ec2Capacity(stack, 'Bad', { vpc, ...props(vpc) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatchPipelinesValidationError);
    expect((error as Error).message).toBe(message);
  });

  test('a VPC with only public subnets is refused', () => {
    const { stack } = stackWithVpc();
    const vpc = new ec2.Vpc(stack, 'Public', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'pub', subnetType: ec2.SubnetType.PUBLIC }],
    });
    expect(() => new Ec2Capacity(stack, 'Bad', { vpc })).toThrow(
      'Test/Bad: vpc Test/Public (no private or isolated subnets) is not allowed; allowed: a VPC with private subnets',
    );
  });
});

describe('Ec2Capacity images (AMI choice)', () => {
  // A pinned AMI id, as ec2.MachineImage.genericLinux gives in a stack with a region.
  const pinnedAmi: ec2.IMachineImage = {
    getImage: () => ({
      imageId: 'ami-0123456789abcdef0',
      osType: ec2.OperatingSystemType.LINUX,
      userData: ec2.UserData.forLinux(),
    }),
  };
  const gpuTypes = [new ec2.InstanceType('g5.xlarge'), new ec2.InstanceType('g5.2xlarge')];

  test('the default for a mixed CPU and GPU capacity lists AL2023 and its NVIDIA variant', () => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'Mixed', { vpc, instanceTypes: [new ec2.InstanceType('r6i.xlarge'), ...gpuTypes] });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        Ec2Configuration: [{ ImageType: 'ECS_AL2023' }, { ImageType: 'ECS_AL2023_NVIDIA' }],
      }),
    });
  });

  test('image types given reach the environment, and a custom AMI becomes ImageIdOverride', () => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'Gpu', {
      vpc,
      instanceTypes: gpuTypes,
      images: [
        {
          imageType: batch.EcsMachineImageType.ECS_AL2_NVIDIA,
          image: pinnedAmi,
        },
      ],
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        Ec2Configuration: [{ ImageType: 'ECS_AL2_NVIDIA', ImageIdOverride: 'ami-0123456789abcdef0' }],
        // Still the library's launch template (it sets no AMI), pinned to its latest version.
        LaunchTemplate: Match.objectLike({ Version: Match.anyValue() }),
      }),
      // Changing the AMI later is an in-place infrastructure update, never a replacement.
      ReplaceComputeEnvironment: false,
    });
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ ImageId: Match.absent() }),
    });
  });

  test('GPU instance types with only a non-GPU image type are refused (GPU jobs would stay RUNNABLE)', () => {
    const { stack, vpc } = stackWithVpc();
    const e = errorOf(
      () =>
        new Ec2Capacity(stack, 'Gpu', {
          vpc,
          instanceTypes: gpuTypes,
          images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023 }],
        }),
    );
    expect(e).toBeInstanceOf(BatchPipelinesValidationError);
    expect(e.message).toBe(
      'Test/Gpu: images [ECS_AL2023] for GPU instance types g5.xlarge, g5.2xlarge has no GPU AMI: the instances would boot without the NVIDIA driver and GPU jobs stay RUNNABLE; allowed: an ECS_AL2023_NVIDIA image, or a custom image with the driver, for GPU types. Fix: add { imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA } to images (Batch uses it for the GPU types and the other entry for the rest)',
    );
  });

  test('the suggested fix deploys: AL2023 plus its NVIDIA variant for a GPU capacity', () => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'Gpu', {
      vpc,
      instanceTypes: gpuTypes,
      images: [
        { imageType: batch.EcsMachineImageType.ECS_AL2023 },
        { imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA },
      ],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        Ec2Configuration: [{ ImageType: 'ECS_AL2023' }, { ImageType: 'ECS_AL2023_NVIDIA' }],
      }),
    });
  });

  test.each<[string, batch.EcsMachineImage[], string]>([
    [
      'no images',
      [],
      'Test/Spot: images 0 images is not allowed; allowed: 1 or 2 (Batch takes one or two EC2 configurations)',
    ],
    [
      'three images',
      [
        { imageType: batch.EcsMachineImageType.ECS_AL2023 },
        { imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA },
        { imageType: batch.EcsMachineImageType.ECS_AL2 },
      ],
      'Test/Spot: images 3 images is not allowed; allowed: 1 or 2',
    ],
  ])('refuses %s', (_name, images, message) => {
    const { stack, vpc } = stackWithVpc();
    expect(errorOf(() => new Ec2Capacity(stack, 'Spot', { vpc, images })).message).toContain(message);
  });

  // Ec2Configuration.imageType: ECS_AL2023_NVIDIA "can be used for all non AWS Graviton-based instance types" (and
  // ECS_AL2_NVIDIA likewise): https://docs.aws.amazon.com/batch/latest/APIReference/API_Ec2Configuration.html
  test.each([batch.EcsMachineImageType.ECS_AL2_NVIDIA, batch.EcsMachineImageType.ECS_AL2023_NVIDIA])(
    '%s on Graviton instance types is refused, with a fix that deploys',
    (imageType) => {
      const { stack, vpc } = stackWithVpc();
      const e = errorOf(
        () =>
          new Ec2Capacity(stack, 'Arm', {
            vpc,
            instanceTypes: [new ec2.InstanceType('r7g.xlarge')],
            images: [{ imageType }],
          }),
      );
      expect(e.message).toBe(
        `Test/Arm: images [${imageType}] on Graviton (arm64) instance types is not allowed; allowed: ECS_AL2023_NVIDIA (and ECS_AL2_NVIDIA) only on x86_64 instance types, or with a custom image on Graviton: Batch has no arm64 NVIDIA AMI. Fix: use [{ imageType: batch.EcsMachineImageType.ECS_AL2023 }] for Graviton instance types (or leave images unset)`,
      );
      // THEN the fix is accepted
      new Ec2Capacity(stack, 'Fixed', {
        vpc,
        instanceTypes: [new ec2.InstanceType('r7g.xlarge')],
        images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023 }],
      });
    },
  );

  test('an NVIDIA image type with a custom image on Graviton GPU types (g5g) is accepted', () => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'ArmGpu', {
      vpc,
      instanceTypes: [new ec2.InstanceType('g5g.xlarge')],
      images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA, image: pinnedAmi }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        Ec2Configuration: [{ ImageType: 'ECS_AL2023_NVIDIA', ImageIdOverride: 'ami-0123456789abcdef0' }],
      }),
    });
  });

  test('Graviton GPU types (g5g) without a custom image are refused: Batch has no arm64 NVIDIA AMI', () => {
    const { stack, vpc } = stackWithVpc();
    const e = errorOf(
      () => new Ec2Capacity(stack, 'ArmGpu', { vpc, instanceTypes: [new ec2.InstanceType('g5g.xlarge')] }),
    );
    expect(e.message).toBe(
      "Test/ArmGpu: images unset for Graviton GPU instance types g5g.xlarge has no GPU AMI: Batch has no arm64 NVIDIA AMI, so the instances would boot without the NVIDIA driver and GPU jobs stay RUNNABLE; allowed: a custom image with the NVIDIA driver for Graviton GPU instance types. Fix: give images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA, image: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }) }] with an arm64 ECS AMI that has the NVIDIA driver, or use x86_64 GPU instance types (e.g. g6.xlarge)",
    );
  });

  // "ECS_AL2023_NVIDIA doesn't support p3 and g3 instance types":
  // https://docs.aws.amazon.com/batch/latest/APIReference/API_Ec2Configuration.html
  test.each<[string, batch.EcsMachineImage[] | undefined, string]>([
    ['p3.2xlarge', undefined, 'unset'],
    ['g3s.xlarge', [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA }], '[ECS_AL2023_NVIDIA]'],
    // p3dn.24xlarge is not in the catalog: the family name decides.
    ['p3dn.24xlarge', [{ imageType: batch.EcsMachineImageType.ECS_AL2_NVIDIA }], '[ECS_AL2_NVIDIA]'],
  ])('%s with images %j is refused: no Batch-provided AMI supports it', (type, images, shown) => {
    const { stack, vpc } = stackWithVpc();
    const e = errorOf(
      () => new Ec2Capacity(stack, 'Old', { vpc, instanceTypes: [new ec2.InstanceType(type)], images }),
    );
    expect(e.message).toBe(
      `Test/Old: images ${shown} for ${type} has no AMI for them: Batch's ECS_AL2023_NVIDIA does not support p3 and g3 instance types, and Batch no longer creates environments with its Amazon Linux 2 AMIs (since June 30, 2026); allowed: p3 and g3 instance types only with a custom image whose NVIDIA driver supports their GPUs. Fix: use a newer GPU family instead (e.g. g6.xlarge, g5.xlarge, p4d.24xlarge), or give images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA, image: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }) }] with such an AMI`,
    );
  });

  test('p3 with a custom NVIDIA image, and the newer family the fix names, are accepted', () => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'Custom', {
      vpc,
      instanceTypes: [new ec2.InstanceType('p3.2xlarge')],
      images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA, image: pinnedAmi }],
    });
    new Ec2Capacity(stack, 'Newer', { vpc, instanceTypes: [new ec2.InstanceType('g6.xlarge')] });
  });

  // "Effective June 30, 2026, Batch will block creation of new Amazon ECS compute environments using Batch-provided
  // Amazon Linux 2 AMIs": https://docs.aws.amazon.com/batch/latest/APIReference/API_Ec2Configuration.html
  test.each<[string, ec2.InstanceType[], batch.EcsMachineImage[], string, string]>([
    [
      'ECS_AL2',
      [new ec2.InstanceType('r6i.xlarge')],
      [{ imageType: batch.EcsMachineImageType.ECS_AL2 }],
      '[ECS_AL2]',
      '[{ imageType: batch.EcsMachineImageType.ECS_AL2023 }]',
    ],
    [
      'ECS_AL2 and ECS_AL2_NVIDIA on a mixed capacity',
      [new ec2.InstanceType('r6i.xlarge'), new ec2.InstanceType('g5.xlarge')],
      [{ imageType: batch.EcsMachineImageType.ECS_AL2 }, { imageType: batch.EcsMachineImageType.ECS_AL2_NVIDIA }],
      '[ECS_AL2, ECS_AL2_NVIDIA]',
      '[{ imageType: batch.EcsMachineImageType.ECS_AL2023 }, { imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA }]',
    ],
    [
      'ECS_AL2 alone on GPU types (its successor alone would have no driver)',
      [new ec2.InstanceType('g6.xlarge')],
      [{ imageType: batch.EcsMachineImageType.ECS_AL2 }],
      '[ECS_AL2]',
      '[{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA }]',
    ],
  ])('%s without a custom image is refused, and the fix deploys', (_name, instanceTypes, images, shown, fix) => {
    const { stack, vpc } = stackWithVpc();
    const e = errorOf(() => new Ec2Capacity(stack, 'Al2', { vpc, instanceTypes, images }));
    expect(e.message).toBe(
      `Test/Al2: images ${shown} (Batch-provided Amazon Linux 2 AMIs) would not deploy: since June 30, 2026 Batch blocks creating ECS compute environments with its Amazon Linux 2 AMIs; allowed: ECS_AL2023 or ECS_AL2023_NVIDIA, or ECS_AL2 / ECS_AL2_NVIDIA only with a custom image (imageIdOverride). Fix: give images: ${fix} (or leave images unset)`,
    );
    // THEN the image types the fix names are accepted
    const fixed = [...fix.matchAll(/EcsMachineImageType\.(\w+)/g)].map((m) => ({
      imageType: m[1] as batch.EcsMachineImageType,
    }));
    new Ec2Capacity(stack, 'Fixed', { vpc, instanceTypes, images: fixed });
  });

  test('ECS_AL2 with a custom image is still accepted (the block is on Batch-provided AL2 AMIs)', () => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'Al2Custom', {
      vpc,
      images: [{ imageType: batch.EcsMachineImageType.ECS_AL2, image: pinnedAmi }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        Ec2Configuration: [{ ImageType: 'ECS_AL2', ImageIdOverride: 'ami-0123456789abcdef0' }],
      }),
    });
  });

  // Batch boots its GPU AMI on "p6, p3, p4, p5, g3, g3s, g4, g5, or g6 instance types or families":
  // https://docs.aws.amazon.com/batch/latest/userguide/batch-gpu-ami.html
  test.each<[string, { instanceTypes?: ec2.InstanceType[]; instanceClasses?: ec2.InstanceClass[] }, object[]]>([
    [
      'g6.xlarge (not in the catalog)',
      { instanceTypes: [new ec2.InstanceType('g6.xlarge')] },
      [{ ImageType: 'ECS_AL2023_NVIDIA' }],
    ],
    ['p5.48xlarge', { instanceTypes: [new ec2.InstanceType('p5.48xlarge')] }, [{ ImageType: 'ECS_AL2023_NVIDIA' }]],
    ['the g6e class', { instanceClasses: [ec2.InstanceClass.G6E] }, [{ ImageType: 'ECS_AL2023_NVIDIA' }]],
    [
      'r6i.xlarge with p4d.24xlarge',
      { instanceTypes: [new ec2.InstanceType('r6i.xlarge'), new ec2.InstanceType('p4d.24xlarge')] },
      [{ ImageType: 'ECS_AL2023' }, { ImageType: 'ECS_AL2023_NVIDIA' }],
    ],
    ['c6i.xlarge (no GPU)', { instanceTypes: [new ec2.InstanceType('c6i.xlarge')] }, [{ ImageType: 'ECS_AL2023' }]],
  ])('GPU detection by family: %s', (_name, props, expected) => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'Gpu', { vpc, ...props });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Ec2Configuration: expected }),
    });
  });

  test('a GPU type the catalog does not know, with only ECS_AL2023, is refused like a known one', () => {
    const { stack, vpc } = stackWithVpc();
    const e = errorOf(
      () =>
        new Ec2Capacity(stack, 'Gpu', {
          vpc,
          instanceTypes: [new ec2.InstanceType('g6.xlarge')],
          images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023 }],
        }),
    );
    expect(e.message).toContain('Test/Gpu: images [ECS_AL2023] for GPU instance types g6.xlarge has no GPU AMI');
  });

  test('the custom-image fixes the messages give compile against the library', () => {
    const images = [
      "[{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA, image: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }) }]",
      '[{ imageType: batch.EcsMachineImageType.ECS_AL2023 }, { imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA }]',
    ];
    const diagnostics = typeCheck(
      Object.fromEntries(
        images.map((code) => [
          code,
          "import * as batch from 'aws-cdk-lib/aws-batch';\nimport * as ec2 from 'aws-cdk-lib/aws-ec2';\n" +
            "import { Stack } from 'aws-cdk-lib';\nimport { Ec2Capacity } from 'cdk-batch-pipelines';\n" +
            'declare const stack: Stack;\ndeclare const vpc: ec2.IVpc;\n' +
            `new Ec2Capacity(stack, 'Gpu', { vpc, images: ${code} });\n`,
        ]),
      ),
    );
    expect(diagnostics).toEqual(Object.fromEntries(images.map((c) => [c, []])));
  });

  test('a custom AMI with a scratch volume warns what the launch template expects of the image', () => {
    const { stack, vpc } = stackWithVpc();
    new Ec2Capacity(stack, 'Spot', {
      vpc,
      scratchVolumeSize: Size.gibibytes(100),
      images: [
        {
          imageType: batch.EcsMachineImageType.ECS_AL2023,
          image: pinnedAmi,
        },
      ],
    });
    const found = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('custom-ami-scratch'));
    expect(found).toHaveLength(1);
    expect(String(found[0].entry.data)).toContain('Test/Spot: a custom image with scratchVolumeSize');
  });
});
