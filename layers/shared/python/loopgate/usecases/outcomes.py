"""The record step: a decision, answer or timeout is written to the case, timeline and override log."""
from __future__ import annotations

from typing import Any

from loopgate.models import Outcome, Plan
from loopgate.policy.journeys import get_journey
from loopgate.policy.planning import next_plan
from loopgate.ports import CaseStore, CustomerMessenger
from loopgate.usecases.contact import tell_not_reached
from loopgate.usecases.follow_ups import schedule_follow_up
from loopgate.usecases.learning import observe_outcome


def record_outcome(store: CaseStore, state: dict[str, Any], recorded_at: str | None = None,
                   messenger: CustomerMessenger | None = None) -> dict[str, Any]:
    plan = Plan.model_validate(state["plan"])
    outcome = Outcome.model_validate(state.get("outcome") or {})
    case = store.get_case(state["caseId"])
    journey = get_journey(case["journey"])
    transition = next_plan(plan, outcome, case, reminders_allowed=journey.customerStep.reminders)
    waited_for_review = plan.next in ("review", "alert")
    # Learned before the case changes (a modify is compared with the proposal the reviewer saw); once per fact,
    # so a retry of this step adds nothing.
    observe_outcome(store, case, plan, outcome, recorded_at)
    if outcome.timed_out and waited_for_review and case.get("openTaskId"):
        # The wait is over: a decision arriving now must find the task closed (409), not open.
        store.close_task(case["openTaskId"], "TIMED_OUT")
    if outcome.timed_out and not waited_for_review and plan.stepId and transition.plan.stepId != plan.stepId:
        # No more reminders: the customer's links now say a person will be in touch.
        store.close_step(case["caseId"], plan.stepId)
    if transition.override:
        store.append_override(transition.override)
    if transition.case_changes:
        store.update_case(case, transition.case_changes)
    # The decision's time, or when the workflow entered this step: the same on every retry of it.
    at = outcome.at or recorded_at
    for event in transition.events:
        store.append_event(case["caseId"], event["type"], event["summary"], actor=event["actor"],
                           detail=event["detail"], at=at)
    if transition.plan.resolution == "not_reached" and messenger is not None:
        tell_not_reached(store, messenger, store.get_case(case["caseId"]))
    plan = transition.plan.model_copy(update={"journey": case["journey"]})
    schedule_follow_up(store, case, plan)
    return {"caseId": case["caseId"], "plan": plan.model_dump()}
