"""Outcome guardrails: checked per window; a trip pulls the journey's automation back to people (docs/learning.md)."""
from __future__ import annotations

from typing import Any

from loopgate.models import Reviewer


def run_checks(store, alerts, caller: Reviewer | None) -> dict[str, Any]:
    """Checks every declared guardrail; `caller` None for the hourly job, else a lead. {"items": [...]}"""
    raise NotImplementedError("guardrail checks: being built (issue 11)")


def list_guardrails(store, caller: Reviewer) -> dict[str, Any]:
    raise NotImplementedError


def reset(store, caller: Reviewer, journey: str, name: str, request) -> dict[str, Any]:
    raise NotImplementedError
