"""The workflow's decisions in plain Python: the first plan, and the next plan after each outcome."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from loopgate.models import Outcome, Plan
from loopgate.policy.journeys import Journey, catalogue
from loopgate.policy.overrides import override_record
from loopgate.policy.routing import Routing
from loopgate.policy.sampling import audit_selected

_FIRST_STEP = {"auto": "execute", "customer": "customer", "human": "review", "human_then_customer": "review"}


@dataclass
class Transition:
    """What recording an outcome changes: the plan, the case, the timeline and the override log."""

    plan: Plan
    case_changes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    override: dict[str, Any] | None = None


def approved_event(case: dict[str, Any], proposal: dict[str, Any], decided_by: str) -> dict[str, Any]:
    """The downstream contract: detail of CaseActionApproved."""
    return {"caseId": case["caseId"], "journey": case["journey"], "proposal": proposal,
            "decidedBy": decided_by, "customerId": case["customer"]["id"]}


def new_step_id(case: dict[str, Any]) -> str:
    return f"{case['caseId']}-{uuid.uuid4().hex[:12]}"


def first_plan(journey: Journey, routing: Routing, case: dict[str, Any]) -> Plan:
    decision = routing.decision
    route = decision.route
    proposal = case["proposal"]
    # A case that needs a capability escalates to those who hold every one (supervisors), not to the senior queue.
    senior = journey.queues.supervisor if decision.capability else journey.queues.senior
    return Plan(
        journey=journey.name, next=_FIRST_STEP[route], queue=routing.queue,
        seniorQueue=senior, supervisorQueue=journey.queues.supervisor, priority=decision.priority,
        capability=decision.capability,
        customer=route in ("customer", "human_then_customer"), limits=journey.limits_for(decision), proposal=proposal,
        event=approved_event(case, proposal, "automation") if route == "auto" else None,
        ask=decision.ask or journey.customerStep.kind, authority=decision.authority, fourEyes=decision.fourEyes,
        audit=route == "auto" and audit_selected(case["caseId"], journey.audit_rate_for(decision)),
        auditQueue=journey.queues.audit, stepId=new_step_id(case) if route == "customer" else None,
        task=journey.task)



def _event(kind: str, summary: str, actor: str, **detail: Any) -> dict[str, Any]:
    return {"type": kind, "summary": summary, "actor": actor, "detail": detail}


def _go_ahead(plan: Plan, case: dict[str, Any], proposal: dict[str, Any], decided_by: str) -> Plan:
    """After an approval: the customer confirms next while the route still owes their answer, else execute.

    `customer` stays set until the customer has answered, so a step that fails on the way (and sends the
    case to a person) does not skip the customer's confirmation.
    """
    done_asking = {"askFields": [], "question": None, "returnTo": None}  # a reviewer's question is answered
    if plan.customer:
        return plan.model_copy(update={"next": "customer", "proposal": proposal,
                                       "stepId": new_step_id(case), "reminders": 0, **done_asking})
    return plan.model_copy(update={"next": "execute", "proposal": proposal, **done_asking,
                                   "event": approved_event(case, proposal, decided_by)})


def _escalate(plan: Plan, reason: str) -> Plan:
    """One step up the ladder: a review queue to the senior queue, the senior queue to the supervisors,
    who are the top: their cases stay with them."""
    upper = plan.supervisorQueue if plan.queue in (plan.seniorQueue, plan.supervisorQueue) else plan.seniorQueue
    limits = plan.limits.model_copy(update={"reviewSeconds": plan.limits.seniorSeconds})
    return plan.model_copy(update={"next": "review", "queue": upper, "escalated": True,
                                   "priority": 1, "reason": reason, "limits": limits})


MAX_ALERT_INTERVAL_SECONDS = 7 * 24 * 3600


def _duration(seconds: int) -> str:
    return f"{seconds // 86400} days" if seconds >= 2 * 86400 else f"{seconds // 3600} hours" if seconds >= 7200 \
        else f"{max(seconds // 60, 1)} minutes"


def after_timeout(plan: Plan, case: dict[str, Any], reminders_allowed: int) -> Transition:
    if plan.next in ("review", "alert"):
        if not plan.escalated:
            escalated = _escalate(plan, "review_timeout")
            return Transition(escalated, events=[_event(
                "review_escalated", f"No decision within the time limit; moved to queue '{escalated.queue}'",
                "workflow", fromQueue=plan.queue, toQueue=escalated.queue)])
        # Each alert waits twice as long as the last, up to a week: a case nobody takes is not an hourly page for
        # a year (and an execution that loops every hour would reach Step Functions' 25,000-event history limit).
        wait = min(plan.limits.reviewSeconds * 2, MAX_ALERT_INTERVAL_SECONDS)
        limits = plan.limits.model_copy(update={"reviewSeconds": wait})
        return Transition(plan.model_copy(update={"next": "alert", "limits": limits}), events=[_event(
            "supervisor_alerted", f"The senior review ran out of time; a supervisor is alerted (again in "
            f"{_duration(wait)} if nobody decides)", "workflow", queue=plan.queue, nextAlertSeconds=wait)])
    if plan.reminders < reminders_allowed:
        remind = plan.model_copy(update={"next": "customer", "reminders": plan.reminders + 1})
        return Transition(remind, events=[_event(
            "customer_reminder_due", f"No answer yet; reminder {plan.reminders + 1} of {reminders_allowed}",
            "workflow")])
    # The customer did not answer: a person reaches out instead of a silent expiry.
    return Transition(_outreach(plan, "customer_no_answer"), events=[_event(
        "customer_no_answer", "The customer did not answer in time; a person reaches out", "workflow")])


def _outreach(plan: Plan, reason: str, priority: int = 2) -> Plan:
    """A person takes over from the customer step. When the step was a reviewer's question, the route's own
    customer confirmation is still owed; otherwise the person who reaches out stands in for it."""
    owed = plan.customer if plan.returnTo == "review" else False
    return plan.model_copy(update={"next": "review", "customer": owed, "priority": priority, "reason": reason,
                                   "stepId": None, "reminders": 0, "askFields": [], "question": None,
                                   "returnTo": None})


def after_reviewer(plan: Plan, outcome: Outcome, case: dict[str, Any]) -> Transition:
    reviewer = outcome.actor.id or "unknown"
    current = case["proposal"]
    action = outcome.action
    # Summaries name roles: channels read them. Who it was is in `actor` and the detail, for reviewers.
    summary = f"A reviewer chose {action}" + (f": {outcome.reason}" if outcome.reason else "")
    if outcome.approvedBy:
        summary += " (approved by a second reviewer)"
    event = _event(f"review_{action}", summary, f"reviewer:{reviewer}", taskId=outcome.taskId,
                   reason=outcome.reason, comment=outcome.comment, approvedBy=outcome.approvedBy)

    def departure(decided: dict[str, Any] | None) -> dict[str, Any]:
        # A four-eyes modify was logged when it was proposed: the same key (its time) makes this append a no-op.
        return reviewer_override(case, action, reviewer, decided, reason=outcome.reason, comment=outcome.comment,
                                 task_id=outcome.taskId, at=outcome.proposedAt or outcome.at)

    if plan.task == "contact" or _journey_task(case) == "contact":
        return _after_contact(plan.model_copy(update={"task": "contact"}), outcome, reviewer)
    if action == "approve":
        return Transition(_go_ahead(plan, case, current, f"reviewer:{reviewer}"), events=[event])
    if action == "modify":
        edited = outcome.proposal or {}
        return Transition(_go_ahead(plan, case, edited, f"reviewer:{reviewer}"),
                          case_changes={"proposal": edited}, events=[event], override=departure(edited))
    if action == "reject":
        return Transition(plan.model_copy(update={"next": "reject"}), events=[event], override=departure(None))
    if action == "escalate":
        return Transition(_escalate(plan, "escalated_by_reviewer"), events=[event], override=departure(None))
    if action == "ask_customer":
        # `ask` stays the route's kind: the question is a provide step of its own (askFields), then back here.
        ask = plan.model_copy(update={"next": "customer", "askFields": list(outcome.fields or []),
                                      "question": outcome.comment, "returnTo": "review",
                                      "stepId": new_step_id(case), "reminders": 0})
        return Transition(ask, events=[event])
    raise ValueError(f"unknown reviewer action {action!r}")


# What each end of a contact says on the timeline, which the channel shows.
CONTACT_ENDS = {
    "contacted": "A person contacted the customer",
    "resolved": "A person contacted the customer and resolved the matter",
    "not_reached": "A person could not reach the customer; the customer is told how to reach us",
}


def _journey_task(case: dict[str, Any]) -> str:
    """What the case's journey asks of people: a plan rebuilt after a failed step may not say it."""
    journey = catalogue().get(case.get("journey") or "")
    return journey.task if journey else "review"


def _after_contact(plan: Plan, outcome: Outcome, reviewer: str) -> Transition:
    """A contact task ends in its resolution (the case closes, nothing is executed: nothing was proposed), or
    climbs the ladder. No override either way: there was no AI proposal to depart from."""
    action = outcome.action
    detail = {"taskId": outcome.taskId, "reason": outcome.reason, "comment": outcome.comment}
    if action == "escalate":
        summary = "A person handed the contact up" + (f": {outcome.reason}" if outcome.reason else "")
        return Transition(_escalate(plan, "escalated_by_reviewer"),
                          events=[_event("contact_escalated", summary, f"reviewer:{reviewer}", **detail)])
    if action in CONTACT_ENDS:
        resolved = plan.model_copy(update={"next": "resolve", "resolution": action, "customer": False,
                                           "event": None})
        return Transition(resolved, events=[_event(f"contact_{action}", CONTACT_ENDS[action], f"reviewer:{reviewer}",
                                                   **detail)])
    raise ValueError(f"a contact task ends in {', '.join(CONTACT_ENDS)} or escalate, not {action!r}")


def reviewer_override(case: dict[str, Any], action: str, reviewer: str, decided: dict[str, Any] | None, *,
                      reason: str | None, comment: str | None, task_id: str | None, at: str | None) -> dict[str, Any]:
    """A reviewer's departure from the case's proposal, as the override log keeps it."""
    current = case["proposal"]
    kind = f"reviewer_{action}"
    if action == "modify" and _refuses(current) and not _refuses(decided or {}):
        kind = "reviewer_overturned_refusal"
    return override_record(kind=kind, case=case, actor_id=reviewer, decision=action, proposal=current,
                           decided=decided, reason=reason, comment=comment, task_id=task_id, at=at)


_REFUSALS = {"refuse", "refused", "deny", "denied", "reject", "rejected", "decline", "declined"}


def _refuses(proposal: dict[str, Any]) -> bool:
    """Whether a proposal says no (the AI wanted the request refused)."""
    return str(proposal.get("decision") or proposal.get("action") or "").lower() in _REFUSALS


def after_customer(plan: Plan, outcome: Outcome, case: dict[str, Any]) -> Transition:
    response = outcome.response
    fields = outcome.fields if isinstance(outcome.fields, dict) else {}
    event = _event(f"customer_{response}", _CUSTOMER_SAID.get(response, f"The customer chose {response}"),
                   "customer", comment=outcome.comment, option=outcome.option,
                   fields=sorted(fields) or None)
    answered = plan.model_copy(update={"customer": False})  # the customer's part is done
    if response == "confirm":
        proposal = case["proposal"]
        if plan.ask == "correct":
            proposal = {**proposal, "extracted": case["payload"].get("extracted", {})}
        return Transition(_go_ahead(answered, case, proposal, "customer"), case_changes={"proposal": proposal},
                          events=[event])
    if response == "choose":
        options = {str(o.get("id")): o for o in case["proposal"].get("options", []) if isinstance(o, dict)}
        chosen = {**case["proposal"], "chosen": options[outcome.option]}
        return Transition(_go_ahead(answered, case, chosen, "customer"), case_changes={"proposal": chosen},
                          events=[event])
    if response == "provide":
        payload = {**case["payload"], **fields}
        if plan.returnTo == "review":  # a reviewer asked: the answer goes back to them, not to scoring
            back = plan.model_copy(update={"next": "review", "returnTo": None, "askFields": [], "question": None})
            return Transition(back, case_changes={"payload": payload}, events=[event])
        return Transition(plan.model_copy(update={"next": "rescore"}), case_changes={"payload": payload},
                          events=[event])
    if response == "correct":
        extracted = case["payload"].get("extracted", {})
        corrected = {**extracted, **fields}
        proposal = {**case["proposal"], "extracted": corrected}
        correction = override_record(kind="customer_correction", case=case, actor_id="customer",
                                     decision="correct", proposal=extracted, decided=corrected,
                                     reason="customer correction", comment=outcome.comment,
                                     task_id=plan.stepId, at=outcome.at)
        return Transition(_go_ahead(answered, case, proposal, "customer"),
                          case_changes={"proposal": proposal, "payload": {**case["payload"], "extracted": corrected}},
                          events=[event], override=correction)
    if response == "reject":
        return Transition(plan.model_copy(update={"next": "reject"}), events=[event])
    if response == "human":
        return Transition(_outreach(plan, "customer_asked_for_person", priority=1), events=[event])
    raise ValueError(f"unknown customer response {response!r}")


_CUSTOMER_SAID = {
    "confirm": "The customer confirmed", "reject": "The customer declined",
    "choose": "The customer chose an option", "provide": "The customer provided the missing information",
    "correct": "The customer corrected the extracted data", "human": "The customer asked to talk to a person",
}


def next_plan(plan: Plan, outcome: Outcome, case: dict[str, Any], reminders_allowed: int = 0) -> Transition:
    if outcome.timed_out:
        return after_timeout(plan, case, reminders_allowed)
    if outcome.Error == "CustomerUnreachable":
        return Transition(_outreach(plan, "customer_unreachable"))
    if outcome.actor and outcome.actor.kind == "reviewer":
        return after_reviewer(plan, outcome, case)
    if outcome.actor and outcome.actor.kind == "customer":
        return after_customer(plan, outcome, case)
    raise ValueError(f"cannot plan after outcome {outcome.model_dump(exclude_none=True)}")
