import * as s3 from 'aws-cdk-lib/aws-s3';
import { errorOf } from '../../support/capacity';
import { genomicsJobs, genomicsSteps } from '../../support/pipeline';
import { Workflow } from '../../../lib';

// Key prefixes the workflow formats into keys with States.Format (lib/workflow/plan/prefixes.ts): a ' would end the
// intrinsic's string literal and {, } and \ are its syntax, so CreateStateMachine would refuse the definition at deploy
// (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html, reserved characters).

function workflowWith(options: { resultsPrefix?: string; checkpointPrefix?: string }) {
  const g = genomicsJobs();
  const bucket = new s3.Bucket(g.stack, 'Results');
  const { steps } = genomicsSteps(
    g,
    options.resultsPrefix === undefined ? {} : { results: { bucket, prefix: options.resultsPrefix } },
    options.checkpointPrefix === undefined
      ? {}
      : { align: { checkpoint: { bucket, prefix: options.checkpointPrefix } } },
  );
  return () => new Workflow(g.stack, 'Pipeline', { steps: Object.values(steps) });
}

describe('prefixes written into keys by the state machine', () => {
  test("a results prefix with ' is refused at synth, with a prefix that works", () => {
    const message = errorOf(workflowWith({ resultsPrefix: "lab's runs/" })).message;
    expect(message).toBe(
      "Test/Pipeline: fanOut 'samples'.results.prefix 'lab's runs/', which holds ''' is not allowed; allowed: a key " +
        "prefix without ', {, } or \\ (Step Functions' intrinsic functions reserve them, S3 advises against them). " +
        "Fix: use 'lab-s runs/'",
    );
  });

  test('a checkpoint prefix with { and } is refused, naming the step', () => {
    const message = errorOf(workflowWith({ checkpointPrefix: 'ckpt/{week}/' })).message;
    expect(message).toContain("steps['align'].checkpoint.prefix 'ckpt/{week}/', which holds '{', '}' is not allowed");
    expect(message).toContain("Fix: use 'ckpt/-week-/'");
  });

  test('ordinary prefixes synthesize', () => {
    expect(workflowWith({ resultsPrefix: 'runs/2026-w49/', checkpointPrefix: 'checkpoints/' })).not.toThrow();
  });
});
