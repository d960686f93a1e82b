import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { COST_ESTIMATE_METADATA } from '../../cost/cost-report';
import { HOURS_PER_MONTH } from '../../cost/cost-types';

/**
 * The estimate `spend` puts beside the bill: what the stack's `CostReport` wrote into the cloud assembly at synth
 * (construct metadata `cdk-batch-pipelines:cost-estimate` of the stack artifact, in `cdk.out`), pro-rated from a
 * month to the period. A report built from a workflow or jobs prices what the stack declares (preferred); one built
 * from a workload gives a line per option: the Batch Spot line and the fixed costs are taken.
 */

/** The estimate for a period. */
export interface SpendEstimate {
  /** Where it came from, e.g. `cdk.out: /Genomics/StepCostEstimate`. */
  readonly source: string;
  /** Which figure: `steps of the workflow` or `Batch Spot + fixed costs`. */
  readonly basis: string;
  /** USD a month. */
  readonly monthlyUsd: number;
  /** USD for the period's days (monthly × days × 24 / 730). */
  readonly periodUsd: number;
}

/** `monthlyUsd` pro-rated to `days`. */
export function proRate(monthlyUsd: number, days: number): number {
  return (monthlyUsd * days * 24) / HOURS_PER_MONTH;
}

interface MetadataEntry {
  readonly type: string;
  readonly data?: Record<string, unknown>;
}

/**
 * The estimate of `stack` in the cloud assembly `dir`, or why there is none (no manifest, no such stack, no
 * CostReport in it).
 */
export function estimateFromAssembly(
  dir: string,
  stack: string,
  days: number,
): { estimate?: SpendEstimate; missing?: string } {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    return { missing: `no cloud assembly at ${dir} (run cdk synth, or pass --assembly DIR)` };
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    artifacts?: Record<
      string,
      {
        type: string;
        displayName?: string;
        metadata?: Record<string, MetadataEntry[]>;
        additionalMetadataFile?: string;
      }
    >;
  };
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const found = stacks.find(([id, a]) => id === stack || a.displayName === stack);
  if (!found) {
    const names = stacks.map(([id]) => id).join(', ') || 'none';
    return { missing: `no stack ${stack} in ${dir} (stacks: ${names}); pass --stack NAME` };
  }
  const [, artifact] = found;
  const metadata: Record<string, MetadataEntry[]> = { ...(artifact.metadata ?? {}) };
  if (artifact.additionalMetadataFile) {
    Object.assign(metadata, JSON.parse(readFileSync(join(dir, artifact.additionalMetadataFile), 'utf8')));
  }
  const entries = Object.entries(metadata).flatMap(([path, list]) =>
    list.filter((e) => e.type === COST_ESTIMATE_METADATA).map((e) => ({ path, data: e.data ?? {} })),
  );
  const declared = entries.find((e) => Array.isArray(e.data.steps) && typeof e.data.monthlyUsd === 'number');
  if (declared) {
    const monthlyUsd = declared.data.monthlyUsd as number;
    return {
      estimate: {
        source: `${dir}: ${declared.path}`,
        basis: 'the steps the stack declares, at the items a month its CostReport names',
        monthlyUsd,
        periodUsd: proRate(monthlyUsd, days),
      },
    };
  }
  const workload = entries.find((e) => typeof e.data.monthlyUsd === 'object' && e.data.monthlyUsd !== null);
  const lines = workload?.data.monthlyUsd as Record<string, number> | undefined;
  if (workload && lines?.['Batch Spot'] !== undefined) {
    const fixed = typeof workload.data.fixedMonthlyUsd === 'number' ? workload.data.fixedMonthlyUsd : 0;
    const monthlyUsd = lines['Batch Spot'] + fixed;
    return {
      estimate: {
        source: `${dir}: ${workload.path}`,
        basis: fixed > 0 ? 'its Batch Spot line plus fixed costs' : 'its Batch Spot line',
        monthlyUsd,
        periodUsd: proRate(monthlyUsd, days),
      },
    };
  }
  return { missing: `stack ${stack} in ${dir} has no CostReport (no ${COST_ESTIMATE_METADATA} metadata)` };
}
