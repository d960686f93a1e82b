import { Match, Template } from 'aws-cdk-lib/assertions';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';
import { synthValidated, validatingApp } from '../support/synth';

describe('GenomicsPipelineStack', () => {
  // Synthesized once, with the CloudFormation validator on, and shared by the assertions below.
  const app = validatingApp();
  const stack = new GenomicsPipelineStack(app, 'Genomics');
  const template: Template = synthValidated(app, stack);

  test('has a Spot environment (price-capacity optimized, scales to zero) and an On-Demand one', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        Type: 'SPOT',
        AllocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED',
        MinvCpus: 0,
      }),
    });
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Type: 'EC2', AllocationStrategy: 'BEST_FIT_PROGRESSIVE', MinvCpus: 0 }),
    });
  });

  test('both are sized for 50 concurrent 4 vCPU / 30 GiB samples', () => {
    const envs = Object.values(template.findResources('AWS::Batch::ComputeEnvironment'));
    expect(envs.map((e) => e.Properties.ComputeResources.MaxvCpus)).toEqual([200, 200]);
  });

  test('every launch template requires IMDSv2 and encrypts every volume', () => {
    const lts = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
    expect(lts).toHaveLength(2);
    for (const lt of lts) {
      const data = lt.Properties.LaunchTemplateData;
      expect(data.MetadataOptions.HttpTokens).toBe('required');
      for (const bdm of data.BlockDeviceMappings) {
        expect(bdm.Ebs.Encrypted).toBe(true);
      }
    }
  });

  test('passes the CloudFormation validator and matches the reviewed snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
