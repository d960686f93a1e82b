import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  ServiceInputTypes,
  ServiceOutputTypes,
  SFNClientResolvedConfig,
} from '@aws-sdk/client-sfn';
import { AwsStub } from 'aws-sdk-client-mock';
import { FailureKind } from '../../lib';
import {
  childExecutionArn,
  childExecutionListItem,
  describeExecutionFailed,
  describeMapRun,
  mapRunArn,
  mapRunListItem,
  stateExitedEvent,
} from './sfn-shapes';

/** A workflow run with a Distributed Map over 10 samples, seen three times while it runs (fixtures: sfn-shapes.ts). */
export const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:Genomics';
export const RUN = 'arn:aws:states:us-east-1:123456789012:execution:Genomics:4f1c0e5a9b7d2c3e8f6a1b0c9d8e7f6a5b4c3d2e';
export const MAP_RUN = mapRunArn(SM, 'samples', '0b7a66f2-4d1e-3f55-9a0c-2b8e1c5d7f90');
const samples = Array.from({ length: 10 }, (_, i) => ({ sampleId: `S${i}` }));

export const STARTED = new Date('2026-11-23T02:00:00.000Z');
const input = { manifest: { bucket: 'in', key: 'manifests/week-48.json', etag: 'etag-0' } };
/** The outcome records the workflow keeps (lib/contract/outcome.ts): 8 succeeded, items 3 and 7 failed. */
const outcomes = samples.map((s, index) =>
  index === 3
    ? {
        index,
        id: s.sampleId,
        status: 'FAILED',
        error: 'align.OutOfMemory',
        kind: FailureKind.OUT_OF_MEMORY,
        reason: 'ran out of memory at 61440 MiB',
      }
    : index === 7
      ? { index, id: s.sampleId, status: 'FAILED', error: 'States.Timeout', reason: 'the item ran past its timeout' }
      : { index, id: s.sampleId, status: 'SUCCEEDED' },
);

/** A failed child as DescribeExecution returns it: its input is the fan-out item, its cause the outcome record. */
function failedChild(name: string, index: number, error: string, kind: FailureKind, reason: string) {
  return describeExecutionFailed({
    executionArn: childExecutionArn(MAP_RUN, name),
    input: { item: samples[index], index, run: 'run' },
    error: 'samples.ItemFailed',
    cause: JSON.stringify({ index, id: samples[index].sampleId, status: 'FAILED', error, kind, reason }),
  });
}

/** Three looks at a run: 4 running; 1 failed; ended with 2 failed (one of them new). */
export function threePolls(sfnMock: AwsStub<ServiceInputTypes, ServiceOutputTypes, SFNClientResolvedConfig>) {
  const looks = [
    { status: 'RUNNING', map: 'RUNNING', items: { total: 10, running: 4, pending: 6 }, failed: [] as string[] },
    { status: 'RUNNING', map: 'RUNNING', items: { total: 10, running: 4, succeeded: 5, failed: 1 }, failed: ['c3'] },
    { status: 'FAILED', map: 'FAILED', items: { total: 10, succeeded: 8, failed: 1, timedOut: 1 }, failed: ['c3'] },
  ] as const;
  let poll = -1;
  sfnMock.on(DescribeExecutionCommand, { executionArn: RUN }).callsFake(async () => {
    // The last look repeats: the command reads the ended run once more for its outcomes.
    poll = Math.min(poll + 1, looks.length - 1);
    return looks[poll].status === 'RUNNING'
      ? {
          executionArn: RUN,
          name: RUN.split(':').pop(),
          status: 'RUNNING',
          startDate: STARTED,
          input: JSON.stringify(input),
        }
      : describeExecutionFailed({
          executionArn: RUN,
          input,
          error: 'samples.TooManyItemsFailed',
          cause: JSON.stringify({ status: 'FAILED', items: 10, failed: 2, firstFailures: outcomes.slice(0, 1) }),
        });
  });
  // The outcomes kept in the state (a fan-out without `results`), found in the history at the end.
  sfnMock.on(GetExecutionHistoryCommand).resolves({
    events: [
      stateExitedEvent({
        type: 'MapStateExited',
        name: 'samples: for each item',
        output: { ...input, samplesOutcomes: outcomes },
      }),
    ],
  });
  sfnMock.on(ListMapRunsCommand).callsFake(async () => ({ mapRuns: [mapRunListItem(RUN, MAP_RUN)] }));
  sfnMock
    .on(DescribeMapRunCommand)
    .callsFake(async () =>
      describeMapRun({ mapRunArn: MAP_RUN, executionArn: RUN, status: looks[poll].map, items: looks[poll].items }),
    );
  sfnMock.on(ListExecutionsCommand, { statusFilter: 'FAILED' }).callsFake(async () => ({
    executions: looks[poll].failed.map((n) => childExecutionListItem(MAP_RUN, n, 'FAILED')),
  }));
  sfnMock.on(ListExecutionsCommand, { statusFilter: 'TIMED_OUT' }).callsFake(async () => ({
    executions: poll === 2 ? [childExecutionListItem(MAP_RUN, 'c7', 'TIMED_OUT')] : [],
  }));
  sfnMock
    .on(DescribeExecutionCommand, { executionArn: childExecutionArn(MAP_RUN, 'c3') })
    .resolves(failedChild('c3', 3, 'align.OutOfMemory', FailureKind.OUT_OF_MEMORY, 'ran out of memory at 61440 MiB'));
  sfnMock.on(DescribeExecutionCommand, { executionArn: childExecutionArn(MAP_RUN, 'c7') }).resolves({
    ...failedChild('c7', 7, 'States.Timeout', FailureKind.OUT_OF_MEMORY, ''),
    status: 'TIMED_OUT',
    cause: undefined,
    error: 'States.Timeout',
  });
}
