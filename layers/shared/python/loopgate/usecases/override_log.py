"""Reading the override log: a page by journey or by reviewer, for leads."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from loopgate import roles
from loopgate.clock import iso, now, now_iso, parse_iso
from loopgate.errors import Forbidden, InvalidInput
from loopgate.policy.sealing import SEAL_ATTRIBUTES
from loopgate.usecases.paging import decode_cursor, encode_cursor, is_key

LOG_READERS = roles.LEADS


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
    # The evidence seal's attributes are for `python -m loopgate.audit`; the salt in particular stays in the table.
    return {"items": [{k: v for k, v in item.items() if k not in SEAL_ATTRIBUTES} for item in items],
            "nextCursor": encode_cursor(after)}
