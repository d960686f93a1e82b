import { ArnFormat, Aws, IAspect, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { denyGrantsExceptForAwsServices } from '../private/kms';

/** Props of `ComplianceControls`. */
export interface ComplianceControlsProps {
  /**
   * Customer-managed key that encrypts every CloudWatch Logs group in the scope (job logs, workflow and notifier
   * logs, job events). A `kms.Key` of the same app gets the key-policy statement CloudWatch Logs needs, and one that
   * lets only AWS services create grants on it (CT.KMS.PR.3); for an imported key, add them yourself.
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
   */
  readonly encryptionKey: kms.IKey;
  /**
   * The shortest retention a log group may have: shorter ones are raised to it; groups kept forever stay so.
   * @default logs.RetentionDays.ONE_YEAR - the Control Tower control CT.CLOUDWATCH.PR.2
   */
  readonly minLogRetention?: logs.RetentionDays;
  /**
   * Detailed (1-minute) monitoring on every launch template (the instances of `Ec2Capacity`).
   * @default true - the Control Tower control CT.EC2.PR.10; it costs extra per instance-hour
   */
  readonly detailedMonitoring?: boolean;
}

/**
 * The controls a regulated team is asked about, switched on in one place for a whole scope (an app or a stack):
 *
 * ```ts
 * Aspects.of(stack).add(new ComplianceControls({ encryptionKey: key }));
 * ```
 *
 * Every log group is encrypted with `encryptionKey` and kept at least `minLogRetention`; launch templates get
 * detailed monitoring. Buckets are yours: give them `encryption: s3.BucketEncryption.KMS` with the same key and
 * `versioned: true` (the library's grants follow a bucket's key). Each control maps to an AWS Control Tower proactive
 * control, which the README lists with the findings that remain and why.
 * https://docs.aws.amazon.com/controltower/latest/controlreference/proactive-controls.html
 */
export class ComplianceControls implements IAspect {
  private readonly minRetention: number;
  private readonly keysWithLogsAccess = new Set<kms.Key>();

  constructor(private readonly props: ComplianceControlsProps) {
    this.minRetention = props.minLogRetention ?? logs.RetentionDays.ONE_YEAR;
  }

  public visit(node: IConstruct): void {
    if (node instanceof logs.CfnLogGroup) {
      this.encryptLogs(node);
    } else if (node instanceof ec2.CfnLaunchTemplate && (this.props.detailedMonitoring ?? true)) {
      node.addPropertyOverride('LaunchTemplateData.Monitoring.Enabled', true);
    }
  }

  private encryptLogs(group: logs.CfnLogGroup): void {
    const key = this.props.encryptionKey;
    if (group.kmsKeyId === undefined) {
      group.kmsKeyId = key.keyArn;
    }
    const days = group.retentionInDays;
    // No retention means kept forever, which is at least the minimum.
    if (days !== undefined && !Token.isUnresolved(days) && days < this.minRetention) {
      group.retentionInDays = this.minRetention;
    }
    if (key instanceof kms.Key && !this.keysWithLogsAccess.has(key)) {
      this.keysWithLogsAccess.add(key);
      denyGrantsExceptForAwsServices(key);
      const stack = Stack.of(key);
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchLogsEncryptLogGroups',
          principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
          actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          resources: ['*'],
          conditions: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
                service: 'logs',
                resource: 'log-group',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
      );
    }
  }
}
