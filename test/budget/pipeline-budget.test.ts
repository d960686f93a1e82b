import { App, CfnElement, Size, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  BudgetAlertType,
  Job,
  JobQueue,
  ManifestTrigger,
  PipelineBudget,
  PipelineBudgetProps,
  PipelineMonitoring,
  PipelineTag,
  Workflow,
  WorkflowStep,
} from '../../lib';
import { PIPELINE_TAG_KEY } from '../../lib/contract/cost-tag';
import { capacities } from '../support/capacity';
import { genomicsJobs, genomicsSteps } from '../support/pipeline';
import { validationFindings } from '../support/synth';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown; Sid?: string };

/** The reference pipeline with a manifest trigger and an operator role that may start runs and submit jobs. */
function scene(
  budget: Partial<PipelineBudgetProps> = {},
  topic?: (stack: Stack) => sns.ITopic,
  moreOperators: (stack: Stack) => iam.IRole[] = () => [],
) {
  const g = genomicsJobs();
  const stack = g.stack;
  const input = new s3.Bucket(stack, 'Input', { eventBridgeEnabled: true });
  const { steps } = genomicsSteps(g, {
    manifest: { bucket: input, prefix: 'manifests/' },
    results: { bucket: input, prefix: 'runs/' },
  });
  const workflow = new Workflow(stack, 'Pipeline', { steps: Object.values(steps) });
  const trigger = new ManifestTrigger(stack, 'Trigger', { workflow });
  const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  // What `batch-pipelines start` and `submit` need.
  workflow.grantStartExecution(operator);
  g.jobs.align.grantSubmit(operator);
  const t = topic ? topic(stack) : new sns.Topic(stack, 'Alerts');
  const b = new PipelineBudget(stack, 'Budget', {
    monthlyLimitUsd: 500,
    workflow,
    topic: t,
    triggers: [trigger],
    operatorRoles: [operator, ...moreOperators(stack)],
    ...budget,
  });
  return { ...g, input, workflow, trigger, operator, budget: b, topic: t };
}

const ref = (stack: Stack, c: { node: { defaultChild?: unknown } }) => ({
  Ref: stack.getLogicalId(c.node.defaultChild as CfnElement),
});
const arnOf = (stack: Stack, role: iam.Role) => ({
  'Fn::GetAtt': [stack.getLogicalId(role.node.defaultChild as CfnElement), 'Arn'],
});
const actions = (s: Statement) => ([] as string[]).concat(s.Action);
const resources = (s: Statement) => ([] as unknown[]).concat(s.Resource).map((r) => JSON.stringify(r));

/** Every Allow statement of the IAM policies attached to `role`. */
function allowsOf(template: Template, stack: Stack, role: iam.Role): Statement[] {
  const roleRef = JSON.stringify(ref(stack, role));
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === roleRef))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
    .filter((s) => s.Effect === 'Allow');
}

function denyStatements(template: Template): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement as Statement[];
}

describe('PipelineBudget', () => {
  test('a monthly cost budget in USD filtered to the pipeline tag, alerting the topic at 50/80/100 % and forecast 100 %', () => {
    const { stack, topic } = scene();
    const template = Template.fromStack(stack);
    const topicRef = ref(stack, topic as sns.Topic);
    template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: {
        BudgetType: 'COST',
        TimeUnit: 'MONTHLY',
        BudgetLimit: { Amount: 500, Unit: 'USD' },
        FilterExpression: { Tags: { Key: PIPELINE_TAG_KEY, Values: [stack.stackName], MatchOptions: ['EQUALS'] } },
        Metrics: ['UnblendedCost'],
      },
      NotificationsWithSubscribers: (
        [
          ['ACTUAL', 50],
          ['ACTUAL', 80],
          ['ACTUAL', 100],
          ['FORECASTED', 100],
        ] as const
      ).map(([type, threshold]) => ({
        Notification: {
          NotificationType: type,
          ComparisonOperator: 'GREATER_THAN',
          Threshold: threshold,
          ThresholdType: 'PERCENTAGE',
        },
        Subscribers: [{ SubscriptionType: 'SNS', Address: topicRef }],
      })),
    });
  });

  test("the filter follows PipelineTag.set: the name the pipeline's resources are tagged with", () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Lab');
    PipelineTag.set(stack, 'exome-grant-42');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const queue = new JobQueue(stack, 'Queue', { capacities: [capacities(stack, vpc).onDemand] });
    const job = new Job(stack, 'Align', {
      queues: [queue],
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36'),
      vcpus: 2,
      memory: Size.gibibytes(4),
    });
    const workflow = new Workflow(stack, 'Pipeline', { steps: [new WorkflowStep('align', { job })] });
    new PipelineBudget(stack, 'Budget', { monthlyLimitUsd: 50, workflow, topic: new sns.Topic(stack, 'Alerts') });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({
        FilterExpression: { Tags: { Key: PIPELINE_TAG_KEY, Values: ['exome-grant-42'], MatchOptions: ['EQUALS'] } },
      }),
    });
    // The same value the library tags the queue's resources with.
    template.hasResourceProperties('AWS::Batch::JobQueue', {
      Tags: Match.objectLike({ [PIPELINE_TAG_KEY]: 'exome-grant-42' }),
    });
  });

  test('at 100 % of actual spending an automatic action attaches the deny policy, as the execution role, notifying the topic', () => {
    const { stack, budget, topic } = scene();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Budgets::BudgetsAction', {
      BudgetName: { Ref: stack.getLogicalId(budget.budget) },
      ActionType: 'APPLY_IAM_POLICY',
      ApprovalModel: 'AUTOMATIC',
      NotificationType: 'ACTUAL',
      ActionThreshold: { Type: 'PERCENTAGE', Value: 100 },
      Definition: { IamActionDefinition: { PolicyArn: ref(stack, budget.denyPolicy) } },
      ExecutionRoleArn: arnOf(stack, budget.executionRole),
      Subscribers: [{ Type: 'SNS', Address: ref(stack, topic as sns.Topic) }],
    });
    // Created after its role's permissions exist.
    const action = Object.values(template.findResources('AWS::Budgets::BudgetsAction'))[0];
    const policyId = stack.getLogicalId(
      budget.executionRole.node.findChild('DefaultPolicy').node.defaultChild as CfnElement,
    );
    expect(action.DependsOn).toContain(policyId);
    // Budgets may assume the execution role for this account's budgets only.
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'budgets.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });

  test('the deny policy covers every path that starts work: the CLI (operator role), the trigger, the workflow', () => {
    const { stack, workflow, trigger, operator, budget } = scene();
    const template = Template.fromStack(stack);
    const machineRole = workflow.stateMachine.role as iam.Role;
    const starterRole = trigger.starter.role as iam.Role;

    // Budgets attaches it to exactly these roles, by name.
    const action = Object.values(template.findResources('AWS::Budgets::BudgetsAction'))[0];
    expect(action.Properties.Definition.IamActionDefinition.Roles).toEqual(
      [machineRole, starterRole, operator].map((r) => ref(stack, r)),
    );

    const deny = denyStatements(template);
    expect(deny.every((s) => s.Effect === 'Deny')).toBe(true);
    const denied = (action: string) => deny.filter((s) => actions(s).includes(action)).flatMap(resources);

    // Each role's own allows of SubmitJob on a queue and of StartExecution are denied at the cap.
    const queueArns = new Set(budget.queues.map((q) => JSON.stringify(stack.resolve(q.jobQueueArn))));
    const allowedQueues = (role: iam.Role) =>
      allowsOf(template, stack, role)
        .filter((s) => actions(s).includes('batch:SubmitJob'))
        .flatMap(resources)
        .filter((r) => queueArns.has(r));
    const allowedStarts = (role: iam.Role) =>
      allowsOf(template, stack, role)
        .filter((s) => actions(s).includes('states:StartExecution'))
        .flatMap(resources);

    const workflowQueues = allowedQueues(machineRole);
    expect(workflowQueues.length).toBeGreaterThan(0);
    expect(workflowQueues.filter((q) => !denied('batch:SubmitJob').includes(q))).toEqual([]);
    const operatorQueues = allowedQueues(operator);
    expect(operatorQueues.length).toBeGreaterThan(0);
    expect(operatorQueues.filter((q) => !denied('batch:SubmitJob').includes(q))).toEqual([]);
    for (const role of [starterRole, operator]) {
      const starts = allowedStarts(role);
      expect(starts).toContain(JSON.stringify(ref(stack, workflow.stateMachine)));
      expect(starts.filter((s) => !denied('states:StartExecution').includes(s))).toEqual([]);
    }
  });

  test("the workflow's own Distributed Map children still start (they fail at their first submit), redrives do not", () => {
    const { stack, workflow } = scene();
    const deny = denyStatements(Template.fromStack(stack));
    expect(deny.find((s) => s.Sid === 'NoNewRuns')!.Condition).toEqual({
      ArnNotEquals: { 'aws:PrincipalArn': arnOf(stack, workflow.stateMachine.role as iam.Role) },
    });
    const redrive = deny.find((s) => s.Sid === 'NoRedrive')!;
    expect(actions(redrive)).toEqual(['states:RedriveExecution']);
    expect(JSON.stringify(redrive.Resource)).toContain(':execution:');
  });

  test('AWS Budgets may attach and detach only the deny policy, only on the roles that start work', () => {
    const { stack, workflow, trigger, operator, budget } = scene();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'budgets.amazonaws.com' }, Action: 'sts:AssumeRole' })],
      },
    });
    const allows = allowsOf(template, stack, budget.executionRole);
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
        Resource: [workflow.stateMachine.role as iam.Role, trigger.starter.role as iam.Role, operator].map((r) =>
          arnOf(stack, r),
        ),
        Condition: { ArnEquals: { 'iam:PolicyARN': stack.resolve(budget.denyPolicy.managedPolicyArn) } },
      },
    ]);
  });

  test("the topic's policy lets AWS Budgets publish, from this account's budgets only", () => {
    const { stack, topic } = scene();
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'budgets.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: ref(stack, topic as sns.Topic),
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: Match.objectLike({}),
            },
          }),
        ]),
      },
    });
  });

  test("PipelineMonitoring's encrypted topic: its key lets AWS Budgets encrypt what it publishes", () => {
    let monitoring!: PipelineMonitoring;
    const { stack, standard, urgent } = (() => {
      const s = scene({}, (st) => {
        monitoring = new PipelineMonitoring(st, 'Monitoring', {
          queues: [st.node.findChild('Standard') as never, st.node.findChild('Urgent') as never],
        });
        return monitoring.topic;
      });
      return s;
    })();
    expect([standard, urgent]).toHaveLength(2);
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'budgets.amazonaws.com' },
            Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          }),
        ]),
      },
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('budget-topic-access'));
  });

  test('a topic of another app: a warning says what its policy and key must allow', () => {
    const { stack } = scene({}, (st) => sns.Topic.fromTopicArn(st, 'Shared', 'arn:aws:sns:us-east-1:123456789012:ops'));
    Annotations.fromStack(stack).hasWarning(
      '/Test/Budget',
      Match.stringLikeRegexp(
        'Test/Budget: topic Test/Shared is not this app.s .*budgets.amazonaws.com sns:Publish.*kms:GenerateDataKey.*PipelineMonitoring.topic.*\\[ack: cdk-batch-pipelines:budget-topic-access\\]',
      ),
    );
  });

  test('alerts and the stop are configurable', () => {
    const { stack } = scene({
      alerts: [{ percent: 90 }, { percent: 120, type: BudgetAlertType.FORECASTED }],
      stopAtPercent: 110,
    });
    const template = Template.fromStack(stack);
    const budget = Object.values(template.findResources('AWS::Budgets::Budget'))[0];
    expect(
      (budget.Properties.NotificationsWithSubscribers as Array<{ Notification: Record<string, unknown> }>).map((n) => [
        n.Notification.NotificationType,
        n.Notification.Threshold,
      ]),
    ).toEqual([
      ['ACTUAL', 90],
      ['FORECASTED', 120],
    ]);
    template.hasResourceProperties('AWS::Budgets::BudgetsAction', {
      ActionThreshold: { Type: 'PERCENTAGE', Value: 110 },
    });
  });

  test('the budget and the deny policy are named after the pipeline; liftCommand reverses the action', () => {
    const { stack, budget } = scene();
    const template = Template.fromStack(stack);
    expect(budget.budgetName).toBe('Test-pipeline');
    template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({ BudgetName: 'Test-pipeline' }),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'batch-pipelines-budget-stop-Test',
    });
    const command = JSON.stringify(stack.resolve(budget.liftCommand));
    expect(command).toContain('aws budgets execute-budget-action --account-id ');
    expect(command).toContain('--budget-name Test-pipeline --action-id ');
    expect(command).toContain('--execution-type REVERSE_BUDGET_ACTION');
    expect(command).toContain(JSON.stringify(stack.resolve(budget.action.attrActionId)));
  });

  test('two pipelines in one stack, named apart with PipelineTag.set: two budgets, no id or name collisions', () => {
    const s = scene();
    const labB = new Construct(s.stack, 'LabB');
    PipelineTag.set(labB, 'lab-b');
    const { steps } = genomicsSteps(s);
    const workflow = new Workflow(labB, 'Pipeline', { steps: Object.values(steps) });
    const second = new PipelineBudget(labB, 'Budget', { monthlyLimitUsd: 100, workflow, topic: s.topic });
    expect(second.budgetName).toBe('lab-b-pipeline');
    const template = Template.fromStack(s.stack);
    template.resourceCountIs('AWS::Budgets::Budget', 2);
    template.resourceCountIs('AWS::Budgets::BudgetsAction', 2);
    const names = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map(
      (p) => p.Properties.ManagedPolicyName,
    );
    expect(names).toEqual(['batch-pipelines-budget-stop-Test', 'batch-pipelines-budget-stop-lab-b']);
  });

  test('a second budget of the same pipeline is refused (it would be named as the first)', () => {
    const s = scene();
    expect(
      () => new PipelineBudget(s.stack, 'Again', { monthlyLimitUsd: 100, workflow: s.workflow, topic: s.topic }),
    ).toThrow(
      "Test/Again: workflow a workflow of pipeline 'Test', which Test/Budget already budgets is not allowed; allowed: one PipelineBudget a pipeline (the budget follows the pipeline tag, and is named after it). Fix: use Test/Budget for both workflows, or name the pipelines apart with PipelineTag.set(scope, 'other-name')",
    );
  });

  test('a pipeline whose name differs only in characters budget names cannot hold is refused too', () => {
    const s = scene();
    const lab = new Construct(s.stack, 'Lab');
    // A space is no character of IAM's names: 'Te st' and 'Te-st' both name their budget 'Te-st-pipeline'.
    PipelineTag.set(lab, 'Te st');
    const other = new Construct(s.stack, 'Other');
    PipelineTag.set(other, 'Te-st');
    const build = (scope: Construct) =>
      new PipelineBudget(scope, 'Budget', {
        monthlyLimitUsd: 100,
        workflow: new Workflow(scope, 'Pipeline', { steps: Object.values(genomicsSteps(s).steps) }),
        topic: s.topic,
      });
    expect(build(lab).budgetName).toBe('Te-st-pipeline');
    expect(() => build(other)).toThrow(
      /Test\/Other\/Budget: workflow a workflow of pipeline 'Te-st', which Test\/Lab\/Budget already budgets/,
    );
  });

  test('cdk-nag AwsSolutions: the budget adds no finding', () => {
    const { app } = scene();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // The bare pipeline of this test has findings of its own; the budget must add none.
    const flagged = validationFindings(app).filter((f) => f.split(' ')[1].startsWith('Test/Budget'));
    expect(flagged).toEqual([]);
  });

  describe.each<[string, Partial<PipelineBudgetProps>, string]>([
    [
      'a limit of 0',
      { monthlyLimitUsd: 0 },
      'Test/Budget: monthlyLimitUsd 0 is not allowed; allowed: a number of US dollars above 0. Fix: give the monthly cap, e.g. monthlyLimitUsd: 500',
    ],
    [
      'a stop at 0 %',
      { stopAtPercent: 0 },
      'Test/Budget: stopAtPercent 0 is not allowed; allowed: a percentage of the monthly limit from 0.1 to 1000. Fix: use e.g. stopAtPercent: 100 (new work stops when the month has spent the whole limit)',
    ],
    [
      'an alert at 2000 %',
      { alerts: [{ percent: 2000 }] },
      'Test/Budget: alerts[0].percent 2000 is not allowed; allowed: a percentage of the monthly limit from 0.1 to 1000. Fix: use e.g. { percent: 80, type: BudgetAlertType.ACTUAL }',
    ],
    [
      'the same alert twice',
      { alerts: [{ percent: 80 }, { percent: 80, type: BudgetAlertType.ACTUAL }] },
      'Test/Budget: alerts two alerts at 80 % of actual spending is not allowed; allowed: each percentage once per type (AWS Budgets refuses a duplicate notification). Fix: keep one { percent: 80, type: BudgetAlertType.ACTUAL }',
    ],
    [
      'eleven alerts',
      { alerts: Array.from({ length: 11 }, (_, i) => ({ percent: 10 * (i + 1) })) },
      "Test/Budget: alerts 11 alerts is not allowed; allowed: at most 10 (AWS Budgets' notifications per budget). Fix: keep the 10 that matter, e.g. drop the lowest percentages",
    ],
    [
      'a misspelt prop',
      { stopAtPercents: 90 } as never,
      'Test/Budget: stopAtPercents 90 is not a prop of PipelineBudgetProps',
    ],
  ])('%s', (_name, props, message) => {
    test('is refused with the construct path, the prop, the value, what is allowed and a fix', () => {
      expect(() => scene(props)).toThrow(message);
    });
  });

  test('more than 100 roles in all are refused', () => {
    const operators = (n: number) => (stack: Stack) =>
      Array.from({ length: n }, (_, i) => iam.Role.fromRoleName(stack, `Many${i}`, `many-${i}`));
    // The workflow's, the trigger's, the operator's and 97 more: 100.
    expect(() => scene({}, undefined, operators(97))).not.toThrow();
    expect(() => scene({}, undefined, operators(98))).toThrow(
      "Test/Budget: operatorRoles 99 roles (101 with the workflow's and the triggers') is not allowed; allowed: at most 100 roles in all (a budget action's IAM definition). Fix: let operators assume a few shared roles, and pass those",
    );
  });
});
