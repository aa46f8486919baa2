"""Intake and the case view: a channel posts a case, the workflow starts, the channel that posted it reads it."""
from __future__ import annotations

import hashlib
import uuid
from typing import Any

from loopgate.clock import iso, iso_from_epoch, now_iso, parse_iso
from loopgate.errors import InvalidValue, NotFound
from loopgate.models import CaseRequest, CaseStatus
from loopgate.policy.journeys import get_journey
from loopgate.ports import CaseStore, EventBus, Workflow


def new_case_id() -> str:
    return f"case-{uuid.uuid4().hex}"


def receive_case(request: CaseRequest, store: CaseStore, workflow: Workflow, channel_key: str,
                 events: EventBus) -> dict[str, Any]:
    """Stores the case as RECEIVED and starts its workflow; the execution is named after the case.

    `channel_key` identifies the API key that posted it: the case is that key's to read.
    """
    journey = get_journey(request.journey)
    if request.ai is None and journey.intake.ai == "required":
        raise InvalidValue("ai", f"is required for journey {journey.name}: send the AI's proposal and confidence")
    journey.check_payload(request.payload)
    if request.ai is not None:
        journey.check_proposal(request.ai.proposal, prefix="ai.proposal")
    case_id = new_case_id()
    case = {
        "caseId": case_id, "journey": journey.name, "channel": request.channel,
        "customer": request.customer.model_dump(exclude_none=True), "payload": request.payload,
        # Without an AI (a hand-over) there is nothing proposed: readers find an empty `ai` and no proposal.
        "ai": request.ai.model_dump(exclude_none=True) if request.ai else {},
        "proposal": request.ai.proposal if request.ai else None,
        "status": CaseStatus.RECEIVED.value, "createdAt": now_iso(), "channelKey": channel_key,
    }
    store.create_case(case)
    store.append_event(case_id, "received", f"Case received from channel '{request.channel}'",
                       actor=f"channel:{request.channel}")
    try:
        # Before the start: the workflow's own status events must not overtake RECEIVED.
        events.status_changed(case_id, journey.name, None, CaseStatus.RECEIVED.value, case["createdAt"])
        workflow.start(case_id, journey.name)
    except Exception:
        # The channel gets an error and sends again; no case may stay RECEIVED with nobody working on it.
        store.delete_case(case_id)
        raise
    return {"caseId": case_id, "status": CaseStatus.RECEIVED.value}


# Detail keys that name a person; the channel's view shows roles only.
_PEOPLE = ("approvedBy", "replaces", "reviewer", "claimedBy")
TIMELINE_LIMIT = 200


def _role(actor: str | None) -> str | None:
    return actor.split(":", 1)[0] if actor else actor


def waiting_for(store: CaseStore, case: dict[str, Any]) -> dict[str, Any] | None:
    """Whom the case waits for and until when, or None while nobody is (the workflow works, or it is closed).

    The case names the open task or step (written with its status); one GetItem on that key reads it as it is
    now: a reminder moves a step's deadline, a decision or an answer ends the wait before the status moves on.
    """
    pointer = case.get("waitingFor") or {}
    if pointer.get("who") == "reviewer" and case["status"] == CaseStatus.AWAITING_REVIEW.value:
        task = store.get_task(pointer["taskId"])
        if task["status"] != "OPEN":
            return None
        return {"who": "reviewer", "queue": task["queue"], "since": task["createdAt"], "due": task["dueAt"],
                "task": task.get("kind") or "review"}
    if pointer.get("who") == "customer" and case["status"] == CaseStatus.AWAITING_CUSTOMER.value:
        step = store.get_step(case["caseId"], pointer["stepId"])
        if step.get("answeredAt") or step.get("closedAt"):
            return None
        # The workflow waits exactly as long as the step's links stay valid (a reminder extends both).
        until = iso_from_epoch(step["validUntil"])
        return {"who": "customer", "since": iso(parse_iso(step["createdAt"])), "due": until,
                "linkExpiresAt": until}
    return None


def _override_actor(kind: str) -> str:
    """The role that departed from the proposal: a customer's correction, else a reviewer (or an auditor)."""
    return "customer" if kind.startswith("customer") else "reviewer"


def case_view(store: CaseStore, case_id: str, channel_key: str) -> dict[str, Any]:
    """A case as the channel that posted it sees it (any other key: not found); people appear as their roles."""
    case = store.get_case(case_id)
    if case.get("channelKey") != channel_key:
        raise NotFound(f"case {case_id} not found")
    events, more = store.latest_events(case_id, TIMELINE_LIMIT)
    return {
        "caseId": case["caseId"], "journey": case["journey"], "channel": case["channel"],
        "status": case["status"], "route": case.get("route"), "rule": case.get("rule"),
        "policyVersion": case.get("policyVersion"), "slice": case.get("slice"),
        "reasons": case.get("reasons", []), "proposal": case.get("proposal"),
        "aiProposal": case["ai"].get("proposal"), "waitingFor": waiting_for(store, case),
        "contactPromise": case.get("contactPromise"), "resolution": case.get("resolution"),
        "createdAt": case["createdAt"], "updatedAt": iso(parse_iso(case.get("updatedAt", case["createdAt"]))),
        "effort": {"messages": 0, "reminders": 0, "interactions": 0, **case.get("effort", {}),
                   "repeatContacts": case.get("signals", {}).get("repeat_contacts", {}).get("value", 0)},
        "timeline": [{"at": iso(parse_iso(e["at"])), "type": e["type"], "actor": _role(e.get("actor")),
                      "summary": e.get("summary"),
                      "detail": {k: v for k, v in (e.get("detail") or {}).items() if k not in _PEOPLE}}
                     for e in sorted(events, key=lambda e: parse_iso(e["at"]))],
        "timelineTruncated": more,
        "overrides": [
            {**{k: o.get(k) for k in ("overrideId", "kind", "at", "decision", "diff", "reason", "comment")},
             "actor": _override_actor(o["kind"])}
            for o in store.overrides_for_case(case_id)],
    }


def channel_key_of(api_key_id: str | None, api_key: str | None) -> str:
    """Who owns a case: the API key's id; where only the key is known, a hash of it (the key is never stored)."""
    if api_key_id:
        return api_key_id
    if api_key:
        return "key-" + hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return "anonymous"
