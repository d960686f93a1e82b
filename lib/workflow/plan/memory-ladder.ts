import { Construct } from 'constructs';
import { WorkflowStep } from '../step';
import { CapacityPlatform } from '../../compute/capacity';
import { InstanceCatalog } from '../../compute/instance-catalog';
import { Job } from '../../jobs/job';
import { IJobQueue } from '../../queues/job-queue-base';
import { fail, gib } from '../../private/errors';
import { FARGATE_SIZES } from '../../private/limits';

/**
 * The memory of each attempt: the job's, then ×factor after each out-of-memory kill, each level snapped to a size
 * the step's capacity accepts (on Fargate the next valid memory for the job's vCPUs; on EC2 at most what the
 * largest instance type leaves usable), stopping when no larger size fits.
 */
export function memoryLadder(scope: Construct, step: WorkflowStep, queues: IJobQueue[]): number[] {
  const job = step._options.job;
  const base = job.resources.memory.toMebibytes();
  const options = step._options.memoryEscalation;
  if (options === false) {
    return [base];
  }
  const factor = options?.factor ?? 1.5;
  const maxTimes = options?.maxTimes ?? 2;
  if (!(factor > 1) || !Number.isInteger(maxTimes) || maxTimes < 0 || maxTimes > 5) {
    fail(scope, {
      prop: `steps['${step.name}'].memoryEscalation`,
      received: `factor ${factor}, maxTimes ${maxTimes}`,
      allowed: 'a factor above 1 and 0..5 times',
      fix: 'use e.g. { factor: 1.5, maxTimes: 2 }, or false to turn escalation off',
    });
  }
  const fits = Math.min(...queues.map((q) => largestFittingMemory(q, job)));
  const ceiling = options?.ceiling?.toMebibytes() ?? fits;
  if (ceiling > fits) {
    fail(scope, {
      prop: `steps['${step.name}'].memoryEscalation.ceiling`,
      received: gib(ceiling),
      allowed: `at most ${gib(fits)}, the largest ${job.resources.vcpus}-vCPU job every queue of the step can place`,
      fix: 'lower the ceiling, or add larger instance types',
    });
  }
  if (options?.ceiling !== undefined && ceiling <= base) {
    fail(scope, {
      prop: `steps['${step.name}'].memoryEscalation.ceiling`,
      received: `${gib(ceiling)}, for job ${job.node.path} of ${gib(base)}`,
      allowed: 'a ceiling above the job memory (at or below it, escalation would silently never happen)',
      fix: `raise the ceiling above ${gib(base)} (at most ${gib(fits)}), or set memoryEscalation: false`,
    });
  }
  const fargate = job.platform === CapacityPlatform.FARGATE;
  const valid = fargate ? (FARGATE_SIZES.find((s) => s.vcpus === job.resources.vcpus)?.memoryMiB ?? []) : [];
  const levels = [base];
  for (let i = 0; i < maxTimes; i++) {
    const previous = levels[levels.length - 1];
    let next = Math.min(Math.floor(previous * factor), ceiling);
    if (fargate) {
      // The smallest valid size at or above the target, else the largest valid one above the previous level.
      next = valid.find((m) => m >= next && m <= ceiling) ?? Math.max(0, ...valid.filter((m) => m <= ceiling));
    }
    if (next <= previous) {
      break;
    }
    levels.push(next);
  }
  return levels;
}

/** The most memory (MiB) a job of `job`'s vCPUs/GPUs can get on some capacity of `queue`. */
export function largestFittingMemory(queue: IJobQueue, job: Job): number {
  const r = job.resources;
  let best = 0;
  for (const c of queue.capacities) {
    if (c.platform === CapacityPlatform.FARGATE) {
      const size = FARGATE_SIZES.find((s) => s.vcpus === r.vcpus);
      best = Math.max(best, size ? Math.max(...size.memoryMiB) : 0);
      continue;
    }
    const names = (c as { instanceTypeNames?: string[] }).instanceTypeNames ?? [];
    for (const n of names) {
      const i = InstanceCatalog.tryLookup(n);
      if (i && i.vcpus >= r.vcpus && i.gpus >= (r.gpus ?? 0)) {
        best = Math.max(best, i.usableMemoryMiB);
      }
    }
  }
  return best || r.memory.toMebibytes();
}
