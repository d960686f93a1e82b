import { WorkflowStep } from '../../../lib';
import { checkShareIdentifier, onDemandQueueFor, stepQueue } from '../../../lib/workflow/plan/queues';
import { fairShareJob, genomicsJobs, scopeAt } from '../../support/pipeline';

const g = genomicsJobs();
const at = scopeAt('Test/Wf');

describe('where a step submits', () => {
  test("the job's first queue, and its On-Demand queue for Spot escalation, however short the job", () => {
    const qc = new WorkflowStep('qc', { job: g.jobs.qc });
    expect(stepQueue(at, qc)).toBe(g.standard);
    expect(onDemandQueueFor(at, qc, g.standard)).toBe(g.urgent);
    expect(onDemandQueueFor(at, new WorkflowStep('qc', { job: g.jobs.qc, spotEscalation: false }), g.standard)).toBe(
      undefined,
    );
    // Already On-Demand: nowhere to escalate to.
    expect(onDemandQueueFor(at, new WorkflowStep('qc', { job: g.jobs.qc, queue: g.urgent }), g.urgent)).toBe(undefined);
  });
});

describe('checkShareIdentifier', () => {
  test('a scheduling priority outside 0..9999 is refused', () => {
    const { q, job } = fairShareJob();
    const step = new WorkflowStep('tiles', {
      job,
      shareIdentifier: 'lab_a',
      schedulingPriority: 10_000,
      arraySize: 10,
    });
    expect(() => checkShareIdentifier(at, step, [q])).toThrow(
      "Test/Wf: steps['tiles'].schedulingPriority 10000 is not allowed; allowed: a whole number from 0 to 9999 (higher runs first). Fix: use e.g. 0, or 100 for a step that should go first",
    );
  });

  test('a share identifier on a queue without a fair-share policy is refused', () => {
    const step = new WorkflowStep('qc', { job: g.jobs.qc, shareIdentifier: 'lab_a' });
    expect(() => checkShareIdentifier(at, step, [g.standard])).toThrow(
      "Test/Wf: steps['qc'].shareIdentifier 'lab_a', for Test/Standard, which has no fair-share policy is not allowed; allowed: a share identifier only when every queue the step submits to has a fair-share policy. Fix: remove shareIdentifier, or give the queue a fairShare policy",
    );
  });
});
