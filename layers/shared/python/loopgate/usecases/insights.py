"""Insights for leads: rates and override clusters per journey and window, read from the folded stats."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from loopgate import roles
from loopgate.clock import now, parse_iso
from loopgate.errors import Forbidden, InvalidValue
from loopgate.models import Reviewer
from loopgate.policy import insights as figures_of
from loopgate.policy.journeys import catalogue
from loopgate.policy.learning import summed
from loopgate.policy.qa import QA_LOG, qa_policy
from loopgate.usecases.learning import live_policy

DEFAULT_DAYS = 30
MAX_DAYS = 92  # one Query per day of the window: this bounds a request's reads
DIMENSIONS = ("rule", "signal", "slice", "queue", "reviewer")


def _day(name: str, value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return parse_iso(value).date() if "T" in value else date.fromisoformat(value)
    except ValueError:
        raise InvalidValue(name, "must be a day (2026-11-01) or an ISO time") from None


def window(start: str | None, end: str | None) -> tuple[date, date]:
    """[from, to] in days, both included: the last 30 days unless given, at most 92."""
    last = _day("to", end, now().date())
    first = _day("from", start, last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise InvalidValue("from", f"must not be after to ({last.isoformat()})")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidValue("from", f"the window is at most {MAX_DAYS} days (from {first} to {last} is "
                                   f"{(last - first).days + 1})")
    return first, last


def insights(store, caller: Reviewer, *, journey: str, start: str | None, end: str | None,
             by: str | None) -> dict[str, Any]:
    """A journey's figures over [from, to] (docs/learning.md "Insights"), for the group `leads`."""
    if roles.LEADS not in caller.groups:
        raise Forbidden(f"insights are for the group '{roles.LEADS}'")
    if journey == QA_LOG:
        return qa_insights(store, start=start, end=end, by=by)
    if journey not in catalogue():
        raise InvalidValue("journey", f"unknown journey {journey!r} (known: {', '.join(sorted(catalogue()))})")
    if by is not None and by not in DIMENSIONS:
        raise InvalidValue("by", f"must be one of {', '.join(DIMENSIONS)}")
    first, last = window(start, end)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    # One bounded Query per day (every dimension of that day), never a Scan.
    stats = [store.stats(journey, day.isoformat()) for day in days]
    totals = [next((i for i in items if i.get("sk") == "all#-"), {}) for items in stats]
    middle = figures_of.halves(first, last)
    early = summed([t for d, t in zip(days, totals, strict=True) if d < middle])
    late = summed([t for d, t in zip(days, totals, strict=True) if d >= middle])

    cluster_dimension = by or "slice"
    per_cluster_value = figures_of.by_dimension(stats, cluster_dimension)
    policy, _ = live_policy(store, journey)
    adjusted_at = {a.slice: a.at for a in policy.adjustments}
    return {
        "journey": journey, "from": first.isoformat(), "to": last.isoformat(),
        **figures_of.figures(summed(totals)),
        "by": by,
        "groups": figures_of.groups(figures_of.by_dimension(stats, by)) if by else [],
        "clusters": figures_of.clusters(per_cluster_value, cluster_dimension),
        "telltales": {
            "escalatingTooMuch": figures_of.escalating_too_much(early, late),
            "timeToFix": figures_of.time_to_fix(store.memory_slices(journey), adjusted_at, now()),
        },
    }


def qa_insights(store, *, start: str | None, end: str | None, by: str | None) -> dict[str, Any]:
    """QA of bot conversations over [from, to] (docs/qa.md): the fail rate, failures by criterion (clusters) and
    by bot intent (groups), from the stats the QA scores folded under the QA log's name."""
    if by is not None:
        raise InvalidValue("by", "QA insights come by criterion (clusters) and by bot intent (groups); leave by out")
    first, last = window(start, end)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    stats = [store.stats(QA_LOG, day.isoformat()) for day in days]  # one bounded Query per day
    totals = summed([i for items in stats for i in items if i.get("sk") == "all#-"])
    policy = qa_policy()
    return {
        "journey": QA_LOG, "from": first.isoformat(), "to": last.isoformat(), **figures_of.qa_figures(totals),
        "clusters": figures_of.qa_clusters(figures_of.by_dimension(stats, "criterion"),
                                           {c.name: c.labels["en"] for c in policy.scorecard},
                                           {c.name for c in policy.scorecard if c.critical}),
        "groups": figures_of.qa_groups(figures_of.by_dimension(stats, "intent"), [c.name for c in policy.scorecard]),
    }


def day_metrics(store, day: str) -> dict[str, list[tuple[str, str, float]]]:
    """Each journey's figures of one day as metrics (for EMF): one Query per journey, of its `all` item only."""
    return {name: figures_of.metric_values(summed(store.stats(name, day, prefix="all#")))
            for name in sorted(catalogue())}
