"""Starts moto_server (moto 5.2.1) with the gaps closed that stand between it and what AWS does for this project.

Each patch below names moto's file and the AWS behaviour it restores; none changes what the library synthesizes.
The README's testing section lists them. Step Functions' Batch integration:

moto's interpreter passes a `.sync` Batch task's parameters to botocore as they are written in the state machine
(`JobName`, `JobQueue`…) and reads the answer the same way: its `_normalise_parameters` and `_normalise_response` are
empty (moto/stepfunctions/parser/asl/component/state/exec/state_task/service/state_task_service.py), so every
`arn:aws:states:::batch:submitJob.sync` state fails with States.Runtime. Step Functions itself converts between its
PascalCase and the API's names; this restores that conversion for Batch with moto's own helpers (`_to_boto_request`,
`_from_boto_response`) and botocore's Batch model, then starts the server with the given arguments.
See ../shared/reference/moto-5.2-notes.md.
"""
import copy
import datetime
import json
import re
import sys
import uuid

import botocore.session
from moto.batch.models import BatchBackend, ComputeEnvironment, Job, JobDefinition, JobQueue, batch_backends
from moto.batch.utils import lowercase_first_key
from moto.batch_simple.models import BatchSimpleBackend
from moto.cloudformation.models import ChangeSet
from moto.cloudformation.parsing import OutputMap
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.ec2.models.flow_logs import FlowLogsBackend
from moto.kms.models import Key as KmsKey
from moto.server import main
from moto.servicequotas.models import ServiceQuotasBackend
from moto.core.config import default_user_config
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
    DistributedItemProcessorWorker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3 import (
    ResourceEvalS3 as ResultWriterS3,
)
from moto.stepfunctions.parser.asl.eval.program_state import ProgramError
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse, get_backend
from moto.stepfunctions.utils import cfn_to_api_tags
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
    StateTaskServiceAwsSdk,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch import (
    StateTaskServiceBatch,
)

_session = botocore.session.get_session()


def _operation(task, boto_service_name, service_action_name):
    service = task._get_boto_service_name(boto_service_name=boto_service_name)
    action = task._get_boto_service_action(service_action_name=service_action_name)
    name = "".join(part.capitalize() for part in action.split("_"))
    return _session.get_service_model(service).operation_model(name)


def _normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
    self._to_boto_request(parameters, _operation(self, boto_service_name, service_action_name).input_shape)


def _normalise_response(self, response, boto_service_name=None, service_action_name=None):
    self._from_boto_response(response, _operation(self, boto_service_name, service_action_name).output_shape)


for _service in (StateTaskServiceBatch, StateTaskServiceAwsSdk):
    _service._normalise_parameters = _normalise_parameters
    _service._normalise_response = _normalise_response


# --- CloudFormation's AWS::Batch resources (moto/batch/models.py, `create_from_cloudformation_json`) -----------------


def _create_compute_environment(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """AWS::Batch::ComputeEnvironment as CloudFormation creates it.

    - `Type` is case-insensitive: CloudFormation accepts the `managed` aws-cdk-lib emits; moto only `MANAGED`.
    - `ServiceRole` is optional: without it Batch uses the service-linked role AWSServiceRoleForBatch
      (https://docs.aws.amazon.com/batch/latest/userguide/using-service-linked-roles.html); moto requires it.
    """
    from moto.iam.models import iam_backends

    properties = cloudformation_json["Properties"]
    role = properties.get("ServiceRole")
    if not role:
        iam = iam_backends[account_id]["global"]
        linked = [r for r in iam.roles.values() if r.name.lower() == "awsservicerolefor" + "batch"]
        role = (linked[0] if linked else iam.create_service_linked_role("batch.amazonaws.com", "", "")).arn
    return batch_backends[account_id][region_name].create_compute_environment(
        resource_name,
        properties["Type"].upper(),
        properties.get("State", "ENABLED"),
        lowercase_first_key(properties["ComputeResources"]),
        role,
    )


def _register_job_definition(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """AWS::Batch::JobDefinition with the properties moto drops: `Type` (moto registers every definition as
    `container`), `Timeout` (moto reads a lower-case `timeout`), `PlatformCapabilities` and `PropagateTags`."""
    properties = cloudformation_json["Properties"]
    optional = lambda key: lowercase_first_key(properties[key]) if key in properties else None  # noqa: E731
    return batch_backends[account_id][region_name].register_job_definition(
        def_name=resource_name,
        parameters=properties.get("Parameters", {}),
        _type=properties.get("Type", "container"),
        tags=properties.get("Tags", {}),
        retry_strategy=lowercase_first_key(properties.get("RetryStrategy", {})),
        container_properties=optional("ContainerProperties"),
        node_properties=optional("NodeProperties"),
        eks_properties=optional("EksProperties"),
        timeout=lowercase_first_key(properties.get("Timeout", {})),
        platform_capabilities=properties.get("PlatformCapabilities"),
        propagate_tags=properties.get("PropagateTags"),
    )


def _attributes(**names):
    """`Fn::GetAtt` on a Batch resource: moto's models have no `get_cfn_attribute`, CloudFormation documents
    ComputeEnvironmentArn, JobQueueArn and JobDefinitionArn (each the same ARN `Ref` returns)."""

    def has_cfn_attr(cls, attr):
        return attr in names

    def get_cfn_attribute(self, attr):
        if attr in names:
            return getattr(self, names[attr])
        raise UnformattedGetAttTemplateException()

    return classmethod(has_cfn_attr), get_cfn_attribute


ComputeEnvironment.create_from_cloudformation_json = classmethod(_create_compute_environment)
JobDefinition.create_from_cloudformation_json = classmethod(_register_job_definition)
ComputeEnvironment.has_cfn_attr, ComputeEnvironment.get_cfn_attribute = _attributes(ComputeEnvironmentArn="arn")
JobQueue.has_cfn_attr, JobQueue.get_cfn_attribute = _attributes(JobQueueArn="arn")
JobDefinition.has_cfn_attr, JobDefinition.get_cfn_attribute = _attributes(JobDefinitionArn="arn")


# --- CloudFormation change sets (moto/cloudformation/models.py, `ChangeSet.apply`) ----------------------------------

_apply_change_set = ChangeSet.apply


def _apply_change_set_with_outputs(self):
    """A stack's outputs after ExecuteChangeSet, which is how `cdk deploy` deploys: moto evaluates them when the
    change set is created, before any resource exists, and never again, so DescribeStacks returns none (AWS returns
    them once the stack is complete: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html).
    They are read from the change set's template: the stack's own is still the empty one it was created with."""
    _apply_change_set(self)
    self.stack.output_map = OutputMap(self.stack.resource_map, self.template_dict, self.stack.stack_id)


ChangeSet.apply = _apply_change_set_with_outputs

# --- EC2 flow logs to an S3 prefix (moto/ec2/models/flow_logs.py, `create_flow_logs`) -------------------------------

_create_flow_logs = FlowLogsBackend.create_flow_logs


def _create_flow_logs_to_prefix(self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn,
                                log_destination_type, log_destination, *args, **kwargs):
    """A flow log's S3 destination may name a folder, `arn:aws:s3:::bucket/prefix/`
    (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-create-flow-log.html); moto looks up the whole
    `bucket/prefix/` as a bucket name, creates nothing, and CloudFormation then fails with IndexError. The bucket is
    checked by its name and the flow log keeps the destination it was given."""
    if log_destination_type == "s3" and log_destination and "/" in log_destination.split(":", 5)[-1]:
        bucket = log_destination.split("/", 1)[0]
        created, unsuccessful = _create_flow_logs(self, resource_type, resource_ids, traffic_type,
                                                  deliver_logs_permission_arn, log_destination_type, bucket,
                                                  *args, **kwargs)
        for flow_log in created:
            flow_log.log_destination = log_destination
        return created, unsuccessful
    return _create_flow_logs(self, resource_type, resource_ids, traffic_type, deliver_logs_permission_arn,
                             log_destination_type, log_destination, *args, **kwargs)


FlowLogsBackend.create_flow_logs = _create_flow_logs_to_prefix


# --- ListJobs on a queue (moto/batch/models.py, `list_jobs`) -------------------------------------------------------

_list_jobs = BatchBackend.list_jobs


def _list_jobs_without_array_children(self, job_queue_name, array_job_id, job_status=None, filters=None):
    """ListJobs by `jobQueue` lists a queue's jobs and array parents, not their children, which are listed by
    `arrayJobId` (https://docs.aws.amazon.com/batch/latest/APIReference/API_ListJobs.html: "arrayJobId: ... lists all
    child jobs from within the specified array"). For a listing with a JOB_NAME filter, as the client's runs are
    listed, the same page says so outright: "The filter doesn't apply to child jobs in an array or multi-node
    parallel (MNP) jobs"; for an unfiltered queue listing it is what the Batch console and CLI show, not a documented
    rule. moto adds every child to its queue's jobs and lists them with the queue too; a child is the job with an
    `index` in its array properties. The batch_simple backend delegates here, so both are covered."""
    jobs = _list_jobs(self, job_queue_name, array_job_id, job_status, filters)
    if array_job_id:
        return jobs
    return [job for job in jobs if "index" not in (job.array_properties or {})]


BatchBackend.list_jobs = _list_jobs_without_array_children


# --- Jobs held in RUNNABLE, and Spot reclaims (moto/batch_simple/models.py, `_mark_job_as_finished`) --------------------------------------------

_mark_job_as_finished = BatchSimpleBackend._mark_job_as_finished


def _spot_type(job):
    """SPOT or FARGATE_SPOT when Batch places the job on Spot (its queue's first compute environment), else None."""
    queue = job.job_queue
    first = min(queue.env_order_json, key=lambda e: int(e["order"]))["computeEnvironment"]
    environment = next(e for e in queue.environments if first in (e.arn, e.name))
    kind = environment.compute_resources.get("type")
    return kind if kind in ("SPOT", "FARGATE_SPOT") else None


def _retries(rules, status_reason):
    """Whether Batch retries an attempt that ended with `status_reason` (no container reason, no exit code): the first
    `evaluateOnExit` rule whose conditions all match decides; none matching means retry
    (https://docs.aws.amazon.com/batch/latest/APIReference/API_EvaluateOnExit.html). Patterns match from the start,
    `*` only at the end."""

    def matches(pattern, value):
        return value.startswith(pattern[:-1]) if pattern.endswith("*") else value == pattern

    for rule in rules:
        checks = [("onStatusReason", status_reason), ("onReason", ""), ("onExitCode", "")]
        if all(matches(rule[key], value) for key, value in checks if key in rule):
            return rule.get("action", "").upper() == "RETRY"
    return True


def _mark_job_as_finished_held_or_reclaimed(self, include_start_attempt, job):
    """Ends moto's Docker-free backend cannot give a job (it only succeeds or fails them, without a reason), each
    switched on in moto's Batch config (`POST /moto-api/config` `{"batch": {"use_docker": false, ...}}`). They are this
    project's stand-ins, not moto's: what they return is as AWS documents it, cited below.

    - `hold_runnable`: the job stays RUNNABLE, as Batch leaves a job no compute environment of its queue can place
      (https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html), with no status reason: Batch
      gives one only to the job blocking the head of the queue.
    - `spot_reclaim`: every attempt of a job placed on Spot capacity loses its instance. An "Amazon EC2 instance failure
      or termination" is retried while the job's retry strategy allows
      (https://docs.aws.amazon.com/batch/latest/userguide/job_retries.html): each attempt ends with the status reason
      Batch gives, `Host EC2 (instance i-…) terminated.` on EC2 Spot and `Your Spot Task was interrupted.` on Fargate
      Spot (captured outputs cited at SPOT_RECLAIM_REASON_PATTERN in lib/private/limits.ts), and after the last
      attempt the job is FAILED with that reason. Jobs on On-Demand capacity succeed.
    """
    config = default_user_config["batch"]
    if any(part in job.job_name for part in config.get("fail_job_names") or []):
        # `fail_job_names`: a job whose name holds one of these fails as an application error does: its container
        # exits non-zero and Batch's status reason is "Essential container in task exited"
        # (https://docs.aws.amazon.com/batch/latest/userguide/troubleshooting.html; captured in
        # test/support/batch-failures.ts `applicationError`).
        reason = "Essential container in task exited"
        self.backend._jobs[job.job_id] = job
        job.job_started_at = datetime.datetime.now()
        job.log_stream_name = job._stream_name
        if include_start_attempt:
            job._start_attempt()
            job.latest_attempt["statusReason"] = reason
        job.exit_code = 1
        job.job_stopped_reason = reason
        job._mark_stopped(success=False)
        return None
    if config.get("hold_runnable"):
        self.backend._jobs[job.job_id] = job
        job._transitions = [("RUNNABLE", "RUNNABLE")]
        job.status = "RUNNABLE"
        return None
    spot = _spot_type(job) if config.get("spot_reclaim") else None
    if spot is None:
        return _mark_job_as_finished(self, include_start_attempt, job)
    reason = (
        "Your Spot Task was interrupted."
        if spot == "FARGATE_SPOT"
        else "Host EC2 (instance i-0a1b2c3d4e5f60718) terminated."
    )
    self.backend._jobs[job.job_id] = job
    job.job_started_at = datetime.datetime.now()
    job.log_stream_name = job._stream_name
    if include_start_attempt:
        strategy = job.job_definition.retry_strategy or {}
        for attempt in range(max(1, int(strategy.get("attempts", 1)))):
            job._start_attempt()
            job.latest_attempt["statusReason"] = reason
            if not _retries(strategy.get("evaluateOnExit", []), reason):
                break
    job.job_stopped_reason = reason
    job._mark_stopped(success=False)
    return None


BatchSimpleBackend._mark_job_as_finished = _mark_job_as_finished_held_or_reclaimed


# --- Step Functions state machines (moto/stepfunctions/models.py, parser/models.py) ----------------------------------


def _create_state_machine(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """AWS::StepFunctions::StateMachine, created where StartExecution finds it, with its substitutions applied.

    moto executes state machines only from a second backend (`stepfunctions/responses.py` `get_backend`, switched by
    the `execute_state_machine` config), while CloudFormation creates them in the first, where no execution can see
    them; and it ignores `DefinitionSubstitutions`, which CloudFormation fills into `${name}` placeholders
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-stepfunctions-statemachine.html).
    """
    properties = cloudformation_json["Properties"]
    definition = properties.get("DefinitionString", "")
    for key, value in (properties.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    return get_backend(account_id, region_name).create_state_machine(
        properties.get("StateMachineName", resource_name),
        definition,
        properties.get("RoleArn", ""),
        tags=cfn_to_api_tags(properties.get("Tags", [])),
    )


def _delete_state_machine(cls, resource_name, cloudformation_json, account_id, region_name):
    get_backend(account_id, region_name).delete_state_machine(resource_name)


def _deepcopy_without_executions(self, memo):
    """StartExecution deep-copies the state machine with its running executions (threads, locks), so every execution
    after a machine's first fails with `cannot pickle '_thread.RLock'` (`parser/models.py` `start_execution`); on AWS
    a machine runs any number of executions. The copy leaves the executions out, as the execution does not read them."""
    clone = copy.copy(self)
    clone.__dict__ = {k: [] if k == "executions" else copy.deepcopy(v, memo) for k, v in self.__dict__.items()}
    return clone


_parse = AmazonStateLanguageParser.parse


def _parse_integer_percentages(definition):
    """A whole-number `ToleratedFailurePercentage` (AWS: "a number between 0 and 100", e.g. 5 in
    https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html) is a syntax error to moto's ASL
    grammar, which takes only decimals there (`parser/asl/antlr/ASLParser.g4`); it is read as the same decimal."""
    return _parse(re.sub(r'("ToleratedFailurePercentage"\s*:\s*)(\d+)(?=\s*[,}])', r"\g<1>\g<2>.0", definition))


AmazonStateLanguageParser.parse = staticmethod(_parse_integer_percentages)
StateMachine.create_from_cloudformation_json = classmethod(_create_state_machine)
StateMachine.delete_from_cloudformation_json = classmethod(_delete_state_machine)
StateMachine.__deepcopy__ = _deepcopy_without_executions


# --- Distributed Map result files (moto/stepfunctions/parser/asl/component/state/exec/state_map/) --------------------

_eval_item_input = DistributedItemProcessorWorker._eval_input
_eval_item = DistributedItemProcessorWorker._eval_job


def _eval_item_input_kept(self, env_frame):
    _eval_item_input(self, env_frame)
    self._e2e_input = env_frame.states.get_input()


def _eval_item_recorded(self, env, job):
    """Keeps each child execution's input, status, output or error and cause for the result files below."""
    self._e2e_input = job.job_input
    started = datetime.datetime.now(datetime.timezone.utc)
    _eval_item(self, env, job)
    state = env.program_state()
    entry = {"index": job.job_index, "input": self._e2e_input, "start": started}
    if job.job_output is not None:
        entry.update(status="SUCCEEDED", output=job.job_output)
    elif isinstance(state, ProgramError) and state.error:
        entry.update(status="FAILED", error=state.error.get("error"), cause=state.error.get("cause"))
    else:
        entry.update(status="FAILED", error="States.Runtime", cause="")
    entry["stop"] = datetime.datetime.now(datetime.timezone.utc)
    records = self._map_run_record.__dict__.setdefault("_e2e_results", [])
    records.append(entry)


def _result_entry(map_run_arn, entry):
    """One child execution as a result file lists it. AWS does not document an example; the shape is real output
    (department-for-transport-BODS/bods-backend, kept verbatim in test/support/sfn-shapes.ts RESULT_FILE_FAILED and
    RESULT_FILE_SUCCEEDED): PascalCase, keys sorted, `Input`/`Output` as JSON strings, ISO dates with milliseconds."""
    machine, run = map_run_arn.split(":mapRun:")[1].rsplit(":", 1)
    prefix = map_run_arn.split(":mapRun:")[0]
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run}/{entry['index']}"))
    iso = lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"  # noqa: E731
    out = {
        "ExecutionArn": f"{prefix}:execution:{machine}:{name}",
        "Input": json.dumps(entry["input"], separators=(",", ":")),
        "InputDetails": {"Included": True},
        "Name": name,
        "OutputDetails": {"Included": True},
        "RedriveCount": 0,
        "StartDate": iso(entry["start"]),
        "StateMachineArn": f"{prefix}:stateMachine:{machine}",
        "Status": entry["status"],
        "StopDate": iso(entry["stop"]),
    }
    if entry["status"] == "SUCCEEDED":
        out.update(
            Output=json.dumps(entry["output"], separators=(",", ":")),
            RedriveStatus="NOT_REDRIVABLE",
            RedriveStatusReason="Execution is SUCCEEDED and cannot be redriven",
        )
    else:
        out.update(Error=entry["error"], Cause=entry["cause"], RedriveStatus="REDRIVABLE_BY_MAP_RUN")
    return dict(sorted(out.items()))


def _write_results(env, resource_runtime_part, state_credentials):
    """A Distributed Map's ResultWriter exports its child executions to `<Prefix>/<map run id>/` as `SUCCEEDED_n.json`
    and `FAILED_n.json`, listed in `manifest.json`
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html; failed children are written
    unchanged, "equivalent to having set Transformation to NONE"). moto writes only `manifest.json`, with every list
    empty (`result_writer/resource_eval/resource_eval_s3.py`: "TODO: generate result files")."""
    parameters = env.stack.pop()
    env.stack.pop()  # the Map's results: the files are written from the recorded children instead
    s3 = ResultWriterS3._get_s3_client(resource_runtime_part=resource_runtime_part, state_credentials=state_credentials)
    record = env.map_run_record_pool_manager.get_all().pop()
    run = record.map_run_arn.split(":")[-1]
    prefix = parameters["Prefix"]
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    children = sorted(record.__dict__.get("_e2e_results", []), key=lambda e: e["index"])
    files = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status in ("FAILED", "SUCCEEDED"):
        entries = [_result_entry(record.map_run_arn, c) for c in children if c["status"] == status]
        if entries:
            body = json.dumps(entries).encode("utf8")
            key = f"{prefix}{run}/{status}_0.json"
            s3.put_object(Bucket=parameters["Bucket"], Key=key, Body=body)
            files[status].append({"Key": key, "Size": len(body)})
    key = f"{prefix}{run}/manifest.json"
    manifest = {"DestinationBucket": parameters["Bucket"], "MapRunArn": record.map_run_arn, "ResultFiles": files}
    s3.put_object(Bucket=parameters["Bucket"], Key=key, Body=json.dumps(manifest, indent=2).encode("utf8"))
    env.stack.append({"MapRunArn": record.map_run_arn, "ResultWriterDetails": {"Bucket": parameters["Bucket"], "Key": key}})


DistributedItemProcessorWorker._eval_input = _eval_item_input_kept
DistributedItemProcessorWorker._eval_job = _eval_item_recorded
ResultWriterS3._handle_put_object = staticmethod(_write_results)

# --- A Map Run's child executions (moto/stepfunctions/responses.py `list_executions`, `describe_execution`) ------------


def _map_run_children(backend):
    """Every recorded child execution of every Map Run: (map run ARN, result-file entry, recorded child)."""
    for execution in backend._get_executions():
        worker = getattr(execution, "exec_worker", None)
        if worker is None:
            continue
        for record in worker.env.map_run_record_pool_manager.get_all():
            for child in list(record.__dict__.get("_e2e_results", [])):
                yield record.map_run_arn, _result_entry(record.map_run_arn, child), child


def _execution_item(map_run_arn, entry):
    return {
        "executionArn": entry["ExecutionArn"],
        "stateMachineArn": entry["StateMachineArn"],
        "name": entry["Name"],
        "status": entry["Status"],
        "startDate": entry["StartDate"],
        "stopDate": entry["StopDate"],
        "mapRunArn": map_run_arn,
    }


_list_executions = StepFunctionResponse.list_executions
_describe_execution = StepFunctionResponse.describe_execution


def _list_executions_of_map_run(self):
    """ListExecutions with `mapRunArn` lists "all of the child workflow executions started by a Map Run"
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html), newest first, filtered
    by `statusFilter`. moto's interpreter runs a Distributed Map's children inside the parent and lists none; they
    are served from the children recorded above (`_eval_item_recorded`), the same ones the result files list."""
    map_run_arn = self._get_param("mapRunArn")
    if not map_run_arn:
        return _list_executions(self)
    status = self._get_param("statusFilter")
    items = [
        _execution_item(arn, entry)
        for arn, entry, _ in _map_run_children(self.stepfunction_backend)
        if arn == map_run_arn and (not status or entry["Status"] == status)
    ]
    items.sort(key=lambda e: e["startDate"], reverse=True)
    return ActionResult({"executions": items})


def _describe_child_execution(self):
    """DescribeExecution of a Map Run's child (`execution:<machine>/<label>:<name>`): its input, status, and error
    and cause when it failed (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
    """
    arn = self._get_param("executionArn")
    if "/" in arn.split(":execution:")[-1]:
        for map_run_arn, entry, _ in _map_run_children(self.stepfunction_backend):
            if entry["ExecutionArn"] == arn:
                out = {**_execution_item(map_run_arn, entry), "input": entry["Input"]}
                out.update(
                    {"output": entry["Output"]}
                    if entry["Status"] == "SUCCEEDED"
                    else {"error": entry["Error"], "cause": entry["Cause"]}
                )
                return ActionResult(out)
    return _describe_execution(self)


StepFunctionResponse.list_executions = _list_executions_of_map_run
StepFunctionResponse.describe_execution = _describe_child_execution


# Service Quotas answers only `vpc` in moto (moto/servicequotas/models.py: GetServiceQuota of any other service raises
# NoSuchResourceException). AWS answers EC2's vCPU quotas too; a new account's values are the "Default" columns of
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-on-demand-instances.html#ec2-on-demand-instances-limits and
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-spot-limits.html. This answers those, as a new account.
_EC2_NEW_ACCOUNT_QUOTAS = {
    "L-1216C47A": ("Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", 5.0),
    "L-34B43A08": ("All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", 5.0),
    "L-DB2E81BA": ("Running On-Demand G and VT instances", 0.0),
    "L-3819A6DF": ("All G and VT Spot Instance Requests", 0.0),
}
_get_service_quota = ServiceQuotasBackend.get_service_quota


def _get_ec2_service_quota(self, service_code, quota_code):
    if service_code == "ec2" and quota_code in _EC2_NEW_ACCOUNT_QUOTAS:
        name, value = _EC2_NEW_ACCOUNT_QUOTAS[quota_code]
        return {
            "Adjustable": True,
            "GlobalQuota": False,
            "QuotaArn": f"arn:aws:servicequotas:{self.region_name}:{self.account_id}:ec2/{quota_code}",
            "QuotaCode": quota_code,
            "QuotaName": name,
            "ServiceCode": "ec2",
            "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
            "Unit": "None",
            "Value": value,
        }
    return _get_service_quota(self, service_code, quota_code)


ServiceQuotasBackend.get_service_quota = _get_ec2_service_quota

# A KMS key with Tags in a CloudFormation template: moto passes the template's tags ({Key, Value}, the
# AWS::KMS::Key Tags property, https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html)
# to its KMS backend as they are, which reads KMS API tags ({TagKey, TagValue}, https://docs.aws.amazon.com/kms/latest/APIReference/API_Tag.html)
# and fails with KeyError 'TagKey' (moto/kms/models.py, Key.create_from_cloudformation_json): the key is not created and
# every reference to it is "undefined". CloudFormation creates it with its tags; this converts them.
_create_key_from_cfn = KmsKey.create_from_cloudformation_json.__func__


def _create_key_with_cfn_tags(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json.get("Properties", {})
    tags = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in properties.get("Tags", [])]
    converted = {**cloudformation_json, "Properties": {**properties, "Tags": tags}}
    return _create_key_from_cfn(cls, resource_name, converted, account_id, region_name, **kwargs)


KmsKey.create_from_cloudformation_json = classmethod(_create_key_with_cfn_tags)

# An attempt's ECS task: moto's Job._start_attempt (moto/batch/models.py) sets the attempt's `container.taskArn` to the
# job definition's ARN. On AWS it is the ARN of the ECS task the attempt ran as, `arn:aws:ecs:<region>:<account>:task/
# <cluster>/<task id>` (https://docs.aws.amazon.com/batch/latest/APIReference/API_AttemptContainerDetail.html, the
# long ARN format: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids),
# in the ECS cluster of the compute environment, which moto creates and names (`ecs_name`). Container Insights names its
# events by that task id (`rightsize` joins them to jobs by it).
_moto_start_attempt = Job._start_attempt


def _start_attempt_with_task_arn(self):
    _moto_start_attempt(self)
    environments = self.job_queue.environments
    cluster = (environments[0].ecs_name if environments else "") or "batch"
    _, _, _, region, account, _ = self.job_queue.arn.split(":", 5)
    self.latest_attempt["container"]["taskArn"] = f"arn:aws:ecs:{region}:{account}:task/{cluster}/{uuid.uuid4().hex}"


Job._start_attempt = _start_attempt_with_task_arn

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
