#!/usr/bin/env node
// Extracts the TypeScript blocks of README.md into test/readme-snippets/ so that `tsc --noEmit` (run by `npm test`)
// type-checks them against the library: README code that stops compiling fails the suite.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const outDir = path.join(root, 'test', 'readme-snippets');
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });

// Names README snippets may use without defining them.
const preamble = `/* eslint-disable */
// Generated from README.md by scripts/readme-snippets.js: do not edit.
import { Aspects, Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as lib from '../../lib';
const { Ec2Capacity, FargateCapacity, PurchaseOption, JobQueue, Job, MultiNodeJob, RetryPolicy, FanOut, WorkflowStep, Workflow, PipelineMonitoring, ComplianceControls } = lib;
declare const stack: Stack;
declare const vpc: ec2.IVpc;
declare const spot: lib.Ec2Capacity;
declare const onDemand: lib.Ec2Capacity;
declare const fargateSpot: lib.FargateCapacity;
declare const fargate: lib.FargateCapacity;
declare const standard: lib.JobQueue;
declare const urgent: lib.JobQueue;
declare const inputBucket: s3.IBucket;
declare const resultsBucket: s3.IBucket;
declare const alignJob: lib.Job;
declare const callJob: lib.Job;
declare const qcJob: lib.Job;
declare const aggregateJob: lib.Job;
declare const workflow: lib.Workflow;
void [Aspects, kms, Duration, Size, ecs, efs, ComplianceControls, Ec2Capacity, FargateCapacity, PurchaseOption, JobQueue, Job, MultiNodeJob, RetryPolicy, FanOut, WorkflowStep, Workflow, PipelineMonitoring];
`;

const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
blocks.forEach((code, i) => {
  const body = code
    .split('\n')
    .filter((l) => !/^import /.test(l) && !/^declare const /.test(l))
    .join('\n');
  // Snippets show declarations a reader would go on to use; mark them used so noUnusedLocals stays on.
  const names = [...body.matchAll(/^const (\w+)/gm)].map((m) => m[1]);
  const use = names.length ? `void [${names.join(', ')}];\n` : '';
  fs.writeFileSync(path.join(outDir, `snippet-${i + 1}.ts`), `${preamble}\n{\n${body}\n${use}}\n`);
});
console.log(`README: ${blocks.length} TypeScript blocks written to test/readme-snippets/`);
