import * as s3 from 'aws-cdk-lib/aws-s3';
import { planStep } from '../../../lib/workflow/plan/step-plan';
import { genomicsJobs, genomicsSteps, scopeAt } from '../../support/pipeline';

const g = genomicsJobs();
const at = scopeAt('Test/Wf');

describe('planStep', () => {
  test("a fan-out's step: queues, parameters filled by name from the item, what it reads", () => {
    const { steps } = genomicsSteps(g);
    const plan = planStep(at, steps.align);
    expect(plan.queue).toBe(g.standard);
    expect(plan.onDemandQueue).toBe(g.urgent);
    expect(plan.memoryLevelsMiB).toEqual([30720, 46080, 69120]);
    expect(plan.parameters).toEqual({ sampleId: '$.item.sampleId', inputUri: '$.item.inputUri' });
    expect(plan.reads.map((r) => r.path)).toEqual(['$.item.sampleId', '$.item.inputUri']);
    expect(plan.resultsEnvironment).toEqual({});
  });

  test("a step after a fan-out with results in S3 gets the results' URI, and reads that fan-out's results once", () => {
    const results = { bucket: new s3.Bucket(g.stack, 'Results'), prefix: 'runs/' };
    const { samples, steps } = genomicsSteps(g, { results });
    // aggregate waits for callVariants and qc, both of the fan-out.
    const plan = planStep(at, steps.aggregate);
    expect(plan.resultsEnvironment).toEqual({ SAMPLES_RESULTS: '$.samplesSummary.results' });
    expect(plan.resultsReadFrom).toEqual([samples]);
    expect(planStep(at, steps.qc).resultsReadFrom).toEqual([]);
  });

  test('planning changes nothing of the job: grants and marks are applied by the workflow', () => {
    const { steps } = genomicsSteps(g, {}, { align: { checkpoint: { bucket: new s3.Bucket(g.stack, 'Ckpt') } } });
    planStep(at, steps.align);
    expect(g.jobs.align.spotEscalated).toBe(false);
    expect(g.jobs.align.checkpointing).toBe(false);
  });
});
