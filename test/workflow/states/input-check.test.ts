import { Size } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Job, JobQueue, Workflow, WorkflowStep } from '../../../lib';
import { aslOf } from '../../support/asl';
import { capacities } from '../../support/capacity';
import { genomicsPipeline, runLocally } from '../../support/pipeline';
import { stackWithVpc } from '../../support/stacks';

// The run's first state (lib/workflow/states/input-check.ts): what steps outside fan-outs read from the input is
// checked before any job runs.
// A missing path raises States.Runtime, which no Catch handles: it would end the whole run.
// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (d: unknown) => { isValid: boolean; errorsText: () => string };

describe('the input check', () => {
  test('a step outside a fan-out that reads the input: a run without it fails at once, naming what it needs', async () => {
    const { stack, vpc } = stackWithVpc();
    const q = new JobQueue(stack, 'Q', { capacities: [capacities(stack, vpc).onDemand] });
    const job = new Job(stack, 'Merge', {
      queues: [q],
      image: ecs.ContainerImage.fromRegistry('busybox'),
      command: ['merge', 'Ref::reference'],
      vcpus: 1,
      memory: Size.gibibytes(2),
    });
    new Workflow(stack, 'Wf', {
      steps: [new WorkflowStep('merge', { job, environment: { COHORT: '$.cohort.name' } })],
    });
    expect(aslValidator(aslOf(Template.fromStack(stack))).isValid).toBe(true);
    const missing = await runLocally(stack, { reference: 'hg38' });
    expect(missing.calls).toEqual([]);
    expect((missing.error!.cause as Error).name).toBe('Workflow.InvalidInput');
    expect((missing.error!.cause as Error).message).toBe(
      'The execution input lacks or mistypes a value its steps read (they need the string fields reference cohort.name). Start the run with them, e.g. {"reference":"…"}.',
    );
    const ok = await runLocally(stack, { reference: 'hg38', cohort: { name: 'c1' } });
    expect(ok.error).toBeUndefined();
    expect(ok.calls[0].input).toMatchObject({
      Parameters: { reference: 'hg38' },
      ContainerOverrides: { Environment: [{ Name: 'COHORT', Value: 'c1' }] },
    });
  });

  test('paths the workflow writes itself (a fan-out summary) are not demanded of the input', () => {
    const p = genomicsPipeline({}, { aggregate: { environment: { SAMPLES_STATUS: '$.samplesSummary.status' } } });
    expect(aslOf(Template.fromStack(p.stack)).StartAt).toBe('samples: any items?');
  });
});
