import { largeRunJobs } from './large-run';
import { FAULT_QUEUES, RUN_NAME } from './simulated-jobs';
import { buildRunReport } from '../../lib/client/report/build';
import { renderReportHtml } from '../../lib/report/html';

/**
 * A 10,000-sample run's report, built and drawn here; how long that takes and how large it is are measured by
 * `npm run bench` (bench/report.ts) and recorded in docs/benchmarks.md, not asserted.
 */
describe('the report of 10,000 samples', () => {
  const jobs = largeRunJobs(10_000);
  const report = buildRunReport({
    run: { kind: 'execution', name: RUN_NAME, status: 'SUCCEEDED' },
    jobs,
    queues: FAULT_QUEUES,
    now: Math.max(...jobs.map((j) => j.job.stoppedAt ?? 0)),
  });
  const html = renderReportHtml(report);

  test('every sample and step is in the data', () => {
    expect(report.items).toBe(10_000);
    // callVariants and qc start together after align: their order is that of their first job.
    expect(Object.fromEntries(report.steps.map((s) => [s.step, s.items]))).toEqual({
      align: 10_000,
      callVariants: 10_000,
      qc: 10_000,
      aggregate: 1,
    });
    expect(report.itemSteps).toHaveLength(30_001);
  });

  test('the page draws lanes per step and the 20 slowest samples, not 30,000 rows', () => {
    expect(html.match(/<g class="lane"/g)).toHaveLength(4);
    const rows = html.match(/<g class="row" data-item="(\d+)"/g) ?? [];
    expect(new Set(rows).size).toBeLessThanOrEqual(20 * 3);
    expect(new Set(rows.map((r) => /data-item="(\d+)"/.exec(r)![1]))).toEqual(
      new Set(report.slowest.map((s) => s.item)),
    );
  });

  test('the failures are listed with their commands', () => {
    expect(report.failures.length).toBeGreaterThan(100);
    expect(html.match(/<div class="failure"/g)).toHaveLength(report.failures.length);
  });
});
