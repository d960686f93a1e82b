import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Ec2Capacity } from '../../lib';
import { stackWithVpc } from '../support/stacks';

/**
 * The template read without `Template.fromStack`, which hands every template to cfn-lint (test/support/setup.ts):
 * cfn-lint 1.51's schema of AWS::Batch::ComputeEnvironment predates `EcsSettings` and reports it as E3002, though the
 * CloudFormation reference documents it
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-computeenvironment-ecssettings.html)
 * and aws-cdk-lib 2.276's CfnComputeEnvironment renders it.
 */
function templateOf(app: App, stack: Stack): Template {
  return Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
}

describe('Ec2Capacity containerInsights', () => {
  test('is not set by default: Batch passes nothing and the account ECS default applies', () => {
    // GIVEN a capacity with no containerInsights
    const { stack, vpc } = stackWithVpc();
    const capacity = new Ec2Capacity(stack, 'Spot', { vpc });
    // THEN the compute environment has no EcsSettings
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      EcsSettings: Match.absent(),
    });
    expect(capacity.containerInsights).toBeUndefined();
  });

  test.each([
    [ecs.ContainerInsights.ENABLED, 'ENABLED'],
    [ecs.ContainerInsights.ENHANCED, 'ENHANCED'],
    [ecs.ContainerInsights.DISABLED, 'DISABLED'],
  ])(
    '%s renders EcsSettings.ContainerInsights %s (CloudFormation allows ENABLED | ENHANCED | DISABLED)',
    (given, cfn) => {
      // GIVEN a capacity with Container Insights set
      const { app, stack, vpc } = stackWithVpc();
      const capacity = new Ec2Capacity(stack, 'Spot', { vpc, containerInsights: given });
      // THEN the compute environment carries it, in CloudFormation's spelling
      templateOf(app, stack).hasResourceProperties('AWS::Batch::ComputeEnvironment', {
        EcsSettings: { ContainerInsights: cfn },
      });
      expect(capacity.containerInsights).toBe(given);
    },
  );
});
