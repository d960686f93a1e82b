import { formatCount } from './cost-format';
import { FIXED_COST_PRICES, HOURS_PER_MONTH } from './cost-types';
import type { FixedCostEstimate, FixedCostLine, FixedCosts } from './cost-types';

/*
 * Prices what a pipeline pays for beyond compute, when asked, and lists what the estimate leaves out. Internal to
 * lib/cost (not re-exported); cost-model's values are read only inside functions (cost-model imports this file).
 */

export function priceFixedCosts(f: FixedCosts, itemsRunPerMonth: number): FixedCostEstimate | undefined {
  const p = FIXED_COST_PRICES;
  const lines: FixedCostLine[] = [];
  const count = (v: number) => v.toLocaleString('en-US');
  if (f.natGateways !== undefined) {
    lines.push({
      item: 'NAT gateways',
      quantity: f.natGateways,
      monthlyUsd: f.natGateways * p.natGatewayHourlyUsd * HOURS_PER_MONTH,
      basis: `${count(f.natGateways)} × $${p.natGatewayHourlyUsd} per hour × ${HOURS_PER_MONTH} h (traffic not priced)`,
    });
  }
  if (f.kmsKeys !== undefined) {
    lines.push({
      item: 'KMS keys',
      quantity: f.kmsKeys,
      monthlyUsd: f.kmsKeys * p.kmsKeyMonthlyUsd,
      basis: `${count(f.kmsKeys)} × $${p.kmsKeyMonthlyUsd.toFixed(2)} per key-month`,
    });
  }
  if (f.alarms !== undefined) {
    lines.push({
      item: 'CloudWatch alarms',
      quantity: f.alarms,
      monthlyUsd: f.alarms * p.alarmMonthlyUsd,
      basis: `${count(f.alarms)} × $${p.alarmMonthlyUsd.toFixed(2)} per alarm-month`,
    });
  }
  if (f.stateTransitionsPerItem !== undefined) {
    const transitions = itemsRunPerMonth * f.stateTransitionsPerItem;
    lines.push({
      item: 'Step Functions transitions',
      quantity: transitions,
      monthlyUsd: transitions * p.stateTransitionUsd,
      basis:
        `${formatCount(itemsRunPerMonth)} items × ${count(f.stateTransitionsPerItem)} transitions × ` +
        `$${(p.stateTransitionUsd * 1000).toFixed(3)} per 1,000`,
    });
  }
  if (f.containerInsightsMetrics !== undefined) {
    lines.push({
      item: 'Container Insights metrics',
      quantity: f.containerInsightsMetrics,
      monthlyUsd: f.containerInsightsMetrics * p.customMetricMonthlyUsd,
      basis:
        `${count(f.containerInsightsMetrics)} custom metrics × $${p.customMetricMonthlyUsd.toFixed(2)} per ` +
        'metric-month (performance log ingestion and ENHANCED per-task metrics not priced)',
    });
  }
  return lines.length > 0 ? { lines, monthlyUsd: lines.reduce((s, l) => s + l.monthlyUsd, 0) } : undefined;
}

export function notIncluded(f: FixedCosts): string[] {
  return [
    f.natGateways === undefined ? 'NAT gateways or VPC endpoints' : 'VPC endpoints and NAT traffic',
    f.kmsKeys === undefined ? 'KMS keys' : 'KMS requests',
    f.alarms === undefined ? 'CloudWatch alarms and logs' : 'CloudWatch logs',
    ...(f.stateTransitionsPerItem === undefined ? ['Step Functions state transitions'] : []),
    'S3 storage and requests',
    'data transfer',
  ];
}
