"""Judgement signals: named, typed values with a short explanation, computed from a case."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopgate.policy import judges
from loopgate.policy import language as languages
from loopgate.policy.text import quoted_words

if TYPE_CHECKING:  # journeys validate rules against SIGNALS: the import runs the other way
    from loopgate.policy.journeys import Journey


@dataclass(frozen=True)
class Signal:
    name: str
    value: Any
    explanation: str


@dataclass(frozen=True)
class CaseFacts:
    """What scoring sees: the case as posted, plus what the store knows about the customer."""

    payload: dict[str, Any]
    ai: dict[str, Any]
    customer: dict[str, Any]
    prior_contacts: int = 0


def _message(facts: CaseFacts) -> str:
    """The customer's own words, wherever the channel put them."""
    return " ".join(str(facts.payload.get(k) or "") for k in ("message", "subject", "transcript")).strip()


def model_confidence(facts: CaseFacts, journey: Journey) -> Signal:
    value = float(facts.ai.get("confidence", 0.0))
    return Signal("confidence", value, f"the AI's confidence in its proposal is {value:.2f}")


def missing_context(facts: CaseFacts, journey: Journey) -> Signal:
    missing = [name for name in journey.payload.required if facts.payload.get(name) in (None, "", [], {})]
    floor = journey.thresholds.get("extractionFloor")
    extraction = facts.payload.get("extractionConfidence")
    if floor is not None and isinstance(extraction, (int, float)) and extraction < floor:
        missing.append(f"reliable extraction (confidence {extraction:.2f} < {floor})")
    text = f"missing: {', '.join(missing)}" if missing else "all required information is present"
    return Signal("missing_context", bool(missing), text)


def irreversible(facts: CaseFacts, journey: Journey) -> Signal:
    value = journey.irreversible or bool(facts.ai.get("proposal", {}).get("irreversible"))
    return Signal("irreversible", value, "the action cannot be undone" if value else "the action can be undone")


def emotional_escalation(facts: CaseFacts, journey: Journey) -> Signal:
    words = judges.escalation_findings(_message(facts))
    repeat_limit = int(journey.thresholds.get("repeatContacts", 3))
    repeated = facts.prior_contacts >= repeat_limit
    value = bool(words) or repeated
    parts = []
    if words:
        parts.append(f"the customer's words show anger or distress ({quoted_words(words)})")
    if repeated:
        parts.append(f"{facts.prior_contacts} earlier contacts on this matter")
    return Signal("emotional_escalation", value, "; ".join(parts) or "no sign of anger, distress or repeated contact")


def repeat_contacts(facts: CaseFacts, journey: Journey) -> Signal:
    return Signal("repeat_contacts", facts.prior_contacts,
                  f"the customer contacted us {facts.prior_contacts} time(s) before on this journey recently")


def policy_language(facts: CaseFacts, journey: Journey) -> Signal:
    text = f"{_message(facts)}\n{facts.ai.get('draft') or ''}"
    terms = judges.legal_findings(text, journey.policyTerms)
    return Signal("policy_language", bool(terms),
                  f"policy or legal language: {quoted_words(terms)}" if terms else "no policy or legal language")


def draft_pii(facts: CaseFacts, journey: Journey) -> Signal:
    findings = judges.pii_findings(facts.ai.get("draft"), facts.customer.get("email"), facts.customer.get("phone"))
    return Signal("draft_pii", bool(findings),
                  f"the draft contains {', '.join(findings[:3])}" if findings else "the draft carries no PII")


def draft_promise(facts: CaseFacts, journey: Journey) -> Signal:
    terms = judges.promise_findings(facts.ai.get("draft"))
    return Signal("draft_promise", bool(terms),
                  f"the draft promises what we do not promise ({quoted_words(terms)})" if terms
                  else "the draft makes no promises")


def identity_mismatch(facts: CaseFacts, journey: Journey) -> Signal:
    value = bool((facts.payload.get("identity") or {}).get("mismatch", False))
    text = "the identity check found a mismatch" if value else "the identity check matched"
    return Signal("identity_mismatch", value, text)


def recent_fraud_attempts(facts: CaseFacts, journey: Journey) -> Signal:
    raw = (facts.payload.get("account") or {}).get("recentFraudAttempts", 0)
    value = int(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else 0
    return Signal("recent_fraud_attempts", value, f"the account shows {value} recent fraud attempt(s)")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def amount(facts: CaseFacts, journey: Journey) -> Signal:
    """What is at stake: the larger of what the customer asked (payload) and what the AI would commit (proposal)."""
    asked = _number(facts.payload.get("amount"))
    proposed = _number(facts.ai.get("proposal", {}).get("amount"))
    known = [v for v in (asked, proposed) if v is not None]
    value = max(known, default=0.0)
    text = f"the amount is {value:.2f}"
    if asked is not None and proposed is not None and asked != proposed:
        text += f" (the customer asked for {asked:.2f}, the AI proposes {proposed:.2f})"
    return Signal("amount", value, text)


def customer_requests_human(facts: CaseFacts, journey: Journey) -> Signal:
    asked = judges.person_request_findings(_message(facts))
    return Signal("customer_requests_human", bool(asked),
                  f"the customer asked to talk to a person ({quoted_words(asked)})" if asked
                  else "the customer did not ask for a person")


def vulnerability(facts: CaseFacts, journey: Journey) -> Signal:
    words = judges.vulnerability_findings(_message(facts))
    return Signal("vulnerability", bool(words),
                  f"the customer may be in a vulnerable situation ({quoted_words(words)})" if words
                  else "no sign of bereavement, loneliness, hardship or a health crisis")


def language(facts: CaseFacts, journey: Journey) -> Signal:
    found = languages.foreign_language(_message(facts))
    if found is None:
        return Signal("language", False, "the customer writes in English or German (or too little to tell)")
    return Signal("language", True, f"the customer writes in {found.name} ({found.code}): \"{found.part[:80]}\"")


def option_count(facts: CaseFacts, journey: Journey) -> Signal:
    options = facts.ai.get("proposal", {}).get("options") or []
    count = len(options) if isinstance(options, list) else 0
    return Signal("option_count", count, f"the AI offers {count} option(s)")


SIGNALS: dict[str, Callable[[CaseFacts, Journey], Signal]] = {
    "confidence": model_confidence,
    "missing_context": missing_context,
    "irreversible": irreversible,
    "emotional_escalation": emotional_escalation,
    "repeat_contacts": repeat_contacts,
    "policy_language": policy_language,
    "draft_pii": draft_pii,
    "draft_promise": draft_promise,
    "identity_mismatch": identity_mismatch,
    "recent_fraud_attempts": recent_fraud_attempts,
    "amount": amount,
    "customer_requests_human": customer_requests_human,
    "option_count": option_count,
    "vulnerability": vulnerability,
    "language": language,
}


def compute_signals(facts: CaseFacts, journey: Journey) -> dict[str, Signal]:
    return {name: compute(facts, journey) for name, compute in SIGNALS.items()}
