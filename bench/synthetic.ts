// One synthetic pipeline, synthesized in this process as `cdk synth` would (path metadata on); prints its size metrics
// as JSON.
//   npx tsx bench/synthetic.ts --steps 400 [--escalation] [--shared-role]
//   npx tsx bench/synthetic.ts --steps 3 --items 10000 [--s3]
import { parseArgs } from 'util';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Ec2Capacity, FanOut, Job, JobQueue, PurchaseOption, SharedJobResources, Workflow, WorkflowStep } from '../lib';

const { values } = parseArgs({
  options: {
    steps: { type: 'string' },
    items: { type: 'string' },
    escalation: { type: 'boolean' },
    s3: { type: 'boolean' },
    'shared-role': { type: 'boolean' },
  },
});
const steps = Number(values.steps ?? 4);
const items = values.items ? Number(values.items) : undefined;

const started = Date.now();
const app = new App({
  builtinCloudFormationValidation: false,
  // What the CDK CLI adds to every resource by default; it counts towards the template size.
  context: { 'aws:cdk:enable-path-metadata': true },
});
const stack = new Stack(app, 'Synthetic');
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
const spot = new Ec2Capacity(stack, 'Spot', { vpc });
const onDemand = new Ec2Capacity(stack, 'OnDemand', { vpc, purchaseOption: PurchaseOption.ON_DEMAND });
const standard = JobQueue.spotFirst(stack, 'Standard', spot, onDemand);
const urgent = new JobQueue(stack, 'Urgent', { capacities: [onDemand] });
const data = values.s3 ? new s3.Bucket(stack, 'Data') : undefined;
const fanOut =
  items !== undefined
    ? new FanOut('samples', {
        idField: 'sampleId',
        itemFields: ['sampleId'],
        expectedItems: items,
        manifest: data ? { bucket: data } : undefined,
        results: data ? { bucket: data } : undefined,
      })
    : undefined;
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
      // Each job runs as a role of its own unless the jobs share one (one resource less a job).
      jobRole: values['shared-role'] ? SharedJobResources.of(stack).jobRole : undefined,
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
  const template = JSON.stringify(app.synth().getStackByName('Synthetic').template, undefined, 1);
  result = {
    ok: true,
    resources: Object.keys(JSON.parse(template).Resources).length,
    templateBytes: Buffer.byteLength(template),
    definitionBytes: workflow.estimatedDefinitionChars(),
    eventsPerItem: fanOut ? workflow.estimatedEventsPerItem(fanOut) : undefined,
    mode: fanOut ? workflow.fanOutMode(fanOut) : undefined,
  };
} catch (e) {
  result = { ok: false, error: (e as Error).message.split('\n').slice(-1)[0].slice(0, 400) };
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
