"""Routing: the journey's ordered rules against the case's signals; the first match wins."""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from loopgate.models import Reason
from loopgate.policy.journeys import Condition, Decision, Journey
from loopgate.policy.signals import Signal

_OPS = {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge,
        "eq": operator.eq, "ne": operator.ne}
_WORDS = {"lt": "below", "lte": "at or below", "gt": "above", "gte": "at or above",
          "eq": "equal to", "ne": "not equal to"}


@dataclass(frozen=True)
class Routing:
    rule: str
    decision: Decision
    queue: str
    reasons: list[Reason]


def _compare(op: str, left: Any, right: Any) -> bool:
    try:
        return bool(_OPS[op](left, right))
    except TypeError:
        return False


def evaluate(condition: Condition, signals: dict[str, Signal], rule: str,
             thresholds: dict[str, float] | None = None) -> tuple[bool, list[Reason]]:
    """Whether the condition holds, and the leaf comparisons that made it hold, as reasons."""
    if condition.signal is not None:
        signal = signals[condition.signal]
        threshold = condition.value
        if isinstance(threshold, str) and threshold.startswith("$"):
            threshold = (thresholds or {})[threshold[1:]]
        held = _compare(condition.op, signal.value, threshold)
        if isinstance(threshold, bool):
            text = signal.explanation
        else:
            text = f"{signal.explanation} ({_WORDS[condition.op]} {threshold})"
        return held, [Reason(rule=rule, signal=signal.name, value=signal.value,
                             threshold=threshold, text=text)] if held else []
    if condition.all is not None:
        reasons: list[Reason] = []
        for child in condition.all:
            held, why = evaluate(child, signals, rule, thresholds)
            if not held:
                return False, []
            reasons += why
        return True, reasons
    if condition.any is not None:
        # Every alternative that holds is named, not just the first.
        results = [evaluate(child, signals, rule, thresholds) for child in condition.any]
        return any(held for held, _ in results), [r for held, why in results if held for r in why]
    held, _ = evaluate(condition.not_, signals, rule, thresholds)
    return (not held), []


def route_case(journey: Journey, signals: dict[str, Signal]) -> Routing:
    for rule in journey.rules:
        held, reasons = evaluate(rule.when, signals, rule.name, journey.thresholds)
        if held:
            lead = Reason(rule=rule.name, text=rule.explain)
            return Routing(rule.name, rule, journey.queue_for(rule), [lead, *reasons])
    default = journey.default
    lead = Reason(rule="default", text=f"no rule of journey '{journey.name}' matched; "
                                       f"its safe default is '{default.route}'")
    return Routing("default", default, journey.queue_for(default), [lead])
