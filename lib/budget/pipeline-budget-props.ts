import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { fail } from '../private/errors';
import { KnownKeys } from '../private/known-props';
import { MAX_NOTIFICATIONS_PER_BUDGET, MAX_ROLES_PER_BUDGET_ACTION } from '../private/limits';
import { ManifestTrigger } from '../triggers/manifest-trigger';
import { Workflow } from '../workflow/workflow';

/** Whether a budget alert watches what was spent or what AWS forecasts for the month. */
export enum BudgetAlertType {
  /** Spending so far this month. */
  ACTUAL = 'ACTUAL',
  /** AWS Budgets' forecast of the month's spending. */
  FORECASTED = 'FORECASTED',
}

/** A notification to the budget's topic when spending passes a percentage of the monthly limit. */
export interface BudgetAlert {
  /** Percentage of the monthly limit, above 0 and at most 1000. */
  readonly percent: number;
  /**
   * Spending so far, or the month's forecast.
   * @default BudgetAlertType.ACTUAL
   */
  readonly type?: BudgetAlertType;
}

/** Props of `PipelineBudget`. */
export interface PipelineBudgetProps {
  /** The budget in US dollars a calendar month, for everything tagged with the pipeline's cost-allocation tag. */
  readonly monthlyLimitUsd: number;
  /**
   * The workflow whose work stops at the cap: its state machine's role may no longer submit jobs to the pipeline's
   * queues (the queues of the workflow's jobs).
   */
  readonly workflow: Workflow;
  /** Where the alerts and the notice that new work stopped go, e.g. `PipelineMonitoring.topic`. */
  readonly topic: sns.ITopic;
  /**
   * Manifest triggers of the workflow: at the cap their starters may no longer start runs.
   * @default - none
   */
  readonly triggers?: ManifestTrigger[];
  /**
   * Roles people or CI use to start work (`batch-pipelines start`, `rerun`, `submit`): at the cap they may no longer
   * start or redrive runs of the workflow, nor submit jobs to the pipeline's queues. Roles of this account only.
   * @default - none: operators keep starting runs, which then fail at their first submit
   */
  readonly operatorRoles?: iam.IRole[];
  /**
   * Notifications to the topic as spending passes percentages of the limit.
   * @default - 50, 80 and 100 % of actual spending, and 100 % of the month's forecast: early warning at half, time
   * to act at 80 %, the cap itself, and a forecast that says the cap will be reached before the month ends
   */
  readonly alerts?: BudgetAlert[];
  /**
   * Percentage of the monthly limit, of actual spending, at which new work stops.
   * @default 100
   */
  readonly stopAtPercent?: number;
}

/** Every prop of `PipelineBudgetProps`, for the run-time check of keys (lib/private/known-props.ts). */
export const PIPELINE_BUDGET_PROPS_KEYS: KnownKeys<PipelineBudgetProps> = {
  monthlyLimitUsd: true,
  workflow: true,
  topic: true,
  triggers: true,
  operatorRoles: true,
  alerts: true,
  stopAtPercent: true,
};

/** The alerts when none are given (see `PipelineBudgetProps.alerts`). */
export const DEFAULT_BUDGET_ALERTS: readonly BudgetAlert[] = [
  { percent: 50, type: BudgetAlertType.ACTUAL },
  { percent: 80, type: BudgetAlertType.ACTUAL },
  { percent: 100, type: BudgetAlertType.ACTUAL },
  { percent: 100, type: BudgetAlertType.FORECASTED },
];

/** A notification threshold as AWS Budgets takes it: above 0 (0.1 at least), percentages up to 1000 here. */
const MAX_PERCENT = 1000;

/** Checks the props a budget can be built from, throwing the first problem. */
export function checkBudgetProps(scope: IConstruct, props: PipelineBudgetProps): void {
  const limit = props.monthlyLimitUsd;
  if (!Token.isUnresolved(limit) && !(Number.isFinite(limit) && limit > 0)) {
    fail(scope, {
      prop: 'monthlyLimitUsd',
      received: `${limit}`,
      allowed: 'a number of US dollars above 0',
      fix: 'give the monthly cap, e.g. monthlyLimitUsd: 500',
    });
  }
  const percentOk = (p: number) => Token.isUnresolved(p) || (Number.isFinite(p) && p >= 0.1 && p <= MAX_PERCENT);
  const stopAt = props.stopAtPercent ?? 100;
  if (!percentOk(stopAt)) {
    fail(scope, {
      prop: 'stopAtPercent',
      received: `${stopAt}`,
      allowed: `a percentage of the monthly limit from 0.1 to ${MAX_PERCENT}`,
      fix: 'use e.g. stopAtPercent: 100 (new work stops when the month has spent the whole limit)',
    });
  }
  const alerts = props.alerts ?? DEFAULT_BUDGET_ALERTS;
  alerts.forEach((a, i) => {
    if (!percentOk(a.percent)) {
      fail(scope, {
        prop: `alerts[${i}].percent`,
        received: `${a.percent}`,
        allowed: `a percentage of the monthly limit from 0.1 to ${MAX_PERCENT}`,
        fix: `use e.g. { percent: 80, type: BudgetAlertType.ACTUAL }`,
      });
    }
  });
  const keys = alerts.map((a) => `${a.type ?? BudgetAlertType.ACTUAL} ${a.percent}`);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) {
    const [type, percent] = twice.split(' ');
    fail(scope, {
      prop: 'alerts',
      received: `two alerts at ${percent} % of ${type.toLowerCase()} spending`,
      allowed: 'each percentage once per type (AWS Budgets refuses a duplicate notification)',
      fix: `keep one { percent: ${percent}, type: BudgetAlertType.${type} }`,
    });
  }
  // The stop is a budget action, not a notification: it does not count against the budget's ten.
  // https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Notification.html
  if (alerts.length > MAX_NOTIFICATIONS_PER_BUDGET) {
    fail(scope, {
      prop: 'alerts',
      received: `${alerts.length} alerts`,
      allowed: `at most ${MAX_NOTIFICATIONS_PER_BUDGET} (AWS Budgets' notifications per budget)`,
      fix: `keep the ${MAX_NOTIFICATIONS_PER_BUDGET} that matter, e.g. drop the lowest percentages`,
    });
  }
  const roles = startingRoles(props);
  if (roles.length > MAX_ROLES_PER_BUDGET_ACTION) {
    fail(scope, {
      prop: 'operatorRoles',
      received: `${props.operatorRoles?.length ?? 0} roles (${roles.length} with the workflow's and the triggers')`,
      allowed: `at most ${MAX_ROLES_PER_BUDGET_ACTION} roles in all (a budget action's IAM definition)`,
      fix: 'let operators assume a few shared roles, and pass those',
    });
  }
}

/**
 * The roles that start work, each once: the workflow's state machine role, each trigger's starter role, then the
 * operators' roles in the order given.
 */
export function startingRoles(props: PipelineBudgetProps): iam.IRole[] {
  const roles: iam.IRole[] = [
    props.workflow.stateMachine.role,
    ...(props.triggers ?? []).map((t) => t.starter.role),
    ...(props.operatorRoles ?? []),
  ];
  return roles.filter((r, i) => roles.indexOf(r) === i);
}
