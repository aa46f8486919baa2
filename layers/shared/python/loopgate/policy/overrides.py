"""The override log's records: every time a person departs from the AI, with what changed and why."""
from __future__ import annotations

import uuid
from typing import Any

from loopgate.clock import now_iso


def field_diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Field-level differences as [{"field": "a.b", "from": old, "to": new}], nested dicts walked."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[dict[str, Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            child = f"{path}.{key}" if path else str(key)
            if key not in after:
                changes.append({"field": child, "from": before[key], "to": None})
            elif key not in before:
                changes.append({"field": child, "from": None, "to": after[key]})
            else:
                changes += field_diff(before[key], after[key], child)
        return changes
    if before != after:
        return [{"field": path or "(value)", "from": before, "to": after}]
    return []


def override_key(at: str, override_id: str, decision: str, actor_id: str) -> str:
    """An override log item's sort key within its journey: found again from the decision it records."""
    return f"{at}#{override_id}#{decision}#{actor_id}"


def override_record(*, kind: str, case: dict[str, Any], actor_id: str, decision: str,
                    proposal: dict[str, Any] | None, decided: dict[str, Any] | None,
                    reason: str | None, comment: str | None = None, task_id: str | None = None,
                    at: str | None = None) -> dict[str, Any]:
    """One append-only item of the override log, with the signals and rule at decision time.

    Given the decision's id and time, the item's key is the same however often a retried step builds it.
    """
    at = at or now_iso()
    override_id = task_id or uuid.uuid4().hex
    return {
        "journey": case["journey"],
        # Time first (the log is read by time range), then what makes two departures on one task in the same
        # millisecond distinct, and nothing that differs on a retry of the same one.
        "overrideKey": override_key(at, override_id, decision, actor_id),
        "overrideId": override_id,
        "caseId": case["caseId"],
        "reviewer": actor_id,
        "kind": kind,
        "at": at,
        "decision": decision,
        "proposal": proposal,
        "decided": decided,
        "diff": field_diff(proposal or {}, decided or {}) if decided is not None else [],
        "reason": reason,
        "comment": comment,
        "rule": case.get("rule"),
        "signals": case.get("signals", {}),
    }
