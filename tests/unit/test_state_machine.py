"""The ASL itself: targets exist, substitutions are declared, every task and wait ends with a person."""
import json
import re

import pytest
from cfnlint import api as cfn_lint

from local.template import ROOT, load_template
from loopgate.adapters.dynamo import task_item, to_item
from loopgate.usecases.reviews import audit_task

ASL_PATH = ROOT / "statemachines" / "case.asl.json"
ASL = json.loads(ASL_PATH.read_text())
STATES = ASL["States"]
TEMPLATE = load_template()
MACHINE = TEMPLATE["Resources"]["CaseStateMachine"]["Properties"]


def targets(state: dict) -> list[str]:
    found = [state.get("Next"), state.get("Default")]
    found += [c["Next"] for c in state.get("Choices", [])]
    found += [c["Next"] for c in state.get("Catch", [])]
    return [t for t in found if t]


def test_every_transition_names_an_existing_state():
    assert ASL["StartAt"] in STATES
    for name, state in STATES.items():
        for target in targets(state):
            assert target in STATES, f"{name} -> {target}: no such state"


def test_every_state_is_reachable():
    seen, todo = set(), [ASL["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += targets(STATES[name])
    assert set(STATES) - seen == set()


def test_substitutions_are_declared_in_the_template_and_used():
    used = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    declared = set(MACHINE["DefinitionSubstitutions"])
    assert used - declared == set(), "used in the ASL but not declared in template.yaml"
    assert declared - used == set(), "declared in template.yaml but never used"


@pytest.mark.parametrize("name", [n for n, s in STATES.items() if s["Type"] == "Task"])
def test_every_task_retries_and_catches(name):
    state = STATES[name]
    assert state.get("Retry"), f"{name} has no Retry"
    catch_all = [c for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]]
    assert catch_all, f"{name} has no Catch for States.ALL"


@pytest.mark.parametrize("name", [n for n, s in STATES.items() if s.get("Resource", "").endswith(".waitForTaskToken")])
def test_every_wait_has_a_timeout_that_leads_to_a_person(name):
    state = STATES[name]
    assert "TimeoutSeconds" in state or "TimeoutSecondsPath" in state
    caught = {e for c in state["Catch"] for e in c["ErrorEquals"]}
    # moto reports heartbeat expiry as States.Timeout, AWS as States.HeartbeatTimeout: catch both.
    assert {"States.Timeout", "States.HeartbeatTimeout"} <= caught
    timeout_next = next(c["Next"] for c in state["Catch"] if "States.Timeout" in c["ErrorEquals"])
    assert timeout_next == "RecordOutcome"  # which escalates, alerts or hands over to a reviewer


def test_no_failure_path_ends_without_alerting_someone():
    """A state that leads to a Fail state is an alert, or is only ever reached from one (recording it after)."""
    fails = {n for n, s in STATES.items() if s["Type"] == "Fail"}
    callers = {n: {m for m, s in STATES.items() if n in targets(s)} for n in STATES}
    alerted = {n for n, s in STATES.items() if s.get("Resource", "").endswith("sns:publish")}
    while True:  # states every way into which passes an alert
        more = {n for n in STATES if n not in alerted and callers[n] and callers[n] <= alerted}
        if not more:
            break
        alerted |= more
    for name, state in STATES.items():
        if set(targets(state)) & fails:
            assert name in alerted, f"{name} fails without alerting"


def test_the_definition_passes_cfn_lint_as_a_plain_state_machine():
    """cfn-lint does not check the ASL of a Serverless::StateMachine; as StepFunctions::StateMachine it does."""
    definition = ASL_PATH.read_text()
    for key in MACHINE["DefinitionSubstitutions"]:
        definition = definition.replace("${" + key + "}", f"arn:aws:lambda:us-east-1:123456789012:function:{key}")
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Machine": {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {"RoleArn": "arn:aws:iam::123456789012:role/r", "Definition": json.loads(definition)}}}}
    matches = cfn_lint.lint(json.dumps(template), config=cfn_lint.ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


def test_the_workflows_audit_task_is_the_item_the_store_writes_for_one():
    """OpenAudit writes a task item by hand; it must be what CaseStore.put_task stores for usecases' audit_task."""
    state = {"caseId": "case-1", "audit": {"taskId": "t-1"}, "plan": {"journey": "refund", "auditQueue": "audit"}}
    entered = "2026-11-23T10:00:00.000Z"

    def path(expression: str):
        if expression == "$$.State.EnteredTime":
            return entered
        value = state
        for part in expression.removeprefix("$.").split("."):
            value = value[part]
        return value

    def evaluate(spec: str):
        call = re.fullmatch(r"States\.Format\('(.*)', (.*)\)", spec)
        if not call:
            return path(spec)
        template, args = call.groups()
        return template.replace("{}", "%s") % tuple(path(a.strip()) for a in args.split(","))

    item = STATES["OpenAudit"]["Parameters"]["Item"]
    written = {}
    for name, typed in item.items():
        (kind, spec), = typed.items()
        value = evaluate(spec) if kind.endswith(".$") else spec
        written[name] = {"S": str, "N": int, "BOOL": bool}[kind.removesuffix(".$")](value)
    expected = to_item(task_item(audit_task("t-1", "case-1", "refund", "audit", entered)))
    assert written == expected


def test_the_action_is_published_alone_and_marked_before_anything_else_can_fail():
    """A putEvents call with several entries can fail in part; its retry would send the action again."""
    publish = STATES["PublishApproved"]
    assert [e["DetailType"] for e in publish["Parameters"]["Entries"]] == ["CaseActionApproved"]
    assert publish["Next"] == "MarkPublished"
    assert "attribute_not_exists(actionPublishedAt)" in STATES["MarkExecuting"]["Parameters"]["ConditionExpression"]


def happy_path(plan_next: str, audit: bool = False) -> list[str]:
    """The states a case enters when nothing fails, from Score to the end (each one a billed transition)."""
    entered, name = [], ASL["StartAt"]
    while True:
        entered.append(name)
        state = STATES[name]
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            return entered
        if name == "Dispatch":
            (name,) = [c["Next"] for c in state["Choices"] if c.get("StringEquals") == plan_next]
        elif name == "AuditSampled":
            name = state["Choices"][0]["Next"] if audit else state["Default"]
        else:
            name = state["Next"]


def test_the_automatic_path_takes_nine_transitions():
    """Issue 13 item 8: the closing writes merged (timeline + status in one transaction), no Succeed at the end.
    Each added state costs every automatic case a transition: docs/capacity.md prices them."""
    assert happy_path("execute") == ["Score", "Dispatch", "MarkExecuting", "PublishApproved", "MarkPublished",
                                     "PublishExecuting", "AuditSampled", "CloseCompleted", "PublishCompleted"]
    assert len(happy_path("execute", audit=True)) == 12
    assert happy_path("reject") == ["Score", "Dispatch", "RecordRejected", "CloseRejected", "PublishRejected"]


def test_completed_is_written_with_its_timeline_event_or_not_at_all():
    """The 'completed' event and the status change are one transaction: the event never says completed while the
    status does not (the close's condition failed), and a client that sees COMPLETED sees the whole timeline."""
    close = STATES["CloseCompleted"]
    assert close["Resource"].endswith(":dynamodb:transactWriteItems")
    (put,), (update,) = ([i["Put"] for i in close["Parameters"]["TransactItems"] if "Put" in i],
                         [i["Update"] for i in close["Parameters"]["TransactItems"] if "Update" in i])
    assert put["Item"]["type"] == {"S": "completed"}
    assert update["ConditionExpression"] == "#status = :executing"
    assert update["ExpressionAttributeValues"][":status"] == {"S": "COMPLETED"}
    assert close["ResultSelector"]["from"] == "EXECUTING"  # what the condition guarantees
    mark = STATES["MarkPublished"]["Parameters"]["TransactItems"]
    assert [next(iter(i)) for i in mark] == ["Update", "Put"]
    assert "actionPublishedAt" in mark[0]["Update"]["UpdateExpression"]
    assert mark[1]["Put"]["Item"]["type"] == {"S": "action_published"}
    for name in ("MarkPublished", "CloseCompleted"):  # throttling retried under the SDK integration's error names
        retried = {e for r in STATES[name]["Retry"] for e in r["ErrorEquals"]}
        assert {"DynamoDb.ProvisionedThroughputExceededException", "DynamoDb.TransactionCanceledException"} <= retried
