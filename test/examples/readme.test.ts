import { readFileSync } from 'fs';
import { join } from 'path';
import { App } from 'aws-cdk-lib';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  test("shows the example workflow's diagram exactly as toMermaid() renders it", () => {
    const block = /```mermaid\n(flowchart TD\n[\s\S]*?)\n```/.exec(readme);
    expect(block).not.toBeNull();
    const stack = new GenomicsPipelineStack(new App({ builtinCloudFormationValidation: false }), 'Readme');
    expect(block![1]).toBe(stack.workflow.toMermaid());
  });

  test('states exactly the two set-up commands', () => {
    expect(readme).toContain('```sh\nnpm ci && npx cdk synth\n```');
    expect(readme).toContain('```sh\nnpm test\n```');
  });
});
