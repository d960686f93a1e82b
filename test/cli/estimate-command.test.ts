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
    for (const flag of ['--items-per-week', '--hours', '--vcpus', '--memory-gib', '--spot-discount', '--json']) {
      expect(r.stdout).toContain(flag);
    }
  });

  test.each([
    [['--items-per-week', '500', '--hours', '4', '--vcpus', '4', '--memory-gib', '900'], 'fits none of the instance types given (r5.xlarge'],
    [['--items-per-week', '500', '--hours', '4', '--vcpus', '4'], '--memory-gib is required'],
    [
      ['--items-per-week', 'lots', '--hours', '4', '--vcpus', '4', '--memory-gib', '30'],
      "--items-per-week 'lots' is not allowed",
    ],
    [
      ['--items-per-week', '5', '--hours', '4', '--vcpus', '4', '--memory-gib', '30', '--colour'],
      "Unknown option '--colour'",
    ],
  ])('invalid input %p exits 2 with a clear message', async (args, message) => {
    const r = await runMain(['estimate', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
