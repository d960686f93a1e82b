import { runCli, runMain } from '../support/cli';

describe('batch-pipelines (child process)', () => {
  test('--help lists the commands and exit codes', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: batch-pipelines <command> [options]');
    expect(r.stdout).toContain('estimate');
    expect(r.stdout).toContain('Exit codes: 0 success; 1 AWS or runtime error; 2 invalid arguments');
  });

  test('no command or an unknown one exits 2', () => {
    expect(runCli([]).code).toBe(2);
    const r = runCli(['launch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("batch-pipelines: unknown command 'launch'");
  });
});

describe('batch-pipelines estimate', () => {
  test('estimate prints the table for the reference workload', async () => {
    const r = await runMain([
      'estimate',
      '--items-per-week',
      '500',
      '--hours',
      '4',
      '--vcpus',
      '4',
      '--memory-gib',
      '30',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Job lands on r5.xlarge: 1 per instance, 97% packed');
    expect(r.stdout).toMatch(/Batch Spot\s+\$\d/);
    expect(r.stdout).toContain('Burst of 500 every 7 days: 10 wave(s) of 50 → 40 h');
  });

  test('estimate --json is machine-readable and reproduces the scenario', async () => {
    const r = await runMain([
      'estimate',
      '--items-per-week',
      '500',
      '--hours',
      '4',
      '--vcpus',
      '4',
      '--memory-gib',
      '32',
      '--instance-types',
      'r5.2xlarge',
      '--spot-discount',
      '0.7',
      '--rerun-overhead',
      '0.15',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    const spot = json.lines.find((l: { option: string }) => l.option === 'Batch Spot');
    expect(Math.round(spot.monthlyUsd)).toBe(1507);
  });

  test('estimate --help documents every flag', async () => {
    const r = await runMain(['estimate', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--items-per-week',
      '--hours',
      '--vcpus',
      '--memory-gib',
      '--spot-discount',
      '--nat-gateways',
      '--kms-keys',
      '--alarms',
      '--transitions-per-item',
      '--json',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  test.each([
    [['--items-per-week', '500', '--hours', '4', '--vcpus', '4'], '--memory-gib is required'],
    [
      ['--items-per-week', '500', '--hours', '4', '--vcpus', '4', '--memory-gib', '30', '--instance-types', 'x9.huge'],
      '--instance-types x9.huge is not allowed; allowed: types the instance catalog knows',
    ],
    [
      ['--items-per-week', '500', '--hours', '4', '--vcpus', '4', '--memory-gib', '30', '--kms-keys', '1.5'],
      "--kms-keys '1.5' is not allowed; allowed: a whole number >= 0",
    ],
    [
      ['--items-per-week', 'lots', '--hours', '4', '--vcpus', '4', '--memory-gib', '30'],
      "--items-per-week 'lots' is not allowed",
    ],
    [
      ['--items-per-week', '5', '--hours', '4', '--vcpus', '4', '--memory-gib', '30', '--colour'],
      'unknown flag --colour. The flags of estimate: --items-per-day, --items-per-week, --items-per-month, --hours,',
    ],
  ])('invalid input %p exits 2 with a clear message', async (args, message) => {
    const r = await runMain(['estimate', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test('--items-per-week with --items-per-month is refused: give one', async () => {
    const r = await runMain([
      'estimate',
      '--items-per-week',
      '500',
      '--items-per-month',
      '3000',
      '--hours',
      '4',
      '--vcpus',
      '4',
      '--memory-gib',
      '30',
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'batch-pipelines estimate: --items-per-week 500 and --items-per-month 3000 were both given; give one of them ' +
        '(500 a week is 2,167 a month)\n',
    );
  });

  describe('the rate flags: one of --items-per-day, --items-per-week, --items-per-month', () => {
    const job = ['--hours', '0.25', '--vcpus', '2', '--memory-gib', '4', '--json'];
    const monthly = async (rate: string[]) => {
      const r = await runMain(['estimate', ...rate, ...job]);
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout);
    };

    test('the same workload by the day, the week or the month: a month is 365/12 days or 52/12 weeks', async () => {
      const day = await monthly(['--items-per-day', String((14000 * 52) / 365)]);
      const week = await monthly(['--items-per-week', '14000']);
      const month = await monthly(['--items-per-month', String((14000 * 52) / 12)]);
      expect(day.throughput.demandJobHoursPerMonth).toBeCloseTo(week.throughput.demandJobHoursPerMonth, 6);
      expect(month.throughput.demandJobHoursPerMonth).toBeCloseTo(week.throughput.demandJobHoursPerMonth, 6);
      expect(day.lines.map((l: { monthlyUsd: number }) => Math.round(l.monthlyUsd))).toEqual(
        week.lines.map((l: { monthlyUsd: number }) => Math.round(l.monthlyUsd)),
      );
    });

    test('--items-per-day bursts a day of items once a day; --burst still decides when given', async () => {
      const r = await runMain(['estimate', '--items-per-day', '2000', ...job.slice(0, -1)]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Burst of 2,000 every 24 h: 40 wave(s) of 50 → 10 h');
      const weekly = await runMain(['estimate', '--items-per-week', '14000', ...job.slice(0, -1)]);
      expect(weekly.stdout).toContain('Burst of 14,000 every 7 days');
      const given = await runMain(['estimate', '--items-per-day', '2000', '--burst', '500', ...job.slice(0, -1)]);
      expect(given.stdout).toContain('Burst of 500 every 6 h');
    });

    test.each([
      [
        ['--items-per-day', '2000', '--items-per-week', '500'],
        '--items-per-day 2000 and --items-per-week 500 were both given; give one of them (2,000 a day is 60,833 a month, ' +
          '500 a week is 2,167 a month)',
      ],
      [
        ['--items-per-day', '10', '--items-per-week', '70', '--items-per-month', '303'],
        '--items-per-day 10, --items-per-week 70 and --items-per-month 303 were all given; give one of them ' +
          '(10 a day is 304 a month, 70 a week is 303 a month)',
      ],
      [
        [],
        'how many items arrive is required: give --items-per-day, --items-per-week or --items-per-month. ' +
          'Fix: e.g. --items-per-day 2000; see batch-pipelines estimate --help',
      ],
      [['--items-per-day=-5'], "--items-per-day '-5' is not allowed; allowed: a number >= 0"],
      [
        ['--items-per-day', '-5'],
        "--items-per-day is followed by an argument starting with '-', read as a flag, not as its value. Fix: " +
          "--items-per-day=<value> for a value that starts with '-' (e.g. --items-per-day=-1), or give --items-per-day its value",
      ],
    ])('%p is refused with exit 2', async (rate, message) => {
      const r = await runMain(['estimate', ...rate, '--hours', '4', '--vcpus', '4', '--memory-gib', '30']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`batch-pipelines estimate: ${message}\n`);
    });

    test('--help documents all three and says how they convert', async () => {
      const r = await runMain(['estimate', '--help']);
      expect(r.stdout).toMatch(/--items-per-day N .*\n.*--items-per-week N .*\n.*--items-per-month N /);
      expect(r.stdout).toContain('a month is 365/12 days');
      expect(r.stdout).toContain('batch-pipelines estimate --items-per-day 2000');
    });
  });

  test('a job that fits nowhere names --memory-gib in GiB and the instance types by their flag', async () => {
    const args = ['--items-per-week', '500', '--hours', '4', '--vcpus', '4', '--memory-gib'];
    const r = await runMain(['estimate', ...args, '200']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'batch-pipelines estimate: --vcpus 4 --memory-gib 200 fits none of the instance types given (r5.xlarge, ',
    );
    expect(r.stderr).toContain('the most memory a job can get is 121.6 GiB, on r5.4xlarge');
    expect(r.stderr).toContain(
      'Fix: add r5.8xlarge to --instance-types (32 vCPUs, 243.2 GiB usable), or set --memory-gib 121 or less.',
    );
    expect(r.stderr).not.toMatch(/MiB|instanceTypes|memory 200/);
    // Nothing in the catalog holds 900 GiB: no type is suggested that would not hold it.
    const none = await runMain(['estimate', ...args, '900']);
    expect(none.stderr).toContain('No instance type in the catalog (x86_64) fits it either.');
    expect(none.stderr).toContain(
      'Fix: set --memory-gib 121 or less, or set --memory-gib 243 or less and add r5.8xlarge to --instance-types',
    );
    // Both fixes it names work.
    expect((await runMain(['estimate', ...args, '121'])).code).toBe(0);
    const withLarger = await runMain(['estimate', ...args, '200', '--instance-types', 'r5.4xlarge,r5.8xlarge']);
    expect(withLarger.code).toBe(0);
    expect(withLarger.stdout).toContain('Job lands on r5.8xlarge');
  });

  test('when the work outruns --concurrency, the lines agree and the warning names the flag to raise', async () => {
    // GIVEN 20 items a week of 48 h at 4 at once: 4,160 job-hours asked, 4 × 730 = 2,920 fit
    const args = [
      '--items-per-week',
      '20',
      '--hours',
      '48',
      '--vcpus',
      '4',
      '--memory-gib',
      '32',
      '--concurrency',
      '4',
    ];
    const r = await runMain(['estimate', ...args]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    const monthly = (option: string) => Number(new RegExp(`${option} +\\$([\\d,]+)`).exec(out)![1].replace(/,/g, ''));
    expect(monthly('Dedicated, sized for average load')).toBeLessThanOrEqual(monthly('Dedicated, sized for peak'));
    expect(out).toContain(
      '4,160 job-hours a month asked, 2,920 can run (4 at once × 730 h); 4.0 jobs running on average',
    );
    expect(out).toContain('Burst of 20 every 7 days: 5 wave(s) of 4 → 10 days');
    expect(out).toContain(
      'WARNING: The work outruns capacity: it asks 4,160 job-hours a month and 4 jobs at once run at most 2,920 ' +
        '(× 730 h), so 25.8 items a month (6 a week) are left over and the queue grows without end; the figures ' +
        'above price only the work that runs. Fix: raise --concurrency to 6 (6 jobs at once keep up).',
    );
    expect(out).toContain(
      'WARNING: A burst of 20 takes 10 days at 4 at once, longer than the 7 days between bursts: the queue never ' +
        'drains, and each burst finishes about 3 days later than the one before.',
    );
    expect(out).not.toContain('maxConcurrency');
    // AND --json carries the same, as data
    const json = JSON.parse((await runMain(['estimate', ...args, '--json'])).stdout);
    expect(json.throughput).toMatchObject({ concurrency: 4, runJobHoursPerMonth: 2920, concurrencyNeeded: 6 });
    expect(json.averageConcurrentJobs).toBeLessThanOrEqual(4);
    expect(json.warnings).toHaveLength(2);
    expect(json.warnings[0]).toContain('raise --concurrency to 6');
    expect(json.makespan).toMatchObject({ hours: 240, drains: false });
    // AND at the concurrency it names, nothing is left over
    const fixed = await runMain(['estimate', ...args.slice(0, -1), '6']);
    expect(fixed.stdout).not.toContain('WARNING');
  });

  test('when --max-vcpus is what holds it back, the warning names --max-vcpus', async () => {
    const r = await runMain([
      'estimate',
      '--items-per-week',
      '500',
      '--hours',
      '4',
      '--vcpus',
      '4',
      '--memory-gib',
      '30',
      '--max-vcpus',
      '40',
    ]);
    // 40 vCPUs run ten 4-vCPU jobs (7,300 job-hours); 8,667 need 12 at once, 48 vCPUs.
    expect(r.stdout).toContain('Fix: raise --max-vcpus to 48 (12 jobs at once keep up).');
  });

  test('fixed costs on request: their own block, added by hand', async () => {
    const r = await runMain([
      'estimate',
      '--items-per-week',
      '500',
      '--hours',
      '4',
      '--vcpus',
      '4',
      '--memory-gib',
      '30',
      '--nat-gateways',
      '2',
      '--kms-keys',
      '3',
      '--alarms',
      '14',
    ]);
    expect(r.code).toBe(0);
    // 2 × $0.045 × 730 = $65.70; 3 × $1 = $3.00; 14 × $0.10 = $1.40; total $70.10.
    expect(r.stdout).toMatch(/NAT gateways +2 × \$0\.045 per hour × 730 h \(traffic not priced\) +\$65\.70/);
    expect(r.stdout).toMatch(/KMS keys +3 × \$1\.00 per key-month +\$3\.00/);
    expect(r.stdout).toMatch(/CloudWatch alarms +14 × \$0\.10 per alarm-month +\$1\.40/);
    expect(r.stdout).toMatch(/total +a month +\$70\.10/);
    // The per-item lines are the compute lines, unchanged.
    expect(r.stdout).toMatch(/Batch Spot +\$813 +\$0\.38/);
    const json = JSON.parse(
      (
        await runMain([
          'estimate',
          '--items-per-week',
          '500',
          '--hours',
          '4',
          '--vcpus',
          '4',
          '--memory-gib',
          '30',
          '--nat-gateways',
          '2',
          '--json',
        ])
      ).stdout,
    );
    expect(json.fixedCosts.monthlyUsd).toBeCloseTo(65.7, 10);
  });

  test('the table says what it leaves out, and shows the Fargate rounding', async () => {
    const r = await runMain([
      'estimate',
      '--items-per-week',
      '500',
      '--hours',
      '4',
      '--vcpus',
      '3',
      '--memory-gib',
      '30',
    ]);
    expect(r.stdout).toContain(
      'On Fargate: 4 vCPU / 30 GiB (asked 3 vCPU / 30 GiB, rounded up to a valid Fargate size)',
    );
    // The line that closes the table (the account-quota note may follow it).
    expect(r.stdout.trimEnd().split('\n')).toContain(
      'Covers compute only; not included: NAT gateways or VPC endpoints, KMS keys, CloudWatch alarms and logs, Step ' +
        'Functions state transitions, S3 storage and requests, data transfer.',
    );
  });
});

// A new account's EC2 vCPU quotas: 5 of Standard On-Demand (L-1216C47A) and 5 of Standard Spot (L-34B43A08), 0 of
// G and VT (L-DB2E81BA, L-3819A6DF): the "Default" columns of
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-on-demand-instances.html#ec2-on-demand-instances-limits and
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-spot-limits.html.
describe('estimate and a new account’s vCPU quotas', () => {
  const base = ['estimate', '--items-per-week', '500', '--hours', '4', '--vcpus', '4', '--memory-gib', '30'];

  test('50 jobs at once on r5.xlarge (200 vCPUs) exceed the 5 Standard vCPUs a new account starts with', async () => {
    const r = await runMain(base);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toBe(
      'Account quotas: 50 jobs at once on r5.xlarge take 200 vCPUs (50 × 4). A new AWS account starts with 5 vCPUs ' +
        'of Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances (L-1216C47A) and 5 vCPUs of All ' +
        'Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests (L-34B43A08): jobs beyond them wait in ' +
        'RUNNABLE with a reason that does not name the quota. Check yours with `batch-pipelines diagnose --queue ' +
        '<queue>` (or `aws service-quotas get-service-quota --service-code ec2 --quota-code L-1216C47A`) and ' +
        'request 200 before the first run.',
    );
  });

  test('a GPU job names the G and VT quotas, whose new-account default is 0', async () => {
    const r = await runMain([
      ...base.slice(0, 7),
      '--memory-gib',
      '8',
      '--gpus',
      '1',
      '--concurrency',
      '1',
      '--instance-types',
      'g5.xlarge',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /Account quotas: 1 job at once on g5\.xlarge take 4 vCPUs \(1 × 4\)\. A new AWS account starts with 0 vCPUs of Running On-Demand G and VT instances \(L-DB2E81BA\) and 0 vCPUs of All G and VT Spot Instance Requests \(L-3819A6DF\)/,
    );
  });

  test('one small job fits a new account: no warning; --json lists the quotas either way', async () => {
    const small = ['estimate', '--items-per-day', '10', '--hours', '0.1', '--vcpus', '1', '--memory-gib', '2'];
    const r = await runMain([...small, '--concurrency', '1', '--instance-types', 'm5.large']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Account quotas');
    const json = JSON.parse(
      (await runMain([...small, '--concurrency', '1', '--instance-types', 'm5.large', '--json'])).stdout,
    );
    expect(json.accountQuotas).toEqual({
      instanceType: 'm5.large',
      vcpus: 2,
      quotas: [
        {
          code: 'L-1216C47A',
          name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
          purchase: 'On-Demand',
          newAccountDefault: 5,
        },
        {
          code: 'L-34B43A08',
          name: 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests',
          purchase: 'Spot',
          newAccountDefault: 5,
        },
      ],
    });
  });
});
