#!/usr/bin/env node
// Extracts the TypeScript blocks of README.md into test/readme-snippets/ so that `tsc --noEmit` (run by `npm test`)
// type-checks them against the library, and Jest runs each one and synthesizes its app: README code that stops
// compiling or running fails the suite.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const outDir = path.join(root, 'test', 'readme-snippets');
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });

// Names README snippets may use without defining them, each built for real (ids prefixed "Readme" so a snippet's own
// constructs never collide with them) when the snippet uses it and does not define it; with what each needs first.
const GIVEN = [
  ['vpc', [], "const vpc = new ec2.Vpc(stack, 'ReadmeVpc', { maxAzs: 2 });"],
  ['spot', ['vpc'], "const spot = new Ec2Capacity(stack, 'ReadmeSpot', { vpc });"],
  [
    'onDemand',
    ['vpc'],
    "const onDemand = new Ec2Capacity(stack, 'ReadmeOnDemand', { vpc, purchaseOption: PurchaseOption.ON_DEMAND });",
  ],
  ['fargateSpot', ['vpc'], "const fargateSpot = new FargateCapacity(stack, 'ReadmeFargateSpot', { vpc });"],
  [
    'fargate',
    ['vpc'],
    "const fargate = new FargateCapacity(stack, 'ReadmeFargate', { vpc, purchaseOption: PurchaseOption.ON_DEMAND });",
  ],
  ['standard', ['spot', 'onDemand'], "const standard = JobQueue.spotFirst(stack, 'ReadmeStandard', spot, onDemand);"],
  [
    'urgent',
    ['onDemand'],
    "const urgent = new JobQueue(stack, 'ReadmeUrgent', { capacities: [onDemand], priority: 100 });",
  ],
  ['inputBucket', [], "const inputBucket = new s3.Bucket(stack, 'ReadmeInput', { enforceSSL: true });"],
  ['resultsBucket', [], "const resultsBucket = new s3.Bucket(stack, 'ReadmeResults', { enforceSSL: true });"],
  ...['alignJob', 'callJob', 'qcJob', 'aggregateJob'].map((name) => [
    name,
    ['standard', 'urgent'],
    `const ${name} = new Job(stack, 'Readme${name}', { queues: [standard, urgent], image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36'), vcpus: 4, memory: Size.gibibytes(30), timeout: Duration.hours(4) });`,
  ]),
  [
    'workflow',
    ['alignJob'],
    "const workflow = new Workflow(stack, 'ReadmeWorkflow', { steps: [new WorkflowStep('align', { job: alignJob })] });",
  ],
];

// Every value the library exports (read from lib/index.ts, so a new construct is usable in snippets at once).
const libNames = [...fs.readFileSync(path.join(root, 'lib', 'index.ts'), 'utf8').matchAll(/^export \{([^}]*)\} from/gm)]
  .flatMap((m) => m[1].split(','))
  .map((n) => n.trim())
  .filter(Boolean);

const header = `/* eslint-disable */
// Generated from README.md by scripts/readme-snippets.js: do not edit. Each README TypeScript block, type-checked by
// \`tsc --noEmit\` and run here: the names it uses without defining are built for real, then the app is synthesized.
import { App, Aspects, CfnOutput, Duration, Size, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as lib from '../../lib';
const { ${libNames.join(', ')} } = lib;
void [Aspects, CfnOutput, batch, ec2, ecs, efs, iam, kms, logs, s3, sns, Duration, Size, ${libNames.join(', ')}];
`;

// The README's blocks, then any in docs/*.md (a guide's code must run as the README's does).
const sources = [
  ['README.md', 'snippet', readme],
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => [`docs/${f}`, `docs-${f.replace(/\.md$/, '')}`, fs.readFileSync(path.join(root, 'docs', f), 'utf8')]),
];
const tsBlocks = (text) =>
  [...text.replace(/\r\n/g, '\n').matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```/gm)].map((m) => m[1]);
if (tsBlocks(readme).length === 0) {
  // A README without TypeScript blocks (or fences this script no longer recognizes) would test nothing silently.
  throw new Error('README.md: no ```ts blocks found; the README snippets would go untested');
}
const blocks = sources.flatMap(([file, prefix, text]) =>
  tsBlocks(text).map((code, i) => ({ file, prefix, n: i + 1, code })),
);
blocks.forEach(({ file, prefix, n, code }) => {
  // Imports (one line or several) and declarations are the header's business.
  const body = code
    .replace(/^import [\s\S]*?;\n/gm, '')
    .split('\n')
    .filter((l) => !/^declare const /.test(l))
    .join('\n');
  const defined = new Set([...body.matchAll(/^const (\w+)/gm)].map((m) => m[1]));
  const needed = new Set();
  const need = (name) => {
    if (needed.has(name) || defined.has(name)) {
      return;
    }
    const given = GIVEN.find(([n]) => n === name);
    given[1].forEach(need);
    needed.add(name);
  };
  for (const [name] of GIVEN) {
    if (new RegExp(`\\b${name}\\b`).test(body)) {
      need(name);
    }
  }
  const setup = GIVEN.filter(([n]) => needed.has(n)).map(([, , line]) => `  ${line}`);
  // Snippets show declarations a reader would go on to use; mark them used so noUnusedLocals stays on.
  const use = defined.size ? `    void [${[...defined].join(', ')}];\n` : '';
  const test = `test('${file} TypeScript block ${n} runs and synthesizes', () => {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Readme${n}');
${setup.join('\n')}
  void [stack${[...needed].map((n) => `, ${n}`).join('')}];
  {
${body.replace(/^/gm, '    ')}
${use}  }
  app.synth();
});
`;
  fs.writeFileSync(path.join(outDir, `${prefix}-${n}.test.ts`), `${header}\n${test}`);
});
console.log(
  `README.md and docs/: ${blocks.length} TypeScript blocks written to test/readme-snippets/ (type-checked and run by npm test)`,
);
