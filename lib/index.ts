export * from './core/validation-error';
export * from './compute/capacity';
export * from './compute/instance-catalog';
export * from './compute/fit';
export * from './compute/ec2-capacity';
export * from './compute/fargate-capacity';
