import type { JobDetail } from '@aws-sdk/client-batch';
import type { JobStage } from './submit';
import { WORKFLOW_JOB_PARAMETER } from '../../contract/job-env';

/**
 * Planning a rerun of the failed items of a run submitted as Batch jobs (`submit`): which stages it had, in which
 * order, on which queue and job definition, and which items failed, from what Batch keeps of the run's jobs.
 */

/**
 * The stages of a run's jobs, in the order they were submitted. Each names its job definition without revision: the
 * rerun uses the latest active revision, so a fix registered since (more memory after an out-of-memory failure)
 * applies.
 */
export function stagesOf(runId: string, jobs: JobDetail[], offsetEnv: string): JobStage[] {
  const first = new Map<string, { at: number; stage: JobStage }>();
  for (const job of jobs) {
    const name = jobKey(runId, job, offsetEnv)?.stage;
    if (!name) {
      continue;
    }
    const at = job.createdAt ?? 0;
    const known = first.get(name);
    if (!known || at < known.at) {
      first.set(name, {
        at,
        stage: { name, jobDefinition: definitionName(job.jobDefinition ?? ''), jobQueue: job.jobQueue ?? '' },
      });
    }
  }
  return [...first.values()].sort((a, b) => a.at - b.at).map((s) => s.stage);
}

/**
 * What a job of the run was named after: `<run>-<stage>-<chunk>` for an array job (or a one-item chunk; both carry
 * the manifest offset), `<run>-<stage>-<item id>` for one job per item, whose parameters are the item. Stage names
 * and ids may contain '-': the id is the parameter value the name ends with (the longest, when several do).
 */
export function jobKey(
  runId: string,
  job: JobDetail,
  offsetEnv: string,
): { stage: string; chunk?: number; idField?: string; id?: string } | undefined {
  const name = job.jobName ?? '';
  if (!name.startsWith(`${runId}-`)) {
    return undefined;
  }
  const rest = name.slice(runId.length + 1);
  if (job.container?.environment?.some((e) => e.name === offsetEnv)) {
    const m = /^(.+)-(\d+)$/.exec(rest);
    return m ? { stage: m[1], chunk: Number(m[2]) } : undefined;
  }
  const [field, id] =
    Object.entries(job.parameters ?? {})
      .filter(([, v]) => v && rest.endsWith(`-${v}`) && rest.length > v.length + 1)
      .sort((a, b) => b[1].length - a[1].length)[0] ?? [];
  return field ? { stage: rest.slice(0, rest.length - id!.length - 1), idField: field, id } : undefined;
}

/** `arn:…:job-definition/name:3`, `name:3` or `name` → `name`. */
export function definitionName(jobDefinition: string): string {
  return jobDefinition.replace(/^arn:[^:]+:batch:[^:]*:[^:]*:job-definition\//, '').replace(/:\d+$/, '');
}

/**
 * The item a failed one-job-per-item job ran: its parameters. A job a workflow submitted also carries the workflow's
 * marker parameter (`WORKFLOW_JOB_PARAMETER`), which keeps its failures out of the per-job notifications; a rerun by
 * run id is the command's own run, so the marker is left out and its failures are notified like any other job's.
 */
export function itemOfJob(job: JobDetail): Record<string, string> {
  return Object.fromEntries(Object.entries(job.parameters ?? {}).filter(([name]) => name !== WORKFLOW_JOB_PARAMETER));
}

/** How a rerun of a run of one job per item treats one stage (`rerunJobs`). */
export interface StageRerun {
  /** The stage. */
  readonly stage: string;
  /** Items whose job of this stage runs again. */
  readonly run: number;
  /**
   * Items whose job of this stage succeeded with the revision of its job definition the rerun would use and the same
   * parameters: not run again, their later stages start from it.
   */
  readonly reused: number;
  /** Items whose job of this stage Batch no longer lists (it keeps finished jobs for about 7 days): run again. */
  readonly forgotten: number;
}

/** `arn:…:job-definition/name:3` → 3; undefined without a revision. */
export function revisionOf(jobDefinition: string): number | undefined {
  const m = /:(\d+)$/.exec(jobDefinition);
  return m ? Number(m[1]) : undefined;
}

/**
 * For each failed item of a run of one job per item, the first stage the rerun must submit: the stages before the one
 * that failed are reused when the item's job of that stage succeeded with the job definition revision the rerun
 * would submit (`latest`, by definition name) and the same parameters; from the first that is not, every stage runs
 * (each depends on the one before). Returns the start per item id and what each stage does.
 */
export function stagesToRun(
  stages: JobStage[],
  items: Array<{ id: string; item: Record<string, string>; failedStage: string }>,
  jobOf: (stage: string, id: string) => JobDetail | undefined,
  latest: Map<string, number>,
): { startOf: Map<string, number>; counts: StageRerun[] } {
  const counts = stages.map((s) => ({ stage: s.name, run: 0, reused: 0, forgotten: 0 }));
  const startOf = new Map<string, number>();
  for (const { id, item, failedStage } of items) {
    const failedAt = Math.max(
      0,
      stages.findIndex((s) => s.name === failedStage),
    );
    let start = 0;
    for (; start < failedAt; start++) {
      const job = jobOf(stages[start].name, id);
      const same =
        job?.status === 'SUCCEEDED' &&
        revisionOf(job.jobDefinition ?? '') === latest.get(stages[start].jobDefinition) &&
        JSON.stringify(itemOfJob(job)) === JSON.stringify(item);
      if (!same) {
        counts[start].forgotten += job ? 0 : 1;
        break;
      }
      counts[start].reused++;
    }
    startOf.set(id, start);
    for (let i = start; i < stages.length; i++) {
      counts[i].run++;
    }
  }
  return { startOf, counts };
}
