/**
 * What the cost model's messages call its inputs: the library's props by default, a front end's own names (a command
 * line's flags) when it passes them. Re-exported by cost-types.ts.
 */

/**
 * What messages call each input, so a front end names its own (a command line's flags) rather than the library's
 * props. Memory is always written in GiB.
 */
export interface CostInputNames {
  /** Items per month. */
  readonly itemsPerMonth: string;
  /** Hours per item. */
  readonly hoursPerItem: string;
  /** vCPUs per job. */
  readonly vcpus: string;
  /** Memory per job. */
  readonly memory: string;
  /** GPUs per job. */
  readonly gpus: string;
  /** Jobs at once. */
  readonly maxConcurrency: string;
  /** Burst size. */
  readonly burstSize: string;
  /** Instance types. */
  readonly instanceTypes: string;
  /** The compute environment's maxvCpus. */
  readonly maxvCpus: string;
  /** Spot discount. */
  readonly spotDiscount: string;
  /** Fargate Spot discount. */
  readonly fargateSpotDiscount: string;
  /** Spot interruptions per instance-hour. */
  readonly spotInterruptionsPerHour: string;
  /** Fraction of a job lost per interruption. */
  readonly lostFractionPerInterruption: string;
  /** Spot re-run overhead. */
  readonly spotRerunOverhead: string;
  /** Spot attempts. */
  readonly spotAttempts: string;
  /** Utilization of an always-on fleet. */
  readonly dedicatedUtilization: string;
  /** NAT gateways. */
  readonly natGateways: string;
  /** KMS keys. */
  readonly kmsKeys: string;
  /** CloudWatch alarms. */
  readonly alarms: string;
  /** State transitions per item. */
  readonly stateTransitionsPerItem: string;
  /**
   * Whether the names are command-line flags: a value then follows its flag, which carries the unit
   * (`--memory-gib 30`); otherwise a prop name is followed by a colon in errors and values carry their unit
   * (`memory 30 GiB`).
   * @default false
   */
  readonly areFlags?: boolean;
}

/** The library's own names: the props of `Workload`, `CostAssumptions` and `FixedCosts`. */
export const LIBRARY_INPUT_NAMES: CostInputNames = {
  itemsPerMonth: 'itemsPerMonth',
  hoursPerItem: 'hoursPerItem',
  vcpus: 'vcpus',
  memory: 'memory',
  gpus: 'gpus',
  maxConcurrency: 'maxConcurrency',
  burstSize: 'burstSize',
  instanceTypes: 'instanceTypes',
  maxvCpus: 'maxvCpus',
  spotDiscount: 'spotDiscount',
  fargateSpotDiscount: 'fargateSpotDiscount',
  spotInterruptionsPerHour: 'spotInterruptionsPerHour',
  lostFractionPerInterruption: 'lostFractionPerInterruption',
  spotRerunOverhead: 'spotRerunOverhead',
  spotAttempts: 'spotAttempts',
  dedicatedUtilization: 'dedicatedUtilization',
  natGateways: 'natGateways',
  kmsKeys: 'kmsKeys',
  alarms: 'alarms',
  stateTransitionsPerItem: 'stateTransitionsPerItem',
  areFlags: false,
};

/** A named input of the model (not the flag saying how names read). */
export type InputKey = Exclude<keyof CostInputNames, 'areFlags'>;
