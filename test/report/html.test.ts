import { buildRunReport } from '../../lib/client/report/build';
import { RunReport } from '../../lib/client/report/types';
import { esc } from '../../lib/report/format';
import { renderReportHtml } from '../../lib/report/html';
import { DETAIL_ROWS } from '../../lib/report/timeline';
import { jobDetail, MIN, placed, QUEUES, smallWeek, T0 } from '../client/report/jobs';

const SCRIPT = '<script>alert("x")</script>';

function report(jobs = smallWeek()): RunReport {
  return buildRunReport({
    run: {
      kind: 'execution',
      name: 'week-48',
      executionArn: 'arn:aws:states:us-east-1:1:execution:G:week-48',
      status: 'FAILED',
    },
    jobs,
    queues: QUEUES,
    now: T0 + 300 * MIN,
    rerun: 'batch-pipelines rerun --execution-arn arn:aws:states:us-east-1:1:execution:G:week-48',
  });
}

describe('the report page', () => {
  test('escapes what AWS sent: a reason, a log line, a job name and a step holding <script>', () => {
    // GIVEN a failure whose reason and log carry markup
    const r = report();
    const hostile: RunReport = {
      ...r,
      failures: [{ ...r.failures[0], reason: SCRIPT, logLines: [SCRIPT, 'done'], jobId: `j${SCRIPT}` }],
      itemSteps: r.itemSteps.map((s) => ({ ...s, step: `${s.step}${SCRIPT}` })),
      notes: [SCRIPT],
    };
    // WHEN
    const html = renderReportHtml(hostile);
    // THEN no script element, and the text is there, escaped
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(esc(SCRIPT));
    expect(esc(SCRIPT)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  test('loads nothing: no src or href, and a policy that forbids any load', () => {
    const html = renderReportHtml(report());
    expect(html).not.toMatch(/\s(src|href)=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  test('the failures name the reason, the exit code, the logs command and the rerun command', () => {
    const html = renderReportHtml(report());
    expect(html).toContain('Essential container in task exited');
    expect(html).toContain('exit code <b>2</b>');
    expect(html).toContain('<code>batch-pipelines logs --job-id c2</code>');
    expect(html).toContain(
      'Rerun what failed: <code>batch-pipelines rerun --execution-arn arn:aws:states:us-east-1:1:execution:G:week-48</code>',
    );
  });

  test('a few items: a row per item × step, each attempt coloured by how it ended', () => {
    const html = renderReportHtml(report());
    expect(html).toContain('<svg id="timeline-detail"');
    expect(html.match(/<g class="row"/g)).toHaveLength(report().itemSteps.length);
    for (const kind of ['spot-interruption', 'out-of-memory', 'on-demand', 'failed', 'succeeded', 'queued']) {
      expect(html).toContain(`data-kind="${kind}"`);
    }
  });

  test(`more than ${DETAIL_ROWS} item steps: lanes per step and the slowest items in detail`, () => {
    const many = Array.from({ length: DETAIL_ROWS + 1 }, (_, i) =>
      placed(
        jobDetail({
          id: `j${i}`,
          name: `week-48-align-${i}`,
          queue: 'SpotQueue',
          created: i,
          tries: [{ start: i + 2, stop: i + 30 + (i % 7), exitCode: 0 }],
        }),
        'align',
        String(i),
      ),
    );
    const html = renderReportHtml(report(many));
    expect(html).toContain('<svg id="timeline-lanes"');
    expect(html).toContain('<svg id="timeline-slowest"');
    expect(html.match(/<g class="row"/g)).toHaveLength(20);
  });
});

test('a run with no job (every step from the step cache) still gives a page', () => {
  const empty = buildRunReport({
    run: { kind: 'execution', name: 'week-49', status: 'SUCCEEDED', start: T0, end: T0 + 2 * MIN },
    jobs: [],
    queues: QUEUES,
    cached: { align: 3 },
    now: T0 + 10 * MIN,
  });
  const html = renderReportHtml(empty);
  expect(html).toContain('<svg id="timeline-detail"');
  expect(html).toContain('No step of any item failed.');
  expect(html).toMatch(/<tr data-step="align"><td>align<\/td>/);
});
