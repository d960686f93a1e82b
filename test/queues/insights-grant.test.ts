import { Size } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FanOut, Job, JobQueue, Workflow, WorkflowStep } from '../../lib';
import { capacities } from '../support/capacity';
import { SAMPLE_ITEMS } from '../support/pipeline';
import { stackWithVpc } from '../support/stacks';

/** The resources of the operator's statements that allow `action`. */
function resourcesOf(template: Template, action: string): unknown[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('Operator'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .filter((st: { Action: string | string[] }) => [st.Action].flat().includes(action))
    .map((st: { Resource: unknown }) => st.Resource);
}

// `arn:<partition>:logs:<region>:<account>:log-group:/aws/ecs/containerinsights/*/performance:*`
const PERFORMANCE_GROUPS = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':logs:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':log-group:/aws/ecs/containerinsights/*/performance:*',
    ],
  ],
};

test("JobQueue.grantOperate lets rightsize read Container Insights' performance events, and nothing else of them", () => {
  const { stack, vpc } = stackWithVpc();
  const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).spot] });
  q.grantOperate(new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() }));
  expect(resourcesOf(Template.fromStack(stack), 'logs:FilterLogEvents')).toEqual([PERFORMANCE_GROUPS]);
});

test("Workflow.grantWatch lets rightsize read Container Insights' performance events", () => {
  const { stack, vpc } = stackWithVpc();
  const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
  const job = new Job(stack, 'Align', {
    queues: [q],
    image: ecs.ContainerImage.fromRegistry('busybox'),
    command: ['run', 'Ref::sampleId'],
    vcpus: 1,
    memory: Size.gibibytes(2),
  });
  const samples = new FanOut('samples', { ...SAMPLE_ITEMS, expectedItems: 10 });
  const wf = new Workflow(stack, 'Wf', { steps: [new WorkflowStep('align', { job, forEach: samples })] });
  wf.grantWatch(new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() }));
  expect(resourcesOf(Template.fromStack(stack), 'logs:FilterLogEvents')).toEqual([PERFORMANCE_GROUPS]);
});
