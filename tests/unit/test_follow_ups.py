"""Follow-up after resolution: the journey's declaration, the filing at execution, the job, the answers, no loop."""
import uuid

import pytest

from loopgate.errors import Gone, InvalidInput, JourneyDefinitionError
from loopgate.models import CustomerAnswer, Plan
from loopgate.policy.guardrails import check, reading
from loopgate.policy.journeys import Guardrail, load_journeys
from loopgate.usecases.customer_steps import answer, customer_view
from loopgate.usecases.follow_ups import reopened_plan, run_follow_ups, schedule_follow_up
from tests.helpers import body
from tests.unit.test_journeys import valid, write
from tests.unit.world import PUBLIC_URL

DAY = 86400


# ------------------------------------------------------------------ the journey file
@pytest.mark.parametrize(("follow_up", "message"), [
    ({"afterSeconds": 259200, "question": {"en": "Did this solve it?"}}, r"sample\.json: followUp: .*'de'"),
    ({"afterSeconds": 60, "question": {"en": "Solved?", "de": "Gelöst?"}}, r"sample\.json: followUp\.afterSeconds"),
    ({"afterSeconds": "3 days", "question": {"en": "Solved?", "de": "Gelöst?"}},
     r"sample\.json: followUp\.afterSeconds"),
    ({"question": {"en": "Solved?", "de": "Gelöst?"}}, r"sample\.json: followUp\.afterSeconds: Field required"),
    ({"afterSeconds": 259200, "question": {"en": "Solved?", "de": "Gelöst?"}, "channel": "fax"},
     r"sample\.json: followUp\.channel"),
])
def test_a_bad_follow_up_fails_naming_the_field(tmp_path, follow_up, message):
    write(tmp_path, "sample", valid() | {"followUp": follow_up})
    with pytest.raises(JourneyDefinitionError, match=message):
        load_journeys(tmp_path)


def test_a_follow_up_loads_and_is_optional(tmp_path):
    write(tmp_path, "sample", valid() | {"followUp": {"afterSeconds": 3 * DAY, "question": {"en": "Solved?",
                                                                                           "de": "Gelöst?"}}})
    write(tmp_path, "plain", valid("plain"))
    loaded = load_journeys(tmp_path)
    assert loaded["sample"].followUp.afterSeconds == 3 * DAY and loaded["plain"].followUp is None


# ------------------------------------------------------------------ the guardrail
def test_the_unsolved_rate_guardrail_weighs_answers_not_cases():
    g = Guardrail.model_validate({"name": "unsolved", "metric": "followUpUnsolvedRate", "max": 0.3, "minCases": 20,
                                  "explain": "why"})
    one_no = reading(g, {"cases": 500, "followUpsAsked": 40, "followUpsNotSolved": 1})
    assert (one_no.value, one_no.cases) == (1.0, 1)
    assert check(g, "ok", one_no, None, held=False).state == "ok"  # 1 answer is no verdict
    many = reading(g, {"cases": 60, "followUpsSolved": 13, "followUpsNotSolved": 7})
    assert (many.value, many.cases) == (0.35, 20)
    assert check(g, "ok", many, None, held=False).state == "tripped"


# ------------------------------------------------------------------ in the World
def _completed_complaint(world, locale: str = "en") -> dict:
    """A complaint the customer resolved by choosing; the workflow then executes it and closes it COMPLETED."""
    request = body("complaint_missing_order.json", id=f"c-{uuid.uuid4().hex[:8]}", locale=locale)
    request["payload"]["orderNumber"] = "O-1"
    state = world.new_case(request)
    assert state["plan"]["next"] == "customer"
    token, link = world.wait_for_customer(state)
    answer(world.store, world.workflow, link, CustomerAnswer(response="choose", option="replacement"))
    state = world.record(state, world.workflow.outcome(token))
    assert state["plan"]["next"] == "execute"
    case = world.store.get_case(state["caseId"])
    world.store.update_case(case, {"status": "COMPLETED"})  # the state machine's CloseCompleted
    return world.store.get_case(state["caseId"])


def _types(world, case_id: str) -> list[str]:
    return [e["type"] for e in world.store.get_case_with_timeline(case_id)[1]]


def test_executing_files_the_follow_up_once_and_the_job_asks_when_it_is_due(world, clock):
    case = _completed_complaint(world)
    assert case["followUp"]["state"] == "scheduled"
    assert not schedule_follow_up(world.store, case, Plan.model_validate({**_plan(case), "next": "execute"}))
    sent = len(world.messenger.sent)

    clock.advance(3 * DAY - 60)
    assert run_follow_ups(world.store, world.messenger, PUBLIC_URL)["asked"] == 0
    clock.advance(120)
    assert run_follow_ups(world.store, world.messenger, PUBLIC_URL)["asked"] == 1
    assert run_follow_ups(world.store, world.messenger, PUBLIC_URL)["asked"] == 0  # the next hour: asked once
    assert len(world.messenger.sent) == sent + 1
    view = customer_view(world.store, world.messenger.last_link_id())
    assert (view["kind"], view["responses"]) == ("followup", ["confirm", "reject", "human"])


def test_a_case_that_did_not_complete_is_not_asked(world, clock):
    case = _completed_complaint(world)
    world.store.update_case(case, {"status": "AWAITING_REVIEW"})  # executing failed: a person has it
    clock.advance(4 * DAY)
    assert run_follow_ups(world.store, world.messenger, PUBLIC_URL) == {"asked": 0, "unanswered": 0, "skipped": 1}
    assert world.store.get_case(case["caseId"])["followUp"]["state"] == "skipped"


def test_no_reopens_once_and_the_resolved_case_is_never_followed_up_again(world, clock):
    case = _completed_complaint(world, locale="de")
    clock.advance(3 * DAY + 60)
    run_follow_ups(world.store, world.messenger, PUBLIC_URL)
    link = world.messenger.last_link_id()
    assert "Beschwerde" in world.messenger.sent[-1]["message"].subject

    clock.advance(3600)  # the customer answers an hour later
    answer(world.store, world.workflow, link, CustomerAnswer(response="reject", comment="Still broken"))
    assert world.workflow.reopened == [(case["caseId"], "follow_up_not_solved")]
    with pytest.raises(Gone):
        answer(world.store, world.workflow, link, CustomerAnswer(response="reject"))

    clock.advance(1)  # the new execution starts a moment later (the timeline orders by time)
    state = reopened_plan(world.store, case["caseId"])
    plan = Plan.model_validate(state["plan"])
    assert (plan.next, plan.task, plan.reason, plan.queue) == ("review", "contact", "follow_up_not_solved",
                                                              "reviewers")
    review = world.wait_for_review(state)
    task = world.store.get_task(review.task_id)
    assert (task["kind"], task["reason"]) == ("contact", "follow_up_not_solved")
    assert world.store.get_case(case["caseId"])["status"] == "AWAITING_REVIEW"
    assert world.events.published[-1]["from"] == "COMPLETED" and world.events.published[-1]["to"] == "AWAITING_REVIEW"
    assert _types(world, case["caseId"])[-3:] == ["follow_up_not_solved", "contact_promised", "review_requested"]

    # However the person's resolution completes it, the case is not filed again: no second "did this solve it?".
    reopened = world.store.get_case(case["caseId"])
    assert not schedule_follow_up(world.store, reopened, plan.model_copy(update={"next": "execute"}))
    world.store.update_case(reopened, {"status": "COMPLETED"})
    sent = len(world.messenger.sent)
    clock.advance(30 * DAY)
    run_follow_ups(world.store, world.messenger, PUBLIC_URL)
    assert len(world.messenger.sent) == sent


def test_silence_is_recorded_and_reopens_nothing(world, clock):
    case = _completed_complaint(world)
    clock.advance(3 * DAY + 60)
    run_follow_ups(world.store, world.messenger, PUBLIC_URL)
    link = world.messenger.last_link_id()
    clock.advance(3 * DAY + 3600)
    assert run_follow_ups(world.store, world.messenger, PUBLIC_URL)["unanswered"] == 1
    assert world.store.get_case(case["caseId"])["followUp"]["state"] == "unanswered"
    assert world.workflow.reopened == []
    with pytest.raises(Gone):
        answer(world.store, world.workflow, link, CustomerAnswer(response="reject"))
    stats = {i["sk"]: i for i in world.store.stats("complaint", case["learning"]["day"])}
    assert (stats["all#-"]["followUpsAsked"], stats["all#-"]["followUpsUnanswered"]) == (1, 1)


def _plan(case: dict) -> dict:
    return {"journey": case["journey"], "next": "execute", "queue": "reviewers", "seniorQueue": "senior",
            "priority": 5, "limits": {"reviewSeconds": 1, "seniorSeconds": 1, "customerSeconds": 1}}


def test_a_filing_that_fails_does_not_fail_the_step(world, monkeypatch):
    request = body("complaint_missing_order.json", id=f"c-{uuid.uuid4().hex[:8]}")
    request["payload"]["orderNumber"] = "O-1"
    state = world.new_case(request)

    def throttled(*args, **kwargs):
        raise RuntimeError("ProvisionedThroughputExceededException")

    monkeypatch.setattr(world.store, "schedule_follow_up", throttled)
    case = world.store.get_case(state["caseId"])
    assert schedule_follow_up(world.store, case, Plan.model_validate(_plan(case))) is False


def test_the_job_pages_through_a_busy_day_and_stops_when_its_time_is_up(world, clock, monkeypatch):
    cases = [_completed_complaint(world) for _ in range(3)]
    clock.advance(3 * DAY + 60)
    pages = []
    due = world.store.due_follow_ups

    def small_pages(day, until, limit=100, after=None):
        found, more = due(day, until, limit=1, after=after)  # one a page: the others are on the next pages
        pages.append(len(found))
        return found, more

    monkeypatch.setattr(world.store, "due_follow_ups", small_pages)
    budget = iter([True, False])  # time for one, then the function's time is up
    assert run_follow_ups(world.store, world.messenger, PUBLIC_URL, time_left=lambda: next(budget))["asked"] == 1
    assert run_follow_ups(world.store, world.messenger, PUBLIC_URL)["asked"] == 2  # the next run goes on, page by page
    assert max(pages) == 1
    assert {world.store.get_case(c["caseId"])["followUp"]["state"] for c in cases} == {"asked"}


def test_locally_a_function_gets_the_time_template_yaml_gives_it():
    """The job stops 20 s before its time is up: with the old fixed 15 s of the local context it never started."""
    from local.template import Template, load_template

    functions = Template(load_template()).functions()
    assert (functions["FollowUpsFunction"].timeout, functions["ScoreFunction"].timeout) == (300, 15)


def test_asking_for_a_person_on_a_follow_up_reopens_the_case_like_a_no(world, clock):
    case = _completed_complaint(world)
    clock.advance(3 * DAY + 60)
    run_follow_ups(world.store, world.messenger, PUBLIC_URL)
    with pytest.raises(InvalidInput):
        answer(world.store, world.workflow, world.messenger.last_link_id(), CustomerAnswer(response="choose"))
    answer(world.store, world.workflow, world.messenger.last_link_id(), CustomerAnswer(response="human"))
    assert world.workflow.reopened == [(case["caseId"], "follow_up_not_solved")]
    assert world.store.get_case(case["caseId"])["followUp"]["state"] == "not_solved"


def test_a_bounced_follow_up_asks_again_by_sms_once(world, clock):
    """Issue 13 item 3, for the follow-up: its email bounced and nobody was asked, until the question went by SMS."""
    from loopgate.usecases.email_events import EmailEvent, on_email_event

    case = _completed_complaint(world)
    world.store.update_case(world.store.get_case(case["caseId"]), {"customer": {**case["customer"],
                                                                                "phone": "+4915112345678"}})
    clock.advance(3 * DAY + 60)
    run_follow_ups(world.store, world.messenger, PUBLIC_URL)
    email = world.messenger.sent[-1]
    assert email["channel"] == "email"
    bounce = EmailEvent(kind="bounce", message_id=email["messageId"], recipients=(email["email"],),
                        at="2026-11-05T09:00:00.000Z", case_id=case["caseId"], step_id=email["tags"]["stepId"])

    assert on_email_event(world.store, world.messenger, world.workflow, bounce, PUBLIC_URL) == "sms"
    assert on_email_event(world.store, world.messenger, world.workflow, bounce, PUBLIC_URL) == "marked"  # once
    (sms,) = world.messenger.sent[world.messenger.sent.index(email) + 1:]
    assert (sms["channel"], sms["email"], sms["phone"]) == ("sms", None, "+4915112345678")
    view = customer_view(world.store, world.messenger.last_link_id())
    assert view["kind"] == "followup"
    answer(world.store, world.workflow, world.messenger.last_link_id(), CustomerAnswer(response="confirm"))
    assert world.store.get_case(case["caseId"])["followUp"]["state"] == "solved"


def test_a_bounced_follow_up_without_a_phone_is_left_to_expire(world, clock):
    from loopgate.usecases.email_events import EmailEvent, on_email_event

    case = _completed_complaint(world)
    clock.advance(3 * DAY + 60)
    run_follow_ups(world.store, world.messenger, PUBLIC_URL)
    email, sent = world.messenger.sent[-1], len(world.messenger.sent)
    bounce = EmailEvent(kind="bounce", message_id=email["messageId"], recipients=(email["email"],),
                        at="2026-11-05T09:00:00.000Z", case_id=case["caseId"], step_id=email["tags"]["stepId"])
    assert on_email_event(world.store, world.messenger, world.workflow, bounce, PUBLIC_URL) == "marked"
    assert len(world.messenger.sent) == sent and world.workflow.reopened == []
