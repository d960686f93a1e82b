import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { fail } from './errors';

/** The VPC's private subnets with egress, else its isolated ones; never public by default. */
export function defaultPrivateSubnets(scope: Construct, vpc: ec2.IVpc): ec2.SubnetSelection {
  if (vpc.privateSubnets.length > 0) {
    return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  }
  if (vpc.isolatedSubnets.length > 0) {
    return { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  }
  return fail(scope, {
    prop: 'vpc',
    received: `${vpc.node.path} (no private or isolated subnets)`,
    allowed: 'a VPC with private subnets; Batch capacity is never placed in public subnets by default',
    fix: 'add private subnets to the VPC, or pass vpcSubnets explicitly if public placement is really intended',
  });
}
