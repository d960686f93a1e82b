import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { CapacityPlatform, JobQueue } from '../../lib';
import { quotedCode, typeCheck } from '../support/compiles';

const env = { account: '111111111111', region: 'eu-west-1' };
const arn = 'arn:aws:batch:eu-west-1:111111111111:job-queue/shared';

function uncheckedWarning(platform?: CapacityPlatform): string {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Jobs', { env });
  JobQueue.fromJobQueueArn(stack, 'Shared', arn, { platform });
  const found = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('imported-queue-unchecked'));
  expect(found).toHaveLength(1);
  return String(found[0].entry.data);
}

/** The suggested code, in the stack constructor a user writes it in. */
function inStack(code: string): string {
  return [
    "import { Stack } from 'aws-cdk-lib';",
    "import * as ec2 from 'aws-cdk-lib/aws-ec2';",
    "import { Ec2Capacity, FargateCapacity, JobQueue, PurchaseOption } from 'cdk-batch-pipelines';",
    'export class Shared extends Stack {',
    '  constructor(queueArn: string, computeEnvironmentArn: string) {',
    '    super();',
    `    ${code};`,
    '  }',
    '}',
  ].join('\n');
}

describe('an imported queue without its capacities', () => {
  const ec2Warning = uncheckedWarning();
  const fargateWarning = uncheckedWarning(CapacityPlatform.FARGATE);

  test('warns that its jobs are not checked, and shows the code that declares the capacities', () => {
    expect(ec2Warning).toBe(
      'Jobs/Shared: jobs bound to imported queue shared are not checked against its instance types, which this app ' +
        'cannot see: a job too big for all of them would wait in RUNNABLE. Declare them with the compute ' +
        "environment's own values (aws batch describe-compute-environments shows them): `JobQueue.fromJobQueueArn(" +
        "this, 'Shared', queueArn, { capacities: [Ec2Capacity.fromComputeEnvironmentArn(this, 'Capacity', " +
        "computeEnvironmentArn, { purchaseOption: PurchaseOption.SPOT, instanceTypes: [new ec2.InstanceType('r6i')], " +
        'maxvCpus: 256 })] })`, or acknowledge this warning. [ack: cdk-batch-pipelines:imported-queue-unchecked]',
    );
    expect(quotedCode(fargateWarning)).toContain(
      "FargateCapacity.fromComputeEnvironmentArn(this, 'Capacity', computeEnvironmentArn, " +
        '{ purchaseOption: PurchaseOption.SPOT, maxvCpus: 256 })',
    );
  });

  test('the suggested code compiles (the one it replaced, without maxvCpus, did not)', () => {
    const diagnostics = typeCheck({
      ec2: inStack(quotedCode(ec2Warning)),
      fargate: inStack(quotedCode(fargateWarning)),
      before: inStack(
        "JobQueue.fromJobQueueArn(this, 'Shared', queueArn, { capacities: [Ec2Capacity.fromComputeEnvironmentArn(" +
          "this, 'Capacity', computeEnvironmentArn, { purchaseOption: PurchaseOption.SPOT, instanceTypes: [] })] })",
      ),
    });
    expect(diagnostics.ec2).toEqual([]);
    expect(diagnostics.fargate).toEqual([]);
    expect(diagnostics.before).toEqual([expect.stringMatching(/Property 'maxvCpus' is missing/)]);
  });
});
