import { Stack, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { PIPELINE_TAG_KEY } from '../contract/cost-tag';
import { acknowledgeOnGrantee } from '../private/nag';
import { BatchPipelinesValidationError } from './validation-error';

/** The cost-allocation tag of a scope: the key the library tags with and the value it gives. */
export interface PipelineTagValue {
  /** The tag key, `batch-pipelines:pipeline`. */
  readonly key: string;
  /** The pipeline's name: what `PipelineTag.set` gave for the scope or an ancestor, else the stack's name. */
  readonly value: string;
}

/**
 * The context key `PipelineTag.set` writes: `cdk synth -c batch-pipelines:pipeline=NAME` (or `context` in cdk.json)
 * names the pipeline of every stack in the app.
 */
const CONTEXT_KEY = PIPELINE_TAG_KEY;

/**
 * A tag value: at most 256 characters, letters, digits, spaces and `_ . : / = + - @`.
 * https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions
 */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

/**
 * Types left untagged. AWS::CloudWatch::Dashboard takes `Tags` in aws-cdk-lib's schema, but cfn-lint 1.51 (the linter
 * this project and many users run on templates) rejects the property; a dashboard costs $3 a month beyond the first
 * three (https://aws.amazon.com/cloudwatch/pricing/), which `spend` then sees only in the account's bill.
 */
const UNTAGGED_TYPES = ['AWS::CloudWatch::Dashboard'];

/**
 * The cost-allocation tag (`batch-pipelines:pipeline`) the library puts on everything it creates, so that Cost
 * Explorer (`batch-pipelines spend`) and AWS Budgets can select one pipeline's spending.
 *
 * Every construct of the library tags what it creates with the pipeline's name, by default the stack's name. EC2
 * instances and their volumes that Batch launches carry it too: the compute environment's `computeResources.tags`
 * and the launch template's tag specifications, which Batch merges
 * (https://docs.aws.amazon.com/batch/latest/userguide/launch-templates.html); compute environment tags themselves do
 * not propagate (https://docs.aws.amazon.com/batch/latest/userguide/tag-resources.html). Job definitions propagate
 * theirs to the ECS tasks, which is what Fargate bills.
 *
 * What the library does not create (your VPC and its NAT gateway, your buckets) is tagged only if you ask:
 * `PipelineTag.applyTo(this)` in the stack tags every taggable resource under it.
 *
 * The tag reaches Cost Explorer and Budgets only after it is activated as a cost allocation tag in the management
 * account, and only for usage after that: https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html
 */
export class PipelineTag {
  /** The tag key. */
  public static readonly KEY: string = PIPELINE_TAG_KEY;

  /**
   * Names the pipeline of everything created under `scope` (default: each stack's name), e.g. to keep the tag when a
   * stack is renamed, or to tell two pipelines of one stack apart. Call it before creating anything under `scope`:
   * first thing in a stack's constructor, or on the app.
   */
  public static set(scope: IConstruct, name: string): void {
    const problem = (received: string, allowed: string, fix: string): BatchPipelinesValidationError =>
      new BatchPipelinesValidationError(scope, { prop: 'name', received, allowed, fix });
    if (!Token.isUnresolved(name) && !TAG_VALUE.test(name)) {
      const cleaned = name.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '-').slice(0, 256) || 'pipeline';
      throw problem(
        `'${name}'`,
        '1 to 256 letters, digits, spaces and _ . : / = + - @ (an AWS tag value)',
        `PipelineTag.set(scope, '${cleaned}')`,
      );
    }
    if (scope.node.children.length > 0) {
      const first = scope.node.children[0].node.id;
      throw problem(
        `'${name}' after '${first}' was created under ${scope.node.path || 'the app'}`,
        'a name set before anything under the scope exists, so every resource under it carries the same name',
        `call PipelineTag.set(scope, '${name}') before creating '${first}' (first thing in the stack's constructor)`,
      );
    }
    scope.node.setContext(CONTEXT_KEY, name);
  }

  /** The tag key and value of `scope`: the name `set` gave it or an ancestor, else its stack's name. */
  public static of(scope: IConstruct): PipelineTagValue {
    const named = scope.node.tryGetContext(CONTEXT_KEY);
    const value = typeof named === 'string' && named !== '' ? named : Stack.of(scope).stackName;
    return { key: PIPELINE_TAG_KEY, value };
  }

  /**
   * Tags every taggable resource under `scope` (yours too: the VPC and NAT gateway, your buckets) with the pipeline's
   * name, so their cost counts in `batch-pipelines spend` and a budget filtered by the tag.
   */
  public static applyTo(scope: IConstruct): void {
    const { key, value } = PipelineTag.of(scope);
    Tags.of(scope).add(key, value, { excludeResourceTypes: UNTAGGED_TYPES });
  }

  /**
   * Lets `grantee` read what `batch-pipelines spend` reads from Cost Explorer: `ce:GetCostAndUsage` and
   * `ce:ListCostAllocationTags` (to say why a bill is empty). Cost Explorer has no resource-level permissions, so
   * this reads the whole account's cost data (any tag, any service), not only the pipeline's: grant it to the people
   * who may see the bill. The jobs `spend` prices need `JobQueue.grantOperate` as well. Activating the tag
   * (`--activate-tag`) needs `ce:UpdateCostAllocationTagsStatus`, which this does not grant.
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscostexplorerservice.html
   */
  public static grantSpend(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['ce:GetCostAndUsage', 'ce:ListCostAllocationTags'],
      resourceArns: ['*'],
    });
    if (grant.principalStatement) {
      acknowledgeOnGrantee(
        grantee.grantPrincipal as unknown as IConstruct,
        grantee,
        '*',
        'Cost Explorer actions (ce:GetCostAndUsage, ce:ListCostAllocationTags) have no resource-level permissions: ' +
          'the Service Authorization Reference lists no resource type for them, so the resource must be *.',
      );
    }
    return grant;
  }

  private constructor() {}
}
