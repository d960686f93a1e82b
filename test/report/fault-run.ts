import type { AttemptDetail, JobDetail } from '@aws-sdk/client-batch';
import { App } from 'aws-cdk-lib';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';
import { PlacedJob } from '../../lib/client/report/attempts';
import { nameOf } from '../../lib/client/report/attempts';
import { QueuePricing } from '../../lib/client/report/build';
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
 * 2% of samples' callVariants exiting 2, 5% of submits throttled), read back as Batch would describe its jobs: each
 * submit that Batch accepted is a job, its tries and reasons those of the failure fixtures
 * (test/support/batch-failures.ts, each with its source) in DescribeJobs' camelCase
 * (https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html). The local run has no clock: the
 * times are simulated (seeded) — a fan-out of 50 at once (the example's maxConcurrentJobs), waits for capacity of
 * 1-11 minutes on Spot and under 3 On-Demand, run times around 50 (align), 30 (callVariants), 8 (qc) and 25 minutes
 * (aggregate), a reclaimed try cut short at a random point.
 */

/** mulberry32, as the fault-injection test seeds it. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20261129;
const ITEMS = 500;
const BATCH_ATTEMPTS = 3;
const SPOT_RATE = 0.2;
const THROTTLE_RATE = 0.05;
const CONCURRENCY = 50;
const MIN = 60_000;
export const RUN_NAME = 'week-48';
export const STARTED = Date.parse('2026-11-23T02:00:00.000Z');

/** The example's queues: StandardQueue is Spot first (Spot and On-Demand environments), UrgentQueue On-Demand. */
const TYPES = ['r5', 'r6i', 'r7i'].flatMap((f) => ['xlarge', '2xlarge', '4xlarge'].map((s) => `${f}.${s}`));
export const FAULT_QUEUES: Record<string, QueuePricing> = {
  StandardQueue: { types: TYPES, spot: true },
  UrgentQueue: { types: TYPES, spot: false },
};

/** The example's job sizes (examples/genomics/genomics-pipeline-stack.ts): vCPUs and MiB. */
const SIZES: Record<string, [number, number]> = {
  align: [4, 30720],
  callVariants: [4, 15360],
  qc: [2, 7168],
  aggregate: [4, 30720],
};
const RUN_MINUTES: Record<string, number> = { align: 50, callVariants: 30, qc: 8, aggregate: 25 };

function manifest(): unknown[] {
  const items: unknown[] = Array.from({ length: ITEMS }, (_, i) => ({
    sampleId: `S${String(i).padStart(4, '0')}`,
    inputUri: `s3://in/S${i}.fq`,
    outputUri: `s3://out/S${i}/`,
  }));
  items[17] = { sampleId: 'S0017', outputUri: 's3://out/S17/' };
  items[230] = { sampleId: 230, inputUri: 's3://in/S230.fq', outputUri: 's3://out/S230/' };
  items[401] = 'S0401,s3://in/S401.fq';
  items[499] = { ...(items[12] as object), inputUri: 's3://in/S12-resequenced.fq' };
  return items;
}

/** A submit Batch accepted, and how its job ended (undefined: it succeeded). */
interface Accepted {
  readonly call: SubmitCall;
  readonly failure?: { kind: 'spot' | 'oom' | 'app'; description: JobDescription };
}

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
    throw new Error(`the seeded week did not run: ${result.error.message} ${JSON.stringify(result.error.cause ?? "")}`);
  }
  return accepted;
}

/** The accepted submits as Batch's job descriptions, on a simulated clock (see the file's comment). */
export function faultWeekJobs(accepted: Accepted[]): PlacedJob[] {
  const clock = random(7);
  const between = (lo: number, hi: number) => lo + clock() * (hi - lo);
  const byItem = new Map<string, Accepted[]>();
  for (const a of accepted) {
    const key = a.call.state === 'aggregate' ? 'run' : a.call.input.JobName.split('-').pop()!;
    byItem.set(key, [...(byItem.get(key) ?? []), a]);
  }
  const slots = Array.from({ length: CONCURRENCY }, (_, n) => STARTED + n * 20_000);
  const out: JobDetail[] = [];
  let lastEnd = STARTED;
  let n = 0;
  const job = (a: Accepted, created: number): { detail: JobDetail; end: number } => {
    const step = a.call.state;
    const spot = !a.call.input.JobQueue.includes('UrgentQueue');
    const memory = Number(
      a.call.input.ContainerOverrides?.ResourceRequirements?.find((r) => r.Type === 'MEMORY')?.Value ?? SIZES[step][1],
    );
    const run = RUN_MINUTES[step] * MIN * between(0.7, 1.3);
    const tries: AttemptDetail[] = [];
    let t = created;
    const c = a.failure?.description.Container ?? {};
    const stream = String(c.LogStreamName ?? `Genomics_${step}/default/${(n + 1).toString(16).padStart(32, '0')}`);
    const wait = () => (spot ? between(1, 11) : between(0.5, 3)) * MIN;
    const addTry = (ran: number, statusReason: string, exitCode?: number, reason?: string) => {
      const startedAt = Math.round(t + wait());
      const stoppedAt = Math.round(startedAt + ran);
      tries.push({
        container: {
          exitCode,
          reason,
          logStreamName: stream,
          taskArn: `arn:aws:ecs:us-east-1:123456789012:task/batch/${n}`,
        },
        startedAt,
        stoppedAt,
        statusReason,
      });
      t = stoppedAt;
    };
    const failure = a.failure?.description;
    if (a.failure?.kind === 'spot') {
      for (let k = 0; k < BATCH_ATTEMPTS; k++) {
        addTry(run * between(0.05, 0.9), failure!.StatusReason!);
      }
    } else if (a.failure) {
      addTry(
        run * (a.failure.kind === 'oom' ? 0.6 : 0.3),
        failure!.StatusReason!,
        c.ExitCode as number,
        c.Reason as string,
      );
    } else {
      addTry(run, 'Essential container in task exited', 0);
    }
    const last = tries[tries.length - 1];
    const id = `${(++n).toString(16).padStart(8, '0')}-4198-45f2-a252-6cea32512ea8`;
    return {
      detail: {
        jobId: id,
        jobName: a.call.input.JobName,
        jobArn: `arn:aws:batch:us-east-1:123456789012:job/${id}`,
        jobQueue: `arn:aws:batch:us-east-1:123456789012:job-queue/${spot ? 'StandardQueue' : 'UrgentQueue'}`,
        jobDefinition: `arn:aws:batch:us-east-1:123456789012:job-definition/Genomics_${step}:1`,
        status: a.failure ? 'FAILED' : 'SUCCEEDED',
        statusReason: last.statusReason,
        createdAt: Math.round(created),
        startedAt: last.startedAt,
        stoppedAt: last.stoppedAt,
        attempts: tries,
        tags: { 'batch-pipelines:run': RUN_NAME },
        container: {
          image: `public.ecr.aws/genomics/${step}:1`,
          resourceRequirements: [
            { type: 'VCPU', value: String(SIZES[step][0]) },
            { type: 'MEMORY', value: String(memory) },
          ],
          exitCode: last.container?.exitCode,
          reason: last.container?.reason,
          logStreamName: stream,
        },
      },
      end: t,
    };
  };
  const runSteps = (calls: Accepted[], from: number) => {
    let t = from;
    for (const a of calls) {
      const made = job(a, t + between(2, 8) * 1000);
      out.push(made.detail);
      t = made.end;
    }
    return t;
  };
  for (const [key, calls] of byItem) {
    if (key === 'run') {
      continue;
    }
    slots.sort((a, b) => a - b);
    const start = slots.shift()!;
    const aligned = runSteps(
      calls.filter((c) => c.call.state === 'align'),
      start,
    );
    const end = Math.max(
      runSteps(
        calls.filter((c) => c.call.state === 'callVariants'),
        aligned,
      ),
      runSteps(
        calls.filter((c) => c.call.state === 'qc'),
        aligned,
      ),
    );
    slots.push(end);
    lastEnd = Math.max(lastEnd, end);
  }
  runSteps(byItem.get('run') ?? [], lastEnd);
  return out.map((detail) => ({
    job: detail,
    ...nameOf(detail, RUN_NAME, 'execution'),
    queue: detail.jobQueue!.split('/').pop()!,
    spot: !detail.jobQueue!.includes('UrgentQueue'),
  }));
}
