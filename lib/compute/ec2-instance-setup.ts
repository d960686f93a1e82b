import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { acknowledgeFinding } from '../private/nag';

/* What an Ec2Capacity's instances start from: their IAM role and their launch template. */

/**
 * The ECS container-instance role: what AmazonEC2ContainerServiceforEC2Role grants, written out.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/instance_IAM_role.html
 */
export function createInstanceRole(scope: IConstruct): iam.Role {
  const role = new iam.Role(scope, 'InstanceRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description: 'ECS agent on Batch instances: register with the cluster, pull images, ship logs',
    inlinePolicies: {
      EcsContainerInstance: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            actions: [
              'ec2:DescribeTags',
              'ecs:CreateCluster',
              'ecs:DeregisterContainerInstance',
              'ecs:DiscoverPollEndpoint',
              'ecs:Poll',
              'ecs:RegisterContainerInstance',
              'ecs:StartTelemetrySession',
              'ecs:UpdateContainerInstancesState',
              'ecs:Submit*',
              'ecr:GetAuthorizationToken',
              'ecr:BatchCheckLayerAvailability',
              'ecr:GetDownloadUrlForLayer',
              'ecr:BatchGetImage',
              'logs:CreateLogStream',
              'logs:PutLogEvents',
            ],
            resources: ['*'],
          }),
        ],
      }),
    },
  });
  const reason =
    'The ECS agent on Batch instances needs these actions on the cluster and container instances Batch creates ' +
    '(names unknown at deploy) and ecr:GetAuthorizationToken/ecs:DiscoverPollEndpoint, which have no resource-level ' +
    'permissions; this is AWS AmazonEC2ContainerServiceforEC2Role written out inline.';
  acknowledgeFinding(role, 'AwsSolutions-IAM5[Resource::*]', reason);
  acknowledgeFinding(
    role,
    'AwsSolutions-IAM5[Action::ecs:Submit*]',
    `${reason} ecs:Submit* covers the agent's state reports.`,
  );
  return role;
}

export function createLaunchTemplate(
  scope: IConstruct,
  rootGib: number,
  scratchGib: number | undefined,
  scratchMountPath: string | undefined,
  containerMetadataAccess: boolean,
  detailedMonitoring: boolean,
): ec2.LaunchTemplate {
  // Batch requires MIME multipart user data so it can add its own part.
  // https://docs.aws.amazon.com/batch/latest/userguide/launch-templates.html
  const userData = new ec2.MultipartUserData();
  const script = ec2.UserData.forLinux();
  userData.addUserDataPart(script, ec2.MultipartBody.SHELL_SCRIPT, true);
  const blockDevices: ec2.BlockDevice[] = [
    {
      deviceName: '/dev/xvda',
      volume: ec2.BlockDeviceVolume.ebs(rootGib, {
        encrypted: true,
        volumeType: ec2.EbsDeviceVolumeType.GP3,
        deleteOnTermination: true,
      }),
    },
  ];
  if (scratchGib !== undefined && scratchMountPath) {
    blockDevices.push({
      deviceName: '/dev/xvdb',
      volume: ec2.BlockDeviceVolume.ebs(scratchGib, {
        encrypted: true,
        volumeType: ec2.EbsDeviceVolumeType.GP3,
        deleteOnTermination: true,
      }),
    });
    const mount = scratchMountPath;
    script.addCommands(
      'set -euo pipefail',
      // On Nitro instances the volume appears as NVMe; AL2023 links it to /dev/xvdb once udev has run.
      'for i in $(seq 1 60); do [ -e /dev/xvdb ] && break; sleep 1; done',
      'blkid /dev/xvdb || mkfs -t xfs /dev/xvdb',
      `mkdir -p ${mount}`,
      `mount /dev/xvdb ${mount}`,
      `chmod 1777 ${mount}`,
    );
  } else {
    script.addCommands('# no scratch volume configured');
  }
  return new ec2.LaunchTemplate(scope, 'LaunchTemplate', {
    requireImdsv2: true,
    httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
    httpEndpoint: true,
    // Hop limit 1 keeps IMDS (and the instance role) from containers on the bridge network; 2 lets them reach it.
    httpPutResponseHopLimit: containerMetadataAccess ? 2 : 1,
    detailedMonitoring: detailedMonitoring || undefined,
    blockDevices,
    userData,
  });
}
