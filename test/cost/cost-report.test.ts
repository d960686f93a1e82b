import { Size } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { COST_ESTIMATE_METADATA, CostReport, Ec2Capacity } from '../../lib';
import { stackWithVpc } from '../support/stacks';

const workload = { itemsPerMonth: 2167, hoursPerItem: 4, vcpus: 4, memory: Size.gibibytes(30), maxConcurrency: 50 };

describe('CostReport', () => {
  test('adds the estimate to the assembly and prints the table at synth', () => {
    const { app, stack, vpc } = stackWithVpc();
    const capacity = new Ec2Capacity(stack, 'Spot', { vpc, maxvCpus: 100 });
    const report = new CostReport(stack, 'Cost', { workload, capacity });
    const assembly = app.synth();
    const metadata = assembly.getStackByName('Test').findMetadataByType(COST_ESTIMATE_METADATA);
    expect(metadata).toHaveLength(1);
    // A week of 2,167 samples a month is 500; the capacity's maxvCpus (100, i.e. 25 jobs of 4 vCPU on r5.xlarge)
    // limits the burst to 25 at once: 20 waves × 4 h = 80 h.
    expect(metadata[0].data).toMatchObject({ instanceType: 'r5.xlarge', burstHours: 80 });
    expect(report.estimate!.makespan).toMatchObject({
      concurrency: 25,
      hours: 80,
      limitedBy: 'compute environment maxvCpus',
    });
    const info = Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('Cost estimate'));
    expect(info).toHaveLength(1);
    expect(String(info[0].entry.data)).toContain('Batch Spot');
  });

  test('a workload that cannot be priced is a warning, not a failed synth', () => {
    const { app, stack } = stackWithVpc();
    new CostReport(stack, 'Cost', { workload: { ...workload, memory: Size.gibibytes(900) } });
    expect(() => app.synth()).not.toThrow();
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('no cost estimate'));
    expect(warnings).toHaveLength(1);
  });
});
