"""The case workflow end to end: HTTP in, the real ASL on moto, the real handlers, HTTP out."""
import uuid

import pytest

from loopgate.policy.sampling import audit_selected
from tests.helpers import body


@pytest.fixture
def reviewer(stack):
    return stack.token(f"rev-{uuid.uuid4().hex[:6]}", ["reviewers"])


def test_auto_path_completes_and_publishes_the_approved_action(stack):
    case_id = stack.new_case(body("identity_verification_clear.json"))

    case = stack.wait_for(case_id, "COMPLETED")

    assert case["route"] == "auto"
    audited = ["audit_opened"] if audit_selected(case_id, 0.05) else []  # the journey audits 5 %, by case id
    # 'completed' is written with the status, last (CloseCompleted's transaction), after an audit is opened.
    assert [e["type"] for e in case["timeline"]] == ["received", "scored", "action_published", *audited, "completed"]
    (event,) = stack.downstream(case_id)
    assert event["detail-type"] == "CaseActionApproved"
    assert event["detail"]["proposal"] == {"verified": True}
    assert event["detail"]["decidedBy"] == "automation"


def test_reviewer_approves_then_customer_confirms(stack, reviewer):
    sent = body("contract_change_low_confidence.json")
    case_id = stack.new_case(sent)
    case = stack.wait_for(case_id, "AWAITING_REVIEW")
    assert case["route"] == "human_then_customer"
    assert any("0.62" in r["text"] for r in case["reasons"])

    task = stack.task_for(reviewer, case_id)
    view = stack.review(reviewer, task["taskId"]).json()
    assert view["tried"]["proposal"] == sent["ai"]["proposal"]
    assert "taskToken" not in str(view)
    assert stack.decide(reviewer, task["taskId"], {"action": "approve"}).status_code == 200

    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["email"])
    assert stack.answer(link, {"response": "confirm"}).status_code == 200

    case = stack.wait_for(case_id, "COMPLETED")
    types = [e["type"] for e in case["timeline"]]
    assert types[:4] == ["received", "scored", "review_requested", "review_approve"]
    assert types[-3:] == ["customer_confirm", "action_published", "completed"]
    assert case["overrides"] == []
    (event,) = stack.downstream(case_id)
    assert event["detail"]["proposal"] == sent["ai"]["proposal"]


def test_reviewer_modifies_with_a_reason_then_customer_rejects(stack, reviewer):
    sent = body("contract_change_low_confidence.json")
    case_id = stack.new_case(sent)
    task = stack.task_for(reviewer, case_id)
    edited = {**sent["ai"]["proposal"], "monthlyPrice": 34.9}

    without_reason = stack.decide(reviewer, task["taskId"], {"action": "modify", "proposal": edited})
    assert without_reason.status_code == 400
    assert without_reason.json()["field"] == "reason"

    decided = stack.decide(reviewer, task["taskId"], {"action": "modify", "proposal": edited,
                                                       "reason": "loyalty discount applies"})
    assert decided.status_code == 200
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["email"])
    assert stack.answer(link, {"response": "reject"}).status_code == 200

    case = stack.wait_for(case_id, "REJECTED")
    assert case["proposal"] == edited
    (override,) = case["overrides"]
    assert override["kind"] == "reviewer_modify"
    assert override["reason"] == "loyalty discount applies"
    assert override["diff"] == [{"field": "monthlyPrice", "from": 39.9, "to": 34.9}]
    assert stack.downstream(case_id) == []


def test_reviewer_reject_needs_a_reason_and_is_logged(stack, reviewer):
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    task = stack.task_for(reviewer, case_id)

    assert stack.decide(reviewer, task["taskId"], {"action": "reject"}).json()["field"] == "reason"
    not_a_code = stack.decide(reviewer, task["taskId"], {"action": "reject", "reason": "contract is cancelled"})
    assert not_a_code.status_code == 400 and "wrong_proposal" in not_a_code.json()["error"]
    assert stack.decide(reviewer, task["taskId"], {"action": "reject", "reason": "wrong_proposal",
                                                   "comment": "the contract is cancelled"}).ok

    case = stack.wait_for(case_id, "REJECTED")
    (override,) = case["overrides"]
    assert (override["kind"], override["reason"], override["comment"]) == (
        "reviewer_reject", "wrong_proposal", "the contract is cancelled")


def test_a_replayed_decision_is_a_conflict(stack, reviewer):
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    task = stack.task_for(reviewer, case_id)

    assert stack.decide(reviewer, task["taskId"], {"action": "approve"}).status_code == 200
    replay = stack.decide(reviewer, task["taskId"], {"action": "approve"})

    assert replay.status_code == 409
    case = stack.wait_for(case_id, "AWAITING_CUSTOMER")
    # A refused request changes nothing, so it does not grow the timeline (it is logged instead).
    kinds = [e["type"] for e in case["timeline"]]
    assert kinds.count("review_approve") == 1 and "late_decision" not in kinds


def test_a_reviewer_outside_the_queue_cannot_decide(stack, reviewer):
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    task = stack.task_for(reviewer, case_id)
    outsider = stack.token("outsider", ["billing"])

    assert stack.decide(outsider, task["taskId"], {"action": "approve"}).status_code == 403
    assert case_id not in [t["caseId"] for t in stack.reviews(outsider)]


def test_customer_links_act_once_and_get_never_acts(stack):
    sent = body("contract_change_confident.json")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["phone"])

    for _ in range(3):  # a mail scanner prefetching the link changes nothing
        page = stack_get(link)
        assert page.status_code == 200 and "Plus 50" in page.text
    assert stack.case(case_id)["status"] == "AWAITING_CUSTOMER"

    assert stack.answer(link, {"response": "confirm"}).status_code == 200
    assert stack.answer(link, {"response": "confirm"}).status_code == 410
    assert stack_get(link).status_code == 410
    assert stack.answer(link.rsplit("/", 1)[0] + "/" + "x" * 43, {"response": "confirm"}).status_code == 404
    stack.wait_for(case_id, "COMPLETED")


def stack_get(link: str):
    import requests

    return requests.get(link, timeout=10)


def test_the_same_idempotency_key_makes_one_case(stack):
    sent = body("identity_verification_clear.json")
    key = uuid.uuid4().hex

    first, second = stack.post_case(sent, key=key), stack.post_case(sent, key=key)

    assert first.status_code == second.status_code == 202
    assert first.json()["caseId"] == second.json()["caseId"]
    changed = stack.post_case({**sent, "channel": "email"}, key=key)
    assert changed.status_code == 422 and changed.json()["field"] == "Idempotency-Key"


@pytest.mark.parametrize("mutate, field", [
    (lambda c: c["ai"].update(confidence=1.7), "ai.confidence"),
    (lambda c: c["customer"].pop("id"), "customer.id"),
    (lambda c: c.update(journey="no_such_journey"), "journey"),
    (lambda c: c["customer"].update(email="not-an-address"), "customer.email"),
    (lambda c: c["payload"].update(contractId=42), "payload.contractId"),
    (lambda c: c["payload"].update(notes="x" * 120_000), "payload"),   # a case item must fit DynamoDB's 400 KB
    (lambda c: c["ai"]["proposal"].update(blob="y" * 60_000), "ai.proposal"),
])
def test_a_malformed_case_is_refused_naming_the_field(stack, mutate, field):
    sent = body("contract_change_low_confidence.json")
    mutate(sent)

    response = stack.post_case(sent)

    assert 400 <= response.status_code < 500
    assert response.json()["field"] == field


def test_channels_need_the_api_key(stack):
    assert stack.post_case(body("identity_verification_clear.json"), api_key="wrong").status_code == 403


def test_reviewers_need_a_valid_token(stack):
    import requests

    assert requests.get(f"{stack.url}/reviews", timeout=10).status_code == 401
    assert requests.get(f"{stack.url}/reviews", headers={"Authorization": "Bearer forged"},
                        timeout=10).status_code == 401


def test_an_amount_that_is_not_a_number_is_refused_at_intake(stack):
    sent = body("refund_small.json")
    sent["ai"]["proposal"]["amount"] = "19.99"
    response = stack.post_case(sent)
    assert response.status_code == 422 and response.json()["field"] == "ai.proposal"
