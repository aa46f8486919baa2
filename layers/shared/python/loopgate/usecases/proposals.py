"""Curated policy changes: the proposer, a lead's decision, policy versions and rollback (docs/learning.md)."""
from __future__ import annotations

from typing import Any

from loopgate.models import Reviewer


def run_proposer(store, caller: Reviewer | None) -> dict[str, Any]:
    """Proposes changes the memory supports; `caller` None for the hourly job, else a lead. {"items": [...]}"""
    raise NotImplementedError("proposer: being built (issue 11)")


def list_proposals(store, caller: Reviewer, *, journey: str | None, status: str | None) -> dict[str, Any]:
    raise NotImplementedError


def decide_proposal(store, caller: Reviewer, proposal_id: str, decision) -> dict[str, Any]:
    raise NotImplementedError


def policy_view(store, caller: Reviewer, journey: str) -> dict[str, Any]:
    raise NotImplementedError


def rollback(store, caller: Reviewer, journey: str, request) -> dict[str, Any]:
    raise NotImplementedError
