import { FailureKind } from '../../lib';
import { BUDGET_STOP_CAUSE_PATTERN, budgetStopPolicyName, budgetStopReason } from '../../lib/contract/budget-stop';
import { apiError, genomicsPipeline, runLocally, threeSamples } from '../support/pipeline';

/**
 * A submit refused by the budget's deny policy, as the workflow's Batch task raises it after its retries. The text is
 * IAM's access-denied message for an explicit deny, which names the denying policy in the same account
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html), wrapped as the Java SDK wraps
 * Batch's errors (the wrapper as in ./batch-failures' captured throttling message). The error name is an assumption
 * stated in lib/private/limits.ts (BATCH_API_RETRYABLE_ERRORS): Step Functions names an exception SubmitJob does not
 * model `Batch.AWSBatchException`; no captured AccessDenied from `submitJob.sync` was found.
 */
const DENY_POLICY = `arn:aws:iam::123456789012:policy/${budgetStopPolicyName('Test')}`;
const DENIED = {
  name: 'Batch.AWSBatchException',
  message:
    'User: arn:aws:sts::123456789012:assumed-role/Test-PipelineStateMachineRole-EXAMPLE/a1b2c3 is not authorized to ' +
    'perform: batch:SubmitJob on resource: arn:aws:batch:us-east-1:123456789012:job-queue/Standard with an explicit ' +
    `deny in an identity-based policy: ${DENY_POLICY} (Service: AWSBatch; Status Code: 403; Error Code: ` +
    'AccessDeniedException; Request ID: 2f3e4d5c-6b7a-4c8d-9e0f-1a2b3c4d5e6f; Proxy: null)',
};

/** Step Functions' StringMatches: `*` matches any text, everything else itself. */
function stringMatches(pattern: string, text: string): boolean {
  const re = pattern
    .split('*')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`, 's').test(text);
}

describe('a run in flight when the budget stops new work', () => {
  test('a submit refused by the budget stop ends its item as BudgetStopped, saying how to lift it; the others finish', async () => {
    // Some items may fail: the run goes on with the others (PARTIAL), and every item has its outcome.
    const { stack } = genomicsPipeline({ maxFailedItems: 3 });
    // s2's align is refused (the policy was attached after s1 and s3 had submitted theirs).
    const run = await runLocally(stack, threeSamples, (call) => {
      if (call.input.JobName.includes('align') && call.input.Parameters?.sampleId === 's2') {
        throw apiError(DENIED);
      }
    });
    expect(stringMatches(BUDGET_STOP_CAUSE_PATTERN, DENIED.message)).toBe(true);
    const outcomes = run.output!.samplesOutcomes as Array<Record<string, unknown>>;
    const s2 = outcomes.find((o) => o.id === 's2')!;
    expect(s2).toMatchObject({ status: 'FAILED', step: 'align', kind: FailureKind.BUDGET_STOPPED });
    // The stack is named Test: its pipeline (PipelineTag) is Test, its budget Test-pipeline.
    expect(s2.reason).toBe(budgetStopReason('Test'));
    expect(s2.reason).toContain('Test-pipeline stopped new work');
    expect(outcomes.filter((o) => o.status === 'SUCCEEDED').map((o) => o.id)).toEqual(['s1', 's3']);
  });

  test('a refusal by the budget stop under another error name is still BudgetStopped (the cause decides)', async () => {
    const { stack } = genomicsPipeline({ maxFailedItems: 3 });
    // Step Functions' name for a denied SubmitJob is not documented: whatever it is, the cause names the policy.
    const renamed = { ...DENIED, name: 'Batch.AccessDeniedException' };
    const run = await runLocally(stack, threeSamples, (call) => {
      if (call.input.JobName.includes('align') && call.input.Parameters?.sampleId === 's2') {
        throw apiError(renamed);
      }
    });
    const s2 = (run.output!.samplesOutcomes as Array<Record<string, unknown>>).find((o) => o.id === 's2')!;
    expect(s2).toMatchObject({ status: 'FAILED', step: 'align', kind: FailureKind.BUDGET_STOPPED });
  });

  test("a submit denied by another policy stays SubmitFailed, with Batch's text", async () => {
    const { stack } = genomicsPipeline({ maxFailedItems: 3 });
    const other = { ...DENIED, message: DENIED.message.replace(budgetStopPolicyName('Test'), 'lab-guardrails') };
    const run = await runLocally(stack, threeSamples, (call) => {
      if (call.input.JobName.includes('align') && call.input.Parameters?.sampleId === 's2') {
        throw apiError(other);
      }
    });
    const s2 = (run.output!.samplesOutcomes as Array<Record<string, unknown>>).find((o) => o.id === 's2')!;
    expect(s2).toMatchObject({ status: 'FAILED', step: 'align', kind: FailureKind.SUBMIT_FAILED });
    expect(s2.reason).toBe(`Batch did not accept the job (Batch.AWSBatchException): ${other.message}`);
  });
});
