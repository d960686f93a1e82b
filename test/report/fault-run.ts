import { App } from 'aws-cdk-lib';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';
import { Accepted, RUN_NAME } from './simulated-jobs';
import {
  BATCH_ATTEMPTS,
  FAULT_ITEMS,
  FAULT_SEED,
  faultWeekManifest,
  random,
  SPOT_RATE,
  THROTTLE_RATE,
} from '../support/fault-week';
import {
  applicationError,
  BATCH_API_ERRORS,
  JobDescription,
  outOfMemory,
  spotReclaimed,
} from '../support/batch-failures';
import { apiError, jobFailure, runLocally, SubmitCall } from '../support/pipeline';

/**
 * The seeded bad week of test/workflow/fault-injection.test.ts (same seed, rates and manifest: 500 samples over the
 * example's own state machine, run locally, Spot reclaiming 20% of tries, 3% of aligns killed for memory at 30 GiB,
 * 2% of samples' callVariants exiting 2, 5% of submits throttled). `faultWeekJobs` (./simulated-jobs.ts) reads the
 * submits Batch accepted back as its job descriptions, with 50 items at once (the example's maxConcurrentJobs).
 */

const SEED = FAULT_SEED;
const ITEMS = FAULT_ITEMS;
const manifest = faultWeekManifest;

/** Runs the seeded week locally and returns every submit Batch accepted, in order. */
export async function runFaultWeek(): Promise<Accepted[]> {
  const stack = new GenomicsPipelineStack(new App(), 'Genomics');
  const rand = random(SEED);
  const indexOf = (c: SubmitCall) => Number(c.input.JobName.split('-').pop());
  const queueOf = (c: SubmitCall) => (c.input.JobQueue.includes('UrgentQueue') ? 'OnDemand' : 'Spot');
  const memoryOf = (c: SubmitCall) =>
    c.input.ContainerOverrides?.ResourceRequirements?.find((r) => r.Type === 'MEMORY')?.Value;
  const oomOnce = new Set(Array.from({ length: ITEMS }, (_, i) => i).filter(() => rand() < 0.03));
  const broken = new Set(Array.from({ length: ITEMS }, (_, i) => i).filter(() => rand() < 0.02));
  const accepted: Accepted[] = [];
  const result = await runLocally(
    stack,
    { manifest: { bucket: 'input', key: 'manifests/week-48.json' }, manifestItems: manifest() },
    (call) => {
      if (rand() < THROTTLE_RATE) {
        throw apiError(BATCH_API_ERRORS.throttled);
      }
      const index = call.state === 'aggregate' ? -1 : indexOf(call);
      const fail = (kind: 'spot' | 'oom' | 'app', description: JobDescription) => {
        accepted.push({ call, failure: { kind, description } });
        throw jobFailure(description);
      };
      if (
        queueOf(call) === 'Spot' &&
        Array.from({ length: BATCH_ATTEMPTS }, () => rand()).every((r) => r < SPOT_RATE)
      ) {
        fail('spot', spotReclaimed());
      }
      if (call.state === 'align' && oomOnce.has(index) && memoryOf(call) === '30720') {
        fail('oom', outOfMemory());
      }
      if (call.state === 'callVariants' && broken.has(index)) {
        fail('app', applicationError(2));
      }
      accepted.push({ call });
    },
    RUN_NAME,
  );
  if (result.error) {
    throw new Error(`the seeded week did not run: ${result.error.message} ${JSON.stringify(result.error.cause ?? '')}`);
  }
  return accepted;
}
