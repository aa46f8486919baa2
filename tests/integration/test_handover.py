"""A bot hand-over through the real workflow: it lands in the queue its reason picks with its transcript, the
customer is told by when a person will call, and the person's resolution closes the case with nothing executed."""
import re
import subprocess
import time
import uuid

import pytest

from loopgate.usecases.contact import when_text
from tests.helpers import ROOT, body

from .conftest import TIME_SCALE
from .stack import API_KEY


@pytest.fixture
def agent(stack):
    return stack.token(f"agent-{uuid.uuid4().hex[:6]}", ["reviewers"])


def sent_to(stack, recipient: str, containing: str, timeout: float = 30) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [m for m in stack.outbox() if m["recipient"] == recipient and containing in str(m["body"])]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"nothing containing {containing!r} sent to {recipient}")


def test_a_handover_lands_in_its_queue_with_its_transcript_and_the_customer_is_told_when(stack, agent):
    sent = body("handover_billing.json")
    case_id = stack.new_case(sent)
    task = stack.task_for(agent, case_id)
    assert (task["queue"], task["kind"], task["priority"]) == ("reviewers", "contact", 2)  # upset: called first

    seen = stack.review(agent, task["taskId"]).json()
    assert [t["from"] for t in seen["contact"]["transcript"]] == ["customer", "bot", "customer", "bot", "customer"]
    assert seen["contact"]["gaveUpBecause"] == "customer_asked" and seen["contact"]["tried"]
    assert {o["action"] for o in seen["options"]} == {"contacted", "resolved", "not_reached", "escalate"}

    case = stack.wait_for(case_id, "AWAITING_REVIEW", where=lambda c: c.get("contactPromise"))
    assert case["waitingFor"]["task"] == "contact" and case["contactPromise"]["by"] == case["waitingFor"]["due"]
    # They want a call: the message goes to their phone, with the due time as they read it.
    message = sent_to(stack, sent["customer"]["phone"], "will contact you")
    assert when_text(case["waitingFor"]["due"], sent["customer"]) in message["body"]
    assert message["caseId"] == case_id


def test_resolved_closes_the_case_completed_without_executing_anything(stack, agent):
    case_id = stack.new_case(body("handover_billing.json"))
    task = stack.task_for(agent, case_id)
    refused = stack.decide(agent, task["taskId"], {"action": "approve"})
    assert refused.status_code == 400 and refused.json()["field"] == "action"
    assert stack.decide(agent, task["taskId"], {"action": "resolved", "comment": "refunded INV-88412"}).ok

    case = stack.wait_for(case_id, "COMPLETED")
    assert case["resolution"] == "resolved"
    types = [e["type"] for e in case["timeline"]]
    assert "contact_resolved" in types and types[-1] == "resolved"
    assert "resolution: resolved" in case["timeline"][-1]["summary"]
    assert stack.downstream(case_id) == []  # no CaseActionApproved: nothing was proposed
    assert stack.status_changes_until(case_id, "COMPLETED")[-1]["to"] == "COMPLETED"
    assert stack.wait_finished(case_id)["status"] == "SUCCEEDED"


def test_not_reached_needs_a_comment_then_tells_the_customer_how_to_reach_us(stack, agent):
    sent = body("handover_billing.json")
    sent["payload"]["preferredContact"] = {"channel": "email"}
    case_id = stack.new_case(sent)
    task = stack.task_for(agent, case_id)
    bare = stack.decide(agent, task["taskId"], {"action": "not_reached"})
    assert bare.status_code == 400 and bare.json()["field"] == "comment"
    assert stack.decide(agent, task["taskId"], {"action": "not_reached", "comment": "no answer at 17:10"}).ok

    case = stack.wait_for(case_id, "COMPLETED")
    assert case["resolution"] == "not_reached"
    assert "not_reached_told" in [e["type"] for e in case["timeline"]]
    told = sent_to(stack, sent["customer"]["email"], "could not reach you")
    assert case_id in told["body"]
    assert stack.downstream(case_id) == []


def test_a_contact_nobody_takes_in_time_escalates_to_senior(stack, agent, time_scale):
    time_scale(TIME_SCALE / 5)  # the 4-hour promise runs out in about 3 s
    sent = body("handover_billing.json")
    case_id = stack.new_case(sent)
    stack.task_for(agent, case_id)
    senior = stack.token(f"senior-{uuid.uuid4().hex[:6]}", ["senior"])
    task = stack.task_for(senior, case_id, timeout=60)
    # Decided before anything else is looked at: the senior task runs on the fast scale too (its timer was set when
    # it opened), and on a loaded machine reading the outbox first let it run out (a 409, seen under load).
    assert stack.decide(senior, task["taskId"], {"action": "contacted", "comment": "called back"}).ok
    time_scale(TIME_SCALE)
    assert (task["queue"], task["kind"], task["escalated"]) == ("senior", "contact", True)
    # The promise was missed: the customer hears the new time, with an apology.
    sorry = sent_to(stack, sent["customer"]["phone"], "Sorry, we have not reached you yet")
    assert when_text(task["dueAt"], sent["customer"]) in sorry["body"]
    case = stack.wait_for(case_id, "COMPLETED")
    assert "review_escalated" in [e["type"] for e in case["timeline"]] and case["resolution"] == "contacted"


def test_other_journeys_still_need_the_ai(stack):
    sent = body("refund_small.json")
    del sent["ai"]
    refused = stack.post_case(sent)
    assert refused.status_code == 422 and refused.json()["field"] == "ai"


def test_the_readmes_handover_walkthrough_runs_as_written(stack):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A bot hand-over, end to end"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    assert "URL=http://127.0.0.1:3000\n" in block and f"KEY={API_KEY}\n" in block
    script = block.replace("URL=http://127.0.0.1:3000\n", f"URL={stack.url}\n", 1) + '\necho "CASE=$CASE"\n'
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    case_id = re.search(r"^CASE=(case-\w+)$", done.stdout, re.M).group(1)
    assert "('reviewers', 2, ['contacted', 'resolved', 'not_reached', 'escalate']" in done.stdout
    assert "will contact you by phone by" in done.stdout  # the SMS the customer got, as the outbox shows it
    assert "('resolved', 'Case closed after a person contacted the customer; resolution: resolved')" in done.stdout
    assert stack.case(case_id)["status"] == "COMPLETED" and stack.downstream(case_id) == []
