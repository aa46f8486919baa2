"""Judgement signals: named, typed values with a short explanation, computed from a case."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopgate.policy import judges
from loopgate.policy import language as languages
from loopgate.policy.learned import learned_findings
from loopgate.policy.text import quoted_words

if TYPE_CHECKING:  # journeys validate rules against SIGNALS: the import runs the other way
    from loopgate.policy.journeys import Journey


@dataclass(frozen=True)
class Signal:
    name: str
    value: Any
    explanation: str


@dataclass(frozen=True)
class CloudFindings:
    """What a cloud judge (Comprehend, Bedrock Guardrails) found; it can only add to the deterministic judges."""

    source: str
    negative_sentiment: float | None = None  # 0..1, the message's
    pii: tuple[str, ...] = ()  # entity types found in the draft
    denied_topics: tuple[str, ...] = ()  # topics the guardrail denies in the draft (invented policy, promises)
    language: str | None = None  # the message's dominant language (ISO 639-1)


@dataclass(frozen=True)
class CaseFacts:
    """What scoring sees: the case as posted, what the store knows about the customer, and any cloud judge's word."""

    payload: dict[str, Any]
    ai: dict[str, Any]
    customer: dict[str, Any]
    prior_contacts: int = 0
    cloud: CloudFindings | None = None
    cloud_error: str | None = None  # the cloud judge failed or timed out: a person decides


def message_of(payload: dict[str, Any]) -> str:
    """The customer's own words, wherever the channel put them: a transcript gives its customer turns only (the
    bot's "I understand you are upset" is not the customer's anger, nor its "talk to an agent" their request)."""
    transcript = payload.get("transcript")
    if isinstance(transcript, list):
        transcript = "\n".join(str(turn.get("text") or "") for turn in transcript
                               if isinstance(turn, dict) and turn.get("from") == "customer")
    return " ".join(str(part or "") for part in (payload.get("message"), payload.get("subject"), transcript)).strip()


def _message(facts: CaseFacts) -> str:
    return message_of(facts.payload)


def _learned(signal: str, text: str | None) -> list[str]:
    """What the learned judge found where the word lists found nothing, marked as its finding in the reasons."""
    words = learned_findings(signal, text)
    return [f"learned judge: {', '.join(words)}"] if words else []


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
    words = judges.escalation_findings(_message(facts)) or _learned("emotional_escalation", _message(facts))
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
    terms = (judges.legal_findings(text, journey.policyTerms) or _learned("policy_language", _message(facts))
             or _learned("policy_language", facts.ai.get("draft")))
    return Signal("policy_language", bool(terms),
                  f"policy or legal language: {quoted_words(terms)}" if terms else "no policy or legal language")


def draft_pii(facts: CaseFacts, journey: Journey) -> Signal:
    findings = judges.pii_findings(facts.ai.get("draft"), facts.customer.get("email"), facts.customer.get("phone"))
    return Signal("draft_pii", bool(findings),
                  f"the draft contains {', '.join(findings[:3])}" if findings else "the draft carries no PII")


def draft_promise(facts: CaseFacts, journey: Journey) -> Signal:
    terms = judges.promise_findings(facts.ai.get("draft")) or _learned("draft_promise", facts.ai.get("draft"))
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
    asked = judges.person_request_findings(_message(facts)) or _learned("customer_requests_human", _message(facts))
    return Signal("customer_requests_human", bool(asked),
                  f"the customer asked to talk to a person ({quoted_words(asked)})" if asked
                  else "the customer did not ask for a person")


def vulnerability(facts: CaseFacts, journey: Journey) -> Signal:
    words = judges.vulnerability_findings(_message(facts)) or _learned("vulnerability", _message(facts))
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


def gave_up_because(facts: CaseFacts, journey: Journey) -> Signal:
    value = str(facts.payload.get("gaveUpBecause") or "")
    return Signal("gave_up_because", value, f"the bot gave up: {value.replace('_', ' ')}" if value
                  else "no bot gave up on this case")


def skill(facts: CaseFacts, journey: Journey) -> Signal:
    value = str(facts.payload.get("skill") or "")
    return Signal("skill", value, f"it needs {value} skills" if value else "no particular skill named")


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
    "gave_up_because": gave_up_because,
    "skill": skill,
}


# The text judges: when one fails, the case cannot be judged, so it goes to a person (the judge-failed guard).
JUDGE_SIGNALS = frozenset({"emotional_escalation", "policy_language", "draft_pii", "draft_promise",
                           "customer_requests_human", "vulnerability", "language"})
# Computed by compute_signals itself from the judges' failures; rules and guards may name it like any signal.
SIGNAL_NAMES = frozenset(SIGNALS) | {"judge_failure"}
NEGATIVE_SENTIMENT_FLOOR = 0.9  # a cloud judge's negative sentiment from here on counts as escalation
READABLE_LANGUAGES = ("en", "de")


def compute_signals(facts: CaseFacts, journey: Journey) -> dict[str, Signal]:
    signals, failed = {}, []
    for name, compute in SIGNALS.items():
        try:
            signals[name] = compute(facts, journey)
        except Exception as exc:  # noqa: BLE001 - a judge that breaks must not let the case through unjudged
            if name not in JUDGE_SIGNALS:
                raise
            failed.append(f"{name.replace('_', ' ')} ({type(exc).__name__})")
            signals[name] = Signal(name, None, f"the {name.replace('_', ' ')} judge failed")
    if facts.cloud_error:
        failed.append(f"cloud judge ({facts.cloud_error})")
    if facts.cloud:
        signals.update(_with_cloud(signals, facts.cloud))
    signals["judge_failure"] = Signal("judge_failure", bool(failed), "judges that failed: " + ", ".join(failed)
                                      if failed else "every judge gave an answer")
    return signals


def _with_cloud(signals: dict[str, Signal], cloud: CloudFindings) -> dict[str, Signal]:
    """A cloud finding raises a signal the deterministic judges left down; it never lowers one."""
    raised = {}
    found = {
        "emotional_escalation": cloud.negative_sentiment is not None
        and cloud.negative_sentiment >= NEGATIVE_SENTIMENT_FLOOR
        and f"{cloud.source}: the message's sentiment is negative ({cloud.negative_sentiment:.2f})",
        "draft_pii": bool(cloud.pii) and f"{cloud.source}: the draft carries {', '.join(cloud.pii)}",
        "draft_promise": bool(cloud.denied_topics)
        and f"{cloud.source}: the draft touches denied topics ({', '.join(cloud.denied_topics)})",
        "language": bool(cloud.language) and cloud.language not in READABLE_LANGUAGES
        and f"{cloud.source}: the message is in '{cloud.language}', which the judges cannot read",
    }
    for name, explanation in found.items():
        if explanation and not signals[name].value:
            raised[name] = Signal(name, True, explanation)
    return raised
