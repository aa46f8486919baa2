"""Follow-up after resolution: "did this solve it?" some days after a case completed; "no" reopens it to a person.

Why a scheduled job and not a Wait in the state machine (docs/journeys.md, "Follow-up after resolution"): the case's
execution ends at COMPLETED as before, so no execution sits for days in a Wait. Such an execution would keep every
helper that waits for executions to finish (tests, the chaos run, a deploy that drains) waiting for days of scaled
time, and it would tie the follow-up to the state machine version that was live when the case completed. Instead,
the decision to execute files the case under its due day (`FOLLOWUP#<day>`, one Query per day bucket, never a Scan);
the hourly job asks the customer then, and files the answer deadline the same way. A "no" starts a new execution
of the same state machine (`<caseId>-followup`) whose first step plans a contact task, so the person's task, its
time limit and escalation are the workflow's own.

A case is followed up once: `followUp` on the case item is written only if absent (the filing's transaction), so a
reopened case that a person resolves is never asked again, whatever path completes it.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger

from loopgate.clock import epoch, iso, iso_from_epoch, now, now_iso
from loopgate.errors import DeliveryFailed, Gone, InvalidInput, NotFound
from loopgate.models import CaseStatus, CustomerAnswer, Plan
from loopgate.policy.journeys import Journey, get_journey
from loopgate.ports import CaseStore, CustomerMessenger, Delivery, Workflow
from loopgate.usecases.learning import observe_after_effect, observe_follow_up
from loopgate.usecases.links import link_hash, new_link_id
from loopgate.usecases.reachability import reachable
from loopgate.web.messages import customer_message

logger = Logger(child=True)

REOPEN_REASON = "follow_up_not_solved"
STEP_KIND = "followup"
# Yes, it is solved / no, it is not (the words an SMS reply maps to); asking for a person says "not solved" too.
ANSWERS = ("confirm", "reject", "human")
# The job runs hourly; it looks back this many days, so a week of failed runs loses no follow-up.
LOOKBACK_DAYS = 7
STALLED_SECONDS = 900  # a run that claimed a follow-up and did not finish it in this time stopped: ask again
RETENTION_SECONDS = 30 * 24 * 3600  # as customer_steps: a used or expired link answers 410, not 404, this long


def follow_up_step_id(case_id: str) -> str:
    return f"{case_id}-followup"


def schedule_follow_up(store: CaseStore, case: dict[str, Any], plan: Plan) -> bool:
    """Files the case for its journey's follow-up when the workflow is about to execute it. Counted from the
    decision to execute, seconds before the case completes; the job asks only cases that did complete."""
    if plan.next != "execute" or case.get("followUp"):
        return False
    journey = get_journey(case["journey"])
    if journey.followUp is None:
        return False
    due = iso(now() + timedelta(seconds=journey.followUp.afterSeconds))
    try:
        return store.schedule_follow_up(case["caseId"], journey.name, due)
    except Exception:
        # The case's own step has done its work: a filing that failed (throttled after the store's retries) must
        # not send an executable case to a person. The case goes unasked; the log says which.
        logger.exception("follow-up not filed", extra={"caseId": case["caseId"]})
        return False


def question(journey: Journey, locale: str | None) -> str:
    texts = journey.followUp.question if journey.followUp else {}
    return texts.get((locale or "en").split("-")[0]) or texts["en"]


# ---------------------------------------------------------------- the hourly job
def run_follow_ups(store: CaseStore, messenger: CustomerMessenger, public_base_url: str,
                   time_left: Callable[[], bool] = lambda: True) -> dict[str, int]:
    """Asks the customers whose follow-up is due, and closes the follow-ups nobody answered in time. Stops when
    `time_left()` says so (the Lambda's time is nearly up): what is left is due still, and the next run takes it."""
    moment = now()
    until = iso(moment)
    done = {"asked": 0, "unanswered": 0, "skipped": 0}
    for back in range(LOOKBACK_DAYS, -1, -1):
        day = (moment - timedelta(days=back)).date().isoformat()
        after: dict[str, Any] | None = None
        while True:
            entries, after = store.due_follow_ups(day, until, after=after)
            for entry in entries:
                if not time_left():
                    return done
                _handle(store, messenger, entry, public_base_url, done)
            if not after:
                break
    return done


def _handle(store: CaseStore, messenger: CustomerMessenger, entry: dict[str, Any], public_base_url: str,
            done: dict[str, int]) -> None:
    try:
        outcome = _ask(store, messenger, entry, public_base_url) if entry["action"] == "ask" else _expire(store, entry)
    except NotFound:
        outcome = "skipped"  # the case was erased meanwhile
    if outcome == "busy":  # another run is asking: its entry stays until one of them finishes
        done["skipped"] += 1
        return
    done[outcome] += 1
    store.drop_follow_up(entry)  # last: a run that failed before this point does it again


def _ask(store: CaseStore, messenger: CustomerMessenger, entry: dict[str, Any], public_base_url: str) -> str:
    case = store.get_case(entry["caseId"])
    follow_up = case.get("followUp") or {}
    state = follow_up.get("state")
    stalled = state == "asking" and follow_up.get("claimedAt", "") < iso(now() - timedelta(seconds=STALLED_SECONDS))
    if state == "asking" and not stalled:
        return "busy"
    if state != "scheduled" and not stalled:
        return "skipped"  # asked by an earlier run that stopped before dropping the entry
    if case["status"] != CaseStatus.COMPLETED.value:
        # Rejected, or still with a person: there is nothing to ask whether it solved.
        store.change_follow_up(case["caseId"], state, {"state": "skipped", "status": case["status"]})
        return "skipped"
    # Claimed before anything is sent: of two overlapping runs, one sends.
    if not store.change_follow_up(case["caseId"], state, {**follow_up, "state": "asking", "claimedAt": now_iso()}):
        return "busy"
    journey = get_journey(case["journey"])
    customer = case["customer"]
    step_id = follow_up_step_id(case["caseId"])
    seconds = journey.limits.customerSeconds
    valid_until = epoch() + seconds
    step = {"stepId": step_id, "caseId": case["caseId"], "kind": STEP_KIND,
            "question": question(journey, customer.get("locale")), "validUntil": valid_until,
            "createdAt": now_iso(), "reminders": 0}
    if not store.put_step(step):
        step = store.get_step(case["caseId"], step_id)  # a run that stopped after creating it: send now
    try:
        email, phone = reachable(store, customer)  # never an address that bounced, complained or said STOP
        delivery = send_follow_up(store, messenger, case, step, public_base_url, email=email, phone=phone,
                                  prefer=customer.get("preferredChannel") or "email")
    except DeliveryFailed as exc:
        store.close_step(case["caseId"], step_id)
        store.change_follow_up(case["caseId"], "asking", {"state": "unreachable", "at": now_iso()})
        store.append_event(case["caseId"], "follow_up_unreachable",
                           "The follow-up reached the customer by neither email nor SMS",
                           detail={"attempts": str(exc)})
        return "skipped"
    store.change_follow_up(case["caseId"], "asking", {"state": "asked", "askedAt": now_iso(), "stepId": step_id,
                                                         "answerBy": iso_from_epoch(step["validUntil"])})
    store.file_follow_up({"caseId": case["caseId"], "journey": journey.name, "action": "expire",
                          "dueAt": iso_from_epoch(step["validUntil"])})
    store.append_event(case["caseId"], "follow_up_asked",
                       f"Asked the customer by {delivery.channel} whether this solved their problem",
                       detail={"channel": delivery.channel, "stepId": step_id})
    observe_after_effect(observe_follow_up, store, case, "asked")
    return "asked"


def send_follow_up(store: CaseStore, messenger: CustomerMessenger, case: dict[str, Any], step: dict[str, Any],
                   public_base_url: str, *, email: str | None, phone: str | None, prefer: str) -> Delivery:
    """The question with a fresh link, valid as long as the step; the step notes the message, so that a bounce of
    exactly that email asks again by SMS (usecases/email_events.py)."""
    journey, customer = get_journey(case["journey"]), case["customer"]
    link_id = new_link_id()
    store.put_link({"linkHash": link_hash(link_id), "caseId": case["caseId"], "stepId": step["stepId"],
                    "journey": journey.name, "createdAt": now_iso(),
                    "expiresAt": int(step["validUntil"]) + RETENTION_SECONDS})
    message = customer_message(
        locale=customer.get("locale"), title=question(journey, customer.get("locale")), name=customer.get("name"),
        url=f"{public_base_url.rstrip('/')}/c/{link_id}", valid_seconds=max(int(step["validUntil"]) - epoch(), 0),
        intro=_intro(customer.get("locale")), reminder=False)
    delivery = messenger.send(email=email, phone=phone, message=message, prefer=prefer,
                              tags={"caseId": case["caseId"], "stepId": step["stepId"]})
    store.note_step_message(case["caseId"], step["stepId"],
                            {"channel": delivery.channel, "messageId": delivery.message_id, "at": now_iso()})
    return delivery


def _intro(locale: str | None) -> str:
    if (locale or "en").startswith("de"):
        return "Wir haben Ihr Anliegen vor ein paar Tagen abgeschlossen und möchten wissen, ob es damit erledigt ist."
    return "We closed your request a few days ago and would like to know whether that settled it."


def _expire(store: CaseStore, entry: dict[str, Any]) -> str:
    case = store.get_case(entry["caseId"])
    if not store.change_follow_up(case["caseId"], "asked", {**case["followUp"], "state": "unanswered",
                                                            "closedAt": now_iso()}):
        return "skipped"  # answered in time
    store.close_step(case["caseId"], follow_up_step_id(case["caseId"]))
    store.append_event(case["caseId"], "follow_up_unanswered",
                       "The customer did not answer the follow-up in time; the case stays closed")
    observe_after_effect(observe_follow_up, store, case, "unanswered")
    return "unanswered"


# ---------------------------------------------------------------- the customer's answer
def answer_follow_up(store: CaseStore, workflow: Workflow, link: dict[str, Any], step: dict[str, Any],
                     case: dict[str, Any], reply: CustomerAnswer) -> dict[str, Any]:
    """Yes: recorded, the follow-up is closed. No: the case goes back to a person, who contacts the customer."""
    if reply.response not in ANSWERS:
        raise InvalidInput("response", f"must be one of {', '.join(ANSWERS)}")
    record = reply.model_dump(exclude_none=True)
    if not store.answer_step(case["caseId"], step["stepId"], epoch(), record):
        raise Gone("this request was already answered or has expired", reason="answered")
    store.set_link_used(link["linkHash"], True)
    solved = reply.response == "confirm"
    answered = {**case["followUp"], "state": "solved" if solved else "not_solved", "answeredAt": now_iso()}
    if not store.change_follow_up(case["caseId"], "asked", answered):
        raise Gone("we are no longer waiting for this answer", reason="closed")
    detail = {"comment": reply.comment} if reply.comment else {}
    if solved:
        store.append_event(case["caseId"], "follow_up_solved", "The customer said this solved their problem",
                           actor="customer", detail=detail)
    else:
        try:
            workflow.reopen(case["caseId"], case["journey"], REOPEN_REASON)
        except BaseException:
            # Not reopened: take the answer back, so that the customer can send it again.
            store.change_follow_up(case["caseId"], answered["state"], case["followUp"])
            store.release_step(case["caseId"], step["stepId"])
            store.set_link_used(link["linkHash"], False)
            raise
        said = f': "{reply.comment}"' if reply.comment else ""  # the person who calls reads it in the history
        store.append_event(case["caseId"], "follow_up_not_solved",
                           f"The customer said this did not solve their problem{said}; a person will contact them",
                           actor="customer", detail=detail)
    store.forget_step_token(case["caseId"], step["stepId"])
    observe_after_effect(observe_follow_up, store, case, "solved" if solved else "not_solved")
    journey = get_journey(case["journey"])
    return {"caseId": case["caseId"], "response": reply.response, "status": "RECEIVED",
            "locale": case["customer"].get("locale", "en"),
            "personWithinHours": max(1, journey.limits.reviewSeconds // 3600)}


def contact_plan(case: dict[str, Any]) -> Plan:
    """The reopened case's first step: a contact task in the queue of the rule that routed it, with its history
    (the task shows the case's timeline as for any case)."""
    journey = get_journey(case["journey"])
    routed = journey.decision_named(case.get("rule"))
    return Plan(journey=journey.name, next="review", task="contact", reason=REOPEN_REASON,
                queue=journey.queue_for(routed), seniorQueue=journey.queues.senior,
                supervisorQueue=journey.queues.supervisor, priority=2, limits=journey.limits_for(routed),
                proposal=case.get("proposal"))


def reopened_plan(store: CaseStore, case_id: str) -> dict[str, Any]:
    """The first step of a reopened case's execution (instead of scoring it again: nothing about it is new)."""
    case = store.get_case(case_id)
    return {"caseId": case_id, "plan": contact_plan(case).model_dump()}
