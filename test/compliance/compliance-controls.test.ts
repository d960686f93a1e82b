import { Aspects, CfnElement, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ComplianceControls, Ec2Capacity } from '../../lib';
import { stackWithVpc } from '../support/stacks';

function scene(props: Partial<ConstructorParameters<typeof ComplianceControls>[0]> = {}) {
  const { stack, vpc } = stackWithVpc();
  const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
  new logs.LogGroup(stack, 'Month', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
  new logs.LogGroup(stack, 'Forever', { retention: logs.RetentionDays.INFINITE, removalPolicy: RemovalPolicy.DESTROY });
  new logs.LogGroup(stack, 'TwoYears', {
    retention: logs.RetentionDays.TWO_YEARS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  new Ec2Capacity(stack, 'Spot', { vpc });
  Aspects.of(stack).add(new ComplianceControls({ encryptionKey: key, ...props }));
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  return { stack, key, template, keyId: id(key) };
}

describe('ComplianceControls', () => {
  test('every log group under the key; retention raised to a year by default, longer or forever kept', () => {
    const { template, keyId } = scene();
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.map((g) => g.Properties.KmsKeyId)).toEqual(groups.map(() => ({ 'Fn::GetAtt': [keyId, 'Arn'] })));
    expect(groups.map((g) => g.Properties.RetentionInDays).sort()).toEqual([365, 731, undefined].sort());
  });

  test('the key lets CloudWatch Logs use it for this account and Region, and only AWS services create grants', () => {
    const { template } = scene();
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'GrantsOnlyForAwsServices',
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          }),
          Match.objectLike({
            Sid: 'CloudWatchLogsEncryptLogGroups',
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          }),
        ]),
      },
    });
  });

  test('detailed monitoring on launch templates by default, off when asked', () => {
    scene().template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ Monitoring: { Enabled: true } }),
    });
    scene({ detailedMonitoring: false }).template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ Monitoring: Match.absent() }),
    });
  });

  test('a longer minimum retention', () => {
    const { template } = scene({ minLogRetention: logs.RetentionDays.TWO_YEARS });
    const days = Object.values(template.findResources('AWS::Logs::LogGroup')).map((g) => g.Properties.RetentionInDays);
    expect(days.filter((d) => d !== undefined)).toEqual([731, 731]);
  });
});

test('Ec2Capacity without ComplianceControls: basic (free) monitoring', () => {
  const { stack, vpc } = stackWithVpc();
  new Ec2Capacity(stack, 'Spot', { vpc });
  new Ec2Capacity(stack, 'Detailed', { vpc, detailedMonitoring: true });
  const templates = Object.values(Template.fromStack(stack).findResources('AWS::EC2::LaunchTemplate')).map(
    (t) => t.Properties.LaunchTemplateData.Monitoring,
  );
  expect(templates).toEqual([undefined, { Enabled: true }]);
});
