import { Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Job, JobQueue } from '../../lib';
import { gib } from '../../lib/private/errors';
import { capacities } from '../support/capacity';
import { stackWithVpc } from '../support/stacks';

describe('sizes in messages', () => {
  test.each([
    [8, '8 MiB'],
    [512, '512 MiB'],
    [1024, '1 GiB'],
    [1536, '1.5 GiB'],
    [30720, '30 GiB'],
  ])('%i MiB reads %s', (mib, text) => {
    expect(gib(mib)).toBe(text);
  });

  test('a job of a few MiB is named in MiB, not as 0 GiB', () => {
    const { app, stack, vpc } = stackWithVpc();
    const queue = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).fargate] });
    new Job(stack, 'J', {
      queues: [queue],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 1,
      memory: Size.mebibytes(8),
    });
    expect(() => app.synth()).toThrow('Test/J: memory 8 MiB (with 1 vCPU) does not fit Fargate queue Test/Q');
  });
});
