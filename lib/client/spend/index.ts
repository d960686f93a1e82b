import type { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { PIPELINE_TAG_KEY } from '../../contract/cost-tag';
import { AwsCalls } from '../aws-calls';
import { PipelineClientError } from '../errors';
import { readCostDays, sortServices, tagStatus } from './cost-explorer';
import { explainDifferences } from './explain';
import { dayMs, periodsOf } from './periods';
import { runsInPeriod } from './runs';
import { SpendOptions, SpendReport } from './types';

/**
 * What a pipeline cost, day by day or week by week: Cost Explorer's bill for what carries its cost-allocation tag,
 * split by service, beside the list price of the jobs Batch ran in the period, with the differences it can explain.
 */
export async function spend(aws: AwsCalls, ce: CostExplorerClient, options: SpendOptions): Promise<SpendReport> {
  const { start, end } = options;
  const by = options.by ?? 'day';
  if (Number.isNaN(dayMs(start)) || Number.isNaN(dayMs(end)) || start >= end) {
    throw new PipelineClientError(
      'input',
      `the period ${start} to ${end} is not a range of days; allowed: start and end as YYYY-MM-DD, start before ` +
        `end (exclusive). Fix: e.g. { start: '2026-11-01', end: '2026-12-01' } for November`,
    );
  }
  const tag = { key: PIPELINE_TAG_KEY, value: options.pipeline };
  const { days, requests } = await readCostDays(aws, ce, tag, start, end);
  const periods = periodsOf(days, start, end, by);
  const totals = new Map<string, number>();
  for (const s of periods.flatMap((p) => p.services)) {
    totals.set(s.service, (totals.get(s.service) ?? 0) + s.usd);
  }
  const services = sortServices(totals);
  const usd = services.reduce((n, s) => n + s.usd, 0);
  const runs = options.runs === false ? undefined : await runsInPeriod(aws, tag, dayMs(start), dayMs(end));
  const notes: string[] = [
    'Cost Explorer data arrive about 24 hours after the usage, and a day stays estimated until the month is billed; ' +
      'the last day or two are incomplete.',
  ];
  if (usd === 0) {
    const status = await tagStatus(ce, tag.key);
    notes.push(emptyNote(tag, status));
  }
  if (runs && runs.queues.length === 0) {
    notes.push(
      `No Batch job queue in this Region carries ${tag.key}=${tag.value}: no runs were priced. Fix: name the ` +
        'pipeline as its stack tags it (the stack name unless PipelineTag.set gave another), in its Region (--region)',
    );
  }
  return {
    tag,
    start,
    end,
    by,
    periods,
    services,
    usd,
    requests,
    runs,
    // Runs of no tagged queue are not a price to compare with: the note says so.
    differences: explainDifferences(services, runs && runs.queues.length > 0 ? runs : undefined),
    notes,
  };
}

/** Why nothing came back, from the tag's status when it could be read. */
function emptyNote(tag: { key: string; value: string }, status: { status?: string; error?: string }): string {
  const activate =
    'activate it in the Billing console (Cost allocation tags) or with batch-pipelines spend --activate-tag ' +
    '(ce:UpdateCostAllocationTagsStatus, from the management account); it counts for usage from then on, seen ' +
    'about a day later';
  const head = `Cost Explorer returned no cost for ${tag.key}=${tag.value}.`;
  if (status.status === 'Active') {
    return `${head} The tag is active: nothing carrying this value was billed in the period (check the pipeline name).`;
  }
  if (status.status === 'Inactive') {
    return `${head} The tag is not activated as a cost allocation tag. Fix: ${activate}.`;
  }
  if (status.error) {
    return `${head} Its status could not be read (${status.error}). A tag not activated as a cost allocation tag returns nothing. Fix: ${activate}.`;
  }
  return (
    `${head} The tag is not yet among the account's cost allocation tags: it appears after a tagged resource has ` +
    `been billed (up to 24 hours after deploy), and then must be activated. Fix: ${activate}.`
  );
}
