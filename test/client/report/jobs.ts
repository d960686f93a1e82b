import type { JobDetail } from '@aws-sdk/client-batch';
import { PlacedJob } from '../../../lib/client/report/attempts';

/**
 * Batch job descriptions as DescribeJobs returns them (the SDK's camelCase JobDetail: `attempts[]` with `container`
 * `{ exitCode, reason, logStreamName }`, `startedAt`, `stoppedAt` and `statusReason`; `createdAt`, `startedAt`,
 * `stoppedAt` in epoch ms), https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html. Reasons are
 * those of test/support/batch-failures.ts, each with its source there: `Host EC2 (instance i-…) terminated.` for a
 * Spot reclaim, `OutOfMemoryError: Container killed due to memory usage` with exit code 137, `Essential container in
 * task exited` for an exit code.
 */

export const T0 = Date.parse('2026-11-23T02:00:00.000Z');
export const MIN = 60_000;

export const SPOT_REASON = 'Host EC2 (instance i-04b17daec78ef4a0b) terminated.';
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';
export const EXITED = 'Essential container in task exited';

/** One try: minutes after T0 it started and stopped, and how it ended. */
export interface Try {
  readonly start: number;
  readonly stop: number;
  readonly statusReason?: string;
  readonly reason?: string;
  readonly exitCode?: number;
}

/** A job description: created `created` minutes after T0, with its tries (the last decides its status). */
export function jobDetail(options: {
  id: string;
  name: string;
  queue: string;
  created: number;
  tries: Try[];
  status?: JobDetail['status'];
  vcpus?: number;
  memoryMiB?: number;
}): JobDetail {
  const last = options.tries[options.tries.length - 1];
  const status = options.status ?? (last?.exitCode === 0 ? 'SUCCEEDED' : 'FAILED');
  const attempts = options.tries.map((t, n) => ({
    container: {
      exitCode: t.exitCode,
      reason: t.reason,
      logStreamName: `Genomics_Align/default/${options.id}-${n}`,
      taskArn: `arn:aws:ecs:us-east-1:123456789012:task/batch/${options.id}${n}`,
    },
    startedAt: T0 + t.start * MIN,
    stoppedAt: T0 + t.stop * MIN,
    statusReason: t.statusReason,
  }));
  return {
    jobId: options.id,
    jobName: options.name,
    jobArn: `arn:aws:batch:us-east-1:123456789012:job/${options.id}`,
    jobQueue: `arn:aws:batch:us-east-1:123456789012:job-queue/${options.queue}`,
    jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/Genomics_Align:1',
    status,
    statusReason: last?.statusReason,
    createdAt: T0 + options.created * MIN,
    startedAt: last ? T0 + last.start * MIN : undefined,
    stoppedAt: last && status !== 'RUNNING' ? T0 + last.stop * MIN : undefined,
    attempts: status === 'RUNNING' ? attempts.slice(0, -1) : attempts,
    tags: { 'batch-pipelines:run': 'week-48' },
    container: {
      image: 'public.ecr.aws/genomics/align:1',
      resourceRequirements: [
        { type: 'VCPU', value: String(options.vcpus ?? 4) },
        { type: 'MEMORY', value: String(options.memoryMiB ?? 30720) },
      ],
      exitCode: status === 'RUNNING' ? undefined : last?.exitCode,
      reason: status === 'RUNNING' ? undefined : last?.reason,
      logStreamName: `Genomics_Align/default/${options.id}-${options.tries.length - 1}`,
    },
  };
}

/** A job placed on its queue (Spot when its name says so), with its step and item. */
export function placed(job: JobDetail, step: string, item: string): PlacedJob {
  const queue = job.jobQueue!.split('/').pop()!;
  return { job, step, item, queue, spot: queue.startsWith('Spot') };
}

/**
 * A small week: 3 samples over align → callVariants, and the cohort step.
 * - sample 0: align reclaimed by Spot on two of Batch's tries, then the third is reclaimed too and the workflow
 *   submits it On-Demand, where it succeeds;
 * - sample 1: align killed for memory at 30 GiB, submitted again with 45 GiB, succeeds;
 * - sample 2: callVariants exits 2.
 */
export function smallWeek(): PlacedJob[] {
  const ok = (start: number, stop: number): Try => ({ start, stop, statusReason: EXITED, exitCode: 0 });
  const spot = (start: number, stop: number): Try => ({ start, stop, statusReason: SPOT_REASON });
  return [
    placed(
      jobDetail({
        id: 'a0',
        name: 'week-48-align-0',
        queue: 'SpotQueue',
        created: 0,
        tries: [spot(5, 20), spot(30, 40), spot(50, 55)],
      }),
      'align',
      '0',
    ),
    placed(
      jobDetail({ id: 'a0b', name: 'week-48-align-0', queue: 'OnDemandQueue', created: 56, tries: [ok(60, 120)] }),
      'align',
      '0',
    ),
    placed(
      jobDetail({
        id: 'a1',
        name: 'week-48-align-1',
        queue: 'SpotQueue',
        created: 0,
        tries: [{ start: 10, stop: 40, statusReason: EXITED, reason: OOM_REASON, exitCode: 137 }],
      }),
      'align',
      '1',
    ),
    placed(
      jobDetail({
        id: 'a1b',
        name: 'week-48-align-1',
        queue: 'SpotQueue',
        created: 41,
        tries: [ok(45, 105)],
        memoryMiB: 46080,
      }),
      'align',
      '1',
    ),
    placed(
      jobDetail({ id: 'a2', name: 'week-48-align-2', queue: 'SpotQueue', created: 0, tries: [ok(2, 62)] }),
      'align',
      '2',
    ),
    placed(
      jobDetail({ id: 'c0', name: 'week-48-callVariants-0', queue: 'SpotQueue', created: 121, tries: [ok(125, 145)] }),
      'callVariants',
      '0',
    ),
    placed(
      jobDetail({ id: 'c1', name: 'week-48-callVariants-1', queue: 'SpotQueue', created: 106, tries: [ok(110, 130)] }),
      'callVariants',
      '1',
    ),
    placed(
      jobDetail({
        id: 'c2',
        name: 'week-48-callVariants-2',
        queue: 'SpotQueue',
        created: 63,
        tries: [{ start: 70, stop: 75, statusReason: EXITED, exitCode: 2 }],
      }),
      'callVariants',
      '2',
    ),
    placed(
      jobDetail({ id: 'g', name: 'week-48-aggregate', queue: 'OnDemandQueue', created: 146, tries: [ok(150, 160)] }),
      'aggregate',
      '(run)',
    ),
  ];
}

/** The queues of `smallWeek`: r6i types the catalog knows, one Spot and one On-Demand. */
export const QUEUES = {
  SpotQueue: { types: ['r6i.xlarge', 'r6i.2xlarge'], spot: true },
  OnDemandQueue: { types: ['r6i.xlarge', 'r6i.2xlarge'], spot: false },
};
