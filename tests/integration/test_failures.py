"""Nothing is lost: a failing step or a wait that runs out ends with a person, never in silence."""
import json
import uuid

import pytest

from loopgate.clock import parse_iso
from loopgate.usecases.deadlines import WARN_SHARE
from tests.helpers import body


@pytest.fixture
def senior(stack):
    return stack.token(f"senior-{uuid.uuid4().hex[:6]}", ["senior"])


def test_a_scoring_handler_that_raises_leaves_the_case_with_a_human(stack, senior, monkeypatch):
    score_module = stack.engine.handler_module("ScoreFunction")

    def broken(*_args, **_kwargs):
        raise RuntimeError("scoring model unavailable")

    monkeypatch.setattr(score_module, "score_case", broken)
    case_id = stack.new_case(body("identity_verification_clear.json"))

    stack.wait_for(case_id, "AWAITING_REVIEW")
    task = stack.task_for(senior, case_id)
    assert task["queue"] == "senior" and task["reason"] == "system_error"
    monkeypatch.undo()

    assert stack.decide(senior, task["taskId"], {"action": "approve"}).status_code == 200
    stack.wait_for(case_id, "COMPLETED")
    (event,) = stack.downstream(case_id)
    assert event["detail"]["proposal"] == {"verified": True}


def test_a_review_left_alone_escalates_then_alerts_a_supervisor(stack, time_scale):
    # An hour per review passes in 1.8 s (the warning no longer needs its real share of it: see below).
    time_scale(0.0005)
    sent = body("identity_verification_clear.json")
    sent["payload"] = {"identity": {"mismatch": True}, "account": {"recentFraudAttempts": 2}}
    reviewer = stack.token(f"slow-fraud-{uuid.uuid4().hex[:6]}", ["fraud"])
    supervisor = stack.token(f"sup-{uuid.uuid4().hex[:6]}", ["supervisors"])
    case_id = stack.new_case(sent)
    first = stack.task_for(reviewer, case_id)
    assert first["queue"] == "fraud" and first["capability"] == "fraud"
    # The watcher warns the queue at 25 % time left: in the last 1.8 s of real time, which a busy machine did not
    # always grant its thread. The engine's clock moves on to the warning time now (the workflow's own timeout
    # keeps its timer), so the watcher has the rest of the review's time, and the test waits for its warning.
    created, due = (parse_iso(first[k]).timestamp() for k in ("createdAt", "dueAt"))
    stack.engine.clock.advance(max(0.0, due - (due - created) * WARN_SHARE - stack.engine.clock.time()))
    stack.wait_for(case_id, "AWAITING_REVIEW", where=lambda c: "review_due_soon" in [e["type"] for e in c["timeline"]])

    # A capability task climbs to the supervisors, who hold every capability, not to the senior queue.
    escalated = stack.task_for(supervisor, case_id, timeout=20)
    assert escalated["queue"] == "supervisors" and escalated["escalated"] is True
    assert stack.decide(reviewer, first["taskId"], {"action": "approve"}).status_code == 409

    case = stack.wait_for(case_id, "AWAITING_REVIEW",
                          where=lambda c: "supervisor_alerted" in [e["type"] for e in c["timeline"]], timeout=20)
    types = [e["type"] for e in case["timeline"]]
    assert types.count("review_escalated") == 1 and "late_decision" not in types  # a refusal is logged only
    # Before the limit, the queue was warned once (the scheduled deadline watcher).
    assert types.index("review_due_soon") < types.index("review_escalated")
    warnings = [m for m in stack.outbox() if m["channel"] == "topic" and first["taskId"] in m["body"]]
    assert len(warnings) == 1 and "due soon" in warnings[0]["subject"]
    alerts = [m for m in stack.outbox() if m["channel"] == "topic" and case_id in m["body"]]
    assert alerts, "the supervisor topic was not alerted"
    assert {m["caseId"] for m in alerts + warnings} == {case_id}  # the local outbox says whose case each alert is

    latest = stack.task_for(supervisor, case_id)
    assert stack.decide(supervisor, latest["taskId"], {"action": "reject", "reason": "fraud"}).ok
    stack.wait_for(case_id, "REJECTED")


def test_a_failed_step_does_not_lower_the_authority_a_case_needs(stack, senior, monkeypatch):
    monkeypatch.setattr(stack.engine.handler_module("ScoreFunction"), "score_case",
                        lambda *_: (_ for _ in ()).throw(RuntimeError("scoring model unavailable")))
    sent = body("refund_large.json")
    sent["payload"]["amount"] = sent["ai"]["proposal"]["amount"] = 20000.0
    case_id = stack.new_case(sent)
    task = stack.task_for(senior, case_id)
    monkeypatch.undo()
    assert task["reason"] == "system_error" and task["authority"] == "refund"

    refused = stack.decide(senior, task["taskId"], {"action": "approve"})
    assert refused.status_code == 403 and "authority" in refused.json()["error"]
    assert stack.decide(senior, task["taskId"], {"action": "escalate", "reason": "above my authority"}).ok

    supervisor = stack.token("sue", ["supervisors"])
    upper = stack.task_for(supervisor, case_id)
    assert upper["queue"] == "supervisors"
    assert stack.decide(supervisor, upper["taskId"], {"action": "approve"}).ok
    stack.wait_for(case_id, "COMPLETED")
    assert stack.downstream(case_id)[0]["detail"]["proposal"]["amount"] == 20000.0


def test_a_retried_record_step_logs_a_correction_once(stack):
    sent = body("document_approval.json")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    plan = {"journey": "document_approval", "next": "customer", "queue": "reviewers", "seniorQueue": "senior",
            "priority": 5, "ask": "correct", "stepId": f"{case_id}-retry",
            "limits": {"reviewSeconds": 60, "seniorSeconds": 60, "customerSeconds": 60}}
    outcome = {"actor": {"kind": "customer"}, "response": "correct", "fields": {"reading": 1},
               "at": "2026-11-22T10:00:00.000Z"}
    record = {"state": {"caseId": case_id, "plan": plan, "outcome": outcome}, "recordedAt": "2026-11-22T10:00:01Z"}

    for _ in range(2):  # Step Functions retries a Lambda task with the same input
        stack.engine.invoke("RecordOutcomeFunction", record)

    case = stack.case(case_id)
    assert [o["kind"] for o in case["overrides"]] == ["customer_correction"]
    assert [e["type"] for e in case["timeline"]].count("customer_correct") == 1


def test_a_failed_customer_step_comes_back_to_a_person_and_still_asks_the_customer(stack, monkeypatch):
    reviewer = stack.token(f"rev-{uuid.uuid4().hex[:6]}", ["reviewers"])
    sent = body("contract_change_low_confidence.json")
    case_id = stack.new_case(sent)
    first = stack.task_for(reviewer, case_id)
    monkeypatch.setattr(stack.engine.handler_module("RequestCustomerFunction"), "open_customer_step",
                        lambda *_: (_ for _ in ()).throw(RuntimeError("mail service down")))
    assert stack.decide(reviewer, first["taskId"], {"action": "approve"}).ok

    again = _next_task(stack, reviewer, case_id, first)
    monkeypatch.undo()
    assert (again["queue"], again["reason"]) == ("reviewers", "system_error")
    assert stack.decide(reviewer, again["taskId"], {"action": "approve"}).ok

    stack.wait_for(case_id, "AWAITING_CUSTOMER")  # the customer still confirms
    assert stack.answer(stack.link_for(sent["customer"]["email"]), {"response": "confirm"}).ok
    stack.wait_for(case_id, "COMPLETED")


def _next_task(stack, token, case_id, previous, timeout=30):
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        tasks = [t for t in stack.reviews(token) if t["caseId"] == case_id and t["taskId"] != previous["taskId"]]
        if tasks:
            return tasks[0]
        time.sleep(0.05)
    raise AssertionError("no new review task")


def test_when_no_review_can_be_opened_the_operators_are_alerted_and_the_case_says_so(stack, monkeypatch):
    """Found by make chaos: the last resort alerted the operators but left the case RECEIVED, as if untouched."""
    def broken(*_args, **_kwargs):
        raise RuntimeError("review store unavailable")

    monkeypatch.setattr(stack.engine.handler_module("RequestReviewFunction"), "open_review", broken)
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    stack.wait_finished(case_id)
    monkeypatch.undo()

    case = stack.case(case_id)
    assert case["status"] == "AWAITING_REVIEW"
    assert "operators_alerted" in [e["type"] for e in case["timeline"]]
    alerts = [m for m in stack.outbox() if m["channel"] == "topic" and case_id in m["body"]]
    assert alerts and "needs an operator" in alerts[-1]["subject"]


def test_an_action_published_before_a_late_failure_is_never_executed_again(stack, senior, monkeypatch):
    """Found in review: closing failed after CaseActionApproved went out; the fallback review's approval
    executed the action a second time (a double refund)."""
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.models import DynamoDBBackend

    import loopgate.usecases.intake as intake

    known = f"case-{uuid.uuid4().hex}"  # known before the workflow starts, so only this case's close fails
    update = DynamoDBBackend.update_item

    def failing_close(backend, *args, **kwargs):
        text = repr((args, kwargs))
        if f"CASE#{known}" in text and "COMPLETED" in text and "actionPublishedAt" not in text:
            raise MockValidationException("the close failed")
        return update(backend, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", failing_close)
    monkeypatch.setattr(intake, "new_case_id", lambda: known)
    reviewer = stack.token(f"rev-{uuid.uuid4().hex[:6]}", ["reviewers", "senior"])
    case_id = stack.new_case(body("refund_small.json"))
    assert case_id == known
    fallback = stack.task_for(reviewer, case_id)  # after the action went out, closing failed: a person looks
    monkeypatch.undo()
    assert fallback["reason"] == "system_error"
    assert len(stack.downstream(case_id)) == 1
    assert stack.decide(reviewer, fallback["taskId"], {"action": "approve"}).ok
    stack.wait_finished(case_id)
    assert len(stack.downstream(case_id)) == 1, "the action was executed twice"


def test_a_close_whose_answer_was_lost_is_not_sent_to_a_person(stack, monkeypatch):
    """Found in review: CloseCompleted became a transaction conditional on EXECUTING. When its commit's answer is
    lost, Step Functions retries it; the retry's condition fails (the case is COMPLETED), and the case went to a
    person as a failure although it had completed. Now the cancelled close reads the case and announces it."""
    from moto.dynamodb.exceptions import DynamodbException
    from moto.dynamodb.models import DynamoDBBackend

    import loopgate.usecases.intake as intake

    known = f"case-{uuid.uuid4().hex}"
    transact, lost = DynamoDBBackend.transact_write_items, []

    def answer_lost_once(backend, transact_items, *args, **kwargs):
        result = transact(backend, transact_items, *args, **kwargs)
        if not lost and f"CASE#{known}" in repr(transact_items) and "EXECUTING" in repr(transact_items):
            lost.append(True)  # committed; the caller hears an error and tries again
            raise DynamodbException("ProvisionedThroughputExceededException", "the answer was lost")
        return result

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", answer_lost_once)
    monkeypatch.setattr(intake, "new_case_id", lambda: known)
    case_id = stack.new_case(body("refund_small.json"))
    assert stack.wait_finished(case_id)["status"] == "SUCCEEDED"
    monkeypatch.undo()
    assert lost, "the close was not reached"
    case = stack.case(case_id)
    types = [e["type"] for e in case["timeline"]]
    assert case["status"] == "COMPLETED" and types.count("completed") == 1
    assert "review_requested" not in types and "system_error" not in json.dumps(case)  # nobody was asked
    assert [c["to"] for c in stack.status_changes_until(case_id, "COMPLETED")][-1] == "COMPLETED"
    assert len(stack.downstream(case_id)) == 1
