"""CaseStatusChanged: channels learn every status change from the bus instead of polling GET /cases/{caseId}."""
import json
import uuid
from pathlib import Path

import jsonschema
import pytest
import requests

from tests.helpers import body

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs/events/CaseStatusChanged.schema.json").read_text())


@pytest.fixture
def reviewer(stack):
    return stack.token(f"rev-{uuid.uuid4().hex[:6]}", ["reviewers"])


def status_changes(stack, case_id):
    """As a subscriber sees them over the local server's /_local/events, in the order published."""
    events = requests.get(f"{stack.url}/_local/events", timeout=10).json()["items"]
    changes = [e["detail"] for e in events
               if e["detail-type"] == "CaseStatusChanged" and e["detail"]["caseId"] == case_id]
    for change in changes:
        jsonschema.validate(change, SCHEMA)
        assert all(e["source"] == "loopgate" for e in events)
    return changes


def changes_until(stack, case_id, to: str, timeout: float = 30) -> list[dict]:
    """The changes once the one to `to` is published: the workflow writes a status, then announces it, so a
    reader of GET /cases can see COMPLETED a moment before the event exists (seen under load)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        changes = status_changes(stack, case_id)
        if (changes and changes[-1]["to"] == to) or time.monotonic() > deadline:
            return changes
        time.sleep(0.05)


def transitions(changes):
    return [(c["from"], c["to"], c["waitingFor"]) for c in changes]


def test_an_automatic_case_announces_each_status_once(stack):
    case_id = stack.new_case(body("identity_verification_clear.json"))
    stack.wait_for(case_id, "COMPLETED")

    changes = changes_until(stack, case_id, "COMPLETED")
    assert transitions(changes) == [(None, "RECEIVED", None), ("RECEIVED", "EXECUTING", None),
                                    ("EXECUTING", "COMPLETED", None)]
    assert {c["journey"] for c in changes} == {"identity_verification"}
    assert [c["at"] for c in changes] == sorted(c["at"] for c in changes)


def test_a_reviewed_and_confirmed_case_says_who_it_waits_for(stack, reviewer):
    sent = body("contract_change_low_confidence.json")
    case_id = stack.new_case(sent)
    task = stack.task_for(reviewer, case_id)
    assert transitions(status_changes(stack, case_id))[-1] == ("RECEIVED", "AWAITING_REVIEW", "reviewer")
    assert stack.decide(reviewer, task["taskId"], {"action": "approve"}).status_code == 200
    stack.wait_for(case_id, "AWAITING_CUSTOMER")
    link = stack.link_for(sent["customer"]["email"])
    assert stack.answer(link, {"response": "confirm"}).status_code == 200
    stack.wait_for(case_id, "COMPLETED")

    assert transitions(changes_until(stack, case_id, "COMPLETED")) == [
        (None, "RECEIVED", None), ("RECEIVED", "AWAITING_REVIEW", "reviewer"),
        ("AWAITING_REVIEW", "AWAITING_CUSTOMER", "customer"), ("AWAITING_CUSTOMER", "EXECUTING", None),
        ("EXECUTING", "COMPLETED", None)]


def test_a_rejected_case_ends_with_rejected(stack, reviewer):
    case_id = stack.new_case(body("contract_change_low_confidence.json"))
    task = stack.task_for(reviewer, case_id)
    assert stack.decide(reviewer, task["taskId"], {"action": "reject", "reason": "wrong_proposal"}).ok
    stack.wait_for(case_id, "REJECTED")

    assert transitions(status_changes(stack, case_id)) == [
        (None, "RECEIVED", None), ("RECEIVED", "AWAITING_REVIEW", "reviewer"), ("AWAITING_REVIEW", "REJECTED", None)]
