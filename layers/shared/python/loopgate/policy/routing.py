"""Routing: the journey's ordered rules against the case's signals; the first match wins."""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from loopgate.models import Reason
from loopgate.policy.authority import capability_queue, combined
from loopgate.policy.conditions import Condition
from loopgate.policy.guards import held_guards
from loopgate.policy.journeys import Decision, Journey
from loopgate.policy.signals import Signal

_OPS = {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge,
        "eq": operator.eq, "ne": operator.ne}
_WORDS = {"lt": "below", "lte": "at or below", "gt": "above", "gte": "at or above",
          "eq": "equal to", "ne": "not equal to"}


@dataclass(frozen=True)
class Routing:
    rule: str  # the journey's rule (or "default"); its decision is the case's authority and four-eyes
    decision: Decision  # what happens: the rule's decision, raised by any guard that holds
    queue: str
    reasons: list[Reason]
    guards: tuple[str, ...] = ()  # the guards that raised it


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
        if isinstance(threshold, (bool, str)):  # a flag or a category: the explanation says it
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
    """The journey's first matching rule, then the guards every journey has: a guard that holds sends the case
    to a person first (and keeps the customer's part where the journey had one), never to less than the rule."""
    routing = _raised_priority(journey, signals, _journey_routing(journey, signals))
    held, relaxed = held_guards(journey, signals, evaluate)
    if not held:
        return Routing(routing.rule, routing.decision, routing.queue, routing.reasons + relaxed)
    decision = routing.decision
    involves_customer = decision.route in ("customer", "human_then_customer")
    # The rule's capability and every held guard's: a fraud case from a customer in distress needs both.
    capability = combined(decision.capability, *(g.capability for g, _ in held))
    raised = decision.model_copy(update={
        "route": "human_then_customer" if involves_customer else "human",
        "priority": min([decision.priority] + [g.priority for g, _ in held]),
        "capability": capability,
        "ask": decision.ask or (journey.customerStep.kind if involves_customer else None),
    })
    queue = capability_queue(capability) if capability else routing.queue
    reasons = [r for guard, why in held for r in [Reason(rule=f"guard:{guard.name}", text=guard.explain), *why]]
    # The rule's own words come after, saying they were overruled: "paid automatically" must not read as done.
    lead, *rest = routing.reasons
    overruled = lead.model_copy(update={"text": f"without the guard, rule '{routing.rule}' would have decided: "
                                                f"{lead.text[:1].lower()}{lead.text[1:]}"})
    return Routing(routing.rule, raised, queue, reasons + [overruled, *rest] + relaxed,
                   guards=tuple(g.name for g, _ in held))


def _raised_priority(journey: Journey, signals: dict[str, Signal], routing: Routing) -> Routing:
    """The journey's priority rules that hold raise the priority (the lowest number wins); the queue stays."""
    priority, reasons = routing.decision.priority, []
    for rule in journey.priorityRules:
        held, why = evaluate(rule.when, signals, f"priority:{rule.name}", journey.thresholds)
        if held:
            priority = min(priority, rule.priority)
            reasons += [Reason(rule=f"priority:{rule.name}", text=rule.explain), *why]
    if not reasons:
        return routing
    decision = routing.decision.model_copy(update={"priority": priority})
    return Routing(routing.rule, decision, routing.queue, routing.reasons + reasons, routing.guards)


def _journey_routing(journey: Journey, signals: dict[str, Signal]) -> Routing:
    for rule in journey.rules:
        held, reasons = evaluate(rule.when, signals, rule.name, journey.thresholds)
        if held:
            lead = Reason(rule=rule.name, text=rule.explain)
            queue = capability_queue(rule.capability) if rule.capability else journey.queue_for(rule)
            return Routing(rule.name, journey.decision_named(rule.name), queue, [lead, *reasons])
    default = journey.default
    lead = Reason(rule="default", text=f"no rule of journey '{journey.name}' matched; "
                                       f"its safe default is '{default.route}'")
    return Routing("default", journey.decision_named(None), journey.queue_for(default), [lead])
