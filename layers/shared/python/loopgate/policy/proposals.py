"""Curated policy changes, pure: what a slice's memory supports (loosen, tighten or nothing) and its backtest.

docs/learning.md ("Policy versions") states the rules; usecases/proposals.py reads the memory and stores proposals.
"""
from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from loopgate.policy.journeys import Journey
from loopgate.policy.learning import MIN_AUDIT_IRREVERSIBLE, MIN_CASES, Change, Policy

DEFAULT_RULE = "default"  # route_case's name for "no rule matched": the journey's safe default
MIN_AUDIT = 0.1  # a loosened reversible journey keeps at least this audit rate
LOOSEN_MAX_UPPER = 0.05  # loosen when the departures' 95 % upper bound is at most this (or there were none)
TIGHTEN_MIN_RATE = 0.10  # tighten when audits or customers disagree at least this often
Z95 = 1.959964

PEOPLE_ROUTES = ("human", "human_then_customer")
WITHOUT_PEOPLE = ("auto", "customer")

# What people did that departs from the AI, by who saw it (the memory's counters, docs/learning.md).
REVIEW_AGREED = ("approvedUnchanged",)
REVIEW_DEPARTED = ("modified", "rejected", "escalated")  # an escalation: the reviewer could not just approve
OUTCOME_AGREED = ("auditAgreed", "customerConfirmed")
OUTCOME_DEPARTED = ("auditDisagreed", "customerCorrected", "customerDeclined", "customerAskedPerson")


def wilson(successes: float, trials: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default); (0, 1) without trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _count(memory: dict[str, Any], names: tuple[str, ...]) -> int:
    return int(sum(float(memory.get(n, 0) or 0) for n in names))


class Counts(BaseModel):
    """A slice's memory reduced to what the proposer weighs."""

    model_config = ConfigDict(frozen=True)

    cases: int
    reviewed: int  # decisions people made on the AI's proposal
    reviewDepartures: int
    observed: int  # audits and customer answers on cases that went without a reviewer
    outcomeDepartures: int
    withoutPeople: int  # cases the slice routed auto or to the customer

    @classmethod
    def of(cls, memory: dict[str, Any]) -> Counts:
        departures = _count(memory, REVIEW_DEPARTED)
        bad = _count(memory, OUTCOME_DEPARTED)
        return cls(cases=_count(memory, ("cases",)), reviewed=_count(memory, REVIEW_AGREED) + departures,
                   reviewDepartures=departures, observed=_count(memory, OUTCOME_AGREED) + bad,
                   outcomeDepartures=bad, withoutPeople=_count(memory, ("routed_auto", "routed_customer")))


def rule_of(journey: Journey, slice_key: str) -> str:
    """The rule a slice key names ("rule=<name>|..."): the longest known rule name that fits (names may hold '|')."""
    names = sorted([r.name for r in journey.rules] + [DEFAULT_RULE], key=len, reverse=True)
    return next((n for n in names if slice_key == f"rule={n}" or slice_key.startswith(f"rule={n}|")),
                slice_key.split("|", 1)[0].removeprefix("rule="))


def describe_key(slice_key: str) -> str:
    """A slice key in words, as Slice.describe says it: "rule above-auto-limit, confidence 0.9-1.0"."""
    return ", ".join(part.replace("=", " ", 1) for part in slice_key.split("|"))


class Verdict(BaseModel):
    kind: Literal["loosen", "tighten"]
    change: Change
    base: Change  # the slice's effective routing the proposal starts from
    counts: Counts


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def base_of(journey: Journey, policy: Policy, slice_key: str) -> Change:
    """The slice's effective routing under `policy`: its adjustment's, else its rule's (before guards)."""
    adjustment = policy.adjustment_for(slice_key)
    if adjustment is not None:
        return adjustment.change
    name = rule_of(journey, slice_key)
    decision = next((r for r in journey.rules if r.name == name), journey.default)
    return Change(route=decision.route)


def judge_slice(journey: Journey, policy: Policy, slice_key: str, memory: dict[str, Any]) -> Verdict | None:
    """What the slice's memory supports under the live policy; None when nothing (or too little) does."""
    rule_name = rule_of(journey, slice_key)
    rule = next((r for r in journey.rules if r.name == rule_name), None)
    if rule is None and rule_name != DEFAULT_RULE:
        return None  # a rule the journey no longer has: its memory speaks for routing that is gone
    decision = rule or journey.default
    adjustment = policy.adjustment_for(slice_key)
    base = base_of(journey, policy, slice_key)
    counts = Counts.of(memory)
    outcome_rate = _rate(counts.outcomeDepartures, counts.observed)
    outcomes_bad = counts.observed >= MIN_CASES and outcome_rate is not None and outcome_rate >= TIGHTEN_MIN_RATE

    if base.route in WITHOUT_PEOPLE:
        if not outcomes_bad:
            return None
        change = Change(route="human")
        return Verdict(kind="tighten", change=change, base=base, counts=counts)

    # Sent to people: loosen only what the file allows to be loosened, on enough decisions that agreed.
    if rule is None or rule.fourEyes or rule.capability or decision.route not in PEOPLE_ROUTES:
        return None
    if adjustment is not None and adjustment.change.route in WITHOUT_PEOPLE:
        return None
    if counts.reviewed < MIN_CASES or outcomes_bad:
        return None
    _, upper = wilson(counts.reviewDepartures, counts.reviewed)
    if counts.reviewDepartures and upper > LOOSEN_MAX_UPPER:
        return None
    floor = MIN_AUDIT_IRREVERSIBLE if journey.irreversible else MIN_AUDIT
    audit = round(max(floor, journey.audit_rate_for(decision)), 4)
    change = Change(route="customer" if decision.route == "human_then_customer" else "auto", auditRate=audit)
    if change == base:
        return None
    return Verdict(kind="loosen", change=change, base=base, counts=counts)


def _interval(part: int, whole: int, scale: int) -> dict[str, Any]:
    low, high = wilson(part, whole)
    return {"count": part, "of": whole, "rate": round(part / whole, 4) if whole else None,
            "rateInterval": [round(low, 4), round(high, 4)],
            "interval": [round(low * scale, 1), round(high * scale, 1)]}


def backtest(verdict: Verdict) -> dict[str, Any]:
    """The change replayed on the slice's recorded history (its memory counters), with 95 % Wilson intervals.

    Loosen: every case people decided would have gone without them; those they modified, rejected or escalated
    would have gone out unreviewed (escaped errors; an audit finds some only after the fact).
    Tighten: every case that went without people would have had one; the errors audits and customers found are
    those a reviewer would have had the chance to catch, estimated over all of them.
    """
    c = verdict.counts
    if verdict.kind == "loosen":
        audit = verdict.change.auditRate or 0
        return {"kind": "loosen", "cases": c.reviewed, "humanTouchesSaved": c.reviewed,
                "escapedErrors": _interval(c.reviewDepartures, c.reviewed, c.reviewed),
                "auditsAdded": round(c.reviewed * audit, 1), "auditRate": audit}
    affected = max(c.withoutPeople, c.observed)
    return {"kind": "tighten", "cases": affected, "humanTouchesAdded": affected,
            "errorsCaught": _interval(c.outcomeDepartures, c.observed, affected)}


def top_reasons(memory: dict[str, Any], limit: int = 3) -> list[dict[str, Any]]:
    """The most frequent reasons people gave ("reason:<text>" counters), most first."""
    found = [(name.removeprefix("reason:"), int(value)) for name, value in memory.items()
             if name.startswith("reason:") and isinstance(value, int | float) and value]
    return [{"reason": r, "count": n} for r, n in sorted(found, key=lambda x: (-x[1], x[0]))[:limit]]


def examples(memory: dict[str, Any], limit: int = 5) -> dict[str, str]:
    """The latest example case of each outcome the memory keeps (its string values, e.g. a case id)."""
    found = {k: v for k, v in sorted(memory.items()) if isinstance(v, str) and k not in ("pk", "sk")}
    return dict(list(found.items())[:limit])


def proposal_id(journey: str, slice_key: str, change: Change, version: int) -> str:
    """Deterministic: the same change proposed for the same slice on the same live version is the same proposal.
    The version leads the hash so a journey's proposals sort by the version they were made on."""
    digest = hashlib.sha256(json.dumps([journey, slice_key, change.model_dump(), version],
                                       sort_keys=True).encode()).hexdigest()[:16]
    return f"{journey}-{version:06d}-{digest}"


def journey_of_proposal(proposal: str) -> tuple[str, int] | None:
    """The journey and version a proposal id names; None when it is not shaped like one."""
    parts = proposal.split("-")
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[2]) != 16:
        return None
    return parts[0], int(parts[1])


def describe(verdict: Verdict, slice_key: str, journey: Journey) -> str:
    """The proposal in one sentence for a lead."""
    c, change = verdict.counts, verdict.change
    where = describe_key(slice_key)
    if verdict.kind == "loosen":
        to = "automatically" if change.route == "auto" else "to the customer without a reviewer first"
        departed = (f"{c.reviewDepartures} modified, rejected or escalated" if c.reviewDepartures
                    else "none modified, rejected or escalated")
        return (f"Route {journey.name} cases like these ({where}) {to}, auditing {change.auditRate:.0%}: "
                f"people decided {c.reviewed} and {departed}.")
    return (f"Send {journey.name} cases like these ({where}) to a reviewer again: audits and customers disagreed "
            f"with {c.outcomeDepartures} of {c.observed} that went without one.")
