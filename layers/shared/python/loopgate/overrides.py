"""The override log: every time a person departs from the AI, with what changed and why."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from .clock import iso, now, now_iso, parse_iso
from .cursors import decode_cursor, encode_cursor, is_key
from .errors import Forbidden, InvalidInput


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
        "overrideKey": f"{at}#{override_id}",
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


LOG_READERS = "leads"


def _day_or_time(name: str, value: str | None, default: str) -> str:
    if not value:
        return default
    try:
        return iso(parse_iso(value if "T" in value else f"{value}T00:00:00Z"))
    except ValueError:
        raise InvalidInput(name, "must be a date (2026-11-01) or an ISO time") from None


def list_overrides(store, groups: tuple[str, ...], *, journey: str | None, reviewer: str | None,
                   start: str | None, end: str | None, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
    """A page of the override log by journey or by reviewer, within [from, to]; for the group `leads`."""
    if LOG_READERS not in groups:
        raise Forbidden(f"the override log is for the group '{LOG_READERS}'")
    if bool(journey) == bool(reviewer):
        raise InvalidInput("journey", "give exactly one of journey or reviewer")
    if not 1 <= limit <= 200:
        raise InvalidInput("limit", "must be between 1 and 200")
    first = _day_or_time("from", start, iso(now() - timedelta(days=30)))
    last = _day_or_time("to", end, now_iso())
    if end and "T" not in end:
        last = last[:10] + "T23:59:59.999Z"  # a day given as `to` includes that whole day
    key = {"journey": journey, "overrideKey": None} if journey else {"reviewer": reviewer, "journey": None,
                                                                      "overrideKey": None}
    position = decode_cursor(cursor, lambda found: is_key(found, key)) or None
    items, after = store.query_overrides(journey=journey, reviewer=reviewer, start=first, end=last, limit=limit,
                                         after=position)
    return {"items": items, "nextCursor": encode_cursor(after)}
