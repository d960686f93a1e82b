import type {
  CostExplorerClient,
  GetCostAndUsageCommandInput,
  GetCostAndUsageCommandOutput,
} from '@aws-sdk/client-cost-explorer';
import { AwsCalls } from '../aws-calls';
import { ServiceCost } from './types';

/**
 * Cost Explorer, read for one pipeline: GetCostAndUsage filtered by its cost-allocation tag and grouped by service.
 * https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_GetCostAndUsage.html
 */

/**
 * The Cost Explorer SDK, loaded on first use: only `spend` reads it.
 */
export function loadCostExplorerSdk() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/client-cost-explorer') as typeof import('@aws-sdk/client-cost-explorer');
}

/**
 * Cost Explorer's API has one endpoint, in us-east-1, whatever the Region of the resources it reports on:
 * https://docs.aws.amazon.com/cost-management/latest/userguide/ce-api.html
 */
export const COST_EXPLORER_REGION = 'us-east-1';

/** The metric read: what each usage line cost at the rate charged, before credits and refunds. */
export const SPEND_METRIC = 'UnblendedCost';

/** One day of Cost Explorer's answer. */
export interface CostDay {
  /** `YYYY-MM-DD`. */
  readonly day: string;
  readonly services: ServiceCost[];
  readonly estimated: boolean;
}

/**
 * The request: DAILY (weeks are summed from days: Cost Explorer has no weekly granularity), the pipeline's tag
 * (`Tags: { Key, Values, MatchOptions: ['EQUALS'] }`), grouped by the SERVICE dimension.
 * https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_TagValues.html
 */
export function costQuery(
  tag: { key: string; value: string },
  start: string,
  end: string,
  nextPageToken?: string,
): GetCostAndUsageCommandInput {
  return {
    TimePeriod: { Start: start, End: end },
    Granularity: 'DAILY',
    Metrics: [SPEND_METRIC],
    Filter: { Tags: { Key: tag.key, Values: [tag.value], MatchOptions: ['EQUALS'] } },
    GroupBy: [{ Type: 'DIMENSION', Key: 'SERVICE' }],
    NextPageToken: nextPageToken,
  };
}

/**
 * Every day of the range, each page read in turn (`NextPageToken`; each page is a billed request). Days Cost Explorer
 * does not list are days without cost.
 */
export async function readCostDays(
  aws: AwsCalls,
  ce: CostExplorerClient,
  tag: { key: string; value: string },
  start: string,
  end: string,
): Promise<{ days: CostDay[]; requests: number }> {
  const sdk = loadCostExplorerSdk();
  const byDay = new Map<string, { services: Map<string, number>; estimated: boolean }>();
  let token: string | undefined;
  let requests = 0;
  do {
    const input = costQuery(tag, start, end, token);
    const page: GetCostAndUsageCommandOutput = await aws.call(() => ce.send(new sdk.GetCostAndUsageCommand(input)));
    requests++;
    for (const result of page.ResultsByTime ?? []) {
      const day = result.TimePeriod?.Start;
      if (!day) {
        continue;
      }
      const entry = byDay.get(day) ?? { services: new Map<string, number>(), estimated: false };
      entry.estimated ||= result.Estimated === true;
      for (const group of result.Groups ?? []) {
        const service = group.Keys?.[0] ?? 'unknown service';
        const usd = Number(group.Metrics?.[SPEND_METRIC]?.Amount ?? 0);
        entry.services.set(service, (entry.services.get(service) ?? 0) + (Number.isFinite(usd) ? usd : 0));
      }
      byDay.set(day, entry);
    }
    token = page.NextPageToken;
  } while (token);
  const days = [...byDay.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, e]) => ({ day, estimated: e.estimated, services: sortServices(e.services) }));
  return { days, requests };
}

/** Services by cost, most expensive first (ties by name). */
export function sortServices(services: Map<string, number>): ServiceCost[] {
  return [...services.entries()]
    .map(([service, usd]) => ({ service, usd }))
    .sort((a, b) => b.usd - a.usd || a.service.localeCompare(b.service));
}

/**
 * The tag's status as a cost allocation tag (`Active`, `Inactive`), or why it could not be read; undefined when the
 * tag is not in the list at all (no tagged resource has been billed yet).
 * https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_ListCostAllocationTags.html
 */
export async function tagStatus(ce: CostExplorerClient, key: string): Promise<{ status?: string; error?: string }> {
  const sdk = loadCostExplorerSdk();
  try {
    // One attempt, not retried: it only says why a bill is empty, and an endpoint that does not serve it (a local
    // test server) answers with a page the SDK cannot parse, which `aws.call` would retry as a server fault.
    const out = await ce.send(new sdk.ListCostAllocationTagsCommand({ TagKeys: [key] }));
    return { status: out.CostAllocationTags?.find((t) => t.TagKey === key)?.Status };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message.split('\n')[0]}` };
  }
}

/**
 * Activates the tag as a cost allocation tag (UpdateCostAllocationTagsStatus; management account, permission
 * `ce:UpdateCostAllocationTagsStatus`). It applies to usage from then on, visible about a day later.
 * https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_UpdateCostAllocationTagsStatus.html
 */
export async function activateTag(aws: AwsCalls, ce: CostExplorerClient, key: string): Promise<string[]> {
  const sdk = loadCostExplorerSdk();
  const out = await aws.call(() =>
    ce.send(
      new sdk.UpdateCostAllocationTagsStatusCommand({ CostAllocationTagsStatus: [{ TagKey: key, Status: 'Active' }] }),
    ),
  );
  return (out.Errors ?? []).map((e) => `${e.TagKey}: ${e.Code} ${e.Message}`);
}
