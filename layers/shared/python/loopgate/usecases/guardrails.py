"""Outcome guardrails: checked per window; a trip pulls the journey's automation back to people (docs/learning.md)."""
from __future__ import annotations

from typing import Any

from loopgate import roles
from loopgate.clock import now, now_iso
from loopgate.errors import Conflict, Forbidden, NotFound
from loopgate.models import GuardrailReset, Reviewer
from loopgate.policy.guardrails import baseline_days, check, held_until, reading, window_days
from loopgate.policy.journeys import Guardrail, Journey, catalogue
from loopgate.policy.learning import summed
from loopgate.ports import CaseStore, SupervisorAlerts

SCHEDULE = "hourly check"  # who ran a check when no lead did
_SHOWN = ("journey", "name", "state", "metric", "value", "threshold", "since", "restoreAt", "cases", "checkedAt",
          "heldUntil", "note")


def _require_lead(caller: Reviewer) -> None:
    if roles.LEADS not in caller.groups:
        raise Forbidden(f"guardrails are for the group '{roles.LEADS}'")


def _stored(store: CaseStore, journey: str) -> dict[str, dict[str, Any]]:
    """The journey's guardrail state items by name (the same Query scoring makes)."""
    _, states = store.live_policy(journey)
    return {s["sk"].rsplit("#", 1)[1]: s for s in states}


def run_checks(store: CaseStore, alerts: SupervisorAlerts, caller: Reviewer | None) -> dict[str, Any]:
    """Checks every declared guardrail; `caller` None for the hourly job, else a lead. {"items": [...]}; an item
    whose state this check changed says so in `change` ("tripped" or "restored")."""
    if caller is not None:
        _require_lead(caller)
    items = []
    for journey in catalogue().values():
        if not journey.guardrails:
            continue
        stored = _stored(store, journey.name)
        counters = _DayCounters(store, journey.name)
        for guardrail in journey.guardrails:
            items.append(_check(store, alerts, journey, guardrail, stored.get(guardrail.name) or {}, counters,
                                caller))
    return {"items": items}


class _DayCounters:
    """A journey's counters per day (dimension all): one Query per day, shared by the journey's guardrails."""

    def __init__(self, store: CaseStore, journey: str):
        self.store, self.journey, self.days = store, journey, {}

    def __call__(self, day: str) -> dict[str, Any]:
        if day not in self.days:
            self.days[day] = next(iter(self.store.stats(self.journey, day, "all#-")), {})
        return self.days[day]


def _check(store: CaseStore, alerts: SupervisorAlerts, journey: Journey, guardrail: Guardrail,
           current: dict[str, Any], counters: _DayCounters, caller: Reviewer | None) -> dict[str, Any]:
    today = now().date()
    state = current.get("state", "ok")
    since = current.get("since") if state == "tripped" else None
    window = reading(guardrail, summed([counters(d) for d in window_days(guardrail, today)]))
    baseline = (reading(guardrail, summed([counters(d) for d in baseline_days(guardrail, today)]))
                if guardrail.baselineRatio is not None else None)
    held = state == "ok" and (current.get("heldUntil") or "") > today.isoformat()
    verdict = check(guardrail, state, window, baseline, held=held)
    at = now_iso()
    reading_fields = {"journey": journey.name, "name": guardrail.name, "metric": guardrail.metric,
                      "value": verdict.value, "threshold": verdict.threshold, "restoreAt": verdict.restoreAt,
                      "cases": verdict.cases, "checkedAt": at, "note": verdict.note}
    by = caller.sub if caller else SCHEDULE
    log = {"at": at, "metric": guardrail.metric, "value": verdict.value, "threshold": verdict.threshold,
           "cases": verdict.cases, "by": by}
    if verdict.state != state:
        changed = {**reading_fields, "state": verdict.state, "since": at}
        if verdict.state == "tripped":
            changed["alerted"] = False
        event = "tripped" if verdict.state == "tripped" else "restored"
        if store.change_guardrail(journey.name, guardrail.name, changed, {**log, "event": event},
                                  expect_since=since):
            if event == "tripped":
                _alert(store, alerts, journey, guardrail, changed)
            return {**_view(changed), "change": event}
        # Another check (or a lead) changed it first: theirs stands, and theirs alerted.
        return _view(_stored(store, journey.name).get(guardrail.name) or changed)
    store.note_guardrail_check(journey.name, guardrail.name, reading_fields, expect_since=since)
    if state == "tripped" and not current.get("alerted"):
        _alert(store, alerts, journey, guardrail, {**current, **reading_fields})  # the first alert did not go out
    return _view({**current, **reading_fields, "state": state})


def _alert(store: CaseStore, alerts: SupervisorAlerts, journey: Journey, guardrail: Guardrail,
           state: dict[str, Any]) -> None:
    """Alerts the supervisors once per trip: the claim is a conditional write; a failed publish gives it back so
    that the next check alerts."""
    if not store.mark_guardrail_alerted(journey.name, guardrail.name, state["since"], True):
        return
    action = ("its automatic and customer routes go to a reviewer first" if guardrail.action == "people"
              else f"its automatic routes are audited at {guardrail.auditRate:.0%}")
    text = (f"Guardrail '{guardrail.name}' on the {journey.title} journey ({journey.name}) tripped at "
            f"{state['since']}: {guardrail.metric} was {state['value']:g} over the last {guardrail.windowDays} "
            f"day(s) ({state['cases']} cases), above {state['threshold']:g}. {guardrail.explain}\n\nUntil it "
            f"restores (at or below {state['restoreAt']:g}) {action}. A lead can reset it with a reason: "
            f"POST /guardrails/{journey.name}/{guardrail.name}/reset.")
    try:
        alerts.guardrail_tripped(journey.name, guardrail.name, text)
    except Exception:
        store.mark_guardrail_alerted(journey.name, guardrail.name, state["since"], False)
        raise


def _view(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state.get(k) for k in _SHOWN} | {"state": state.get("state") or "ok"}


def _history(store: CaseStore, journey: str, name: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in entry.items() if k not in ("pk", "sk", "journey", "name")}
            for entry in store.guardrail_history(journey, name)]


def list_guardrails(store: CaseStore, caller: Reviewer) -> dict[str, Any]:
    """Every declared guardrail with its state (ok when never tripped) and its recent history, newest first."""
    _require_lead(caller)
    items = []
    for journey in catalogue().values():
        if not journey.guardrails:
            continue
        stored = _stored(store, journey.name)
        for guardrail in journey.guardrails:
            declared = {"journey": journey.name, "name": guardrail.name, "metric": guardrail.metric,
                        "threshold": guardrail.max}
            state = _view({**declared, **{k: v for k, v in (stored.get(guardrail.name) or {}).items()
                                          if v is not None}})
            items.append({**state, "action": guardrail.action, "windowDays": guardrail.windowDays,
                          "explain": guardrail.explain, "history": _history(store, journey.name, guardrail.name)})
    return {"items": items}


def reset(store: CaseStore, caller: Reviewer, journey: str, name: str, request: GuardrailReset) -> dict[str, Any]:
    """A lead restores a tripped guardrail with a reason. The reset holds until the window no longer holds the day
    of the reset: the cases the lead judged do not trip it again."""
    _require_lead(caller)
    declared = catalogue().get(journey)
    if declared is None:
        raise NotFound(f"journey {journey!r} is not known (known: {', '.join(sorted(catalogue()))})")
    guardrail = next((g for g in declared.guardrails if g.name == name), None)
    if guardrail is None:
        known = ", ".join(g.name for g in declared.guardrails) or "none"
        raise NotFound(f"guardrail {name!r} is not declared on journey {journey!r} (declared: {known})")
    current = _stored(store, journey).get(name) or {}
    if current.get("state") != "tripped":
        raise Conflict(f"guardrail {name!r} on journey {journey!r} is not tripped")
    at = now_iso()
    state = {**{k: v for k, v in current.items() if k not in ("pk", "sk", "alerted")}, "state": "ok", "since": at,
             "heldUntil": held_until(guardrail, now().date()), "note": None}
    log = {"at": at, "event": "reset", "by": caller.sub, "byName": caller.name, "reason": request.reason,
           "metric": guardrail.metric, "value": current.get("value"), "threshold": current.get("threshold")}
    if not store.change_guardrail(journey, name, state, log, expect_since=current["since"]):
        raise Conflict(f"guardrail {name!r} on journey {journey!r} changed meanwhile; reload and decide again")
    return {**_view(state), "history": _history(store, journey, name)}
