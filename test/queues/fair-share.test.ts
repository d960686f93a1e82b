import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { FanOut, JobQueue, Workflow, WorkflowStep } from '../../lib';
import { capacities } from '../support/capacity';
import { fairShareJob, SAMPLE_ITEMS } from '../support/pipeline';
import { stackWithVpc } from '../support/stacks';

// AWS rules these tests hold:
// - "A job queue without a fair-share scheduling policy is scheduled as a FIFO job queue and can't have a fair-share
//   scheduling policy added. Jobs queues with a fair-share scheduling policy can have a maximum of 500 active share
//   identifiers. When the limit has been reached, submissions of any jobs that add a new share identifier fail."
//   (https://docs.aws.amazon.com/batch/latest/APIReference/API_CreateJobQueue.html, schedulingPolicyArn)
// - SchedulingPolicyArn is not a create-only property of AWS::Batch::JobQueue (CloudFormation's resource schema), so
//   CloudFormation updates it in place instead of replacing the queue.

describe('fair share is decided when the queue is created', () => {
  test('a fair-share queue says so at synth (info, with its id)', () => {
    const { stack, vpc } = stackWithVpc();
    new JobQueue(stack, 'Fair', {
      capacities: [capacities(stack, vpc).onDemand],
      fairShare: { shares: [{ shareIdentifier: 'lab_a', weightFactor: 1 }] },
    });
    const infos = Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('fair-share-at-creation'));
    expect(infos).toHaveLength(1);
    expect(infos[0].id).toBe('/Test/Fair');
    expect(infos[0].entry.data).toBe(
      'Test/Fair: fairShare is decided when the queue is created. Batch cannot add a fair-share policy to a deployed ' +
        'first-in-first-out queue, nor remove one, and CloudFormation updates the queue in place rather than ' +
        'replacing it: adding or removing fairShare on a deployed queue fails the deploy, which rolls back. To ' +
        'switch, add a second JobQueue with a new id, submit to it, and remove the old queue once it is empty ' +
        '(deleting a queue ends the jobs still in it). [ack: cdk-batch-pipelines:fair-share-at-creation]',
    );
  });

  test('a first-in-first-out queue says nothing about it', () => {
    const { stack, vpc } = stackWithVpc();
    new JobQueue(stack, 'Fifo', { capacities: [capacities(stack, vpc).onDemand] });
    expect(Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('fair-share'))).toEqual([]);
  });
});

describe('share identifiers read from item data', () => {
  const warningsOf = (shareIdentifier: string) => {
    const { stack, job } = fairShareJob('Tiles', { arrayJob: false });
    const f = new FanOut('slides', { ...SAMPLE_ITEMS, itemFields: ['sampleId'], expectedItems: 10 });
    new Workflow(stack, 'Wf', { steps: [new WorkflowStep('tiles', { job, forEach: f, shareIdentifier })] });
    return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('share-identifiers-from-data'));
  };

  test('a JSONPath share identifier on a fair-share queue warns of the 500 active share identifiers', () => {
    const warnings = warningsOf('$.item.lab');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].id).toBe('/Test/Wf');
    expect(warnings[0].entry.data).toBe(
      "Test/Wf: steps['tiles'].shareIdentifier '$.item.lab' takes each job's share identifier from the item data. " +
        'A fair-share queue (Test/Fair) accepts at most 500 active share identifiers (a share stays active while it ' +
        'has queued or running jobs, and for the share decay after); once that many are active, every job ' +
        'submitted with a new one fails. Keep the distinct values of $.item.lab under 500 (e.g. group labs in the ' +
        'manifest), or use a fixed shareIdentifier; acknowledge this warning ' +
        '(cdk-batch-pipelines:share-identifiers-from-data) when the data holds few values. ' +
        '[ack: cdk-batch-pipelines:share-identifiers-from-data]',
    );
  });

  test('a fixed share identifier does not warn', () => {
    expect(warningsOf('lab_a')).toEqual([]);
  });
});
