import { BatchClient, DescribeComputeEnvironmentsCommand, DescribeJobQueuesCommand } from '@aws-sdk/client-batch';
import {
  AccessDeniedException,
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  NoSuchResourceException,
  ServiceQuota,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import { PipelineClient } from '../../lib';
import { allQuotaGroups, quotaGroupOf } from '../../lib/client/ec2-quotas';

const batchMock = mockClient(BatchClient);
const quotasMock = mockClient(ServiceQuotasClient);

function client(): PipelineClient {
  return new PipelineClient({
    batch: new BatchClient({ region: 'us-east-1' }),
    serviceQuotas: new ServiceQuotasClient({ region: 'us-east-1' }),
    sleep: async () => undefined,
  });
}

/**
 * A Service Quotas answer for an EC2 vCPU quota, shaped as the AWS CLI's documented output of
 * `aws service-quotas get-aws-default-service-quota --service-code ec2 --quota-code L-1216C47A`
 * (https://docs.aws.amazon.com/cli/latest/userguide/cli_service-quotas_code_examples.html; the ServiceQuota structure
 * of GetServiceQuota's response, https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html),
 * with this test's code, name and value.
 */
function quota(code: string, name: string, value: number): { Quota: ServiceQuota } {
  return {
    Quota: {
      ServiceCode: 'ec2',
      ServiceName: 'Amazon Elastic Compute Cloud (Amazon EC2)',
      QuotaArn: `arn:aws:servicequotas:us-east-1:123456789012:ec2/${code}`,
      QuotaCode: code,
      QuotaName: name,
      Value: value,
      Unit: 'None',
      Adjustable: true,
      GlobalQuota: false,
    },
  };
}

/**
 * A queue over compute environments, as DescribeJobQueues and DescribeComputeEnvironments describe them (the fields of
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_JobQueueDetail.html and
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeEnvironmentDetail.html that diagnose reads).
 */
function queueOf(envs: Array<{ name: string; type: string; maxvCpus: number; instanceTypes?: string[] }>) {
  batchMock.on(DescribeJobQueuesCommand, { jobQueues: ['standard'] }).resolves({
    jobQueues: [
      {
        jobQueueName: 'standard',
        jobQueueArn: 'arn:aws:batch:us-east-1:123456789012:job-queue/standard',
        state: 'ENABLED',
        priority: 10,
        computeEnvironmentOrder: envs.map((e, i) => ({ order: i + 1, computeEnvironment: e.name })),
      },
    ],
  });
  batchMock.on(DescribeComputeEnvironmentsCommand).resolves({
    computeEnvironments: envs.map((e) => ({
      computeEnvironmentName: e.name,
      computeEnvironmentArn: `arn:aws:batch:us-east-1:123456789012:compute-environment/${e.name}`,
      status: 'VALID',
      computeResources: { type: e.type as 'SPOT', maxvCpus: e.maxvCpus, instanceTypes: e.instanceTypes, subnets: [] },
    })),
  });
}

const STANDARD_SPOT = 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests';
const STANDARD_ON_DEMAND = 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances';

beforeEach(() => {
  batchMock.reset();
  quotasMock.reset();
});

describe('diagnose: the account quotas the queue draws on', () => {
  test('a new account’s 5-vCPU Spot quota binds a 256-vCPU Spot environment; the On-Demand quota is enough', async () => {
    queueOf([
      { name: 'spot', type: 'SPOT', maxvCpus: 256, instanceTypes: ['r6i.xlarge', 'r6i.2xlarge'] },
      { name: 'on-demand', type: 'EC2', maxvCpus: 256, instanceTypes: ['r6i.xlarge', 'r6i.2xlarge'] },
    ]);
    quotasMock
      .on(GetServiceQuotaCommand, { ServiceCode: 'ec2', QuotaCode: 'L-34B43A08' })
      .resolves(quota('L-34B43A08', STANDARD_SPOT, 5))
      .on(GetServiceQuotaCommand, { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' })
      .resolves(quota('L-1216C47A', STANDARD_ON_DEMAND, 1152));
    const q = await client().accountQuotas('standard');
    expect(q.region).toBe('us-east-1');
    expect(q.notes).toEqual([]);
    expect(q.findings.map((f) => [f.quotaCode, f.purchase, f.quotaVcpus, f.maxvCpus, f.binding, f.blocking])).toEqual([
      ['L-34B43A08', 'Spot', 5, 256, true, false],
      ['L-1216C47A', 'On-Demand', 1152, 256, false, false],
    ]);
    expect(q.findings[0].diagnosis).toBe(
      `${STANDARD_SPOT} (L-34B43A08) is 5 vCPUs in us-east-1, below the 256 maxvCpus of compute environment spot: at ` +
        'most 5 vCPUs of Spot instances run at once, and jobs beyond them wait in RUNNABLE with a reason that does ' +
        'not name the quota. Raise it to 256: ' +
        'https://us-east-1.console.aws.amazon.com/servicequotas/home/services/ec2/quotas/L-34B43A08 or ' +
        '`aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-34B43A08 ' +
        '--desired-value 256 --region us-east-1`. The quota is shared by every Spot instance of its group in the ' +
        'account and Region.',
    );
    expect(q.findings[1].diagnosis).toBe(
      `${STANDARD_ON_DEMAND} (L-1216C47A) is 1152 vCPUs in us-east-1: enough for the 256 maxvCpus of compute ` +
        'environment on-demand.',
    );
  });

  test('a GPU Spot quota of 0 (a new account’s) blocks the queue: not one instance starts', async () => {
    queueOf([{ name: 'gpu-spot', type: 'SPOT', maxvCpus: 64, instanceTypes: ['g5.xlarge', 'g5.2xlarge'] }]);
    quotasMock
      .on(GetServiceQuotaCommand, { ServiceCode: 'ec2', QuotaCode: 'L-3819A6DF' })
      .resolves(quota('L-3819A6DF', 'All G and VT Spot Instance Requests', 0));
    const [f] = (await client().accountQuotas('standard')).findings;
    expect(f).toMatchObject({ quotaCode: 'L-3819A6DF', binding: true, blocking: true, newAccountDefault: 0 });
    expect(f.diagnosis).toMatch(
      /^All G and VT Spot Instance Requests \(L-3819A6DF\) is 0 vCPUs in us-east-1: not one g5\.xlarge \(4 vCPUs\) can start, so jobs on compute environment gpu-spot wait in RUNNABLE and Batch's reason does not name the quota\. Raise it to 64: /,
    );
  });

  test('environments of one purchase option on one quota add up their maxvCpus', async () => {
    queueOf([
      { name: 'a', type: 'EC2', maxvCpus: 100, instanceTypes: ['optimal'] },
      { name: 'b', type: 'EC2', maxvCpus: 50, instanceTypes: ['c7i'] },
    ]);
    quotasMock.on(GetServiceQuotaCommand).resolves(quota('L-1216C47A', STANDARD_ON_DEMAND, 128));
    const [f] = (await client().accountQuotas('standard')).findings;
    expect(f).toMatchObject({ computeEnvironments: ['a', 'b'], maxvCpus: 150, quotaVcpus: 128, binding: true });
  });

  // Errors as the Service Quotas API reference lists them for GetServiceQuota (the SDK's exception classes; message
  // text from the API model: "You do not have sufficient permission to perform this action.").
  test('AccessDenied is a note, not a failure: the quotas are listed with their codes, unread, after one call', async () => {
    queueOf([
      { name: 'spot', type: 'SPOT', maxvCpus: 256, instanceTypes: ['m6i.large'] },
      { name: 'on-demand', type: 'EC2', maxvCpus: 256, instanceTypes: ['m6i.large'] },
    ]);
    quotasMock.on(GetServiceQuotaCommand).rejects(
      new AccessDeniedException({
        message: 'You do not have sufficient permission to perform this action.',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const q = await client().accountQuotas('standard');
    expect(quotasMock.calls()).toHaveLength(1);
    expect(q.findings.map((f) => [f.quotaCode, f.quotaVcpus, f.binding])).toEqual([
      ['L-34B43A08', undefined, false],
      ['L-1216C47A', undefined, false],
    ]);
    expect(q.notes).toEqual([
      "Could not read the account's EC2 vCPU quotas (AccessDeniedException: You do not have sufficient permission to " +
        'perform this action.): allow servicequotas:GetServiceQuota and servicequotas:GetAWSDefaultServiceQuota to ' +
        'check them here, or compare them in the Service Quotas console: ' +
        'https://us-east-1.console.aws.amazon.com/servicequotas/home/services/ec2/quotas/L-34B43A08. A new account ' +
        `starts with 5 vCPUs of ${STANDARD_SPOT}.`,
    ]);
    expect(q.findings[1].diagnosis).toMatch(
      /^Running On-Demand Standard \(A, C, D, H, I, M, R, T, Z\) instances \(L-1216C47A\) was not read; compute environment on-demand may ask for 256 vCPUs, and a new account starts with 5\. Raise it to 256: /,
    );
  });

  test('an applied value that is not available falls back to AWS’s default, said so', async () => {
    queueOf([{ name: 'on-demand', type: 'EC2', maxvCpus: 16, instanceTypes: ['r6i.xlarge'] }]);
    quotasMock
      .on(GetServiceQuotaCommand)
      .rejects(new NoSuchResourceException({ message: 'The specified resource does not exist.', $metadata: {} }))
      .on(GetAWSDefaultServiceQuotaCommand, { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' })
      .resolves(quota('L-1216C47A', STANDARD_ON_DEMAND, 5));
    const [f] = (await client().accountQuotas('standard')).findings;
    expect(f).toMatchObject({ quotaVcpus: 5, isDefault: true, binding: true, blocking: false });
    expect(f.diagnosis).toContain("is 5 vCPUs (AWS's default; the applied value was not available) in us-east-1");
  });

  test('Fargate environments are noted as not checked, and make no quota call', async () => {
    queueOf([{ name: 'fargate', type: 'FARGATE', maxvCpus: 64 }]);
    const q = await client().accountQuotas('standard');
    expect(q.findings).toEqual([]);
    expect(q.notes).toEqual([
      'fargate is Fargate: its vCPU quota (Service Quotas, service fargate) is not checked here.',
    ]);
    expect(quotasMock.calls()).toHaveLength(0);
  });
});

// The groups of AWS's On-Demand and Spot quota tables (ec2-on-demand-instances.html#ec2-on-demand-instances-limits,
// using-spot-limits.html): family letters to quota codes.
describe('the quota an instance type draws on', () => {
  test.each([
    ['r6i.xlarge', 'L-1216C47A', 'L-34B43A08'],
    ['optimal', 'L-1216C47A', 'L-34B43A08'],
    ['default_arm64', 'L-1216C47A', 'L-34B43A08'],
    ['c7gn', 'L-1216C47A', 'L-34B43A08'],
    ['i4i.large', 'L-1216C47A', 'L-34B43A08'],
    ['z1d.large', 'L-1216C47A', 'L-34B43A08'],
    ['g5.xlarge', 'L-DB2E81BA', 'L-3819A6DF'],
    ['gr6.4xlarge', 'L-DB2E81BA', 'L-3819A6DF'],
    ['vt1.3xlarge', 'L-DB2E81BA', 'L-3819A6DF'],
    ['p4d.24xlarge', 'L-417A185B', 'L-7212CCBC'],
    // Spot splits P5 from P2-P4 (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-spot-limits.html).
    ['p5.48xlarge', 'L-417A185B', 'L-C4BD4855'],
    ['p5en.48xlarge', 'L-417A185B', 'L-C4BD4855'],
    ['p3.2xlarge', 'L-417A185B', 'L-7212CCBC'],
    ['x2iedn.xlarge', 'L-7295265B', 'L-E3A00192'],
    ['f1.2xlarge', 'L-74FC7D96', 'L-88CF9481'],
    ['inf2.xlarge', 'L-1945791B', 'L-B5D1601B'],
    ['trn1.2xlarge', 'L-2C3B7624', 'L-6B0D517C'],
    ['dl1.24xlarge', 'L-6E869C2A', 'L-85EED4F7'],
    ['hpc7g.4xlarge', 'L-F7808C92', undefined],
    ['u-6tb1.metal', 'L-43DA4232', undefined],
  ])('%s: On-Demand %s, Spot %s', (type, onDemand, spot) => {
    const g = quotaGroupOf(type)!;
    expect(g.onDemand.code).toBe(onDemand);
    expect(g.spot?.code).toBe(spot);
  });

  test('a new account starts with 5 Standard vCPUs of each kind and 0 of every other group', () => {
    expect(allQuotaGroups().map((g) => [g.group, g.onDemand.newAccountDefault, g.spot?.newAccountDefault])).toEqual([
      ['Standard (A, C, D, H, I, M, R, T, Z)', 5, 5],
      ['G and VT', 0, 0],
      ['P', 0, 0],
      ['X', 0, 0],
      ['F', 0, 0],
      ['Inf', 0, 0],
      ['Trn', 0, 0],
      ['DL', 0, 0],
      ['HPC', 0, undefined],
      ['High Memory', 0, undefined],
      ['P5', 0, 0],
    ]);
  });
});
