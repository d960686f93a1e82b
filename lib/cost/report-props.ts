import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { CostReportProps } from './cost-report-props';
import { HOURS_PER_MONTH } from './cost-types';
import { didYouMean } from '../private/did-you-mean';
import { fail } from '../private/errors';

/*
 * Checks which form a CostReport was given (a workflow, jobs, or a workload typed by hand) and the props that go
 * with it. Internal to lib/cost.
 */

/** Props that only the explicit `workload` form reads. */
const WORKLOAD_ONLY = ['capacity', 'includeFixedCosts', 'fixedCosts'] as const;

/**
 * Items a month for a report built from a workflow or jobs, or undefined for the explicit `workload` form. Throws
 * (construct path, prop, value, what is allowed, fix) when the forms are mixed or an input is missing or invalid.
 */
export function checkDeclaredProps(scope: IConstruct, props: CostReportProps): number | undefined {
  const forms = (['workflow', 'jobs', 'workload'] as const).filter((k) => props[k] !== undefined);
  if (forms.length !== 1) {
    fail(scope, {
      prop: forms.length === 0 ? 'workflow' : forms.join(' and '),
      received: forms.length === 0 ? 'missing' : 'given together',
      allowed: 'exactly one of workflow, jobs or workload',
      fix:
        forms.length === 0
          ? "give the workflow to price, e.g. new CostReport(this, 'Cost', { workflow, itemsPerMonth: 2000 })"
          : `keep ${forms.includes('workflow') ? 'workflow' : forms[0]} and remove the other`,
    });
  }
  const form = forms[0];
  if (form === 'workload') {
    for (const key of ['itemsPerMonth', 'itemsPerDay', 'runtimes'] as const) {
      if (props[key] !== undefined) {
        fail(scope, {
          prop: key,
          received: 'given with workload',
          allowed: `${key} only with workflow or jobs`,
          fix:
            key === 'runtimes'
              ? 'put the hours in workload.hoursPerItem, or give workflow instead of workload'
              : 'put the items in workload.itemsPerMonth, or give workflow instead of workload',
        });
      }
    }
    return undefined;
  }
  for (const key of WORKLOAD_ONLY) {
    if (props[key] !== undefined) {
      fail(scope, {
        prop: key,
        received: `given with ${form}`,
        allowed: `${key} only with workload`,
        fix:
          key === 'capacity'
            ? `remove capacity: each step is priced on the capacities of its queue`
            : `remove ${key}: a report built from ${form} prices compute and state transitions`,
      });
    }
  }
  if (form === 'jobs' && props.jobs!.length === 0) {
    fail(scope, {
      prop: 'jobs',
      received: '[] (empty)',
      allowed: 'at least one job',
      fix: 'list the jobs to price, e.g. jobs: [transcode]',
    });
  }
  const given = (['itemsPerMonth', 'itemsPerDay'] as const).filter((k) => props[k] !== undefined);
  if (given.length !== 1) {
    fail(scope, {
      prop: given.length === 0 ? 'itemsPerMonth' : 'itemsPerMonth and itemsPerDay',
      received: given.length === 0 ? 'missing' : 'given together',
      allowed: `exactly one of itemsPerMonth or itemsPerDay with ${form}`,
      fix: `give how many items arrive, e.g. { ${form}, itemsPerDay: 2000 }`,
    });
  }
  const key = given[0];
  const value = props[key]!;
  if (!Token.isUnresolved(value) && !(Number.isFinite(value) && value >= 0)) {
    fail(scope, {
      prop: key,
      received: `${value}`,
      allowed: 'a number >= 0',
      fix: `give the items, e.g. ${key}: 2000`,
    });
  }
  const steps = form === 'workflow' ? props.workflow!.steps.map((s) => s.name) : props.jobs!.map((j) => j.node.id);
  for (const [name, runtime] of Object.entries(props.runtimes ?? {})) {
    if (!steps.includes(name)) {
      fail(scope, {
        prop: `runtimes.${name}`,
        received: `(no ${form === 'workflow' ? 'step' : 'job'} of that name)`,
        allowed: `the names of the ${form === 'workflow' ? "workflow's steps" : "jobs' construct ids"}: ${steps.join(', ')}`,
        fix: `key runtimes by one of them, e.g. runtimes: { ${didYouMean(name, steps) ?? steps[0]}: Duration.minutes(20) }`,
      });
    }
    if (runtime.toSeconds() <= 0) {
      fail(scope, {
        prop: `runtimes.${name}`,
        received: runtime.toHumanString(),
        allowed: 'a duration above 0',
        fix: `give how long the job typically runs, e.g. runtimes: { ${name}: Duration.minutes(20) }`,
      });
    }
  }
  // A month is 730 h (HOURS_PER_MONTH), so a day's items × 730 / 24 are a month's.
  return key === 'itemsPerDay' ? (value * HOURS_PER_MONTH) / 24 : value;
}
