import { Annotations as CdkAnnotations, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Job, JobQueue } from '../../lib';
import { capacities } from '../support/capacity';
import { typeCheck } from '../support/compiles';
import { stackWithVpc } from '../support/stacks';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');

function transcode(): { stack: Stack; job: Job; bucket: s3.Bucket } {
  const { stack, vpc } = stackWithVpc();
  const c = capacities(stack, vpc);
  const queue = JobQueue.fargateSpotFirst(stack, 'Queue', c.fargateSpot, c.fargate);
  const job = new Job(stack, 'Transcode', { queues: [queue], image, vcpus: 2, memory: Size.gibibytes(4) });
  return { stack, job, bucket: new s3.Bucket(stack, 'Renditions') };
}

/** The S3 object resources of the job's own role policy, as `Fn::Join` tails (`/renditions/*`). */
function objectResources(stack: Stack): string[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  const resources = Object.values(policies).flatMap((p) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Resource].flat()),
  );
  return resources
    .filter((r) => r['Fn::Join'] !== undefined)
    .map((r) => r['Fn::Join'][1].slice(1).join(''))
    .filter((tail: string) => tail.startsWith('/'));
}

function warningsOf(stack: Stack): string[] {
  return Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('grant-prefix-not-folder'))
    .map((w) => String(w.entry.data));
}

describe('grant prefixes are granted as given, and a prefix that is not a folder says what else it reaches', () => {
  test("GIVEN a folder prefix 'renditions/' THEN the policy names renditions/* and nothing warns", () => {
    const { stack, job, bucket } = transcode();
    job.grantWrite(bucket, 'renditions/');
    job.grantRead(bucket, 'renditions/');
    expect(objectResources(stack)).toEqual(['/renditions/*', '/renditions/*']);
    expect(warningsOf(stack)).toEqual([]);
  });

  test('GIVEN no prefix THEN the whole bucket, without a warning', () => {
    const { stack, job, bucket } = transcode();
    job.grantRead(bucket);
    expect(objectResources(stack)).toEqual(['/*']);
    expect(warningsOf(stack)).toEqual([]);
  });

  test("GIVEN 'renditions' (no slash) THEN renditions* is granted as given, and a warning says it reaches renditions-old/", () => {
    const { stack, job, bucket } = transcode();
    job.grantWrite(bucket, 'renditions');
    expect(objectResources(stack)).toEqual(['/renditions*']);
    expect(warningsOf(stack)).toEqual([
      "Test/Transcode: grantWrite(Test/Renditions, 'renditions') grants every key that starts with 'renditions' " +
        "(renditions*): besides 'renditions/…' also 'renditions-old/…' and 'renditions.json'. To grant the folder " +
        "only, pass 'renditions/' (grantWrite(bucket, 'renditions/')); if every key starting with 'renditions' is " +
        'meant, acknowledge cdk-batch-pipelines:grant-prefix-not-folder. [ack: cdk-batch-pipelines:grant-prefix-not-folder]',
    ]);
  });

  test('the warning can be acknowledged by its id', () => {
    const { stack, job, bucket } = transcode();
    job.grantRead(bucket, 'logs/2024-');
    expect(warningsOf(stack)).toHaveLength(1);
    CdkAnnotations.of(job).acknowledgeWarning('cdk-batch-pipelines:grant-prefix-not-folder', 'dated log prefixes');
    expect(warningsOf(stack)).toEqual([]);
  });

  test.each([
    ['renditions/*', '*', 'renditions/'],
    ['renditions/**', '*', 'renditions/'],
    ['renditions/?', '?', 'renditions/'],
    ['s3://media/renditions/*', null, 'renditions/'],
  ])('GIVEN %p THEN an error whose fix is the prefix without the wildcard (%p)', (prefix, wildcard, fixed) => {
    const { stack, job, bucket } = transcode();
    const problem = wildcard
      ? `holds an IAM wildcard ('${wildcard}'), and the grant adds '*' after the prefix (${prefix}*); allowed: a ` +
        "key prefix without '*' or '?', e.g. 'samples/': the grant covers every key under it. " +
        `Fix: grantWrite(bucket, '${fixed}')`
      : `is not allowed; allowed: a key prefix of the bucket, e.g. 'samples/' (no s3:// and no leading '/': S3 keys have none). Fix: pass '${fixed}'`;
    expect(() => job.grantWrite(bucket, prefix)).toThrow(`Test/Transcode: grantWrite.prefix '${prefix}' ${problem}`);
    expect(objectResources(stack)).toEqual([]);
  });

  // IAM substitutes policy variables (`${aws:username}`) in the Resource element and in condition values:
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
  test.each([
    ['runs/${runId}/', 'runs/', 'grantWrite'],
    // never an empty prefix, which would grant the whole bucket
    ['${aws:username}/', 'data/', 'grantRead'],
    // the fix stops at the first wildcard or variable, so following it does not meet the wildcard error
    ['runs/*/${id}/', 'runs/', 'grantWrite'],
    ['s3://media/runs/${id}/', 'runs/', 'grantWrite'],
  ] as const)('GIVEN %p THEN an error: IAM would read ${ as a policy variable; fix %p', (prefix, fixed, method) => {
    const { stack, job, bucket } = transcode();
    if (prefix.startsWith('s3://')) {
      // The s3:// fix also stops at '${', so following it does not meet the next error.
      expect(() => job.grantWrite(bucket, prefix)).toThrow(
        `Test/Transcode: grantWrite.prefix '${prefix}' is not allowed; allowed: a key prefix of the bucket, e.g. 'samples/' (no s3:// and no leading '/': S3 keys have none). Fix: pass '${fixed}'`,
      );
    } else {
      expect(() => job[method](bucket, prefix)).toThrow(
        `Test/Transcode: ${method}.prefix '${prefix}' holds '\${', which IAM reads as a policy variable in the object ARN and in the s3:prefix condition (if it is a JavaScript value, write the prefix in backticks so it is filled in); allowed: a key prefix without '\${', '*' or '?', e.g. 'samples/'. Fix: ${method}(bucket, '${fixed}')`,
      );
    }
    expect(objectResources(stack)).toEqual([]);
    // THEN the fix is accepted
    job[method](bucket, fixed);
  });

  test('the fixes the messages give compile against the library', () => {
    const fixes = ["grantWrite(bucket, 'renditions/')", "grantRead(bucket, 'renditions/')"];
    const diagnostics = typeCheck(
      Object.fromEntries(
        fixes.map((fix) => [
          fix,
          "import * as s3 from 'aws-cdk-lib/aws-s3';\nimport { Job } from 'cdk-batch-pipelines';\n" +
            `declare const job: Job;\ndeclare const bucket: s3.IBucket;\njob.${fix};\n`,
        ]),
      ),
    );
    expect(diagnostics).toEqual(Object.fromEntries(fixes.map((f) => [f, []])));
  });
});
