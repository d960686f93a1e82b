import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { FitResult, JobResources } from './fit';

/** Where a capacity runs containers. Job definitions follow it. */
export enum CapacityPlatform {
  /** EC2 instances managed by Batch (On-Demand or Spot). */
  EC2 = 'EC2',
  /** AWS Fargate (On-Demand or Spot). */
  FARGATE = 'FARGATE',
}

/** Purchase option of capacity. */
export enum PurchaseOption {
  /** Spot: up to ~90% cheaper, may be taken back with two minutes' warning. */
  SPOT = 'SPOT',
  /** On-Demand: full price, never interrupted. */
  ON_DEMAND = 'ON_DEMAND',
}

/**
 * Capacity where Batch jobs run: a managed compute environment plus what the library knows about it, so that
 * queues and jobs can check at synth that the jobs they will run actually fit.
 */
export interface ICapacity extends IConstruct {
  /** The aws-cdk-lib compute environment underneath (escape hatch). */
  readonly computeEnvironment: batch.IManagedComputeEnvironment;
  /** EC2 or Fargate. */
  readonly platform: CapacityPlatform;
  /** Spot or On-Demand. */
  readonly purchaseOption: PurchaseOption;
  /** The CPU architecture every instance (or Fargate task) of this capacity has. */
  readonly architecture: ec2.InstanceArchitecture;
  /** The most vCPUs the environment scales to. */
  readonly maxvCpus: number;
  /**
   * Does a job of this size fit here, on which instance types, how many per instance and how well they pack.
   * Instance types the catalog does not know add a warning (`cdk-batch-pipelines:unknown-instance-type`) and are left
   * out of the answer.
   */
  fit(request: JobResources): FitResult;
}
