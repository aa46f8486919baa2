"""The learning loop's use cases: facts folded into stats and memory as cases move (docs/learning.md)."""
from __future__ import annotations

from typing import Any

from loopgate.policy.learning import GuardrailState, Policy, Tally
from loopgate.ports import CaseStore


def live_policy(store: CaseStore, journey: str) -> tuple[Policy, list[GuardrailState]]:
    """The journey's live policy version (version 1 when nothing was accepted) and its guardrail states."""
    policy, states = store.live_policy(journey)
    live = Policy.model_validate({k: v for k, v in policy.items() if k in Policy.model_fields}) if policy else \
        Policy(journey=journey)
    return live, [GuardrailState.model_validate({k: v for k, v in s.items() if k in GuardrailState.model_fields})
                  for s in states]


def case_dimensions(case: dict[str, Any]) -> list[str]:
    """The stats dimensions a case's facts count under (set at scoring: `learning` on the case)."""
    learning = case.get("learning") or {}
    dims = ["all#-"]
    if learning.get("rule"):
        dims.append(f"rule#{learning['rule']}")
    dims += [f"signal#{name}" for name in learning.get("signals", [])]
    if learning.get("slice"):
        dims.append(f"slice#{learning['slice']}")
    if learning.get("queue"):
        dims.append(f"queue#{learning['queue']}")
    return dims


def observe(store: CaseStore, case: dict[str, Any], fact: str, counts: dict[str, float], *,
            reviewer: str | None = None, memory: dict[str, float] | None = None,
            latest: dict[str, str] | None = None, first: dict[str, str] | None = None) -> bool:
    """Folds one fact of a case into its journey's stats (every dimension of the case, and the reviewer's when
    given) and its slice's memory, once: False when the fact was recorded before (a retried step)."""
    learning = case.get("learning") or {}
    if not learning.get("day"):
        return False  # scored before the loop existed: nothing to attribute it to
    journey, day = case["journey"], learning["day"]
    dims = case_dimensions(case) + ([f"reviewer#{reviewer}"] if reviewer else [])
    tallies = [Tally(kind="stats", journey=journey, day=day, dimension=d, add=counts) for d in dims if counts]
    if learning.get("slice") and (memory or latest or first):
        tallies.append(Tally(kind="memory", journey=journey, slice=learning["slice"], add=memory or {},
                             latest=latest or {}, first=first or {}))
    return store.record_fact(case["caseId"], fact, tallies)


def precedent_words(memory: dict[str, Any] | None) -> str | None:
    """A slice's memory in words ("14 approved unchanged, 2 modified, 1 rejected"); None when there is none."""
    if not memory:
        return None
    parts = [f"{int(memory[k])} {words}" for k, words in _OUTCOME_WORDS if memory.get(k)]
    return ", ".join(parts) if parts else None


_OUTCOME_WORDS = [
    ("approvedUnchanged", "approved unchanged"), ("modified", "modified"), ("rejected", "rejected"),
    ("escalated", "escalated"), ("auditAgreed", "audits agreed"), ("auditDisagreed", "audits disagreed"),
    ("customerConfirmed", "confirmed by the customer"), ("customerCorrected", "corrected by the customer"),
    ("customerDeclined", "declined by the customer"), ("customerAskedPerson", "customer asked for a person"),
]
