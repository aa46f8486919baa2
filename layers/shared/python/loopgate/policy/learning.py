"""The learning loop's policy, pure: slices of alike cases, policy versions and what they change, guardrail states.

docs/learning.md describes the loop; storage is in adapters/dynamo.py, the use cases in usecases/learning.py.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from loopgate.models import Reason
from loopgate.policy.journeys import Journey
from loopgate.policy.routing import Routing

MIN_CASES = 20  # a slice with fewer decided cases gets no proposal
MIN_AUDIT_IRREVERSIBLE = 0.2  # a loosened irreversible journey keeps at least this audit rate
NO_VALUE = "-"


def confidence_band(confidence: Any) -> str:
    """The AI's confidence in 0.1-wide bands ("0.8-0.9"; 1.0 falls in "0.9-1.0"); "none" when not a number."""
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        return "none"
    low = min(int(confidence * 10), 9)
    return f"{low / 10:.1f}-{(low + 1) / 10:.1f}"


def _text(value: Any) -> str:
    if value is None or value == "":
        return NO_VALUE
    return str(value).replace("|", "/").replace("=", ":")[:40]


class Slice(BaseModel):
    """Cases alike: the journey's rule (before guards), the journey's memory keys' values, the confidence band."""

    model_config = ConfigDict(frozen=True)

    journey: str
    rule: str
    values: dict[str, str]
    band: str

    @property
    def key(self) -> str:
        parts = [f"rule={self.rule}", *(f"{k}={v}" for k, v in self.values.items()), f"confidence={self.band}"]
        return "|".join(parts)

    def describe(self) -> str:
        """In words, for reasons and precedent: "rule above-auto-limit, category damaged, confidence 0.9-1.0"."""
        parts = [f"rule {self.rule}", *(f"{k} {v}" for k, v in self.values.items()), f"confidence {self.band}"]
        return ", ".join(parts)


def slice_of(journey: Journey, rule: str, payload: dict[str, Any], confidence: Any) -> Slice:
    return Slice(journey=journey.name, rule=rule, values={k: _text(payload.get(k)) for k in journey.memory.keys},
                 band=confidence_band(confidence))


# ------------------------------------------------------------------ policy versions
class Change(BaseModel):
    """What an adjustment does to its slice: its route, and (for a loosening) the audit rate it keeps."""

    model_config = ConfigDict(extra="forbid")

    route: Literal["auto", "customer", "human", "human_then_customer"]
    auditRate: float | None = Field(default=None, ge=0, le=1)


class Adjustment(BaseModel):
    """One slice's learned routing in a policy version, with what justified it."""

    model_config = ConfigDict(extra="forbid")

    slice: str  # Slice.key
    change: Change
    proposalId: str | None = None
    evidence: str = ""  # the memory at acceptance, in words
    acceptedBy: str
    reason: str
    at: str


class Policy(BaseModel):
    """A journey's live policy version: version 1 is the journey file alone."""

    journey: str
    version: int = 1
    adjustments: list[Adjustment] = Field(default_factory=list)
    by: str | None = None
    reason: str | None = None
    at: str | None = None

    def adjustment_for(self, key: str) -> Adjustment | None:
        return next((a for a in self.adjustments if a.slice == key), None)


class GuardrailState(BaseModel):
    journey: str
    name: str
    state: Literal["ok", "tripped"] = "ok"
    metric: str | None = None
    value: float | None = None
    threshold: float | None = None
    since: str | None = None


LOOSER = {"auto": 0, "customer": 1, "human_then_customer": 2, "human": 3}


def is_loosening(before: str, after: str) -> bool:
    return LOOSER[after] < LOOSER[before]


def apply_learning(journey: Journey, routing: Routing, case_slice: Slice, policy: Policy,
                   guardrails: list[GuardrailState], memory_words: str | None = None) -> Routing:
    """The routing after the live policy version and the journey's guardrails (the decision's auditRate is the one
    they set). Guards come first: where one held, no learned adjustment applies."""
    decision, reasons, audit_rate = routing.decision, list(routing.reasons), None
    adjustment = policy.adjustment_for(case_slice.key)
    if adjustment is not None and not routing.guards:
        change = adjustment.change
        decision = decision.model_copy(update={"route": change.route})
        audit_rate = change.auditRate
        audit = f" with {change.auditRate:.0%} audited" if change.auditRate else ""
        memory = f"; now: {memory_words}" if memory_words else ""
        reasons.insert(0, Reason(
            rule=f"policy:v{policy.version}",
            text=f"policy version {policy.version} routes similar cases ({case_slice.describe()}) "
                 f"{_ROUTE_WORDS[change.route]}{audit}: accepted by {adjustment.acceptedBy} ({adjustment.reason}); "
                 f"memory then: {adjustment.evidence}{memory}"))
    for state in guardrails:
        if state.state != "tripped":
            continue
        declared = next((g for g in journey.guardrails if g.name == state.name), None)
        if declared is None:
            continue
        words = (f"guardrail '{state.name}' tripped ({state.metric} {state.value:g} above {state.threshold:g} "
                 f"since {state.since}): {declared.explain.rstrip('.')}")
        if declared.action == "people" and decision.route in ("auto", "customer"):
            route = "human" if decision.route == "auto" else "human_then_customer"
            ask = decision.ask or (journey.customerStep.kind if route == "human_then_customer" else None)
            decision = decision.model_copy(update={"route": route, "ask": ask})
            reasons.insert(0, Reason(rule=f"guardrail:{state.name}", text=words + "; a person decides"))
        elif declared.action == "audit" and decision.route in ("auto", "customer"):
            current = audit_rate if audit_rate is not None else journey.audit_rate_for(decision)
            audit_rate = max(current, declared.auditRate or 0)
            reasons.insert(0, Reason(rule=f"guardrail:{state.name}", text=words + f"; {audit_rate:.0%} audited"))
    if audit_rate is not None:
        decision = decision.model_copy(update={"auditRate": audit_rate})
    return replace(routing, decision=decision, reasons=reasons)


_ROUTE_WORDS = {"auto": "automatically", "customer": "to the customer", "human": "to a reviewer",
                "human_then_customer": "to a reviewer, then the customer"}


# ------------------------------------------------------------------ aggregates
class Tally(BaseModel):
    """Counters one fact adds to one aggregate: a journey's day by a dimension (`stats`), or a slice's memory.

    `add` counters are ADDed (attribute names are free text: "reason:policy"); `latest` values are SET (the latest
    example of an outcome); `first` values are SET only when absent (when an override was first seen).
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["stats", "memory"]
    journey: str
    day: str | None = None  # stats: the case's day (its cohort), 2026-11-23
    dimension: str | None = None  # stats: "all#-", "rule#above-auto-limit", "reviewer#r-1", ...
    slice: str | None = None  # memory: Slice.key
    add: dict[str, float] = Field(default_factory=dict)
    latest: dict[str, str] = Field(default_factory=dict)
    first: dict[str, str] = Field(default_factory=dict)


# ------------------------------------------------------------------ the figures leads and guardrails read
# Counters of a stats item (docs/learning.md lists which fact adds which): cases, routed_<route>, repeatContacts,
# touched, decisions, overrides, escalations, audits, auditDisagreements, customerAnswers, customerRejections,
# customerCorrections, askedPerson, messages, reminders, interactions, feedback, negativeFeedback,
# "t:<bucket>" (time to decision), "reason:<text>" (override reasons).
TIME_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800)  # seconds, upper bounds


def time_bucket(seconds: float) -> str:
    """The time-to-decision histogram's attribute for a duration: "t:3600" is at most an hour; "t:inf" beyond."""
    bound = next((b for b in TIME_BUCKETS if seconds <= b), None)
    return f"t:{bound}" if bound is not None else "t:inf"


def percentile(counters: dict[str, Any], q: float) -> float | None:
    """The histogram's q-quantile as its bucket's upper bound in seconds (None without decisions)."""
    buckets = [(b, counters.get(f"t:{b}", 0)) for b in TIME_BUCKETS] + [(float("inf"), counters.get("t:inf", 0))]
    total = sum(n for _, n in buckets)
    if not total:
        return None
    seen = 0
    for bound, n in buckets:
        seen += n
        if seen >= q * total:
            return bound
    return None


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def rates(c: dict[str, Any]) -> dict[str, Any]:
    """The insights' figures from summed counters (a rate is None when its denominator is 0)."""
    g = lambda name: float(c.get(name, 0) or 0)  # noqa: E731
    effort = g("messages") + g("reminders") + g("interactions")
    return {
        "cases": int(g("cases")),
        "humanTouchRate": _rate(g("touched"), g("cases")),
        "overrideRate": _rate(g("overrides"), g("decisions")),
        "escalationRate": _rate(g("escalations"), g("touched")),
        "auditDisagreementRate": _rate(g("auditDisagreements"), g("audits")),
        "effortPerCase": _rate(effort, g("cases")),
        "effortPerStep": {"messages": _rate(g("messages"), g("cases")), "reminders": _rate(g("reminders"), g("cases")),
                          "interactions": _rate(g("interactions"), g("cases"))},
        "repeatContactRate": _rate(g("repeatContacts"), g("cases")),
        "negativeFeedbackRate": _rate(g("negativeFeedback"), g("feedback")),
        "customerRejectionRate": _rate(g("customerRejections"), g("customerAnswers")),
        # Of the customers who answered "did this solve it?", the share who said no (silence is no verdict).
        "followUpUnsolvedRate": _rate(g("followUpsNotSolved"), g("followUpsSolved") + g("followUpsNotSolved")),
        "followUps": {"asked": int(g("followUpsAsked")), "solved": int(g("followUpsSolved")),
                      "notSolved": int(g("followUpsNotSolved")), "unanswered": int(g("followUpsUnanswered"))},
        "timeToDecision": {"p50": percentile(c, 0.5), "p90": percentile(c, 0.9)},
    }


def summed(items: list[dict[str, Any]]) -> dict[str, float]:
    """Counters of several stats items (days of a window) added up."""
    total: dict[str, float] = {}
    for item in items:
        for name, value in item.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                total[name] = total.get(name, 0) + value
    return total
