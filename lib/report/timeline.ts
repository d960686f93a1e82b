import { duration, esc, utc } from './format';
import { SEGMENT_COLOURS, SegmentKind } from './styles';
import type { ReportAttempt, ReportItemStep, RunReport } from '../client/report/types';

/**
 * The run's timeline as inline SVG (no chart library, nothing loaded): one bar per item × step over wall-clock time,
 * each attempt a waiting segment then a running one coloured by how it ended. Past `DETAIL_ROWS` rows, one lane per
 * step shows how many items ran and waited over time, and the slowest items are drawn in detail below it.
 */

/** Item × step rows drawn one by one; more than this and the timeline aggregates. */
export const DETAIL_ROWS = 120;
/** Columns of an aggregate lane. */
const BINS = 300;
const LABEL = 170;
const PLOT = 1000;
const ROW = 12;
const LANE = 56;
const AXIS = 22;

/** The kind of an attempt's running segment. */
export function runKind(a: ReportAttempt): SegmentKind {
  switch (a.end) {
    case 'succeeded':
      return a.onDemandFallback ? 'on-demand' : 'succeeded';
    case 'running':
      return a.onDemandFallback ? 'on-demand' : 'running';
    case 'queued':
      return 'queued';
    default:
      return a.end;
  }
}

/** The SVG of the report's timeline: every row when there are few, else lanes per step and the slowest items. */
export function timelineSvg(report: RunReport, slowest = 20): string {
  const rows = report.itemSteps;
  if (rows.length <= DETAIL_ROWS) {
    return detailSvg(report, rows, 'timeline-detail');
  }
  const keep = new Set(report.slowest.slice(0, slowest).map((s) => s.item));
  const detail = rows.filter((r) => keep.has(r.item));
  return `${lanesSvg(report)}
<h3>The ${keep.size} slowest items, attempt by attempt</h3>
${detailSvg(report, detail, 'timeline-slowest')}`;
}

/** x of a time on the plot. */
function scale(report: RunReport): (t: number) => number {
  const { start, end } = report.run;
  const span = Math.max(1, end - start);
  return (t: number) => LABEL + ((Math.min(Math.max(t, start), end) - start) / span) * PLOT;
}

/** The time axis: five ticks, elapsed since the start. */
function axis(report: RunReport, y: number): string {
  const x = scale(report);
  const { start, end } = report.run;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => start + f * (end - start));
  return ticks
    .map(
      (t, n) =>
        `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${y}" y2="${y + 4}" stroke="#5b6472"/>` +
        `<text x="${x(t).toFixed(1)}" y="${y + 15}" font-size="10" text-anchor="${n === 0 ? 'start' : n === 4 ? 'end' : 'middle'}" fill="#5b6472">+${esc(duration(t - start))}</text>`,
    )
    .join('');
}

function rect(x0: number, x1: number, y: number, h: number, kind: SegmentKind, title: string): string {
  const w = Math.max(1, x1 - x0);
  return (
    `<rect class="seg seg-${kind}" data-kind="${kind}" x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" ` +
    `height="${h}" fill="${SEGMENT_COLOURS[kind].fill}"><title>${esc(title)}</title></rect>`
  );
}

/** Rows of one item together, items in the order they began (steps of the run as a whole where they began). */
function grouped(rows: ReportItemStep[]): ReportItemStep[] {
  const first = new Map<string, number>();
  for (const r of rows) {
    first.set(r.item, Math.min(first.get(r.item) ?? Infinity, r.start));
  }
  return [...rows].sort(
    (a, b) => first.get(a.item)! - first.get(b.item)! || a.item.localeCompare(b.item) || a.start - b.start,
  );
}

/** One row per item × step, each attempt a waiting then a running segment. */
function detailSvg(report: RunReport, unordered: ReportItemStep[], id: string): string {
  const rows = grouped(unordered);
  const x = scale(report);
  const height = rows.length * ROW + AXIS;
  const body = rows
    .map((r, n) => {
      const y = n * ROW + 1;
      const label = `${r.item === '(run)' ? '' : `#${r.item} `}${r.step}`;
      const segments = r.attempts
        .map((a, i) => {
          const what = `${label}, attempt ${i + 1} on ${a.queue}${a.memoryMiB ? ` (${a.memoryMiB} MiB)` : ''}`;
          const began = a.startedAt ?? a.endedAt;
          const wait = rect(
            x(a.queuedAt),
            x(began),
            y + 3,
            ROW - 6,
            'queued',
            `${what}: waited ${duration(began - a.queuedAt)}`,
          );
          const run =
            a.startedAt === undefined
              ? ''
              : rect(
                  x(a.startedAt),
                  x(a.endedAt),
                  y,
                  ROW - 2,
                  runKind(a),
                  `${what}: ran ${duration(a.endedAt - a.startedAt)} from ${utc(a.startedAt)}, ${a.end}` +
                    (a.reason ? ` (${a.reason})` : ''),
                );
          return wait + run;
        })
        .join('');
      return (
        `<g class="row" data-item="${esc(r.item)}" data-step="${esc(r.step)}">` +
        `<text x="${LABEL - 6}" y="${y + ROW - 3}" font-size="10" text-anchor="end" fill="#1d2430">${esc(label)}</text>` +
        `${segments}</g>`
      );
    })
    .join('\n');
  return (
    `<svg id="${id}" xmlns="http://www.w3.org/2000/svg" width="${LABEL + PLOT + 10}" height="${height}" ` +
    `viewBox="0 0 ${LABEL + PLOT + 10} ${height}" role="img" aria-label="timeline">\n${body}\n` +
    `${axis(report, rows.length * ROW + 2)}</svg>`
  );
}

/**
 * One lane per step: over `BINS` columns of wall time, how many of its attempts ran (bottom, green) and waited
 * (above, grey) on average in each, scaled to the step's busiest column.
 */
function lanesSvg(report: RunReport): string {
  const { start, end } = report.run;
  const span = Math.max(1, end - start);
  const width = span / BINS;
  const steps = [...new Set(report.itemSteps.map((s) => s.step))];
  const lanes = steps.map((step) => {
    const running = new Float64Array(BINS);
    const queued = new Float64Array(BINS);
    const add = (into: Float64Array, from: number, to: number) => {
      const a = Math.max(from, start);
      const b = Math.min(to, end);
      for (let bin = Math.floor((a - start) / width); bin < BINS && start + bin * width < b; bin++) {
        const lo = Math.max(a, start + bin * width);
        const hi = Math.min(b, start + (bin + 1) * width);
        if (hi > lo) {
          into[bin] += (hi - lo) / width;
        }
      }
    };
    for (const r of report.itemSteps) {
      if (r.step !== step) {
        continue;
      }
      for (const a of r.attempts) {
        add(queued, a.queuedAt, a.startedAt ?? a.endedAt);
        if (a.startedAt !== undefined) {
          add(running, a.startedAt, a.endedAt);
        }
      }
    }
    return { step, running, queued };
  });
  const x = (bin: number) => LABEL + (bin / BINS) * PLOT;
  const body = lanes
    .map((lane, n) => {
      const top = n * (LANE + 8);
      const peak = Math.max(1, ...lane.running.map((v, i) => v + lane.queued[i]));
      const peakRunning = Math.max(...lane.running);
      const bars: string[] = [];
      for (let bin = 0; bin < BINS; bin++) {
        const r = (lane.running[bin] / peak) * LANE;
        const q = (lane.queued[bin] / peak) * LANE;
        const w = (PLOT / BINS + 0.4).toFixed(2);
        if (r > 0) {
          bars.push(
            `<rect class="seg seg-running" data-kind="running" x="${x(bin).toFixed(1)}" y="${(top + LANE - r).toFixed(1)}" width="${w}" height="${r.toFixed(1)}" fill="${SEGMENT_COLOURS.running.fill}"/>`,
          );
        }
        if (q > 0) {
          bars.push(
            `<rect class="seg seg-queued" data-kind="queued" x="${x(bin).toFixed(1)}" y="${(top + LANE - r - q).toFixed(1)}" width="${w}" height="${q.toFixed(1)}" fill="${SEGMENT_COLOURS.queued.fill}"/>`,
          );
        }
      }
      return (
        `<g class="lane" data-step="${esc(lane.step)}"><title>${esc(lane.step)}: up to ${Math.round(peakRunning)} running at once</title>` +
        `<text x="${LABEL - 6}" y="${top + LANE / 2}" font-size="11" text-anchor="end" fill="#1d2430">${esc(lane.step)}</text>` +
        `<text x="${LABEL - 6}" y="${top + LANE / 2 + 12}" font-size="9" text-anchor="end" fill="#5b6472">peak ${Math.round(peak)}</text>` +
        `<line x1="${LABEL}" x2="${LABEL + PLOT}" y1="${top + LANE}" y2="${top + LANE}" stroke="#dde1e7"/>` +
        `${bars.join('')}</g>`
      );
    })
    .join('\n');
  const height = lanes.length * (LANE + 8) + AXIS;
  return (
    `<svg id="timeline-lanes" xmlns="http://www.w3.org/2000/svg" width="${LABEL + PLOT + 10}" height="${height}" ` +
    `viewBox="0 0 ${LABEL + PLOT + 10} ${height}" role="img" aria-label="items running and waiting per step">\n` +
    `${body}\n${axis(report, lanes.length * (LANE + 8))}</svg>`
  );
}
