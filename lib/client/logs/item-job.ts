import type { JobSummary } from '@aws-sdk/client-batch';
import { RUN_TAG } from '../../contract/job-env';
import { didYouMean } from '../../private/did-you-mean';
import { AwsCalls } from '../aws-calls';
import { ItemStepJob } from './types';
import { PipelineErrors } from '../../core/validation-error';
import { PipelineClientError } from '../errors';
import { executionFailures } from '../executions/failures';
import { describeJobs } from '../jobs/describe';

/**
 * Finding the Batch job of an item's step in a workflow run. The workflow names each job `<run>-<step>-<item index>`
 * (`<run>-<step>` outside a fan-out; lib/workflow/states/step-states.ts) and tags it with the run, on one of the
 * queues its definition names: ListJobs by that exact name on those queues finds every submission of it (the Spot
 * attempt, the On-Demand fallback, each memory level); the newest is the one that counts. A failed item's outcome
 * names its failed step's job directly.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html (filters: JOB_NAME, all statuses)
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachineForExecution.html
 */

/** A step of a workflow as its definition submits it: its name, and whether it runs once per item. */
interface SubmittedStep {
  readonly name: string;
  readonly perItem: boolean;
}

/**
 * The job that ran `step` for `item` (its id or its index in the manifest) in the workflow run `executionArn`; for a
 * step outside a fan-out, `item` is left out.
 */
export async function itemStepJob(
  aws: AwsCalls,
  executionArn: string,
  step: string,
  item?: string,
): Promise<ItemStepJob> {
  const execution = await aws.call(() => aws.sfn.send(new aws.sdk.sfn.DescribeExecutionCommand({ executionArn })));
  // The definition the execution ran (a deploy since may have changed the state machine's).
  const machine = await aws.call(() =>
    aws.sfn.send(new aws.sdk.sfn.DescribeStateMachineForExecutionCommand({ executionArn })),
  );
  const definition = machine.definition ?? '{}';
  const steps = submittedSteps(JSON.parse(definition));
  const known = steps.find((s) => s.name === step);
  if (!known) {
    const guess = didYouMean(
      step,
      steps.map((s) => s.name),
    );
    throw new PipelineClientError(
      'input',
      `--step ${step}: the workflow has no such step${guess ? `; did you mean ${guess}?` : ''} Its steps: ` +
        `${steps.map((s) => s.name).join(', ') || 'none that submit a job'}. Fix: --step ${guess ?? steps[0]?.name ?? '<step>'}`,
    );
  }
  if (known.perItem && item === undefined) {
    throw new PipelineClientError(
      'input',
      `--step ${step} runs once per item: say which item. Fix: add --item <id or index in the manifest>, e.g. --item 0`,
    );
  }
  const finished = execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE';
  const failures = finished && known.perItem ? await failedItemsOrNone(aws, executionArn) : [];
  const failed = failures.find((f) => f.id === item) ?? failures.find((f) => String(f.index) === item);
  if (failed?.step === step && failed.jobId) {
    const [job] = await describeJobs(aws, [failed.jobId]);
    return { jobId: failed.jobId, jobName: job?.jobName ?? failed.jobId };
  }
  const index = failed?.index ?? (item !== undefined && /^\d+$/.test(item) ? Number(item) : undefined);
  if (known.perItem && index === undefined) {
    throw new PipelineClientError(
      'input',
      `--item ${item}: no failed item of ${execution.name} has that id, and it is not an index. Fix: pass the item's ` +
        'index in the manifest (from 0), e.g. --item 7',
    );
  }
  const jobName = known.perItem ? `${execution.name}-${step}-${index}` : `${execution.name}-${step}`;
  const jobs = await jobsNamed(aws, queuesIn(definition), jobName);
  const ofRun = (
    await describeJobs(
      aws,
      jobs.map((j) => j.jobId!),
    )
  ).filter((j) => j.tags?.[RUN_TAG] === execution.name);
  const newest = ofRun.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0];
  if (!newest) {
    throw new PipelineClientError(
      'state',
      `no job named ${jobName} on the workflow's queues: step ${step} has not run${known.perItem ? ` for item ${item}` : ''} ` +
        `in ${execution.name} (${execution.status}): it is still to come, it was served from the step cache, or an ` +
        'earlier step failed. Fix: batch-pipelines watch --execution-arn ' +
        `${executionArn} says where the run is`,
    );
  }
  return { jobId: newest.jobId!, jobName };
}

/** The failed items of a finished run, or none when it kept no outcomes. */
async function failedItemsOrNone(aws: AwsCalls, executionArn: string) {
  try {
    return (await executionFailures(aws, executionArn)).failed;
  } catch (e) {
    if (PipelineErrors.isClientError(e) && (e as PipelineClientError).kind === 'state') {
      return [];
    }
    throw e;
  }
}

/**
 * The steps a definition submits jobs for, from each submit state's job name expression:
 * `States.Format('{}-<step>-{}', $.run, $.index)` per item, `States.Format('{}-<step>', $$.Execution.Name)` once.
 */
export function submittedSteps(definition: unknown): SubmittedStep[] {
  const found = new Map<string, SubmittedStep>();
  const visit = (node: unknown) => {
    const states = (node as { States?: Record<string, Record<string, unknown>> })?.States;
    for (const state of Object.values(states ?? {})) {
      const jobName = (state.Parameters as Record<string, unknown> | undefined)?.['JobName.$'];
      const m = /^States\.Format\('\{\}-(.+?)(-\{\})?'/.exec(String(jobName ?? ''));
      if (String(state.Resource ?? '').includes('batch:submitJob') && m) {
        found.set(m[1], { name: m[1], perItem: m[2] !== undefined });
      }
      visit(state.ItemProcessor ?? state.Iterator);
      for (const branch of (state.Branches as unknown[]) ?? []) {
        visit(branch);
      }
    }
  };
  visit(definition);
  return [...found.values()];
}

/** Every job queue ARN a definition names (its submit states' queues and the escalation states' queues). */
export function queuesIn(definition: string): string[] {
  return [...new Set(definition.match(/arn:[a-z-]+:batch:[a-z0-9-]+:\d{12}:job-queue\/[A-Za-z0-9_-]+/g) ?? [])];
}

/** The jobs named exactly `jobName` on `queues`, any status. */
async function jobsNamed(aws: AwsCalls, queues: string[], jobName: string): Promise<JobSummary[]> {
  const out: JobSummary[] = [];
  for (const jobQueue of queues) {
    out.push(
      ...(await aws.all(
        (nextToken) =>
          aws.batch.send(
            new aws.sdk.batch.ListJobsCommand({
              jobQueue,
              filters: [{ name: 'JOB_NAME', values: [jobName] }],
              nextToken,
            }),
          ),
        (page) => page.jobSummaryList,
      )),
    );
  }
  return out;
}
