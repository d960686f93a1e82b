import type { JobDetail } from '@aws-sdk/client-batch';
import { clusterPeaks, TaskPeak, taskRefOf, Window } from './insights';
import { adviseStep, MeasuredJob, RightsizeAdvice, StepMeasurement } from '../../cost/rightsize';
import {
  OUT_OF_MEMORY_REASON_PATTERN,
  RIGHTSIZE_HEADROOM,
  RIGHTSIZE_MIN_JOBS,
  RIGHTSIZE_REFERENCE_ITEMS_PER_MONTH,
} from '../../private/limits';
import { AwsCalls } from '../aws-calls';
import { PipelineClientError } from '../errors';
import { childIds, describeJobs } from '../jobs/describe';
import { jobSize, queueCapacity } from '../queue-capacity';
import { nameOf } from '../report/attempts';
import { nameFilters, QUEUE_ARN, runJobs } from '../report/collect';

/**
 * `PipelineClient.rightsize`: a run's (or a period's) jobs, what each used from Container Insights, and the advice
 * (lib/cost/rightsize.ts). Jobs are joined to their ECS tasks through DescribeJobs: each attempt's
 * `container.taskArn` (https://docs.aws.amazon.com/batch/latest/APIReference/API_AttemptContainerDetail.html).
 */

/**
 * What to right-size: a workflow execution, a run of jobs, or every job created on a queue since a time.
 * @jsii ignore
 */
export interface RightsizeTarget {
  /** A workflow execution's ARN. */
  readonly executionArn?: string;
  /** A job queue (name or ARN): with `runId`, a run of jobs; with `since`, every job on it since then. */
  readonly jobQueue?: string;
  /** A run of jobs (`batch-pipelines submit`'s run id). */
  readonly runId?: string;
  /** Jobs created since this time (epoch milliseconds), by job definition. */
  readonly since?: number;
}

/**
 * Options of `PipelineClient.rightsize`.
 * @jsii ignore
 */
export interface RightsizeRunOptions {
  /**
   * Items a month the saving is priced at.
   * @default 2,166.7 - 500 samples a week
   */
  readonly itemsPerMonth?: number;
  /**
   * Hours a job runs at that workload.
   * @default - each step's measured mean
   */
  readonly hoursPerItem?: number;
  /**
   * Headroom over the measured max.
   * @default 0.2
   */
  readonly headroom?: number;
  /**
   * Fewest measured jobs a step needs for advice.
   * @default 5
   */
  readonly minJobs?: number;
}

/**
 * What `rightsize` found.
 * @jsii ignore
 */
export interface RightsizeResult {
  /** What was read, e.g. `execution run-7` or `queue standard since 2026-12-01T00:00:00.000Z`. */
  readonly target: string;
  /** The queue whose instance types the advice is checked against and priced on. */
  readonly queue: string;
  /** The advice, per step. */
  readonly advice: RightsizeAdvice;
  /** The performance log groups read. */
  readonly logGroups: string[];
  /** What could not be read or measured. */
  readonly notes: string[];
}

/** A job with its step and queue. */
interface StepJob {
  readonly job: JobDetail;
  readonly step: string;
  /** How a prop change names its Job, when not by the step. */
  readonly label?: string;
}

/** Reads the target's jobs, their tasks' peaks, and advises. */
export async function rightsize(
  aws: AwsCalls,
  target: RightsizeTarget,
  options: RightsizeRunOptions = {},
): Promise<RightsizeResult> {
  const { label, jobs } = await jobsOf(aws, target);
  if (jobs.length === 0) {
    throw new PipelineClientError(
      'input',
      `no jobs found for ${label}. Fix: check the ARN or the queue and run id (batch-pipelines start and submit ` +
        'print them), or a longer --since',
    );
  }
  // The queue most of the jobs ran on prices the advice (a workflow's On-Demand fallback queue holds few).
  const queue = mostCommon(jobs.map((j) => j.job.jobQueue ?? ''));
  const capacity = await queueCapacity(aws, queue);
  const notes: string[] = [];
  const { peaks, logGroups, missing } = await peaksOf(aws, jobs, aws.now());
  notes.push(...missing);
  const measured = measure(jobs, peaks);
  if (measured.every((s) => s.jobs.length === 0)) {
    const clusters = logGroups.join(', ') || 'no ECS task (no job has started)';
    throw new PipelineClientError(
      'state',
      `no job of ${label} has Container Insights measurements (read: ${clusters}). Fix: set containerInsights: ` +
        'ecs.ContainerInsights.ENABLED on the Ec2Capacity of its queue, deploy, and run it again (events are ' +
        'written while jobs run; they are not made after the fact)',
    );
  }
  const runOptions = {
    instanceTypes: capacity.types,
    maxvCpus: Math.max(0, ...capacity.maxvCpus) || undefined,
    spot: capacity.spot,
    ...options,
  };
  return {
    target: label,
    queue: queue.split('/').pop()!,
    advice: {
      steps: measured.map((m) => adviseStep(m, runOptions)),
      itemsPerMonth: options.itemsPerMonth ?? RIGHTSIZE_REFERENCE_ITEMS_PER_MONTH,
      headroom: options.headroom ?? RIGHTSIZE_HEADROOM,
      minJobs: options.minJobs ?? RIGHTSIZE_MIN_JOBS,
      priced: capacity.spot ? 'Batch Spot' : 'Batch On-Demand',
    },
    logGroups,
    notes,
  };
}

/** The target's jobs, each with its step. */
async function jobsOf(aws: AwsCalls, t: RightsizeTarget): Promise<{ label: string; jobs: StepJob[] }> {
  if (t.executionArn) {
    const machine = await aws.call(() =>
      aws.sfn.send(new aws.sdk.sfn.DescribeStateMachineForExecutionCommand({ executionArn: t.executionArn })),
    );
    const name = t.executionArn.split(':').pop()!;
    const queues = [...new Set(machine.definition?.match(QUEUE_ARN) ?? [])];
    const filters = nameFilters(machine.definition ?? '', name);
    const jobs: StepJob[] = [];
    for (const queue of queues) {
      for (const job of await runJobs(aws, queue, name, filters)) {
        jobs.push({ job, step: nameOf(job, name, 'execution').step });
      }
    }
    return { label: `execution ${name}`, jobs };
  }
  if (t.jobQueue && t.runId) {
    const jobs = (await runJobs(aws, t.jobQueue, t.runId)).map((job) => ({
      job,
      step: nameOf(job, t.runId!, 'jobs').step,
    }));
    return { label: `run ${t.runId} on queue ${t.jobQueue}`, jobs };
  }
  if (t.jobQueue && t.since !== undefined) {
    return { label: `queue ${t.jobQueue} since ${new Date(t.since).toISOString()}`, jobs: await since(aws, t) };
  }
  throw new PipelineClientError('input', 'rightsize needs an execution ARN, or a job queue with a run id or a time');
}

/**
 * Every job created on the queue since `t.since` (ListJobs' AFTER_CREATED_AT filter, any status:
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_KeyValuesPair.html), array children in place of their
 * parents, each step named by its job definition (a Job has one), as runs of many names share it.
 */
async function since(aws: AwsCalls, t: RightsizeTarget): Promise<StepJob[]> {
  const listed = await aws.all(
    (nextToken) =>
      aws.batch.send(
        new aws.sdk.batch.ListJobsCommand({
          jobQueue: t.jobQueue,
          filters: [{ name: 'AFTER_CREATED_AT', values: [String(t.since)] }],
          nextToken,
        }),
      ),
    (page) => page.jobSummaryList,
  );
  const out: StepJob[] = [];
  for (const job of await describeJobs(
    aws,
    listed.map((j) => j.jobId!),
  )) {
    const jobs = job.arrayProperties?.size
      ? await describeJobs(aws, await childIds(aws, job.jobId!, ['SUCCEEDED', 'FAILED', 'RUNNING']))
      : [job];
    // A definition's name: `arn:aws:batch:…:job-definition/<name>:<revision>`.
    const step = (job.jobDefinition ?? '').split('/').pop()!.replace(/:\d+$/, '');
    out.push(...jobs.map((j) => ({ job: j, step, label: `the Job of job definition '${step}'` })));
  }
  return out;
}

/** Every started attempt's task, by cluster; each cluster's events read over the attempts' span. */
async function peaksOf(aws: AwsCalls, jobs: StepJob[], now: number) {
  const byCluster = new Map<string, { ids: Set<string>; start: number; end: number }>();
  for (const { job } of jobs) {
    for (const a of job.attempts ?? []) {
      const ref = taskRefOf(a.container?.taskArn);
      if (!ref) {
        continue;
      }
      const c = byCluster.get(ref.cluster) ?? { ids: new Set<string>(), start: Infinity, end: 0 };
      c.ids.add(ref.taskId);
      c.start = Math.min(c.start, a.startedAt ?? job.createdAt ?? now);
      c.end = Math.max(c.end, a.stoppedAt ?? now);
      byCluster.set(ref.cluster, c);
    }
  }
  const peaks = new Map<string, TaskPeak>();
  const logGroups: string[] = [];
  const missing: string[] = [];
  for (const [cluster, c] of byCluster) {
    // A minute either side: an event is stamped at the end of the minute it measures.
    const window: Window = { start: c.start - 60_000, end: c.end + 60_000 };
    const read = await clusterPeaks(aws, cluster, c.ids, window);
    logGroups.push(read.logGroupName);
    if (read.missing) {
      missing.push(read.missing);
    }
    read.peaks.forEach((v, k) => peaks.set(k, v));
  }
  return { peaks, logGroups, missing };
}

/** Per step: its most common request, and each job's peak over its attempts. */
function measure(jobs: StepJob[], peaks: Map<string, TaskPeak>): StepMeasurement[] {
  const steps = new Map<string, StepJob[]>();
  for (const j of jobs) {
    const list = steps.get(j.step) ?? [];
    list.push(j);
    steps.set(j.step, list);
  }
  const out: StepMeasurement[] = [];
  for (const [step, list] of steps) {
    const sizes = list.map((j) => jobSize(j.job)).filter((s) => s !== undefined);
    if (sizes.length === 0) {
      continue;
    }
    const key = mostCommon(sizes.map((s) => `${s.vcpus}/${s.memory.toMebibytes()}/${s.gpus}`));
    const requested = sizes.find((s) => `${s.vcpus}/${s.memory.toMebibytes()}/${s.gpus}` === key)!;
    const measured: MeasuredJob[] = [];
    for (const { job } of list) {
      const tasks = (job.attempts ?? [])
        .map((a) => peaks.get(taskRefOf(a.container?.taskArn)?.taskId ?? ''))
        .filter((p): p is TaskPeak => p !== undefined);
      if (tasks.length === 0) {
        continue;
      }
      const oom = (job.attempts ?? []).some((a) =>
        (a.container?.reason ?? '').startsWith(OUT_OF_MEMORY_REASON_PATTERN.replace(/\*$/, '')),
      );
      measured.push({
        jobId: job.jobId!,
        peakMemoryMiB: Math.max(...tasks.map((p) => p.memoryMiB)),
        peakVcpus: Math.max(...tasks.map((p) => p.vcpus)),
        runHours:
          job.startedAt !== undefined && job.stoppedAt !== undefined
            ? (job.stoppedAt - job.startedAt) / 3_600_000
            : undefined,
        outOfMemory: oom || undefined,
      });
    }
    out.push({
      step,
      job: list[0].label,
      requested: { vcpus: requested.vcpus, memory: requested.memory, gpus: requested.gpus },
      jobs: measured,
      unmeasured: list.length - measured.length,
    });
  }
  return out;
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  values.forEach((v) => counts.set(v, (counts.get(v) ?? 0) + 1));
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}
