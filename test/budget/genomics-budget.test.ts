import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ContextError, genomicsPropsFromContext } from '../../examples/genomics/context';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';
import { synthValidated, validatingApp } from '../support/synth';

describe('GenomicsPipelineStack monthlyBudgetUsd', () => {
  test('is off by default: no budget, no deny policy, no lift command', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new GenomicsPipelineStack(app, 'Genomics');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Budgets::Budget', 0);
    template.resourceCountIs('AWS::Budgets::BudgetsAction', 0);
    expect(stack.budget).toBeUndefined();
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('BudgetLiftCommand');
  });

  describe('on with one prop', () => {
    // The CloudFormation validator and cdk-nag's AWS Solutions checks on, as the example's own suite runs them.
    const app = validatingApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new GenomicsPipelineStack(app, 'Genomics', { monthlyBudgetUsd: 2000 });
    const template = synthValidated(app, stack);
    const ref = (role: iam.IRole) => ({ Ref: stack.getLogicalId(role.node.defaultChild as CfnElement) });

    test('a $2,000 monthly budget alerting the monitoring topic, stopping the workflow and the manifest trigger', () => {
      template.hasResourceProperties('AWS::Budgets::Budget', {
        Budget: { BudgetLimit: { Amount: 2000, Unit: 'USD' } },
      });
      const action = Object.values(template.findResources('AWS::Budgets::BudgetsAction'))[0];
      expect(action.Properties.Definition.IamActionDefinition.Roles).toEqual([
        ref(stack.workflow.stateMachine.role),
        ref(stack.manifestTrigger.starter.role),
      ]);
      expect(action.Properties.Subscribers).toEqual([
        { Type: 'SNS', Address: { Ref: stack.getLogicalId(stack.monitoring.topic.node.defaultChild as CfnElement) } },
      ]);
      // Both queues the workflow submits to (Spot first, and the On-Demand escalations).
      const deny = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))[0];
      const noNewJobs = deny.Properties.PolicyDocument.Statement.find((s: { Sid: string }) => s.Sid === 'NoNewJobs');
      expect(noNewJobs.Resource).toEqual(
        expect.arrayContaining([stack.standardQueue, stack.urgentQueue].map((q) => stack.resolve(q.jobQueueArn))),
      );
    });

    test('cdk-nag and the CloudFormation validator passed over the budget and its action (synth throws otherwise)', () => {
      // What the validating synth above checked holds the budget's resources.
      expect(Object.keys(template.findResources('AWS::Budgets::Budget'))).toHaveLength(1);
      expect(Object.keys(template.findResources('AWS::Budgets::BudgetsAction'))).toHaveLength(1);
    });

    test('prints the command that lifts the stop', () => {
      const output = template.toJSON().Outputs.BudgetLiftCommand;
      expect(JSON.stringify(output.Value)).toContain('REVERSE_BUDGET_ACTION');
    });
  });

  test("the roles people run the CLI as are stopped too, when given (the CLI's path to new work)", () => {
    const app = new App();
    const scratch = new Stack(app, 'Accounts');
    const operators = new iam.Role(scratch, 'LabOperators', { assumedBy: new iam.AccountRootPrincipal() });
    const stack = new GenomicsPipelineStack(app, 'Genomics', { monthlyBudgetUsd: 2000, operatorRoles: [operators] });
    const action = Object.values(Template.fromStack(stack).findResources('AWS::Budgets::BudgetsAction'))[0];
    expect(JSON.stringify(action.Properties.Definition.IamActionDefinition.Roles)).toContain('LabOperators');
    expect(action.Properties.Definition.IamActionDefinition.Roles).toHaveLength(3);
  });

  test('cdk context monthlyBudgetUsd turns it on; a value that is not a positive amount is refused', () => {
    const app = new App({ context: { monthlyBudgetUsd: '1500.50' } });
    expect(genomicsPropsFromContext(app).monthlyBudgetUsd).toBe(1500.5);
    expect(genomicsPropsFromContext(new App()).monthlyBudgetUsd).toBeUndefined();
    const bad = new App({ context: { monthlyBudgetUsd: 'lots' } });
    expect(() => genomicsPropsFromContext(bad)).toThrow(ContextError);
    expect(() => genomicsPropsFromContext(bad)).toThrow(
      "cdk context monthlyBudgetUsd: 'lots' is not allowed; allowed: a number of US dollars above 0. Fix: e.g. -c monthlyBudgetUsd=2000",
    );
    expect(() => genomicsPropsFromContext(new App({ context: { monthlyBudgetUsd: '0' } }))).toThrow(ContextError);
  });
});
