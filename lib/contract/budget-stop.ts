/**
 * How a pipeline's budget stop is named and recognized: `PipelineBudget` names its budget and its deny policy here, and
 * the workflow recognizes a submit refused by that policy from IAM's message, which names the denying policy's ARN in
 * the same account ("… with an explicit deny in an identity-based policy: arn:aws:iam::…:policy/NAME",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html). The names are fixed by the
 * pipeline's name (its cost-allocation tag value), not generated, so that the state machine can know them without a
 * reference to the policy (which names the state machine: a reference back would be a circular dependency).
 *
 * No aws-cdk-lib and no AWS SDK here: this module is shared by what synthesizes and what runs.
 */

/** Every budget stop policy's name starts so: `<prefix><pipeline>`. */
export const BUDGET_STOP_POLICY_PREFIX = 'batch-pipelines-budget-stop-';

/**
 * A Step Functions `StringMatches` pattern (`*` any text) for an error cause that is IAM's explicit deny by a budget
 * stop policy of this library, whatever the pipeline.
 */
export const BUDGET_STOP_CAUSE_PATTERN = `*explicit deny in an identity-based policy: arn:*:iam::*:policy/${BUDGET_STOP_POLICY_PREFIX}*`;

/** IAM names: letters, digits and `+=,.@_-`; budget names exclude only `:` and `\`, the stricter set serves both. */
function safe(name: string, max: number): string {
  return name.replace(/[^A-Za-z0-9+=,.@_-]/g, '-').slice(0, max);
}

/**
 * The budget's name: `<pipeline>-pipeline`, at most 100 characters (AWS Budgets'), other characters than IAM's
 * replaced by `-`. https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Budget.html
 */
export function budgetNameFor(pipeline: string): string {
  return `${safe(pipeline, 100 - '-pipeline'.length)}-pipeline`;
}

/**
 * The deny policy's name: `batch-pipelines-budget-stop-<pipeline>`, at most 128 characters (IAM's).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export function budgetStopPolicyName(pipeline: string): string {
  return `${BUDGET_STOP_POLICY_PREFIX}${safe(pipeline, 128 - BUDGET_STOP_POLICY_PREFIX.length)}`;
}

/** What an item's outcome says when its submit was refused by the pipeline's budget stop. */
export function budgetStopReason(pipeline: string): string {
  const budget = budgetNameFor(pipeline);
  return (
    `denied: the pipeline's budget ${budget} stopped new work; see how to lift it in docs/budget.md: raise the cap, ` +
    `then reverse the budget action (aws budgets describe-budget-actions-for-budget --budget-name ${budget} ` +
    '--account-id ACCOUNT gives its id; aws budgets execute-budget-action … --execution-type REVERSE_BUDGET_ACTION), ' +
    'then batch-pipelines rerun'
  );
}
