"""Routing rules, table-driven: the first matching rule wins and says why in plain words."""
import pytest

from loopgate.policy.journeys import Condition, get_journey
from loopgate.policy.routing import evaluate, route_case
from loopgate.policy.signals import CaseFacts, Signal, compute_signals


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
    ({"orderNumber": "O"}, 1299, "above-standard-limit"),                 # missing information: still four eyes
    ({"orderNumber": "O"}, 120, "missing-information"),                   # no amount asked: a person checks
    ({"orderNumber": "O", "amount": 120}, 120, "above-auto-limit"),
])
def test_refunds_route_on_the_amount_at_stake(payload, proposed, rule):
    assert refund_route(payload, proposed).rule == rule


AMOUNT = {"amount": Signal("amount", 120, "the refund asked for is 120")}


def test_a_value_that_cannot_be_compared_does_not_match():
    """A missing amount (None) against a limit neither routes by the limit nor raises: the rule does not hold."""
    for op in ("lt", "lte", "gt", "gte"):
        condition = Condition.model_validate({"signal": "amount", "op": op, "value": 50})
        assert evaluate(condition, {"amount": Signal("amount", None, "no amount")}, "r") == (False, [])


def test_a_comparison_that_does_not_hold_gives_no_reason():
    assert evaluate(Condition.model_validate({"signal": "amount", "op": "lt", "value": 50}), AMOUNT, "r") == (False, [])


@pytest.mark.parametrize("shape", [
    {"any": [{"signal": "amount", "op": "gt", "value": "$limit"}]},
    {"not": {"signal": "amount", "op": "lte", "value": "$limit"}},
    {"all": [{"signal": "amount", "op": "gt", "value": "$limit"}]},
])
def test_thresholds_reach_comparisons_inside_any_not_and_all(shape):
    held, _ = evaluate(Condition.model_validate(shape), AMOUNT, "r", {"limit": 100})
    assert held
    held, _ = evaluate(Condition.model_validate(shape), AMOUNT, "r", {"limit": 120})
    assert not held


def test_when_no_rule_matches_the_journeys_safe_default_routes_and_says_so():
    refund = get_journey("refund")
    routing = route_case(refund.model_copy(update={"rules": []}), {})
    assert (routing.rule, routing.decision, routing.queue) == ("default", refund.default, "reviewers")
    assert [(r.rule, r.text) for r in routing.reasons] == [
        ("default", "no rule of journey 'refund' matched; its safe default is 'human'")]


@pytest.mark.parametrize("payload, ai", [
    ({"amount": 4000}, {}),                                                     # order number missing
    ({"orderNumber": "O", "amount": 4000}, {"draft": "We guarantee the money arrives tomorrow."}),
    ({"orderNumber": "O", "amount": 40000, "identity": {"mismatch": True}, "account": {"recentFraudAttempts": 1}}, {}),
])
def test_no_signal_lets_a_refund_above_the_standard_limit_skip_four_eyes(payload, ai):
    """Found in review: rules before the large-amount rule sent 4,000 to one reviewer when another signal held."""
    journey = get_journey("refund")
    facts = CaseFacts(payload=payload, ai={"proposal": {"action": "refund", "amount": payload["amount"],
                                                        "currency": "EUR"}, "confidence": 0.95, **ai},
                      customer={"id": "c-1"})
    assert route_case(journey, compute_signals(facts, journey)).decision.fourEyes
