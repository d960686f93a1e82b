/**
 * The text of a run's message, as intrinsic-function expressions over paths the caller gives: the workflow's own
 * run-summary states (which read the execution's context and state) and the monitoring notifier (which reads a Step
 * Functions status-change event) compose the same words from these, so a user sees one message whichever sent it.
 *
 * Plain strings only: no aws-cdk-lib, so both sides import it without a cycle.
 */

/** Subjects of a run's message: fixed texts under SNS's 100 characters. https://docs.aws.amazon.com/sns/latest/api/API_Publish.html */
export const RUN_SUBJECTS = {
  succeeded: 'Workflow run SUCCEEDED',
  partial: 'Workflow run SUCCEEDED, some items failed',
  failed: 'Workflow run FAILED',
} as const;

/** Where a run is read from: each a JSONPath or an intrinsic function that gives a string. */
export interface RunPaths {
  /** The execution's name. */
  readonly name: string;
  /** The execution's ARN. */
  readonly arn: string;
}

/** A States.Format template (quoted) of the console link of an execution whose ARN fills its `{}`. */
export function executionLinkTemplate(region: string): string {
  return `'https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/{}'`;
}

/**
 * The message of a run that ended SUCCEEDED: `text` is an argument giving the fan-outs' lines (each starting with a
 * line break), or undefined when there are none (the text then reads as with an empty argument, without passing one).
 */
export function succeededMessage(run: RunPaths, text: string | undefined, region: string): string {
  return (
    `States.Format('Workflow execution {} ended SUCCEEDED.\n${text === undefined ? '' : '{}'}\n\nList the failed ` +
    'items and their reasons: batch-pipelines rerun --execution-arn {} --dry-run (without --dry-run it reruns ' +
    "them).\nWhere the time and money went: batch-pipelines report --execution-arn {}\nExecution: {}', " +
    `${[run.name, ...(text === undefined ? [] : [text]), run.arn, run.arn].join(', ')}, ` +
    `States.Format(${executionLinkTemplate(region)}, ${run.arn}))`
  );
}

/** The message of a run that ended `status` (an argument) with `error` and `cause` (arguments giving strings). */
export function endedBadlyMessage(run: RunPaths, status: string, error: string, cause: string, region: string): string {
  return (
    "States.Format('Workflow execution {} ended {}.\n\nError: {}\nCause: {}\nLogs of the failed jobs: " +
    'batch-pipelines logs --failed --execution-arn {}\nWhere the time and money went: batch-pipelines report ' +
    "--execution-arn {}\nExecution: {}', " +
    `${run.name}, ${status}, ${error}, ${cause}, ${run.arn}, ${run.arn}, ` +
    `States.Format(${executionLinkTemplate(region)}, ${run.arn}))`
  );
}

/**
 * A fan-out's line of the SUCCEEDED message, as a States.Format template piece and its arguments:
 * `\n<fan-out>: <status>, <failed> of <items> items failed[; outcomes: <results>][; from the step cache: <cached>]`.
 * `summary` is the path of the fan-out's summary; `withResults` when it names its result files, `withCached` when it
 * counts what its steps took from the step cache.
 */
export function fanOutLine(
  fanOut: string,
  summary: string,
  withResults: boolean,
  withCached = false,
): { template: string; args: string[] } {
  const template = [
    `\n${fanOut}: {}, {} of {} items failed`,
    withResults ? '; outcomes: {}' : '',
    withCached ? '; from the step cache: {}' : '',
  ].join('');
  const args = [
    `${summary}.status`,
    `${summary}.failed`,
    `${summary}.items`,
    ...(withResults ? [`${summary}.results`] : []),
    ...(withCached ? [`${summary}.cached`] : []),
  ];
  return { template, args };
}
