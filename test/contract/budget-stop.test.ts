import {
  BUDGET_STOP_CAUSE_PATTERN,
  budgetNameFor,
  budgetStopPolicyName,
  budgetStopReason,
} from '../../lib/contract/budget-stop';
import { BATCH_API_ERRORS } from '../support/batch-failures';

/** Step Functions' StringMatches: `*` matches any text, everything else itself (no `\` in these patterns). */
function matches(pattern: string, text: string): boolean {
  const re = pattern
    .split('*')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`, 's').test(text);
}

/**
 * IAM's access-denied messages, explicit and implicit, as the IAM user guide gives them (the explicit one names the
 * denying policy in the same account), for batch:SubmitJob by the workflow's role.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
const subject =
  'User: arn:aws:sts::123456789012:assumed-role/Genomics-WorkflowStateMachineRole-EXAMPLE/a1b2c3 is not authorized to ' +
  'perform: batch:SubmitJob on resource: arn:aws:batch:us-east-1:123456789012:job-queue/Standard';
const byBudget = `${subject} with an explicit deny in an identity-based policy: arn:aws:iam::123456789012:policy/${budgetStopPolicyName('Genomics')}`;
const byOther = `${subject} with an explicit deny in an identity-based policy: arn:aws:iam::123456789012:policy/NoBatchOnFridays`;
const implicit = `${subject} because no identity-based policy allows the batch:SubmitJob action`;

describe('budget stop contract', () => {
  test('the cause pattern matches a deny by any pipeline budget stop policy, and nothing else', () => {
    expect(matches(BUDGET_STOP_CAUSE_PATTERN, byBudget)).toBe(true);
    expect(matches(BUDGET_STOP_CAUSE_PATTERN, `${byBudget} (Service: AWSBatch; Status Code: 403)`)).toBe(true);
    expect(matches(BUDGET_STOP_CAUSE_PATTERN, byOther)).toBe(false);
    expect(matches(BUDGET_STOP_CAUSE_PATTERN, implicit)).toBe(false);
    for (const e of Object.values(BATCH_API_ERRORS)) {
      expect(matches(BUDGET_STOP_CAUSE_PATTERN, e.message)).toBe(false);
    }
  });

  test.each([
    ['Genomics', 'Genomics-pipeline', 'batch-pipelines-budget-stop-Genomics'],
    ['lab a/exome:2026', 'lab-a-exome-2026-pipeline', 'batch-pipelines-budget-stop-lab-a-exome-2026'],
  ])('pipeline %s: budget %s, policy %s', (pipeline, budget, policy) => {
    expect(budgetNameFor(pipeline)).toBe(budget);
    expect(budgetStopPolicyName(pipeline)).toBe(policy);
  });

  test('names stay within AWS Budgets (100) and IAM (128) limits', () => {
    const long = 'x'.repeat(256);
    expect(budgetNameFor(long)).toHaveLength(100);
    expect(budgetStopPolicyName(long)).toHaveLength(128);
  });

  test('the reason names the budget and how to lift the stop', () => {
    expect(budgetStopReason('Genomics')).toMatch(
      /^denied: the pipeline's budget Genomics-pipeline stopped new work; see how to lift it in docs\/budget\.md: raise the cap, then reverse the budget action .*REVERSE_BUDGET_ACTION.*then batch-pipelines rerun$/,
    );
  });
});
