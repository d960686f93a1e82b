import type { JobDetail } from '@aws-sdk/client-batch';
import { describeJobs, listRunJobs } from './describe';
import { JobFailure, jobFailures } from './failures';
import { itemOfJob, jobKey, revisionOf, StageRerun, stagesOf, stagesToRun } from './rerun-plan';
import { isRunId, JobStage, MAX_RUN_ID_LENGTH, SubmittedJob, submitJobs } from './submit';
import { ITEM_ENV } from '../../contract/job-env';
import { rerunIdOf, rerunManifestKey } from '../../contract/run-names';
import { FINISHED_JOB_RETENTION_DAYS } from '../../private/limits';
import { AwsCalls } from '../aws-calls';
import { PipelineClientError } from '../errors';
import { itemsAt, parseS3Uri, putItems } from '../manifests';

/** Rerunning the failed items of a finished run of jobs, through every stage, once. */

/** Finished jobs older than this are not rerun: a day short of the time Batch keeps them listed. */
const RERUN_MAX_AGE_MS = (FINISHED_JOB_RETENTION_DAYS - 1) * 86_400_000;

/**
 * Options of `PipelineClient.rerunJobs`.
 * @jsii ignore
 */
export interface RerunJobsOptions {
  /**
   * Only read: list what would be rerun, write and submit nothing.
   * @default false
   */
  readonly dryRun?: boolean;
}

/**
 * What `rerunJobs` found and did.
 * @jsii ignore
 */
export interface JobRerunResult {
  /** The run read. */
  readonly runId: string;
  /** The rerun's run id (`<run>-rerun`): its jobs are named after it, so rerunning twice submits once. */
  readonly rerunId: string;
  /** The failed jobs and array children of the run, with Batch's reasons. */
  readonly failed: JobFailure[];
  /** The run's stages, in order, as the rerun submits them (latest revision of each job definition). */
  readonly stages: JobStage[];
  /** The items rerun: manifest indexes (array jobs) or item ids (one job per item). */
  readonly items: Array<number | string>;
  /** Where the rerun's items were written (array jobs); absent on a dry run. */
  readonly rerunManifest?: string;
  /** What was submitted; empty on a dry run or with nothing to rerun. */
  readonly submitted: SubmittedJob[];
  /**
   * Runs of one job per item: per stage, how many items run again, how many reuse the job that succeeded (same job
   * definition revision and parameters), and how many must run because Batch no longer lists their job. Array runs:
   * the failed items start together at the first stage one of them needs.
   */
  readonly stageReruns?: StageRerun[];
}

/**
 * Submits again the items of a finished run of jobs that failed, as the run `<run>-rerun` (so rerunning twice submits
 * once): for one job per item, from the first stage that did not succeed with the job definition revision the rerun
 * submits (`stagesToRun`); for array jobs, all from the first stage one of them needs (`reusedArrayStages`). Array
 * runs: the failed children's items are read from the run's manifest in S3 and written next to it
 * (`<key>.rerun-<run>.json`), and array jobs over that manifest are submitted. One job per item: the failed jobs'
 * parameters are the items. Each stage uses the latest revision of its job definition, so a fix registered since
 * applies; environment overrides given to `submitJobs` through `JobStage.environment` are not carried over.
 */
export async function rerunJobs(
  aws: AwsCalls,
  jobQueue: string,
  runId: string,
  options: RerunJobsOptions,
): Promise<JobRerunResult> {
  // The run's jobs and array parents: a listing filtered by job name leaves array children out ("The filter doesn't
  // apply to child jobs in an array", https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html).
  const jobs = await describeJobs(
    aws,
    (await listRunJobs(aws, jobQueue, runId)).map((j) => j.jobId),
  );
  if (jobs.length === 0) {
    throw new PipelineClientError('state', `no jobs of run ${runId} on ${jobQueue}: check the run id and the queue`);
  }
  const open = jobs.filter((j) => j.status !== 'SUCCEEDED' && j.status !== 'FAILED');
  if (open.length > 0) {
    throw new PipelineClientError(
      'state',
      `run ${runId} is still going (${open.length} job(s) not done, e.g. ${open[0].jobName} ${open[0].status}): ` +
        `rerun reads a finished run. Wait for it: batch-pipelines watch --queue ${jobQueue} --run-id ${runId}`,
    );
  }
  // Batch forgets finished jobs after FINISHED_JOB_RETENTION_DAYS: an earlier stage's jobs may be gone, and a rerun
  // would skip that stage.
  const now = aws.now();
  const oldest = Math.min(...jobs.map((j) => j.createdAt ?? now));
  if (now - oldest > RERUN_MAX_AGE_MS) {
    throw new PipelineClientError(
      'state',
      `run ${runId} started ${Math.floor((now - oldest) / 86_400_000)} days ago: Batch keeps finished jobs ` +
        `for at least ${FINISHED_JOB_RETENTION_DAYS} days only, so some of its stages may no longer be listed and a ` +
        'rerun could skip them. ' +
        'Submit the failed items again with batch-pipelines submit (every stage) instead',
    );
  }
  const rerunId = rerunIdOf(runId);
  if (!isRunId(rerunId)) {
    throw new PipelineClientError(
      'input',
      `run ${runId} is too long to rerun as ${rerunId} (${MAX_RUN_ID_LENGTH} characters at most)`,
    );
  }
  const stages = stagesOf(runId, jobs, ITEM_ENV.offset);
  const failed = await jobFailures(
    aws,
    jobs.map((j) => j.jobId!),
  );
  const base = { runId, rerunId, failed, stages };
  if (failed.length === 0) {
    return { ...base, items: [], submitted: [] };
  }
  const env = (job: JobDetail, name: string) => job.container?.environment?.find((e) => e.name === name)?.value;
  const manifestUri = jobs.map((j) => env(j, ITEM_ENV.manifest)).find((u) => u);
  if (manifestUri) {
    const indexes = [...new Set(failed.map((f) => f.itemIndex).filter((i): i is number => i !== undefined))].sort(
      (a, b) => a - b,
    );
    // The stages before the earliest one a failed item failed at are reused when every failed item's child
    // succeeded there with the revision the rerun submits (reusedArrayStages).
    const start = await reusedArrayStages(aws, runId, jobs, stages, failed, indexes);
    const stageReruns = stages.map((st, i) => ({
      stage: st.name,
      run: i < start ? 0 : indexes.length,
      reused: i < start ? indexes.length : 0,
      forgotten: 0,
    }));
    if (options.dryRun) {
      return { ...base, items: indexes, submitted: [], stageReruns };
    }
    // The run's jobs were submitted with this URI: one that is not s3://bucket/key is not the library's.
    const manifest = parseS3Uri(manifestUri, 'data');
    const key = rerunManifestKey(manifest.key, runId);
    const rerunManifest = `s3://${manifest.bucket}/${key}`;
    const items = await itemsAt(
      aws,
      { bucket: manifest.bucket, key: manifest.key, etag: jobs.map((j) => env(j, ITEM_ENV.etag)).find((e) => e) },
      indexes,
    );
    // A rerun already submitted reads its manifest: rewriting it under its running children could move their items.
    if ((await listRunJobs(aws, jobQueue, rerunId)).length === 0) {
      await putItems(aws, manifest.bucket, key, items);
    }
    const submitted = await submitJobs(aws, {
      runId: rerunId,
      items,
      stages: stages.slice(start),
      manifestUri: rerunManifest,
    });
    return { ...base, items: indexes, rerunManifest, submitted, stageReruns };
  }
  // One job per item: a failed job's parameters are its item; the name says which field is the id.
  const byId = new Map<string, { idField: string; item: Record<string, string>; failedStage: string }>();
  for (const f of failed) {
    const job = jobs.find((j) => j.jobId === f.jobId);
    const key = job && jobKey(runId, job, ITEM_ENV.offset);
    if (job && key?.id && key.idField) {
      byId.set(key.id, { idField: key.idField, item: itemOfJob(job), failedStage: key.stage });
    }
  }
  const ids = [...byId.keys()];
  // The stages before the one that failed are not submitted again where they succeeded with the revision the rerun
  // would submit and the same parameters (stagesToRun).
  const keyed = jobs.map((j) => ({ job: j, key: jobKey(runId, j, ITEM_ENV.offset) }));
  const { startOf, counts } = stagesToRun(
    stages,
    ids.map((id) => ({ id, ...byId.get(id)! })),
    (stage, id) => keyed.find((k) => k.key?.stage === stage && k.key.id === id)?.job,
    await latestRevisions(aws, stages),
  );
  if (options.dryRun || ids.length === 0) {
    return { ...base, items: ids, submitted: [], stageReruns: counts };
  }
  const submitted: SubmittedJob[] = [];
  for (const start of [...new Set(startOf.values())].sort((a, b) => a - b)) {
    const group = ids.filter((id) => startOf.get(id) === start);
    submitted.push(
      ...(await submitJobs(aws, {
        runId: rerunId,
        items: group.map((id) => byId.get(id)!.item),
        idField: byId.get(group[0])?.idField,
        stages: stages.slice(start),
      })),
    );
  }
  return { ...base, items: ids, submitted, stageReruns: counts };
}

/**
 * The latest ACTIVE revision of each stage's job definition: what SubmitJob runs for a definition named without a
 * revision ("If the revision is not specified, then the latest active revision is used",
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html).
 */
async function latestRevisions(aws: AwsCalls, stages: JobStage[]): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  for (const name of new Set(stages.map((s) => s.jobDefinition))) {
    // aws.pages retries each page's call itself.
    for await (const page of aws.pages((nextToken) =>
      aws.batch.send(
        new aws.sdk.batch.DescribeJobDefinitionsCommand({ jobDefinitionName: name, status: 'ACTIVE', nextToken }),
      ),
    )) {
      for (const d of page.jobDefinitions ?? []) {
        latest.set(name, Math.max(latest.get(name) ?? 0, d.revision ?? 0));
      }
    }
  }
  return latest;
}

/**
 * Array runs: how many leading stages the rerun can skip. All failed items start at one stage (they share one rerun
 * manifest and its array jobs): the first stage before the earliest failed one where a failed item's child did not
 * succeed, or whose array jobs ran another revision than the rerun would submit.
 */
export async function reusedArrayStages(
  aws: AwsCalls,
  runId: string,
  jobs: JobDetail[],
  stages: JobStage[],
  failed: JobFailure[],
  indexes: number[],
): Promise<number> {
  const stageOf = (name: string) => /^(.+)-(\d+)$/.exec(name.slice(runId.length + 1))?.[1];
  const failedAt = Math.min(
    ...failed
      .filter((f) => f.itemIndex !== undefined)
      .map((f) => stages.findIndex((st) => st.name === stageOf(f.jobName))),
  );
  if (!(failedAt > 0)) {
    return 0;
  }
  const latest = await latestRevisions(aws, stages.slice(0, failedAt));
  for (let s = 0; s < failedAt; s++) {
    const parents = jobs.filter((j) => jobKey(runId, j, ITEM_ENV.offset)?.stage === stages[s].name);
    if (parents.some((p) => revisionOf(p.jobDefinition ?? '') !== latest.get(stages[s].jobDefinition))) {
      return s;
    }
    const succeeded = new Set<number>();
    for (const p of parents) {
      const offset = Number(p.container?.environment?.find((e) => e.name === ITEM_ENV.offset)?.value ?? Number.NaN);
      if (!p.arrayProperties?.size) {
        // A one-item chunk is a plain job at its offset.
        if (p.status === 'SUCCEEDED') {
          succeeded.add(offset);
        }
        continue;
      }
      const children = await aws.all(
        (nextToken) =>
          aws.batch.send(new aws.sdk.batch.ListJobsCommand({ arrayJobId: p.jobId, jobStatus: 'SUCCEEDED', nextToken })),
        (page) => page.jobSummaryList,
      );
      for (const c of children) {
        if (c.arrayProperties?.index !== undefined) {
          succeeded.add(offset + c.arrayProperties.index);
        }
      }
    }
    if (!indexes.every((i) => succeeded.has(i))) {
      return s;
    }
  }
  return failedAt;
}
