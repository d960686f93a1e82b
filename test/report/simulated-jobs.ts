import type { AttemptDetail, JobDetail } from '@aws-sdk/client-batch';
import { nameOf, PlacedJob } from '../../lib/client/report/attempts';
import { QueuePricing } from '../../lib/client/report/build';
import type { JobDescription } from '../support/batch-failures';
import { BATCH_ATTEMPTS, random } from '../support/fault-week';

export { BATCH_ATTEMPTS, random };

/**
 * Submits that Batch accepted, read back as Batch would describe their jobs: each a job whose tries and reasons are
 * those of the failure fixtures (test/support/batch-failures.ts, each with its source) in DescribeJobs' camelCase
 * (https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html). A local run has no clock: the times
 * are simulated (seeded) — a fan-out of `concurrency` items at once, waits for capacity of 1-11 minutes on Spot and
 * under 3 On-Demand, run times around 50 (align), 30 (callVariants), 8 (qc) and 25 minutes (aggregate), a reclaimed
 * try cut short at a random point. No aws-cdk-lib here: the benchmark loads it too.
 */

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

/** A submit Batch accepted (the fields of test/support/pipeline.ts's SubmitCall read here), and how its job ended. */
export interface Accepted {
  readonly call: {
    readonly state: string;
    readonly input: {
      JobName: string;
      JobQueue: string;
      ContainerOverrides?: { ResourceRequirements?: Array<{ Type: string; Value: string }> };
    };
  };
  /** Undefined: it succeeded. */
  readonly failure?: { kind: 'spot' | 'oom' | 'app'; description: JobDescription };
}

/** The accepted submits as Batch's job descriptions, on a simulated clock (see the file's comment). */
export function faultWeekJobs(accepted: Accepted[], concurrency = 50): PlacedJob[] {
  const clock = random(7);
  const between = (lo: number, hi: number) => lo + clock() * (hi - lo);
  const byItem = new Map<string, Accepted[]>();
  for (const a of accepted) {
    const key = a.call.state === 'aggregate' ? 'run' : a.call.input.JobName.split('-').pop()!;
    byItem.set(key, [...(byItem.get(key) ?? []), a]);
  }
  const slots = Array.from({ length: concurrency }, (_, n) => STARTED + n * 20_000);
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
