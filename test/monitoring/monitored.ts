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

/**
 * Runs the notifier of `m` locally over an event and returns what it published to SNS. Its claims go to `sent` (a
 * fresh table each event unless given): a key already there fails as DynamoDB's PutItem with a condition does
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html, error `DynamoDB.<exception>`).
 */
export function notifierOf(m: ReturnType<typeof monitored>, sent?: Set<string>) {
  const asl = aslOf(m.template, indexOfMachine(m.template, ref(m.stack, m.monitoring.notifier))) as Record<
    string,
    unknown
  >;
  return async (event: unknown) => {
    const published: Array<{ Subject: string; Message: string; TopicArn: string }> = [];
    const table = sent ?? new Set<string>();
    const handlers: Record<string, (input: never) => Promise<unknown>> = Object.fromEntries(
      Object.keys(asl.States as object)
        .filter((s) => s.startsWith('Publish'))
        .map((s) => [s, async (input: never) => (published.push(input), {})]),
    );
    handlers['Claim the message'] = async (input: { Item: { id: { S: string } } }) => {
      if (table.has(input.Item.id.S)) {
        throw Object.assign(new Error('The conditional request failed'), {
          name: 'DynamoDB.ConditionalCheckFailedException',
        });
      }
      table.add(input.Item.id.S);
      return {};
    };
    await new StateMachine(asl as never, { validationOptions: { checkArn: false } }).run(event as never, {
      // Retries run without their pauses here: what is tested is where a failure goes, not how long it waits.
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        retryIntervalOverrides: Object.fromEntries(Object.keys(asl.States as object).map((s) => [s, 0])),
      },
    }).result;
    return published;
  };
}
