import { Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Job, JobQueue } from '../../lib';
import { capacities, errorOf } from '../support/capacity';
import { typeCheck } from '../support/compiles';
import { stackWithVpc } from '../support/stacks';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');

function transcode(parameters: Record<string, string>): Job {
  const { stack, vpc } = stackWithVpc();
  const c = capacities(stack, vpc);
  const queue = JobQueue.fargateSpotFirst(stack, 'Queue', c.fargateSpot, c.fargate);
  return new Job(stack, 'Transcode', {
    queues: [queue],
    image,
    command: ['transcode', 'Ref::videoId', 'Ref::preset'],
    parameters,
    vcpus: 2,
    memory: Size.gibibytes(4),
  });
}

describe('a parameter default whose name the command does not use', () => {
  const nearMiss = errorOf(() => transcode({ videoID: "it's-a-default" })).message;

  test('GIVEN a default videoID for Ref::videoId THEN "did you mean `videoId`?" with the default renamed', () => {
    expect(nearMiss).toBe(
      "Test/Transcode: parameters.videoID 'videoID' (not used as Ref::videoID in command) is not allowed; allowed: " +
        "defaults for parameters the command uses: videoId, preset. Fix: did you mean `videoId` (the command's " +
        "Ref::videoId)? Name the default as the command does: `parameters: { videoId: 'it\\'s-a-default' }`, or use " +
        'Ref::videoID in the command',
    );
  });

  test('GIVEN a name near none of the command THEN no suggestion', () => {
    expect(errorOf(() => transcode({ bitrate: '5M' })).message).toMatch(
      /Fix: use Ref::bitrate in the command, or remove the default \(a typo here would be silently ignored by Batch\)$/,
    );
  });

  test('the suggested code compiles, and the job it describes is accepted', () => {
    const code = /`(parameters: [^`]+)`/.exec(nearMiss)![1];
    const diagnostics = typeCheck({
      fix: [
        "import { Size } from 'aws-cdk-lib';",
        "import * as ecs from 'aws-cdk-lib/aws-ecs';",
        "import { IJobQueue, Job } from 'cdk-batch-pipelines';",
        'declare const scope: Job;',
        'declare const queue: IJobQueue;',
        "new Job(scope, 'Transcode', { queues: [queue], image: ecs.ContainerImage.fromRegistry('x'), vcpus: 2,",
        `  memory: Size.gibibytes(4), command: ['transcode', 'Ref::videoId', 'Ref::preset'], ${code} });`,
      ].join('\n'),
    });
    expect(diagnostics).toEqual({ fix: [] });
    expect(transcode({ videoId: "it's-a-default" }).parameterDefaults).toEqual({ videoId: "it's-a-default" });
  });
});
