"""Review tasks: opened by the workflow on a task token, listed by queue, decided by a reviewer."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from .adapters.dynamo import CaseStore
from .adapters.workflow import Workflow
from .clock import iso, now
from .errors import Conflict, Forbidden, InvalidInput
from .http import Caller
from .links import task_id_for
from .models import CaseStatus, Plan, ReviewDecision
from .overrides import override_record

OPTIONS = [
    {"action": "approve",
     "does": "Accept the proposal as it stands; the workflow goes on (customer step or execution)."},
    {"action": "modify",
     "does": "Edit the proposal before it is committed; needs a reason; recorded in the override log."},
    {"action": "reject",
     "does": "Refuse the proposal and close the case as REJECTED; needs a reason; recorded in the override log."},
    {"action": "escalate",
     "does": "Hand the case to the senior queue; needs a reason; recorded in the override log."},
]


def open_review(store: CaseStore, state: dict[str, Any], task_token: str) -> dict[str, Any]:
    """Stores a review task holding the token; a retried call with the same token opens nothing new."""
    plan = Plan.model_validate(state["plan"])
    case = store.get_case(state["caseId"])
    task_id = task_id_for(task_token)
    created = now()
    task = {
        "taskId": task_id, "caseId": case["caseId"], "journey": case["journey"], "queue": plan.queue,
        "priority": plan.priority, "status": "OPEN", "createdAt": iso(created),
        "dueAt": iso(created + timedelta(seconds=plan.limits.reviewSeconds)),
        "reason": plan.reason, "escalated": plan.escalated, "taskToken": task_token, "kind": "review",
    }
    if not store.put_task(task):
        return {"taskId": task_id, "created": False}
    previous = case.get("openTaskId")
    if previous and previous != task_id:
        store.close_task(previous, "MOVED", {"movedTo": task_id})
    store.update_case(case, {"status": CaseStatus.AWAITING_REVIEW.value, "openTaskId": task_id})
    why = f" ({plan.reason.replace('_', ' ')})" if plan.reason else ""
    store.append_event(case["caseId"], "review_requested", f"Waiting for a reviewer in queue '{plan.queue}'{why}",
                       detail={"taskId": task_id, "queue": plan.queue, "dueAt": task["dueAt"]})
    return {"taskId": task_id, "created": True}


def _public(task: dict[str, Any]) -> dict[str, Any]:
    """A task as reviewers see it: never the task token."""
    keys = ("taskId", "caseId", "journey", "kind", "queue", "priority", "status", "createdAt", "dueAt", "reason",
            "escalated")
    return {k: task.get(k) for k in keys}


def list_reviews(store: CaseStore, caller: Caller) -> list[dict[str, Any]]:
    items = [_public(t) for queue in caller.groups for t in store.open_tasks(queue)]
    return sorted(items, key=lambda t: (t["priority"], t["createdAt"]))


def _visible_task(store: CaseStore, caller: Caller, task_id: str) -> dict[str, Any]:
    task = store.get_task(task_id)
    if task["queue"] not in caller.groups:
        raise Forbidden(f"task {task_id} is in queue '{task['queue']}', which you do not work")
    return task


def review_view(store: CaseStore, caller: Caller, task_id: str) -> dict[str, Any]:
    """What the system saw, what it tried, why it is here, and what the reviewer may do."""
    task = _visible_task(store, caller, task_id)
    case, events = store.get_case_with_timeline(task["caseId"])
    return {
        **_public(task),
        "saw": {"channel": case["channel"], "customer": case["customer"], "payload": case["payload"],
                "history": [{k: e.get(k) for k in ("at", "type", "actor", "summary")} for e in events]},
        "tried": {"proposal": case.get("proposal"), "aiProposal": case["ai"]["proposal"],
                  "confidence": case["ai"]["confidence"], "draft": case["ai"].get("draft")},
        "why": {"route": case.get("route"), "rule": case.get("rule"), "reasons": case.get("reasons", []),
                "signals": case.get("signals", {})},
        "options": AUDIT_OPTIONS if task.get("kind") == "audit" else OPTIONS,
    }


def check_decision(decision: ReviewDecision, current: dict[str, Any]) -> None:
    if decision.action == "modify":
        if decision.proposal is None:
            raise InvalidInput("proposal", "is required to modify: send the edited proposal")
        if decision.proposal == current:
            raise InvalidInput("proposal", "is unchanged; approve instead of modify")
    if decision.action != "approve" and not (decision.reason or "").strip():
        raise InvalidInput("reason", f"is required to {decision.action}: say why you depart from the proposal")


AUDIT_OPTIONS = [
    {"action": "approve", "does": "Agree with what the automation decided; nothing changes."},
    {"action": "reject",
     "does": "Disagree: the automation should not have done this; needs a reason; logged as an audit disagreement."},
    {"action": "modify",
     "does": "Disagree: record what it should have done; needs a reason; logged as an audit disagreement."},
]


def decide_audit(store: CaseStore, caller: Caller, task: dict[str, Any], case: dict[str, Any],
                 decision: ReviewDecision) -> dict[str, Any]:
    """An audit after the fact: nothing waits on it, so it is recorded here, not handed to the workflow."""
    if decision.action == "escalate":
        raise InvalidInput("action", "an audit is agreed (approve) or disagreed (reject, modify)")
    check_decision(decision, case["proposal"])
    record = decision.model_dump(exclude_none=True)
    if task["status"] != "OPEN" or not store.close_task(task["taskId"], "DECIDED", {"decision": record,
                                                                                    "decidedBy": caller.sub}):
        raise Conflict(f"task {task['taskId']} is no longer open")
    if decision.action == "approve":
        store.append_event(case["caseId"], "audit_agreed", f"Auditor {caller.name} agreed with the automation",
                           actor=f"reviewer:{caller.sub}", detail={"taskId": task["taskId"]})
    else:
        store.append_override(override_record(
            kind="audit_disagreement", case=case, actor_id=caller.sub, decision=decision.action,
            proposal=case["proposal"], decided=decision.proposal, reason=decision.reason,
            comment=decision.comment, task_id=task["taskId"]))
        store.append_event(case["caseId"], "audit_disagreed",
                           f"Auditor {caller.name} disagreed with the automation: {decision.reason}",
                           actor=f"reviewer:{caller.sub}", detail={"taskId": task["taskId"]})
    return {"taskId": task["taskId"], "caseId": case["caseId"], "action": decision.action, "status": "DECIDED"}


def decide(store: CaseStore, workflow: Workflow, caller: Caller, task_id: str,
           decision: ReviewDecision) -> dict[str, Any]:
    task = _visible_task(store, caller, task_id)
    case = store.get_case(task["caseId"])
    if task.get("kind") == "audit":
        return decide_audit(store, caller, task, case, decision)
    check_decision(decision, case["proposal"])
    record = decision.model_dump(exclude_none=True)
    if task["status"] != "OPEN" or not store.close_task(task_id, "DECIDED", {"decision": record,
                                                                            "decidedBy": caller.sub}):
        _record_late(store, task, caller, decision)
        raise Conflict(f"task {task_id} is no longer open")
    output = {"actor": {"kind": "reviewer", "id": caller.sub, "name": caller.name, "groups": list(caller.groups)},
              "taskId": task_id, **record}
    try:
        workflow.resume(task["taskToken"], output)
    except Conflict:
        store.close_task(task_id, "LATE", expected="DECIDED")
        _record_late(store, task, caller, decision)
        raise
    except Exception:
        store.reopen_task(task)
        raise
    return {"taskId": task_id, "caseId": task["caseId"], "action": decision.action, "status": "DECIDED"}


def _record_late(store: CaseStore, task: dict[str, Any], caller: Caller, decision: ReviewDecision) -> None:
    store.append_event(task["caseId"], "late_decision",
                       f"Reviewer {caller.name} tried to {decision.action} task {task['taskId']}, "
                       "but it was no longer open", actor=f"reviewer:{caller.sub}",
                       detail={"taskId": task["taskId"], "action": decision.action})
