import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';

/**
 * A small stand-in for the AWS Batch service on 127.0.0.1 that speaks its REST-JSON protocol (the operations the
 * client uses), so the real AWS SDK serializes, signs, retries and maps errors against it. Jobs move one state per
 * DescribeJobs call; array children all advance together.
 *
 * The end-to-end suite (e2e/, against moto) covers what moto can do; this stays for what moto 5.2.1 cannot: answer
 * SubmitJob with 429 TooManyRequestsException (the client's throttling back-off), report array children by status
 * (`arrayProperties.statusSummary`), age a RUNNABLE job by hours and give it Batch's MISCONFIGURATION status reason
 * (moto, through e2e/moto_launcher.py, holds jobs RUNNABLE only from now and without a reason), and fail some
 * children of an array job, the parent then FAILED, with their attempts (`watch`'s failure counts and cost).
 * See ../shared/reference/moto-5.2-notes.md.
 */
export interface FakeJob {
  jobId: string;
  jobName: string;
  jobQueue: string;
  jobDefinition: string;
  status: string;
  statusReason?: string;
  createdAt: number;
  arraySize?: number;
  dependsOn?: Array<{ jobId: string; type?: string }>;
  parameters?: Record<string, string>;
  /** Tags given at submit (JobDetail.tags). */
  tags?: Record<string, string>;
  /** Environment overrides given at submit (JobDetail.container.environment). */
  environment?: Array<{ name: string; value: string }>;
  memoryMiB?: number;
  /** Children that will fail (array jobs) or whether the job fails. */
  failChildren?: number;
}

export interface BatchServerOptions {
  /** Answer the first N SubmitJob calls with 429 TooManyRequestsException. */
  throttleFirstSubmits?: number;
  /** Job names (prefix match) that stay RUNNABLE, with this status reason. */
  stuck?: { namePrefix: string; statusReason: string; memoryMiB: number };
  /** How many children of each array job fail. */
  failChildren?: number;
  /** Known queues; any other name is "not found". */
  queues?: string[];
}

const FLOW = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING', 'SUCCEEDED'];

export class BatchServer {
  public readonly jobs: FakeJob[] = [];
  public readonly calls: Array<{ op: string; body: Record<string, unknown> }> = [];
  private server?: Server;
  private throttles: number;
  private next = 1;

  constructor(private readonly options: BatchServerOptions = {}) {
    this.throttles = options.throttleFirstSubmits ?? 0;
  }

  /** Starts on a free port of 127.0.0.1 and returns the endpoint URL. */
  public async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const op = (req.url ?? '').replace(/^\/v1\//, '').replace(/\?.*$/, '');
      const body = raw ? JSON.parse(raw) : {};
      this.calls.push({ op, body });
      try {
        const out = this.dispatch(op, body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
      } catch (e) {
        const err = e as { status: number; type: string; message: string };
        res.writeHead(err.status ?? 500, {
          'content-type': 'application/json',
          'x-amzn-errortype': err.type ?? 'ServerException',
        });
        res.end(JSON.stringify({ message: err.message }));
      }
    });
  }

  private queueOk(name: string): void {
    const known = this.options.queues ?? ['standard'];
    if (!known.some((q) => name === q || name.endsWith(`/${q}`))) {
      throw { status: 400, type: 'ClientException', message: `JobQueue ${name} does not exist` };
    }
  }

  private dispatch(op: string, body: Record<string, unknown>): unknown {
    switch (op) {
      case 'submitjob': {
        if (this.throttles > 0) {
          this.throttles--;
          throw { status: 429, type: 'TooManyRequestsException', message: 'Too Many Requests' };
        }
        this.queueOk(body.jobQueue as string);
        const stuck = this.options.stuck && (body.jobName as string).startsWith(this.options.stuck.namePrefix);
        const job: FakeJob = {
          jobId: `0000000${this.next++}-1111-2222-3333-444455556666`.slice(-36),
          jobName: body.jobName as string,
          jobQueue: body.jobQueue as string,
          jobDefinition: body.jobDefinition as string,
          status: 'SUBMITTED',
          createdAt: stuck ? Date.now() - 95 * 60_000 : Date.now(),
          arraySize: (body.arrayProperties as { size?: number } | undefined)?.size,
          dependsOn: body.dependsOn as FakeJob['dependsOn'],
          parameters: body.parameters as Record<string, string>,
          tags: body.tags as Record<string, string> | undefined,
          environment: (body.containerOverrides as { environment?: FakeJob['environment'] } | undefined)?.environment,
          memoryMiB: stuck ? this.options.stuck!.memoryMiB : 30720,
          failChildren: this.options.failChildren,
        };
        if (stuck) {
          job.status = 'RUNNABLE';
          job.statusReason = this.options.stuck!.statusReason;
        }
        this.jobs.push(job);
        return {
          jobArn: `arn:aws:batch:us-east-1:123456789012:job/${job.jobId}`,
          jobName: job.jobName,
          jobId: job.jobId,
        };
      }
      case 'listjobs': {
        if (body.arrayJobId) {
          return this.listChildren(body.arrayJobId as string, body.jobStatus as string, body.nextToken as string);
        }
        if (body.jobQueue) {
          this.queueOk(body.jobQueue as string);
        }
        const filter = (body.filters as Array<{ name: string; values: string[] }> | undefined)?.find(
          (f) => f.name === 'JOB_NAME',
        );
        const match = (name: string) =>
          !filter || filter.values.some((v) => (v.endsWith('*') ? name.startsWith(v.slice(0, -1)) : name === v));
        const jobs = this.jobs.filter(
          (j) =>
            match(j.jobName) &&
            (!body.jobStatus || j.status === body.jobStatus) &&
            (!body.jobQueue || j.jobQueue === body.jobQueue),
        );
        return {
          jobSummaryList: jobs.map((j) => ({
            jobId: j.jobId,
            jobName: j.jobName,
            status: j.status,
            createdAt: j.createdAt,
          })),
        };
      }
      case 'describejobs': {
        const ids = body.jobs as string[];
        if (ids.length > 100) {
          throw { status: 400, type: 'ClientException', message: 'At most 100 jobs' };
        }
        return {
          jobs: ids.flatMap((id) => {
            const [parentId, index] = id.split(':');
            const job = this.jobs.find((j) => j.jobId === parentId);
            if (!job) {
              return [];
            }
            return index === undefined ? [this.advance(job)] : [this.child(job, Number(index))];
          }),
        };
      }
      case 'canceljob':
      case 'terminatejob': {
        const job = this.jobs.find((j) => j.jobId === body.jobId);
        if (job) {
          job.status = 'FAILED';
          job.statusReason = body.reason as string;
        }
        return {};
      }
      case 'describejobqueues':
        return {
          jobQueues: ((body.jobQueues as string[]) ?? []).map((q) => ({
            jobQueueName: q,
            jobQueueArn: `arn:aws:batch:us-east-1:123456789012:job-queue/${q}`,
            state: 'ENABLED',
            status: 'VALID',
            priority: 10,
            computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'spot' }],
          })),
        };
      case 'describecomputeenvironments':
        return {
          computeEnvironments: [
            {
              computeEnvironmentName: 'spot',
              computeEnvironmentArn: 'arn:aws:batch:us-east-1:123456789012:compute-environment/spot',
              status: 'VALID',
              state: 'ENABLED',
              computeResources: {
                type: 'SPOT',
                maxvCpus: 200,
                instanceTypes: ['r6i.xlarge', 'r7i.xlarge'],
                subnets: [],
              },
            },
          ],
        };
      default:
        throw { status: 404, type: 'ClientException', message: `unknown operation ${op}` };
    }
  }

  /** Indexes of an array job's failed children: `failChildren` of them, spread over the array. */
  private failedIndexes(job: FakeJob): number[] {
    const n = job.failChildren ?? 0;
    return Array.from({ length: n }, (_, k) => Math.floor((k * job.arraySize!) / n) + 1).filter(
      (i) => i < job.arraySize!,
    );
  }

  /** ListJobs with `arrayJobId`: the children in a status, 100 a page (AWS's default page size). */
  private listChildren(parentId: string, status: string, token?: string): Record<string, unknown> {
    const job = this.jobs.find((j) => j.jobId === parentId);
    if (!job?.arraySize || job.status !== 'SUCCEEDED') {
      return { jobSummaryList: [] };
    }
    const failed = new Set(this.failedIndexes(job));
    const indexes = Array.from({ length: job.arraySize }, (_, i) => i).filter(
      (i) => !status || (status === 'FAILED') === failed.has(i),
    );
    const start = token ? Number(token) : 0;
    const page = indexes.slice(start, start + 100);
    return {
      jobSummaryList: page.map((i) => ({
        jobId: `${job.jobId}:${i}`,
        jobName: job.jobName,
        status: failed.has(i) ? 'FAILED' : 'SUCCEEDED',
        arrayProperties: { index: i },
      })),
      ...(start + 100 < indexes.length ? { nextToken: String(start + 100) } : {}),
    };
  }

  /**
   * A child of an array job as DescribeJobs gives it: the id `<parent id>:<index>`, the parent's name and its index
   * (https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html); a failed child with the status reason, exit
   * code and log stream of the captured failure in test/monitoring/sample-events.ts `arrayChildFailed`.
   */
  private child(job: FakeJob, index: number): Record<string, unknown> {
    const failed = this.failedIndexes(job).includes(index);
    return {
      jobArn: `arn:aws:batch:us-east-1:123456789012:job/${job.jobId}:${index}`,
      jobId: `${job.jobId}:${index}`,
      jobName: job.jobName,
      jobQueue: job.jobQueue,
      jobDefinition: job.jobDefinition,
      status: failed ? 'FAILED' : 'SUCCEEDED',
      ...(failed ? { statusReason: 'Essential container in task exited' } : {}),
      createdAt: job.createdAt,
      arrayProperties: { index },
      container: failed ? { exitCode: 1, logStreamName: `Resize/default/${index.toString(16).padStart(4, '0')}` } : {},
      // Every attempt with its start and stop in epoch milliseconds (DescribeJobs `attempts[]`,
      // https://docs.aws.amazon.com/batch/latest/APIReference/API_AttemptDetail.html): a child that succeeded ran
      // 6 minutes once; a failed one ran 3 minutes twice (retried, then failed again).
      attempts: (failed ? [0, 1] : [0]).map((n) => ({
        startedAt: job.createdAt + n * 180_000,
        stoppedAt: job.createdAt + n * 180_000 + (failed ? 180_000 : 360_000),
        ...(failed ? { container: { exitCode: 1 }, statusReason: 'Essential container in task exited' } : {}),
      })),
    };
  }

  /** One step along SUBMITTED → … → SUCCEEDED per describe; stuck jobs stay RUNNABLE. */
  private advance(job: FakeJob): Record<string, unknown> {
    if (!job.statusReason && FLOW.indexOf(job.status) >= 0 && job.status !== 'SUCCEEDED') {
      const waiting = job.dependsOn?.some((d) => this.jobs.find((j) => j.jobId === d.jobId)?.status !== 'SUCCEEDED');
      if (!waiting || FLOW.indexOf(job.status) < 1) {
        job.status = FLOW[FLOW.indexOf(job.status) + 1];
      }
    }
    const detail: Record<string, unknown> = {
      jobArn: `arn:aws:batch:us-east-1:123456789012:job/${job.jobId}`,
      jobId: job.jobId,
      jobName: job.jobName,
      jobQueue: job.jobQueue,
      jobDefinition: job.jobDefinition,
      status: job.status,
      statusReason: job.statusReason,
      ...(job.tags ? { tags: job.tags } : {}),
      createdAt: job.createdAt,
      startedAt: job.createdAt,
      ...(job.parameters ? { parameters: job.parameters } : {}),
      container: {
        resourceRequirements: [
          { type: 'VCPU', value: '4' },
          { type: 'MEMORY', value: String(job.memoryMiB) },
        ],
        ...(job.environment ? { environment: job.environment } : {}),
      },
    };
    if (job.arraySize) {
      const failed = job.status === 'SUCCEEDED' ? (job.failChildren ?? 0) : 0;
      detail.arrayProperties = {
        size: job.arraySize,
        statusSummary: { [job.status]: job.arraySize - failed, ...(failed ? { FAILED: failed } : {}) },
      };
      if (failed) {
        detail.status = 'FAILED';
      }
    }
    return detail;
  }
}
