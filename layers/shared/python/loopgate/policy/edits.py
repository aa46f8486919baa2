"""A reviewer's edit is judged like the AI's draft: what a person writes must not carry PII or invent promises."""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from loopgate.policy.signals import SIGNALS, CaseFacts

if TYPE_CHECKING:
    from loopgate.policy.journeys import Journey

# The draft judges, as the guards use them: a finding in an edit refuses the edit.
EDIT_JUDGES = ("draft_pii", "draft_promise")


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _texts(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _texts(child, f"{path}.{index}")


def edit_findings(proposal: dict[str, Any], customer: dict[str, Any], journey: Journey,
                  prefix: str = "proposal") -> list[tuple[str, str]]:
    """(field, what the judge found) for every text of an edited proposal a draft judge objects to."""
    findings = []
    for field, text in _texts(proposal, prefix):
        facts = CaseFacts(payload={}, ai={"draft": text, "proposal": {}}, customer=customer)
        for name in EDIT_JUDGES:
            signal = SIGNALS[name](facts, journey)
            if signal.value:
                findings.append((field, signal.explanation))
    return findings
