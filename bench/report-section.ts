// The "run report" section of docs/benchmarks.md, from the JSON lines bench/report.ts prints (one per run).

/** What one run of bench/report.ts measured. */
export interface ReportSample {
  readonly items: number;
  readonly jobs: number;
  readonly attempts: number;
  readonly buildMs: number;
  readonly renderMs: number;
  readonly htmlBytes: number;
  readonly jsonBytes: number;
  readonly endToEndMs: number;
  readonly calls: number;
  readonly latencyMs: number;
  readonly endToEndAtLatencyMs: number;
  readonly chromiumOpenMs: number;
  readonly chromiumLoadEventMs: number;
}

function median(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
}

export function reportSection(samples: ReportSample[]): string[] {
  const s = samples[0];
  const secs = (k: keyof ReportSample) => {
    const m = median(samples.map((x) => x[k] / 1000));
    return `${m.median.toFixed(2)} (${m.min.toFixed(2)}–${m.max.toFixed(2)})`;
  };
  const msOf = (k: keyof ReportSample) => {
    const m = median(samples.map((x) => x[k]));
    return `${Math.round(m.median)} (${Math.round(m.min)}–${Math.round(m.max)})`;
  };
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const kib = (b: number) => `${Math.round(b / 1024)} KiB`;
  return [
    `## \`batch-pipelines report\` of ${s.items.toLocaleString('en-US')} samples`,
    '',
    `A run of ${s.items.toLocaleString('en-US')} samples through the example's steps (align, then callVariants and qc, then ` +
      `the cohort step) at the seeded fault-injection rates: ${s.jobs.toLocaleString('en-US')} jobs, ` +
      `${s.attempts.toLocaleString('en-US')} attempts (test/report/large-run.ts). \`report --execution-arn\` through the ` +
      'client with Batch and Step Functions answered by aws-sdk-client-mock (`bench/report.ts`); medians of ' +
      `${samples.length} runs (min–max).`,
    '',
    '| what | time |',
    '|---|---|',
    `| \`report\` end to end, AWS answering at once (${s.calls} calls) | ${secs('endToEndMs')} s |`,
    `| \`report\` end to end, each AWS call taking ${s.latencyMs} ms | ${secs('endToEndAtLatencyMs')} s |`,
    `| building the report from the jobs (no AWS) | ${secs('buildMs')} s |`,
    `| writing the page from the report | ${secs('renderMs')} s |`,
    `| Chromium opening the page (\`goto\` until \`load\`) | ${msOf('chromiumOpenMs')} ms |`,
    '',
    `The page is ${kib(s.htmlBytes)} (lanes per step and the 20 slowest samples in detail, every failure); the ` +
      `\`--json\` data ${mib(s.jsonBytes)} (every attempt of every sample's steps). With latency, the time is the ` +
      "calls: ListJobs returns at most 100 jobs a page with a name filter, each page asked with the previous one's " +
      'token, so the report lists ten slices of each fan-out step (`<run>-<step>-0*` … `-9*`) and describes 100 jobs ' +
      'a call, 8 calls in flight.',
    '',
  ];
}
