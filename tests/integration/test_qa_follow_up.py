"""A conversation QA failed, with a follow-up asked for, opens a hand-over case: a person contacts the customer.

Needs the `handover` journey (branch handover, issue 15): on a tree without it this test fails at the decision
(400 naming followUp: no 'handover' journey is installed).
"""
from __future__ import annotations

import uuid

from loopgate import roles

from .test_qa import ALL_PASS, conversation, post


def test_a_failed_conversation_with_a_follow_up_opens_a_handover_case_to_contact_the_customer(stack):
    sent = conversation()
    task_id = post(stack, sent).json()["taskId"]
    qa = stack.token(f"quinn-{uuid.uuid4().hex[:6]}", ["qa"])
    scores = {**ALL_PASS, "accuracy": {"pass": False, "reason": "denied the double charge the statement shows"}}

    decided = stack.decide(qa, task_id, {"action": "score", "scores": scores, "followUp": True})
    assert decided.status_code == 200, decided.text
    case_id = decided.json()["followUpCaseId"]
    retried = stack.decide(qa, task_id, {"action": "score", "scores": scores, "followUp": True})
    assert retried.status_code == 200 and retried.json()["followUpCaseId"] == case_id, "one case, however often"
    assert stack.review(qa, task_id).json()["followUpCaseId"] == case_id

    case = stack.wait_for(case_id, "AWAITING_REVIEW")  # the channel that posted the conversation reads the case
    assert (case["journey"], case["channel"]) == ("handover", "qa")
    (finding,) = [e for e in case["timeline"] if e["type"] == "qa_failed"]
    assert "accuracy: denied the double charge" in finding["summary"]

    person = stack.token(f"pat-{uuid.uuid4().hex[:6]}", list(roles.GROUPS))
    task = stack.task_for(person, case_id)
    view = stack.review(person, task["taskId"]).json()
    assert view["kind"] == "contact"
    payload = view["saw"]["payload"]
    assert (payload["gaveUpBecause"], payload["intent"], payload["intentConfidence"]) == (
        "qa_failed", "billing.dispute", 0.41)
    assert [t["text"] for t in payload["transcript"]] == [t["text"] for t in sent["transcript"]]
    assert payload["tried"] == sent["bot"]["tried"]
