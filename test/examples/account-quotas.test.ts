import { App } from 'aws-cdk-lib';
import { GenomicsPipelineStack } from '../../examples/genomics/genomics-pipeline-stack';
import {
  MAX_EVENT_PATTERN_CHARS,
  MAX_IAM_INSTANCE_PROFILES,
  MAX_IAM_MANAGED_POLICIES,
  MAX_IAM_ROLES,
  MAX_LOG_GROUPS,
  MAX_LOGS_ACCOUNT_RESOURCE_POLICIES,
  MAX_METRIC_FILTERS_PER_LOG_GROUP,
  MAX_RULES_PER_EVENT_BUS,
  MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP,
  MAX_TARGETS_PER_RULE,
  MAX_WILDCARD_RULES_PER_EVENT_BUS,
  VENDED_LOGS_PREFIX,
} from '../../lib/private/limits';

type Resource = { Type: string; Properties?: Record<string, unknown>; stack: string };

/*
 * Ten copies of the example stack (dev, stage, prod and per-developer stacks) deployed into one account and Region must
 * fit the account-level quotas of CloudWatch Logs, EventBridge and IAM that the library's resources consume. The
 * quotas, and where they come from, are in lib/private/limits.ts:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 * All ten are synthesized (one synth of one app, about 20 s), not extrapolated from one.
 */
describe('ten copies of the genomics example in one account and Region', () => {
  const COPIES = 10;
  const app = new App();
  const env = { account: '111111111111', region: 'eu-west-1' };
  const names = Array.from({ length: COPIES }, (_, i) => `Genomics${i}`);
  for (const name of names) {
    new GenomicsPipelineStack(app, name, { env });
  }
  const assembly = app.synth();
  const resources: Resource[] = names.flatMap((n) =>
    Object.values((assembly.getStackByName(n).template as { Resources: Record<string, Resource> }).Resources).map(
      (r) => ({ ...r, stack: n }),
    ),
  );
  const ofType = (...types: string[]) => resources.filter((r) => types.includes(r.Type));
  const perCopy = (n: number) => `${n} in ${COPIES} copies (${n / COPIES} a copy)`;

  test('CloudWatch Logs: no account-level resource policy, which the account shares with everything and cannot raise', () => {
    // An AWS::Logs::ResourcePolicy, or aws-cdk-lib's custom resource for an EventBridge -> CloudWatch Logs target, is
    // account-level; a log group's own ResourcePolicyDocument is not.
    const accountPolicies = ofType('AWS::Logs::ResourcePolicy', 'Custom::CloudwatchLogResourcePolicy');
    expect(accountPolicies).toHaveLength(0);
    // Step Functions logging adds every log group not named /aws/vendedlogs/... to an account-level policy of at most
    // 5,120 characters (https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html): none of ours.
    const groupsByLogicalId = new Map<string, string>();
    let checked = 0;
    for (const n of names) {
      const template = assembly.getStackByName(n).template as { Resources: Record<string, Resource> };
      for (const [id, r] of Object.entries(template.Resources)) {
        if (r.Type === 'AWS::Logs::LogGroup') {
          groupsByLogicalId.set(`${n}/${id}`, JSON.stringify(r.Properties?.LogGroupName ?? ''));
        }
      }
      for (const r of Object.values(template.Resources).filter((x) => x.Type === 'AWS::StepFunctions::StateMachine')) {
        const destinations = JSON.stringify(r.Properties?.LoggingConfiguration ?? {});
        for (const [, logicalId] of destinations.matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)) {
          expect(groupsByLogicalId.get(`${n}/${logicalId}`)).toContain(VENDED_LOGS_PREFIX);
          checked++;
        }
      }
    }
    // Every state machine of every copy logs (workflow, manifest starter, notifier, queue probe).
    expect(checked).toBe(ofType('AWS::StepFunctions::StateMachine').length);
    expect(accountPolicies.length).toBeLessThanOrEqual(MAX_LOGS_ACCOUNT_RESOURCE_POLICIES);
  });

  test('CloudWatch Logs: log groups, and metric and subscription filters per log group', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeLessThanOrEqual(MAX_LOG_GROUPS);
    // A log group's own resource policy: at most one a group, and only log-delivery actions for AWS services.
    for (const g of groups.filter((r) => r.Properties?.ResourcePolicyDocument)) {
      const statements = (g.Properties!.ResourcePolicyDocument as { Statement: Array<Record<string, unknown>> })
        .Statement;
      for (const s of statements) {
        expect(s.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
        expect(Object.keys(s.Principal as object)).toEqual(['Service']);
      }
    }
    const perGroup = (type: string) => {
      const counts = new Map<string, number>();
      for (const f of ofType(type)) {
        const key = `${f.stack}/${JSON.stringify(f.Properties?.LogGroupName)}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return Math.max(0, ...counts.values());
    };
    expect(perGroup('AWS::Logs::MetricFilter')).toBeLessThanOrEqual(MAX_METRIC_FILTERS_PER_LOG_GROUP);
    expect(perGroup('AWS::Logs::SubscriptionFilter')).toBeLessThanOrEqual(MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP);
  });

  test('EventBridge: rules on the default event bus, wildcard rules, targets per rule, pattern size', () => {
    const rules = ofType('AWS::Events::Rule');
    // Every rule is on the default bus, where AWS services send their events.
    expect(rules.filter((r) => r.Properties?.EventBusName !== undefined)).toEqual([]);
    // 300 rules a bus, 100 in af-south-1 and eu-south-1: the smaller, so that this holds in every Region. A copy's
    // rules are its job events (log), failed jobs and ended runs (notifier), the probe's schedule and blocked events,
    // and the manifest trigger.
    expect(rules.length).toBeLessThanOrEqual(100);
    expect(rules.length).toBeLessThanOrEqual(MAX_RULES_PER_EVENT_BUS);
    expect(perCopy(rules.length)).toBe(perCopy(COPIES * 6));
    const wildcard = rules.filter((r) => JSON.stringify(r.Properties?.EventPattern ?? {}).includes('"wildcard"'));
    expect(wildcard.length).toBeLessThanOrEqual(MAX_WILDCARD_RULES_PER_EVENT_BUS);
    for (const r of rules) {
      expect(((r.Properties?.Targets as unknown[]) ?? []).length).toBeLessThanOrEqual(MAX_TARGETS_PER_RULE);
      // Its size once deployed: each reference (a queue or state machine ARN) counted as 200 characters, more than an
      // ARN with a 128-character name takes.
      const pattern = JSON.stringify(r.Properties?.EventPattern ?? {}).replace(
        /\{"(Ref|Fn::GetAtt)":[^{}]*\}/g,
        `"${'x'.repeat(200)}"`,
      );
      expect(pattern.length).toBeLessThanOrEqual(MAX_EVENT_PATTERN_CHARS);
    }
  });

  test('IAM: roles, instance profiles and customer managed policies of the account', () => {
    const roles = ofType('AWS::IAM::Role').length;
    const profiles = ofType('AWS::IAM::InstanceProfile').length;
    const policies = ofType('AWS::IAM::ManagedPolicy').length;
    expect(roles).toBeLessThanOrEqual(MAX_IAM_ROLES);
    expect(profiles).toBeLessThanOrEqual(MAX_IAM_INSTANCE_PROFILES);
    expect(policies).toBeLessThanOrEqual(MAX_IAM_MANAGED_POLICIES);
    // Each copy adds a fixed number (no role per job or per item), so the account's room is plain to see.
    expect([roles, profiles, policies].map((n) => n % COPIES)).toEqual([0, 0, 0]);
  });
});
