import { count, duration, esc, hours, num, percent, usd, utc } from './format';
import { CSS, SEGMENT_COLOURS } from './styles';
import { timelineSvg } from './timeline';
import type { RunReport } from '../client/report/types';

/**
 * The run report as one self-contained HTML page: styles inline, the timeline inline SVG, no script, nothing loaded
 * from anywhere (no CDN, no web fonts). Every string from AWS is escaped. Pure: a `RunReport` in, the page out.
 * @jsii ignore
 */
export function renderReportHtml(report: RunReport): string {
  const r = report.run;
  const title = `${r.kind === 'execution' ? 'Workflow run' : 'Run'} ${r.name}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)} - batch-pipelines report</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(title)} <span class="muted">${esc(r.status)}</span></h1>
<div class="sub">${esc(r.executionArn ?? `queue ${r.queue ?? ''}`)} · ${esc(utc(r.start))} to ${esc(utc(r.end))} ·
report made ${esc(utc(r.generatedAt))}</div>
</header>
<main>
${overview(report)}
<section id="timeline"><h2>Timeline</h2>
${legend()}
<div class="timeline">${timelineSvg(report)}</div>
</section>
${stepsTable(report)}
${timeSection(report)}
${failuresSection(report)}
${estimateSection(report)}
${notesSection(report)}
</main>
</body>
</html>
`;
}

function tile(label: string, value: string): string {
  return `<div class="tile"><div class="k">${esc(label)}</div><div class="v">${value}</div></div>`;
}

function overview(report: RunReport): string {
  const c = report.cost;
  const failed = report.failures.length;
  return `<section id="overview"><div class="tiles">
${tile('wall time', num('time.wallMs', duration(report.time.wallMs)))}
${tile('items', num('items', count(report.items)))}
${tile('jobs / attempts', `${num('jobs', count(report.jobs))} / ${num('attempts', count(report.attempts))}`)}
${tile('job-hours', num('cost.jobHours', hours(c.jobHours)))}
${tile('On-Demand price', num('cost.onDemandUsd', usd(c.onDemandUsd)))}
${c.spotUsd === undefined ? '' : tile('at the Spot discount', num('cost.spotUsd', usd(c.spotUsd)))}
${tile('failed item steps', `<span class="${failed ? 'bad' : ''}">${num('failures.length', count(failed))}</span>`)}
</div>
<p class="muted">Priced as <code>batch-pipelines watch</code> prices a run: every attempt's hours × the hourly rate of
the job's size on its queue's cheapest fitting instance type (${esc(c.basis.join('; ') || 'no size known')}).
${c.unpricedJobHours > 0 ? `${num('cost.unpricedJobHours', hours(c.unpricedJobHours))} job-hours could not be priced.` : ''}</p>
</section>`;
}

function legend(): string {
  return `<div class="legend">${Object.entries(SEGMENT_COLOURS)
    .map(([, c]) => `<span><i style="background:${c.fill}"></i>${esc(c.label)}</span>`)
    .join('')}</div>`;
}

function stepsTable(report: RunReport): string {
  const rows = report.steps
    .map((s, n) => {
      const p = `steps.${n}`;
      return `<tr data-step="${esc(s.step)}"><td>${esc(s.step)}</td>
<td class="r">${num(`${p}.items`, count(s.items))}</td><td class="r">${num(`${p}.succeeded`, count(s.succeeded))}</td>
<td class="r">${num(`${p}.failed`, count(s.failed))}</td><td class="r">${num(`${p}.cached`, count(s.cached))}</td>
<td class="r">${num(`${p}.queued.median`, duration(s.queued.median))}</td><td class="r">${num(`${p}.queued.p95`, duration(s.queued.p95))}</td>
<td class="r">${num(`${p}.run.median`, duration(s.run.median))}</td><td class="r">${num(`${p}.run.p95`, duration(s.run.p95))}</td>
<td class="r">${num(`${p}.jobHours`, hours(s.jobHours))}</td><td class="r">${num(`${p}.onDemandUsd`, usd(s.onDemandUsd))}</td>
<td class="r">${s.spotUsd === undefined ? '–' : num(`${p}.spotUsd`, usd(s.spotUsd))}</td>
<td class="r">${num(`${p}.spotInterruptions`, count(s.spotInterruptions))}</td>
<td class="r">${num(`${p}.onDemandFallbacks`, count(s.onDemandFallbacks))}</td>
<td class="r">${num(`${p}.memoryEscalations`, count(s.memoryEscalations))}</td></tr>`;
    })
    .join('\n');
  return `<section id="steps"><h2>Per step</h2><table>
<thead><tr><th>step</th><th class="r">items</th><th class="r">succeeded</th><th class="r">failed</th><th class="r">cached</th>
<th class="r">queued median</th><th class="r">queued p95</th><th class="r">run median</th><th class="r">run p95</th>
<th class="r">job-hours</th><th class="r">On-Demand</th><th class="r">Spot</th><th class="r">Spot interruptions</th>
<th class="r">On-Demand fallbacks</th><th class="r">memory escalations</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="muted">Queued: from a job's submission (or its previous try's end) to its container's start, every try of an
item's step. Run: container start to stop, every try.</p></section>`;
}

function timeSection(report: RunReport): string {
  const t = report.time;
  const share = (ms: number, colour: string, label: string) =>
    ms > 0
      ? `<div style="width:${((ms / Math.max(1, t.wallMs)) * 100).toFixed(3)}%;background:${colour}" title="${esc(label)}"></div>`
      : '';
  const path = report.criticalPath
    .map(
      (l, n) => `<tr><td>${esc(l.item)}</td><td>${esc(l.step)}</td><td>${esc(utc(l.start))}</td>
<td class="r">${num(`criticalPath.${n}.queuedMs`, duration(l.queuedMs))}</td><td class="r">${num(`criticalPath.${n}.runMs`, duration(l.runMs))}</td></tr>`,
    )
    .join('\n');
  const slow = report.slowest
    .map(
      (s, n) => `<tr><td>${esc(s.item)}</td><td class="r">${num(`slowest.${n}.spanMs`, duration(s.spanMs))}</td>
<td class="r">${num(`slowest.${n}.queuedMs`, duration(s.queuedMs))}</td><td class="r">${num(`slowest.${n}.runMs`, duration(s.runMs))}</td>
<td class="r">${num(`slowest.${n}.attempts`, count(s.attempts))}</td></tr>`,
    )
    .join('\n');
  return `<section id="time"><h2>Where the time went</h2>
<div class="share">${share(t.runningMs, SEGMENT_COLOURS.succeeded.fill, 'running')}${share(t.waitingMs, SEGMENT_COLOURS.queued.fill, 'waiting')}${share(t.idleMs, '#eef0f3', 'idle')}</div>
<p>Of ${num('time.wallMs', duration(t.wallMs))} of wall time, jobs ran during ${num('time.runningMs', duration(t.runningMs))}
(${esc(percent(t.runningMs, t.wallMs))}); jobs waited for capacity with none running during
${num('time.waitingMs', duration(t.waitingMs))} (${esc(percent(t.waitingMs, t.wallMs))}); nothing was queued or running during
${num('time.idleMs', duration(t.idleMs))} (${esc(percent(t.idleMs, t.wallMs))}: the workflow between steps).
Over all attempts: ${num('time.queuedJobHours', hours(t.queuedJobHours))} job-hours waiting, ${num('time.runJobHours', hours(t.runJobHours))} running.</p>
<h3>Critical path</h3>
<table><thead><tr><th>item</th><th>step</th><th>submitted</th><th class="r">waited</th><th class="r">ran</th></tr></thead>
<tbody>${path}</tbody></table>
<h3>Slowest items</h3>
<table><thead><tr><th>item</th><th class="r">first submission to last end</th><th class="r">waited</th><th class="r">ran</th>
<th class="r">attempts</th></tr></thead><tbody>${slow}</tbody></table></section>`;
}

function failuresSection(report: RunReport): string {
  if (report.failures.length === 0) {
    return `<section id="failures"><h2>Failures</h2><p>No step of any item failed.</p></section>`;
  }
  const items = report.failures
    .map(
      (
        f,
      ) => `<div class="failure" data-job="${esc(f.jobId)}"><div><b>item ${esc(f.item)}${f.itemId === undefined ? '' : ` (${esc(f.itemId)})`}</b>, step <b>${esc(f.step)}</b>,
job <code>${esc(f.jobId)}</code>${f.exitCode === undefined ? '' : `, exit code <b>${esc(f.exitCode)}</b>`}</div>
<div class="reason">${esc(f.reason)}</div>
${f.logLines.length ? `<pre>${esc(f.logLines.join('\n'))}</pre>` : `<div class="muted">log: ${esc(f.logMissing ?? 'empty')}</div>`}
<div class="muted">${f.logGroupName ? `${esc(f.logGroupName)} ` : ''}${esc(f.logStreamName ?? '')} · the whole log: <code>${esc(f.logsCommand)}</code></div></div>`,
    )
    .join('\n');
  return `<section id="failures"><h2>Failures (${num('failures.length', count(report.failures.length))})</h2>
${report.rerun ? `<p>Rerun what failed: <code>${esc(report.rerun)}</code></p>` : ''}
${items}</section>`;
}

function estimateSection(report: RunReport): string {
  const rows = report.estimate
    .map((e, n) => {
      const p = `estimate.${n}`;
      return `<tr><td>${esc(e.step)}</td><td class="r">${num(`${p}.items`, count(e.items))}</td>
<td class="r">${num(`${p}.hoursPerItem`, hours(e.hoursPerItem))}</td>
<td class="r">${num(`${p}.estimatedJobHours`, hours(e.estimatedJobHours))}</td><td class="r">${num(`${p}.actualJobHours`, hours(e.actualJobHours))}</td>
<td class="r">${e.estimatedUsd === undefined ? '–' : num(`${p}.estimatedUsd`, usd(e.estimatedUsd))}</td>
<td class="r">${e.actualUsd === undefined ? '–' : num(`${p}.actualUsd`, usd(e.actualUsd))}</td>
<td class="r">${num(`${p}.estimatedMakespanHours`, hours(e.estimatedMakespanHours))}</td>
<td class="r">${num(`${p}.actualSpanHours`, hours(e.actualSpanHours))}</td><td>${esc(e.note ?? '')}</td></tr>`;
    })
    .join('\n');
  return `<section id="estimate"><h2>Estimate beside actual</h2>
<p class="muted">What the cost model (<code>batch-pipelines estimate</code>, <code>estimateCost</code>) predicts for each
step's items, told the step's job size, its median run time of a succeeded attempt, its queues' instance types and the
concurrency it reached: job-hours with the model's Spot re-run overhead, price and makespan, beside what the run used.</p>
<table><thead><tr><th>step</th><th class="r">items</th><th class="r">hours per item</th><th class="r">estimated job-hours</th>
<th class="r">actual job-hours</th><th class="r">estimated</th><th class="r">actual</th><th class="r">estimated makespan (h)</th>
<th class="r">actual span (h)</th><th>note</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function notesSection(report: RunReport): string {
  return report.notes.length === 0
    ? ''
    : `<section id="notes"><h2>Not read</h2><ul>${report.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`;
}
