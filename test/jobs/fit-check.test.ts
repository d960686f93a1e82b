import { Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { Ec2Capacity, InstanceCatalog, JobQueue, PurchaseOption } from '../../lib';
import { checkFit } from '../../lib/jobs/fit-check';
import { stackWithVpc } from '../support/stacks';

// The fit check as a job runs it at synth (lib/jobs/job.ts), called directly: what a user reads for one job and queue.

const { stack, vpc } = stackWithVpc();
const job = new Construct(stack, 'Infer');

function queue(id: string, types: string[]): JobQueue {
  const capacity = new Ec2Capacity(stack, `${id}Capacity`, {
    vpc,
    purchaseOption: PurchaseOption.ON_DEMAND,
    instanceTypes: types.map((t) => new ec2.InstanceType(t)),
  });
  return new JobQueue(stack, id, { capacities: [capacity] });
}

function check(q: JobQueue, vcpus: number, memoryGiB: number, gpus?: number) {
  const resources = { vcpus, memory: Size.gibibytes(memoryGiB), gpus };
  return checkFit({ scope: job, resources, packingThreshold: 0.6 }, q);
}

const g5 = queue('G5', ['g5.xlarge', 'g5.2xlarge', 'g5.4xlarge']);
const g5Two = queue('G5Two', ['g5.xlarge', 'g5.4xlarge']);
const r6i = queue('R6i', ['r6i.xlarge', 'r7i.xlarge']);
const r6i2xl = queue('R6i2xl', ['r6i.2xlarge']);

describe('a GPU job that packs badly names the smaller request that fits the smaller size', () => {
  test('GIVEN 1 GPU / 4 vCPU / 16 GiB on g5 THEN "request 15 GiB instead: it fits g5.xlarge"', () => {
    // The catalog's usable-memory model: 16 GiB installed, 15.2 GiB a job can get (the 16 GiB job does not fit).
    expect(InstanceCatalog.tryLookup('g5.xlarge')?.usableMemoryMiB).toBe(15564);
    expect(check(g5, 4, 16, 1)).toEqual({
      errors: [],
      warnings: [
        {
          id: 'cdk-batch-pipelines:wasteful-fit',
          message:
            'Test/Infer: 1 GPU / 4 vCPU / 16 GiB packs only 50% of g5.4xlarge in Test/G5Capacity (1 per g5.4xlarge), ' +
            'so Batch may launch instances you pay for and leave partly idle. Request 15 GiB instead: it fits ' +
            'g5.xlarge (15.1 GiB usable of 16 GiB installed), 1 per instance at $1.006 a job-hour On-Demand, where ' +
            '16 GiB needs g5.2xlarge or larger (1 per instance, $1.212 a job-hour).',
        },
      ],
    });
  });

  test('the request it names fits that size, fully packed (Batch may still pick g5.4xlarge of this capacity)', () => {
    const g5xl = queue('G5Xl', ['g5.xlarge']);
    expect(check(g5xl, 4, 15, 1)).toEqual({ errors: [], warnings: [] });
    expect(check(g5xl, 4, 16, 1).errors).toEqual([expect.stringContaining('g5.xlarge has 15.1 GiB usable of 16 GiB')]);
  });

  test('the memory-bound case keeps its hint: 32 GiB on r6i.2xlarge, request 30 GiB (2 per instance)', () => {
    expect(check(r6i2xl, 4, 32).warnings.map((w) => w.message)).toEqual([
      'Test/Infer: 4 vCPU / 32 GiB packs only 50% of r6i.2xlarge in Test/R6i2xlCapacity (1 per r6i.2xlarge), so ' +
        'Batch may launch instances you pay for and leave partly idle. Request 30 GiB instead: it fits 2 per ' +
        'r6i.2xlarge (at least 97% packed on every type).',
    ]);
  });

  test('no smaller size in the capacity: no request is named', () => {
    const only4xl = queue('G5Big', ['g5.4xlarge']);
    expect(check(only4xl, 4, 16, 1).warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/packs only 50% of g5\.4xlarge .* Choose instance types shaped like the job\.$/),
    ]);
  });
});

describe('a job that fits no instance type: the value that does not fit, then the rest of the request', () => {
  test('GIVEN 4 GPU / 16 vCPU / 64 GiB on g5.xlarge and g5.4xlarge THEN "gpus 4 … g5.xlarge has 1 GPU"', () => {
    expect(check(g5Two, 16, 64, 4).errors).toEqual([
      'Test/Infer: gpus 4 (with 16 vCPU / 64 GiB) does not fit any instance type of queue Test/G5Two (capacity ' +
        'Test/G5TwoCapacity): g5.xlarge has 1 GPU, g5.4xlarge has 60.7 GiB usable of 64 GiB; allowed: at most ' +
        '1 GPU, 16 vCPUs and 60.7 GiB memory (usable on g5.4xlarge), on one instance type. Fix: request at most ' +
        '1 GPU and 60 GiB, or add g5.12xlarge to Test/G5TwoCapacity; a job that fits nowhere waits in RUNNABLE ' +
        'until the queue cancels it',
    ]);
  });

  test('GIVEN 32 GiB on 32 GiB instances THEN "memory 32 GiB (with 4 vCPU)", without GPUs in the message', () => {
    expect(check(r6i, 4, 32).errors).toEqual([
      'Test/Infer: memory 32 GiB (with 4 vCPU) does not fit any instance type of queue Test/R6i (capacity ' +
        'Test/R6iCapacity): r6i.xlarge has 30.3 GiB usable of 32 GiB; allowed: at most 4 vCPUs and 30.3 GiB memory ' +
        '(usable on r6i.xlarge), on one instance type. Fix: request at most 30 GiB, or add r6i.2xlarge to ' +
        'Test/R6iCapacity; a job that fits nowhere waits in RUNNABLE until the queue cancels it',
    ]);
  });

  test('GIVEN a GPU job on a queue without GPUs THEN the fix adds a GPU type (not "at most 0 GPUs")', () => {
    expect(check(r6i, 4, 14, 1).errors).toEqual([
      'Test/Infer: gpus 1 (with 4 vCPU / 14 GiB) does not fit any instance type of queue Test/R6i (capacity ' +
        'Test/R6iCapacity): none of its types has a GPU; allowed: at most 0 GPUs, 4 vCPUs and 30.3 GiB memory ' +
        '(usable on r6i.xlarge), on one instance type. Fix: add g4dn.xlarge to Test/R6iCapacity; a job that fits ' +
        'nowhere waits in RUNNABLE until the queue cancels it',
    ]);
  });

  test('GIVEN more vCPUs than maxvCpus THEN "vcpus 8 (with 16 GiB)"', () => {
    const tiny = new JobQueue(stack, 'Tiny', {
      capacities: [new Ec2Capacity(stack, 'TinyCapacity', { vpc, maxvCpus: 4 })],
    });
    expect(check(tiny, 8, 16).errors).toEqual([
      "Test/Infer: vcpus 8 (with 16 GiB) does not fit queue Test/Tiny (capacity Test/TinyCapacity): needs 8 vCPUs but maxvCpus is 4; allowed: at most 4 vCPUs (the capacity's maxvCpus). Fix: request at most 4 vCPUs, or raise maxvCpus of Test/TinyCapacity",
    ]);
  });
});

test('two checks of one stack name their own queues (no shared state between checks)', () => {
  expect(check(g5Two, 16, 64, 4).errors[0]).toContain('Test/G5Two');
  expect(check(r6i, 4, 32).errors[0]).toContain('Test/R6i ');
  expect(Stack.of(job)).toBe(stack);
});
