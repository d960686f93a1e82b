import { PlacedJob } from '../../lib/client/report/attempts';
import { applicationError, outOfMemory, spotReclaimed } from '../support/batch-failures';
import { Accepted, BATCH_ATTEMPTS, faultWeekJobs, random, RUN_NAME } from './simulated-jobs';

/**
 * A run of `items` samples through the example's steps (align, then callVariants and qc, then the cohort step) as
 * the workflow submits them — a Spot job reclaimed on all of Batch's tries is submitted again On-Demand, an align
 * killed for memory again with 45 GiB — at the seeded fault-injection rates (Spot reclaiming 20% of tries, 3% of
 * aligns out of memory, 2% of callVariants exiting 2), without running the state machine: the 10,000-item report's
 * data, for its test and the benchmark. The jobs are those of ./simulated-jobs.ts.
 */
export function largeRunJobs(items: number, concurrency = 500): PlacedJob[] {
  const rand = random(20261207);
  const accepted: Accepted[] = [];
  const SPOT = 'arn:aws:batch:us-east-1:123456789012:job-queue/StandardQueue';
  const URGENT = 'arn:aws:batch:us-east-1:123456789012:job-queue/UrgentQueue';
  const submit = (state: string, name: string, onDemand: boolean, memory?: string) => ({
    state,
    input: {
      JobName: name,
      JobQueue: onDemand ? URGENT : SPOT,
      ContainerOverrides: memory ? { ResourceRequirements: [{ Type: 'MEMORY', Value: memory }] } : undefined,
    },
  });
  const reclaimed = () => Array.from({ length: BATCH_ATTEMPTS }, () => rand()).every((r) => r < 0.2);
  for (let i = 0; i < items; i++) {
    let onDemand = false;
    const step = (state: string, memory?: string, failsWith?: 'oom' | 'app') => {
      const name = `${RUN_NAME}-${state}-${i}`;
      if (!onDemand && reclaimed()) {
        accepted.push({
          call: submit(state, name, false, memory),
          failure: { kind: 'spot', description: spotReclaimed() },
        });
        onDemand = true;
      }
      if (failsWith === 'oom') {
        accepted.push({
          call: submit(state, name, onDemand, memory),
          failure: { kind: 'oom', description: outOfMemory() },
        });
        accepted.push({ call: submit(state, name, onDemand, '46080') });
      } else if (failsWith === 'app') {
        accepted.push({
          call: submit(state, name, onDemand),
          failure: { kind: 'app', description: applicationError(2) },
        });
      } else {
        accepted.push({ call: submit(state, name, onDemand, memory) });
      }
    };
    step('align', '30720', rand() < 0.03 ? 'oom' : undefined);
    step('callVariants', undefined, rand() < 0.02 ? 'app' : undefined);
    step('qc');
  }
  accepted.push({ call: submit('aggregate', `${RUN_NAME}-aggregate`, true) });
  return faultWeekJobs(accepted, concurrency);
}
