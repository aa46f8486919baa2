"""What leads read of the learning loop, pure: figures per window and dimension, override clusters, tell-tales.

The counters come from the folded stats (policy/learning.py names them); usecases/insights.py reads them.
"""
from __future__ import annotations

from datetime import date, datetime
from statistics import median
from typing import Any

from loopgate.policy.learning import TIME_BUCKETS, rates, summed

MIN_CLUSTER_DECISIONS = 5  # a slice's override rate ranks only on at least this many human decisions
CLUSTER_TOP = 5  # slices per ranking (most overrides, highest override rate)
TOP_REASONS = 3
MIN_TREND_DECISIONS = 5  # each half of the window needs this many decisions for an override trend to count
OPEN_CLUSTERS_SHOWN = 10
# The outcomes that, had they improved, would justify more people stepping in; lower is better for each.
OUTCOMES = ("auditDisagreementRate", "negativeFeedbackRate", "repeatContactRate", "customerRejectionRate",
            "followUpUnsolvedRate")


def figures(counters: dict[str, Any]) -> dict[str, Any]:
    """rates() with JSON's limits: a time to decision beyond the last bucket reads null plus "<p>Over": the
    bound it is beyond (JSON has no infinity)."""
    out = rates(counters)
    timing: dict[str, Any] = {}
    for name, value in out["timeToDecision"].items():
        if value == float("inf"):
            timing[name], timing[f"{name}Over"] = None, TIME_BUCKETS[-1]
        else:
            timing[name] = int(value) if value is not None else None
    out["timeToDecision"] = timing
    out["decisions"] = int(counters.get("decisions", 0) or 0)
    out["overrides"] = int(counters.get("overrides", 0) or 0)
    return out


def by_dimension(days: list[list[dict[str, Any]]], dimension: str) -> dict[str, dict[str, float]]:
    """Each value of a dimension ("rule", "slice", ...) with its counters summed over the days' stats items."""
    found: dict[str, list[dict[str, Any]]] = {}
    for items in days:
        for item in items:
            kind, _, value = str(item.get("sk", "")).partition("#")
            if kind == dimension:
                found.setdefault(value, []).append(item)
    return {value: summed(items) for value, items in found.items()}


def top_reasons(counters: dict[str, Any], n: int = TOP_REASONS) -> list[dict[str, Any]]:
    """The most given override reasons ("reason:<text>" counters), most frequent first."""
    reasons = [(name[len("reason:"):], int(count)) for name, count in counters.items()
               if name.startswith("reason:") and count]
    reasons.sort(key=lambda r: (-r[1], r[0]))
    return [{"reason": text, "count": count} for text, count in reasons[:n]]


def groups(per_value: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """One entry per value of the `by` dimension with its figures, most cases first."""
    rows = [{"value": value, **figures(counters)} for value, counters in per_value.items()]
    rows.sort(key=lambda r: (-r["cases"], -r["decisions"], r["value"]))
    return rows


def clusters(per_value: dict[str, dict[str, float]], dimension: str, *, top: int = CLUSTER_TOP,
             min_decisions: int = MIN_CLUSTER_DECISIONS) -> list[dict[str, Any]]:
    """Where overrides cluster: the values with the most overrides, and those with the highest override rate among
    those with at least `min_decisions` human decisions; each once, with its figures and top reasons."""
    overridden = {v: c for v, c in per_value.items() if c.get("overrides")}
    most = sorted(overridden, key=lambda v: (-overridden[v]["overrides"], v))[:top]
    ranked = [v for v in overridden if overridden[v].get("decisions", 0) >= min_decisions]
    highest = sorted(ranked, key=lambda v: (-overridden[v]["overrides"] / overridden[v]["decisions"],
                                            -overridden[v]["overrides"], v))[:top]
    chosen = list(dict.fromkeys(most + highest))
    chosen.sort(key=lambda v: (-overridden[v]["overrides"], v))
    return [{"dimension": dimension, "value": v, "mostOverrides": v in most, "highestRate": v in highest,
             **figures(overridden[v]), "topReasons": top_reasons(overridden[v])} for v in chosen]


def halves(first: date, last: date) -> date:
    """The first day of the window's second half (a one-day window has an empty first half)."""
    return date.fromordinal(first.toordinal() + ((last - first).days + 1) // 2)


def escalating_too_much(early: dict[str, Any], late: dict[str, Any],
                        min_decisions: int = MIN_TREND_DECISIONS) -> dict[str, Any]:
    """The article's first tell-tale: the override rate climbs from the window's first half to its second while no
    outcome improves (audit disagreement, negative feedback, repeat contacts, customer rejections)."""
    before, after = rates(early), rates(late)
    enough = early.get("decisions", 0) >= min_decisions and late.get("decisions", 0) >= min_decisions
    climbing = enough and after["overrideRate"] is not None and before["overrideRate"] is not None and \
        after["overrideRate"] > before["overrideRate"]
    outcomes = {}
    for name in OUTCOMES:
        a, b = before[name], after[name]
        outcomes[name] = {"firstHalf": a, "secondHalf": b, "improved": a is not None and b is not None and b < a}
    improved = any(o["improved"] for o in outcomes.values())
    return {"escalatingTooMuch": bool(climbing and not improved),
            "overrideRate": {"firstHalf": before["overrideRate"], "secondHalf": after["overrideRate"]},
            "decisions": {"firstHalf": int(early.get("decisions", 0)), "secondHalf": int(late.get("decisions", 0))},
            "minDecisions": min_decisions, "outcomes": outcomes}


def time_to_fix(memory: list[dict[str, Any]], adjusted_at: dict[str, str], now: datetime) -> dict[str, Any]:
    """The article's second tell-tale: how long a disagreement cluster takes to turn into a fix. A slice's cluster
    opens at its first override (memory `firstOverrideAt`) and is fixed by a learned adjustment of the live policy
    made after it; the rest are open, with their age."""
    fixed, still_open = [], []
    for item in memory:
        opened = item.get("firstOverrideAt")
        if not opened:
            continue
        key = item.get("sk") or item.get("slice")
        fix = adjusted_at.get(key)
        if fix and _parse(fix) >= _parse(opened):
            fixed.append({"slice": key, "firstOverrideAt": opened, "fixedAt": fix,
                          "seconds": int((_parse(fix) - _parse(opened)).total_seconds())})
        else:
            still_open.append({"slice": key, "firstOverrideAt": opened, "overrides": _overrides(item),
                               "ageSeconds": int((now - _parse(opened)).total_seconds())})
    still_open.sort(key=lambda o: (-o["ageSeconds"], o["slice"]))
    fixed.sort(key=lambda f: f["fixedAt"], reverse=True)
    return {"medianSeconds": int(median(f["seconds"] for f in fixed)) if fixed else None,
            "fixed": fixed, "openCount": len(still_open), "open": still_open[:OPEN_CLUSTERS_SHOWN]}


def _overrides(memory: dict[str, Any]) -> int:
    """A slice's overrides: its own counter, or (memory kept by outcome) the modified and rejected decisions."""
    if memory.get("overrides") is not None:
        return int(memory["overrides"])
    return int((memory.get("modified") or 0) + (memory.get("rejected") or 0))


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ------------------------------------------------------------------ the same figures for CloudWatch (EMF)
METRICS = (("Cases", "cases", "Count"), ("HumanTouchRate", "humanTouchRate", "None"),
           ("OverrideRate", "overrideRate", "None"), ("EscalationRate", "escalationRate", "None"),
           ("AuditDisagreementRate", "auditDisagreementRate", "None"), ("EffortPerCase", "effortPerCase", "None"),
           ("RepeatContactRate", "repeatContactRate", "None"),
           ("NegativeFeedbackRate", "negativeFeedbackRate", "None"),
           ("CustomerRejectionRate", "customerRejectionRate", "None"),
           ("FollowUpUnsolvedRate", "followUpUnsolvedRate", "None"))


def metric_values(counters: dict[str, Any]) -> list[tuple[str, str, float]]:
    """A day's figures as (metric name, CloudWatch unit, value); a rate without a denominator is left out (no
    datapoint rather than a zero that would read as "no overrides")."""
    found = figures(counters)
    values = [(name, unit, float(found[key])) for name, key, unit in METRICS if found[key] is not None]
    p90 = found["timeToDecision"].get("p90") or found["timeToDecision"].get("p90Over")
    if p90 is not None:
        values.append(("TimeToDecisionP90", "Seconds", float(p90)))
    return values


# ------------------------------------------------------------------ QA of bot conversations (GET /insights?journey=qa)
def _fail_rate(counters: dict[str, Any], name: str = "qaFailed") -> float | None:
    scored = float(counters.get("qaScored", 0) or 0)
    return round(float(counters.get(name, 0) or 0) / scored, 4) if scored else None


def qa_figures(counters: dict[str, Any]) -> dict[str, Any]:
    """The share of QA-scored conversations that failed any criterion (and a critical one); None before any."""
    return {"qaScored": int(counters.get("qaScored", 0) or 0), "qaFailed": int(counters.get("qaFailed", 0) or 0),
            "qaFailRate": _fail_rate(counters), "qaCriticalFailRate": _fail_rate(counters, "qaCriticalFailed")}


def qa_clusters(per_criterion: dict[str, dict[str, float]], labels: dict[str, str],
                critical: set[str]) -> list[dict[str, Any]]:
    """Where QA failures cluster: each criterion that failed at least once, most failures first."""
    rows = [{"dimension": "criterion", "value": name, "label": labels.get(name, name), "critical": name in critical,
             **qa_figures(counters)} for name, counters in per_criterion.items() if counters.get("qaFailed")]
    rows.sort(key=lambda r: (-r["qaFailed"], -(r["qaFailRate"] or 0), r["value"]))
    return rows


def qa_groups(per_intent: dict[str, dict[str, float]], criteria: list[str]) -> list[dict[str, Any]]:
    """Per bot and intent ("billing-bot:billing.dispute"): its figures and its failures by criterion."""
    rows = [{"dimension": "intent", "value": value, **qa_figures(counters),
             "failedBy": {name: int(counters[f"fail:{name}"]) for name in criteria if counters.get(f"fail:{name}")}}
            for value, counters in per_intent.items()]
    rows.sort(key=lambda r: (-r["qaFailed"], -r["qaScored"], r["value"]))
    return rows
