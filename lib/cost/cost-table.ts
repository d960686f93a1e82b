import { formatCents, formatCount, formatGiB, formatHours, formatUsd } from './cost-format';
import { HOURS_PER_MONTH, MakespanLimit } from './cost-types';
import type { CostEstimate } from './cost-types';

// Built on use: cost-model imports this file, so its values are not there yet while this one loads.
function limitText(limit: MakespanLimit): string {
  return {
    [MakespanLimit.ITEMS]: 'one wave: fewer items than jobs at once',
    [MakespanLimit.WORKFLOW_CONCURRENCY]: "limited by the workflow's concurrency",
    [MakespanLimit.MAX_VCPUS]: "limited by the compute environment's maxvCpus",
  }[limit];
}

/** Lines of `label  value` pairs, the labels padded to one width. */
function columns(rows: string[][], align: Array<'left' | 'right'>): string[] {
  const widths = align.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (align[i] === 'left' ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The estimate as plain text: placement, throughput, the options, the burst, warnings, fixed costs, exclusions.
 * Without `notes`, the warnings and the line of what is left out are omitted.
 */
export function renderCostTable(e: CostEstimate, notes = true): string {
  const p = e.placement;
  const t = e.throughput;
  const m = e.makespan;
  const out: string[] = [];
  out.push(
    p
      ? `Job lands on ${p.instanceType}: ${p.jobsPerInstance} per instance, ${Math.round(p.packingEfficiency * 100)}% packed`
      : 'Job fits no EC2 instance type given; Fargate only',
  );
  if (e.fargateSize) {
    const f = e.fargateSize;
    const size = `${f.vcpus} vCPU / ${formatGiB(f.memoryMiB)} GiB`;
    const asked = `${e.job.vcpus} vCPU / ${formatGiB(e.job.memoryMiB)} GiB`;
    out.push(
      f.vcpus === e.job.vcpus && f.memoryMiB === e.job.memoryMiB
        ? `On Fargate: ${size}`
        : `On Fargate: ${size} (asked ${asked}, rounded up to a valid Fargate size)`,
    );
  }
  const jobHours = (v: number) => Math.round(v).toLocaleString('en-US');
  const limit = t.limitedBy === MakespanLimit.MAX_VCPUS ? ', the most maxvCpus allows' : '';
  out.push(
    t.backlog
      ? `${jobHours(t.demandJobHoursPerMonth)} job-hours a month asked, ${jobHours(t.runJobHoursPerMonth)} can run ` +
          `(${t.concurrency} at once × ${HOURS_PER_MONTH} h${limit}); ${e.averageConcurrentJobs.toFixed(1)} jobs ` +
          'running on average'
      : `${jobHours(t.demandJobHoursPerMonth)} job-hours a month, ${e.averageConcurrentJobs.toFixed(1)} jobs running ` +
          `on average (up to ${t.concurrency} at once${limit})`,
  );
  const rows = [...e.lines, e.floor].map((l) => [l.option, formatUsd(l.monthlyUsd), `$${l.perItemUsd.toFixed(2)}`]);
  out.push(...columns([['option', 'per month', 'per item'], ...rows], ['left', 'right', 'right']));
  if (t.backlog) {
    out.push(`(per item: of the ${formatCount(t.itemsRunPerMonth)} items a month that run)`);
  }
  const every = m.intervalHours !== undefined ? ` every ${formatHours(m.intervalHours)}` : '';
  out.push(
    m.burstSize > 0
      ? `Burst of ${formatCount(m.burstSize)}${every}: ${m.waves} wave(s) of ${m.concurrency} → ${formatHours(m.hours)} ` +
          `(${limitText(m.limitedBy)})`
      : 'No burst: no items arrive',
  );
  for (const w of notes ? e.warnings : []) {
    out.push(`WARNING: ${w}`);
  }
  if (e.fixedCosts) {
    out.push('Beyond compute (us-east-1 list prices, before the free tier; not in the figures above):');
    const fixedRows = e.fixedCosts.lines.map((l) => [`  ${l.item}`, l.basis, formatCents(l.monthlyUsd)]);
    fixedRows.push(['  total', 'a month', formatCents(e.fixedCosts.monthlyUsd)]);
    out.push(...columns(fixedRows, ['left', 'left', 'right']));
  }
  if (notes) {
    out.push(
      `Covers compute${e.fixedCosts ? ' and the items above' : ' only'}; not included: ${e.notIncluded.join(', ')}.`,
    );
  }
  return out.join('\n');
}
