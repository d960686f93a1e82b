import { App, CfnElement, Size, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FanOut, Job, JobQueue, Workflow, WorkflowStep } from '../../lib';
import { capacities } from '../support/capacity';
import { validationFindings } from '../support/synth';
import { genomicsPipeline, SAMPLE_ITEMS } from '../support/pipeline';
import { stackWithVpc } from '../support/stacks';

// Every grant the workflow makes (lib/workflow/grants.ts): its state machine's role, its steps' jobs, and grantWatch.

describe("the state machine's role", () => {
  const p = genomicsPipeline();
  const template = Template.fromStack(p.stack);

  test("the role may submit the stack's job definitions (every revision) to these queues, and stop them", () => {
    const roleId = p.stack.getLogicalId(p.workflow.stateMachine.role.node.defaultChild as CfnElement);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((r) =>
      JSON.stringify(r.Properties.Roles).includes(roleId),
    );
    const statements = policies.flatMap((r) => r.Properties.PolicyDocument.Statement) as Array<{
      Action: string | string[];
      Resource: unknown;
    }>;
    const byAction = (a: string) => statements.filter((s) => ([] as string[]).concat(s.Action).includes(a));
    // One statement: the stack's job definitions by their shared name prefix, and the two queues.
    expect(byAction('batch:SubmitJob')).toHaveLength(1);
    const resources = byAction('batch:SubmitJob')[0].Resource as unknown[];
    expect(resources).toHaveLength(3);
    expect(JSON.stringify(resources[0])).toContain(':job-definition/Test_*');
    expect(JSON.stringify(resources.slice(1))).toContain('JobQueueArn');
    expect(p.jobs.align.jobDefinitionName).toBe('Test_Align');
    expect(byAction('batch:DescribeJobs')[0].Resource).toBe('*');
    expect(JSON.stringify(byAction('batch:TerminateJob')[0].Resource)).toContain(':job/*');
    expect(JSON.stringify(byAction('events:PutRule')[0].Resource)).toContain(
      'rule/StepFunctionsGetEventsForBatchJobsRule',
    );
    for (const s of statements) {
      expect(s.Action).not.toBe('*');
    }
  });

  test("the submit permission is one pattern for the stack's job definitions, however many jobs there are", () => {
    const submitStatement = (jobs: number, named?: string) => {
      const { stack, vpc } = stackWithVpc();
      const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
      const steps = Array.from({ length: jobs }, (_, i) => {
        const job = new Job(stack, `J${i}`, {
          queues: [q],
          image: ecs.ContainerImage.fromRegistry('busybox'),
          vcpus: 1,
          memory: Size.gibibytes(2),
          jobDefinitionName: i === 0 ? named : undefined,
        });
        return new WorkflowStep(`s${i}`, { job });
      });
      new Workflow(stack, 'Wf', { steps });
      const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
      const statements = Object.values(policies).flatMap((r) => r.Properties.PolicyDocument.Statement) as Array<{
        Action: unknown;
        Resource: unknown[];
      }>;
      return statements.filter((s) => s.Action === 'batch:SubmitJob');
    };
    expect(submitStatement(30)).toEqual(submitStatement(2));
    expect(submitStatement(2)[0].Resource).toHaveLength(2); // the stack's job definitions and the queue
    // A job definition named outside the pattern is listed by its own ARN (every revision).
    const custom = submitStatement(2, 'legacy-align');
    expect(custom[0].Resource).toHaveLength(3);
    expect(JSON.stringify(custom[0].Resource)).toContain(':job-definition/legacy-align:*');
  });

  test("cdk-nag finds nothing unacknowledged on a fan-out's workflow with its manifest and results in S3", () => {
    const app = new App({ builtinCloudFormationValidation: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Nag');
    const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, new ec2.Vpc(stack, 'Vpc')).onDemand] });
    const job = new Job(stack, 'Resize', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      command: ['resize', 'Ref::sampleId'],
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    const photos = new FanOut('photos', {
      ...SAMPLE_ITEMS,
      manifest: { bucket: new s3.Bucket(stack, 'Input') },
      results: { bucket: new s3.Bucket(stack, 'Results') },
      expectedItems: 10_000,
    });
    new Workflow(stack, 'Wf', { steps: [new WorkflowStep('resize', { job, forEach: photos })] });
    // The bare VPC and buckets of this test have findings of their own; the library's constructs must have none.
    const flagged = validationFindings(app);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.filter((f) => !/ Nag\/(Vpc|Input|Results)\//.test(f))).toEqual([]);
  });
});

describe('grantWatch', () => {
  test('grants what watch --execution-arn reads: executions, their Map Runs and child executions, the result files', () => {
    const { stack, vpc } = stackWithVpc();
    const c = capacities(stack, vpc);
    const q = new JobQueue(stack, 'Q', { capacities: [c.onDemand] });
    const bucket = new s3.Bucket(stack, 'Data', { enforceSSL: true });
    const job = new Job(stack, 'J', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      command: ['run', 'Ref::sampleId'],
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    const samples = new FanOut('samples', {
      ...SAMPLE_ITEMS,
      manifest: { bucket },
      results: { bucket, prefix: 'runs/' },
      expectedItems: 200,
    });
    const wf = new Workflow(stack, 'Wf', { steps: [new WorkflowStep('only', { job, forEach: samples })] });
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    wf.grantWatch(role);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('Operator'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const on = (action: string) =>
      JSON.stringify(statements.filter((st) => [st.Action].flat().includes(action)).map((st) => st.Resource));
    // A child execution is `execution:<name>/<label>:<id>`: `<name>:*` alone does not match it.
    for (const action of [
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:ListMapRuns',
      'states:DescribeStateMachineForExecution', // report --execution-arn: the queues its definition names
    ]) {
      expect(on(action)).toMatch(/:execution:",\{"Fn::GetAtt":\["Wf[0-9A-Za-z]+","Name"\]\},":\*"/);
      expect(on(action)).toMatch(/:execution:",\{"Fn::GetAtt":\["Wf[0-9A-Za-z]+","Name"\]\},"\/\*"/);
    }
    for (const action of ['states:DescribeMapRun', 'states:ListExecutions']) {
      expect(on(action)).toMatch(/:mapRun:",\{"Fn::GetAtt":\["Wf[0-9A-Za-z]+","Name"\]\},"\/\*"/);
    }
    expect(on('s3:GetObject*')).toContain('/runs/*');
  });
});

describe('grantWatch for batch-pipelines logs', () => {
  /** A two-step workflow whose operator is granted grantWatch, in `app`. */
  function watched(app: App) {
    const stack = new Stack(app, 'Nag');
    const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, new ec2.Vpc(stack, 'Vpc')).onDemand] });
    const job = (id: string) =>
      new Job(stack, id, {
        queues: [q],
        image: ecs.ContainerImage.fromRegistry('busybox'),
        command: ['run', 'Ref::sampleId'],
        vcpus: 1,
        memory: Size.gibibytes(2),
      });
    const samples = new FanOut('samples', { ...SAMPLE_ITEMS, expectedItems: 10 });
    const align = new WorkflowStep('align', { job: job('Align'), forEach: samples });
    const qc = new WorkflowStep('qc', { job: job('Qc'), forEach: samples, dependsOn: [align] });
    const wf = new Workflow(stack, 'Wf', { steps: [align, qc] });
    wf.grantWatch(new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() }));
    return stack;
  }

  test('cdk-nag finds nothing unacknowledged on the operator', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    watched(app);
    expect(validationFindings(app).filter((f) => f.split(' ')[1].startsWith('Nag/Operator'))).toEqual([]);
  });

  test("reads the steps' jobs (ListJobs, DescribeJobs) and the events of the log group they write to", () => {
    const stack = watched(new App());
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('Operator'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const on = (action: string) =>
      statements.filter((st) => [st.Action].flat().includes(action)).map((st) => st.Resource);
    expect(on('batch:ListJobs')).toEqual(['*']);
    expect(on('batch:DescribeJobs')).toEqual(['*']);
    // report prices the jobs from their queues' compute environments.
    expect(on('batch:DescribeJobQueues')).toEqual(['*']);
    expect(on('batch:DescribeComputeEnvironments')).toEqual(['*']);
    // Both jobs write to the stack's one shared log group: one grant on its ARN (`…:log-group:<name>:*`).
    expect(on('logs:GetLogEvents')).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^BatchPipelinesSharedLogs/), 'Arn'] },
    ]);
  });
});
