"""Outcome guardrails, pure: the window and baseline days of a check, the threshold, and the decision
(value, threshold, state -> new state) with hysteresis (docs/learning.md, "Outcome guardrails")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from loopgate.policy.journeys import Guardrail
from loopgate.policy.learning import rates

RESTORE_SHARE = 0.8  # without restoreBelow, a tripped guardrail restores at or below 80 % of its threshold

State = Literal["ok", "tripped"]


def window_days(guardrail: Guardrail, today: date) -> list[str]:
    """The check's window: windowDays days ending today (today included: its cases count as they come)."""
    return [(today - timedelta(days=back)).isoformat() for back in range(guardrail.windowDays - 1, -1, -1)]


def baseline_days(guardrail: Guardrail, today: date) -> list[str]:
    """The baselineDays before the window (baselineRatio guardrails only; none for an absolute max)."""
    if guardrail.baselineRatio is None:
        return []
    first = today - timedelta(days=guardrail.windowDays)
    return [(first - timedelta(days=back)).isoformat() for back in range(guardrail.baselineDays - 1, -1, -1)]


@dataclass(frozen=True)
class Reading:
    """A metric over some days: its value (None when its denominator is 0) and the cases behind it."""

    value: float | None
    cases: int


def reading(guardrail: Guardrail, counters: dict[str, Any]) -> Reading:
    """The guardrail's metric from summed stats counters (policy.learning.rates names the figures)."""
    figures = rates(counters)
    if guardrail.metric == "followUpUnsolvedRate":
        # Its evidence is the customers who answered the follow-up, not the cases: 1 "no" among 1 answer of 50
        # cases is no verdict on the journey.
        answers = figures["followUps"]["solved"] + figures["followUps"]["notSolved"]
        return Reading(figures[guardrail.metric], answers)
    return Reading(figures[guardrail.metric], figures["cases"])


def threshold(guardrail: Guardrail, baseline: Reading | None) -> float | None:
    """Above this the guardrail trips: its max, or baselineRatio times the baseline; None (no verdict) when the
    baseline has fewer than minCases cases or no value."""
    if guardrail.max is not None:
        return guardrail.max
    if baseline is None or baseline.value is None or baseline.cases < guardrail.minCases:
        return None
    return round(guardrail.baselineRatio * baseline.value, 4)


def restore_level(guardrail: Guardrail, limit: float) -> float:
    """At or below this a tripped guardrail restores. Never above the threshold: a restore level above it would
    let the guardrail restore and trip again on the same value."""
    declared = guardrail.restoreBelow if guardrail.restoreBelow is not None else round(RESTORE_SHARE * limit, 4)
    return min(declared, limit)


def decide(state: State, value: float | None, limit: float | None, restore_at: float | None) -> State:
    """The new state. An ok guardrail trips strictly above the threshold; a tripped one restores only at or below
    its restore level: between the two (the hysteresis band) it stays as it is. No value or threshold: no verdict."""
    if value is None or limit is None:
        return state
    if state == "ok":
        return "tripped" if value > limit else "ok"
    return "ok" if restore_at is not None and value <= restore_at else "tripped"


@dataclass(frozen=True)
class Verdict:
    state: State
    value: float | None
    threshold: float | None
    restoreAt: float | None
    cases: int
    note: str | None = None  # why there was no verdict (too few cases, held after a reset)


def check(guardrail: Guardrail, state: State, window: Reading, baseline: Reading | None, *, held: bool) -> Verdict:
    """One guardrail's check. `held`: a lead reset it and its window still holds the day of the reset, so the
    cases a lead already judged cannot trip it again."""
    limit = threshold(guardrail, baseline)
    restore_at = restore_level(guardrail, limit) if limit is not None else None
    if window.cases < guardrail.minCases:
        return Verdict(state, window.value, limit, restore_at, window.cases,
                       f"{window.cases} cases in the window, fewer than {guardrail.minCases}: no verdict")
    if limit is None:
        return Verdict(state, window.value, None, None, window.cases,
                       f"fewer than {guardrail.minCases} cases in the baseline: no verdict")
    new = decide(state, window.value, limit, restore_at)
    if held and state == "ok" and new == "tripped":
        return Verdict("ok", window.value, limit, restore_at, window.cases, "held after a reset until the window "
                       "no longer holds the day of the reset")
    return Verdict(new, window.value, limit, restore_at, window.cases)


def held_until(guardrail: Guardrail, reset_day: date) -> str:
    """The first day whose window no longer holds the day of a reset."""
    return (reset_day + timedelta(days=guardrail.windowDays)).isoformat()
