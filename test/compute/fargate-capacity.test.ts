import { Size } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { BatchPipelinesValidationError, CapacityPlatform, FargateCapacity, PurchaseOption } from '../../lib';
import { stackWithVpc } from '../support/stacks';

describe('FargateCapacity', () => {
  test('defaults: Fargate Spot, x86_64, 256 vCPUs, private subnets, in-place updates', () => {
    const { stack, vpc } = stackWithVpc();
    const c = new FargateCapacity(stack, 'Fargate', { vpc });
    const privateIds = vpc.privateSubnets.map((s) => ({
      Ref: stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet),
    }));
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ReplaceComputeEnvironment: false,
      ComputeResources: Match.objectLike({
        Type: 'FARGATE_SPOT',
        MaxvCpus: 256,
        Subnets: privateIds,
        MinvCpus: Match.absent(),
        InstanceTypes: Match.absent(),
        AllocationStrategy: Match.absent(),
      }),
    });
    expect(c.platform).toBe(CapacityPlatform.FARGATE);
    expect(c.purchaseOption).toBe(PurchaseOption.SPOT);
    expect(c.architecture).toBe(ec2.InstanceArchitecture.X86_64);
  });

  test('On-Demand Fargate may run arm64', () => {
    const { stack, vpc } = stackWithVpc();
    new FargateCapacity(stack, 'Fargate', {
      vpc,
      purchaseOption: PurchaseOption.ON_DEMAND,
      architecture: ec2.InstanceArchitecture.ARM_64,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Type: 'FARGATE' }),
    });
  });

  test('fit accepts valid Fargate sizes and names the nearest ones otherwise', () => {
    const { stack, vpc } = stackWithVpc();
    const c = new FargateCapacity(stack, 'Fargate', { vpc, maxvCpus: 8 });
    expect(c.fit({ vcpus: 4, memory: Size.gibibytes(30) }).fits).toBe(true);
    expect(c.fit({ vcpus: 4, memory: Size.gibibytes(32) }).reason).toContain('nearest valid: 8 vCPU / 32768 MiB');
    expect(c.fit({ vcpus: 16, memory: Size.gibibytes(32) }).reason).toBe('needs 16 vCPUs but maxvCpus is 8');
    expect(c.fit({ vcpus: 4, memory: Size.gibibytes(16), gpus: 1 }).fits).toBe(false);
  });

  test('two in one stack do not collide', () => {
    const { stack, vpc } = stackWithVpc();
    new FargateCapacity(stack, 'Spot', { vpc });
    new FargateCapacity(stack, 'OnDemand', { vpc, purchaseOption: PurchaseOption.ON_DEMAND });
    Template.fromStack(stack).resourceCountIs('AWS::Batch::ComputeEnvironment', 2);
  });

  test.each([
    [
      'GPUs',
      { gpus: 1 },
      'Test/Bad: gpus on Fargate capacity is not allowed; allowed: vpc, purchaseOption, architecture, maxvCpus, vpcSubnets, securityGroups, updateTimeout. Fix: Fargate has no GPUs: use Ec2Capacity with GPU instance types (g4dn, g5)',
    ],
    [
      'instance types',
      { instanceTypes: [new ec2.InstanceType('r6i.xlarge')] },
      'Test/Bad: instanceTypes on Fargate capacity is not allowed; allowed: vpc, purchaseOption, architecture, maxvCpus, vpcSubnets, securityGroups, updateTimeout. Fix: remove instanceTypes, or use Ec2Capacity if you need to choose instances',
    ],
    [
      'Fargate Spot on ARM',
      { architecture: ec2.InstanceArchitecture.ARM_64 },
      'Test/Bad: architecture ARM_64 with Fargate Spot is not allowed; allowed: X86_64 for Fargate Spot (Fargate Spot runs x86_64 Linux only). Fix: use purchaseOption: PurchaseOption.ON_DEMAND for arm64 jobs, or architecture X86_64',
    ],
    [
      'maxvCpus 0',
      { maxvCpus: 0 },
      'Test/Bad: maxvCpus 0 is not allowed; allowed: a whole number of at least 1. Fix: give the most vCPUs of tasks that may run at once',
    ],
  ])('rejects %s', (_name, extra, message) => {
    const { stack, vpc } = stackWithVpc();
    let error: unknown;
    try {
      new FargateCapacity(stack, 'Bad', { vpc, ...(extra as object) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatchPipelinesValidationError);
    expect((error as Error).message).toBe(message);
  });
});
