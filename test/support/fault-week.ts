/**
 * The seeded bad week shared by the fault-injection test (test/workflow/fault-injection.test.ts) and the run report's
 * data (test/report/fault-run.ts): one seed, one generator, the same rates and the same 500-sample manifest, so that
 * the report shows the week the fault-injection figures count.
 */

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FAULT_SEED = 20261129;
export const FAULT_ITEMS = 500;
/** Batch's own attempts per job (RetryPolicy.spotInterruptions(3)): Spot must take all three to fail the job. */
export const BATCH_ATTEMPTS = 3;
/** The share of tries Spot takes back. */
export const SPOT_RATE = 0.2;
/** The share of submits Batch throttles. */
export const THROTTLE_RATE = 0.05;

/** The week's manifest: 500 samples, three malformed lines and one duplicated id. */
export function faultWeekManifest(): unknown[] {
  const items: unknown[] = Array.from({ length: FAULT_ITEMS }, (_, i) => ({
    sampleId: `S${String(i).padStart(4, '0')}`,
    inputUri: `s3://in/S${i}.fq`,
    outputUri: `s3://out/S${i}/`,
  }));
  // Malformed lines: a missing field, a number where a string belongs, not an object at all.
  items[17] = { sampleId: 'S0017', outputUri: 's3://out/S17/' };
  items[230] = { sampleId: 230, inputUri: 's3://in/S230.fq', outputUri: 's3://out/S230/' };
  items[401] = 'S0401,s3://in/S401.fq';
  // A duplicated sample id (the line copied, then its input changed): it would share the first line's checkpoints.
  items[499] = { ...(items[12] as object), inputUri: 's3://in/S12-resequenced.fq' };
  return items;
}
