import { App, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Validations } from 'aws-cdk-lib';
import { BatchPipelinesValidationError, Ec2Capacity, FargateCapacity, Job, JobQueue, PipelineTag } from '../../lib';
import { PIPELINE_TAG_KEY } from '../../lib/contract/cost-tag';
import { AwsSolutionsChecks } from 'cdk-nag';
import { errorOf } from '../support/capacity';
import { synthValidated, validatingApp } from '../support/synth';
import { typeCheck } from '../support/compiles';

const KEY = 'batch-pipelines:pipeline';

/** A small pipeline: EC2 capacity, a Fargate one, a queue and a job, in a stack named `stackName`. */
function pipeline(stackName: string, name?: string): { stack: Stack; template: Template } {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, stackName);
  if (name !== undefined) {
    PipelineTag.set(stack, name);
  }
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const ec2Capacity = new Ec2Capacity(stack, 'Spot', { vpc });
  const fargate = new FargateCapacity(stack, 'Fargate', { vpc });
  const queue = new JobQueue(stack, 'Queue', { capacities: [ec2Capacity] });
  const fargateQueue = new JobQueue(stack, 'FargateQueue', { capacities: [fargate] });
  new Job(stack, 'Align', {
    queues: [queue],
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36'),
    vcpus: 1,
    memory: Size.gibibytes(2),
  });
  new Job(stack, 'Small', {
    queues: [fargateQueue],
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36'),
    vcpus: 1,
    memory: Size.gibibytes(2),
  });
  return { stack, template: Template.fromStack(stack) };
}

/** The tag's value in a resource's rendered `Tags` (a list of Key/Value pairs or a map), if it has one. */
function tagIn(tags: unknown, key = KEY): string | undefined {
  if (Array.isArray(tags)) {
    const hit = tags.find((t) => (t as { Key?: string }).Key === key) as { Value?: string } | undefined;
    return hit?.Value;
  }
  if (typeof tags === 'object' && tags !== null) {
    return (tags as Record<string, string>)[key];
  }
  return undefined;
}

describe('the cost-allocation tag', () => {
  test('its key is the run contract key', () => {
    expect(PipelineTag.KEY).toBe(PIPELINE_TAG_KEY);
    expect(PipelineTag.KEY).toBe(KEY);
  });

  describe('by default its value is the stack name, on what costs money', () => {
    const { template } = pipeline('Genomics');

    test('EC2 instances Batch launches: computeResources.tags of the environment, and the environment itself', () => {
      template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
        ComputeResources: Match.objectLike({ Type: 'SPOT', Tags: Match.objectLike({ [KEY]: 'Genomics' }) }),
        Tags: Match.objectLike({ [KEY]: 'Genomics' }),
      });
    });

    test('instances and their EBS volumes through the launch template tag specifications', () => {
      const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0];
      const specs = lt.Properties.LaunchTemplateData.TagSpecifications as Array<{
        ResourceType: string;
        Tags: unknown;
      }>;
      const byType = Object.fromEntries(specs.map((s) => [s.ResourceType, tagIn(s.Tags)]));
      expect(byType).toEqual(expect.objectContaining({ instance: 'Genomics', volume: 'Genomics' }));
    });

    test('Fargate: job definitions carry it and propagate it to the ECS tasks Fargate bills', () => {
      const defs = Object.values(template.findResources('AWS::Batch::JobDefinition'));
      expect(defs).toHaveLength(2);
      for (const d of defs) {
        expect(tagIn(d.Properties.Tags)).toBe('Genomics');
        expect(d.Properties.PropagateTags).toBe(true);
      }
      const fargate = Object.values(template.findResources('AWS::Batch::ComputeEnvironment')).find(
        (r) => r.Properties.ComputeResources.Type === 'FARGATE_SPOT',
      );
      expect(tagIn(fargate?.Properties.Tags)).toBe('Genomics');
    });

    test('job queues carry it', () => {
      for (const q of Object.values(template.findResources('AWS::Batch::JobQueue'))) {
        expect(tagIn(q.Properties.Tags)).toBe('Genomics');
      }
    });

    test('what the library did not create (the VPC, its NAT gateway) is not tagged without PipelineTag.applyTo', () => {
      for (const nat of Object.values(template.findResources('AWS::EC2::NatGateway'))) {
        expect(tagIn(nat.Properties.Tags)).toBeUndefined();
      }
    });
  });

  test('PipelineTag.set names the pipeline instead; PipelineTag.of reads it back', () => {
    const { stack, template } = pipeline('GenomicsStack', 'genomics-prod');
    expect(PipelineTag.of(stack)).toEqual({ key: KEY, value: 'genomics-prod' });
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Tags: Match.objectLike({ [KEY]: 'genomics-prod' }) }),
    });
  });

  test('PipelineTag.of: the stack name by default, the app context key when given', () => {
    const app = new App({ context: { [KEY]: 'from-context' } });
    const named = new Stack(app, 'A');
    expect(PipelineTag.of(named).value).toBe('from-context');
    const plain = new Stack(new App(), 'B');
    expect(PipelineTag.of(plain).value).toBe('B');
  });

  test('PipelineTag.applyTo tags the VPC and NAT gateway too', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Genomics');
    new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 1 });
    PipelineTag.applyTo(stack);
    const nat = Object.values(Template.fromStack(stack).findResources('AWS::EC2::NatGateway'))[0];
    expect(tagIn(nat.Properties.Tags)).toBe('Genomics');
  });

  test('two pipelines in one app: each stack tags with its own name', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const a = new Stack(app, 'One');
    const b = new Stack(app, 'Two');
    new JobQueue(a, 'Queue', { capacities: [new FargateCapacity(a, 'F', { vpc: new ec2.Vpc(a, 'Vpc') })] });
    new JobQueue(b, 'Queue', { capacities: [new FargateCapacity(b, 'F', { vpc: new ec2.Vpc(b, 'Vpc') })] });
    const q = (s: Stack) => Object.values(Template.fromStack(s).findResources('AWS::Batch::JobQueue'))[0];
    expect(tagIn(q(a).Properties.Tags)).toBe('One');
    expect(tagIn(q(b).Properties.Tags)).toBe('Two');
  });

  test('grantSpend: ce:GetCostAndUsage and ce:ListCostAllocationTags on *; cdk-nag passes (IAM5 acknowledged)', () => {
    // GIVEN an app that runs cdk-nag's AWS Solutions checks (any unacknowledged finding fails the synth)
    const app = validatingApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'S');
    const role = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    const grant = PipelineTag.grantSpend(role);
    // THEN
    expect(grant.success).toBe(true);
    synthValidated(app, stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Action: ['ce:GetCostAndUsage', 'ce:ListCostAllocationTags'], Effect: 'Allow', Resource: '*' }],
      },
    });
  });

  describe('errors', () => {
    test('a name that is not a tag value', () => {
      const stack = new Stack(new App(), 'S');
      const e = errorOf(() => PipelineTag.set(stack, 'genomics#prod!'));
      expect(e).toBeInstanceOf(BatchPipelinesValidationError);
      expect(e.message).toBe(
        "S: name 'genomics#prod!' is not allowed; allowed: 1 to 256 letters, digits, spaces and _ . : / = + - @ " +
          "(an AWS tag value). Fix: PipelineTag.set(scope, 'genomics-prod-')",
      );
    });

    test('set after something was created under the scope', () => {
      const stack = new Stack(new App(), 'S');
      new ec2.Vpc(stack, 'Vpc');
      const e = errorOf(() => PipelineTag.set(stack, 'genomics'));
      expect(e).toBeInstanceOf(BatchPipelinesValidationError);
      expect(e.message).toBe(
        "S: name 'genomics' after 'Vpc' was created under S is not allowed; allowed: a name set before anything " +
          'under the scope exists, so every resource under it carries the same name. Fix: call ' +
          "PipelineTag.set(scope, 'genomics') before creating 'Vpc' (first thing in the stack's constructor)",
      );
    });

    test('the fixes compile against the library', () => {
      const diagnostics = typeCheck({
        fix: [
          "import { App, Stack } from 'aws-cdk-lib';",
          "import { PipelineTag } from 'cdk-batch-pipelines';",
          "const scope = new Stack(new App(), 'S');",
          "PipelineTag.set(scope, 'genomics-prod-');",
          "PipelineTag.set(scope, 'genomics');",
        ].join('\n'),
      });
      expect(diagnostics.fix).toEqual([]);
    });
  });
});
