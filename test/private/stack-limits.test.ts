import { App, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Job, JobQueue, Workflow, WorkflowStep } from '../../lib';
import { capacities } from '../support/capacity';
import { errorOf } from '../support/capacity';
import { genomicsPipeline } from '../support/pipeline';

describe('stack limits checked at synth', () => {
  test('more than 500 resources fails with the count, the limit and the fix', () => {
    const p = genomicsPipeline();
    for (let i = 0; i < 470; i++) {
      new Job(p.stack, `Extra${i}`, {
        queues: [p.urgent],
        image: ecs.ContainerImage.fromRegistry('busybox'),
        vcpus: 1,
        memory: Size.gibibytes(2),
      });
    }
    const error = errorOf(() => p.app.synth());
    expect(error.message).toMatch(
      /Test: \d+ CloudFormation resources exceed the limit of 500 per stack\. Fix: split the pipeline into two stacks/,
    );
  });

  test('a template over 1 MB fails with its size, the limit and the fix', () => {
    const p = genomicsPipeline();
    let previous: WorkflowStep | undefined;
    const steps: WorkflowStep[] = [];
    for (let i = 0; i < 1000; i++) {
      previous = new WorkflowStep(`s${i}`, { job: p.jobs.align, dependsOn: previous ? [previous] : [] });
      steps.push(previous);
    }
    new Workflow(p.stack, 'Huge', { steps });
    const error = errorOf(() => p.app.synth());
    expect(error.message).toMatch(
      /Test: the template is \d+ bytes, over CloudFormation's limit of 1048576\. Fix: split/,
    );
    // The definition guard reports too, at once.
    expect(error.message).toContain('make a state machine definition larger than Step Functions accepts');
  });

  describe('a role granted more than IAM attaches', () => {
    /** A job granted 130 buckets one by one: its role's grants overflow into more than 10 managed policies. */
    function manyGrants(context: Record<string, unknown> = {}) {
      const app = new App({ context, builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'Test');
      const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, new ec2.Vpc(stack, 'Vpc')).onDemand] });
      const job = new Job(stack, 'J', {
        queues: [q],
        image: ecs.ContainerImage.fromRegistry('busybox'),
        vcpus: 1,
        memory: Size.gibibytes(2),
      });
      for (let i = 0; i < 130; i++) {
        const bucket = new s3.Bucket(stack, `B${i}`);
        job.grantRead(bucket, 'in/');
        job.grantWrite(bucket, 'out/');
      }
      return app;
    }

    test('fails with the role, the count, the quota and the fix', () => {
      const error = errorOf(() => manyGrants().synth());
      expect(error.message).toMatch(
        /Test: role Test\/J\/JobRole has 1\d managed policies attached \(its grants overflow the inline policy\), over IAM's quota of 10 per role\. Fix: grant a shared prefix once/,
      );
    });

    test('an account with a raised quota says so in context', () => {
      expect(() => manyGrants({ 'cdk-batch-pipelines:maxManagedPoliciesPerRole': 20 }).synth()).not.toThrow();
      expect(
        errorOf(() => manyGrants({ 'cdk-batch-pipelines:maxManagedPoliciesPerRole': 'lots' }).synth()).message,
      ).toContain(
        "context cdk-batch-pipelines:maxManagedPoliciesPerRole 'lots' is not allowed; allowed: a whole number from 1 to 20",
      );
    });
  });
});
