"""Routing rules, table-driven: the first matching rule wins and says why in plain words."""
import pytest

from loopgate.policy.journeys import get_journey
from loopgate.policy.routing import route_case
from loopgate.policy.signals import CaseFacts, compute_signals


def route(journey: str, payload: dict, confidence: float = 0.9):
    facts = CaseFacts(payload=payload, ai={"confidence": confidence, "proposal": {}}, customer={"id": "c"})
    j = get_journey(journey)
    return route_case(j, compute_signals(facts, j))


CONTRACT = {"contractId": "C-1"}


@pytest.mark.parametrize("payload, confidence, rule, route_to", [
    (CONTRACT, 0.95, "confident-proposal", "customer"),
    (CONTRACT, 0.80, "confident-proposal", "customer"),
    (CONTRACT, 0.79, "low-confidence", "human_then_customer"),
    ({}, 0.99, "missing-context", "human_then_customer"),
])
def test_contract_change(payload, confidence, rule, route_to):
    routing = route("contract_change", payload, confidence)
    assert (routing.rule, routing.decision.route) == (rule, route_to)


@pytest.mark.parametrize("mismatch, attempts, route_to", [
    (True, 1, "human"),
    (True, 0, "auto"),
    (False, 3, "auto"),
    (False, 0, "auto"),
])
def test_identity_needs_both_signals_for_review(mismatch, attempts, route_to):
    routing = route("identity_verification",
                    {"identity": {"mismatch": mismatch}, "account": {"recentFraudAttempts": attempts}})
    assert routing.decision.route == route_to


def test_reasons_name_the_rule_and_each_signal_against_its_threshold():
    routing = route("identity_verification", {"identity": {"mismatch": True}, "account": {"recentFraudAttempts": 2}})
    texts = [r.text for r in routing.reasons]
    assert routing.reasons[0].rule == "mismatch-with-fraud-history"
    assert "the identity check found a mismatch" in texts
    assert "the account shows 2 recent fraud attempt(s) (above 0)" in texts
    assert {(r.signal, r.value, r.threshold) for r in routing.reasons[1:]} == {
        ("identity_mismatch", True, True), ("recent_fraud_attempts", 2, 0)}


def test_low_confidence_reason_shows_value_and_threshold():
    routing = route("contract_change", CONTRACT, 0.62)
    assert routing.reasons[1].text == "the AI's confidence in its proposal is 0.62 (below 0.8)"


def refund_route(payload: dict, proposal_amount=None, confidence: float = 0.95):
    proposal = {"action": "refund"} | ({"amount": proposal_amount} if proposal_amount is not None else {})
    facts = CaseFacts(payload=payload, ai={"confidence": confidence, "proposal": proposal}, customer={"id": "c"})
    j = get_journey("refund")
    return route_case(j, compute_signals(facts, j))


@pytest.mark.parametrize("payload, proposed, rule", [
    ({"orderNumber": "O", "amount": 20}, 20, "small-confident-refund"),
    ({"orderNumber": "O", "amount": 10}, 4999, "above-standard-limit"),   # what would be paid counts
    ({"orderNumber": "O", "amount": 4999}, 10, "above-standard-limit"),   # and what was asked
    ({"orderNumber": "O"}, 1299, "missing-information"),                  # no amount asked: a person checks
    ({"orderNumber": "O", "amount": 120}, 120, "above-auto-limit"),
])
def test_refunds_route_on_the_amount_at_stake(payload, proposed, rule):
    assert refund_route(payload, proposed).rule == rule
