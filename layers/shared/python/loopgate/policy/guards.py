"""Guards: the judgement points every journey has, evaluated before its own rules.

Seed 004's judgement points and automated judges are not optional per journey: a journey that forgets to look
at PII or a legal threat still sends the case to a person. A journey may relax a guard only by naming it in
its file (`relaxedGuards`) with a reason; the reason then appears in the case's reasons when the guard would
have applied.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from loopgate.models import Reason
from loopgate.policy.conditions import Condition

if TYPE_CHECKING:  # journeys name the guards they relax: the import runs the other way
    from loopgate.policy.journeys import Journey

# A journey without its own `confidenceFloor` threshold gets this one: below it the AI is guessing.
DEFAULT_CONFIDENCE_FLOOR = 0.6


@dataclass(frozen=True)
class Guard:
    name: str
    when: Condition
    explain: str
    priority: int
    capability: str | None = None  # who must decide (authority.json names the groups that hold it)


def _is(signal: str, value: object = True) -> dict:
    return {"signal": signal, "op": "eq", "value": value}


GUARDS: tuple[Guard, ...] = tuple(Guard(name, Condition.model_validate(when), explain, priority, capability)
                                  for name, when, explain, priority, capability in (
    ("customer-asks-for-person", _is("customer_requests_human"),
     "The customer asked for a person: a person answers.", 1, None),
    ("vulnerable-customer", _is("vulnerability"),
     "The customer may be in a vulnerable situation: a person trained for it answers, not the automation.", 1,
     "vulnerable"),
    ("legal-on-irreversible", {"all": [_is("policy_language"), _is("irreversible")]},
     "Legal or policy language on an action that cannot be undone: a reviewer with legal capability decides.", 2,
     "legal"),
    ("draft-carries-pii", _is("draft_pii"),
     "The AI's draft carries personal data that must not go out: a reviewer fixes it first.", 2, None),
    ("draft-invents-promises", _is("draft_promise"),
     "The AI's draft promises what the policy does not: a reviewer fixes it first.", 2, None),
    ("low-confidence", {"signal": "confidence", "op": "lt", "value": "$confidenceFloor"},
     "The AI's confidence is below the journey's floor: a reviewer checks the proposal.", 3, None),
    ("unreadable-language", _is("language"),
     "The message is in a language the judges cannot read: a person reads it.", 3, None),
    ("judge-failed", _is("judge_failure"),
     "A judge could not assess the case: a person does.", 2, None),
))
GUARD_NAMES = frozenset(g.name for g in GUARDS)


def thresholds_for(journey: Journey) -> dict[str, float]:
    return {"confidenceFloor": DEFAULT_CONFIDENCE_FLOOR, **journey.thresholds}


def held_guards(journey: Journey, signals: dict, evaluate) -> tuple[list[tuple[Guard, list[Reason]]], list[Reason]]:
    """The guards that hold for this case, with their reasons; and the reasons of guards the journey relaxed."""
    held, relaxed = [], []
    thresholds = thresholds_for(journey)
    for guard in GUARDS:
        if not guard.when.signal_names() <= set(signals):
            continue  # a signal this deployment does not compute (yet) cannot hold
        holds, reasons = evaluate(guard.when, signals, f"guard:{guard.name}", thresholds)
        if not holds:
            continue
        if guard.name in journey.relaxedGuards:
            relaxed.append(Reason(rule=f"guard:{guard.name}", text=f"guard '{guard.name}' would apply; journey "
                                  f"'{journey.name}' relaxes it: {journey.relaxedGuards[guard.name]}"))
            continue
        held.append((guard, reasons))
    return held, relaxed
