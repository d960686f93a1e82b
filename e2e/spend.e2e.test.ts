import { execFileSync } from 'child_process';
import { join } from 'path';
import { BatchClient, CreateJobQueueCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import { cliOnMoto, Moto, MOTO_CREDENTIALS } from './moto';

/**
 * `batch-pipelines spend` against moto: Cost Explorer's GetCostAndUsage answers what moto's control API was given
 * (POST /moto-api/static/ce/cost-and-usage-results: a queue of results, the first taken by the first distinct
 * request, so a two-page answer is two results), and Batch holds a queue tagged with the pipeline and jobs that ran.
 *
 * moto does not filter Cost Explorer data by tag (it returns what it was given, whatever the filter): the request
 * itself is checked by the unit tests. It serves no ListCostAllocationTags, which the empty case below meets as an
 * unreadable tag status.
 */
const moto = new Moto();
const credentials = MOTO_CREDENTIALS;
const transcript: string[] = [];
let batch: BatchClient;

const cli = cliOnMoto(moto, transcript);

const today = new Date().toISOString().slice(0, 10);
const dayOffset = (n: number) => new Date(Date.parse(`${today}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * One grouped day in the shape of the AWS CLI reference's get-cost-and-usage example output
 * (https://docs.aws.amazon.com/cli/latest/reference/ce/get-cost-and-usage.html).
 */
function costDay(start: string, services: Record<string, string>) {
  return {
    Estimated: true,
    TimePeriod: { Start: start, End: dayOffset(Math.round((Date.parse(start) - Date.parse(today)) / 86_400_000) + 1) },
    Total: {},
    Groups: Object.entries(services).map(([service, amount]) => ({
      Keys: [service],
      Metrics: { UnblendedCost: { Amount: amount, Unit: 'USD' } },
    })),
  };
}

beforeAll(async () => {
  await moto.start();
  await moto.api('config', { batch: { use_docker: false } });
  batch = new BatchClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
  const fixtures = JSON.parse(
    execFileSync('python3', [join(__dirname, 'batch_fixtures.py'), moto.endpoint], { encoding: 'utf8' }),
  ) as { computeEnvironment: string };
  // The pipeline's queue, tagged as the library tags it; the fixtures' 'standard' queue belongs to no pipeline.
  await batch.send(
    new CreateJobQueueCommand({
      jobQueueName: 'genomics-standard',
      state: 'ENABLED',
      priority: 10,
      computeEnvironmentOrder: [{ order: 1, computeEnvironment: fixtures.computeEnvironment }],
      tags: { 'batch-pipelines:pipeline': 'Genomics' },
    }),
  );
  // moto's Docker-free Batch marks each job SUCCEEDED inside SubmitJob (moto-5.2-notes.md).
  for (const sample of ['s1', 's2']) {
    await batch.send(
      new SubmitJobCommand({ jobName: `r1-align-${sample}`, jobQueue: 'genomics-standard', jobDefinition: 'align' }),
    );
  }
  await batch.send(new SubmitJobCommand({ jobName: 'other-job', jobQueue: 'standard', jobDefinition: 'align' }));
  await moto.api('static/ce/cost-and-usage-results', {
    results: [
      {
        GroupDefinitions: [{ Type: 'DIMENSION', Key: 'SERVICE' }],
        ResultsByTime: [
          costDay(dayOffset(-2), { 'Amazon Elastic Compute Cloud - Compute': '12.5', 'EC2 - Other': '1.08' }),
          costDay(dayOffset(-1), { 'Amazon Elastic Compute Cloud - Compute': '10.25', AmazonCloudWatch: '0.4' }),
        ],
        NextPageToken: 'page-2',
      },
      {
        GroupDefinitions: [{ Type: 'DIMENSION', Key: 'SERVICE' }],
        ResultsByTime: [costDay(today, { 'EC2 - Other': '1.08', 'Amazon Simple Storage Service': '0.12' })],
      },
    ],
  });
}, 60_000);

afterAll(async () => {
  batch?.destroy();
  await moto.stop();
  process.stdout.write(`\nbatch-pipelines spend against moto (${moto.endpoint}):\n\n${transcript.join('\n\n')}\n`);
});

test('spend reads both pages, splits by service and prices the tagged queue jobs beside the bill', async () => {
  const result = await cli(['spend', '--pipeline', 'Genomics', '--days', '3', '--estimate-monthly-usd', '300']);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`${dayOffset(-2)}      $13.58  Amazon Elastic Compute Cloud - Compute $12.50`);
  expect(result.stdout).toContain(`${today}       $1.20  EC2 - Other $1.08`);
  expect(result.stdout).toMatch(/ {2}total {11}\$25\.43/);
  expect(result.stdout).toMatch(/Amazon Elastic Compute Cloud - Compute +\$22\.75/);
  // The two jobs of the tagged queue, not the other queue's.
  expect(result.stdout).toMatch(/runs: 2 jobs \(.*\) on genomics-standard/);
  // $300 a month × 3 days × 24 h / 730 h.
  expect(result.stdout).toContain('estimate: $29.59 for 3 days ($300.00 a month, as given; --estimate-monthly-usd)');
  expect(result.stdout).toContain('- EC2 - Other $2.16: EBS volumes of the instances');
  expect(result.stdout).toContain('(2 Cost Explorer requests, $0.01 each)');
});

test('spend --json, then a bill with nothing: the tag status is unreadable here, and the note says what to do', async () => {
  // The results queue is used up: a new request gets moto's default, no days at all.
  const result = await cli(['spend', '--pipeline', 'Genomics', '--days', '7', '--json', '--skip-runs']);
  expect(result.code).toBe(0);
  const report = JSON.parse(result.stdout);
  expect(report.usd).toBe(0);
  expect(report.periods).toHaveLength(7);
  expect(report.notes.join('\n')).toMatch(
    /Cost Explorer returned no cost for batch-pipelines:pipeline=Genomics\. Its status could not be read .*A tag not activated as a cost allocation tag returns nothing\. Fix: activate it in the Billing console/,
  );
});

test('spend with a misspelt flag exits 2 naming the flag meant', async () => {
  const result = await cli(['spend', '--pipline', 'Genomics']);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('unknown flag --pipline: did you mean --pipeline?');
});
