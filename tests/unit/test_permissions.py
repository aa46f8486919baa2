"""What each function does on AWS, against what its role may do once SAM has translated template.yaml.

moto does not enforce IAM, so a missing grant would first show on AWS; this test names, per function, the
calls its code makes (see the adapters) and finds a statement that allows each on the right resource.
"""
import json

import pytest

from .sam import translated_template

CASES, OVERRIDES, IDEMPOTENCY = "CasesTable", "OverridesTable", "IdempotencyTable"
STATE_MACHINE = "${AWS::StackName}-case"  # by name: a !Ref would close a dependency loop through the API
CASE_WRITER = [("dynamodb:GetItem", CASES), ("dynamodb:PutItem", CASES), ("dynamodb:UpdateItem", CASES),
               ("dynamodb:Query", CASES)]
PUBLISH = ("events:PutEvents", "LoopgateEventBus")  # CaseStatusChanged
NEEDS = {
    "IntakeApiFunction": CASE_WRITER + [("dynamodb:Query", OVERRIDES), ("dynamodb:PutItem", IDEMPOTENCY),
                                        ("dynamodb:UpdateItem", IDEMPOTENCY), ("dynamodb:DeleteItem", IDEMPOTENCY),
                                        ("states:StartExecution", STATE_MACHINE), PUBLISH],
    "ScoreFunction": CASE_WRITER,
    "RequestReviewFunction": CASE_WRITER + [PUBLISH],
    "ReviewerApiFunction": CASE_WRITER + [("dynamodb:Query", OVERRIDES), ("dynamodb:PutItem", OVERRIDES),
                                          ("states:SendTaskSuccess", STATE_MACHINE)],
    "RecordOutcomeFunction": CASE_WRITER + [("dynamodb:Query", OVERRIDES), ("dynamodb:PutItem", OVERRIDES)],
    "RequestCustomerFunction": CASE_WRITER + [("ses:SendEmail", "SenderEmail"), ("sns:Publish", "*"), PUBLISH],
    "CustomerApiFunction": CASE_WRITER + [("states:SendTaskSuccess", STATE_MACHINE)],
    "ReviewDeadlinesFunction": CASE_WRITER + [("sns:Publish", "QueueAlertsTopic")],
    "CaseStateMachine": [("lambda:InvokeFunction", f) for f in ("ScoreFunction", "RequestReviewFunction",
                                                                 "RecordOutcomeFunction", "RequestCustomerFunction")]
    + [("dynamodb:PutItem", CASES), ("dynamodb:UpdateItem", CASES), ("events:PutEvents", "LoopgateEventBus"),
       ("sns:Publish", "SupervisorTopic")],
}


@pytest.fixture(scope="module")
def roles():
    resources = translated_template()["Resources"]
    return {name[: -len("Role")]: r["Properties"] for name, r in resources.items()
            if r["Type"] == "AWS::IAM::Role" and name.endswith("Role")}


def _statements(role):
    for policy in role.get("Policies", []):
        statements = policy["PolicyDocument"]["Statement"]
        yield from statements if isinstance(statements, list) else [statements]


def _allows(statement, action, resource) -> bool:
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    if statement.get("Effect") != "Allow" or action not in actions:
        return False
    target = json.dumps(statement["Resource"])
    return target == '"*"' if resource == "*" else resource in target


@pytest.mark.parametrize("function, action, resource",
                         [(f, a, r) for f, needs in NEEDS.items() for a, r in needs])
def test_each_call_is_granted(roles, function, action, resource):
    assert any(_allows(s, action, resource) for s in _statements(roles[function])), \
        f"{function} calls {action} on {resource}, but its role does not allow it"
