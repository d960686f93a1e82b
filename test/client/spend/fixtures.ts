import type { GetCostAndUsageCommandOutput } from '@aws-sdk/client-cost-explorer';

/**
 * Cost Explorer answers, in the shape of the AWS CLI reference's `aws ce get-cost-and-usage` example output
 * (GroupDefinitions, ResultsByTime[].{Estimated, TimePeriod, Total: {} when grouped, Groups[].{Keys, Metrics:
 * {UnblendedCost: {Amount, Unit}}}}): https://docs.aws.amazon.com/cli/latest/reference/ce/get-cost-and-usage.html
 * (the example in aws/aws-cli awscli/examples/ce/get-cost-and-usage.rst). Amounts are strings, as there. The service
 * names are values of Cost Explorer's SERVICE dimension ("Amazon Simple Storage Service" is the example's; the EC2
 * ones are how Cost Explorer splits EC2: instances, and "EC2 - Other" for EBS, NAT gateways and data transfer).
 */

/** One grouped day. */
export function day(
  start: string,
  end: string,
  services: Record<string, string>,
  estimated = false,
): NonNullable<GetCostAndUsageCommandOutput['ResultsByTime']>[number] {
  return {
    Estimated: estimated,
    TimePeriod: { Start: start, End: end },
    Total: {},
    Groups: Object.entries(services).map(([service, amount]) => ({
      Keys: [service],
      Metrics: { UnblendedCost: { Amount: amount, Unit: 'USD' } },
    })),
  };
}

export const GROUP_DEFINITIONS = [{ Type: 'DIMENSION' as const, Key: 'SERVICE' }];

/** Three days of the genomics pipeline: two with runs, one idle but for the NAT gateway and storage. */
export const THREE_DAYS: GetCostAndUsageCommandOutput = {
  $metadata: {},
  GroupDefinitions: GROUP_DEFINITIONS,
  ResultsByTime: [
    day('2026-11-30', '2026-12-01', {
      'Amazon Elastic Compute Cloud - Compute': '41.2034518',
      'EC2 - Other': '3.0411',
      AmazonCloudWatch: '0.8123',
      'Amazon Simple Storage Service': '1.2010055',
    }),
    day('2026-12-01', '2026-12-02', {
      'Amazon Elastic Compute Cloud - Compute': '38.99',
      'EC2 - Other': '2.9',
      'Amazon Simple Storage Service': '1.21',
    }),
    day('2026-12-02', '2026-12-03', { 'EC2 - Other': '1.08', 'Amazon Simple Storage Service': '1.22' }, true),
  ],
  DimensionValueAttributes: [],
};

/** What Cost Explorer returns for a tag value nothing carries, or a tag not activated: no days at all. */
export const EMPTY: GetCostAndUsageCommandOutput = {
  $metadata: {},
  GroupDefinitions: GROUP_DEFINITIONS,
  ResultsByTime: [],
  DimensionValueAttributes: [],
};
