"""Judgement signals: named, typed values with a short explanation, computed from a case."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .journeys import Journey


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


def model_confidence(facts: CaseFacts, journey: Journey) -> Signal:
    value = float(facts.ai.get("confidence", 0.0))
    return Signal("confidence", value, f"the AI's confidence in its proposal is {value:.2f}")


def missing_context(facts: CaseFacts, journey: Journey) -> Signal:
    missing = [name for name in journey.payload.required if facts.payload.get(name) in (None, "", [], {})]
    text = f"required fields missing: {', '.join(missing)}" if missing else "all required fields are present"
    return Signal("missing_context", bool(missing), text)


def identity_mismatch(facts: CaseFacts, journey: Journey) -> Signal:
    value = bool((facts.payload.get("identity") or {}).get("mismatch", False))
    text = "the identity check found a mismatch" if value else "the identity check matched"
    return Signal("identity_mismatch", value, text)


def recent_fraud_attempts(facts: CaseFacts, journey: Journey) -> Signal:
    value = int((facts.payload.get("account") or {}).get("recentFraudAttempts", 0) or 0)
    return Signal("recent_fraud_attempts", value, f"the account shows {value} recent fraud attempt(s)")


SIGNALS: dict[str, Callable[[CaseFacts, Journey], Signal]] = {
    "confidence": model_confidence,
    "missing_context": missing_context,
    "identity_mismatch": identity_mismatch,
    "recent_fraud_attempts": recent_fraud_attempts,
}


def compute_signals(facts: CaseFacts, journey: Journey) -> dict[str, Signal]:
    return {name: compute(facts, journey) for name, compute in SIGNALS.items()}
