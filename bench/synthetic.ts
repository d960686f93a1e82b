// One synthetic pipeline, synthesized in this process; prints its size metrics as JSON.
//   npx tsx bench/synthetic.ts --steps 400 [--escalation]
//   npx tsx bench/synthetic.ts --items 10000
import { parseArgs } from 'util';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Ec2Capacity, FanOut, Job, JobQueue, PurchaseOption, Workflow, WorkflowStep } from '../lib';

const { values } = parseArgs({
  options: { steps: { type: 'string' }, items: { type: 'string' }, escalation: { type: 'boolean' } },
});
const steps = Number(values.steps ?? 4);
const items = values.items ? Number(values.items) : undefined;

const started = Date.now();
const app = new App({ builtinCloudFormationValidation: false });
const stack = new Stack(app, 'Synthetic');
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
const spot = new Ec2Capacity(stack, 'Spot', { vpc });
const onDemand = new Ec2Capacity(stack, 'OnDemand', { vpc, purchaseOption: PurchaseOption.ON_DEMAND });
const standard = JobQueue.spotFirst(stack, 'Standard', spot, onDemand);
const urgent = new JobQueue(stack, 'Urgent', { capacities: [onDemand] });
const fanOut = items !== undefined ? new FanOut('samples', { expectedItems: items }) : undefined;
const chain: WorkflowStep[] = [];
let result: Record<string, unknown>;
try {
  for (let i = 0; i < steps; i++) {
    const job = new Job(stack, `Job${i}`, {
      queues: [standard, urgent],
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36'),
      command: ['run', 'Ref::sampleId'],
      vcpus: 4,
      memory: Size.gibibytes(15),
      timeout: Duration.hours(values.escalation ? 4 : 1),
      checkpointing: true,
    });
    chain.push(
      new WorkflowStep(`step${i}`, {
        job,
        forEach: fanOut,
        dependsOn: chain.length ? [chain[chain.length - 1]] : [],
        parameters: fanOut ? undefined : { sampleId: '$$.Execution.Input.sampleId' },
        memoryEscalation: values.escalation ? undefined : false,
        spotEscalation: values.escalation ? undefined : false,
      }),
    );
  }
  const workflow = new Workflow(stack, 'Workflow', { steps: chain });
  const definition = JSON.stringify(
    stack.resolve(
      (workflow.stateMachine.node.defaultChild as { definitionString?: unknown } as never)['definitionString'],
    ),
  );
  const template = JSON.stringify(app.synth().getStackByName('Synthetic').template, undefined, 1);
  result = {
    ok: true,
    resources: Object.keys(JSON.parse(template).Resources).length,
    templateBytes: Buffer.byteLength(template),
    definitionBytes: Buffer.byteLength(definition),
    eventsPerItem: fanOut ? workflow.estimatedEventsPerItem(fanOut) : undefined,
    mode: fanOut ? workflow.fanOutMode(fanOut) : undefined,
  };
} catch (e) {
  result = { ok: false, error: (e as Error).message.split('\n').slice(-1)[0].slice(0, 300) };
}
console.log(
  JSON.stringify({
    steps,
    items,
    escalation: Boolean(values.escalation),
    inProcessMs: Date.now() - started,
    ...result,
  }),
);
