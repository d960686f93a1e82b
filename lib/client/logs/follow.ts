import type { JobDetail } from '@aws-sdk/client-batch';
import { logLocationOf } from './location';
import { getLogEvents, lineOf, missingStream, readLastLines } from './tail';
import { FollowedJobLog, FollowJobLogOptions } from './types';
import { AwsCalls } from '../aws-calls';
import { PipelineClientError } from '../errors';
import { describeJobs } from '../jobs/describe';

/**
 * Following a running job's log: the lines already written, then each new one, until the job ends. Each look
 * describes the job first and then reads its stream to the end (GetLogEvents forward from `nextForwardToken` until it
 * returns the token it was given: "If you have reached the end of the stream, it returns the same token you passed
 * in"), so the lines a job wrote before it ended are read before the end is reported.
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
 */

const ENDED = new Set(['SUCCEEDED', 'FAILED']);

/** Follows the log of job `jobId` until the job ends (or its log cannot be followed); returns how it ended. */
export async function followJobLog(
  aws: AwsCalls,
  jobId: string,
  options: FollowJobLogOptions = {},
): Promise<FollowedJobLog> {
  const interval = options.intervalMs ?? 5_000;
  const emit = (lines: string[]) => lines.length > 0 && options.onLines?.(lines);
  let token: string | undefined;
  let started = false;
  // The stream read: a retried job's next attempt writes to a stream of its own, read from its start.
  let stream: string | undefined;
  let lastStatus: string | undefined;
  for (;;) {
    const [job] = await describeJobs(aws, [jobId]);
    if (!job) {
      throw new PipelineClientError('input', `Batch does not know job ${jobId}: check --job-id and the region`);
    }
    const at = logLocationOf(job);
    const ended = ENDED.has(job.status ?? '');
    if (at.logStreamName) {
      if (!started) {
        // The end of what is already written, then on from there. An empty stream gives no token worth keeping: read
        // it from its start next time.
        const end = await readLastLines(aws, at.logGroupName!, at.logStreamName, options.lines ?? 50);
        if (end.missing && ended) {
          return {
            ...endOf(job),
            logGroupName: at.logGroupName,
            logStreamName: at.logStreamName,
            missing: end.missing,
          };
        }
        emit(end.lines);
        started = end.lines.length > 0;
        token = started ? end.forwardToken : undefined;
      } else {
        if (at.logStreamName !== stream) {
          emit([`-- attempt ${(job.attempts?.length ?? 0) + (ended ? 0 : 1)}: ${at.logStreamName}`]);
          token = undefined;
        }
        token = await readOn(aws, at.logGroupName!, at.logStreamName, token, emit);
      }
      stream = at.logStreamName;
    } else if (!at.pending) {
      return { ...endOf(job), logGroupName: at.logGroupName, missing: at.missing };
    } else if (job.status !== lastStatus) {
      options.onStatus?.(job.status!);
    }
    lastStatus = job.status;
    if (ended) {
      // A short job whose stream was still empty at the first look is read from its start (no token yet).
      if (at.logStreamName) {
        // The awslogs driver sends a container's last lines as it stops: one more read, an interval later, finds them.
        // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
        await aws.sleep(interval);
        await readOn(aws, at.logGroupName!, at.logStreamName, token, emit);
      }
      return { ...endOf(job), logGroupName: at.logGroupName, logStreamName: at.logStreamName };
    }
    await aws.sleep(interval);
  }
}

/** Reads a stream forward from `token` to its end, emitting each page's lines; returns the token to go on from. */
async function readOn(
  aws: AwsCalls,
  logGroupName: string,
  logStreamName: string,
  token: string | undefined,
  emit: (lines: string[]) => unknown,
): Promise<string | undefined> {
  for (;;) {
    let page;
    try {
      page = await getLogEvents(aws, { logGroupName, logStreamName, startFromHead: true, nextToken: token });
    } catch (e) {
      if (missingStream(e, logGroupName, logStreamName)) {
        return token;
      }
      throw e;
    }
    emit((page.events ?? []).map((e) => lineOf(e.message)));
    if (!page.nextForwardToken || page.nextForwardToken === token) {
      return token;
    }
    token = page.nextForwardToken;
  }
}

function endOf(job: JobDetail): Pick<FollowedJobLog, 'jobId' | 'status' | 'statusReason' | 'exitCode'> {
  return {
    jobId: job.jobId!,
    status: job.status!,
    ...(job.statusReason ? { statusReason: job.statusReason } : {}),
    ...(job.container?.exitCode === undefined ? {} : { exitCode: job.container.exitCode }),
  };
}
