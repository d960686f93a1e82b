import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Ec2Capacity, FargateCapacity, PurchaseOption } from '../../lib';

/** Spot and On-Demand EC2 capacity plus Fargate Spot and Fargate, for queue and job tests. */
export function capacities(stack: Stack, vpc: ec2.IVpc) {
  return {
    spot: new Ec2Capacity(stack, 'Spot', { vpc }),
    onDemand: new Ec2Capacity(stack, 'OnDemand', { vpc, purchaseOption: PurchaseOption.ON_DEMAND }),
    fargateSpot: new FargateCapacity(stack, 'FargateSpot', { vpc }),
    fargate: new FargateCapacity(stack, 'Fargate', { vpc, purchaseOption: PurchaseOption.ON_DEMAND }),
  };
}

/** Captures the error `fn` throws, for asserting its type and message. */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}
