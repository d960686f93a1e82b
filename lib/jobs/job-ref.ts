import { Fn, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeRevisions } from './job-access';
import { IJobQueue } from '../queues/job-queue-base';
import { allRevisionsArn } from '../private/arns';
import { fail } from '../private/errors';
import { grantRunTagging } from '../private/run-names';

/**
 * A Batch job definition jobs are submitted with: a `Job` or `MultiNodeJob` this app defines, or one another stack or
 * team owns (`Job.fromJobDefinitionArn`). Grants take this interface. A workflow step needs a `Job` this app defines:
 * it plans memory, timeouts and retries from the job's own settings.
 */
export interface IJob extends IConstruct {
  /** The job definition's ARN. */
  readonly jobDefinitionArn: string;
  /** The job definition's name. */
  readonly jobDefinitionName: string;
  /** Grants `grantee` permission to submit this job (every revision of its definition) to its queues. */
  grantSubmit(grantee: iam.IGrantable): iam.Grant;
}

/** What this app should know of a job definition it imports. */
export interface ImportedJobOptions {
  /**
   * The queues the job is submitted to, for `grantSubmit`.
   * @default - none: grantSubmit grants the job definition only; grant a queue with its own grantSubmit
   */
  readonly queues?: IJobQueue[];
}

/** A job definition this app does not create. */
export class ImportedJob extends Construct implements IJob {
  public readonly jobDefinitionArn: string;
  public readonly jobDefinitionName: string;
  private readonly queues: IJobQueue[];

  constructor(scope: Construct, id: string, jobDefinitionArn: string, options: ImportedJobOptions) {
    super(scope, id);
    this.jobDefinitionArn = jobDefinitionArn;
    this.queues = [...(options.queues ?? [])];
    if (!Token.isUnresolved(jobDefinitionArn)) {
      const m = /^arn:[^:]+:batch:([^:]*):([^:]*):job-definition\/([A-Za-z0-9_-]+)(:[0-9]+)?$/.exec(jobDefinitionArn);
      const stack = Stack.of(this);
      const problem = !m
        ? undefined
        : !Token.isUnresolved(stack.region) && m[1] !== stack.region
          ? `is in region ${m[1]}, not this stack's ${stack.region}`
          : !Token.isUnresolved(stack.account) && m[2] !== stack.account
            ? `is in account ${m[2]}, not this stack's ${stack.account}`
            : undefined;
      if (!m || problem) {
        fail(this, {
          prop: 'jobDefinitionArn',
          received: `'${jobDefinitionArn}'`,
          problem,
          allowed:
            "arn:<partition>:batch:<this stack's region>:<this stack's account>:job-definition/<name>[:<revision>] (Batch submits only with job definitions of the caller's account and region)",
          fix: 'pass the job definition ARN from the owning stack, in a stack of its account and region',
        });
      }
      this.jobDefinitionName = m![3];
    } else {
      // job-definition/<name>[:<revision>] → <name>
      this.jobDefinitionName = Fn.select(0, Fn.split(':', Fn.select(1, Fn.split('job-definition/', jobDefinitionArn))));
    }
  }

  public grantSubmit(grantee: iam.IGrantable): iam.Grant {
    return grantSubmitJob(this, grantee, this.jobDefinitionArn, this.queues);
  }
}

/**
 * SubmitJob on every revision of a job definition and on its queues (Batch authorizes both), plus tagging the new jobs
 * with the run tag; the revisions pattern is acknowledged for cdk-nag on the grantee.
 */
export function grantSubmitJob(
  scope: IConstruct,
  grantee: iam.IGrantable,
  jobDefinitionArn: string,
  queues: readonly IJobQueue[],
): iam.Grant {
  const revisions = allRevisionsArn(jobDefinitionArn);
  const grant = iam.Grant.addToPrincipal({
    grantee,
    actions: ['batch:SubmitJob'],
    resourceArns: [revisions, ...queues.map((q) => q.jobQueueArn)],
  });
  acknowledgeRevisions(scope, grantee, revisions);
  grantRunTagging(scope, grantee);
  return grant;
}
