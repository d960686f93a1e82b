"""Starts moto_server (moto 5.2.1) with one gap closed: Step Functions' Batch integration.

moto's interpreter passes a `.sync` Batch task's parameters to botocore as they are written in the state machine
(`JobName`, `JobQueue`…) and reads the answer the same way: its `_normalise_parameters` and `_normalise_response` are
empty (moto/stepfunctions/parser/asl/component/state/exec/state_task/service/state_task_service.py), so every
`arn:aws:states:::batch:submitJob.sync` state fails with States.Runtime. Step Functions itself converts between its
PascalCase and the API's names; this restores that conversion for Batch with moto's own helpers (`_to_boto_request`,
`_from_boto_response`) and botocore's Batch model, then starts the server with the given arguments.
See ../shared/reference/moto-5.2-notes.md.
"""
import sys

import botocore.session
from moto.server import main
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


StateTaskServiceBatch._normalise_parameters = _normalise_parameters
StateTaskServiceBatch._normalise_response = _normalise_response

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
