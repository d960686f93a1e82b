import { App, Size, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Ec2Capacity, FargateCapacity, Job, JobQueue } from '../../lib';

/** Two resources of one kind with one physical name in an account and region collide at deploy ("already exists"). */
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');

function base(stack: Stack) {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const queue = new JobQueue(stack, 'Queue', { capacities: [new Ec2Capacity(stack, 'Capacity', { vpc })] });
  return { vpc, queue };
}

describe('physical names claimed twice in one app', () => {
  test('two job definitions named alike in one stack: refused, naming the first', () => {
    const stack = new Stack(new App(), 'Test');
    const { queue } = base(stack);
    const props = { queues: [queue], image, vcpus: 1, memory: Size.gibibytes(2), jobDefinitionName: 'align' };
    new Job(stack, 'First', props);
    expect(() => new Job(stack, 'Second', props)).toThrow(
      "Test/Second: jobDefinitionName 'align' is already the name of job definition Test/First in this app (the same stack); allowed: one job definition per name in an account and region (Batch names are unique there). Fix: give one of them another jobDefinitionName, or leave jobDefinitionName out to let the library or CloudFormation name it",
    );
  });

  test('two queues, or two compute environments, named alike in one environment: refused', () => {
    const env = { account: '111111111111', region: 'eu-west-1' };
    const app = new App();
    const a = new Stack(app, 'A', { env });
    const b = new Stack(app, 'B', { env });
    const vpcA = new ec2.Vpc(a, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const vpcB = new ec2.Vpc(b, 'Vpc', { maxAzs: 2, natGateways: 0 });
    new FargateCapacity(a, 'Fargate', { vpc: vpcA, computeEnvironmentName: 'shared-fargate' });
    expect(() => new FargateCapacity(b, 'Fargate', { vpc: vpcB, computeEnvironmentName: 'shared-fargate' })).toThrow(
      "B/Fargate: computeEnvironmentName 'shared-fargate' is already the name of compute environment A/Fargate",
    );
    const capacity = (s: Stack, v: ec2.IVpc) => new Ec2Capacity(s, 'Capacity', { vpc: v });
    new JobQueue(a, 'Queue', { capacities: [capacity(a, vpcA)], jobQueueName: 'standard' });
    expect(() => new JobQueue(b, 'Queue', { capacities: [capacity(b, vpcB)], jobQueueName: 'standard' })).toThrow(
      "B/Queue: jobQueueName 'standard' is already the name of job queue A/Queue",
    );
  });

  test('the same name in two regions is fine; in two stacks without env it is a warning', () => {
    const app = new App();
    const east = new Stack(app, 'East', { env: { account: '111111111111', region: 'us-east-1' } });
    const west = new Stack(app, 'West', { env: { account: '111111111111', region: 'us-west-2' } });
    for (const s of [east, west]) {
      const { queue } = base(s);
      new Job(s, 'Align', { queues: [queue], image, vcpus: 1, memory: Size.gibibytes(2), jobDefinitionName: 'align' });
    }
    const one = new Stack(app, 'One');
    const two = new Stack(app, 'Two');
    for (const s of [one, two]) {
      const { queue } = base(s);
      new Job(s, 'Align', { queues: [queue], image, vcpus: 1, memory: Size.gibibytes(2), jobDefinitionName: 'align' });
    }
    expect(Annotations.fromStack(west).findWarning('*', Match.stringLikeRegexp('duplicate-name'))).toEqual([]);
    const warnings = Annotations.fromStack(two).findWarning('*', Match.stringLikeRegexp('duplicate-name'));
    expect(warnings.map((w) => String(w.entry.data))).toEqual([
      expect.stringContaining("job definition name 'align' is also used by One/Align"),
    ]);
  });

  test('two stacks without env inside one stage are compared as stacks, not by their first path segment', () => {
    const app = new App();
    const stage = new Stage(app, 'Prod');
    for (const id of ['A', 'B']) {
      const s = new Stack(stage, id);
      const { queue } = base(s);
      new Job(s, 'Align', { queues: [queue], image, vcpus: 1, memory: Size.gibibytes(2), jobDefinitionName: 'align' });
    }
    const b = stage.node.findChild('B') as Stack;
    expect(
      Annotations.fromStack(b)
        .findWarning('*', Match.stringLikeRegexp('duplicate-name'))
        .map((w) => String(w.entry.data)),
    ).toEqual([expect.stringContaining('is also used by Prod/A/Align')]);
  });
});
