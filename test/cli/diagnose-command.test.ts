import {
  BatchClient,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { AccessDeniedException, GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import { diagnoseCommand } from '../../lib/cli/diagnose-command';
import { CommandIO } from '../../lib/cli/io';
import { mockedPipelineClient } from '../support/clients';

const batchMock = mockClient(BatchClient);
const quotasMock = mockClient(ServiceQuotasClient);

function io() {
  const out: string[] = [];
  const value: CommandIO = {
    out: (s) => out.push(s),
    err: (s) => out.push(`ERR ${s}`),
    status: () => {},
    isTTY: false,
  };
  return { io: value, out };
}

const SPOT_QUOTA = 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests';

beforeEach(() => {
  batchMock.reset();
  quotasMock.reset();
  batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
  // The fields diagnose reads of a JobQueueDetail and a ComputeEnvironmentDetail
  // (https://docs.aws.amazon.com/batch/latest/APIReference/API_JobQueueDetail.html,
  // https://docs.aws.amazon.com/batch/latest/APIReference/API_ComputeEnvironmentDetail.html).
  batchMock.on(DescribeJobQueuesCommand).resolves({
    jobQueues: [
      {
        jobQueueName: 'standard',
        jobQueueArn: 'arn:aws:batch:us-east-1:123456789012:job-queue/standard',
        state: 'ENABLED',
        priority: 10,
        computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'spot' }],
      },
    ],
  });
  batchMock.on(DescribeComputeEnvironmentsCommand).resolves({
    computeEnvironments: [
      {
        computeEnvironmentName: 'spot',
        computeEnvironmentArn: 'arn:aws:batch:us-east-1:123456789012:compute-environment/spot',
        status: 'VALID',
        computeResources: { type: 'SPOT', maxvCpus: 256, instanceTypes: ['r6i.xlarge'], subnets: [] },
      },
    ],
  });
});

describe('diagnose reports the account quotas the queue draws on', () => {
  test('a binding quota is named with its code and the fix, after the stuck jobs (none here: exit 0)', async () => {
    // The ServiceQuota structure of GetServiceQuota's response
    // (https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html), value 5: the
    // default of a new account (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-spot-limits.html).
    quotasMock.on(GetServiceQuotaCommand).resolves({
      Quota: { ServiceCode: 'ec2', QuotaCode: 'L-34B43A08', QuotaName: SPOT_QUOTA, Value: 5, Unit: 'None' },
    });
    const t = io();
    expect(await diagnoseCommand(['--queue', 'standard'], t.io, mockedPipelineClient)).toBe(0);
    expect(t.out[0]).toBe('no job RUNNABLE for more than 30 minutes on standard');
    expect(t.out[1]).toBe('EC2 vCPU quotas in us-east-1:');
    expect(t.out[2]).toBe(`L-34B43A08 ${SPOT_QUOTA}: 5 vCPUs for 256 maxvCpus (spot): BINDS`);
    expect(t.out[3]).toMatch(/^ {2}→ .*is 5 vCPUs in us-east-1, below the 256 maxvCpus of compute environment spot/);
    expect(t.out[3]).toContain('--quota-code L-34B43A08 --desired-value 256 --region us-east-1');
    expect(t.out).toHaveLength(4);
  });

  test('--json holds the stuck jobs and the quotas', async () => {
    // GetServiceQuota's ServiceQuota, as in the test above (API_GetServiceQuota.html), with a raised value.
    quotasMock.on(GetServiceQuotaCommand).resolves({
      Quota: { ServiceCode: 'ec2', QuotaCode: 'L-34B43A08', QuotaName: SPOT_QUOTA, Value: 512, Unit: 'None' },
    });
    const t = io();
    expect(await diagnoseCommand(['--queue', 'standard', '--json'], t.io, mockedPipelineClient)).toBe(0);
    const json = JSON.parse(t.out.join('\n'));
    expect(json.stuckJobs).toEqual([]);
    expect(json.quotas.findings).toMatchObject([{ quotaCode: 'L-34B43A08', quotaVcpus: 512, binding: false }]);
  });

  test('without permission to read quotas, diagnose still succeeds and says what to check', async () => {
    // AccessDeniedException (HTTP 400), "You do not have sufficient permission to perform this action.", as the
    // Service Quotas API reference lists it under GetServiceQuota's errors
    // (https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html#API_GetServiceQuota_Errors).
    quotasMock.on(GetServiceQuotaCommand).rejects(
      new AccessDeniedException({
        message: 'You do not have sufficient permission to perform this action.',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const t = io();
    expect(await diagnoseCommand(['--queue', 'standard'], t.io, mockedPipelineClient)).toBe(0);
    expect(t.out[2]).toBe(`L-34B43A08 ${SPOT_QUOTA}: not read for 256 maxvCpus (spot): unknown`);
    expect(t.out[4]).toMatch(/^ {2}note: Could not read the account's EC2 vCPU quotas \(AccessDeniedException: /);
  });
});
