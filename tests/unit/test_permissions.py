"""What each function does on AWS, against what its role may do once SAM has translated template.yaml.

moto does not enforce IAM, so a missing grant would first show on AWS; this test names, per function, the
calls its code makes (see the adapters) and finds a statement that allows each on the right resource.
"""
import json

import pytest

from tests.helpers import JUDGE_CALLS

from .sam import translated_template

CASES, OVERRIDES, IDEMPOTENCY = "CasesTable", "OverridesTable", "IdempotencyTable"
STATE_MACHINE = "${AWS::StackName}-case"  # by name: a !Ref would close a dependency loop through the API
CASE_WRITER = [("dynamodb:GetItem", CASES), ("dynamodb:PutItem", CASES), ("dynamodb:UpdateItem", CASES),
               ("dynamodb:Query", CASES)]
PUBLISH = ("events:PutEvents", "LoopgateEventBus")  # CaseStatusChanged
# Customer email (adapters/messaging.py): SES authorizes SendEmail on the sending identity and the configuration set.
EMAIL = [("ses:SendEmail", "identity/${SenderEmail}"),
         ("ses:SendEmail", "configuration-set/${CustomerEmailConfigurationSet}")]
NEEDS = {
    "IntakeApiFunction": CASE_WRITER + [("dynamodb:Query", OVERRIDES), ("dynamodb:PutItem", IDEMPOTENCY),
                                        ("dynamodb:UpdateItem", IDEMPOTENCY), ("dynamodb:DeleteItem", IDEMPOTENCY),
                                        ("states:StartExecution", STATE_MACHINE), PUBLISH],
    "ScoreFunction": CASE_WRITER,  # plus the cloud judges' calls, when selected (JUDGE_CALLS)
    "RequestReviewFunction": CASE_WRITER + [PUBLISH] + EMAIL,
    "ReviewerApiFunction": CASE_WRITER + [("dynamodb:Query", OVERRIDES), ("dynamodb:PutItem", OVERRIDES),
                                          ("states:SendTaskSuccess", STATE_MACHINE)],
    "RecordOutcomeFunction": CASE_WRITER + [("dynamodb:Query", OVERRIDES), ("dynamodb:PutItem", OVERRIDES)] + EMAIL,
    "RequestCustomerFunction": CASE_WRITER + EMAIL + [("sns:Publish", "*"), PUBLISH],
    "FollowUpsFunction": CASE_WRITER + EMAIL + [("sns:Publish", "*")],
    # Replies answer a step; a bounced email's step is asked by SMS or its wait failed towards a person.
    "InboundFunction": CASE_WRITER + EMAIL + [("sns:Publish", "*"), ("sns:OptInPhoneNumber", "*"),
                                              ("dynamodb:PutItem", IDEMPOTENCY),
                                              ("states:SendTaskSuccess", STATE_MACHINE),
                                              ("states:SendTaskFailure", STATE_MACHINE)],
    "CustomerApiFunction": CASE_WRITER + [("states:SendTaskSuccess", STATE_MACHINE)],
    "ReviewDeadlinesFunction": CASE_WRITER + [("sns:Publish", "QueueAlertsTopic")],
    # The sign-in trigger (adapters/staff_accounts.py); any pool of the account, as the pool names the function.
    "TokenClaimsFunction": [("cognito-idp:AdminGetUser", ":userpool/*")],
    # The daily evidence seal: reads the chains, writes each item's seal, puts the signed digest.
    "AuditDigestFunction": [("dynamodb:Query", CASES), ("dynamodb:UpdateItem", CASES), ("dynamodb:Query", OVERRIDES),
                            ("dynamodb:UpdateItem", OVERRIDES), ("s3:PutObject", "EvidenceBucket"),
                            ("kms:Sign", "DigestSigningKey")],
    "CaseStateMachine": [("lambda:InvokeFunction", f) for f in ("ScoreFunction", "RequestReviewFunction",
                                                                 "RecordOutcomeFunction", "RequestCustomerFunction")]
    + [("dynamodb:PutItem", CASES), ("dynamodb:UpdateItem", CASES), ("events:PutEvents", "LoopgateEventBus"),
       ("sns:Publish", "SupervisorTopic")],
}

# The calls adapters/judges.py makes, per cloud judge (tests/unit/test_cloud_judges.py checks the adapters make
# no others); the Score function's role allows them only when the Judges parameter selects that judge.
SELECTIONS = ["local", "comprehend", "guardrail", "comprehend+guardrail"]


def _condition_values(template: dict, parameters: dict[str, str]) -> dict[str, bool]:
    given = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
    given.update(parameters)

    def value(expr):
        if isinstance(expr, (str, int)):
            return str(expr)
        (key, arg), = expr.items()
        return {"Ref": lambda: given[arg], "Fn::Equals": lambda: value(arg[0]) == value(arg[1]),
                "Fn::Or": lambda: any(value(a) for a in arg), "Fn::And": lambda: all(value(a) for a in arg),
                "Fn::Not": lambda: not value(arg[0])}[key]()
    return {name: value(expr) for name, expr in template.get("Conditions", {}).items()}


def _roles(parameters: dict[str, str]) -> dict:
    """Each role's properties as CloudFormation deploys them with these parameters (Fn::If decided)."""
    template = translated_template()
    conditions = _condition_values(template, parameters)

    def decided(node):
        if isinstance(node, list):
            return [decided(n) for n in node if n != {"Ref": "AWS::NoValue"}]
        if isinstance(node, dict):
            if set(node) == {"Fn::If"}:
                name, yes, no = node["Fn::If"]
                return decided(yes if conditions[name] else no)
            return {k: decided(v) for k, v in node.items()}
        return node

    def with_managed(role):
        # A managed policy of the template (one shared by several roles) counts as the role's own statements.
        managed = [template["Resources"][arn["Ref"]] for arn in role.get("ManagedPolicyArns", [])
                   if isinstance(arn, dict) and "Ref" in arn]
        extra = [{"PolicyDocument": decided(p["Properties"]["PolicyDocument"])} for p in managed
                 if p["Type"] == "AWS::IAM::ManagedPolicy"]
        return {**role, "Policies": role.get("Policies", []) + extra}

    return {name[: -len("Role")]: with_managed(decided(r["Properties"])) for name, r in template["Resources"].items()
            if r["Type"] == "AWS::IAM::Role" and name.endswith("Role")}


@pytest.fixture(scope="module")
def roles():
    return _roles({"Judges": "local"})


def _statements(role):
    for policy in role.get("Policies", []):
        if policy == {"Ref": "AWS::NoValue"}:
            continue
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


@pytest.mark.parametrize("selection", SELECTIONS)
def test_the_score_function_may_call_the_cloud_judges_selected_and_no_other(selection):
    role = _roles({"Judges": selection})["ScoreFunction"]
    for judge, calls in JUDGE_CALLS.items():
        for action, resource in calls:
            allowed = any(_allows(s, action, resource) for s in _statements(role))
            assert allowed == (judge in selection), \
                f"Judges={selection}: ScoreFunction {'may not' if judge in selection else 'may'} call {action}"


@pytest.mark.parametrize("domain", ["", "mail.example.com"])
def test_customer_email_may_be_sent_as_the_sender_domain_when_one_is_verified(domain):
    """SES checks SendEmail against the identity that verified the address: with SenderDomain, the domain."""
    roles = _roles({"Judges": "local", "SenderDomain": domain})
    for function, needs in NEEDS.items():
        if ("ses:SendEmail", "identity/${SenderEmail}") in needs:
            allowed = any(_allows(s, "ses:SendEmail", "identity/${SenderDomain}") for s in _statements(roles[function]))
            assert allowed == bool(domain), f"{function}: SenderDomain={domain!r}"
