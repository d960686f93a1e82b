import { Size } from 'aws-cdk-lib';
import { adviseRightsize, MeasuredJob } from '../../lib/cost/rightsize';
import { formatRightsize } from '../../lib/cost/rightsize-format';

const jobs = (n: number, gib: number, vcpus: number): MeasuredJob[] =>
  Array.from({ length: n }, (_, i) => ({
    jobId: `j${i}`,
    peakMemoryMiB: (gib - (i % 3) * 0.5) * 1024,
    peakVcpus: vcpus - (i % 3) * 0.2,
    runHours: 4,
  }));

test('the reference workload: align at 11 GiB packs two a r6i.xlarge and says the saving; a step with 3 jobs says too few', () => {
  const advice = adviseRightsize(
    [
      { step: 'align', requested: { vcpus: 4, memory: Size.gibibytes(30) }, jobs: jobs(20, 11, 1.6), unmeasured: 0 },
      { step: 'qc', requested: { vcpus: 1, memory: Size.gibibytes(2) }, jobs: jobs(3, 1, 0.5), unmeasured: 1 },
    ],
    { instanceTypes: ['r6i.xlarge'], spot: false, hoursPerItem: 4 },
  );
  expect(formatRightsize(advice)).toBe(
    [
      'Right-sizing from Container Insights (recommended = measured max + 20%; priced Batch On-Demand at 2,167 items ' +
        'a month, 500 a week):',
      '',
      'align: 20 jobs measured',
      '  memory  asked 30 GiB, used p50 10.5 / p95 11 / max 11 GiB',
      '  vCPU    asked 4, used p50 1.4 / p95 1.6 / max 1.6',
      '  request 2 vCPU / 14 GiB: 2 jobs per r6i.xlarge instead of 1, $1,092 a month less',
      "  change: vcpus: 2, memory: Size.gibibytes(14) on Job 'align'",
      '',
      'qc: 3 jobs measured, 1 without measurements',
      '  memory  asked 2 GiB, used p50 0.5 / p95 1 / max 1 GiB',
      '  vCPU    asked 1, used p50 0.3 / p95 0.5 / max 0.5',
      '  no advice: too few measured jobs (3 < 5)',
    ].join('\n'),
  );
});
