import { Duration, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { Ec2Capacity, FanOut, Job, JobQueue, PurchaseOption, RetryPolicy, Workflow, WorkflowStep } from '../../lib';

/** Props of the genomics example stack. */
export interface GenomicsPipelineStackProps extends StackProps {
  /**
   * How many samples are processed at once.
   * @default 50
   */
  readonly maxConcurrentJobs?: number;
}

/**
 * The reference workload: ~500 DNA samples a week, each ~4 h at up to ~30 GiB, in bursts, results in S3, up to 50
 * jobs at once, nothing running when idle. Built only from the library's public API.
 */
export class GenomicsPipelineStack extends Stack {
  /** The VPC jobs run in. */
  public readonly vpc: ec2.Vpc;
  /** Spot capacity, tried first. */
  public readonly spotCapacity: Ec2Capacity;
  /** On-Demand capacity, the fallback when Spot is short or a job keeps being interrupted. */
  public readonly onDemandCapacity: Ec2Capacity;
  /** Priority 10: Spot first, then On-Demand. Where samples normally run. */
  public readonly standardQueue: JobQueue;
  /** Priority 100: On-Demand only. For reruns that must not be interrupted again. */
  public readonly urgentQueue: JobQueue;
  /** The pipeline's jobs, by step. */
  public readonly jobs: { align: Job; callVariants: Job; qc: Job; aggregate: Job };
  /** Per sample: align, then call-variants and qc in parallel; after every sample, aggregate. */
  public readonly workflow: Workflow;

  constructor(scope: Construct, id: string, props: GenomicsPipelineStackProps = {}) {
    super(scope, id, props);
    const maxConcurrentJobs = props.maxConcurrentJobs ?? 50;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'jobs', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    });

    // One sample: 4 vCPU and 30 GiB, which fits a 32 GiB r-family xlarge (a 32 GiB request would not).
    const sample = { vcpus: 4, memory: Size.gibibytes(30) };
    this.spotCapacity = new Ec2Capacity(this, 'SpotCapacity', {
      vpc: this.vpc,
      purchaseOption: PurchaseOption.SPOT,
      concurrentJobs: { jobs: maxConcurrentJobs, resources: sample },
    });
    this.onDemandCapacity = new Ec2Capacity(this, 'OnDemandCapacity', {
      vpc: this.vpc,
      purchaseOption: PurchaseOption.ON_DEMAND,
      concurrentJobs: { jobs: maxConcurrentJobs, resources: sample },
    });

    // Two queues share the same capacity: urgent work is scheduled first, on On-Demand only.
    this.standardQueue = JobQueue.spotFirst(this, 'StandardQueue', this.spotCapacity, this.onDemandCapacity, {
      priority: 10,
    });
    this.urgentQueue = new JobQueue(this, 'UrgentQueue', { capacities: [this.onDemandCapacity], priority: 100 });

    const queues = [this.standardQueue, this.urgentQueue];
    const image = (name: string) => ecs.ContainerImage.fromRegistry(`public.ecr.aws/docker/library/${name}`);
    this.jobs = {
      align: new Job(this, 'Align', {
        queues,
        image: image('busybox:1.36'),
        command: ['sh', '-c', 'echo align Ref::sampleId'],
        ...sample,
        timeout: Duration.hours(6),
        retryPolicy: RetryPolicy.spotInterruptions(3),
      }),
      callVariants: new Job(this, 'CallVariants', {
        queues,
        image: image('busybox:1.36'),
        command: ['sh', '-c', 'echo call-variants Ref::sampleId'],
        vcpus: 4,
        memory: Size.gibibytes(15),
        timeout: Duration.hours(4),
      }),
      qc: new Job(this, 'Qc', {
        queues,
        image: image('busybox:1.36'),
        command: ['sh', '-c', 'echo qc Ref::sampleId'],
        vcpus: 2,
        memory: Size.gibibytes(7),
        timeout: Duration.hours(1),
      }),
      aggregate: new Job(this, 'Aggregate', {
        queues,
        image: image('busybox:1.36'),
        command: ['sh', '-c', 'echo aggregate'],
        vcpus: 4,
        memory: Size.gibibytes(30),
        timeout: Duration.hours(2),
      }),
    };

    // One execution per batch manifest: { "samples": [{ "sampleId", "inputUri", "outputUri" }, ...] }.
    const samples = new FanOut('samples', { maxConcurrency: maxConcurrentJobs });
    const align = new WorkflowStep('align', { job: this.jobs.align, forEach: samples });
    const callVariants = new WorkflowStep('callVariants', {
      job: this.jobs.callVariants,
      forEach: samples,
      dependsOn: [align],
    });
    const qc = new WorkflowStep('qc', { job: this.jobs.qc, forEach: samples, dependsOn: [align] });
    const aggregate = new WorkflowStep('aggregate', { job: this.jobs.aggregate, dependsOn: [callVariants, qc] });
    this.workflow = new Workflow(this, 'Workflow', { steps: [align, callVariants, qc, aggregate] });
  }
}
