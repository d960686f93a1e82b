import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { RunOptions, StateMachine } from 'aws-local-stepfunctions';

type Handlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type Json = Parameters<Handlers[string]>[0];
import { capacities } from './capacity';
import { aslOf } from './asl';
import { stackWithVpc } from './stacks';
import { FanOut, FanOutOptions, Job, JobQueue, Workflow, WorkflowStep, WorkflowStepOptions } from '../../lib';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36');

/** The reference pipeline: per sample align, then call-variants and qc in parallel; then aggregate. */
export function genomicsPipeline(
  fanOutOptions: FanOutOptions = {},
  stepOptions: Partial<Record<'align' | 'callVariants' | 'qc' | 'aggregate', Partial<WorkflowStepOptions>>> = {},
) {
  const { app, stack, vpc } = stackWithVpc();
  const c = capacities(stack, vpc);
  const standard = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
  const urgent = new JobQueue(stack, 'Urgent', { capacities: [c.onDemand], priority: 100 });
  const job = (id: string, command: string[], memory = 30, hours = 6) =>
    new Job(stack, id, {
      queues: [standard, urgent],
      image,
      command,
      vcpus: 4,
      memory: Size.gibibytes(memory),
      timeout: Duration.hours(hours),
    });
  const jobs = {
    align: job('Align', ['align', 'Ref::sampleId', 'Ref::inputUri']),
    callVariants: job('CallVariants', ['call', 'Ref::sampleId'], 15, 4),
    qc: job('Qc', ['qc', 'Ref::sampleId'], 7, 1),
    aggregate: job('Aggregate', ['aggregate'], 30, 2),
  };
  const samples = new FanOut('samples', fanOutOptions);
  const align = new WorkflowStep('align', { job: jobs.align, forEach: samples, ...stepOptions.align });
  const callVariants = new WorkflowStep('callVariants', {
    job: jobs.callVariants,
    forEach: samples,
    dependsOn: [align],
    ...stepOptions.callVariants,
  });
  const qc = new WorkflowStep('qc', { job: jobs.qc, forEach: samples, dependsOn: [align], ...stepOptions.qc });
  const aggregate = new WorkflowStep('aggregate', {
    job: jobs.aggregate,
    dependsOn: [callVariants, qc],
    ...stepOptions.aggregate,
  });
  const workflow = new Workflow(stack, 'Pipeline', { steps: [align, callVariants, qc, aggregate] });
  return { app, stack, standard, urgent, jobs, samples, steps: { align, callVariants, qc, aggregate }, workflow };
}

/** One call of a submit state, as the local run saw it. */
export interface SubmitCall {
  readonly state: string;
  readonly input: {
    JobName: string;
    JobQueue: string;
    JobDefinition: string;
    Parameters?: Record<string, string>;
    ContainerOverrides?: { ResourceRequirements?: Array<{ Type: string; Value: string }>; Environment?: unknown[] };
  };
}

/** Decides what a simulated Batch job does: return to succeed, throw to fail. */
export type JobSimulator = (call: SubmitCall, attempt: number) => void;

/** A Batch job failure as Step Functions reports it (`States.TaskFailed`, cause = the job description). */
export function jobFailure(statusReason: string, containerReason?: string): Error {
  const e = new Error(
    JSON.stringify({
      Status: 'FAILED',
      StatusReason: statusReason,
      Attempts: [{ StatusReason: statusReason }],
      ...(containerReason ? { Container: { Reason: containerReason, ExitCode: 137 } } : {}),
    }),
  );
  e.name = 'States.TaskFailed';
  return e;
}

/** A Batch API error as Step Functions reports it. */
export function apiError(name: string): Error {
  const e = new Error(`${name}: Rate exceeded`);
  e.name = name;
  return e;
}

function taskStates(states: Record<string, Record<string, unknown>>, out: string[] = []): string[] {
  for (const [name, s] of Object.entries(states)) {
    if (s.Type === 'Task') {
      out.push(name);
    }
    const processor = (s.ItemProcessor ?? s.Iterator) as
      { States: Record<string, Record<string, unknown>> } | undefined;
    if (processor) {
      taskStates(processor.States, out);
    }
    for (const b of (s.Branches as Array<{ States: Record<string, Record<string, unknown>> }>) ?? []) {
      taskStates(b.States, out);
    }
  }
  return out;
}

/**
 * Runs the stack's state machine locally (aws-local-stepfunctions), every Batch submit state handled by `simulate`.
 * Returns the output (or the error) and the submit calls in the order they were made.
 */
export async function runLocally(stack: Stack, input: unknown, simulate: JobSimulator = () => undefined) {
  const asl = aslOf(Template.fromStack(stack)) as Record<string, unknown>;
  // aws-local-stepfunctions cannot read S3: a Distributed Map that reads its items from a manifest is handed the
  // manifest's items from `$.manifestItems` of the input instead (the rest of the state machine runs unchanged).
  for (const state of Object.values(asl.States as Record<string, Record<string, unknown>>)) {
    if (state.ItemReader) {
      delete state.ItemReader;
      state.ItemsPath = '$.manifestItems';
    }
    // Nor write to S3, nor apply a tolerated-failure threshold: the map's result stays the list of item outputs.
    delete state.ResultWriter;
    delete state.ToleratedFailureCount;
  }
  // The derived execution timeout is weeks long; the local runner's timer cannot hold it.
  delete asl.TimeoutSeconds;
  const machine = new StateMachine(asl as never, { validationOptions: { checkArn: false } });
  const calls: SubmitCall[] = [];
  const attempts = new Map<string, number>();
  const handlers: Record<string, (input: Json) => Promise<Json>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const state of taskStates(asl.States as Record<string, Record<string, unknown>>)) {
    retryIntervalOverrides[state] = 0;
    handlers[state] = async (taskInput: Json) => {
      const call = { state, input: taskInput as unknown as SubmitCall['input'] };
      calls.push(call);
      const key = `${call.input.JobName}|${JSON.stringify(call.input.Parameters ?? {})}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      try {
        simulate(call, attempt);
      } catch (e) {
        // Batch's description of a failed job carries the name and queue it was submitted with.
        const error = e as Error;
        if (error.name === 'States.TaskFailed') {
          const description = JSON.parse(error.message);
          error.message = JSON.stringify({
            ...description,
            JobName: call.input.JobName,
            JobQueue: call.input.JobQueue,
          });
        }
        throw error;
      }
      return { JobId: `job-${calls.length}`, Status: 'SUCCEEDED' };
    };
  }
  try {
    const output = await machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
    }).result;
    return { output: output as Record<string, unknown>, error: undefined, calls };
  } catch (e) {
    return { output: undefined, error: e as Error & { cause?: unknown }, calls };
  }
}

/** Three samples as an execution input. */
export const threeSamples = {
  samples: ['s1', 's2', 's3'].map((id) => ({
    sampleId: id,
    inputUri: `s3://in/${id}.fq`,
    outputUri: `s3://out/${id}/`,
  })),
};
