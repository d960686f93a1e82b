import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { GenomicsPipelineStack } from '../../../examples/genomics/genomics-pipeline-stack';
import { CostReport, Ec2Capacity } from '../../../lib';
import { estimateFromAssembly, proRate } from '../../../lib/client/spend/estimate';

// The two sides of one contract: what CostReport writes into the cloud assembly at synth, and what spend reads back.
describe('the estimate beside the bill, read from a real cloud assembly', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'spend-estimate-'));
  const app = new App({ outdir, context: { '@aws-cdk/aws-batch:defaultToAL2023': true } });
  const stack = new GenomicsPipelineStack(app, 'Genomics');
  app.synth();

  test("the workflow's declared estimate is preferred, pro-rated from a month to the period", () => {
    const monthly = Math.round(stack.stepCost.declaredEstimate!.monthlyUsd);
    const { estimate, missing } = estimateFromAssembly(outdir, 'Genomics', 14);
    expect(missing).toBeUndefined();
    expect(estimate).toEqual({
      source: `${outdir}: /Genomics/StepCostEstimate`,
      basis: 'the steps the stack declares, at the items a month its CostReport names',
      monthlyUsd: monthly,
      periodUsd: (monthly * 14 * 24) / 730,
    });
    expect(proRate(730, 1)).toBe(24);
  });

  test('a report from a workload alone: its Batch Spot line plus the fixed costs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spend-estimate-workload-'));
    const workloadApp = new App({ outdir: dir });
    const only = new Stack(workloadApp, 'Sized');
    const capacity = new Ec2Capacity(only, 'Spot', { vpc: new ec2.Vpc(only, 'Vpc', { maxAzs: 1 }) });
    const report = new CostReport(only, 'Cost', {
      workload: { itemsPerMonth: 1000, hoursPerItem: 2, vcpus: 4, memory: Size.gibibytes(30), maxConcurrency: 10 },
      capacity,
      includeFixedCosts: true,
    });
    workloadApp.synth();
    const spot = report.estimate!.lines.find((l) => l.option === 'Batch Spot')!.monthlyUsd;
    const fixed = Math.round(report.estimate!.fixedCosts!.monthlyUsd * 100) / 100;
    const { estimate } = estimateFromAssembly(dir, 'Sized', 30);
    expect(estimate?.basis).toBe('its Batch Spot line plus fixed costs');
    expect(estimate?.monthlyUsd).toBeCloseTo(Math.round(spot) + fixed, 6);
  });

  test('a stack the assembly does not hold, or no assembly, is said, not thrown', () => {
    expect(estimateFromAssembly(outdir, 'Other', 7).missing).toBe(
      `no stack Other in ${outdir} (stacks: Genomics); pass --stack NAME`,
    );
    expect(estimateFromAssembly(join(outdir, 'nowhere'), 'Genomics', 7).missing).toBe(
      `no cloud assembly at ${join(outdir, 'nowhere')} (run cdk synth, or pass --assembly DIR)`,
    );
  });
});
