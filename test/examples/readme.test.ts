import { readFileSync } from 'fs';
import { join } from 'path';
import { App, Size, Stack } from 'aws-cdk-lib';
import * as ts from 'typescript';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Ec2Capacity, estimateCost } from '../../lib';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const costGuide = readFileSync(join(__dirname, '..', '..', 'docs', 'cost.md'), 'utf8');

/**
 * Runs the README's quick start as written (its imports of 'cdk-batch-pipelines' pointed at lib/) and returns its app,
 * synthesized.
 */
function quickStartApp(): App {
  const block = /^## Quick start\n[\s\S]*?^```ts\n([\s\S]*?)^```/m.exec(readme)![1];
  const source = block.replace(
    "from 'cdk-batch-pipelines'",
    `from ${JSON.stringify(join(__dirname, '..', '..', 'lib'))}`,
  );
  const js = ts.transpileModule(source.replace(/^app\.synth\(\);$/m, 'module.exports = app;'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const mod = { exports: {} as unknown };
  new Function('require', 'module', 'exports', js)(require, mod, mod.exports);
  const app = mod.exports as App;
  app.synth();
  return app;
}

describe('README', () => {
  test("prints the quick start's cost table as its CostReport does", () => {
    const app = quickStartApp();
    const info = app.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === 'aws:cdk:info')
      .map((m) => String(m.data))
      .find((m) => m.startsWith('Cost estimate of workflow Transcode/Workflow'));
    expect(info).toBeDefined();
    const block = /The quick start's reads:\n\n```text\n([\s\S]*?)\n```/.exec(readme);
    expect(block).not.toBeNull();
    for (const line of block![1].split('\n')) {
      expect(info!.split('\n')).toContain(line);
    }
  });

  test("shows the example workflow's diagram exactly as toMermaid() renders it", () => {
    const block = /```mermaid\n(flowchart TD\n[\s\S]*?)\n```/.exec(readme);
    expect(block).not.toBeNull();
    const stack = new GenomicsPipelineStack(new App({ builtinCloudFormationValidation: false }), 'Readme');
    expect(block![1]).toBe(stack.workflow.toMermaid());
  });

  test("the cost guide's table holds the model's numbers", () => {
    const workload = { itemsPerMonth: (500 * 52) / 12, hoursPerItem: 4, vcpus: 4, maxConcurrency: 50 };
    const scenario = estimateCost(
      { ...workload, memory: Size.gibibytes(32) },
      { instanceTypes: ['r5.2xlarge'], spotDiscount: 0.7, spotRerunOverhead: 0.15 },
    );
    const rightSized = estimateCost({ ...workload, memory: Size.gibibytes(30) });
    const usd = (v: number) => `$${Math.round(v).toLocaleString('en-US')}`;
    const rows = costGuide.split('\n').map((r) => r.replace(/\s+/g, ' '));
    const pairs = [...scenario.lines, scenario.floor].map((l, i) => [l, [...rightSized.lines, rightSized.floor][i]]);
    for (const [a, b] of pairs) {
      const row = rows.find((r) => r.startsWith(`| ${a.option}`));
      expect(row).toBeDefined();
      expect(row).toContain(`| ${usd(a.monthlyUsd)} | ${usd(b.monthlyUsd)} |`);
    }
  });

  test("the capacity section's fit query prints what the README says", () => {
    const stack = new Stack(new App(), 'Readme');
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const spot = new Ec2Capacity(stack, 'Spot', {
      vpc,
      concurrentJobs: { jobs: 50, resources: { vcpus: 4, memory: Size.gibibytes(30) } },
    });
    const misses = spot.fit({ vcpus: 4, memory: Size.gibibytes(32) }).misses.map((m) => m.instanceType);
    expect(misses).toEqual(['r5.xlarge', 'r6i.xlarge', 'r7i.xlarge']);
    expect(readme).toContain(
      "spot.fit({ vcpus: 4, memory: Size.gibibytes(32) }).misses.map((m) => m.instanceType); // ['r5.xlarge', 'r6i.xlarge', 'r7i.xlarge']",
    );
  });

  test('states exactly the two set-up commands', () => {
    expect(readme).toContain('```sh\nnpm ci && npx cdk synth\n```');
    expect(readme).toContain('```sh\nnpm test\n```');
  });
});
