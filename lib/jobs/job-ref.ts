import { Fn, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeRevisions } from './job-access';
import { IJobQueue } from '../queues/job-queue-base';
import { allRevisionsArn, checkImportedArn } from '../private/arns';
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
    checkImportedArn(this, 'jobDefinitionArn', jobDefinitionArn, 'job-definition');
    if (!Token.isUnresolved(jobDefinitionArn)) {
      this.jobDefinitionName = jobDefinitionArn.split('job-definition/')[1].split(':')[0];
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
