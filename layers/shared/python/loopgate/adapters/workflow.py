"""Step Functions access: start a case's execution, hand a decision back on a stored task token."""
from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from loopgate.errors import Conflict

# The token is dead: the wait timed out, or the execution moved on or ended.
_TOKEN_GONE = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}


class Workflow:
    def __init__(self, sfn_client, state_machine_arn: str | None = None):
        self.sfn = sfn_client
        self.state_machine_arn = state_machine_arn

    def start(self, case_id: str, journey: str) -> str:
        response = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=case_id,
            input=json.dumps({"caseId": case_id, "journey": journey}))
        return response["executionArn"]

    def reopen(self, case_id: str, journey: str, reason: str) -> str:
        """A completed case back to a person: a new execution, named so that a second reopen of it is refused
        (a case is reopened once; the customer's retried answer finds it started)."""
        try:
            response = self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=f"{case_id}-followup",
                input=json.dumps({"caseId": case_id, "journey": journey, "reopen": reason}))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return f"{self.state_machine_arn.replace(':stateMachine:', ':execution:')}:{case_id}-followup"
            raise
        return response["executionArn"]

    def resume(self, task_token: str, output: dict[str, Any]) -> None:
        """Hands `output` to the waiting state; Conflict if the wait is over (timed out, moved on)."""
        try:
            self.sfn.send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _TOKEN_GONE:
                raise Conflict("the workflow is no longer waiting for this answer") from exc
            raise

    def fail(self, task_token: str, error: str, cause: str) -> None:
        """Ends the wait with `error`, which the state's Catch routes (CustomerUnreachable: to a person)."""
        try:
            self.sfn.send_task_failure(taskToken=task_token, error=error, cause=cause)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _TOKEN_GONE:
                raise Conflict("the workflow is no longer waiting for this step") from exc
            raise
