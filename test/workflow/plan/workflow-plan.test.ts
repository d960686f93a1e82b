import { Duration, Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  BatchPipelinesValidationError,
  FanOut,
  FanOutMode,
  FanOutOptions,
  Job,
  JobQueue,
  WorkflowStep,
  WorkflowStepOptions,
} from '../../../lib';
import { WorkflowPlan } from '../../../lib/workflow/plan/workflow-plan';
import { capacities, errorOf } from '../../support/capacity';
import { fairShareJob, genomicsJobs, genomicsSteps, scopeAt } from '../../support/pipeline';
import { stackWithVpc } from '../../support/stacks';

// The plan as `new Workflow` makes it first (lib/workflow/plan/workflow-plan.ts): every check in its order, without
// building a state or synthesizing. Each message names the construct path the workflow would have.

/** The reference pipeline's jobs: shared, as a plan changes nothing of them. */
const g = genomicsJobs();

/** The reference pipeline's steps, planned as `new Workflow(stack, 'Pipeline', ...)` plans them. */
function planPipeline(
  fanOutOptions: FanOutOptions = {},
  stepOptions: Partial<Record<'align' | 'callVariants' | 'qc' | 'aggregate', Partial<WorkflowStepOptions>>> = {},
) {
  const { steps } = genomicsSteps(g, fanOutOptions, stepOptions);
  return new WorkflowPlan(scopeAt('Test/Pipeline'), [steps.align, steps.callVariants, steps.qc, steps.aggregate]);
}

describe('steps a workflow refuses', () => {
  const bad: Array<[string, () => unknown, string]> = [
    [
      'no steps',
      () => new WorkflowPlan(scopeAt('Test/Wf'), []),
      'Test/Wf: steps [] is not allowed; allowed: at least one step. Fix: pass the steps of the pipeline, e.g. [align, callVariants]',
    ],
    [
      'duplicate step names',
      () => {
        const p = { ...g, ...genomicsSteps(g) };
        return new WorkflowPlan(scopeAt('Test/Wf2'), [p.steps.align, new WorkflowStep('align', { job: p.jobs.qc })]);
      },
      "Test/Wf2: steps two steps named 'align' is not allowed; allowed: unique step names. Fix: rename one of them",
    ],
    [
      'a dependency on a step not in the workflow',
      () => {
        const p = { ...g, ...genomicsSteps(g) };
        return new WorkflowPlan(scopeAt('Test/Wf2'), [p.steps.callVariants]);
      },
      "Test/Wf2: steps['callVariants'].dependsOn 'align', which is not a step of this workflow is not allowed; allowed: steps listed in `steps`. Fix: add 'align' to the workflow's steps, or remove the dependency",
    ],
    [
      'a cycle',
      () => {
        const p = { ...g, ...genomicsSteps(g) };
        p.steps.align.addDependency(p.steps.qc);
        return new WorkflowPlan(scopeAt('Test/Wf2'), Object.values(p.steps));
      },
      'Test/Wf2: steps.dependsOn a cycle: align -> qc -> align is not allowed; allowed: dependencies without cycles. Fix: remove one of the dependencies on that path',
    ],
    [
      'a step depending on a step inside another fan-out',
      () => {
        const p = { ...g, ...genomicsSteps(g) };
        const other = new FanOut('batches');
        const x = new WorkflowStep('x', { job: p.jobs.qc, forEach: other, dependsOn: [p.steps.align] });
        return new WorkflowPlan(scopeAt('Test/Wf2'), [...Object.values(p.steps), x]);
      },
      "Test/Wf2: steps['x'].dependsOn 'align', a step inside fan-out 'samples' is not allowed; allowed: steps of the same fan-out ('batches') or steps outside any fan-out. Fix: move 'x' out of its fan-out to run after all items of 'samples', or put both steps in one fan-out",
    ],
    [
      'an invalid step name',
      () => {
        const p = { ...g, ...genomicsSteps(g) };
        return new WorkflowPlan(scopeAt('Test/Wf2'), [new WorkflowStep('call variants', { job: p.jobs.qc })]);
      },
      "Test/Wf2: steps.name 'call variants' is not allowed; allowed: up to 40 letters, digits, hyphens and underscores, starting with a letter. Fix: rename the step, e.g. 'call-variants'",
    ],
    [
      'a job parameter nothing fills',
      () => {
        const p = planPipeline({ itemFields: ['sampleId'] });
        return p;
      },
      "Test/Pipeline: steps['align'].parameters no value for Ref::inputUri of job Test/Align is not allowed; allowed: parameters filled by the step, by an item field (sampleId), or by a job default. Fix: map it, e.g. parameters: { inputUri: '$.item.inputUri' }, or add 'inputUri' to the fan-out's itemFields",
    ],
    [
      'a parameter the job does not use',
      () => planPipeline({}, { qc: { parameters: { sample: '$.item.sampleId' } } }),
      "Test/Pipeline: steps['qc'].parameters.sample 'sample', which job Test/Qc does not use is not allowed; allowed: the job's Ref:: parameters: sampleId. Fix: use Ref::sample in the job's command, or remove it",
    ],
    [
      'an inline fan-out above 40 at once',
      () => planPipeline({ mode: FanOutMode.INLINE, maxConcurrency: 50 }),
      "Test/Pipeline: fanOut 'samples'.maxConcurrency 50 with mode INLINE is not allowed; allowed: at most 40 items at once in an inline Map. Fix: use FanOutMode.DISTRIBUTED (or AUTO) for more items at once",
    ],
    [
      'an inline fan-out whose history would exceed 25,000 events',
      () => {
        const { stack, vpc } = stackWithVpc();
        const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
        const job = new Job(stack, 'J', {
          queues: [q],
          image: ecs.ContainerImage.fromRegistry('busybox'),
          vcpus: 1,
          memory: Size.gibibytes(2),
        });
        const f = new FanOut('samples', { mode: FanOutMode.INLINE, maxConcurrency: 40, expectedItems: 130 });
        let previous: WorkflowStep | undefined;
        const steps = Array.from({ length: 10 }, (_, i) => {
          previous = new WorkflowStep(`s${i}`, { job, forEach: f, dependsOn: previous ? [previous] : [] });
          return previous;
        });
        return new WorkflowPlan(scopeAt('Test/Pipeline'), steps);
      },
      "Test/Pipeline: fanOut 'samples'.mode INLINE for 130 items (~35880 history events, ~276 per item) is not allowed; allowed: at most 25000 events in one execution's history (reaching it fails the execution). Fix: use FanOutMode.DISTRIBUTED (each item gets its own history) or fewer items per execution",
    ],
    [
      'more items than the execution state holds',
      () => planPipeline({ expectedItems: 5000 }),
      "Test/Pipeline: fanOut 'samples'.expectedItems 5000 (items in the input and outcomes in the state, up to ~1950 bytes each, would exceed the 256 KiB state limit) is not allowed; allowed: at most 134 items per execution this way. Fix: read the items from a manifest in S3 (manifest) and write outcomes to S3 (results), or split the items into several executions",
    ],
    [
      'more items in the input than it holds, outcomes in S3',
      () => {
        const { stack } = stackWithVpc();
        return planPipeline({ expectedItems: 5000, results: { bucket: new s3.Bucket(stack, 'R') } });
      },
      "Test/Pipeline: fanOut 'samples'.expectedItems 5000 (items in the input, up to ~150 bytes each, would exceed the 256 KiB state limit) is not allowed; allowed: at most 1747 items per execution this way. Fix: read the items from a manifest in S3 (manifest), or split the items into several executions",
    ],
    [
      'Spot escalation with no On-Demand queue',
      () => {
        const { stack, vpc } = stackWithVpc();
        const c = capacities(stack, vpc);
        const q = JobQueue.spotFirst(stack, 'Standard', c.spot, c.onDemand);
        const job = new Job(stack, 'Align', {
          queues: [q],
          image: ecs.ContainerImage.fromRegistry('busybox'),
          vcpus: 4,
          memory: Size.gibibytes(30),
          timeout: Duration.hours(6),
        });
        return new WorkflowPlan(scopeAt('Test/Wf'), [new WorkflowStep('align', { job })]);
      },
      "Test/Wf: steps['align'].spotEscalation on (job Test/Align may run 6 hours on Spot) with no On-Demand queue is not allowed; allowed: Spot escalation with a queue of On-Demand capacity among the job’s queues. Fix: bind the job to an On-Demand queue too (queues: [standard, onDemandOnly]), set onDemandQueue, or set spotEscalation: false",
    ],
    [
      'a step queue the job is not bound to',
      () => {
        const p = { ...g, ...genomicsSteps(g) };
        const other = new JobQueue(p.stack, 'Other', { capacities: [p.urgent.capacities[0]] });
        return new WorkflowPlan(scopeAt('Test/Wf2'), [new WorkflowStep('qc2', { job: p.jobs.qc, queue: other })]);
      },
      "Test/Wf2: steps['qc2'].queue Test/Other, which job Test/Qc is not bound to is not allowed; allowed: one of the job's queues (Test/Standard, Test/Urgent). Fix: add the queue to the job's queues so it is fit-checked, or use one of them",
    ],
    [
      'a failure percentage whose run-time check Step Functions cannot evaluate',
      () => planPipeline({ maxFailedPercentage: 7 }),
      "Test/Pipeline: fanOut 'samples'.maxFailedPercentage 7 (the run-time check would nest more than 10 intrinsic functions) is not allowed; allowed: 0 or one of 10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100. Fix: use the nearest allowed percentage, e.g. 10, or maxFailedItems for an exact count",
    ],
    [
      'a step on a fair-share queue without a share identifier',
      () => {
        const { job } = fairShareJob('J', { arrayJob: false });
        return new WorkflowPlan(scopeAt('Test/Wf'), [new WorkflowStep('only', { job })]);
      },
      "Test/Wf: steps['only'].shareIdentifier none, for fair-share queue Test/Fair is not allowed; allowed: a share identifier on every step that submits to a fair-share queue (Batch refuses the job without one). Fix: set shareIdentifier, e.g. 'default' or '$.item.lab' to read it from each item",
    ],
    [
      'a memory-escalation ceiling at or below the job memory (escalation would silently never happen)',
      () => planPipeline({}, { qc: { memoryEscalation: { ceiling: Size.gibibytes(7) } } }),
      "Test/Pipeline: steps['qc'].memoryEscalation.ceiling 7 GiB, for job Test/Qc of 7 GiB is not allowed; allowed: a ceiling above the job memory (at or below it, escalation would silently never happen). Fix: raise the ceiling above 7 GiB (at most 121.5 GiB), or set memoryEscalation: false",
    ],
    [
      'a scheduling priority without a share identifier',
      () => planPipeline({}, { qc: { schedulingPriority: 5 } }),
      "Test/Pipeline: steps['qc'].schedulingPriority 5, without a share identifier is not allowed; allowed: a scheduling priority only on a fair-share step (with shareIdentifier). Fix: set shareIdentifier too, or remove schedulingPriority",
    ],
    [
      'an array job as a step without a size',
      () => {
        const { stack, vpc } = stackWithVpc();
        const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
        const job = new Job(stack, 'Tiles', {
          queues: [q],
          image: ecs.ContainerImage.fromRegistry('busybox'),
          vcpus: 1,
          memory: Size.gibibytes(2),
          arrayJob: true,
        });
        return new WorkflowPlan(scopeAt('Test/Wf'), [new WorkflowStep('tiles', { job })]);
      },
      "Test/Wf: steps['tiles'].arraySize none, for array job Test/Tiles is not allowed; allowed: the number of children (2..10000), fixed or read from the state. Fix: set arraySize: 100, or arraySizePath: '$.item.chunks'",
    ],
    [
      'an array size on a job that is not an array job',
      () => planPipeline({}, { qc: { arraySize: 10 } }),
      "Test/Pipeline: steps['qc'].arraySize 10, for job Test/Qc, which is not an array job is not allowed; allowed: arraySize only for jobs created with arrayJob: true. Fix: create the job with arrayJob: true, or remove arraySize",
    ],
    [
      'a path in a fan-out outside the item',
      () => planPipeline({}, { qc: { parameters: { sampleId: '$.sampleId' } } }),
      "Test/Pipeline: steps['qc'].parameters.sampleId '$.sampleId', in fan-out 'samples' is not allowed; allowed: item paths ('$.item.<field>'): an item's steps see only the item. Fix: read '$.item.sampleId'",
    ],
    [
      'the execution input read inside a fan-out',
      () => planPipeline({}, { qc: { parameters: { sampleId: '$$.Execution.Input.sampleId' } } }),
      "Test/Pipeline: steps['qc'].parameters.sampleId '$$.Execution.Input.sampleId', in fan-out 'samples' is not allowed; allowed: item paths ('$.item.<field>'): in a Distributed Map each item runs as a child execution whose input is the item, not the workflow's. Fix: put the value in each item and read '$.item.sampleId', or give the job a default for it",
    ],
    [
      'an item path outside a fan-out',
      () => planPipeline({}, { aggregate: { environment: { LAB: '$.item.lab' } } }),
      "Test/Pipeline: steps['aggregate'].environment.LAB '$.item.lab', in step 'aggregate', which is not part of a fan-out is not allowed; allowed: paths of the execution input outside a fan-out. Fix: read it from the input, e.g. '$$.Execution.Input.lab', or set forEach",
    ],
    [
      'a context path that is not there while a task runs',
      () => planPipeline({}, { qc: { parameters: { sampleId: '$$.Map.Item.Value' } } }),
      "Test/Pipeline: steps['qc'].parameters.sampleId '$$.Map.Item.Value' is not allowed; allowed: a field of the execution input ('$$.Execution.Input.<field>', outside fan-outs) or one of $$.Execution.Id, $$.Execution.Name, $$.Execution.StartTime, $$.Execution.RoleArn, $$.StateMachine.Id, $$.StateMachine.Name, $$.State.Name, $$.State.EnteredTime, $$.State.RetryCount. Fix: read the item, e.g. '$.item.Value'",
    ],
    [
      'the whole execution input as a string',
      () => planPipeline({}, { aggregate: { environment: { INPUT: '$$.Execution.Input' } } }),
      "Test/Pipeline: steps['aggregate'].environment.INPUT '$$.Execution.Input' is not allowed; allowed: a field of the execution input ('$$.Execution.Input.<field>', outside fan-outs) or one of $$.Execution.Id, $$.Execution.Name, $$.Execution.StartTime, $$.Execution.RoleArn, $$.StateMachine.Id, $$.StateMachine.Name, $$.State.Name, $$.State.EnteredTime, $$.State.RetryCount. Fix: read an input field, e.g. '$$.Execution.Input.reference'",
    ],
    [
      'a path with a filter, which no check can test',
      () => planPipeline({}, { qc: { parameters: { sampleId: '$.item.ids[?(@.main)]' } } }),
      "Test/Pipeline: steps['qc'].parameters.sampleId '$.item.ids[?(@.main)]' is not allowed; allowed: a reference path of field names and indexes, e.g. '$.item.lab' or '$.item.files[0]' (no filters, wildcards or quoted names). Fix: name the field directly, e.g. '$.item.lab'",
    ],
  ];

  test.each(bad)('%s', (_name, build, message) => {
    const error = errorOf(build);
    expect(error).toBeInstanceOf(BatchPipelinesValidationError);
    expect(error.message).toBe(message);
  });
});
