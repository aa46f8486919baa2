"""JSON bodies the API accepts: strict JSON, bounded nesting, and only values DynamoDB can store."""
from __future__ import annotations

import json
from typing import Any

from loopgate.errors import InvalidInput
from loopgate.storable import MAX_DEPTH, check_storable

__all__ = ["MAX_DEPTH", "check_storable", "parse_json_body"]


def parse_json_body(text: str) -> Any:
    """The Powertools resolvers' body parser: refuses what json.loads lets through and DynamoDB would not store.

    Malformed or too deeply nested bodies are InvalidInput (400); a value that cannot be stored names its
    field (InvalidValue, 422). NaN and Infinity are read (json.loads allows them) so that the refusal can
    name the field they stand in.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise InvalidInput("(body)", f"is nested too deeply (at most {MAX_DEPTH} levels)") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput("(body)", f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    check_storable(value)
    return value
