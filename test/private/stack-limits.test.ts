import { Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Job, Workflow, WorkflowStep } from '../../lib';
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
});
