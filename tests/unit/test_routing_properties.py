"""Routing is total and deterministic: every valid case of every journey gets a route and a reason."""
from hypothesis import given, settings
from hypothesis import strategies as st

from loopgate.policy.journeys import catalogue
from loopgate.policy.routing import route_case
from loopgate.policy.signals import CaseFacts, compute_signals

WORDS = ["hello", "furious", "Frechheit", "lawyer", "Anwalt", "guarantee", "talk to a person", "4111 1111 1111 1111",
         "x@y.org", "cancellation fee", "refund", "bitte", "!!!"]
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False,
                         allow_infinity=False), st.text(max_size=20))
payloads = st.fixed_dictionaries({}, optional={
    "message": st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join),
    "amount": st.one_of(st.floats(0, 10_000, allow_nan=False), st.integers(0, 10_000), st.text(max_size=5)),
    "orderNumber": st.text(max_size=8), "invoiceNumber": st.text(max_size=8), "contractId": st.text(max_size=8),
    "documentId": st.text(max_size=8), "extracted": st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
    "extractionConfidence": st.floats(0, 1), "identity": st.fixed_dictionaries({"mismatch": st.booleans()}),
    "account": st.fixed_dictionaries({"recentFraudAttempts": st.integers(0, 5)}),
})
cases = st.builds(
    lambda journey, payload, confidence, draft, options, prior: (journey, CaseFacts(
        payload=payload, ai={"confidence": confidence, "draft": draft,
                             "proposal": {"options": [{"id": str(i)} for i in range(options)]}},
        customer={"id": "c-1", "email": "c@example.com"}, prior_contacts=prior)),
    st.sampled_from(sorted(catalogue())), payloads, st.floats(0, 1),
    st.one_of(st.none(), st.lists(st.sampled_from(WORDS), max_size=5).map(" ".join)),
    st.integers(0, 3), st.integers(0, 6))


@settings(max_examples=300, deadline=None)
@given(cases)
def test_every_case_gets_a_route_and_a_reason_and_the_same_one_twice(case):
    name, facts = case
    journey = catalogue()[name]
    first = route_case(journey, compute_signals(facts, journey))
    second = route_case(journey, compute_signals(facts, journey))
    assert first.decision.route in {"auto", "customer", "human", "human_then_customer"}
    assert first.reasons and all(r.text for r in first.reasons)
    assert (first.rule, first.decision, first.reasons) == (second.rule, second.decision, second.reasons)
