import { Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FanOut, Job, WorkflowStep } from '../../../lib';
import { planStep } from '../../../lib/workflow/plan/step-plan';
import { errorOf } from '../../support/capacity';
import { typeCheck } from '../../support/compiles';
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

describe('a Ref:: name one letter or one case off suggests the name that exists', () => {
  const transcode = new Job(g.stack, 'Transcode', {
    queues: [g.standard, g.urgent],
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36'),
    command: ['transcode', 'Ref::videoID'],
    vcpus: 2,
    memory: Size.gibibytes(4),
  });
  const videos = new FanOut('videos', { idField: 'videoId', itemFields: ['videoId', 'inputUri'] });
  const messages: Record<string, string> = {
    command: errorOf(() => planStep(at, new WorkflowStep('transcode', { job: transcode, forEach: videos }))).message,
    parameters: errorOf(() =>
      planStep(
        at,
        new WorkflowStep('transcode', { job: transcode, forEach: videos, parameters: { videoId: '$.item.videoId' } }),
      ),
    ).message,
  };

  test('GIVEN Ref::videoID in the command and items with videoId THEN "did you mean `Ref::videoId`?"', () => {
    expect(messages.command).toBe(
      "Test/Wf: steps['transcode'].parameters no value for Ref::videoID of job Test/Transcode is not allowed; " +
        'allowed: parameters filled by the step, by an item field (videoId, inputUri), or by a job default. ' +
        "Fix: did you mean `Ref::videoId` (the items' field videoId)? Use it in the job's command, or map the name " +
        "the command uses: `parameters: { videoID: '$.item.videoId' }`",
    );
  });

  test('GIVEN a step parameter videoId for the Ref::videoID of the job THEN "did you mean `videoID`?"', () => {
    expect(messages.parameters).toBe(
      "Test/Wf: steps['transcode'].parameters.videoId 'videoId', which job Test/Transcode does not use is not " +
        "allowed; allowed: the job's Ref:: parameters: videoID. Fix: did you mean `videoID` (the job's Ref::videoID)? " +
        "`parameters: { videoID: '$.item.videoId' }`",
    );
  });

  test('the code the fixes suggest compiles, and planning with it succeeds', () => {
    const code = Object.values(messages).map((m) => /`(parameters: [^`]+)`/.exec(m)![1]);
    const snippet = (parameters: string) =>
      [
        "import { FanOut, Job, WorkflowStep } from 'cdk-batch-pipelines';",
        'declare const transcode: Job;',
        'declare const videos: FanOut;',
        `new WorkflowStep('transcode', { job: transcode, forEach: videos, ${parameters} });`,
      ].join('\n');
    const diagnostics = typeCheck(Object.fromEntries(code.map((c) => [c, snippet(c)])));
    expect(diagnostics).toEqual(Object.fromEntries(code.map((c) => [c, []])));
    const fixed = new WorkflowStep('transcode', {
      job: transcode,
      forEach: videos,
      parameters: { videoID: '$.item.videoId' },
    });
    expect(planStep(at, fixed).parameters).toEqual({ videoID: '$.item.videoId' });
  });
});
