"""Guards every journey has, capabilities that decide who may decide, and explains that say only what is enforced."""
import json
import re

import pytest

from loopgate import roles
from loopgate.errors import Forbidden, JourneyDefinitionError
from loopgate.policy.authority import authority_config, capability_queue, check_capability
from loopgate.policy.guards import GUARDS
from loopgate.policy.journeys import JOURNEY_DIR, catalogue, get_journey, parse_journey
from loopgate.policy.routing import route_case
from loopgate.policy.signals import CaseFacts, compute_signals
from tests.helpers import load_event


def routed(event: str, **changes):
    case = load_event(event)
    for path, value in changes.items():
        target = case
        *parents, leaf = path.split("__")
        for key in parents:
            target = target.setdefault(key, {})
        target[leaf] = value
    journey = get_journey(case["journey"])
    facts = CaseFacts(payload=case["payload"], ai=case["ai"], customer=case["customer"])
    return route_case(journey, compute_signals(facts, journey))


def test_a_draft_with_a_third_partys_iban_never_goes_straight_to_the_customer():
    # contract_change's own rules never look at draft_pii; the guard does.
    plain = routed("contract_change_confident.json")
    assert plain.decision.route == "customer" and not plain.guards
    leaky = routed("contract_change_confident.json", ai__draft="Please pay to DE89 3704 0044 0532 0130 00 today.")
    assert leaky.decision.route == "human_then_customer" and leaky.guards == ("draft-carries-pii",)
    assert leaky.reasons[0].rule == "guard:draft-carries-pii"
    assert leaky.decision.ask == "confirm", "the customer still confirms after the reviewer"


def test_a_legal_threat_on_a_small_refund_reaches_a_legal_reviewer():
    automatic = routed("refund_small.json")
    assert automatic.decision.route == "auto"
    threat = routed("refund_small.json", payload__message="Refund me now or my lawyer will take you to court.")
    assert threat.decision.route == "human" and "legal-on-irreversible" in threat.guards
    assert threat.decision.capability == "legal" and threat.queue == capability_queue("legal")
    assert threat.decision.authority == "refund", "the rule's authority still holds"
    assert any(r.text.startswith("without the guard, rule 'small-confident-refund' would have decided: a small")
               for r in threat.reasons), "the overruled rule does not read as if the refund were paid"


def test_low_confidence_goes_to_a_reviewer_even_where_the_journey_has_no_rule_for_it():
    unsure = routed("complaint_missing_order.json", ai__confidence=0.35)
    assert unsure.decision.route in ("human", "human_then_customer") and "low-confidence" in unsure.guards
    assert any("0.35" in r.text for r in unsure.reasons)


def test_a_customer_asking_for_a_person_gets_one_first():
    asked = routed("delivery_update.json", payload__message="Please let me talk to a person about this.")
    assert asked.decision.route in ("human", "human_then_customer") and asked.decision.priority == 1


def test_the_identity_combination_goes_to_fraud_reviewers_and_only_they_may_decide():
    fraud = routed("identity_verification_mismatch_fraud.json")
    assert fraud.decision.capability == "fraud" and fraud.queue == "fraud"
    with pytest.raises(Forbidden, match="fraud"):
        check_capability("fraud", ("reviewers", "senior"))
    check_capability("fraud", ("fraud",))
    check_capability("fraud", ("supervisors",))
    with pytest.raises(Forbidden):
        check_capability("no-such-capability", ("supervisors",))


def test_a_relaxation_names_a_known_guard_and_says_why():
    data = json.loads((JOURNEY_DIR / "complaint.json").read_text())
    with pytest.raises(JourneyDefinitionError, match="relaxedGuards.low-confidense: unknown guard"):
        parse_journey("complaint.json", {**data, "relaxedGuards": {"low-confidense": "typo in the name"}})
    with pytest.raises(JourneyDefinitionError, match="say why"):
        parse_journey("complaint.json", {**data, "relaxedGuards": {"low-confidence": ""}})
    relaxed = parse_journey("complaint.json", {**data, "relaxedGuards": {
        "low-confidence": "complaint proposals are always confirmed by the customer"}})
    facts = CaseFacts(payload={"orderNumber": "O-1", "message": "broken"}, ai={"proposal": {}, "confidence": 0.2},
                      customer={"id": "c"})
    routing = route_case(relaxed, compute_signals(facts, relaxed))
    assert "low-confidence" not in routing.guards
    assert any("relaxes it: complaint proposals are always confirmed" in r.text for r in routing.reasons)


def test_every_guard_reads_signals_the_engine_computes_or_waits_for():
    for guard in GUARDS:
        assert guard.priority in range(1, 10)
        assert guard.capability is None or guard.capability in authority_config().capabilities


def test_capability_queues_and_holders_are_groups():
    for capability in authority_config().capabilities.values():
        assert capability.queue in roles.GROUPS and set(capability.groups) <= set(roles.GROUPS)


# A rule's explain says who decides; the routing must enforce exactly that.
ROLE_WORDS = {
    r"\bfraud reviewer": lambda rule: rule.capability == "fraud",
    r"two fraud reviewers": lambda rule: rule.capability == "fraud" and rule.fourEyes,
    r"\blegal reviewer": lambda rule: rule.capability == "legal",
    r"\bsenior reviewer": lambda rule: rule.queue == roles.SENIOR,
    r"\bsupervisor": lambda rule: rule.queue == roles.SUPERVISORS,
    r"four eyes|two (senior |fraud )?reviewers": lambda rule: rule.fourEyes,
    r"refund authority": lambda rule: rule.authority == "refund",
}


@pytest.mark.parametrize("journey", sorted(catalogue()))
def test_a_rules_explain_names_no_role_the_routing_does_not_enforce(journey):
    for rule in catalogue()[journey].rules:
        for words, enforced in ROLE_WORDS.items():
            if re.search(words, rule.explain, re.IGNORECASE):
                assert enforced(rule), f"{journey}/{rule.name}: '{rule.explain}' is not what it routes"


def facts_of(event: str, **kwargs) -> tuple:
    case = load_event(event)
    journey = get_journey(case["journey"])
    return journey, CaseFacts(payload=case["payload"], ai=case["ai"], customer=case["customer"], **kwargs)


def test_a_judge_that_breaks_sends_the_case_to_a_person(monkeypatch):
    from loopgate.policy import signals

    def broken(facts, journey):
        raise TimeoutError("language model busy")

    monkeypatch.setitem(signals.SIGNALS, "language", broken)
    journey, facts = facts_of("refund_small.json")
    routing = route_case(journey, compute_signals(facts, journey))
    assert routing.decision.route == "human" and "judge-failed" in routing.guards
    assert any("language (TimeoutError)" in r.text for r in routing.reasons)


def test_a_cloud_judge_that_fails_or_finds_more_sends_the_case_to_a_person():
    from loopgate.policy.signals import CloudFindings

    journey, failed = facts_of("refund_small.json", cloud_error="ReadTimeoutError")
    assert "judge-failed" in route_case(journey, compute_signals(failed, journey)).guards
    comprehend = CloudFindings(source="Amazon Comprehend", pii=("BANK_ACCOUNT_NUMBER",))
    journey, found = facts_of("refund_small.json", cloud=comprehend)
    routing = route_case(journey, compute_signals(found, journey))
    assert "draft-carries-pii" in routing.guards
    assert any("Amazon Comprehend: the draft carries BANK_ACCOUNT_NUMBER" in r.text for r in routing.reasons)
    journey, calm = facts_of("refund_small.json", cloud=CloudFindings(source="Amazon Comprehend", language="en",
                                                                      negative_sentiment=0.1))
    assert route_case(journey, compute_signals(calm, journey)).decision.route == "auto", "cloud only adds findings"


def test_every_guard_reads_a_signal_the_engine_computes():
    from loopgate.policy.signals import SIGNAL_NAMES

    for guard in GUARDS:
        assert guard.when.signal_names() <= SIGNAL_NAMES, guard.name


TRIGGERS = {"customer_requests_human": True, "vulnerability": True, "policy_language": True, "irreversible": True,
            "draft_pii": True, "draft_promise": True, "confidence": 0.1, "language": True, "judge_failure": True}


@pytest.mark.parametrize("guard", [g.name for g in GUARDS])
@pytest.mark.parametrize("journey", sorted(catalogue()))
def test_every_journey_has_every_guard(journey, guard):
    """Whatever a journey's own rules say, a guard that holds puts a person first (unless the file relaxes it)."""
    from loopgate.policy.signals import Signal

    definition = catalogue()[journey]
    calm = {"confidence": 0.99, "missing_context": False, "irreversible": False, "emotional_escalation": False,
            "repeat_contacts": 0, "policy_language": False, "draft_pii": False, "draft_promise": False,
            "identity_mismatch": False, "recent_fraud_attempts": 0, "amount": 1.0, "customer_requests_human": False,
            "option_count": 2, "vulnerability": False, "language": False, "judge_failure": False,
            "gave_up_because": "", "skill": ""}
    (held,) = [g for g in GUARDS if g.name == guard]
    values = {**calm, **{name: TRIGGERS[name] for name in held.when.signal_names()}}
    signals = {name: Signal(name, value, f"{name} is {value}") for name, value in values.items()}
    routing = route_case(definition, signals)
    if guard in definition.relaxedGuards:
        assert guard not in routing.guards
    else:
        assert guard in routing.guards and routing.decision.route in ("human", "human_then_customer")
