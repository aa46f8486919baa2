"""The journey catalogue, each end to end through the real workflow from its sample in events/."""
import uuid

import pytest

from tests.helpers import body


@pytest.fixture
def reviewer(stack):
    return stack.token(f"rev-{uuid.uuid4().hex[:6]}", ["reviewers"])


@pytest.fixture
def senior(stack):
    return stack.token(f"senior-{uuid.uuid4().hex[:6]}", ["senior"])


def types(case):
    return [e["type"] for e in case["timeline"]]


def test_complaint_asks_for_missing_information_then_offers_options(stack):
    sent = body("complaint_missing_order.json")
    case_id = stack.new_case(sent)
    case = stack.wait_for(case_id, "AWAITING_CUSTOMER")
    assert case["rule"] == "missing-information"
    assert "missing: orderNumber" in " ".join(r["text"] for r in case["reasons"])
    link = stack.link_for(sent["customer"]["email"])
    assert stack_json(link)["kind"] == "provide"

    bad = stack.answer(link, {"response": "provide", "fields": {"orderNumber": ""}})
    assert bad.status_code == 400 and bad.json()["field"] == "fields.orderNumber"
    assert stack.answer(link, {"response": "provide", "fields": {"orderNumber": "O-4410"}}).ok

    # Scored again with the new information: now the customer picks a resolution.
    case = stack.wait_for(case_id, "AWAITING_CUSTOMER", where=lambda c: c["rule"] == "offer-resolution")
    second = stack.link_for(sent["customer"]["email"], newer_than=link)
    view = stack_json(second)
    assert view["kind"] == "choose" and [o["id"] for o in view["options"]] == ["voucher", "replacement"]
    assert stack.answer(second, {"response": "choose", "option": "refund-all"}).json()["field"] == "option"
    assert stack.answer(second, {"response": "choose", "option": "replacement"}).ok

    case = stack.wait_for(case_id, "COMPLETED")
    assert types(case).count("scored") == 2
    (event,) = stack.downstream(case_id)
    assert event["detail"]["proposal"]["chosen"]["id"] == "replacement"


def test_an_angry_legal_complaint_goes_to_a_person_saying_why(stack):
    case_id = stack.new_case(body("complaint_angry.json"))
    case = stack.wait_for(case_id, "AWAITING_REVIEW")
    reasons = " ".join(r["text"] for r in case["reasons"])
    assert case["rule"] == "escalating-customer"
    assert "anger or distress" in reasons and "lawyer" in reasons


def test_document_approval_records_customer_corrections(stack):
    sent = body("document_approval.json")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["email"])
    assert stack_json(link)["extracted"]["reading"] == 18452

    assert stack.answer(link, {"response": "correct", "fields": {"reading": 18542}}).ok

    case = stack.wait_for(case_id, "COMPLETED")
    (correction,) = case["overrides"]
    assert correction["kind"] == "customer_correction"
    assert correction["diff"] == [{"field": "reading", "from": 18452, "to": 18542}]
    (event,) = stack.downstream(case_id)
    assert event["detail"]["proposal"]["extracted"]["reading"] == 18542


def test_delivery_update_customer_picks_a_date_by_sms(stack):
    sent = body("delivery_update.json")
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["phone"])
    (sms,) = [m for m in stack.outbox() if m["recipient"] == sent["customer"]["phone"]]
    assert sms["channel"] == "sms" and "Liefertermin" in sms["body"]  # German: customer.locale is de

    assert stack.answer(link, {"response": "choose", "option": "2026-12-05"}).ok

    stack.wait_for(case_id, "COMPLETED")
    (event,) = stack.downstream(case_id)
    assert event["detail"]["proposal"]["chosen"]["label"].startswith("Freitag")


def test_a_small_confident_refund_runs_automatically(stack):
    case_id = stack.new_case(body("refund_small.json"))
    case = stack.wait_for(case_id, "COMPLETED")
    assert case["rule"] == "small-confident-refund"
    assert stack.downstream(case_id)[0]["detail"]["proposal"]["amount"] == 19.99


def test_a_large_refund_waits_for_a_senior_reviewer(stack, senior):
    case_id = stack.new_case(body("refund_large.json"))
    case = stack.wait_for(case_id, "AWAITING_REVIEW")
    assert case["rule"] == "above-standard-limit"
    assert "the amount is 1299.00 (above 500" in " ".join(r["text"] for r in case["reasons"])
    task = stack.task_for(senior, case_id)
    assert task["queue"] == "senior"


def test_an_angry_billing_dispute_citing_policy_goes_to_a_senior_person(stack, senior):
    case_id = stack.new_case(body("billing_dispute_angry.json"))
    case = stack.wait_for(case_id, "AWAITING_REVIEW")
    assert case["rule"] == "emotion-and-policy"
    signals = {r["signal"] for r in case["reasons"] if r["signal"]}
    assert signals == {"emotional_escalation", "policy_language"}
    view = stack.review(senior, stack.task_for(senior, case_id)["taskId"]).json()
    assert view["why"]["rule"] == "emotion-and-policy"
    assert any("Frechheit" in r["text"] for r in view["why"]["reasons"])  # quoted as the customer wrote it


@pytest.mark.parametrize("mismatch, attempts, expected", [
    (True, 0, "COMPLETED"),
    (False, 4, "COMPLETED"),
    (True, 1, "AWAITING_REVIEW"),
])
def test_identity_verification_needs_both_signals_for_a_review(stack, mismatch, attempts, expected):
    sent = body("identity_verification_mismatch_fraud.json")
    sent["payload"] = {"identity": {"mismatch": mismatch}, "account": {"recentFraudAttempts": attempts}}
    case = stack.wait_for(stack.new_case(sent), expected)
    assert case["reasons"], "every case says why it went where it went"


def test_repeated_contacts_count_as_escalation(stack):
    sent = body("complaint_missing_order.json")
    sent["payload"]["orderNumber"] = "O-1"
    sent["customer"]["id"] = f"repeat-{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        first = stack.wait_for(stack.new_case(sent), "AWAITING_CUSTOMER")
        assert first["rule"] == "offer-resolution"
    case = stack.wait_for(stack.new_case(sent), "AWAITING_REVIEW")
    assert case["rule"] == "escalating-customer"
    assert "3 earlier contacts" in " ".join(r["text"] for r in case["reasons"])


def stack_json(link):
    import requests

    response = requests.get(link, headers={"Accept": "application/json"}, timeout=10)
    response.raise_for_status()
    return response.json()


def test_the_identity_combination_lands_with_fraud_reviewers_and_a_plain_reviewer_cannot_approve(stack):
    case_id = stack.new_case(body("identity_verification_mismatch_fraud.json"))
    fraud = stack.token(f"fay-{uuid.uuid4().hex[:6]}", ["fraud"])
    plain = stack.token(f"ray-{uuid.uuid4().hex[:6]}", ["reviewers", "senior"])
    task = stack.task_for(fraud, case_id)
    assert (task["queue"], task["capability"]) == ("fraud", "fraud")
    assert case_id not in [t["caseId"] for t in stack.reviews(plain)]
    refused = stack.decide(plain, task["taskId"], {"action": "approve"})
    assert refused.status_code == 403
    assert stack.decide(fraud, task["taskId"], {"action": "approve"}).status_code == 200
    stack.wait_for(case_id, "COMPLETED")
