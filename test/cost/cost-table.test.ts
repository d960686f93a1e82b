import { Size } from 'aws-cdk-lib';
import { estimateCost, formatCostTable, Workload } from '../../lib';

const weekly = (itemsPerWeek: number): number => (itemsPerWeek * 52) / 12;
const workload = (more: Partial<Workload> = {}): Workload => ({
  itemsPerMonth: weekly(500),
  hoursPerItem: 4,
  vcpus: 4,
  memory: Size.gibibytes(30),
  maxConcurrency: 50,
  ...more,
});
const EXCLUDED =
  'Covers compute only; not included: NAT gateways or VPC endpoints, KMS keys, CloudWatch alarms and logs, Step ' +
  'Functions state transitions, S3 storage and requests, data transfer.';

describe('formatCostTable', () => {
  test('when the work outruns capacity, the table prices what runs and says what is left over', () => {
    // GIVEN 20 items a week of 48 h at 4 at once (4,160 job-hours asked, 2,920 fit)
    const table = formatCostTable(
      estimateCost(
        workload({ itemsPerMonth: weekly(20), hoursPerItem: 48, memory: Size.gibibytes(32), maxConcurrency: 4 }),
      ),
    );
    // THEN every line agrees: what runs, on average at most 4 at once, the fleet sized for it no larger than the peak
    expect(table).toContain(
      '4,160 job-hours a month asked, 2,920 can run (4 at once × 730 h); 4.0 jobs running on average',
    );
    expect(table).toMatch(/Dedicated, sized for average load +\$1,472 +\$24\.19\nDedicated, sized for peak +\$1,472 /);
    // 2,920 × $0.336 = $981.12; per item over the 60.8 items that run: $16.13.
    expect(table).toMatch(/Batch On-Demand +\$981 +\$16\.13/);
    expect(table).toContain('(per item: of the 60.8 items a month that run)');
    expect(table).toContain(
      "Burst of 20 every 7 days: 5 wave(s) of 4 → 10 days (limited by the workflow's concurrency)",
    );
    expect(table).toContain(
      'WARNING: The work outruns capacity: it asks 4,160 job-hours a month and 4 jobs at once run at most 2,920',
    );
    expect(table).toContain('25.8 items a month (6 a week) are left over');
    expect(table).toContain('Fix: raise maxConcurrency to 6 (6 jobs at once keep up).');
    expect(table).toContain(
      'WARNING: A burst of 20 takes 10 days at 4 at once, longer than the 7 days between bursts: the queue never ' +
        'drains, and each burst finishes about 3 days later than the one before.',
    );
  });

  test('shows the Fargate size a job is rounded up to, and says so only when it is', () => {
    expect(formatCostTable(estimateCost(workload({ memory: Size.gibibytes(32) })))).toContain(
      'On Fargate: 8 vCPU / 32 GiB (asked 4 vCPU / 32 GiB, rounded up to a valid Fargate size)',
    );
    expect(formatCostTable(estimateCost(workload({ vcpus: 3 })))).toContain(
      'On Fargate: 4 vCPU / 30 GiB (asked 3 vCPU / 30 GiB, rounded up to a valid Fargate size)',
    );
    const exact = formatCostTable(estimateCost(workload()));
    expect(exact).toContain('On Fargate: 4 vCPU / 30 GiB\n');
    expect(exact).not.toContain('rounded up');
  });

  test('writes burst times in minutes, hours or days, never long decimals', () => {
    // 20-minute jobs, a burst of 10 (every 10 / 2,166.7 × 730 h = 3.4 h): one wave. 500 at 50 at once: 10 waves, 3.3 h.
    const minutes = formatCostTable(estimateCost(workload({ hoursPerItem: 1 / 3, burstSize: 10 })));
    expect(minutes).toContain(
      'Burst of 10 every 3.4 h: 1 wave(s) of 10 → 20 min (one wave: fewer items than jobs at once)',
    );
    expect(formatCostTable(estimateCost(workload({ hoursPerItem: 1 / 3 })))).toContain('10 wave(s) of 50 → 3.3 h');
    expect(minutes).not.toMatch(/\d\.\d{3,}/);
  });

  test('says in one line that it covers compute only', () => {
    expect(formatCostTable(estimateCost(workload())).split('\n').pop()).toBe(EXCLUDED);
  });

  test('prints fixed costs in their own block, with a total, when asked', () => {
    const table = formatCostTable(
      estimateCost(
        workload(),
        {},
        { fixedCosts: { natGateways: 2, kmsKeys: 3, alarms: 12, stateTransitionsPerItem: 20 } },
      ),
    );
    expect(table).toContain('Beyond compute (us-east-1 list prices, before the free tier; not in the figures above):');
    expect(table).toMatch(/ {2}NAT gateways +2 × \$0\.045 per hour × 730 h \(traffic not priced\) +\$65\.70/);
    expect(table).toMatch(/ {2}KMS keys +3 × \$1\.00 per key-month +\$3\.00/);
    expect(table).toMatch(/ {2}CloudWatch alarms +12 × \$0\.10 per alarm-month +\$1\.20/);
    // 2,166.7 items × 20 transitions × $0.025 per 1,000 = $1.08
    expect(table).toMatch(/ {2}Step Functions transitions +2,167 items × 20 transitions × \$0\.025 per 1,000 +\$1\.08/);
    expect(table).toMatch(/ {2}total +a month +\$70\.98/);
    expect(table.split('\n').pop()).toBe(
      'Covers compute and the items above; not included: VPC endpoints and NAT traffic, KMS requests, CloudWatch ' +
        'logs, S3 storage and requests, data transfer.',
    );
  });
});
