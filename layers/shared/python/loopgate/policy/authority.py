"""Reviewer authority: what each group may commit (authority.json), checked before a decision commits."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from loopgate.errors import Forbidden, InvalidInput, InvalidValue


class AuthorityConfig(BaseModel):
    description: str = ""
    groups: dict[str, dict[str, float]]


@lru_cache(maxsize=1)
def authority_config() -> AuthorityConfig:
    return AuthorityConfig.model_validate(json.loads((Path(__file__).parent / "authority.json").read_text()))


def limit_of(groups: tuple[str, ...] | list[str], kind: str) -> float:
    config = authority_config().groups
    return max((config.get(group, {}).get(kind, 0.0) for group in groups), default=0.0)


def committed_amount(proposal: dict[str, Any] | None, case: dict[str, Any]) -> float:
    """What a decision commits: the proposal's amount if it has one, else the case's payload amount."""
    value = (proposal or {}).get("amount", case.get("payload", {}).get("amount", 0))
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise InvalidInput("proposal.amount", "must be a number")
    if not (math.isfinite(value) and value >= 0):
        raise InvalidValue("proposal.amount", "must be a finite number of at least 0")
    return float(value)


def check_authority(kind: str | None, groups: tuple[str, ...], proposal: dict[str, Any] | None,
                    case: dict[str, Any]) -> None:
    if not kind:
        return
    needed = committed_amount(proposal, case)
    allowed = limit_of(groups, kind)
    if not needed <= allowed:  # fails closed: whatever does not compare as within the limit is refused
        raise Forbidden(f"this decision commits a {kind} of {needed:.2f}, above your {kind} authority of "
                        f"{allowed:.2f}; escalate it instead")
