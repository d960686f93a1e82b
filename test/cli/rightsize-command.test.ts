import { BatchClient } from '@aws-sdk/client-batch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { rightsizeCommand, sinceOf } from '../../lib/cli/rightsize-command';
import { referenceEvents, referenceRun } from '../client/rightsize/fixtures';
import { capturedIO, runMain } from '../support/cli';
import { mockedPipelineClient } from '../support/clients';

const batch = mockClient(BatchClient);
const logs = mockClient(CloudWatchLogsClient);
const factory = () => mockedPipelineClient();

beforeEach(() => {
  batch.reset();
  logs.reset();
});

test('the reference workload: align peaking at 11 GiB (1.6 vCPU) is told to ask 2 vCPU / 14 GiB, two jobs per r6i.xlarge, and the saving', async () => {
  // GIVEN run week-48: 20 align jobs of 4 vCPU / 30 GiB, 4 h each, on On-Demand r6i.xlarge, peaking at 11 GiB and
  // 1,638 CPU units
  const jobs = referenceRun(batch, 20);
  logs.on(FilterLogEventsCommand).resolves({ events: referenceEvents(jobs, 11 * 1024, 1638) });
  const { io, out } = capturedIO();
  // WHEN
  const code = await rightsizeCommand(['--queue', 'standard', '--run-id', 'week-48'], io, factory);
  // THEN
  expect(code).toBe(0);
  expect(out.join('\n')).toBe(
    [
      'run week-48 on queue standard: checked against and priced on the instance types of queue standard',
      'Right-sizing from Container Insights (recommended = measured max + 20%; priced Batch On-Demand at 2,167 items ' +
        'a month, 500 a week):',
      '',
      'align: 20 jobs measured',
      '  memory  asked 30 GiB, used p50 9.8 / p95 9.8 / max 11 GiB',
      '  vCPU    asked 4, used p50 1.6 / p95 1.6 / max 1.6',
      '  request 2 vCPU / 14 GiB: 2 jobs per r6i.xlarge instead of 1, $1,092 a month less',
      "  change: vcpus: 2, memory: Size.gibibytes(14) on Job 'align'",
    ].join('\n'),
  );
});

test('--json prints the result; --items-per-week and --headroom change the pricing and the size', async () => {
  const jobs = referenceRun(batch, 20);
  logs.on(FilterLogEventsCommand).resolves({ events: referenceEvents(jobs, 11 * 1024, 1638) });
  const { io, out } = capturedIO();
  await rightsizeCommand(
    ['--queue', 'standard', '--run-id', 'week-48', '--items-per-week', '1000', '--headroom', '40', '--json'],
    io,
    factory,
  );
  const got = JSON.parse(out.join('\n'));
  expect(got.advice.itemsPerMonth).toBeCloseTo((1000 * 52) / 12, 6);
  expect(got.advice.headroom).toBe(0.4);
  // 11 GiB + 40% = 15.4 → 16 GiB; 1.6 + 40% = 2.24 → 3 vCPU: one job per r6i.xlarge again (vCPU-bound)
  expect(got.advice.steps[0].recommended).toMatchObject({ vcpus: 3, memoryMiB: 16384, jobsPerInstance: 1 });
});

test('too few measured jobs says so, exit 0', async () => {
  const jobs = referenceRun(batch, 3);
  logs.on(FilterLogEventsCommand).resolves({ events: referenceEvents(jobs, 11 * 1024, 1638) });
  const { io, out } = capturedIO();
  expect(await rightsizeCommand(['--queue', 'standard', '--run-id', 'week-48'], io, factory)).toBe(0);
  expect(out.join('\n')).toContain('  no advice: too few measured jobs (3 < 5)');
});

describe('argument errors (exit 2), each with a fix', () => {
  test.each([
    [[], 'rightsize needs --execution-arn, or --queue with --run-id or --since. Fix: batch-pipelines rightsize'],
    [['--run-id', 'r'], 'rightsize needs --queue. Fix:'],
    [['--queue', 'q'], 'rightsize needs --execution-arn, or --queue with --run-id or --since.'],
    [['--queue', 'q', '--run-id', 'r', '--since', '7d'], '--run-id reads one run; --since every job of a period'],
    [
      ['--execution-arn', 'arn:aws:states:us-east-1:123456789012:execution:P:r', '--queue', 'q'],
      '--execution-arn reads a workflow run; --queue with --run-id or --since reads jobs on a queue: give one.',
    ],
    [
      ['--execution-arn', 'arn:aws:states:us-east-1:123456789012:stateMachine:P'],
      "is a state machine's ARN; allowed: an execution's ARN",
    ],
    [['--queue', 'q', '--since', 'last week'], "--since 'last week' is not allowed; allowed: a period back from now"],
    [
      ['--queue', 'q', '--run-id', 'r', '--headroom=-5'],
      "--headroom '-5' is not allowed; allowed: a number >= 0. Fix: --headroom 20",
    ],
    [
      ['--queue', 'q', '--run-id', 'r', '--min-jobs', '2.5'],
      "--min-jobs '2.5' is not allowed; allowed: a whole number >= 1. Fix: --min-jobs 5",
    ],
    [
      ['--queue', 'q', '--run-id', 'r', '--hours-per-item', '0'],
      "--hours-per-item '0' is not allowed; allowed: a number above 0. Fix: --hours-per-item 4",
    ],
    [
      ['--queue', 'q', '--run-id', 'r', '--items-per-week', '5', '--items-per-month', '20'],
      '--items-per-week and --items-per-month both give the workload',
    ],
  ])('%j', async (args, message) => {
    const got = await runMain(['rightsize', ...args]);
    expect(got.code).toBe(2);
    expect(got.stderr).toContain(message);
  });

  test('an unknown flag names the one meant', async () => {
    const got = await runMain(['rightsize', '--queue', 'q', '--run-id', 'r', '--head-room', '20']);
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(/--head-room.*--headroom/s);
  });
});

test('--since reads periods back from now and past ISO dates', () => {
  const now = Date.parse('2026-12-08T00:00:00Z');
  expect(sinceOf('7d', now)).toBe(Date.parse('2026-12-01T00:00:00Z'));
  expect(sinceOf('36h', now)).toBe(Date.parse('2026-12-06T12:00:00Z'));
  expect(sinceOf('2026-12-01', now)).toBe(Date.parse('2026-12-01T00:00:00Z'));
  expect(() => sinceOf('2027-01-01', now)).toThrow('a past ISO date');
});

test('help lists rightsize', async () => {
  expect((await runMain(['--help'])).stdout).toContain('rightsize  per step: memory and vCPU asked vs used');
  expect((await runMain(['rightsize', '--help'])).stdout).toContain('containerInsights: ecs.ContainerInsights.ENABLED');
});
