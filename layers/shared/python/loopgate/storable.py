"""Values a DynamoDB item can hold: bounded nesting, no empty keys, numbers within DynamoDB's range.

Checked on every posted body (web/bodies.py) and on values a use case builds from text (form fields).
"""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from loopgate.errors import InvalidInput, InvalidValue

# DynamoDB nests at most 32 levels; a posted value sits a level or two down in a case or override item.
MAX_DEPTH = 16
# DynamoDB numbers: up to 38 significant digits, magnitudes from 1E-130 to below 1E+126.
MAX_DIGITS = 38
MIN_EXPONENT, MAX_EXPONENT = -130, 125


def check_storable(value: Any, path: str = "") -> None:
    """Raises for the first value a DynamoDB item cannot hold, naming it by its dotted path."""
    problem = _first_problem(value, path, 0)
    if problem:
        field, message, depth_error = problem
        raise (InvalidInput if depth_error else InvalidValue)(field or "(body)", message)


def _first_problem(value: Any, path: str, depth: int) -> tuple[str, str, bool] | None:
    if isinstance(value, (dict, list)):
        if depth >= MAX_DEPTH:
            return path, f"is nested too deeply (at most {MAX_DEPTH} levels)", True
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            if isinstance(value, dict) and key == "":
                return path or "(body)", "has an empty key, which cannot be stored", False
            found = _first_problem(child, f"{path}.{key}" if path else str(key), depth + 1)
            if found:
                return found
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path, "must be a finite number", False
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number == 0:
        return None
    # Counted from the digits themselves: Decimal.normalize() would round to the context's 28 digits first.
    if len("".join(map(str, number.as_tuple().digits)).strip("0")) > MAX_DIGITS:
        return path, f"has more than {MAX_DIGITS} significant digits", False
    if not MIN_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        return path, "is outside the storable range (1E-130 to 9.9E+125 in magnitude)", False
    return None
