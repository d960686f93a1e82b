import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** A piece of the state machine: where it starts and the states that continue to whatever comes next. */
export interface Fragment {
  readonly start: sfn.State;
  readonly ends: sfn.INextable[];
}
