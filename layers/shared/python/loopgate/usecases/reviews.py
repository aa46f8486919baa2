"""Review tasks: opened by the workflow on a task token, listed by queue, claimed, decided by a reviewer."""
from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger

from loopgate.clock import epoch, iso, iso_from_epoch, now, now_iso
from loopgate.errors import Conflict, Forbidden, InvalidInput, InvalidValue
from loopgate.models import CaseStatus, Plan, ReviewDecision, Reviewer, ReviewFeedback, proposal_version
from loopgate.policy.authority import check_authority, check_capability
from loopgate.policy.edits import edit_findings
from loopgate.policy.journeys import FieldSpec, Journey, catalogue, get_journey
from loopgate.policy.overrides import override_record
from loopgate.policy.planning import reviewer_override
from loopgate.ports import CaseStore, CustomerMessenger, EventBus, Workflow
from loopgate.usecases.contact import promise_contact
from loopgate.usecases.deadlines import WARN_SHARE
from loopgate.usecases.learning import (
    fact_part,
    observe_after_effect,
    observe_audit,
    observe_feedback,
    observe_touched,
    precedent,
)
from loopgate.usecases.paging import decode_cursor, encode_cursor
from loopgate.usecases.qa import decide_qa, qa_view

logger = Logger(child=True)

LEASE_SECONDS = 15 * 60
PAGE_SIZE = 25

# Each option's `label` is what a person reads (the console shows no action names); `action` is what the API takes.
OPTIONS = [
    {"action": "approve", "label": "Approve",
     "does": "Accept the proposal as it stands; the workflow goes on (customer step or execution)."},
    {"action": "modify", "label": "Change the proposal",
     "does": "Edit the proposal before it is committed; needs a reason; recorded in the override log."},
    {"action": "reject", "label": "Reject",
     "does": "Refuse the proposal and close the case as REJECTED; needs a reason code and is logged."},
    {"action": "escalate", "label": "Escalate",
     "does": "Hand the case to the senior queue; needs a reason; recorded in the override log."},
    {"action": "ask_customer", "label": "Ask the customer",
     "does": "Ask the customer for the fields you name; the case comes back to this queue with the answer."},
]
CONTACT_OPTIONS = [
    {"action": "contacted", "label": "Reached them",
     "does": "You reached the customer; the case closes (nothing is executed)."},
    {"action": "resolved", "label": "Reached them and it is settled",
     "does": "You reached the customer and the matter is settled; the case closes."},
    {"action": "not_reached", "label": "Could not reach them",
     "does": "You could not reach the customer; needs a comment (what you tried). The customer is told we tried "
             "and how to reach us; the case closes."},
    {"action": "escalate", "label": "Escalate",
     "does": "Hand the contact to the senior queue; needs a reason."},
]
CONTACT_ACTIONS = frozenset(o["action"] for o in CONTACT_OPTIONS)
AUDIT_OPTIONS = [
    {"action": "approve", "label": "Agree", "does": "Agree with what the automation decided; nothing changes."},
    {"action": "reject", "label": "Disagree: it should not have done this",
     "does": "Disagree: the automation should not have done this; needs a reason; logged as an audit disagreement."},
    {"action": "modify", "label": "Disagree: record what it should have done",
     "does": "Disagree: record what it should have done; needs a reason; logged as an audit disagreement."},
]


def task_id_for(task_token: str) -> str:
    """A stable, opaque id for a task token: a Lambda retry with the same token finds the same task."""
    return hashlib.sha256(task_token.encode("utf-8")).hexdigest()[:24]


# ---------------------------------------------------------------- opened by the workflow
def open_review(store: CaseStore, state: dict[str, Any], task_token: str, events: EventBus,
                messenger: CustomerMessenger | None = None) -> dict[str, Any]:
    """Stores a review task holding the token; a retried call with the same token opens nothing new. A contact
    task tells the customer by when a person will contact them (through `messenger`)."""
    plan = Plan.model_validate(state["plan"])
    case = store.get_case(state["caseId"])
    journey = get_journey(case["journey"])
    # What the routing rule demands holds even when a failed step rebuilt the plan without it.
    routed = journey.decision_named(case.get("rule"))
    kind = "contact" if journey.task == "contact" else plan.task
    task_id = task_id_for(task_token)
    created = now()
    due = created + timedelta(seconds=plan.limits.reviewSeconds)
    task = {
        "taskId": task_id, "caseId": case["caseId"], "journey": case["journey"], "kind": kind,
        "queue": plan.queue, "priority": plan.priority, "status": "OPEN", "createdAt": iso(created),
        "dueAt": iso(due), "warnAt": iso(due - (due - created) * WARN_SHARE),
        "reason": plan.reason, "escalated": plan.escalated, "authority": plan.authority or routed.authority,
        "capability": plan.capability or routed.capability,
        "fourEyes": plan.fourEyes or routed.fourEyes, "taskToken": task_token,
        # What the queue's rows show, written once here so listing a queue reads no case item per row.
        "brief": task_brief(case, get_journey(case["journey"])),
    }
    created = store.put_task(task)
    if not created:
        task = store.get_task(task_id)
    # A retried call (same token) finishes what an earlier attempt may have left half done; the event is keyed
    # by the task's creation time, so it is written once.
    if case.get("openTaskId") != task_id:
        previous = case.get("openTaskId")
        observe_touched(store, case)  # the first review task counts; later ones (moves, escalations) add nothing
        if previous:
            store.close_task(previous, "MOVED", {"movedTo": task_id})
        why = f" ({plan.reason.replace('_', ' ')})" if plan.reason else ""
        store.append_event(case["caseId"], "review_requested",
                           f"Waiting for a reviewer in queue '{plan.queue}'{why}",
                           detail={"taskId": task_id, "queue": plan.queue, "dueAt": task["dueAt"]},
                           at=task["createdAt"])
        # Where the channel's view finds whom the case waits for, with one GetItem on the task's key.
        updated = store.update_case(case, {"status": CaseStatus.AWAITING_REVIEW.value, "openTaskId": task_id,
                                           "waitingFor": {"who": "reviewer", "taskId": task_id}})
        if case["status"] != CaseStatus.AWAITING_REVIEW.value:  # a move to another queue changes no status
            events.status_changed(case["caseId"], case["journey"], case["status"], CaseStatus.AWAITING_REVIEW.value,
                                  task["createdAt"])
        case = updated
    if task["kind"] == "contact" and messenger is not None:
        # After the task exists: what the customer is told is the due time of a task a person can already see.
        promise_contact(store, messenger, case, task)
    return {"taskId": task_id, "created": created}


def task_brief(case: dict[str, Any], journey: Journey) -> dict[str, Any]:
    """Why the case is here (its first reason in words), whose it is, and its key figure, for the queue's row."""
    reasons = [r.get("text") for r in case.get("reasons") or [] if isinstance(r, dict) and r.get("text")]
    customer = case.get("customer") or {}
    brief = {"reason": reasons[0] if reasons else None, "customer": customer.get("name") or customer.get("id")}
    figure = key_figure(journey, case.get("proposal") or {}, case.get("payload") or {})
    if figure:
        brief["figure"] = figure
    return brief


def key_figure(journey: Journey, proposal: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any] | None:
    """The number a reviewer triages by: the proposal's first money field, else the request's, else the
    proposal's first number; None when the case has none (a complaint)."""
    def numbers(values: dict[str, Any], fields: dict[str, FieldSpec], money: bool):
        for name, spec in fields.items():
            value = values.get(name)
            if spec.type in ("number", "integer") and isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and (spec.display == "money") == money:
                yield name, spec, value, values
    found = next(numbers(proposal, journey.proposal.properties, True), None) \
        or next(numbers(payload, journey.payload.properties, True), None) \
        or next(numbers(proposal, journey.proposal.properties, False), None)
    if not found:
        return None
    name, spec, value, values = found
    currency = values.get(spec.currencyField) if spec.currencyField else None
    currency = currency if isinstance(currency, str) and len(currency) == 3 else spec.currency
    figure = {"field": name, "label": spec.label or name, "value": value, "display": spec.display or "number"}
    if currency:
        figure["currency"] = currency
    return figure


def escalates_to(task: dict[str, Any], journey: Journey) -> str | None:
    """The queue an escalation of this task opens in (the workflow's ladder, policy/planning.py), or None at the
    top: the supervisors' cases stay with them."""
    queues = journey.queues
    if task["queue"] == queues.supervisor:
        return None
    return queues.supervisor if task["queue"] == queues.senior or task.get("capability") else queues.senior


def audit_task(task_id: str, case_id: str, journey: str, queue: str, at: str) -> dict[str, Any]:
    """A non-blocking audit of an automatic case (the workflow opens it; nobody waits on it)."""
    return {"taskId": task_id, "caseId": case_id, "journey": journey, "kind": "audit", "queue": queue,
            "priority": 9, "status": "OPEN", "reason": "audit_sample", "escalated": False, "createdAt": at,
            "dueAt": at}


# ---------------------------------------------------------------- the queue
def _public(task: dict[str, Any]) -> dict[str, Any]:
    """A task as reviewers see it: never the task token."""
    keys = ("taskId", "caseId", "journey", "kind", "queue", "priority", "status", "createdAt", "dueAt", "reason",
            "escalated", "authority", "capability", "fourEyes", "claimedBy", "leaseUntil", "warnedAt", "interactionId")
    view = {k: task.get(k) for k in keys}
    if view["leaseUntil"] and view["leaseUntil"] >= epoch():
        view["leaseUntil"] = iso_from_epoch(view["leaseUntil"])
    else:  # a lease that ran out holds nothing: anyone may claim the task, so nobody is shown as holding it
        view["claimedBy"] = view["leaseUntil"] = None
    view["awaitingSecondApproval"] = bool(task.get("firstApproval"))
    if task.get("firstApproval"):
        view["firstApprovalBy"] = task["firstApproval"]["by"]
    # Tasks opened before the brief existed show none: listing a queue never reads the case item.
    brief = task.get("brief") or {}
    journey = catalogue().get(task["journey"])
    view.update({"title": brief.get("title") or (journey.title if journey else task["journey"]),
                 "reasonText": brief.get("reason"),
                 "customer": brief.get("customer"), "keyFigure": brief.get("figure")})
    return view


def list_reviews(store: CaseStore, caller: Reviewer, limit: int = PAGE_SIZE,
                 cursor: str | None = None) -> dict[str, Any]:
    """The caller's queues merged, priority first then age; the cursor remembers each queue's position."""
    if not 1 <= limit <= 100:
        raise InvalidInput("limit", "must be between 1 and 100")
    positions = decode_cursor(cursor, lambda found: all(
        queue in caller.groups and (position == "done" or store.is_queue_position(position, queue))
        for queue, position in found.items()))
    candidates, more = [], {}
    for queue in caller.groups:
        if positions.get(queue) == "done":
            continue
        tasks, more[queue] = store.open_tasks(queue, limit=limit, after=positions.get(queue))
        candidates += tasks
    candidates.sort(key=lambda t: (t["priority"], t["createdAt"], t["taskId"]))
    page = candidates[:limit]
    after = dict(positions)
    for queue in caller.groups:
        taken = [t for t in page if t["queue"] == queue]
        offered = [t for t in candidates if t["queue"] == queue]
        if taken:
            after[queue] = store.queue_position(taken[-1])
        if queue in more and len(taken) == len(offered) and not more[queue]:
            after[queue] = "done"
    finished = all(after.get(q) == "done" for q in caller.groups)
    return {"items": [_public(t) for t in page], "nextCursor": None if finished else encode_cursor(after)}


def _visible_task(store: CaseStore, caller: Reviewer, task_id: str) -> dict[str, Any]:
    task = store.get_task(task_id)
    if task["queue"] not in caller.groups:
        raise Forbidden(f"task {task_id} is in queue '{task['queue']}', which you do not work")
    return task


def review_view(store: CaseStore, caller: Reviewer, task_id: str) -> dict[str, Any]:
    """What the system saw, what it tried, why it is here, and what the reviewer may do."""
    task = _visible_task(store, caller, task_id)
    if task.get("kind") == "qa":  # a bot conversation, not a case
        return qa_view(store, _public(task), task)
    case, events = store.get_case_with_timeline(task["caseId"])
    journey = get_journey(case["journey"])
    return {
        **_public(task),
        "saw": {"channel": case["channel"], "customer": case["customer"], "payload": case["payload"],
                "history": [{k: e.get(k) for k in ("at", "type", "actor", "summary")} for e in events]},
        "tried": {"proposal": case.get("proposal"), "aiProposal": case["ai"].get("proposal"),
                  "confidence": case["ai"].get("confidence"), "draft": case["ai"].get("draft")},
        "contact": contact_brief(case) if task.get("kind") == "contact" else None,
        "why": {"route": case.get("route"), "rule": case.get("rule"), "reasons": case.get("reasons", []),
                "signals": case.get("signals", {})},
        "precedent": precedent(store, case),
        "options": options_for(task, journey),
        "escalatesTo": None if task.get("kind") == "audit" else escalates_to(task, journey),
        "proposalFields": {name: spec.model_dump(exclude_none=True, exclude={"properties"})
                           for name, spec in journey.proposal.properties.items()},
        "rejectReasons": journey.rejectReasons,
        "askableFields": sorted(journey.payload.properties),
        # What the console calls each askable field: the journey's label where it declares one.
        "askableLabels": {name: spec.label for name, spec in journey.payload.properties.items() if spec.label},
        "firstApproval": task.get("firstApproval"),
        "pendingProposal": pending_proposal(task, case),
        "proposalVersion": proposal_version(pending_proposal(task, case)),
        "feedback": [{k: f.get(k) for k in ("reviewer", "helpful", "comment", "at")}
                     for f in store.feedback_for(case["caseId"]) if f["taskId"] == task_id],
    }


def options_for(task: dict[str, Any], journey: Journey) -> list[dict[str, str]]:
    """What this kind of task lets a person do: an audit agrees or not, a contact ends in a resolution (it has no
    proposal to approve, change or refuse), a review decides the proposal."""
    if task.get("kind") == "audit":
        return AUDIT_OPTIONS
    if task.get("kind") == "contact":
        upper = escalates_to(task, journey)
        return [{**o, "label": f"Escalate to {upper}",
                 "does": f"Hand the contact to the '{upper}' queue; needs a reason."}
                if o["action"] == "escalate" else o
                for o in CONTACT_OPTIONS if o["action"] != "escalate" or upper]
    return review_options(task, journey)


def contact_brief(case: dict[str, Any]) -> dict[str, Any]:
    """What the person who contacts the customer needs first: the conversation, what the bot understood and tried,
    why it gave up, how the customer wants to be contacted and what they were promised."""
    payload = case.get("payload") or {}
    return {"transcript": payload.get("transcript") or [], "intent": payload.get("intent"),
            "intentConfidence": payload.get("intentConfidence"), "tried": payload.get("tried") or [],
            "gaveUpBecause": payload.get("gaveUpBecause"), "skill": payload.get("skill"),
            "preferredContact": payload.get("preferredContact"), "promise": case.get("contactPromise")}


def review_options(task: dict[str, Any], journey: Journey) -> list[dict[str, str]]:
    """The actions that can succeed on this task, escalation saying where it really goes (none at the top)."""
    upper = escalates_to(task, journey)
    return [{**o, "label": f"Escalate to {upper}",
             "does": f"Hand the case to the '{upper}' queue; needs a reason; recorded in the override log."}
            if o["action"] == "escalate" else o
            for o in OPTIONS if o["action"] != "escalate" or upper]


# ---------------------------------------------------------------- claims
def claim(store: CaseStore, caller: Reviewer, task_id: str) -> dict[str, Any]:
    task = _visible_task(store, caller, task_id)
    now_epoch = epoch()
    until = now_epoch + LEASE_SECONDS
    renewal = task.get("claimedBy") == caller.sub and task.get("leaseUntil", 0) >= now_epoch
    if not store.claim_task(task_id, caller.sub, now_epoch, until):
        raise Conflict(_why_not_open(store.get_task(task_id), caller))
    if not renewal and task.get("caseId"):  # the holder extending the lease is not news; a QA task has no case
        store.append_event(task["caseId"], "review_claimed", "A reviewer is working on the task",
                           actor=f"reviewer:{caller.sub}", detail={"taskId": task_id})
    return {"taskId": task_id, "claimedBy": caller.sub, "leaseUntil": iso_from_epoch(until)}


def release(store: CaseStore, caller: Reviewer, task_id: str) -> dict[str, Any]:
    """The holder gives the task back before the lease runs out: the next reviewer need not wait for it."""
    task = _visible_task(store, caller, task_id)
    if not store.release_task(task_id, caller.sub):
        now_task = store.get_task(task_id)
        if now_task["status"] == "OPEN" and now_task.get("claimedBy") != caller.sub:
            holder = now_task.get("claimedBy")
            raise Conflict(f"task {task_id} is claimed by {holder}; only they can release it" if holder
                           else f"task {task_id} is not claimed: there is nothing to release")
        raise Conflict(_why_not_open(now_task, caller))
    if task.get("caseId"):  # a QA task has no case
        store.append_event(task["caseId"], "review_released", "The reviewer put the task back in the queue",
                           actor=f"reviewer:{caller.sub}", detail={"taskId": task_id})
    return {"taskId": task_id, "claimedBy": None, "leaseUntil": None}


def _why_not_open(task: dict[str, Any], caller: Reviewer) -> str:
    if task["status"] != "OPEN":
        return f"task {task['taskId']} is no longer open ({task['status'].lower()})"
    if task.get("claimedBy") and task["claimedBy"] != caller.sub and task.get("leaseUntil", 0) >= epoch():
        return f"task {task['taskId']} is claimed by {task['claimedBy']} until {iso_from_epoch(task['leaseUntil'])}"
    if task.get("firstApproval", {}).get("by") == caller.sub:
        return "you gave the first approval; a second, different reviewer must approve"
    return f"task {task['taskId']} changed meanwhile; reload it"


# ---------------------------------------------------------------- decisions
def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", dict: "object", list: "array", type(None): "null"}.get(type(value), "value")


def pending_proposal(task: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    """What an approval of this task commits: a four-eyes task's pending proposal, else the case's."""
    return (task.get("firstApproval") or {}).get("proposal") or case["proposal"]


def check_kind(task: dict[str, Any], decision: ReviewDecision) -> None:
    """A contact task ends in a resolution; a review decides a proposal: neither takes the other's actions."""
    contact = task.get("kind") == "contact"
    if contact and decision.action not in CONTACT_ACTIONS:
        raise InvalidInput("action", f"a contact task has no proposal to {decision.action}: record how the contact "
                           f"ended ({', '.join(sorted(CONTACT_ACTIONS - {'escalate'}))}) or escalate")
    if not contact and decision.action in CONTACT_ACTIONS - {"escalate"}:
        raise InvalidInput("action", f"{decision.action} ends a contact task; this task reviews a proposal")
    if decision.action == "not_reached" and not (decision.comment or "").strip():
        raise InvalidInput("comment", "is required for not_reached: say how you tried to reach the customer")


def check_decision(decision: ReviewDecision, current: dict[str, Any], case: dict[str, Any]) -> None:
    journey = get_journey(case["journey"])
    if decision.proposalVersion is not None and decision.proposalVersion != proposal_version(current):
        raise Conflict("the proposal changed since you loaded this task; reload it and decide again")
    if decision.action in CONTACT_ACTIONS - {"escalate"}:
        return  # how a contact ended departs from no proposal: check_kind asked what it needs
    if decision.action == "modify":
        if decision.proposal is None:
            raise InvalidInput("proposal", "is required to modify: send the edited proposal")
        if decision.proposal == current:
            raise InvalidInput("proposal", "is unchanged; approve instead of modify")
        for key, value in decision.proposal.items():
            if key in current and current[key] is not None and _json_type(value) != _json_type(current[key]):
                raise InvalidInput(f"proposal.{key}", f"must be a {_json_type(current[key])}, as in the AI's proposal")
    if decision.action in ("approve", "modify"):
        # Every commit re-checks the journey's bounds, whoever wrote the proposal.
        journey.check_proposal(decision.proposal if decision.action == "modify" else current)
    if decision.action == "modify":
        # What a person writes is judged like what the AI wrote.
        findings = edit_findings(decision.proposal, case["customer"], journey)
        if findings:
            field, finding = findings[0]
            raise InvalidValue(field, f"{finding}; an edit must not carry that")
    if decision.action == "ask_customer":
        asked = decision.fields or []
        if not asked:
            raise InvalidInput("fields", "name the payload fields the customer should provide")
        unknown = sorted(set(asked) - set(journey.payload.properties))
        if unknown:
            raise InvalidInput("fields", f"{unknown[0]!r} is not a field of journey {journey.name}")
        if not (case["customer"].get("email") or case["customer"].get("phone")):
            raise InvalidInput("action", "the customer has neither email nor phone to ask")
        return
    if decision.action != "approve" and not (decision.reason or "").strip():
        raise InvalidInput("reason", f"is required to {decision.action}: say why you depart from the proposal")
    if decision.action == "reject" and decision.reason not in journey.rejectReasons:
        raise InvalidInput("reason", f"must be one of {', '.join(journey.rejectReasons)}")


def _actor(caller: Reviewer) -> dict[str, Any]:
    return {"kind": "reviewer", "id": caller.sub, "name": caller.name, "groups": list(caller.groups)}


def decide(store: CaseStore, workflow: Workflow, caller: Reviewer, task_id: str,
           decision: ReviewDecision, events: EventBus | None = None) -> dict[str, Any]:
    task = _visible_task(store, caller, task_id)
    if task.get("kind") == "qa":
        return decide_qa(store, workflow, events, caller, task, decision)
    if decision.action == "score" or decision.scores is not None or decision.followUp is not None:
        raise InvalidInput("action" if decision.action == "score" else "scores" if decision.scores is not None
                           else "followUp", "a scorecard is for QA tasks; this task is decided on its proposal")
    case = store.get_case(task["caseId"])
    if task.get("kind") == "audit":
        return decide_audit(store, caller, task, case, decision)
    check_kind(task, decision)
    pending = task.get("firstApproval")
    current = pending_proposal(task, case)
    if decision.action == "escalate" and not escalates_to(task, get_journey(case["journey"])):
        raise InvalidInput("action", f"queue '{task['queue']}' is the top of the ladder: nobody to escalate to; "
                           "decide the case or ask the customer")
    check_decision(decision, current, case)
    record = decision.model_dump(exclude_none=True, exclude={"proposalVersion"})
    if decision.action != "escalate":  # handing a case up needs no capability; deciding it does
        check_capability(task.get("capability"), caller.groups)
    if decision.action in ("approve", "modify"):
        committed = decision.proposal if decision.action == "modify" else current
        check_authority(task.get("authority"), caller.groups, committed, case)
        if task.get("fourEyes") and (decision.action == "modify" or not pending):
            # A new proposal, or the first approval: a second, different reviewer must approve it as it stands.
            return _propose_for_second_approval(store, caller, task, case, record, committed, replaces=pending)
    second_of = pending if decision.action == "approve" else None
    if second_of and second_of["by"] == caller.sub:
        raise Conflict(_why_not_open(task, caller))
    if second_of and decision.proposalVersion is None:
        # The second approval counts for the proposal its reviewer saw, never for one that replaced it meanwhile.
        raise InvalidInput("proposalVersion", "is required for a second approval: send the proposalVersion that "
                           "GET /reviews/{taskId} showed with the pending proposal")
    output = {"actor": _actor(caller), "taskId": task_id, "at": now_iso(), **record}
    if second_of:
        # What goes ahead is the pending proposal, as its author made it; the caller is the second approver.
        output.update({k: second_of[k] for k in ("action", "proposal", "reason", "comment") if second_of.get(k)})
        output.update({"actor": second_of["actor"], "approvedBy": caller.sub, "proposedAt": second_of["at"]})
    if not store.decide_task(task_id, caller.sub, epoch(), record, second_approval_of=second_of):
        _log_refused(task, caller, decision)
        raise Conflict(_why_not_open(store.get_task(task_id), caller))
    try:
        workflow.resume(task["taskToken"], output)
    except Conflict:
        try:  # the answer is "too late" (409) even when marking it so fails: a 5xx would invite a retry
            if store.close_task(task_id, "LATE", expected="DECIDED"):
                store.append_event(task["caseId"], "late_decision",
                                   f"A reviewer's {decision.action} came after the workflow stopped waiting for it",
                                   actor="reviewer", detail={"taskId": task_id, "action": decision.action})
        except Exception:
            logger.exception("a late decision could not be marked late", extra={"taskId": task_id})
        raise
    except Exception:
        store.reopen_task(task, caller.sub)
        raise
    return {"taskId": task_id, "caseId": task["caseId"], "action": output["action"], "status": "DECIDED"}


def _propose_for_second_approval(store: CaseStore, caller: Reviewer, task: dict[str, Any], case: dict[str, Any],
                                 record: dict[str, Any], proposal: dict[str, Any],
                                 replaces: dict[str, Any] | None) -> dict[str, Any]:
    """Four-eyes: the approval is kept on the task, which stays in the queue for a second reviewer.

    A modify replaces any pending approval: the earlier approval was of another proposal and no longer counts.
    """
    first = {**record, "proposal": proposal, "by": caller.sub, "at": now_iso(), "actor": _actor(caller)}
    # The queue's row shows the figure of what a second approval would commit, not the first proposal's.
    brief = task_brief({**case, "proposal": proposal}, get_journey(case["journey"]))
    if not store.record_first_approval(task["taskId"], caller.sub, epoch(), first, replaces=replaces, brief=brief):
        _log_refused(task, caller, ReviewDecision.model_validate(record))
        raise Conflict(_why_not_open(store.get_task(task["taskId"]), caller))
    if record["action"] == "modify":
        # A departure from the AI, logged as it is made (whether or not it is approved later); the commit's
        # record of it has the same key and is not appended twice.
        store.append_override(reviewer_override(case, "modify", caller.sub, proposal, reason=record.get("reason"),
                                                comment=record.get("comment"), task_id=task["taskId"],
                                                at=first["at"]))
    summary = ("A reviewer changed the proposal; a second, different reviewer must approve it"
               if record["action"] == "modify" else "A reviewer gave the first of two approvals")
    store.append_event(task["caseId"], "first_approval" if record["action"] == "approve" else "four_eyes_modified",
                       summary, actor=f"reviewer:{caller.sub}",
                       detail={"taskId": task["taskId"], "reason": record.get("reason"),
                               "replaces": (replaces or {}).get("by")}, at=first["at"])
    return {"taskId": task["taskId"], "caseId": task["caseId"], "action": record["action"],
            "status": "AWAITING_SECOND_APPROVAL"}


def decide_audit(store: CaseStore, caller: Reviewer, task: dict[str, Any], case: dict[str, Any],
                 decision: ReviewDecision) -> dict[str, Any]:
    """An audit after the fact: nothing waits on it, so it is recorded here, not handed to the workflow."""
    if decision.action not in ("approve", "reject", "modify"):
        raise InvalidInput("action", "an audit is agreed (approve) or disagreed (reject, modify)")
    if decision.action == "modify" and not decision.proposal:
        raise InvalidInput("proposal", "is required: record what the automation should have done")
    if decision.action != "approve" and not (decision.reason or "").strip():
        raise InvalidInput("reason", "is required to disagree with the automation")
    record = {**decision.model_dump(exclude_none=True, exclude={"proposalVersion"}), "at": now_iso()}
    if not store.decide_task(task["taskId"], caller.sub, epoch(), record):
        decided = store.get_task(task["taskId"])
        if decided.get("decidedBy") != caller.sub or {**decided.get("decision", {}), "at": None} != \
                {**record, "at": None}:
            _log_refused(task, caller, decision)
            raise Conflict(_why_not_open(decided, caller))
        # The same auditor sending the same decision again: an earlier attempt decided the task and failed before
        # its writes were done (and was answered 5xx). Finish them, keyed by that attempt's time: nothing twice.
        record = decided["decision"]
    at = record["at"]
    if decision.action == "approve":
        store.append_event(case["caseId"], "audit_agreed", "An auditor agreed with the automation",
                           actor=f"reviewer:{caller.sub}", detail={"taskId": task["taskId"]}, at=at)
    else:
        store.append_override(override_record(
            kind="audit_disagreement", case=case, actor_id=caller.sub, decision=decision.action,
            proposal=case["proposal"], decided=decision.proposal, reason=decision.reason,
            comment=decision.comment, task_id=task["taskId"], at=at))
        store.append_event(case["caseId"], "audit_disagreed",
                           f"An auditor disagreed with the automation: {decision.reason}",
                           actor=f"reviewer:{caller.sub}", detail={"taskId": task["taskId"]}, at=at)
    # Last, and never failing the request: the task is decided, so a retry would be refused and the
    # disagreement would never reach the override log.
    observe_after_effect(observe_audit, store, case, task["taskId"], caller.sub, decision.action == "approve",
                         decision.reason)
    return {"taskId": task["taskId"], "caseId": case["caseId"], "action": decision.action, "status": "DECIDED"}


def _log_refused(task: dict[str, Any], caller: Reviewer, decision: ReviewDecision) -> None:
    """A refused decision changes nothing, so it is not a timeline event (a retrying client would flood it)."""
    logger.info("review decision refused", extra={"taskId": task["taskId"], "caseId": task["caseId"],
                                                  "reviewer": caller.sub, "action": decision.action})


# ---------------------------------------------------------------- feedback
def give_feedback(store: CaseStore, caller: Reviewer, task_id: str, feedback: ReviewFeedback) -> dict[str, Any]:
    task = _visible_task(store, caller, task_id)
    if task.get("kind") == "qa":
        raise InvalidInput("taskId", "a QA task has no AI suggestion to rate: its scorecard is the judgement")
    item = {"taskId": task_id, "caseId": task["caseId"], "journey": task["journey"], "reviewer": caller.sub,
            "helpful": feedback.helpful, "comment": feedback.comment, "at": now_iso()}
    store.put_feedback(task["caseId"], item)
    observe_feedback(store, store.get_case(task["caseId"]), f"review:{task_id}:{fact_part(caller.sub)}",
                     feedback.helpful, reviewer=caller.sub)
    return item
