"""Reviewer authority: what each group may commit (authority.json), checked before a decision commits."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from loopgate import roles
from loopgate.errors import Forbidden, InvalidInput, InvalidValue


class Capability(BaseModel):
    queue: str
    groups: list[str]
    description: str = ""


class AuthorityConfig(BaseModel):
    description: str = ""
    groups: dict[str, dict[str, float]]
    capabilities: dict[str, Capability] = {}


@lru_cache(maxsize=1)
def authority_config() -> AuthorityConfig:
    return AuthorityConfig.model_validate(json.loads((Path(__file__).parent / "authority.json").read_text()))


def capability_names() -> frozenset[str]:
    return frozenset(authority_config().capabilities)


def combined(*capabilities: str | None) -> str | None:
    """What a case needs when a rule and guards each name a capability: all of them ("fraud+vulnerable")."""
    parts = sorted({c for c in capabilities if c})
    return "+".join(parts) or None


def _holders(capability: str) -> set[str]:
    """The groups that hold every part of a (combined) capability; none when a part is unknown (fails closed)."""
    held: set[str] | None = None
    for part in capability.split("+"):
        known = authority_config().capabilities.get(part)
        groups = set(known.groups) if known else set()
        held = groups if held is None else held & groups
    return held or set()


def capability_queue(capability: str) -> str:
    """A capability's queue; a combined one goes to the queue of a group that holds every part (supervisors)."""
    if "+" not in capability:
        return authority_config().capabilities[capability].queue
    holders = _holders(capability)
    return roles.SUPERVISORS if roles.SUPERVISORS in holders or not holders else sorted(holders)[0]


def check_capability(capability: str | None, groups: tuple[str, ...] | list[str]) -> None:
    """A task that needs a capability is decided only by a group that holds it, every part of a combined one
    (fails closed if unknown)."""
    if not capability:
        return
    holders = _holders(capability)
    if not set(groups) & holders:
        raise Forbidden(f"this case needs a reviewer with the '{capability}' capability (groups: "
                        f"{', '.join(sorted(holders)) or 'none'}); escalate it instead")


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
