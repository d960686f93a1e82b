import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * A stack with a VPC for unit tests. The built-in CloudFormation validator is off here (it costs seconds per synth);
 * it stays on for the example-stack test, which checks the composed template.
 */
export function stackWithVpc(): { app: App; stack: Stack; vpc: ec2.Vpc } {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  return { app, stack, vpc };
}
