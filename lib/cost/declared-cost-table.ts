import { formatCents, formatCount, formatGiB, formatHours, formatUsd } from './cost-format';
import type { DeclaredCostEstimate, StepCost } from './declared-cost-types';
import { FIXED_COST_PRICES } from './cost-types';

/*
 * A declared-work estimate (a CostReport built from a workflow or jobs) as plain text, for synth output. Internal to
 * lib/cost (not re-exported).
 */

/** Where a step's job lands: `r5.xlarge, 1 per instance` on EC2, `4 vCPU / 16 GiB` on Fargate. */
function landing(s: StepCost): string {
  const p = s.estimate.placement;
  if (p) {
    return `${p.instanceType}, ${p.jobsPerInstance} per instance`;
  }
  const f = s.estimate.fargateSize;
  return f ? `${f.vcpus} vCPU / ${formatGiB(f.memoryMiB)} GiB` : '';
}

function columns(rows: string[][], rightAligned: number[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

/** How many of an item's transitions start its child executions (Distributed Map): ` (1 to start its child …)`. */
function childStarts(n: number): string {
  return n === 0 ? '' : ` (${n} to start its child execution${n === 1 ? '' : 's'}, Distributed Map)`;
}

/** The estimate as text: a line per step on its queue's first capacity, the transitions, the total, the notes. */
export function renderDeclaredTable(e: DeclaredCostEstimate): string {
  const perItem = (usd: number) => (e.itemsPerMonth > 0 ? `$${(usd / e.itemsPerMonth).toFixed(2)}` : '-');
  const rows: string[][] = [['step', 'runs on', 'jobs a month', 'hours a job', 'per month', 'per item']];
  for (const s of e.steps) {
    const hours = `${formatHours(s.hoursPerJob)}${s.hoursFrom === 'runtimes' ? '' : ' (timeout)'}`;
    rows.push([
      s.step,
      `${s.capacity}: ${landing(s)}`,
      formatCount(s.jobsPerMonth),
      hours,
      formatUsd(s.line.monthlyUsd),
      perItem(s.line.monthlyUsd),
    ]);
  }
  const t = e.transitions;
  if (t) {
    rows.push([
      'Step Functions',
      `${formatCount(t.perMonth)} transitions`,
      '',
      '',
      formatCents(t.monthlyUsd),
      perItem(t.monthlyUsd),
    ]);
  }
  rows.push(['total', '', '', '', formatUsd(e.monthlyUsd), perItem(e.monthlyUsd)]);
  const out = columns(rows, [2, 4, 5]);
  if (t) {
    out.push(
      `Transitions: ${formatCount(t.perItem)} per item${childStarts(t.childExecutionsPerItem)} + ` +
        `${formatCount(t.perRun)} per run (every job succeeding at its first attempt; retries and escalations add ` +
        `more) × ${formatCount(t.runsPerMonth)} runs a month, ` +
        `$${(FIXED_COST_PRICES.stateTransitionUsd * 1000).toFixed(3)} per 1,000 (Standard; the free tier's 4,000 a ` +
        "month, shared by the account's state machines, is not subtracted).",
    );
  }
  const c = e.cache;
  if (c) {
    out.push(
      `Step cache (${c.steps.join(', ')}): a first run of an item adds ${formatCount(c.missTransitionsPerItem)} ` +
        `transitions to those (a lookup that finds nothing and a mark, per cached step), ${formatCents(c.missMonthlyUsd)} ` +
        `a month. If ${Math.round(c.failedShare * 100)}% of items fail at a step and are rerun: ` +
        `${formatUsd(c.rerunWithoutUsd)} a month through every step, at most ${formatUsd(c.rerunWithUsd)} resumed ` +
        'from the cache (only the failed step runs).',
    );
  }
  const fallbacks = e.steps.flatMap((s) =>
    s.fallbackLines.map((l) => `${s.step} on ${l.option} ${formatUsd(l.monthlyUsd)}`),
  );
  if (fallbacks.length > 0) {
    out.push(`If every job ran on its queue's fallback: ${fallbacks.join('; ')}.`);
  }
  if (e.steps.some((s) => s.hoursFrom !== 'runtimes')) {
    out.push("Hours marked (timeout) are the job's timeout, an upper bound: give typical ones in runtimes.");
  }
  for (const w of e.warnings) {
    out.push(`WARNING: ${w}`);
  }
  for (const n of e.notPriced) {
    out.push(`NOT PRICED: ${n}`);
  }
  out.push(
    `Covers compute${t ? ' and state transitions' : ' only'}; not included: NAT gateways or VPC endpoints, KMS keys, ` +
      'CloudWatch alarms and logs, S3 storage and requests, data transfer.',
  );
  return out.join('\n');
}
