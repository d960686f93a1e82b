import { Match, Template } from 'aws-cdk-lib/assertions';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';
import { aslOf } from '../support/asl';
import { runLocally, threeSamples } from '../support/pipeline';
import { synthValidated, validatingApp } from '../support/synth';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (d: unknown) => { isValid: boolean };

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

  test('two queues of different priorities share the Spot and On-Demand capacity', () => {
    const queues = Object.values(template.findResources('AWS::Batch::JobQueue'));
    expect(queues.map((q) => q.Properties.Priority).sort((a, b) => a - b)).toEqual([10, 100]);
    const standard = queues.find((q) => q.Properties.Priority === 10)!;
    expect(standard.Properties.ComputeEnvironmentOrder).toHaveLength(2);
  });

  test('job definitions fit the 32 GiB instances, retry Spot interruptions and time out', () => {
    const defs = Object.values(template.findResources('AWS::Batch::JobDefinition'));
    expect(defs).toHaveLength(4);
    for (const d of defs) {
      const memory = Number(
        d.Properties.ContainerProperties.ResourceRequirements.find((r: { Type: string }) => r.Type === 'MEMORY').Value,
      );
      expect(memory).toBeLessThanOrEqual(31129); // usable memory of a 32 GiB instance
      expect(d.Properties.RetryStrategy.EvaluateOnExit[0]).toEqual({ Action: 'RETRY', OnStatusReason: 'Host EC2*' });
      expect(d.Properties.Timeout.AttemptDurationSeconds).toBeGreaterThan(0);
    }
  });

  test('the workflow: per sample align, then call-variants and qc in parallel; aggregate after all; 50 at once', async () => {
    expect(stack.workflow.toMermaid()).toContain('Distributed Map, 50 at once');
    const asl = aslOf(template);
    expect(aslValidator(asl).isValid).toBe(true);
    const run = await runLocally(stack, threeSamples);
    expect(run.error).toBeUndefined();
    expect(run.calls.map((c) => c.input.JobName).filter((n) => n === 'Align')).toHaveLength(3);
    expect(run.calls[run.calls.length - 1].input.JobName).toBe('Aggregate');
  });

  test('passes the CloudFormation validator and matches the reviewed snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
