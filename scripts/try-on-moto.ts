// Your own stack on moto (the open-source AWS emulator), to try `batch-pipelines` on it before AWS: synthesizes the
// app (or reads a cdk.out), starts moto_server through e2e/moto_launcher.py (moto[server] 5.2.1), bootstraps and
// deploys the stack with `cdk deploy` through moto's CloudFormation, and prints the environment and the commands that
// submit, start and watch work on it. It keeps moto running until Ctrl-C. docs/try-on-moto.md is the recipe.
import { execFile } from 'child_process';
import { existsSync, mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { Moto } from '../e2e/moto';
import { WORKFLOW_JOB_PARAMETER } from '../lib/contract/job-env';
import { parseTryOnMotoArgs, pickStack, stacksOf, TRY_ON_MOTO_USAGE, TryOnMotoArgs } from './try-on-moto-args';

const root = join(__dirname, '..');
const cdkBin = join(root, 'node_modules', '.bin', 'cdk');
/** moto's default account: `cdk deploy` refuses a stack bound to another account than the credentials'. */
const MOTO_ACCOUNT = '123456789012';

// The AWS SDK warns under Node.js 20 that its releases from 2027 need 22 (as bin/batch-pipelines.ts, left out).
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (
    !String(warning instanceof Error ? warning.name : warning).includes('NodeVersionSupport') &&
    !String(typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string })?.type).includes('NodeVersionSupport')
  ) {
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }
}) as typeof process.emitWarning;

async function main(): Promise<number> {
  let args: TryOnMotoArgs | 'help';
  try {
    args = parseTryOnMotoArgs(process.argv.slice(2), process.env.INIT_CWD ?? process.cwd());
  } catch (e) {
    console.error(`try-on-moto: ${(e as Error).message}`);
    return 2;
  }
  if (args === 'help') {
    console.log(TRY_ON_MOTO_USAGE);
    return 0;
  }
  const moto = new Moto();
  const stop = () => void moto.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await deployAndPrint(moto, args);
  } catch (e) {
    console.error(`try-on-moto: ${(e as Error).message}`);
    await moto.stop();
    return 1;
  }
  // Moto's child process keeps this one alive; Ctrl-C (or SIGTERM) stops both.
  return new Promise<number>(() => undefined);
}

async function deployAndPrint(moto: Moto, args: TryOnMotoArgs): Promise<void> {
  step('starting moto_server (moto 5.2.1, through e2e/moto_launcher.py)');
  await moto.start();
  // Batch without Docker (jobs are marked SUCCEEDED as they are submitted), Step Functions executing for real.
  await moto.api('config', { batch: { use_docker: false }, stepfunctions: { execute_state_machine: true } });

  const out = args.cdkOut ?? mkdtempSync(join(tmpdir(), 'try-on-moto-'));
  if (args.app) {
    step(`cdk synth --app '${args.app}' (in ${args.cwd})`);
    await cdk(['synth', '--app', args.app, ...args.context.flatMap((c) => ['-c', c]), '-q', '-o', out], args.cwd, {});
  }
  const manifestFile = join(out, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new Error(`${out} holds no cloud assembly (no manifest.json). Fix: cdk synth first, or give --app`);
  }
  const stack = pickStack(stacksOf(JSON.parse(readFileSync(manifestFile, 'utf8'))), args.stack);
  if (stack.account && stack.account !== MOTO_ACCOUNT) {
    throw new Error(
      `stack ${stack.name} is bound to account ${stack.account}; moto answers as account ${MOTO_ACCOUNT}, and cdk ` +
        `deploys a stack only to its own account. Fix: synthesize it environment-agnostic (no env) or with ` +
        `env: { account: '${MOTO_ACCOUNT}' } for this try`,
    );
  }
  const assets = join(out, `${stack.name}.assets.json`);
  if (existsSync(assets) && Object.keys(JSON.parse(readFileSync(assets, 'utf8')).dockerImages ?? {}).length > 0) {
    console.log(
      '  note: the stack builds Docker images (ContainerImage.fromAsset): cdk deploy builds and pushes them, which ' +
        'needs Docker here; moto does not run containers either way',
    );
  }
  const region = stack.region ?? 'us-east-1';
  const env = { ...moto.awsEnv(), AWS_REGION: region, AWS_DEFAULT_REGION: region };

  step(`cdk bootstrap aws://${MOTO_ACCOUNT}/${region}`);
  await cdk(['bootstrap', '--app', out, `aws://${MOTO_ACCOUNT}/${region}`], root, env);
  step(`cdk deploy ${stack.name}`);
  const outputsFile = join(mkdtempSync(join(tmpdir(), 'try-on-moto-outputs-')), 'outputs.json');
  await cdk(
    ['deploy', stack.name, '--app', out, '--require-approval', 'never', '--outputs-file', outputsFile],
    root,
    env,
  );
  const outputs: Record<string, string> = JSON.parse(readFileSync(outputsFile, 'utf8'))[stack.name] ?? {};
  const template = JSON.parse(readFileSync(join(out, `${stack.name}.template.json`), 'utf8'));
  const cfn = new CloudFormationClient({ endpoint: moto.endpoint, region, credentials: fakeCredentials });
  const created = await cfn.send(new DescribeStackResourcesCommand({ StackName: stack.name }));
  cfn.destroy();
  printRecipe(moto.endpoint, region, stack.name, template, created.StackResources ?? [], outputs);
}

const fakeCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' };

/** The aws-cdk CLI installed with this project, its output shown only when it fails. */
async function cdk(args: string[], cwd: string, env: Record<string, string>): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)(cdkBin, args, {
      cwd,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout + stderr;
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`cdk ${args[0]} failed:\n${failed.stdout ?? ''}${failed.stderr ?? failed.message}`);
  }
}

function step(text: string): void {
  console.log(`[try-on-moto] ${text}`);
}

interface Created {
  readonly LogicalResourceId?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType?: string;
}

/** The environment, what moto made of the stack, and the commands to run on it. */
function printRecipe(
  endpoint: string,
  region: string,
  stackName: string,
  template: { Resources?: Record<string, { Type: string; Properties?: unknown }> },
  created: Created[],
  outputs: Record<string, string>,
): void {
  const made = new Set(created.map((r) => r.LogicalResourceId));
  const declared = Object.entries(template.Resources ?? {});
  // moto skips the types it does not emulate and still reports the stack complete (moto-5.2-notes.md): say which.
  const skipped = new Map<string, number>();
  for (const [id, r] of declared) {
    if (!made.has(id)) {
      skipped.set(r.Type, (skipped.get(r.Type) ?? 0) + 1);
    }
  }
  const createdCount = declared.filter(([id]) => made.has(id)).length;
  const physical = (type: string) =>
    created.filter((r) => r.ResourceType === type).map((r) => r.PhysicalResourceId ?? '');
  // On moto (as on AWS) Ref of a queue or job definition is its ARN; batch-pipelines takes names or ARNs.
  const lastPart = (arn: string) => arn.split('/').pop()!.replace(/:\d+$/, '');
  const queues = physical('AWS::Batch::JobQueue').map(lastPart);
  const definitions = physical('AWS::Batch::JobDefinition').map(lastPart);
  // A Workflow's state machine marks the jobs it submits with WORKFLOW_JOB_PARAMETER; the library's other state
  // machines (the trigger's starter, the notifier, probes) do not.
  const workflows = new Set(
    declared.filter(([, r]) => JSON.stringify(r.Properties ?? {}).includes(WORKFLOW_JOB_PARAMETER)).map(([id]) => id),
  );
  const machines = created
    .filter((r) => r.ResourceType === 'AWS::StepFunctions::StateMachine' && workflows.has(r.LogicalResourceId ?? ''))
    .map((r) => r.PhysicalResourceId ?? '');
  // The bucket for manifests: one named for input or manifests if there is one, never a log bucket first.
  const buckets = created
    .filter((r) => r.ResourceType === 'AWS::S3::Bucket')
    .sort((a, b) => bucketRank(a.LogicalResourceId) - bucketRank(b.LogicalResourceId))
    .map((r) => r.PhysicalResourceId ?? '');
  // tsx from this checkout, so the alias works from any directory.
  const bp = `${join(root, 'node_modules', '.bin', 'tsx')} ${join(root, 'bin', 'batch-pipelines.ts')}`;
  const lines = [
    '',
    `moto_server runs at ${endpoint} with ${stackName} deployed: ${createdCount} of ${declared.length} resources created` +
      (skipped.size
        ? `; moto skipped ${[...skipped].map(([t, n]) => `${t}${n > 1 ? ` ×${n}` : ''}`).join(', ')} (not emulated)`
        : ''),
    'Leave this running (Ctrl-C stops moto and forgets the stack). In another shell:',
    '',
    `export AWS_ENDPOINT_URL=${endpoint} AWS_REGION=${region} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing`,
    `alias batch-pipelines='${bp}'   # or: npx batch-pipelines, where the package is installed`,
  ];
  if (Object.keys(outputs).length > 0) {
    lines.push('', 'Stack outputs:', ...Object.entries(outputs).map(([k, v]) => `  ${k} = ${v}`));
  }
  const queue = queues[0] ?? '<queue>';
  const bucket = buckets[0] ?? '<bucket>';
  if (definitions.length > 0) {
    const stages = definitions.map((d) => `--stage ${stageName(d)}=${d}`).join(' ');
    lines.push(
      '',
      `# A run of jobs on ${queues.length > 1 ? `one of the queues (${queues.join(', ')})` : `queue ${queue}`}; ` +
        'each --stage waits for the one before it: keep the ones your run has',
      `echo '[{"id":"item-1"},{"id":"item-2"},{"id":"item-3"}]' > items.json`,
      `batch-pipelines submit --queue ${queue} ${stages} --items items.json --run-id try-1`,
      `batch-pipelines watch --queue ${queue} --run-id try-1`,
      `# The same as array jobs, their items read from S3:`,
      `aws --endpoint-url ${endpoint} s3 cp items.json s3://${bucket}/manifests/try-2.json`,
      `batch-pipelines submit --queue ${queue} ${stages} --items items.json --manifest-uri s3://${bucket}/manifests/try-2.json --run-id try-2`,
      `batch-pipelines watch --queue ${queue} --run-id try-2`,
    );
  }
  for (const machine of machines) {
    lines.push(
      '',
      `# A workflow run of ${machine.split(':').pop()}: a manifest of items as its FanOut reads them (its idField and ` +
        'fields), in the bucket it reads',
      `aws --endpoint-url ${endpoint} s3 cp items.json s3://${bucket}/manifests/try-3.json`,
      `batch-pipelines start --state-machine-arn ${machine} --bucket ${bucket} --key manifests/try-3.json`,
      `batch-pipelines watch --execution-arn <the ARN start printed>`,
    );
  }
  if (buckets.length > 1) {
    lines.push('', `Buckets: ${buckets.join(', ')}`);
  }
  lines.push(
    '',
    'On moto, jobs do not run containers: each is SUCCEEDED as it is submitted. docs/try-on-moto.md says how to make',
    'them fail or wait in RUNNABLE, and what else moto leaves out.',
  );
  console.log(lines.join('\n'));
}

function bucketRank(logicalId = ''): number {
  return /input|manifest/i.test(logicalId) ? 0 : /log/i.test(logicalId) ? 2 : 1;
}

/** A stage name from a job definition's name (`Thumbnails_Resize` → `resize`). */
function stageName(definition: string): string {
  const word = definition.split(/[_-]/).pop() ?? definition;
  return /^[A-Za-z][A-Za-z0-9]*$/.test(word) ? word.charAt(0).toLowerCase() + word.slice(1) : 'stage';
}

void main().then((code) => {
  if (code !== undefined) {
    process.exitCode = code;
  }
});
