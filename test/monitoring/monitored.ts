import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { PipelineMonitoring, PipelineMonitoringProps } from '../../lib';
import { aslOf, indexOfMachine } from '../support/asl';
import { genomicsPipeline } from '../support/pipeline';

/** The genomics pipeline with `PipelineMonitoring` over both queues and the workflow. */
export function monitored(extra: Partial<PipelineMonitoringProps> = {}) {
  const p = genomicsPipeline();
  const monitoring = new PipelineMonitoring(p.stack, 'Monitoring', {
    queues: [p.standard, p.urgent],
    workflow: p.workflow,
    ...extra,
  });
  return { ...p, monitoring, template: Template.fromStack(p.stack) };
}

export const ref = (stack: Stack, c: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(c.node.defaultChild as CfnElement);

/** Runs the notifier of `m` locally over an event and returns what it published to SNS. */
export function notifierOf(m: ReturnType<typeof monitored>) {
  const asl = aslOf(m.template, indexOfMachine(m.template, ref(m.stack, m.monitoring.notifier))) as Record<
    string,
    unknown
  >;
  return async (event: unknown) => {
    const published: Array<{ Subject: string; Message: string; TopicArn: string }> = [];
    const handlers = Object.fromEntries(
      Object.keys(asl.States as object)
        .filter((s) => s.startsWith('Publish'))
        .map((s) => [s, async (input: never) => (published.push(input), {})]),
    );
    await new StateMachine(asl as never, { validationOptions: { checkArn: false } }).run(event as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
    }).result;
    return published;
  };
}
