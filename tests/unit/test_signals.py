"""Each signal, table-driven: what it sees in a case, in English and German."""
import time

import pytest

from loopgate.policy import judges
from loopgate.policy.journeys import get_journey
from loopgate.policy.signals import SIGNALS, CaseFacts


def signal(name, payload=None, draft=None, confidence=0.9, customer=None, prior=0, proposal=None,
           journey="billing_dispute"):
    facts = CaseFacts(payload=payload or {}, ai={"confidence": confidence, "draft": draft, "proposal": proposal or {}},
                      customer=customer or {"id": "c", "email": "me@example.com", "phone": "+4915112345678"},
                      prior_contacts=prior)
    return SIGNALS[name](facts, get_journey(journey))


@pytest.mark.parametrize("message, expected", [
    ("This is unacceptable, I am furious", True),
    ("Das ist eine Frechheit, ich bin wütend", True),
    ("Ich bin verzweifelt, ich kann mir das nicht leisten", True),
    ("Please update my address", False),
    ("Bitte ändern Sie meine Adresse", False),
])
def test_emotional_escalation_in_the_customers_words(message, expected):
    assert signal("emotional_escalation", {"message": message}).value is expected


def test_repeated_contacts_escalate_from_the_journey_threshold():
    assert signal("emotional_escalation", {"message": "hello"}, prior=3).value is True
    assert signal("emotional_escalation", {"message": "hello"}, prior=2).value is False


@pytest.mark.parametrize("message, expected", [
    ("I will take legal action and contact my lawyer", True),
    ("Ich schalte die Verbraucherzentrale ein", True),
    ("Why is there a cancellation fee?", True),  # a billing_dispute policy term
    ("Warum gibt es eine Kündigungsgebühr?", True),
    ("When will my parcel arrive?", False),
])
def test_policy_language(message, expected):
    assert signal("policy_language", {"message": message}).value is expected


@pytest.mark.parametrize("draft, expected", [
    ("Your IBAN DE89 3704 0044 0532 0130 00 is on file.", True),     # valid checksum
    ("Reference DE89 3704 0044 0532 0130 01.", False),               # fails mod 97
    ("We charged card 4111 1111 1111 1111.", True),                  # passes Luhn
    ("Order 4111 1111 1111 1112 is on its way.", False),             # fails Luhn
    ("Please write to other.person@example.org.", True),              # a third party's email
    ("We will write to me@example.com.", False),                      # the customer's own
    ("Call our colleague on +49 30 1234567.", True),
    ("We will call you on +49 151 12345678.", False),                 # the customer's own
    ("Your delivery is on 01.12.2026.", False),
])
def test_the_draft_judge_finds_pii(draft, expected):
    assert signal("draft_pii", draft=draft).value is expected


@pytest.mark.parametrize("draft, expected", [
    ("We guarantee a full refund.", True),
    ("Das ist garantiert bis Freitag erledigt.", True),
    ("We will look into it and reply by Friday.", False),
])
def test_the_draft_judge_finds_promises(draft, expected):
    assert signal("draft_promise", draft=draft).value is expected


@pytest.mark.parametrize("message, expected", [
    ("I want to talk to a person", True), ("Ich möchte mit einem Menschen sprechen", True), ("thanks", False)])
def test_customer_asks_for_a_person(message, expected):
    assert signal("customer_requests_human", {"message": message}).value is expected


def test_missing_context_names_fields_and_low_extraction():
    missing = signal("missing_context", {"extracted": {"a": 1}, "extractionConfidence": 0.4},
                     journey="document_approval")
    assert missing.value is True
    assert "documentId" in missing.explanation and "0.40 < 0.7" in missing.explanation
    present = signal("missing_context", {"documentId": "D", "extracted": {"a": 1}, "extractionConfidence": 0.9},
                     journey="document_approval")
    assert present.value is False


def test_amount_irreversible_options_and_fraud():
    assert signal("amount", {"amount": 120.5}).value == 120.5
    assert signal("amount", {"amount": "lots"}).value == 0.0
    assert signal("irreversible", journey="refund").value is True
    assert signal("irreversible").value is False
    assert signal("option_count", proposal={"options": [{"id": 1}, {"id": 2}]}).value == 2
    assert signal("recent_fraud_attempts", {"account": {"recentFraudAttempts": 3}}).value == 3
    assert signal("identity_mismatch", {"identity": {"mismatch": True}}).value is True


def test_the_pii_judge_stays_linear_on_hostile_drafts():
    # 20,000 characters of "a.a.a..." took 1.5 s with the unbounded email pattern; 100,000 would take ~40 s.
    # Linear patterns read them in milliseconds: the bound is a thousand times what they need.
    for hostile in ("a.a." * 25_000, "a-" * 50_000 + "@", "1 " * 50_000, "AB12 " * 20_000):
        started = time.perf_counter()
        judges.pii_findings(hostile)
        assert time.perf_counter() - started < 2.0, hostile[:10]
