"""Opaque pagination cursors: a page's position, base64 JSON, checked when it comes back."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from loopgate.errors import InvalidInput


def encode_cursor(position: dict[str, Any] | None) -> str | None:
    if not position:
        return None
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, valid: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[str, Any]:
    """The position in a cursor, if it is one this API could have returned for this request (`valid`)."""
    if not cursor:
        return {}
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, RecursionError):  # a nested bomb is not a cursor either
        decoded = None
    if not isinstance(decoded, dict) or not valid(decoded):
        raise InvalidInput("cursor", "is not a cursor this API returned for this request")
    return decoded


def is_key(position: Any, fields: dict[str, str | None]) -> bool:
    """A DynamoDB key of exactly these string attributes; a value given must match."""
    return isinstance(position, dict) and set(position) == set(fields) and all(
        isinstance(position[k], str) and (v is None or position[k] == v) for k, v in fields.items())
