import { nearMisses } from '../../lib/cli/flag-errors';
import { runMain } from '../support/cli';

describe('an unknown flag lists the flags of its command, and the one meant for a near miss (exit 2)', () => {
  test('estimate --items-per-dya: did you mean --items-per-day?', async () => {
    // GIVEN a typo of a flag estimate takes
    const r = await runMain(['estimate', '--items-per-dya', '2000', '--hours', '0.25', '--vcpus', '2']);
    // THEN exit 2 (invalid arguments), nothing on stdout, the guess, every flag of estimate and the fix
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'batch-pipelines estimate: unknown flag --items-per-dya: did you mean --items-per-day? The flags of estimate: ' +
        '--items-per-day, --items-per-week, --items-per-month, --hours, --vcpus, --memory-gib, --gpus, --concurrency, ' +
        '--burst, --instance-types, --max-vcpus, --spot-discount, --interruptions-per-hour, --rerun-overhead, ' +
        '--checkpointing, --dedicated-utilization, --nat-gateways, --kms-keys, --alarms, --transitions-per-item, ' +
        '--json, -h/--help. Fix: write --items-per-day (batch-pipelines estimate --help says what it takes)\n',
    );
  });

  test('watch --que: its own flags first, then the AWS and output flags every command takes', async () => {
    const r = await runMain(['watch', '--que', 'standard', '--run-id', 'r1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'batch-pipelines watch: unknown flag --que: did you mean --queue? The flags of watch: --queue, --run-id, ' +
        '--job-id, --execution-arn, --interval, --region, --profile, --endpoint, --json, -h/--help. ' +
        'Fix: write --queue (batch-pipelines watch --help says what it takes)\n',
    );
  });

  test('submit --colour: nothing close, so no guess, only the list', async () => {
    const r = await runMain(['submit', '--colour']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'batch-pipelines submit: unknown flag --colour. The flags of submit: --queue, --stage, --items, --run-id, ' +
        '--id-field, --manifest-uri, --region, --profile, --endpoint, --json, -h/--help. ' +
        'Fix: use one of them (batch-pipelines submit --help says what each takes)\n',
    );
  });

  test('--flag=value is named without its value; several near misses are all offered', async () => {
    const r = await runMain(['estimate', '--items-per-hour=90']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'unknown flag --items-per-hour: did you mean --items-per-day, --items-per-week or --items-per-month?',
    );
  });

  test('--json: the error is a JSON record, its fix apart', async () => {
    const r = await runMain([
      'start',
      '--state-machine',
      'arn:aws:states:us-east-1:123456789012:stateMachine:W',
      '--json',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        command: 'start',
        kind: 'usage',
        message:
          'unknown flag --state-machine: did you mean --state-machine-arn? The flags of start: --state-machine-arn, ' +
          '--bucket, --key, --name, --no-cache, --region, --profile, --endpoint, --json, -h/--help',
        fix: 'write --state-machine-arn (batch-pipelines start --help says what it takes)',
        exitCode: 2,
      },
    });
  });
});

describe('the other things parseArgs refuses, in the command’s terms (exit 2)', () => {
  test.each([
    [
      ['watch', '--interval'],
      'batch-pipelines watch: --interval needs a value (--interval <value>). Fix: give one after it; ' +
        'batch-pipelines watch --help says what it takes',
    ],
    [
      ['cancel', 'r1'],
      "batch-pipelines cancel: unexpected argument 'r1': cancel takes only flags, each value after its flag " +
        '(--name value). Fix: put the flag it belongs to before it, or quote a value that has spaces; ' +
        'batch-pipelines cancel --help lists the flags',
    ],
  ])('%p', async (args, message) => {
    const r = await runMain(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${message}\n`);
  });
});

describe('nearMisses: what an unknown flag probably meant', () => {
  const estimate = ['items-per-day', 'items-per-week', 'items-per-month', 'hours', 'memory-gib', 'max-vcpus', 'json'];
  test.each([
    ['--items-per-dya', ['items-per-day']], // two letters swapped
    ['--items-per-days', ['items-per-day']], // one too many
    ['--hour', ['hours']],
    ['--memory', ['memory-gib']], // a prefix of the flag
    ['--max-cpus', ['max-vcpus']],
    ['--jsonl', ['json']], // the flag is a prefix of it
    ['--items-per-year', ['items-per-day', 'items-per-week', 'items-per-month']], // the same stem
    ['--colour', []],
    ['--x', []],
    ['--', []],
  ])('%s → %p', (typed, meant) => {
    expect(nearMisses(typed, estimate)).toEqual(meant);
  });
});
