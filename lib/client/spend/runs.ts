import { AwsCalls } from '../aws-calls';
import { runCost } from '../cost';
import { RunsInPeriod } from './types';

/**
 * The list price of the jobs a pipeline ran in a period, from Batch's records: its queues are those tagged with its
 * name (DescribeJobQueues returns each queue's tags), its jobs those that finished (SUCCEEDED or FAILED) and started
 * in the period, priced by `runCost` as `watch` and `estimate` price them. Batch lists finished jobs only for a
 * limited time after they end, so a period far back finds fewer jobs than ran.
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobQueues.html
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html
 */
export async function runsInPeriod(
  aws: AwsCalls,
  tag: { key: string; value: string },
  startMs: number,
  endMs: number,
): Promise<RunsInPeriod> {
  const queues = (
    await aws.all(
      (nextToken) => aws.batch.send(new aws.sdk.batch.DescribeJobQueuesCommand({ nextToken })),
      (page) => page.jobQueues,
    )
  )
    .filter((q) => q.tags?.[tag.key] === tag.value)
    .map((q) => q.jobQueueName!)
    .sort();
  const ids: string[] = [];
  for (const jobQueue of queues) {
    for (const jobStatus of ['SUCCEEDED', 'FAILED'] as const) {
      const jobs = await aws.all(
        (nextToken) => aws.batch.send(new aws.sdk.batch.ListJobsCommand({ jobQueue, jobStatus, nextToken })),
        (page) => page.jobSummaryList,
      );
      for (const j of jobs) {
        const started = j.startedAt ?? j.createdAt ?? 0;
        if (started >= startMs && started < endMs) {
          ids.push(j.jobId!);
        }
      }
    }
  }
  const cost = await runCost(aws, ids, {});
  return { queues, cost, usd: cost.spotUsd ?? cost.onDemandUsd };
}
