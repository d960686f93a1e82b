import { BatchClient } from '@aws-sdk/client-batch';
import { SFNClient } from '@aws-sdk/client-sfn';
import { PipelineClient } from '../../lib';

/**
 * A PipelineClient on a fake clock: sleeping advances time instantly and is recorded (aws-sdk-client-mock intercepts
 * its SDK clients).
 */
export function clockedClient() {
  let clock = 1_000_000;
  const sleeps: number[] = [];
  const c = new PipelineClient({
    batch: new BatchClient({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  });
  return { c, sleeps, advance: (ms: number) => (clock += ms), now: () => clock };
}
