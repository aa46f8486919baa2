"""The gate under hostile and careless input: each reproduction of the adversarial review, through HTTP."""
import json
import re
import uuid

import pytest
import requests

from tests.helpers import body

from .stack import API_KEY


def token(stack, *groups):
    return stack.token(f"{groups[0]}-{uuid.uuid4().hex[:6]}", list(groups))


def post_raw(stack, path: str, text: str, headers: dict | None = None) -> requests.Response:
    return requests.post(f"{stack.url}{path}", data=text.encode(), timeout=10,
                         headers={"x-api-key": API_KEY, "Content-Type": "application/json", **(headers or {})})


def refund(amount, **changes) -> dict:
    sent = body("refund_small.json")
    sent["payload"]["amount"] = amount
    sent["ai"]["proposal"]["amount"] = amount
    sent["ai"].update(changes)
    return sent


# ---------------------------------------------------------------- four-eyes
def large_refund_task(stack, senior_a):
    case_id = stack.new_case(body("refund_large.json"))
    return case_id, stack.task_for(senior_a, case_id)


def test_a_second_reviewers_modify_needs_another_approval_and_is_what_executes(stack):
    sam, sue = token(stack, "senior"), token(stack, "senior")
    case_id, task = large_refund_task(stack, sam)
    assert stack.decide(sam, task["taskId"], {"action": "approve"}).json()["status"] == "AWAITING_SECOND_APPROVAL"

    half = {"action": "refund", "amount": 600.0, "currency": "EUR"}
    modified = stack.decide(sue, task["taskId"], {"action": "modify", "reason": "only half is justified",
                                                  "proposal": half})
    assert modified.status_code == 200, modified.text
    assert modified.json() == {"taskId": task["taskId"], "caseId": case_id, "action": "modify",
                               "status": "AWAITING_SECOND_APPROVAL"}
    assert stack.case(case_id)["status"] == "AWAITING_REVIEW"
    # Its author cannot approve it; sam's earlier approval was of another proposal and no longer counts.
    assert stack.decide(sue, task["taskId"], {"action": "approve"}).status_code == 409
    view = stack.review(sam, task["taskId"]).json()
    assert view["pendingProposal"] == half
    assert stack.decide(sam, task["taskId"], {"action": "approve",
                                              "proposalVersion": view["proposalVersion"]}).status_code == 200

    case = stack.wait_for(case_id, "COMPLETED")
    (event,) = stack.downstream(case_id)
    assert event["detail"]["proposal"] == half
    (override,) = case["overrides"]
    assert override["kind"] == "reviewer_modify" and override["reason"] == "only half is justified"
    assert {"field": "amount", "from": 1299.0, "to": 600.0} in override["diff"]


def test_a_second_reviewers_reject_closes_the_case_with_its_reason(stack):
    sam, sue = token(stack, "senior"), token(stack, "senior")
    case_id, task = large_refund_task(stack, sam)
    stack.decide(sam, task["taskId"], {"action": "approve"})
    assert stack.decide(sue, task["taskId"], {"action": "reject", "reason": "fraud"}).json()["status"] == "DECIDED"

    case = stack.wait_for(case_id, "REJECTED")
    assert not stack.downstream(case_id)
    assert [(o["kind"], o["reason"]) for o in case["overrides"]] == [("reviewer_reject", "fraud")]


def test_a_second_reviewers_escalate_moves_the_case_up_without_the_first_approval(stack):
    sam, sue = token(stack, "senior"), token(stack, "senior")
    boss = token(stack, "supervisors")
    case_id, task = large_refund_task(stack, sam)
    stack.decide(sam, task["taskId"], {"action": "approve"})
    assert stack.decide(sue, task["taskId"], {"action": "escalate", "reason": "unusual"}).status_code == 200

    upper = stack.task_for(boss, case_id)
    assert upper["queue"] == "supervisors" and upper["fourEyes"] is True
    assert upper["awaitingSecondApproval"] is False, "the first approval does not follow the case upwards"
    assert stack.case(case_id)["status"] == "AWAITING_REVIEW"


def test_an_approval_of_a_proposal_that_changed_meanwhile_is_refused(stack):
    sam, sue, ida = token(stack, "senior"), token(stack, "senior"), token(stack, "senior")
    case_id, task = large_refund_task(stack, sam)
    stack.decide(sam, task["taskId"], {"action": "approve"})
    seen = stack.review(ida, task["taskId"]).json()["proposalVersion"]
    stack.decide(sue, task["taskId"], {"action": "modify", "reason": "half", "proposal": {
        "action": "refund", "amount": 650.0, "currency": "EUR"}})

    stale = stack.decide(ida, task["taskId"], {"action": "approve", "proposalVersion": seen})
    assert stale.status_code == 409 and "changed" in stale.json()["error"]
    assert stack.case(case_id)["status"] == "AWAITING_REVIEW"


# ---------------------------------------------------------------- amounts and bounds
def test_a_negative_amount_is_refused_at_intake_naming_the_field(stack):
    response = stack.post_case(refund(-1000000.0))
    assert response.status_code == 422
    assert response.json()["field"] == "payload.amount" and "at least 0" in response.json()["error"]

    sent = refund(10.0)
    sent["ai"]["proposal"]["currency"] = "XXX"
    response = stack.post_case(sent)
    assert response.status_code == 422 and response.json()["field"] == "ai.proposal.currency"


def test_a_reviewers_edit_is_checked_against_the_journeys_bounds(stack):
    ana = token(stack, "reviewers")
    case_id = stack.new_case(refund(120.0))
    task = stack.task_for(ana, case_id)
    negative = stack.decide(ana, task["taskId"], {"action": "modify", "reason": "typo", "proposal": {
        "action": "refund", "amount": -5000.0, "currency": "EUR"}})
    assert negative.status_code == 422 and negative.json()["field"] == "proposal.amount"
    nan = requests.post(f"{stack.url}/reviews/{task['taskId']}/decision", timeout=10,
                        data='{"action": "modify", "reason": "x", "proposal": {"amount": NaN}}',
                        headers={"Authorization": f"Bearer {ana}", "Content-Type": "application/json"})
    assert nan.status_code == 422 and nan.json()["field"] == "proposal.amount"
    assert stack.case(case_id)["status"] == "AWAITING_REVIEW"


@pytest.mark.parametrize("number, problem", [
    ("1e400", "finite"), ("1e300", "range"), ("1e-200", "range"), ("1" * 41, "significant digits")])
def test_numbers_dynamodb_cannot_store_are_refused_naming_the_field(stack, number, problem):
    text = json.dumps(body("complaint_angry.json")).replace('"orderNumber"', f'"weight": {number}, "orderNumber"')
    response = post_raw(stack, "/cases", text)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "payload.weight" and problem in response.json()["error"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_naming_the_field(stack, number):
    text = json.dumps(body("complaint_angry.json")).replace('"orderNumber"', f'"weight": {number}, "orderNumber"')
    response = post_raw(stack, "/cases", text)
    assert response.status_code == 422 and response.json()["field"] == "payload.weight"


@pytest.mark.parametrize("text", ['{"a":' * 5000 + "1" + "}" * 5000, "[" * 100_000 + "]" * 100_000])
def test_deep_nesting_is_a_400_not_a_crash(stack, text):
    for path in ("/cases", "/c/unknown-link"):
        response = post_raw(stack, path, text)
        assert response.status_code == 400 and response.json()["field"] == "(body)", (path, response.text)


def test_nesting_deeper_than_dynamodb_stores_is_refused_naming_where(stack):
    sent = body("complaint_angry.json")
    deep = 1
    for _ in range(40):
        deep = {"x": deep}
    sent["payload"]["notes"] = deep
    response = stack.post_case(sent)
    assert response.status_code == 400 and response.json()["field"].startswith("payload.notes.x")


def test_an_empty_key_is_refused_and_does_not_poison_a_case(stack):
    sent = body("complaint_angry.json")
    sent["payload"][""] = 1
    response = stack.post_case(sent)
    assert response.status_code == 422 and response.json()["field"] == "payload"


# ---------------------------------------------------------------- strict types
def test_loose_types_are_refused(stack):
    sent = body("refund_small.json")
    sent["ai"]["confidence"] = "0.9"
    response = stack.post_case(sent)
    assert response.status_code == 422 and response.json()["field"] == "ai.confidence"

    malformed = post_raw(stack, "/cases", '{"journey": "refund", ')
    assert malformed.status_code == 400 and malformed.json()["field"] == "(body)"
    assert malformed.json()["error"].startswith("(body): is not valid JSON: ")


def test_feedback_helpful_must_be_a_boolean(stack):
    ana = token(stack, "reviewers")
    case_id = stack.new_case(refund(120.0))
    task = stack.task_for(ana, case_id)
    response = requests.post(f"{stack.url}/reviews/{task['taskId']}/feedback", json={"helpful": "yes"},
                             headers={"Authorization": f"Bearer {ana}"}, timeout=10)
    assert response.status_code == 422 and response.json()["field"] == "helpful"


# ---------------------------------------------------------------- customers
def document_link(stack) -> tuple[str, str]:
    sent = body("document_approval.json")
    case_id = stack.new_case(sent)
    return case_id, stack.link_for(sent["customer"]["email"])


@pytest.mark.parametrize("value", [{"a": {"a": 1}}, "abc", -3, 1e300])
def test_a_correction_keeps_the_fields_declared_type_and_bounds(stack, value):
    case_id, link = document_link(stack)
    response = stack.answer(link, {"response": "correct", "fields": {"reading": value}})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "fields.reading"
    assert stack.answer(link, {"response": "correct", "fields": {"reading": 18453}}).status_code == 200
    stack.wait_for(case_id, "COMPLETED")


def test_a_cross_site_text_plain_post_cannot_answer_for_the_customer(stack):
    case_id, link = document_link(stack)
    forged = requests.post(link, data='{"response":"confirm","comment":"="}', timeout=10, headers={
        "Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
    assert forged.status_code == 403
    same_site_plain = requests.post(link, data='{"response":"confirm"}', timeout=10,
                                    headers={"Content-Type": "text/plain"})
    assert same_site_plain.status_code == 415
    other_origin = requests.post(link, json={"response": "confirm"}, timeout=10,
                                 headers={"Origin": "https://evil.example"})
    assert other_origin.status_code == 403
    assert stack.case(case_id)["status"] == "AWAITING_CUSTOMER"


# ---------------------------------------------------------------- timelines
def test_reclaims_and_refusals_do_not_grow_the_timeline(stack, unscaled):
    ana, ben = token(stack, "reviewers"), token(stack, "reviewers")
    case_id = stack.new_case(refund(120.0))
    task = stack.task_for(ana, case_id)
    claim = f"{stack.url}/reviews/{task['taskId']}/claim"
    for _ in range(20):
        assert requests.post(claim, headers={"Authorization": f"Bearer {ana}"}, timeout=10).status_code == 200
    for _ in range(10):
        assert stack.decide(ben, task["taskId"], {"action": "approve"}).status_code == 409
    kinds = [e["type"] for e in stack.case(case_id)["timeline"]]
    assert kinds.count("review_claimed") == 1 and "late_decision" not in kinds


# ---------------------------------------------------------------- channels
def test_the_channel_view_names_roles_not_people(stack):
    ana = stack.token(f"ana-{uuid.uuid4().hex[:6]}", ["reviewers"])
    case_id = stack.new_case(refund(120.0))
    task = stack.task_for(ana, case_id)
    assert stack.decide(ana, task["taskId"], {"action": "approve"}).status_code == 200
    case = stack.wait_for(case_id, "COMPLETED")
    text = json.dumps(case["timeline"])
    assert "reviewers.local" not in text and not re.search(r"ana-[0-9a-f]{6}", text)
    assert "reviewer" in {e["actor"] for e in case["timeline"]}


def test_a_form_number_dynamodb_cannot_store_is_refused_not_a_crash(stack):
    """Found in review: the page's form turns text into numbers after the body parser has looked."""
    case_id, link = document_link(stack)
    page = requests.get(link, timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = requests.post(link, data={"response": "correct", "fields.reading": "1e-200", "csrf": csrf},
                             timeout=10)
    assert response.status_code == 400 and "text/html" in response.headers["Content-Type"]
    assert stack.case(case_id)["status"] == "AWAITING_CUSTOMER"


def test_a_nested_cursor_is_a_400(stack):
    import base64

    ana = token(stack, "reviewers")
    bomb = base64.urlsafe_b64encode(b"[" * 5000).decode()
    response = requests.get(f"{stack.url}/reviews", params={"cursor": bomb},
                            headers={"Authorization": f"Bearer {ana}"}, timeout=10)
    assert response.status_code == 400 and response.json()["field"] == "cursor"
