import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BatchClient, DescribeJobQueuesCommand } from '@aws-sdk/client-batch';
import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  UpdateCostAllocationTagsStatusCommand,
} from '@aws-sdk/client-cost-explorer';
import { mockClient } from 'aws-sdk-client-mock';
import { CliError } from '../../lib/cli/errors';
import { spendCommand } from '../../lib/cli/spend-command';
import { PipelineClient } from '../../lib';
import { THREE_DAYS } from '../client/spend/fixtures';
import { runMain } from '../support/cli';

const ce = mockClient(CostExplorerClient);
const batch = mockClient(BatchClient);
// 2026-12-02 15:00 UTC: "the last 3 days" are 2026-11-30 .. 2026-12-02.
const NOW = Date.parse('2026-12-02T15:00:00Z');

const factory = () =>
  new PipelineClient({
    batch: new BatchClient({ region: 'eu-west-1' }),
    costExplorer: new CostExplorerClient({ region: 'us-east-1' }),
    sleep: async () => undefined,
  });

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await spendCommand(
    args,
    { out: (t) => (out += `${t}\n`), err: () => undefined, isTTY: false },
    factory,
    () => NOW,
  );
  return { code, out };
}

async function usageError(args: string[]): Promise<string> {
  try {
    await run(args);
  } catch (e) {
    expect(CliError.isCliError(e)).toBe(true);
    return `${(e as CliError).kind}: ${(e as Error).message}`;
  }
  throw new Error('expected an error');
}

/** A cloud assembly holding the genomics stack's CostReport metadata, as `cdk synth` writes it into cdk.out. */
function assembly(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spend-assembly-'));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      version: '48.0.0',
      artifacts: {
        Genomics: {
          type: 'aws:cloudformation:stack',
          displayName: 'Genomics',
          additionalMetadataFile: 'Genomics.metadata.json',
        },
      },
    }),
  );
  writeFileSync(
    join(dir, 'Genomics.metadata.json'),
    JSON.stringify({
      '/Genomics/StepCostEstimate': [
        {
          type: 'cdk-batch-pipelines:cost-estimate',
          data: { itemsPerMonth: 2166.7, monthlyUsd: 1728, computeMonthlyUsd: 1726, steps: [], warnings: [] },
        },
      ],
    }),
  );
  return dir;
}

beforeEach(() => {
  ce.reset();
  batch.reset();
  ce.on(GetCostAndUsageCommand).resolves(THREE_DAYS);
  batch.on(DescribeJobQueuesCommand).resolves({ jobQueues: [] });
});

describe('batch-pipelines spend', () => {
  test('prints the days, the services, the runs and the estimate beside them, and what explains the differences', async () => {
    const { code, out } = await run(['--pipeline', 'Genomics', '--days', '3', '--assembly', assembly()]);
    expect(code).toBe(0);
    expect(ce.commandCalls(GetCostAndUsageCommand)[0].args[0].input.TimePeriod).toEqual({
      Start: '2026-11-30',
      End: '2026-12-03',
    });
    const lines = out.split('\n');
    expect(lines[0]).toBe(
      'Spend of pipeline Genomics (batch-pipelines:pipeline=Genomics), 2026-11-30 to 2026-12-02 (3 days), from ' +
        'Cost Explorer (unblended USD):',
    );
    expect(out).toContain(
      '  2026-11-30      $46.26  Amazon Elastic Compute Cloud - Compute $41.20, EC2 - Other $3.04, Amazon Simple ' +
        'Storage Service $1.20',
    );
    expect(out).toContain(
      '  2026-12-02       $2.30  Amazon Simple Storage Service $1.22, EC2 - Other $1.08  (estimated)',
    );
    expect(out).toContain('  total           $91.66');
    expect(out).toContain('  runs: no job queue carries the tag in this Region');
    // $1,728 a month × 3 days × 24 h / 730 h.
    expect(out).toContain(
      '  estimate: $170.43 for 3 days ($1,728.00 a month, the steps the stack declares, at the items a month its ' +
        'CostReport names;',
    );
    expect(out).toContain('  - EC2 - Other $7.02: EBS volumes of the instances');
    // No tagged queue: compute is not compared with runs it could not find.
    expect(out).not.toContain('  - compute');
    expect(out).toContain('Note: Cost Explorer data arrive about 24 hours after the usage');
    expect(out).toContain('(1 Cost Explorer request, $0.01 each)');
  });

  test('--by week sums the days into weeks, Monday to Sunday', async () => {
    const { out } = await run([
      '--pipeline',
      'Genomics',
      '--start',
      '2026-11-30',
      '--end',
      '2026-12-02',
      '--by',
      'week',
      '--skip-runs',
      '--estimate-monthly-usd',
      '0',
    ]);
    expect(out).toContain('week of');
    expect(out).toContain('  2026-11-30      $91.66');
    expect(out).toContain('(3 days, estimated)');
  });

  test('--json is the report with the estimate', async () => {
    const { out } = await run(['--pipeline', 'Genomics', '--days', '3', '--json', '--estimate-monthly-usd', '730']);
    const record = JSON.parse(out);
    expect(record.tag).toEqual({ key: 'batch-pipelines:pipeline', value: 'Genomics' });
    expect(record.periods).toHaveLength(3);
    expect(record.estimate).toEqual({
      source: '--estimate-monthly-usd',
      basis: 'as given',
      monthlyUsd: 730,
      periodUsd: 72,
    });
    expect(record.runs.queues).toEqual([]);
  });

  test('is a command of batch-pipelines, with its help', async () => {
    const { code, stdout } = await runMain(['spend', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: batch-pipelines spend --pipeline NAME');
    expect(stdout).toContain('The tag must be activated as a cost allocation tag');
    expect((await runMain(['--help'])).stdout).toContain('  spend      what a pipeline actually cost');
  });

  test('--activate-tag activates the key and stops', async () => {
    ce.on(UpdateCostAllocationTagsStatusCommand).resolves({ Errors: [] });
    const { code, out } = await run(['--activate-tag']);
    expect(code).toBe(0);
    expect(out).toBe(
      'Activated batch-pipelines:pipeline as a cost allocation tag: usage from now on is reported by it, about 24 ' +
        'hours later.\n',
    );
    expect(ce.commandCalls(GetCostAndUsageCommand)).toHaveLength(0);
  });

  test('--activate-tag refused by Cost Explorer is an AWS error with the fix', async () => {
    ce.on(UpdateCostAllocationTagsStatusCommand).resolves({
      Errors: [{ TagKey: 'batch-pipelines:pipeline', Code: 'TagKeysNotFoundException', Message: 'not found' }],
    });
    expect(await usageError(['--activate-tag'])).toBe(
      'aws: Cost Explorer did not activate batch-pipelines:pipeline: batch-pipelines:pipeline: ' +
        'TagKeysNotFoundException not found. Fix: run it from the management account once a tagged resource has ' +
        'been billed (the key is listed from then on, up to 24 hours after deploy), or activate it in the Billing ' +
        'console under Cost allocation tags',
    );
  });

  test('access denied by Cost Explorer names the grant that gives it', async () => {
    // The message in the form of the IAM User Guide's access-denied examples:
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
    ce.on(GetCostAndUsageCommand).rejects(
      Object.assign(
        new Error(
          'User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: ce:GetCostAndUsage because ' +
            'no identity-based policy allows the ce:GetCostAndUsage action',
        ),
        { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } },
      ),
    );
    expect(await usageError(['--pipeline', 'Genomics'])).toBe(
      'aws: access denied: User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: ' +
        'ce:GetCostAndUsage because no identity-based policy allows the ce:GetCostAndUsage action. Fix: ' +
        'PipelineTag.grantSpend(<your role>) grants ce:GetCostAndUsage and ce:ListCostAllocationTags ' +
        "(--activate-tag needs ce:UpdateCostAllocationTagsStatus in the management account); the period's jobs need " +
        'JobQueue.grantOperate',
    );
  });

  test('an account whose Cost Explorer is not enabled is told how to enable it', async () => {
    // https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_GetCostAndUsage.html#API_GetCostAndUsage_Errors
    ce.on(GetCostAndUsageCommand).rejects(
      Object.assign(new Error('The requested data is unavailable.'), { name: 'DataUnavailableException' }),
    );
    expect(await usageError(['--pipeline', 'Genomics'])).toBe(
      'aws: Cost Explorer has no data for this account (DataUnavailableException: The requested data is ' +
        'unavailable.). Fix: enable Cost Explorer in the Billing and Cost Management console (it prepares the data ' +
        'in about 24 hours), then run spend again',
    );
  });

  test.each([
    [
      ['--days', '3'],
      "usage: --pipeline is required: the value of the pipeline's batch-pipelines:pipeline tag. Fix: batch-pipelines spend --pipeline <stack name> (or the name PipelineTag.set gave)",
    ],
    [['--pipline', 'Genomics'], 'usage: unknown flag --pipline: did you mean --pipeline?'],
    [['--pipeline', 'G', '--by', 'month'], "usage: --by 'month' is not allowed; allowed: day or week. Fix: --by day"],
    [
      ['--pipeline', 'G', '--by', 'weekly'],
      "usage: --by 'weekly' is not allowed; allowed: day or week. Fix: --by week",
    ],
    [
      ['--pipeline', 'G', '--days', '0'],
      "usage: --days '0' is not allowed; allowed: a whole number of days from 1 to 365 (Cost Explorer keeps daily data about a year back). Fix: --days 14",
    ],
    [
      ['--pipeline', 'G', '--start', '2026-13-01'],
      "usage: --start '2026-13-01' is not a day; allowed: YYYY-MM-DD (UTC). Fix: --start 2026-12-02",
    ],
    [
      ['--pipeline', 'G', '--start', '2026-12-02', '--end', '2026-11-30'],
      'usage: --end 2026-11-30 is before --start 2026-12-02; allowed: an end on or after the start. Fix: --start 2026-11-30 --end 2026-12-02',
    ],
    [
      ['--pipeline', 'G', '--days', '3', '--start', '2026-12-01'],
      'usage: --days 3 and --start/--end both name the period; allowed: one of them. Fix: drop --days, or drop --start and --end',
    ],
    [
      ['--pipeline', 'G', '--end', '2026-12-01'],
      'usage: --end 2026-12-01 without --start; allowed: --end with --start. Fix: --start 2026-11-18 --end 2026-12-01',
    ],
    [
      ['--pipeline', 'G', '--estimate-monthly-usd', 'lots'],
      "usage: --estimate-monthly-usd 'lots' is not allowed; allowed: a number of USD a month, 0 or more. Fix: --estimate-monthly-usd 1728 (what batch-pipelines estimate or cdk synth printed)",
    ],
  ])('%j is refused with the fix', async (args, message) => {
    expect(await usageError(args)).toContain(message);
    expect(ce.commandCalls(GetCostAndUsageCommand)).toHaveLength(0);
  });

  test('the fixes it suggests are accepted', async () => {
    for (const args of [
      ['--pipeline', 'G', '--by', 'day'],
      ['--pipeline', 'G', '--by', 'week'],
      ['--pipeline', 'G', '--days', '14'],
      ['--pipeline', 'G', '--start', '2026-12-02'],
      ['--pipeline', 'G', '--start', '2026-11-30', '--end', '2026-12-02'],
      ['--pipeline', 'G', '--start', '2026-11-18', '--end', '2026-12-01'],
      ['--pipeline', 'G', '--estimate-monthly-usd', '1728'],
    ]) {
      expect((await run([...args, '--skip-runs', '--assembly', assembly(), '--stack', 'Genomics'])).code).toBe(0);
    }
  });

  test('a missing stack in the assembly is said beside the bill, not an error', async () => {
    const { out } = await run(['--pipeline', 'Other', '--days', '3', '--skip-runs', '--assembly', assembly()]);
    expect(out).toContain(`  estimate: none (no stack Other in `);
    expect(out).toContain('(stacks: Genomics); pass --stack NAME)');
  });
});
