import { JobDetail } from '@aws-sdk/client-batch';
import { attemptHours, priceRun } from '../../lib/client/run-cost';

// JobDetail fields as DescribeJobs returns them: `attempts[].startedAt/stoppedAt` and the job's own, epoch
// milliseconds (https://docs.aws.amazon.com/batch/latest/APIReference/API_AttemptDetail.html, API_JobDetail.html).
const H = 3_600_000;

test('every attempt counts: a job reclaimed twice then run to the end paid for three attempts', () => {
  const job = {
    startedAt: 5 * H,
    stoppedAt: 9 * H,
    attempts: [
      { startedAt: 0, stoppedAt: 1 * H, statusReason: 'Host EC2 (instance i-0a1b2c3d4e5f60718) terminated.' },
      { startedAt: 2 * H, stoppedAt: 4.5 * H, statusReason: 'Host EC2 (instance i-0a1b2c3d4e5f60718) terminated.' },
      { startedAt: 5 * H, stoppedAt: 9 * H },
    ],
  } as JobDetail;
  expect(attemptHours(job)).toEqual({ hours: 7.5, attempts: 3 });
  // Without attempts (a job that never started has neither): the job's own times, or nothing.
  expect(attemptHours({ startedAt: 0, stoppedAt: 2 * H } as JobDetail)).toEqual({ hours: 2, attempts: 1 });
  expect(attemptHours({} as JobDetail)).toEqual({ hours: 0, attempts: 0 });
});

test('priced as the estimate prices: the cheapest fitting type per job-hour on EC2, the Fargate size on Fargate', () => {
  const cost = priceRun(
    [
      // 30 GiB fits one per r6i.xlarge ($0.252/h) and two per r6i.2xlarge ($0.504/h): $0.252 per job-hour either way,
      // r6i.xlarge listed first.
      {
        hours: 100,
        attempts: 12,
        jobs: 10,
        succeeded: 9,
        size: { vcpus: 4, memoryMiB: 30720, gpus: 0 },
        fargate: false,
        instanceTypes: ['r6i.xlarge', 'r6i.2xlarge'],
        spot: true,
      },
      // 1 vCPU / 2 GiB on Fargate: 0.04048 + 2 × 0.004445 = $0.04937 per hour.
      {
        hours: 10,
        attempts: 10,
        jobs: 10,
        succeeded: 10,
        size: { vcpus: 1, memoryMiB: 2048, gpus: 0 },
        fargate: true,
        instanceTypes: [],
        spot: false,
      },
      // A job of unknown size is counted, not priced.
      { hours: 3, attempts: 1, jobs: 1, succeeded: 0, fargate: false, instanceTypes: [], spot: false },
    ],
    0.65,
    0.7,
  );
  expect(cost).toMatchObject({ jobHours: 113, jobs: 21, attempts: 23, succeeded: 19, unpricedJobHours: 3 });
  expect(cost.onDemandUsd).toBeCloseTo(100 * 0.252 + 10 * 0.04937, 6);
  expect(cost.spotUsd).toBeCloseTo(100 * 0.252 * 0.35 + 10 * 0.04937 * 0.3, 6);
  expect(cost.basis).toEqual([
    '4 vCPU / 30 GiB as on r6i.xlarge ($0.252/h, 1 per instance)',
    '1 vCPU / 2 GiB on Fargate as 1 vCPU / 2 GB at $0.0494/h',
  ]);
});

test('Fargate bills each attempt for at least a minute: a 10-second task is priced as 60 seconds', () => {
  const job = {
    attempts: [
      { startedAt: 0, stoppedAt: 10_000 },
      { startedAt: 20_000, stoppedAt: 140_000 },
    ],
  } as JobDetail;
  expect(attemptHours(job, 60_000).hours * 3600).toBeCloseTo(60 + 120, 6);
  expect(attemptHours(job).hours * 3600).toBeCloseTo(10 + 120, 6);
});
