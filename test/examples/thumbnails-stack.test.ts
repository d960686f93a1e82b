import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ThumbnailsStack } from '../../examples/thumbnails/thumbnails-stack';
import { synthValidated, validatingApp } from '../support/synth';

describe('ThumbnailsStack (the second example: a Fargate Spot array job, no workflow)', () => {
  // Synthesized with the CloudFormation validator and cdk-nag's AWS Solutions checks on: any finding fails the synth.
  const app = validatingApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new ThumbnailsStack(app, 'Thumbnails');
  const template: Template = synthValidated(app, stack);

  test('one queue, Fargate Spot first and Fargate On-Demand second', () => {
    const environments = template.findResources('AWS::Batch::ComputeEnvironment');
    const types = Object.fromEntries(
      Object.entries(environments).map(([id, r]) => [id, r.Properties.ComputeResources.Type]),
    );
    expect(Object.values(types).sort()).toEqual(['FARGATE', 'FARGATE_SPOT']);
    const spotId = Object.keys(types).find((id) => types[id] === 'FARGATE_SPOT')!;
    const onDemandId = Object.keys(types).find((id) => types[id] === 'FARGATE')!;
    template.hasResourceProperties('AWS::Batch::JobQueue', {
      ComputeEnvironmentOrder: [
        { ComputeEnvironment: { 'Fn::GetAtt': [spotId, 'ComputeEnvironmentArn'] }, Order: 1 },
        { ComputeEnvironment: { 'Fn::GetAtt': [onDemandId, 'ComputeEnvironmentArn'] }, Order: 2 },
      ],
    });
  });

  test('the resize job is a Fargate job of 1 vCPU and 2 GiB that retries Spot interruptions only', () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      JobDefinitionName: 'Thumbnails_Resize',
      PlatformCapabilities: ['FARGATE'],
      ContainerProperties: Match.objectLike({
        ResourceRequirements: [
          { Type: 'MEMORY', Value: '2048' },
          { Type: 'VCPU', Value: '1' },
        ],
      }),
      RetryStrategy: {
        Attempts: 3,
        EvaluateOnExit: [
          { Action: 'RETRY', OnStatusReason: 'Your Spot Task was interrupted*' },
          { Action: 'EXIT', OnReason: '*' },
        ],
      },
      Timeout: { AttemptDurationSeconds: 900 },
    });
  });

  test('outputs what batch-pipelines submit needs: the bucket, the queue and the job definition', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(['PhotosBucket', 'Queue', 'ResizeJobDefinition']);
  });
});
