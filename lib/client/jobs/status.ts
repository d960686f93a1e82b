import type { JobDetail, JobStatus } from '@aws-sdk/client-batch';

/** Jobs per status, as `watch` counts them. */
export type StatusCounts = Record<JobStatus, number>;

/** Every job status, in the order a job goes through them. */
export const ALL_STATUSES: JobStatus[] = [
  'SUBMITTED',
  'PENDING',
  'RUNNABLE',
  'STARTING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
];

/** Counts per status, array jobs counted by their children. */
export function countStatuses(jobs: JobDetail[]): StatusCounts {
  const counts = Object.fromEntries(ALL_STATUSES.map((s) => [s, 0])) as StatusCounts;
  for (const job of jobs) {
    const summary = job.arrayProperties?.statusSummary;
    if (summary && job.arrayProperties?.size) {
      let counted = 0;
      for (const s of ALL_STATUSES) {
        counts[s] += summary[s] ?? 0;
        counted += summary[s] ?? 0;
      }
      // Children not created yet are still waiting with their parent.
      counts[job.status ?? 'SUBMITTED'] += Math.max(0, job.arrayProperties.size - counted);
    } else if (job.status) {
      counts[job.status] += 1;
    }
  }
  return counts;
}
