#!/usr/bin/env node
// The path a user takes: pack the library, install the tarball into a fresh CDK app (aws-cdk-lib, constructs and the
// CDK CLI from the npm cache), import it by its package name, build a small pipeline and synthesize it with the CLI.
// Run by .ci/run as `npm run test:consumer`.
const { execFileSync } = require('child_process');
const { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');

const root = join(__dirname, '..');
const version = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const run = (cmd, args, cwd) => {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' },
  });
};

const work = mkdtempSync(join(tmpdir(), 'cdk-batch-pipelines-consumer-'));
try {
  run('npm', ['pack', '--silent', '--pack-destination', work], root);
  const tarball = join(
    work,
    readdirSync(work).find((f) => f.endsWith('.tgz')),
  );
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer-app', private: true, version: '0.0.0' }, null, 2),
  );
  writeFileSync(join(app, 'cdk.json'), JSON.stringify({ app: 'node app.js' }, null, 2));
  run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
      `aws-cdk-lib@${version('aws-cdk-lib')}`,
      `constructs@${version('constructs')}`,
      `aws-cdk@${version('aws-cdk')}`,
      `typescript@${version('typescript')}`,
      `@types/node@${version('@types/node')}`,
    ],
    app,
  );
  // The README's quick start, verbatim: what a new user pastes into bin/app.ts of a fresh CDK app.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const quickStart = /^## Quick start\n[\s\S]*?^```ts\n([\s\S]*?)^```/m.exec(readme);
  if (!quickStart) {
    throw new Error('README.md has no TypeScript block under "## Quick start"');
  }
  writeFileSync(join(app, 'app.ts'), quickStart[1]);
  writeFileSync(
    join(app, 'team.ts'),
    `import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Ec2Capacity, Job, JobQueue, PurchaseOption } from 'cdk-batch-pipelines';

// A team binding its own job to a queue another team owns, and granting the CDK way.
const app = new App();
const env = { account: '111111111111', region: 'eu-west-1' };
const teamStack = new Stack(app, 'ConsumerTeamJobs', { env });
const shared = JobQueue.fromJobQueueArn(teamStack, 'Shared', 'arn:aws:batch:eu-west-1:111111111111:job-queue/shared', {
  capacities: [
    Ec2Capacity.fromComputeEnvironmentArn(teamStack, 'SharedSpot', 'arn:aws:batch:eu-west-1:111111111111:compute-environment/spot', {
      purchaseOption: PurchaseOption.SPOT,
      instanceTypes: [new ec2.InstanceType('r6i.2xlarge')],
      maxvCpus: 256,
    }),
  ],
});
const teamJob = new Job(teamStack, 'Report', {
  queues: [shared],
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36'),
  vcpus: 4,
  memory: Size.gibibytes(16),
  timeout: Duration.hours(1),
});
new s3.Bucket(teamStack, 'Data', { enforceSSL: true }).grantRead(teamJob);
app.synth();
`,
  );
  run(
    join(app, 'node_modules', '.bin', 'tsc'),
    [
      '--strict',
      '--target',
      'ES2022',
      '--module',
      'commonjs',
      '--moduleResolution',
      'node',
      '--esModuleInterop',
      '--skipLibCheck',
      'app.ts',
      'team.ts',
    ],
    app,
  );
  // --strict: the quick start must synthesize on the first try without a warning.
  run(join(app, 'node_modules', '.bin', 'cdk'), ['synth', '-q', '--strict', '--all'], app);
  run(
    join(app, 'node_modules', '.bin', 'cdk'),
    ['synth', '-q', '--all', '--app', 'node team.js', '-o', 'cdk.team.out'],
    app,
  );
  const team = JSON.parse(readFileSync(join(app, 'cdk.team.out', 'ConsumerTeamJobs.template.json'), 'utf8'));
  const teamTypes = Object.values(team.Resources).map((r) => r.Type);
  if (teamTypes.includes('AWS::Batch::JobQueue') || !teamTypes.includes('AWS::Batch::JobDefinition')) {
    throw new Error('the team stack should add a job definition to the imported queue, and no queue of its own');
  }
  const policies = JSON.stringify(Object.values(team.Resources).filter((r) => r.Type === 'AWS::IAM::Policy'));
  if (!policies.includes('s3:GetObject')) {
    throw new Error('bucket.grantRead(job) did not grant the job role s3:GetObject');
  }
  const template = JSON.parse(readFileSync(join(app, 'cdk.out', 'Transcode.template.json'), 'utf8'));
  const types = Object.values(template.Resources).map((r) => r.Type);
  for (const t of [
    'AWS::Batch::ComputeEnvironment',
    'AWS::Batch::JobQueue',
    'AWS::Batch::JobDefinition',
    'AWS::StepFunctions::StateMachine',
    'AWS::Events::Rule',
  ]) {
    if (!types.includes(t)) {
      throw new Error(`the consumer's template has no ${t}`);
    }
  }
  const help = run(join(app, 'node_modules', '.bin', 'batch-pipelines'), ['--help'], app);
  if (!help.includes('Usage: batch-pipelines <command>')) {
    throw new Error('the installed batch-pipelines command did not print its help');
  }
  console.log(
    `consumer test: the packed library installed, imported by name, the README's quick start synthesized with --strict (${types.length} resources), bound a job to an imported queue and granted bucket.grantRead(job); batch-pipelines runs`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
