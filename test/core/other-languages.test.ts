import { Size } from 'aws-cdk-lib';
import {
  CostModel,
  CostModelError,
  Ec2Capacity,
  estimateCost,
  FitQuery,
  fitOnInstances,
  formatCostTable,
  HOURS_PER_MONTH,
  JobQueue,
  nearestFargateSizes,
  PipelineErrors,
  PurchaseOption,
  Workload,
} from '../../lib';
import { capacities, errorOf } from '../support/capacity';
import { stackWithVpc } from '../support/stacks';

// What the jsii build (Python and the other languages) reaches instead of what it cannot carry: static twins of the
// free functions and constants, error checks instead of error classes, arrays that are copies.

const reference: Workload = {
  itemsPerMonth: (500 * 52) / 12,
  hoursPerItem: 4,
  vcpus: 4,
  memory: Size.gibibytes(30),
  maxConcurrency: 50,
};

test('FitQuery and CostModel answer as the free functions do', () => {
  const request = { vcpus: 4, memory: Size.gibibytes(32) };
  expect(FitQuery.onInstances(request, [...Ec2Capacity.DEFAULT_INSTANCE_TYPES])).toEqual(
    fitOnInstances(request, Ec2Capacity.DEFAULT_INSTANCE_TYPES),
  );
  expect(FitQuery.nearestFargateSizes(3, 30 * 1024)).toEqual(nearestFargateSizes(3, 30 * 1024));
  // With the compute environment's maxvCpus, a job larger than it fits nowhere.
  expect(FitQuery.onFargate({ vcpus: 4, memory: Size.gibibytes(8) }, 2)).toMatchObject({
    fits: false,
    reason: 'needs 4 vCPUs but maxvCpus is 2',
  });
  expect(FitQuery.onFargate({ vcpus: 4, memory: Size.gibibytes(8) }).fits).toBe(true);
  expect(CostModel.estimate(reference)).toEqual(estimateCost(reference));
  expect(CostModel.formatTable(CostModel.estimate(reference))).toBe(formatCostTable(estimateCost(reference)));
  expect(CostModel.formatTable(CostModel.estimate(reference), false)).not.toContain('not included');
  expect(CostModel.HOURS_PER_MONTH).toBe(HOURS_PER_MONTH);
});

test("PipelineErrors tells the library's errors apart without instanceof", () => {
  const { stack, vpc } = stackWithVpc();
  const validation = errorOf(() => new Ec2Capacity(stack, 'Bad', { vpc, maxvCpus: -1 }));
  expect(PipelineErrors.isValidationError(validation)).toBe(true);
  expect(PipelineErrors.isCostModelError(validation)).toBe(false);
  const cost = errorOf(() => estimateCost({ ...reference, hoursPerItem: 0 }));
  expect(cost).toBeInstanceOf(CostModelError);
  expect(PipelineErrors.isCostModelError(cost)).toBe(true);
  expect(PipelineErrors.isValidationError(new Error('other'))).toBe(false);
  expect(PipelineErrors.isValidationError(undefined)).toBe(false);
});

test('array properties are copies: changing one changes nothing in the construct', () => {
  const { stack, vpc } = stackWithVpc();
  const c = capacities(stack, vpc);
  const queue = JobQueue.spotFirst(stack, 'Q', c.spot, c.onDemand);
  queue.capacities.pop();
  expect(queue.capacities).toHaveLength(2);
  // Changing the published defaults does not change the defaults capacities and estimates use.
  Ec2Capacity.DEFAULT_INSTANCE_TYPES.push('x1.32xlarge');
  try {
    expect(estimateCost(reference).assumptions.instanceTypes).not.toContain('x1.32xlarge');
    expect(new Ec2Capacity(stack, 'Defaults', { vpc }).instanceTypeNames).not.toContain('x1.32xlarge');
  } finally {
    Ec2Capacity.DEFAULT_INSTANCE_TYPES.pop();
  }
});

test('each capacity keeps its compute environment typed under its own name; computeEnvironment is the same one', () => {
  const { stack, vpc } = stackWithVpc();
  const ec2 = new Ec2Capacity(stack, 'E', { vpc, purchaseOption: PurchaseOption.ON_DEMAND });
  expect(ec2.computeEnvironment).toBe(ec2.ec2ComputeEnvironment);
});
