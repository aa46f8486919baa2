"""Opaque pagination cursors: a page's position, base64 JSON, checked when it comes back."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .errors import InvalidInput


def encode_cursor(position: dict[str, Any] | None) -> str | None:
    if not position:
        return None
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error):
        decoded = None
    if not isinstance(decoded, dict):
        raise InvalidInput("cursor", "is not a cursor this API returned")
    return decoded
