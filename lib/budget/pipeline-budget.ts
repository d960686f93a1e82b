import { Annotations, ArnFormat, Aws, Stack, Token } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  BudgetAlertType,
  checkBudgetProps,
  DEFAULT_BUDGET_ALERTS,
  PIPELINE_BUDGET_PROPS_KEYS,
  PipelineBudgetProps,
  startingRoles,
} from './pipeline-budget-props';
import { budgetNameFor, budgetStopPolicyName } from '../contract/budget-stop';
import { PipelineTag } from '../core/pipeline-tag';
import { fail } from '../private/errors';
import { checkKnownProps } from '../private/known-props';
import { IJobQueue } from '../queues/job-queue-base';
import { Workflow } from '../workflow/workflow';

/**
 * A monthly cost budget for one pipeline that stops new work at its cap, without killing what runs.
 *
 * AWS Budgets tracks the spending of everything tagged with the pipeline's cost-allocation tag
 * (`batch-pipelines:pipeline`, see `PipelineTag`), notifies the topic as spending passes the alerts' percentages, and
 * at `stopAtPercent` of actual spending attaches one managed deny policy (`denyPolicy`) to the roles that start work:
 * the workflow's state machine role (its submits to the pipeline's queues), each trigger's starter and the operators'
 * roles (starting and redriving runs, submitting jobs). Running jobs finish; runs in flight fail their next submit
 * (the outcome's reason is Batch's AccessDenied, naming the deny policy); new runs are refused. The budget
 * (`<pipeline>-pipeline`) and the policy (`batch-pipelines-budget-stop-<pipeline>`) are named after the pipeline
 * (lib/contract/budget-stop.ts): one budget a pipeline and account.
 *
 * Budgets reads costs a few times a day and the tag counts only once activated as a cost allocation tag, so the stop
 * comes hours after the cap, not at it. Lift it with `liftCommand` (AWS Budgets detaches the policy), after raising
 * `monthlyLimitUsd` or at the start of the next month.
 */
export class PipelineBudget extends Construct {
  /** The AWS Budgets cost budget (aws-cdk-lib has no L2 for it). */
  public readonly budget: budgets.CfnBudget;
  /**
   * The budget's name, `<pipeline>-pipeline`: fixed by the pipeline's name (its `PipelineTag` value), so that the
   * workflow can name it in an item's outcome (lib/contract/budget-stop.ts).
   */
  public readonly budgetName: string;
  /** The pipeline's name: the value of its cost-allocation tag, which the budget filters on. */
  public readonly pipeline: string;
  /** Denies starting runs and submitting jobs; attached at the cap, detached when the action is reversed. */
  public readonly denyPolicy: iam.ManagedPolicy;
  /** The budget action that attaches `denyPolicy` at the cap. */
  public readonly action: budgets.CfnBudgetsAction;
  /** The role AWS Budgets assumes to attach and detach `denyPolicy`, on the roles that start work only. */
  public readonly executionRole: iam.Role;
  /** The roles that lose the right to start work at the cap. */
  public readonly stoppedRoles: iam.IRole[];
  /** The pipeline's queues: no new job is submitted to them at the cap. */
  public readonly queues: IJobQueue[];
  /**
   * The AWS CLI command that lifts the stop (reverses the action, which detaches the deny policy). Raise
   * `monthlyLimitUsd` first, or the next reading of the budget stops work again.
   */
  public readonly liftCommand: string;

  constructor(scope: Construct, id: string, props: PipelineBudgetProps) {
    super(scope, id);
    checkKnownProps(this, 'PipelineBudgetProps', props, PIPELINE_BUDGET_PROPS_KEYS);
    checkBudgetProps(this, props);
    const stack = Stack.of(this);
    this.stoppedRoles = startingRoles(props);
    this.queues = queuesOf(props.workflow);
    // The value the library tags the workflow's resources with (its scope's PipelineTag.set name, or its stack's).
    const tag = PipelineTag.of(props.workflow);
    this.pipeline = tag.value;
    this.checkPipelineName();
    this.budgetName = budgetNameFor(tag.value);

    this.budget = new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetName: this.budgetName,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyLimitUsd, unit: 'USD' },
        // FilterExpression with Metrics, as AWS recommends over the older CostFilters/CostTypes pair; the tag key is
        // the key itself, as in Cost Explorer's expressions.
        // https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_CreateBudget.html
        // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-budgets-budget-tagvalues.html
        filterExpression: {
          tags: { key: tag.key, values: [tag.value], matchOptions: ['EQUALS'] },
        },
        metrics: ['UnblendedCost'],
      },
      notificationsWithSubscribers: (props.alerts ?? DEFAULT_BUDGET_ALERTS).map((a) => ({
        notification: {
          notificationType: a.type ?? BudgetAlertType.ACTUAL,
          comparisonOperator: 'GREATER_THAN',
          threshold: a.percent,
          thresholdType: 'PERCENTAGE',
        },
        subscribers: [{ subscriptionType: 'SNS', address: props.topic.topicArn }],
      })),
    });
    this.allowBudgetsToPublish(props.topic);

    this.denyPolicy = new iam.ManagedPolicy(this, 'StopNewWork', {
      // Named, not generated: the workflow tells a submit it refused by its name (lib/contract/budget-stop.ts).
      managedPolicyName: budgetStopPolicyName(tag.value),
      description: 'Attached by the pipeline budget at its cap: no new runs, no new jobs (running jobs finish)',
      statements: this.denyStatements(props.workflow),
    });
    this.executionRole = new iam.Role(this, 'ActionRole', {
      description: 'AWS Budgets attaches and detaches the pipeline budget deny policy with it',
      // https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-action-role.html
      // Only for this account's budgets (the confused-deputy guard AWS recommends for service roles).
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
      assumedBy: new iam.ServicePrincipal('budgets.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    // AWS's example grants iam:Attach/Detach*Policy on '*'; here only on the roles that start work, and only for
    // the deny policy (iam:PolicyARN).
    // https://docs.aws.amazon.com/cost-management/latest/userguide/billing-example-policies.html#example-budgets-IAM-SCP
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
        resources: this.stoppedRoles.map((r) => r.roleArn),
        conditions: { ArnEquals: { 'iam:PolicyARN': this.denyPolicy.managedPolicyArn } },
      }),
    );

    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-budgets-budgetsaction.html
    this.action = new budgets.CfnBudgetsAction(this, 'StopAtCap', {
      // The budget's Ref (its name) orders the action after it.
      budgetName: this.budget.ref,
      notificationType: 'ACTUAL',
      actionType: 'APPLY_IAM_POLICY',
      actionThreshold: { type: 'PERCENTAGE', value: props.stopAtPercent ?? 100 },
      // Role names, not ARNs (the API's pattern has no ':').
      // https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_IamActionDefinition.html
      definition: {
        iamActionDefinition: {
          policyArn: this.denyPolicy.managedPolicyArn,
          roles: this.stoppedRoles.map((r) => r.roleName),
        },
      },
      executionRoleArn: this.executionRole.roleArn,
      approvalModel: 'AUTOMATIC',
      subscribers: [{ type: 'SNS', address: props.topic.topicArn }],
    });
    // Budgets checks the role when the action is created: its permissions must exist by then.
    this.action.node.addDependency(this.executionRole);

    // https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_ExecuteBudgetAction.html
    this.liftCommand =
      `aws budgets execute-budget-action --account-id ${stack.account} --budget-name ${this.budgetName} ` +
      `--action-id ${this.action.attrActionId} --execution-type REVERSE_BUDGET_ACTION`;
  }

  /** One budget a pipeline name: its budget and deny policy are named after it, once in an account. */
  private checkPipelineName(): void {
    if (Token.isUnresolved(this.pipeline)) {
      fail(this, {
        prop: 'workflow (its PipelineTag name)',
        received: 'a name only known at deploy time',
        allowed: 'a name known at synth: the budget and its deny policy are named after it',
        fix: "PipelineTag.set(scope, 'my-pipeline') with a literal name, or leave it to the stack's name",
      });
    }
    const other = this.node.root.node
      .findAll()
      // Compared by the budget's name: pipelines whose names differ only in characters the names cannot hold
      // ('a b' and 'a-b') would get the same budget and deny policy.
      .find(
        (c): c is PipelineBudget =>
          c instanceof PipelineBudget && c !== this && budgetNameFor(c.pipeline) === budgetNameFor(this.pipeline),
      );
    if (other) {
      fail(this, {
        prop: 'workflow',
        received: `a workflow of pipeline '${this.pipeline}', which ${other.node.path} already budgets`,
        allowed: 'one PipelineBudget a pipeline (the budget follows the pipeline tag, and is named after it)',
        fix: `use ${other.node.path} for both workflows, or name the pipelines apart with PipelineTag.set(scope, 'other-name')`,
      });
    }
  }

  /**
   * No new jobs on the pipeline's queues; no new or redriven runs of the workflow, except the child executions its
   * own Distributed Map starts (`aws:PrincipalArn` is the role's ARN for a role's session): a run in flight starts
   * its remaining items, which fail at their first submit with the deny in their outcome, instead of its map failing
   * without one. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
   */
  private denyStatements(workflow: Workflow): iam.PolicyStatement[] {
    const machine = workflow.stateMachine;
    const name = machine.stateMachineName;
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${name}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    return [
      new iam.PolicyStatement({
        sid: 'NoNewJobs',
        effect: iam.Effect.DENY,
        actions: ['batch:SubmitJob'],
        resources: this.queues.map((q) => q.jobQueueArn),
      }),
      new iam.PolicyStatement({
        sid: 'NoNewRuns',
        effect: iam.Effect.DENY,
        actions: ['states:StartExecution'],
        resources: [machine.stateMachineArn],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': machine.role.roleArn } },
      }),
      new iam.PolicyStatement({
        sid: 'NoRedrive',
        effect: iam.Effect.DENY,
        actions: ['states:RedriveExecution'],
        resources: [executions],
      }),
    ];
  }

  /**
   * Budgets publishes to the topic as the service `budgets.amazonaws.com`: the topic's policy must allow it, and an
   * encrypted topic's key must let it encrypt. https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
   */
  private allowBudgetsToPublish(topic: sns.ITopic): void {
    const principal = new iam.ServicePrincipal('budgets.amazonaws.com');
    const conditions = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:budgets::${Aws.ACCOUNT_ID}:*` },
    };
    const published = topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions,
      }),
    );
    const key = topic instanceof sns.Topic ? topic.masterKey : undefined;
    const encrypts = key?.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions,
      }),
    );
    if (!published.statementAdded || (key !== undefined && !encrypts?.statementAdded)) {
      Annotations.of(this).addWarningV2(
        'cdk-batch-pipelines:budget-topic-access',
        `${this.node.path}: topic ${topic.node.path} is not this app's (or its key is not): AWS Budgets can publish ` +
          "to it only if its policy allows the service budgets.amazonaws.com sns:Publish, and, when it is encrypted, its key's " +
          'policy allows it kms:GenerateDataKey* and kms:Decrypt; otherwise the alerts and the stop notice are lost ' +
          '(https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html). Pass a topic of ' +
          'this app, e.g. PipelineMonitoring.topic, or add those statements where the topic is defined.',
      );
    }
  }
}

/** Every queue the workflow's steps can submit to: each job's queues and the steps' own queue choices. */
function queuesOf(workflow: Workflow): IJobQueue[] {
  const all = workflow.steps.flatMap((s) => {
    const o = s._options;
    return [...o.job.queues, ...(o.queue ? [o.queue] : []), ...(o.onDemandQueue ? [o.onDemandQueue] : [])];
  });
  return all.filter((q, i) => all.indexOf(q) === i);
}
