"""Intake and the case view: a channel posts a case, the workflow starts, anyone with the key reads it."""
from __future__ import annotations

import uuid
from typing import Any

from .adapters.dynamo import CaseStore
from .adapters.workflow import Workflow
from .clock import iso, now_iso, parse_iso
from .journeys import get_journey
from .models import CaseRequest, CaseStatus


def new_case_id() -> str:
    return f"case-{uuid.uuid4().hex}"


def receive_case(request: CaseRequest, store: CaseStore, workflow: Workflow) -> dict[str, Any]:
    """Stores the case as RECEIVED and starts its workflow; the execution is named after the case."""
    journey = get_journey(request.journey)
    journey.check_payload(request.payload)
    journey.check_proposal(request.ai.proposal, prefix="ai.proposal")
    case_id = new_case_id()
    case = {
        "caseId": case_id, "journey": journey.name, "channel": request.channel,
        "customer": request.customer.model_dump(exclude_none=True), "payload": request.payload,
        "ai": request.ai.model_dump(exclude_none=True), "proposal": request.ai.proposal,
        "status": CaseStatus.RECEIVED.value, "createdAt": now_iso(),
    }
    store.create_case(case)
    store.append_event(case_id, "received", f"Case received from channel '{request.channel}'",
                       actor=f"channel:{request.channel}")
    try:
        workflow.start(case_id, journey.name)
    except Exception:
        # The channel gets an error and sends again; no case may stay RECEIVED with nobody working on it.
        store.delete_case(case_id)
        raise
    return {"caseId": case_id, "status": CaseStatus.RECEIVED.value}


def case_view(store: CaseStore, case_id: str) -> dict[str, Any]:
    case, events = store.get_case_with_timeline(case_id)
    return {
        "caseId": case["caseId"], "journey": case["journey"], "channel": case["channel"],
        "status": case["status"], "route": case.get("route"), "rule": case.get("rule"),
        "reasons": case.get("reasons", []), "proposal": case.get("proposal"),
        "createdAt": case["createdAt"], "updatedAt": iso(parse_iso(case.get("updatedAt", case["createdAt"]))),
        "effort": {"messages": 0, "reminders": 0, "interactions": 0, **case.get("effort", {}),
                   "repeatContacts": case.get("signals", {}).get("repeat_contacts", {}).get("value", 0)},
        "timeline": [{"at": iso(parse_iso(e["at"])), "type": e["type"], "actor": e.get("actor"),
                      "summary": e.get("summary"), "detail": e.get("detail") or {}}
                     for e in sorted(events, key=lambda e: parse_iso(e["at"]))],
        "overrides": [
            {k: o.get(k) for k in ("overrideId", "kind", "at", "reviewer", "decision", "diff", "reason", "comment")}
            for o in store.overrides_for_case(case_id)],
    }
