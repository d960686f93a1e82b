import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { describeReads, readsPresent, StateRead } from '../asl/reads';

/**
 * The run's first state when steps outside a fan-out read the execution input: a missing or mistyped value fails
 * the run at its start, with the values it needs, instead of raising States.Runtime (which no Catch handles) in the
 * step that reads it, possibly after days of work. Without such reads the run starts at `start`.
 */
export function buildInputCheck(states: Construct, reads: StateRead[], start: sfn.State): sfn.State {
  if (reads.length === 0) {
    return start;
  }
  const example = Object.fromEntries(
    reads.flatMap((r) => {
      const field = /^(\$\$\.Execution\.Input|\$)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(r.path)?.[2];
      return field ? [[field, r.type === 'number' ? 10 : '…']] : [];
    }),
  );
  return new sfn.Choice(states, 'input valid?').when(readsPresent(reads), start).otherwise(
    new sfn.Fail(states, 'input invalid', {
      error: 'Workflow.InvalidInput',
      cause: `The execution input ${describeReads(reads, ['$$.Execution.Input.', '$.'])}. Start the run with them${
        Object.keys(example).length ? `, e.g. ${JSON.stringify(example)}` : ''
      }.`,
    }),
  );
}
