import { formatCount } from './cost-format';
import { count } from '../private/plural';
import { gib, PricedSize, RightsizeAdvice, StepAdvice, UsageStats } from './rightsize';

/** The right-sizing advice as text for the terminal (`batch-pipelines rightsize`). */
export function formatRightsize(advice: RightsizeAdvice): string {
  const perWeek = Math.round((advice.itemsPerMonth * 12) / 52);
  const lines = [
    `Right-sizing from Container Insights (recommended = measured max + ${Math.round(advice.headroom * 100)}%; ` +
      `priced ${advice.priced} at ${formatCount(advice.itemsPerMonth)} items a month, ${perWeek} a week):`,
  ];
  for (const s of advice.steps) {
    lines.push('', ...formatStep(s, advice));
  }
  return lines.join('\n');
}

function formatStep(s: StepAdvice, advice: RightsizeAdvice): string[] {
  const head = `${s.step}: ${count(s.jobs, 'job')} measured${s.unmeasured > 0 ? `, ${s.unmeasured} without measurements` : ''}`;
  const out = [head];
  const r = s.requested;
  if (s.memoryMiB && s.vcpus) {
    out.push(
      `  memory  asked ${gib(r.memoryMiB)} GiB, used ${stats(s.memoryMiB, (v) => gib(v))} GiB`,
      `  vCPU    asked ${r.vcpus}, used ${stats(s.vcpus, (v) => (Math.round(v * 100) / 100).toString())}`,
    );
  }
  out.push(...s.warnings.map((w) => `  warning: ${w}`));
  if (s.noAdvice || !s.recommended) {
    out.push(`  no advice: ${s.noAdvice ?? 'the cost model could not place it'}`);
    return out;
  }
  const n = s.recommended;
  if (!s.change) {
    out.push(`  keep ${size(r)}: it is what the measured max + ${Math.round(advice.headroom * 100)}% needs`);
    return out;
  }
  out.push(`  request ${size(n)}: ${packing(n, r)}, ${saving(s.savingMonthlyUsd)}`, `  change: ${s.change}`);
  return out;
}

function stats(u: UsageStats, f: (v: number) => string): string {
  return `p50 ${f(u.p50)} / p95 ${f(u.p95)} / max ${f(u.max)}`;
}

function size(p: PricedSize): string {
  return `${p.vcpus} vCPU / ${gib(p.memoryMiB)} GiB`;
}

/** `2 jobs per r6i.xlarge instead of 1`. */
function packing(n: PricedSize, r: PricedSize): string {
  if (!n.instanceType) {
    return 'not placed by the cost model';
  }
  const now = `${count(n.jobsPerInstance ?? 0, 'job')} per ${n.instanceType}`;
  if (r.instanceType === n.instanceType) {
    return r.jobsPerInstance === n.jobsPerInstance ? `${now}, as now` : `${now} instead of ${r.jobsPerInstance}`;
  }
  return r.instanceType ? `${now} instead of ${r.jobsPerInstance} per ${r.instanceType}` : now;
}

function saving(usd: number | undefined): string {
  if (usd === undefined) {
    return 'not priced';
  }
  const abs = `$${Math.round(Math.abs(usd)).toLocaleString('en-US')}`;
  return Math.abs(usd) < 0.5 ? 'the same cost' : usd > 0 ? `${abs} a month less` : `${abs} a month more`;
}
