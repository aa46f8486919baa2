"""Follow-up after resolution on the real state machine: days pass on the engine's clock, the hourly job asks, the
customer answers by the link; "no" brings the case back to a person with its history."""
import uuid

import requests

from loopgate.usecases.customer_steps import csrf_token
from tests.helpers import body

DAY = 86400


def _complete_complaint(stack, **customer) -> tuple[str, dict]:
    """A complaint the customer resolves by choosing a replacement: COMPLETED without a person."""
    sent = body("complaint_missing_order.json", id=f"fu-{uuid.uuid4().hex[:8]}", **customer)
    sent["payload"]["orderNumber"] = "O-7731"
    case_id = stack.new_case(sent)
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["email"])
    assert stack.answer(link, {"response": "choose", "option": "replacement"}).ok
    stack.wait_for(case_id, "COMPLETED")
    return case_id, sent


def _days_pass(stack, days: float) -> dict:
    """The helpers the README's follow-up walkthrough uses: jump the clock, run the hourly job now."""
    moved = requests.post(f"{stack.url}/_local/clock", json={"advanceSeconds": int(days * DAY)}, timeout=10)
    assert moved.status_code == 200, moved.text
    ran = requests.post(f"{stack.url}/_local/run/FollowUpsFunction", timeout=30)
    assert ran.status_code == 200, ran.text
    return ran.json()["result"]


def _sent_to(stack, address: str) -> list[dict]:
    return [m for m in stack.outbox() if m["recipient"] == address]


def _types(case: dict) -> list[str]:
    return [e["type"] for e in case["timeline"]]


def _a_day_of_its_own(stack) -> None:
    """Every complaint an earlier test on this stack completed is followed up (or expired) before this test's case
    comes in, a week later: the day's follow-up counts are this test's alone. Without it, an earlier case of the
    same day whose follow-up fell due during this test's days counted too (seen under load: asked 2, not 1)."""
    _days_pass(stack, 7)
    _days_pass(stack, 7)  # the expiries the first run filed


def _insights(stack, day: str) -> dict:
    lead = stack.token(f"lead-{uuid.uuid4().hex[:6]}", ["leads"])
    found = requests.get(f"{stack.url}/insights", params={"journey": "complaint", "from": day, "to": day},
                         headers={"Authorization": f"Bearer {lead}"}, timeout=10)
    assert found.status_code == 200, found.text
    return found.json()


def test_a_completed_complaint_is_followed_up_after_three_days_and_yes_is_recorded(stack):
    _a_day_of_its_own(stack)
    case_id, sent = _complete_complaint(stack)
    email = sent["customer"]["email"]
    day = stack.case(case_id)["createdAt"][:10]
    before = _insights(stack, day)["followUps"]

    _days_pass(stack, 2)  # not due yet
    assert len(_sent_to(stack, email)) == 1  # only the request to choose
    _days_pass(stack, 1.1)
    (message,) = _sent_to(stack, email)[1:]
    assert "solve" in message["subject"] and message["caseId"] == case_id
    link = message["links"][0]
    view = requests.get(link, headers={"Accept": "application/json"}, timeout=10).json()
    assert view["kind"] == "followup" and view["question"] == "Did our answer to your complaint solve the problem?"
    page = requests.get(link, timeout=10).text
    assert "Yes, it is solved" in page and "No, it is not solved" in page and "Talk to a person" in page

    answered = stack.answer(link, {"response": "confirm", "comment": "All good, thanks"})
    assert answered.status_code == 200, answered.text
    case = stack.case(case_id)
    assert case["status"] == "COMPLETED"
    assert _types(case)[-2:] == ["follow_up_asked", "follow_up_solved"]
    # Single use: the same link again, or the other answer, is refused.
    assert stack.answer(link, {"response": "reject"}).status_code == 410
    assert requests.get(link, headers={"Accept": "application/json"}, timeout=10).status_code == 410

    after = _insights(stack, day)
    assert after["followUps"]["asked"] == before["asked"] + 1
    assert after["followUps"]["solved"] == before["solved"] + 1
    assert after["followUpUnsolvedRate"] is not None

    # The answer deadline passes: nothing more happens to an answered follow-up, and nobody is asked twice.
    _days_pass(stack, 4)
    assert len(_sent_to(stack, email)) == 2
    assert _types(stack.case(case_id))[-1] == "follow_up_solved"


def test_no_reopens_the_case_as_a_contact_task_with_its_history(stack):
    _a_day_of_its_own(stack)
    case_id, sent = _complete_complaint(stack, locale="de")
    phone_or_email = sent["customer"]["email"]
    day = stack.case(case_id)["createdAt"][:10]
    before = _insights(stack, day)["followUps"]
    _days_pass(stack, 3.1)
    link = _sent_to(stack, phone_or_email)[-1]["links"][0]
    page = requests.get(link, timeout=10).text
    assert "Hat unsere Antwort auf Ihre Beschwerde das Problem gelöst?" in page and "Nein, es ist nicht gelöst" in page
    assert "Mit einer Person sprechen" in page  # a person one tap away, as on every page

    # The page's own form, as the customer's browser sends it: the thanks page says a person will call, in German.
    form = {"response": "reject", "comment": "Replacement never arrived", "csrf": csrf_token(link.rsplit("/", 1)[1])}
    answered = requests.post(link, data=form, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}, timeout=10)
    assert answered.status_code == 200, answered.text
    assert "Sie haben uns gesagt, dass Ihr Anliegen nicht gelöst ist." in answered.text
    assert "Eine Person aus unserem Team meldet sich innerhalb von 8 Stunden" in answered.text
    case = stack.wait_for(case_id, "AWAITING_REVIEW")
    assert "follow_up_not_solved" in _types(case)

    reviewer = stack.token(f"rita-{uuid.uuid4().hex[:6]}", ["reviewers"])
    task = stack.task_for(reviewer, case_id)
    assert (task["kind"], task["reason"], task["queue"]) == ("contact", "follow_up_not_solved", "reviewers")
    view = stack.review(reviewer, task["taskId"]).json()
    history = [e["summary"] for e in view["saw"]["history"]]
    assert any("Replacement never arrived" in s for s in history)
    assert any(e["type"] == "customer_asked" for e in view["saw"]["history"])  # the case's story before

    changes = stack.status_changes_until(case_id, "AWAITING_REVIEW")
    assert {"from": "COMPLETED", "to": "AWAITING_REVIEW"}.items() <= changes[-1].items()

    after = _insights(stack, day)["followUps"]
    assert after["notSolved"] == before["notSolved"] + 1
    assert stack.answer(link, {"response": "reject"}).status_code == 410

    # The person reaches the customer and records it: the case is COMPLETED again, nothing executes a second time,
    # and it is never followed up again (the contact task's resolve path meets the follow-up's reopen).
    executed = len(stack.downstream(case_id))
    decided = stack.decide(reviewer, task["taskId"], {"action": "resolved", "comment": "sent a new replacement"})
    assert decided.status_code == 200, decided.text
    case = stack.wait_for(case_id, "COMPLETED")
    assert case["resolution"] == "resolved"
    assert len(stack.downstream(case_id)) == executed
    asked = len(_sent_to(stack, phone_or_email))
    _days_pass(stack, 10)
    assert [m["subject"] for m in _sent_to(stack, phone_or_email)[asked:]] == []


def test_a_follow_up_nobody_answers_is_recorded_and_reopens_nothing(stack):
    case_id, sent = _complete_complaint(stack)
    _days_pass(stack, 3.1)
    link = _sent_to(stack, sent["customer"]["email"])[-1]["links"][0]
    _days_pass(stack, 3.1)  # the complaint's customer limit: 3 days
    case = stack.case(case_id)
    assert case["status"] == "COMPLETED"
    assert _types(case)[-1] == "follow_up_unanswered"
    assert stack.answer(link, {"response": "reject"}).status_code == 410


def test_the_local_clock_and_run_helpers_refuse_what_they_cannot_do(stack):
    bad = requests.post(f"{stack.url}/_local/clock", json={"advanceSeconds": "3 days"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["field"] == "advanceSeconds"
    assert requests.post(f"{stack.url}/_local/clock", json={"advanceSeconds": -5}, timeout=10).status_code == 400
    assert requests.post(f"{stack.url}/_local/run/ScoreFunction", timeout=10).status_code == 404  # not scheduled
    before = requests.get(f"{stack.url}/_local/clock", timeout=10).json()["now"]
    after = requests.post(f"{stack.url}/_local/clock", json={"advanceSeconds": 2 * DAY}, timeout=10).json()["now"]
    assert after[:10] > before[:10]
