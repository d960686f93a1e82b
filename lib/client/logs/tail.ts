import type { GetLogEventsResponse } from '@aws-sdk/client-cloudwatch-logs';
import { logLocationOf } from './location';
import { JobLogTail } from './types';
import { GET_LOG_EVENTS_MAX_EVENTS } from '../../private/limits';
import { AwsCalls } from '../aws-calls';
import { describeJobs } from '../jobs/describe';

/**
 * Reading the end of a job's log with GetLogEvents. With `startFromHead` false and no token it returns the latest
 * events (oldest first), at most `limit` of them and 1 MB, possibly fewer or none while more are there:
 * `nextBackwardToken` reads further back, and "if you have reached the end of the stream, it returns the same token
 * you passed in".
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
 */

/** Pages read back before giving up on filling `lines` (each up to 1 MB): a stream of empty pages ends here. */
const MAX_PAGES = 50;

/** The last `lines` lines of a job's log (its last attempt's), or why there are none. */
export async function tailJobLog(aws: AwsCalls, job: { jobId: string }, lines: number): Promise<JobLogTail> {
  const [detail] = await describeJobs(aws, [job.jobId]);
  if (!detail) {
    return {
      jobId: job.jobId,
      lines: [],
      missing: `Batch does not know job ${job.jobId} (check the id and the region)`,
    };
  }
  const at = logLocationOf(detail);
  const base = { jobId: job.jobId, status: detail.status, logGroupName: at.logGroupName };
  if (!at.logStreamName) {
    return { ...base, lines: [], missing: at.missing };
  }
  const read = await readLastLines(aws, at.logGroupName!, at.logStreamName, lines);
  return {
    ...base,
    logStreamName: at.logStreamName,
    lines: read.lines,
    ...(read.missing ? { missing: read.missing } : {}),
  };
}

/** What the end of a stream holds: its last lines and where to read on from, or why it cannot be read. */
export interface StreamEnd {
  readonly lines: string[];
  /** The token that reads on after the last line (GetLogEvents' `nextForwardToken` of the newest page). */
  readonly forwardToken?: string;
  readonly missing?: string;
}

/** The last `lines` lines of a stream, reading back page by page until there are enough or the stream's start. */
export async function readLastLines(
  aws: AwsCalls,
  logGroupName: string,
  logStreamName: string,
  lines: number,
): Promise<StreamEnd> {
  const out: string[] = [];
  let token: string | undefined;
  let forwardToken: string | undefined;
  for (let page = 0; page < MAX_PAGES && out.length < lines; page++) {
    const limit = Math.min(GET_LOG_EVENTS_MAX_EVENTS, lines - out.length);
    let got: GetLogEventsResponse;
    try {
      got = await getLogEvents(aws, { logGroupName, logStreamName, startFromHead: false, limit, nextToken: token });
    } catch (e) {
      const missing = missingStream(e, logGroupName, logStreamName);
      if (missing) {
        return { lines: [], missing };
      }
      throw e;
    }
    forwardToken ??= got.nextForwardToken;
    out.unshift(...(got.events ?? []).map((e) => lineOf(e.message)));
    if (!got.nextBackwardToken || got.nextBackwardToken === token) {
      break;
    }
    token = got.nextBackwardToken;
  }
  return { lines: out.slice(-lines), forwardToken };
}

/** GetLogEvents, retried while throttled. */
export function getLogEvents(
  aws: AwsCalls,
  input: { logGroupName: string; logStreamName: string; startFromHead: boolean; limit?: number; nextToken?: string },
): Promise<GetLogEventsResponse> {
  return aws.call(() => aws.logs.send(new aws.logsSdk.GetLogEventsCommand(input)));
}

/**
 * A stream or group that does not exist, in words: GetLogEvents answers ResourceNotFoundException ("The specified
 * log group does not exist", "The specified log stream does not exist").
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html#API_GetLogEvents_Errors
 */
export function missingStream(e: unknown, logGroupName: string, logStreamName: string): string | undefined {
  const err = e as { name?: string; message?: string };
  if (err?.name !== 'ResourceNotFoundException') {
    return undefined;
  }
  return (
    `log stream ${logStreamName} in group ${logGroupName} is not there (AWS said: ${err.message ?? err.name}): ` +
    "the group's retention deleted it, it was deleted, or the container never wrote a line"
  );
}

/** An event's message as one line of output: without the newline the driver kept. */
export function lineOf(message: string | undefined): string {
  return (message ?? '').replace(/\r?\n$/, '');
}
