"""Insights for leads: rates and override clusters per journey and window, read from the folded stats."""
from __future__ import annotations

from typing import Any

from loopgate.models import Reviewer


def insights(store, caller: Reviewer, *, journey: str, start: str | None, end: str | None,
             by: str | None) -> dict[str, Any]:
    raise NotImplementedError("insights: being built (issue 11)")
