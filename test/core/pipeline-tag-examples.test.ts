import { App, CfnResource, Stack, TagManager } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';
import { ThumbnailsStack } from '../../examples/thumbnails/thumbnails-stack';
import {
  Ec2Capacity,
  FargateCapacity,
  Job,
  JobQueue,
  ManifestTrigger,
  MultiNodeJob,
  PipelineMonitoring,
  QueueProbe,
  SharedJobResources,
  Workflow,
} from '../../lib';

const KEY = 'batch-pipelines:pipeline';

/** The tag's value in a resource's rendered `Tags`: a list of Key/Value pairs or a map. */
function tagIn(tags: unknown): string | undefined {
  if (Array.isArray(tags)) {
    return (tags.find((t) => (t as { Key?: string }).Key === KEY) as { Value?: string } | undefined)?.Value;
  }
  return typeof tags === 'object' && tags !== null ? (tags as Record<string, string>)[KEY] : undefined;
}

/** Taggable CloudFormation resources under `root`, as `Type logicalId`, with the tag value each renders. */
function taggedUnder(stack: Stack, root: IConstruct): Array<{ resource: string; value?: string }> {
  const resources = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  return root.node
    .findAll()
    .filter(
      (c): c is CfnResource => CfnResource.isCfnResource(c) && (TagManager.isTaggable(c) || TagManager.isTaggableV2(c)),
    )
    .map((r) => {
      const id = stack.resolve(r.logicalId) as string;
      return { resource: `${resources[id].Type} ${id}`, value: tagIn(resources[id].Properties?.Tags) };
    });
}

/** The library's constructs in a tree: what tags itself. */
const LIBRARY = [
  Ec2Capacity,
  FargateCapacity,
  JobQueue,
  Job,
  MultiNodeJob,
  SharedJobResources,
  Workflow,
  ManifestTrigger,
  PipelineMonitoring,
  QueueProbe,
];

describe('the cost-allocation tag on the examples', () => {
  test('genomics: every taggable resource carries it (PipelineTag.applyTo: the NAT gateway and buckets too)', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new GenomicsPipelineStack(app, 'Genomics');
    const all = taggedUnder(stack, stack);
    expect(all.length).toBeGreaterThan(30);
    // Dashboards are left out on purpose (PipelineTag: cfn-lint 1.51 rejects their Tags).
    expect(all.filter((r) => r.value !== 'Genomics')).toEqual([
      expect.objectContaining({ resource: expect.stringMatching(/^AWS::CloudWatch::Dashboard /), value: undefined }),
    ]);
    const types = new Set(all.map((r) => r.resource.split(' ')[0]));
    for (const t of [
      'AWS::Batch::ComputeEnvironment',
      'AWS::Batch::JobDefinition',
      'AWS::StepFunctions::StateMachine',
      'AWS::S3::Bucket',
      'AWS::Logs::LogGroup',
      'AWS::EC2::NatGateway',
    ]) {
      expect(types).toContain(t);
    }
    // And the instances and volumes Batch launches.
    const template = Template.fromStack(stack).toJSON();
    const environments = Object.values(template.Resources as Record<string, { Type: string; Properties: never }>)
      .filter((r) => r.Type === 'AWS::Batch::ComputeEnvironment')
      .map((r) => (r.Properties as { ComputeResources: { Tags?: Record<string, string> } }).ComputeResources);
    expect(environments.map((c) => c.Tags?.[KEY])).toEqual(environments.map(() => 'Genomics'));
  });

  test('thumbnails (no applyTo): every taggable resource of a library construct carries it, the VPC does not', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new ThumbnailsStack(app, 'Thumbnails');
    const roots = stack.node.findAll().filter((c) => LIBRARY.some((cls) => c instanceof cls));
    expect(roots.length).toBeGreaterThan(2);
    const ofLibrary = roots.flatMap((r) => taggedUnder(stack, r));
    expect(ofLibrary.length).toBeGreaterThan(3);
    expect(
      ofLibrary.filter((r) => r.value !== 'Thumbnails' && !r.resource.startsWith('AWS::CloudWatch::Dashboard ')),
    ).toEqual([]);
    const nat = taggedUnder(stack, stack).filter((r) => r.resource.startsWith('AWS::EC2::NatGateway'));
    expect(nat.map((r) => r.value)).toEqual(nat.map(() => undefined));
  });
});
