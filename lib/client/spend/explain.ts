import { RunsInPeriod, ServiceCost, SpendDifference } from './types';

/**
 * Why the bill differs from the list price of the runs, service by service, as far as the report can tell. The
 * SERVICE names are Cost Explorer's (its SERVICE dimension, GetDimensionValues):
 * https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_GetDimensionValues.html
 */

/** EC2 instances (what Batch's EC2 compute environments launch). */
export const EC2_COMPUTE = 'Amazon Elastic Compute Cloud - Compute';
/** ECS: on Batch, Fargate tasks (EC2 container instances are billed as EC2). */
export const ECS = 'Amazon Elastic Container Service';

/** What each other service's line holds for a pipeline of this library, and why runs do not count it. */
const EXPLAINED: Record<string, string> = {
  'EC2 - Other':
    'EBS volumes of the instances (root and scratch, while instances run), NAT gateway hours and data processed, ' +
    "data transfer: not in the runs' price (jobs are priced by instance-hour); the estimate counts NAT gateways " +
    'only among fixed costs',
  AmazonCloudWatch:
    'log ingestion and storage of jobs and workflows, alarms, dashboards, custom metrics (Container Insights): not ' +
    "in the runs' price; alarms are in the estimate's fixed costs",
  'Amazon Simple Storage Service': 'storage and requests of inputs, results, manifests and caches: in no estimate',
  'Amazon Virtual Private Cloud':
    'VPC interface endpoints by the hour and per GB, public IPv4 addresses: in no estimate',
  'AWS Step Functions': "state transitions of workflow runs: in the estimate of a workflow, not in the runs' price",
  'Amazon DynamoDB': 'the step cache and run state tables (on-demand reads and writes, storage): in no estimate',
  'AWS Key Management Service': 'customer-managed keys ($1 a month each) and their requests: in the fixed costs',
  'AWS Lambda': 'the triggers and the queue probe: in no estimate',
  'Amazon Simple Notification Service': 'notifications: in no estimate',
  'Amazon EC2 Container Registry (ECR)': 'image storage and transfer: in no estimate',
};

/**
 * The differences: compute (EC2 instances and Fargate tasks) against the runs' list price, then every other service
 * the bill holds, with what it is.
 */
export function explainDifferences(services: ServiceCost[], runs: RunsInPeriod | undefined): SpendDifference[] {
  const out: SpendDifference[] = [];
  const usd = (name: string) => services.find((s) => s.service === name)?.usd ?? 0;
  const compute = usd(EC2_COMPUTE) + usd(ECS);
  if (runs) {
    const gap = compute - runs.usd;
    const pct = runs.usd > 0 ? ` (${Math.round((gap / runs.usd) * 100)}% of the runs' price)` : '';
    if (runs.cost.jobs === 0 && compute > 0) {
      out.push({
        what: 'compute',
        usd: compute,
        explanation:
          'billed while no job of the pipeline finished in the period: instances kept by minvCpus, or jobs still ' +
          'running (only finished jobs are priced), or jobs Batch no longer lists',
      });
    } else if (gap > 0.005) {
      out.push({
        what: 'compute',
        usd: gap,
        explanation:
          `$${gap.toFixed(2)} more than the runs' list price${pct}: capacity paid while no job ran on it (instances ` +
          'starting and pulling images before a container starts, idle until Batch scales in, room on an instance ' +
          'no job filled), Spot prices above the assumed discount, and On-Demand fallback',
      });
    } else if (gap < -0.005) {
      out.push({
        what: 'compute',
        usd: gap,
        explanation:
          `$${(-gap).toFixed(2)} less than the runs' list price: Spot cheaper than the assumed discount, jobs packed ` +
          'on instances better than the price assumes, or capacity whose usage predates the tag (untagged usage is ' +
          'not in the bill shown)',
      });
    }
  }
  for (const s of services) {
    if (s.service === EC2_COMPUTE || s.service === ECS || s.usd < 0.005) {
      continue;
    }
    out.push({
      what: s.service,
      usd: s.usd,
      explanation: EXPLAINED[s.service] ?? "not in the runs' price nor the estimate",
    });
  }
  return out;
}
