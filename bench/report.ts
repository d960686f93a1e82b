// `npm run bench` part: the run report of 10,000 samples (30,000 jobs and more): how long `report --execution-arn`
// takes to read them through the client (Batch and Step Functions answered by aws-sdk-client-mock, at no latency and
// at a stated latency per call) and write the page, how long building and drawing alone take, how large the page and
// the JSON are, and how long Chromium takes to open the page.
// Prints one JSON line; bench/run.ts writes it into docs/benchmarks.md. A script, not a test: nothing is asserted.
import '../test/support/setup';
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import {
  BatchClient,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { DescribeExecutionCommand, DescribeStateMachineForExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import puppeteer from 'puppeteer-core';
import { PipelineClient } from '../lib';
import { buildRunReport } from '../lib/client/report/build';
import { renderReportHtml } from '../lib/report/html';
import { largeRunJobs } from '../test/report/large-run';
import { FAULT_QUEUES, RUN_NAME } from '../test/report/simulated-jobs';

const ITEMS = Number(process.env.REPORT_ITEMS ?? 10_000);
/** Milliseconds each mocked Batch call takes in the second end-to-end run (an assumption, stated in the output). */
const LATENCY_MS = Number(process.env.REPORT_LATENCY_MS ?? 50);
const root = join(__dirname, '..');
const out = join(root, 'test-artifacts', 'bench');

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

/** The example's submit states' job names, as its definition writes them (lib/workflow/states/step-states.ts). */
const DEFINITION = JSON.stringify({
  States: Object.fromEntries(
    ['align', 'callVariants', 'qc']
      .map((step) => [
        step,
        {
          Type: 'Task',
          Parameters: {
            'JobName.$': `States.Format('{}-${step}-{}', $.run, $.index)`,
            JobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/StandardQueue',
          },
        },
      ])
      .concat([
        [
          'aggregate',
          {
            Type: 'Task',
            Parameters: {
              'JobName.$': "States.Format('{}-aggregate', $$.Execution.Name)",
              JobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/UrgentQueue',
            },
          },
        ],
      ]),
  ),
});

/** `report --execution-arn` through the client, Batch and Step Functions answered by aws-sdk-client-mock. */
async function endToEnd(jobs: ReturnType<typeof largeRunJobs>, latency: number) {
  const batch = mockClient(BatchClient);
  const sfn = mockClient(SFNClient);
  const byId = new Map(jobs.map((j) => [j.job.jobId!, j.job]));
  const wait = () => (latency > 0 ? new Promise((r) => setTimeout(r, latency)) : Promise.resolve());
  let calls = 0;
  const listed = new Map<string, typeof jobs>();
  batch
    .on(ListJobsCommand)
    .callsFake(async (input: { jobQueue: string; filters: Array<{ values: string[] }>; nextToken?: string }) => {
      calls++;
      await wait();
      const filter = input.filters[0].values[0];
      const key = `${input.jobQueue}|${filter}`;
      if (!listed.has(key)) {
        const prefix = filter.replace(/\*$/, '').toLowerCase();
        listed.set(
          key,
          jobs.filter(
            (j) =>
              j.job.jobQueue!.endsWith(`/${input.jobQueue.split('/').pop()}`) &&
              (filter.endsWith('*')
                ? j.job.jobName!.toLowerCase().startsWith(prefix)
                : j.job.jobName!.toLowerCase() === prefix),
          ),
        );
      }
      // With a filter, ListJobs returns at most 100 jobs a page (https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html).
      const all = listed.get(key)!;
      const from = Number(input.nextToken ?? 0);
      return {
        jobSummaryList: all.slice(from, from + 100).map((j) => ({ jobId: j.job.jobId, jobName: j.job.jobName })),
        nextToken: from + 100 < all.length ? String(from + 100) : undefined,
      };
    });
  batch.on(DescribeJobsCommand).callsFake(async (input: { jobs: string[] }) => {
    calls++;
    await wait();
    return { jobs: input.jobs.map((id) => byId.get(id)!) };
  });
  batch.on(DescribeJobQueuesCommand).callsFake(async (input: { jobQueues: string[] }) => ({
    jobQueues: [
      {
        jobQueueName: 'q',
        jobQueueArn: input.jobQueues[0],
        state: 'ENABLED',
        priority: 1,
        computeEnvironmentOrder: [
          { order: 1, computeEnvironment: input.jobQueues[0].includes('Urgent') ? 'od' : 'spot' },
        ],
      },
    ],
  }));
  batch.on(DescribeComputeEnvironmentsCommand).callsFake(async (input: { computeEnvironments: string[] }) => ({
    computeEnvironments: [
      {
        computeEnvironmentName: input.computeEnvironments[0],
        computeEnvironmentArn: 'arn',
        computeResources: {
          type: input.computeEnvironments[0] === 'od' ? 'EC2' : 'SPOT',
          maxvCpus: 2000,
          instanceTypes: FAULT_QUEUES.StandardQueue.types,
          subnets: [],
        },
      },
    ],
  }));
  const executionArn = `arn:aws:states:us-east-1:123456789012:execution:GenomicsWorkflow:${RUN_NAME}`;
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn,
    name: RUN_NAME,
    status: 'SUCCEEDED',
    startDate: new Date(Math.min(...jobs.map((j) => j.job.createdAt!))),
    input: '{}',
    output: '{"samplesOutcomes":[]}',
  });
  sfn.on(DescribeStateMachineForExecutionCommand).resolves({
    stateMachineArn: 'arn:sm',
    name: 'GenomicsWorkflow',
    roleArn: 'arn:role',
    updateDate: new Date(),
    definition: DEFINITION,
  });
  const client = new PipelineClient({
    batch: new BatchClient({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    sleep: async () => undefined,
  });
  const started = process.hrtime.bigint();
  const report = await client.executionReport(executionArn, { tailLog: async (jobId) => ({ jobId, lines: [] }) });
  const html = renderReportHtml(report);
  const wall = ms(started);
  batch.restore();
  sfn.restore();
  return { wallMs: wall, calls, htmlBytes: html.length, jobs: report.jobs };
}

async function main() {
  mkdirSync(out, { recursive: true });
  const jobs = largeRunJobs(ITEMS);
  let t = process.hrtime.bigint();
  const report = buildRunReport({
    run: { kind: 'execution', name: RUN_NAME, status: 'SUCCEEDED' },
    jobs,
    queues: FAULT_QUEUES,
    now: Math.max(...jobs.map((j) => j.job.stoppedAt ?? 0)),
  });
  const buildMs = ms(t);
  t = process.hrtime.bigint();
  const html = renderReportHtml(report);
  const renderMs = ms(t);
  const json = JSON.stringify(report);
  const file = join(out, 'report-10000.html');
  writeFileSync(file, html);
  const local = await endToEnd(jobs, 0);
  const slow = await endToEnd(jobs, LATENCY_MS);
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless=new'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1300, height: 900 });
  t = process.hrtime.bigint();
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  const openMs = ms(t);
  const paint = await page.evaluate(() => {
    const p = performance.getEntriesByName('first-contentful-paint')[0];
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return { fcp: p?.startTime, load: nav.loadEventEnd };
  });
  await browser.close();
  console.log(
    JSON.stringify({
      items: ITEMS,
      jobs: report.jobs,
      attempts: report.attempts,
      buildMs,
      renderMs,
      htmlBytes: Buffer.byteLength(html),
      jsonBytes: Buffer.byteLength(json),
      endToEndMs: local.wallMs,
      calls: local.calls,
      latencyMs: LATENCY_MS,
      endToEndAtLatencyMs: slow.wallMs,
      chromiumOpenMs: openMs,
      chromiumFirstPaintMs: paint.fcp,
      chromiumLoadEventMs: paint.load,
    }),
  );
}

void main();
