import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  BatchClient,
  DescribeComputeEnvironmentsCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  JobDetail,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { CloudFormationClient, ListStackResourcesCommand, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Moto } from './moto';
import { runCliAsync } from '../test/support/cli';

/**
 * `cdk bootstrap` and `cdk deploy` of both examples to moto, as a user deploys them; then what CloudFormation created
 * is compared with the templates, the genomics workflow runs over manifests in the deployed input bucket (once with
 * every Spot job reclaimed), and the thumbnails stack takes an array job from the CLI.
 */
const moto = new Moto();
const summary: string[] = [];
/** Command lines and their real output, for docs/running-work.md. */
const transcript: string[] = [];
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const clients: Array<{ destroy(): void }> = [];
let env: Record<string, string>;
let batch: BatchClient;
let sfn: SFNClient;
let s3: S3Client;
let cfn: CloudFormationClient;
let dir: string;

/** A resource's properties, read as the synthesized template gives them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON, compared field by field below
type Properties = Record<string, any>;

interface Deployed {
  template: { Resources: Record<string, { Type: string; Properties: Properties }> };
  outputs: Record<string, string>;
  /** Physical id by logical id, as ListStackResources gives them. */
  physical: Record<string, string>;
  resources: StackResourceSummary[];
}
const stacks: Record<string, Deployed> = {};

/** Deploys a stack as a user does and reads back what CloudFormation made of it. */
async function deploy(stackName: string, app?: string): Promise<Deployed> {
  const { template, outputs, log } = await moto.deploy(stackName, dir, app);
  expect(log).toContain(`✅  ${stackName}`);
  const resources: StackResourceSummary[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
    resources.push(...(page.StackResourceSummaries ?? []));
    token = page.NextToken;
  } while (token);
  const deployed: Deployed = {
    template: template as Deployed['template'],
    outputs,
    physical: Object.fromEntries(resources.map((r) => [r.LogicalResourceId!, r.PhysicalResourceId!])),
    resources,
  };
  stacks[stackName] = deployed;
  summary.push(
    `deployed ${stackName}: ${resources.length} resources (${Object.entries(
      count(resources.map((r) => r.ResourceType!)),
    )
      .filter(([type]) => /Batch|StepFunctions|S3::Bucket$/.test(type))
      .map(([type, n]) => `${n} ${type.replace('AWS::', '')}`)
      .join(', ')}, …)`,
  );
  return deployed;
}

function count(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  values.forEach((v) => (counts[v] = (counts[v] ?? 0) + 1));
  return counts;
}

function ofType(stack: Deployed, type: string): string[] {
  return Object.entries(stack.template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
}

/** The logical id a `Ref` or `Fn::GetAtt` in the template points at. */
function target(ref: unknown): string {
  const r = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return r.Ref ?? r['Fn::GetAtt']![0];
}

async function cli(args: string[]) {
  const result = await runCliAsync([...args, '--endpoint', moto.endpoint], env);
  summary.push(`batch-pipelines ${args.join(' ')} -> exit ${result.code}`);
  return result;
}

/** Follows an execution to its end, as `watch` will (issue 18); returns its description. */
async function follow(executionArn: string) {
  let execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  for (let i = 0; i < 120 && execution.status === 'RUNNING'; i++) {
    await new Promise((r) => setTimeout(r, 500));
    execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  }
  summary.push(`execution ${execution.name}: ${execution.status}${execution.error ? ` (${execution.error})` : ''}`);
  return execution;
}

/** Every job of a run on a queue (the run's jobs are named `<run>-…`), described. */
async function jobsOf(queue: string, run: string): Promise<JobDetail[]> {
  const ids: string[] = [];
  for (const jobStatus of ['SUCCEEDED', 'FAILED'] as const) {
    const listed = await batch.send(new ListJobsCommand({ jobQueue: queue, jobStatus }));
    ids.push(...(listed.jobSummaryList ?? []).filter((j) => j.jobName!.startsWith(`${run}-`)).map((j) => j.jobId!));
  }
  return ids.length ? ((await batch.send(new DescribeJobsCommand({ jobs: ids }))).jobs ?? []) : [];
}

/** `batch-pipelines start` over a manifest in the deployed input bucket, with JSON output. */
function startArgs(key: string): string[] {
  const { outputs } = stacks.GenomicsPipeline;
  return [
    'start',
    '--state-machine-arn',
    outputs.WorkflowStateMachineArn,
    '--bucket',
    outputs.InputBucket,
    '--key',
    key,
    '--json',
  ];
}

/** Uploads a manifest of samples to the deployed input bucket, and each sample's reads (its input object). */
async function upload(key: string, sampleIds: string[]) {
  const genomics = stacks.GenomicsPipeline;
  for (const sampleId of sampleIds) {
    await s3.send(
      new PutObjectCommand({
        Bucket: genomics.outputs.InputBucket,
        Key: `samples/${sampleId}.fastq.gz`,
        Body: `@${sampleId}\nACGT\n+\nIIII\n`,
      }),
    );
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: genomics.outputs.InputBucket,
      Key: key,
      Body: JSON.stringify(
        sampleIds.map((sampleId) => ({
          sampleId,
          inputUri: `s3://${genomics.outputs.InputBucket}/samples/${sampleId}.fastq.gz`,
          outputUri: `s3://${genomics.outputs.ResultsBucket}/aligned/${sampleId}/`,
        })),
      ),
    }),
  );
}

beforeAll(async () => {
  await moto.start();
  env = moto.awsEnv();
  const config = { endpoint: moto.endpoint, region: 'us-east-1', credentials };
  batch = new BatchClient(config);
  sfn = new SFNClient(config);
  s3 = new S3Client({ ...config, forcePathStyle: true });
  cfn = new CloudFormationClient(config);
  clients.push(batch, sfn, s3, cfn);
  dir = mkdtempSync(join(tmpdir(), 'e2e-deploy-'));
  // Batch without Docker; Step Functions really executing what CloudFormation creates.
  await moto.api('config', { batch: { use_docker: false }, stepfunctions: { execute_state_machine: true } });
  await deploy('GenomicsPipeline');
  await deploy('Thumbnails', 'npx tsx bin/thumbnails.ts');
}, 180_000);

afterAll(async () => {
  clients.forEach((c) => c.destroy());
  await moto.stop();
  process.stdout.write(`\nmoto cdk deploy (${moto.endpoint}):\n${summary.map((l) => `  ${l}`).join('\n')}\n`);
  process.stdout.write(`\ntranscript:\n${transcript.join('\n')}\n`);
});

describe('cdk deploy to moto', () => {
  test('every resource moto implements is created; the rest are only the types moto skips', () => {
    expect(Object.keys(stacks)).toEqual(['GenomicsPipeline', 'Thumbnails']);
    // moto 5.2.1 has no CloudFormation model for these (it skips them and reports the stack complete): alarms and
    // metric filters, bucket, topic and queue policies, and the CDK's own metadata.
    const skipped = new Set([
      'AWS::CloudWatch::Alarm',
      'AWS::Logs::MetricFilter',
      'AWS::S3::BucketPolicy',
      'AWS::SNS::TopicPolicy',
      'AWS::SQS::QueuePolicy',
      'AWS::CDK::Metadata',
    ]);
    for (const stack of Object.values(stacks)) {
      const created = new Set(
        stack.resources.filter((r) => r.ResourceStatus === 'CREATE_COMPLETE').map((r) => r.LogicalResourceId),
      );
      const missing = Object.entries(stack.template.Resources)
        .filter(([id]) => !created.has(id))
        .map(([, r]) => r.Type);
      expect([...new Set(missing)].filter((type) => !skipped.has(type))).toEqual([]);
      expect(created.size).toBeGreaterThan(20);
    }
  });

  test('compute environments: type, capacity, instance types, limits and launch template as synthesized', async () => {
    for (const stack of Object.values(stacks)) {
      expect(ofType(stack, 'AWS::Batch::ComputeEnvironment')).toHaveLength(2);
      for (const id of ofType(stack, 'AWS::Batch::ComputeEnvironment')) {
        const expected = stack.template.Resources[id].Properties;
        const [actual] =
          (await batch.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: [stack.physical[id]] })))
            .computeEnvironments ?? [];
        expect(actual).toBeDefined();
        expect(actual.type).toBe(expected.Type.toUpperCase());
        const resources = expected.ComputeResources;
        expect(actual.computeResources).toMatchObject({
          type: resources.Type,
          maxvCpus: resources.MaxvCpus,
          subnets: resources.Subnets.map((s: unknown) => stack.physical[target(s)]),
          ...(resources.InstanceTypes
            ? {
                minvCpus: resources.MinvCpus,
                allocationStrategy: resources.AllocationStrategy,
                instanceTypes: resources.InstanceTypes,
              }
            : {}),
          ...(resources.LaunchTemplate
            ? {
                launchTemplate: { launchTemplateId: stack.physical[target(resources.LaunchTemplate.LaunchTemplateId)] },
              }
            : {}),
        });
      }
    }
  });

  test('job queues: priority and the order of their compute environments as synthesized', async () => {
    for (const stack of Object.values(stacks)) {
      expect(ofType(stack, 'AWS::Batch::JobQueue').length).toBeGreaterThan(0);
      for (const id of ofType(stack, 'AWS::Batch::JobQueue')) {
        const expected = stack.template.Resources[id].Properties;
        const [actual] =
          (await batch.send(new DescribeJobQueuesCommand({ jobQueues: [stack.physical[id]] }))).jobQueues ?? [];
        expect(actual.priority).toBe(expected.Priority);
        expect(actual.state).toBe('ENABLED');
        const order = (actual.computeEnvironmentOrder ?? [])
          .sort((a, b) => a.order! - b.order!)
          .map((e) => e.computeEnvironment);
        expect(order).toEqual(
          expected.ComputeEnvironmentOrder.map((e: { ComputeEnvironment: unknown }) =>
            expect.stringContaining(stack.physical[target(e.ComputeEnvironment)].split('/').pop()!),
          ),
        );
      }
    }
    summary.push(
      `queues: ${Object.values(stacks)
        .flatMap((s) =>
          ofType(s, 'AWS::Batch::JobQueue').map(
            (id) => `${id} priority ${s.template.Resources[id].Properties.Priority}`,
          ),
        )
        .join(', ')}`,
    );
  });

  test('job definitions: resources, retry rules, timeout, platform and roles as synthesized', async () => {
    for (const stack of Object.values(stacks)) {
      expect(ofType(stack, 'AWS::Batch::JobDefinition').length).toBeGreaterThan(0);
      for (const id of ofType(stack, 'AWS::Batch::JobDefinition')) {
        const expected = stack.template.Resources[id].Properties;
        const [actual] =
          (
            await batch.send(
              new DescribeJobDefinitionsCommand({ jobDefinitionName: expected.JobDefinitionName, status: 'ACTIVE' }),
            )
          ).jobDefinitions ?? [];
        expect(actual).toBeDefined();
        const container = expected.ContainerProperties;
        expect(actual.containerProperties).toMatchObject({
          image: container.Image,
          command: container.Command,
          resourceRequirements: container.ResourceRequirements.map((r: { Type: string; Value: string }) => ({
            type: r.Type,
            value: r.Value,
          })),
          jobRoleArn: expect.stringContaining(stack.physical[target(container.JobRoleArn)]),
        });
        // moto stores the retry rules' actions lower-cased (moto/batch/models.py); Batch documents them as RETRY/EXIT.
        expect({
          attempts: actual.retryStrategy?.attempts,
          evaluateOnExit: actual.retryStrategy?.evaluateOnExit?.map((r) => ({ ...r, action: r.action?.toUpperCase() })),
        }).toEqual({
          attempts: expected.RetryStrategy.Attempts,
          evaluateOnExit: expected.RetryStrategy.EvaluateOnExit.map((r: Record<string, string>) => ({
            action: r.Action,
            ...(r.OnStatusReason ? { onStatusReason: r.OnStatusReason } : {}),
            ...(r.OnReason ? { onReason: r.OnReason } : {}),
            ...(r.OnExitCode ? { onExitCode: r.OnExitCode } : {}),
          })),
        });
        expect(actual.timeout?.attemptDurationSeconds).toBe(expected.Timeout.AttemptDurationSeconds);
        expect(actual.platformCapabilities ?? ['EC2']).toEqual(expected.PlatformCapabilities ?? ['EC2']);
        expect(actual.propagateTags).toBe(true);
      }
    }
  });

  test('the workflow state machine holds the synthesized definition, its references pointing at this stack', async () => {
    const stack = stacks.GenomicsPipeline;
    const [id] = ofType(stack, 'AWS::StepFunctions::StateMachine').filter((i) => i.startsWith('Workflow'));
    const { definition } = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: stack.outputs.WorkflowStateMachineArn }),
    );
    // The template's definition with every reference left open: the deployed text must be the same text, and each
    // reference must resolve to the resource of this stack it names.
    const properties = stack.template.Resources[id].Properties;
    const refs: string[] = [];
    const open = (part: unknown): string => {
      if (typeof part === 'string') {
        return part.replace(/\$\{(\w+)\}/g, (_, name: string) => open(properties.DefinitionSubstitutions[name]));
      }
      // A substitution may itself be joined (`arn:` + the partition + `:states:::batch:submitJob.sync`).
      const join = (part as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      if (join) {
        return join[1].map(open).join(join[0]);
      }
      refs.push(target(part));
      return '\u0000';
    };
    const parts: unknown[] = properties.DefinitionString['Fn::Join'][1];
    const pattern = parts
      .map(open)
      .join('')
      .split('\u0000')
      .map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('([^"]*)');
    const match = new RegExp(`^${pattern}$`).exec(definition!);
    expect(match).not.toBeNull();
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1' };
    refs.forEach((ref, i) => {
      const resolved = match![i + 1];
      const physical = pseudo[ref] ?? stack.physical[ref];
      expect({ ref, resolved }).toEqual({ ref, resolved: expect.stringContaining(physical.split('/').pop()!) });
    });
    summary.push(`state machine ${id}: definition as synthesized, ${refs.length} references resolved to this stack`);
  });
});

describe('the deployed workflow, started by batch-pipelines over a manifest in the input bucket', () => {
  test('three samples run through every step; a second start of the same manifest starts nothing', async () => {
    const stack = stacks.GenomicsPipeline;
    await upload('manifests/week-48.json', ['NA12878', 'NA12891', 'NA12892']);
    const args = startArgs('manifests/week-48.json');
    const started = await cli(args);
    expect(started.code).toBe(0);
    const { executionArn } = JSON.parse(started.stdout);
    const execution = await follow(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!).samplesCounts).toMatchObject({ items: 3, succeeded: 3, failed: 0 });

    const run = execution.name!;
    const standard = await jobsOf(stack.outputs.StandardQueue, run);
    expect(standard.map((j) => `${j.jobName} ${j.status}`).sort()).toEqual(
      [0, 1, 2]
        .flatMap((i) => [
          `${run}-align-${i} SUCCEEDED`,
          `${run}-callVariants-${i} SUCCEEDED`,
          `${run}-qc-${i} SUCCEEDED`,
        ])
        .sort(),
    );
    const urgent = await jobsOf(stack.outputs.UrgentQueue, run);
    expect(urgent.map((j) => `${j.jobName} ${j.status}`)).toEqual([`${run}-aggregate SUCCEEDED`]);
    expect(new Set([...standard, ...urgent].map((j) => j.tags?.['batch-pipelines:run']))).toEqual(new Set([run]));

    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ executionArn, alreadyStarted: true });

    // The per-item outcome records in the results bucket agree: nothing failed, nothing to rerun.
    const rerun = await cli(['rerun', '--execution-arn', executionArn, '--dry-run', '--json']);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ failed: [], invalid: [] });
  }, 120_000);

  test('the same week run again under a new name is served from the step cache: only the cohort step submits', async () => {
    const stack = stacks.GenomicsPipeline;
    // week-48.json ran above (every step of three samples recorded its result under cache/ in the results bucket).
    const started = await cli([...startArgs('manifests/week-48.json'), '--name', 'week-48-again']);
    expect(started.code).toBe(0);
    const execution = await follow(JSON.parse(started.stdout).executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    const run = execution.name!;
    const jobs = [
      ...(await jobsOf(stack.outputs.StandardQueue, run)),
      ...(await jobsOf(stack.outputs.UrgentQueue, run)),
    ];
    expect(jobs.map((j) => j.jobName)).toEqual([`${run}-aggregate`]);
    // The records moto's S3 holds: one per step and sample, named by its key.
    const records = await s3.send(new ListObjectsV2Command({ Bucket: stack.outputs.ResultsBucket, Prefix: 'cache/' }));
    expect(records.KeyCount).toBe(9);
    summary.push(`served from the step cache: run ${run} submitted ${jobs.length} job (the cohort step), 9 records`);
  }, 120_000);

  test('a week whose callVariants failed for one sample is resumed from the step cache: only that step runs again', async () => {
    const stack = stacks.GenomicsPipeline;
    await upload('manifests/week-51.json', ['HG00096', 'HG00097', 'HG00099', 'HG00100']);
    await moto.api('config', { batch: { use_docker: false, fail_job_names: ['-callVariants-2'] } });
    let first;
    try {
      first = await follow(JSON.parse((await cli(startArgs('manifests/week-51.json'))).stdout).executionArn);
    } finally {
      await moto.api('config', { batch: { use_docker: false } });
    }
    // 1 of 4 failed: over the 10% policy, so the run failed and its cohort step did not run.
    expect(first.status).toBe('FAILED');
    const rerunArgs = ['rerun', '--execution-arn', first.executionArn!];
    const planned = await cli([...rerunArgs, '--dry-run']);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain('align: 0 to run, 4 cached');
    expect(planned.stdout).toContain('callVariants: 1 to run, 3 cached');
    expect(planned.stdout).toContain('qc: 0 to run, 4 cached');
    const resumed = await cli(rerunArgs);
    expect(resumed.code).toBe(0);
    const execution = await follow(resumed.stdout.match(/arn:aws:states:\S+:execution:\S+/)![0]);
    expect(execution.status).toBe('SUCCEEDED');
    const run = execution.name!;
    const jobs = [
      ...(await jobsOf(stack.outputs.StandardQueue, run)),
      ...(await jobsOf(stack.outputs.UrgentQueue, run)),
    ];
    expect(jobs.map((j) => j.jobName).sort()).toEqual([`${run}-aggregate`, `${run}-callVariants-2`]);
    // watch counts what each step took from the cache (the succeeded items' outcome records in the result files).
    const watched = await cli(['watch', '--execution-arn', execution.executionArn!, '--interval', '1']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toContain('served from the step cache (items): align 4, callVariants 3, qc 4');
    // The run's own summary counts the same hits (a DynamoDB counter row per run and fan-out, read after the map).
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn! }));
    const output = JSON.parse(described.output ?? '{}') as { samplesSummary?: { cached?: string } };
    summary.push(`resumed run's summary: cached ${output.samplesSummary?.cached}`);
    expect(output.samplesSummary?.cached).toBe('align 4, callVariants 3, qc 4');
    // The report of the resumed run: one page, and the same figures as JSON.
    const page = join(dir, 'week-51-resumed.html');
    const report = await cli(['report', '--execution-arn', execution.executionArn!, '--out', page, '--json']);
    expect(report.code).toBe(0);
    const data = JSON.parse(report.stdout) as { steps: Array<{ step: string; cached?: number }> };
    expect(data.steps.map((s) => s.step)).toEqual(expect.arrayContaining(['callVariants', 'aggregate']));
    expect(readFileSync(page, 'utf8')).toContain('<svg');
    // The logs of the failed run's jobs: moto's jobs write no log stream, which logs says per job.
    const logs = await cli(['logs', '--failed', '--execution-arn', first.executionArn!, '--lines', '5']);
    summary.push(`logs --failed of the failed run: exit ${logs.code}`);
    expect(logs.stdout).toContain('callVariants');
    transcript.push(
      `$ batch-pipelines logs --failed --execution-arn ${first.executionArn} --lines 5`,
      logs.stdout.trimEnd(),
    );
    transcript.push(
      `$ batch-pipelines rerun --execution-arn ${first.executionArn} --dry-run`,
      planned.stdout.trimEnd(),
    );
    transcript.push(`$ batch-pipelines rerun --execution-arn ${first.executionArn}`, resumed.stdout.trimEnd());
    summary.push(`resumed from the step cache: run ${run} submitted ${jobs.length} jobs (callVariants-2, aggregate)`);
  }, 180_000);

  test('a malformed manifest line fails only its item, with a reason; rerun --dry-run lists it to fix, not to rerun', async () => {
    const stack = stacks.GenomicsPipeline;
    // The fourth line lost its sampleId and outputUri (a hand-edited manifest).
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.outputs.InputBucket,
        Key: 'manifests/week-50.json',
        Body: JSON.stringify([
          ...['NA20502', 'NA20503', 'NA20504'].map((sampleId) => ({
            sampleId,
            inputUri: `s3://${stack.outputs.InputBucket}/samples/${sampleId}.fastq.gz`,
            outputUri: `s3://${stack.outputs.ResultsBucket}/aligned/${sampleId}/`,
          })),
          { inputUri: `s3://${stack.outputs.InputBucket}/samples/NA20505.fastq.gz` },
        ]),
      }),
    );
    const started = await cli(startArgs('manifests/week-50.json'));
    const executionArn = JSON.parse(started.stdout).executionArn;
    // Followed from its start by the command line: the Map Run's counts, the item failing as it fails, the outcome.
    const watched = await cli(['watch', '--execution-arn', executionArn, '--interval', '1']);
    expect(watched.code).toBe(3);
    const lines = watched.stdout.trimEnd().split('\n');
    const failedAt = lines.findIndex((l) => /^ {2}failed: item 3 \(#3\) Item\.Invalid: /.test(l));
    const doneAt = lines.findIndex((l) => l.startsWith('done: '));
    expect({ failedAt, doneAt }).toEqual({ failedAt: expect.any(Number), doneAt: expect.any(Number) });
    expect(failedAt).toBeGreaterThanOrEqual(0);
    expect(failedAt).toBeLessThan(doneAt);
    expect(lines[doneAt]).toMatch(/^done: \w+ FAILED: 3 of 4 item\(s\) succeeded \(samples\.TooManyItemsFailed\)$/);
    expect(lines.slice(doneAt + 1)).toEqual([
      'not rerunnable as they are, fix these in the manifest first:',
      expect.stringMatching(/^ {2}item 3 \(#3\) Item\.Invalid: .*fix the manifest line and rerun/),
      // No job failed (the line was refused before any): the report, not the logs.
      `where the time and money went: batch-pipelines report --execution-arn ${executionArn}`,
    ]);
    summary.push(`watch --execution-arn: exit ${watched.code}, ${lines.length} lines, item 3 reported as it failed`);
    const execution = await follow(executionArn);
    // One item in four failed: more than the default 10% the policy tolerates, so the run fails, with its summary.
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('samples.TooManyItemsFailed');
    expect(JSON.parse(execution.cause!)).toMatchObject({ items: 4, failed: 1, succeeded: 3 });
    // Only that item failed: its three neighbours ran every step.
    const standard = await jobsOf(stack.outputs.StandardQueue, execution.name!);
    expect(standard.filter((j) => j.status === 'SUCCEEDED')).toHaveLength(9);
    expect(standard.some((j) => j.jobName!.endsWith('-3'))).toBe(false);

    const rerun = await cli(['rerun', '--execution-arn', execution.executionArn!, '--dry-run', '--json']);
    expect(rerun.code).toBe(0);
    const listed = JSON.parse(rerun.stdout);
    expect(listed.failed).toEqual([]);
    expect(listed.invalid).toEqual([
      expect.objectContaining({
        index: 3,
        error: 'Item.Invalid',
        reason: expect.stringContaining('fix the manifest line and rerun'),
      }),
    ]);
  }, 120_000);

  test('every Spot job reclaimed: each item goes On-Demand once, its later steps start there, the run succeeds', async () => {
    const stack = stacks.GenomicsPipeline;
    await upload('manifests/week-49.json', ['NA19238', 'NA19239']);
    await moto.api('config', { batch: { use_docker: false, spot_reclaim: true } });
    try {
      const started = await cli(startArgs('manifests/week-49.json'));
      expect(started.code).toBe(0);
      const execution = await follow(JSON.parse(started.stdout).executionArn);
      expect(execution.status).toBe('SUCCEEDED');
      expect(JSON.parse(execution.output!).samplesCounts).toMatchObject({ items: 2, succeeded: 2, failed: 0 });

      const run = execution.name!;
      const onSpot = await jobsOf(stack.outputs.StandardQueue, run);
      const onDemand = await jobsOf(stack.outputs.UrgentQueue, run);
      const steps = [0, 1].flatMap((i) => [`${run}-align-${i}`, `${run}-callVariants-${i}`, `${run}-qc-${i}`]).sort();
      // Each item's first step lost its Spot instance on every attempt its retry strategy allows (Batch retries
      // `Host EC2*` as the job definition says); the step then ran the same job, named the same, On-Demand, and the
      // item's later steps started On-Demand at once ($.spotLost) instead of losing Spot again.
      expect(onSpot.map((j) => j.jobName).sort()).toEqual([`${run}-align-0`, `${run}-align-1`]);
      expect(new Set(onSpot.map((j) => `${j.status}: ${j.statusReason}`))).toEqual(
        new Set(['FAILED: Host EC2 (instance i-0a1b2c3d4e5f60718) terminated.']),
      );
      const attemptsOf = (name: string) =>
        Object.values(stack.template.Resources).find(
          (r) => r.Type === 'AWS::Batch::JobDefinition' && r.Properties.JobDefinitionName === name,
        )!.Properties.RetryStrategy.Attempts;
      for (const job of onSpot) {
        const definition = job.jobDefinition!.split('/').pop()!.split(':')[0];
        expect({ job: job.jobName, attempts: job.attempts?.length }).toEqual({
          job: job.jobName,
          attempts: attemptsOf(definition),
        });
      }
      expect(
        onDemand
          .filter((j) => j.status === 'SUCCEEDED')
          .map((j) => j.jobName)
          .sort(),
      ).toEqual([...steps, `${run}-aggregate`].sort());
      summary.push(`Spot reclaimed: ${onSpot.length} jobs failed on Spot, ${onDemand.length} succeeded On-Demand`);
    } finally {
      await moto.api('config', { batch: { use_docker: false } });
    }
  }, 120_000);
});

describe('the deployed thumbnails stack, driven by batch-pipelines', () => {
  test('an array job over a manifest of photos: submitted once, resubmitted as nothing, watched to its end', async () => {
    const stack = stacks.Thumbnails;
    const photos = Array.from({ length: 6 }, (_, i) => ({ photoId: `p${i}`, key: `originals/p${i}.jpg` }));
    const items = join(dir, 'photos.json');
    writeFileSync(items, JSON.stringify(photos));
    const submit = [
      'submit',
      '--queue',
      stack.outputs.Queue,
      '--stage',
      `resize=${stack.outputs.ResizeJobDefinition}`,
      '--items',
      items,
      '--id-field',
      'photoId',
      '--run-id',
      'thumbs-1',
      '--manifest-uri',
      `s3://${stack.outputs.PhotosBucket}/manifests/thumbs-1.json`,
    ];
    // Before the manifest is uploaded, every child would fail to read its item: submit refuses, with the fix.
    const early = await cli(submit);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain(
      `manifestUri s3://${stack.outputs.PhotosBucket}/manifests/thumbs-1.json does not exist: every array child would ` +
        'fail reading its item. Upload the items there first',
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.outputs.PhotosBucket,
        Key: 'manifests/thumbs-1.json',
        Body: JSON.stringify(photos),
      }),
    );
    const first = await cli(submit);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('1 submitted, 0 already there');
    const second = await cli(submit);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('0 submitted, 1 already there');

    const watch = await cli(['watch', '--queue', stack.outputs.Queue, '--run-id', 'thumbs-1', '--interval', '0.2']);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toContain('done: all 6 succeeded');
    // The queue lists the array job (its children are listed by arrayJobId, moto_launcher.py): it has the size.
    const parent = (await jobsOf(stack.outputs.Queue, 'thumbs-1')).find((j) => j.arrayProperties?.size)!;
    expect(parent).toMatchObject({ jobName: 'thumbs-1-resize-0', status: 'SUCCEEDED', arrayProperties: { size: 6 } });
    expect(parent.container?.environment).toEqual(
      expect.arrayContaining([
        { name: 'BATCH_PIPELINES_MANIFEST', value: `s3://${stack.outputs.PhotosBucket}/manifests/thumbs-1.json` },
        // The manifest's ETag as S3 (moto) gave it at submit: a rerun reads the manifest only as it was.
        { name: 'BATCH_PIPELINES_MANIFEST_ETAG', value: expect.stringMatching(/^[0-9a-f]{32}$/) },
      ]),
    );
  }, 120_000);
});
