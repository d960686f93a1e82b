"""Creates what the CLI runs against on moto: a compute environment, a queue and two job definitions.

Called by the e2e suite with the moto endpoint as the only argument; prints the names it created as JSON. boto3 comes
with the moto installation (IAM and EC2 are only needed for the compute environment's prerequisites).
"""
import json
import sys

import boto3

endpoint = sys.argv[1]
# Optional: the queue and job definition names to create (default: "standard"; "align" and "call").
queues = sys.argv[2].split(",") if len(sys.argv) > 2 else ["standard"]
definitions = sys.argv[3].split(",") if len(sys.argv) > 3 else ["align", "call"]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
iam = boto3.client("iam", **kw)
ec2 = boto3.client("ec2", **kw)
batch = boto3.client("batch", **kw)

service_role = iam.create_role(RoleName="batch-service", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
profile = iam.create_instance_profile(InstanceProfileName="ecs-instance")["InstanceProfile"]["Arn"]
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
group = ec2.create_security_group(GroupName="batch", Description="batch", VpcId=vpc)["GroupId"]
environment = batch.create_compute_environment(
    computeEnvironmentName="spot-capacity",
    type="MANAGED",
    state="ENABLED",
    serviceRole=service_role,
    computeResources={
        "type": "SPOT",
        "minvCpus": 0,
        "maxvCpus": 64,
        "instanceTypes": ["r5.xlarge", "r5.2xlarge"],
        "subnets": [subnet],
        "securityGroupIds": [group],
        "instanceRole": profile,
    },
)["computeEnvironmentArn"]
for queue in queues:
    batch.create_job_queue(
        jobQueueName=queue,
        state="ENABLED",
        priority=10,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
    )
for name in definitions:
    batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        containerProperties={"image": "busybox", "vcpus": 4, "memory": 30720, "command": ["echo", "Ref::sampleId"]},
    )
print(json.dumps({"queues": queues, "definitions": definitions, "computeEnvironment": environment}))
