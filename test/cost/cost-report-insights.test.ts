import { Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { CostModel, CostReport, Ec2Capacity, Job, JobQueue } from '../../lib';
import { estimateCost } from '../../lib/cost/cost-model';
import { stackWithVpc } from '../support/stacks';

const workload = { itemsPerMonth: 2167, hoursPerItem: 4, vcpus: 4, memory: Size.gibibytes(30), maxConcurrency: 50 };

/** A stack whose capacity has Container Insights `insights`, with two jobs on its queue, and a report. */
function pipeline(insights?: ecs.ContainerInsights) {
  const { app, stack, vpc } = stackWithVpc();
  const capacity = new Ec2Capacity(stack, 'Spot', { vpc, containerInsights: insights });
  const queue = new JobQueue(stack, 'Q', { capacities: [capacity] });
  for (const id of ['Align', 'Call']) {
    new Job(stack, id, {
      queues: [queue],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      vcpus: 4,
      memory: Size.gibibytes(30),
    });
  }
  const report = new CostReport(stack, 'Cost', { workload, capacity, includeFixedCosts: true });
  // Synthesized without Template.fromStack: cfn-lint 1.51 does not know EcsSettings
  // (test/compute/ec2-capacity-insights.test.ts).
  app.synth();
  return report.estimate!.fixedCosts!;
}

describe('CostReport prices Container Insights as custom metrics', () => {
  test.each([ecs.ContainerInsights.ENABLED, ecs.ContainerInsights.ENHANCED])(
    '%s: 11 metrics for the cluster and 8 for each of the 2 job definitions, at $0.30 a metric-month',
    (insights) => {
      const fixed = pipeline(insights);
      const line = fixed.lines.find((l) => l.item === 'Container Insights metrics')!;
      expect(line.quantity).toBe(11 + 8 * 2);
      expect(line.monthlyUsd).toBeCloseTo(27 * 0.3, 10);
      expect(line.basis).toBe(
        '27 custom metrics × $0.30 per metric-month (performance log ingestion and ENHANCED per-task metrics not priced)',
      );
      expect(CostModel.FIXED_COST_PRICES.customMetricMonthlyUsd).toBe(0.3);
    },
  );

  test.each([undefined, ecs.ContainerInsights.DISABLED])('%s: no Container Insights line', (insights) => {
    expect(pipeline(insights).lines.map((l) => l.item)).not.toContain('Container Insights metrics');
  });

  test('a negative count given in code is refused with the fix', () => {
    expect(() => estimateCost(workload, {}, { fixedCosts: { containerInsightsMetrics: -1 } })).toThrow(
      'fixedCosts.containerInsightsMetrics: -1 is not allowed; allowed: a whole number >= 0. Fix: give a count, e.g. 19',
    );
  });
});
