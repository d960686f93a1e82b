import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** A piece of the state machine: where it starts and the states that continue to whatever comes next. */
export interface Fragment {
  readonly start: sfn.State;
  readonly ends: sfn.INextable[];
  /**
   * A single step's entry without its plan state: the attempt record the plan state writes, and the state it leads
   * to. A step that directly follows another step is entered here, its record handed over by that step.
   */
  readonly entry?: {
    readonly attempt: object;
    readonly submit: sfn.State;
    /** What follows the attempt record: the submit state, or the check that starts the step On-Demand. */
    readonly enter: sfn.State;
  };
  /**
   * For a single step: on success, write `attempt` (the next step's record) to `$.attempt` instead of discarding the
   * job's result, so the next step needs no plan state of its own.
   */
  readonly handOver?: (attempt: object) => void;
}
