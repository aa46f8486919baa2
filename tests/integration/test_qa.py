"""QA of bot conversations through the real stack: a channel posts finished conversations, flagged ones reach the
`qa` queue, a QA reviewer scores them, and a failure shows in the override log and the insights."""
from __future__ import annotations

import uuid

import requests

from loopgate.policy.qa import qa_policy
from loopgate.policy.sampling import audit_selected
from tests.helpers import load_event

from .stack import API_KEY, OTHER_API_KEY

ALL_PASS = {name: {"pass": True} for name in ("accuracy", "tone", "policy", "resolution")}


def conversation(**changes) -> dict:
    """The sample conversation (events/interaction_flagged.json) with an id of its own."""
    sample = load_event("interaction_flagged.json")
    sample["interactionId"] = f"chat-{uuid.uuid4().hex[:12]}"
    return {**sample, **changes}


def post(stack, body: dict, api_key: str = API_KEY, key: str | None = None) -> requests.Response:
    headers = {"x-api-key": api_key, **({"Idempotency-Key": key} if key else {})}
    return requests.post(f"{stack.url}/interactions", json=body, headers=headers, timeout=10)


def get(stack, token: str, path: str, **params) -> requests.Response:
    return requests.get(f"{stack.url}{path}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def qa_figures(stack, lead: str) -> dict:
    found = get(stack, lead, "/insights", journey="qa")
    assert found.status_code == 200, found.text
    return found.json()


def failures_of(figures: dict, criterion: str) -> int:
    return next((c["qaFailed"] for c in figures["clusters"] if c["value"] == criterion), 0)


def logged_for(stack, lead: str, interaction_id: str) -> list[dict]:
    page = get(stack, lead, "/overrides", journey="qa", limit=200)  # oldest first: past the session's others
    assert page.status_code == 200, page.text
    return [o for o in page.json()["items"] if o.get("interactionId") == interaction_id]


def test_a_flagged_conversation_reaches_qa_reviewers_and_nobody_else(stack):
    sent = conversation()
    posted = post(stack, sent)
    assert posted.status_code == 202, posted.text
    answer = posted.json()
    assert answer["interactionId"] == sent["interactionId"] and answer["sampled"] is True
    assert post(stack, sent).json() == answer, "a second post of the same conversation answers the same"
    keyed = post(stack, sent, key=uuid.uuid4().hex)
    assert keyed.status_code == 202 and keyed.json() == answer
    assert post(stack, sent, api_key=OTHER_API_KEY).json()["taskId"] != answer["taskId"], \
        "another channel's conversation with the same id is its own"

    qa = stack.token(f"quinn-{uuid.uuid4().hex[:6]}", ["qa"])
    reviewer = stack.token("ana", ["reviewers", "senior", "audit"])
    (row,) = [t for t in stack.reviews(qa) if t["taskId"] == answer["taskId"]]
    assert (row["kind"], row["queue"], row["title"]) == ("qa", "qa", "QA: billing-bot (billing.dispute)")
    assert row["reasonText"] == "the bot flagged it: low confidence" and row["customer"] == "Mia Park"
    assert answer["taskId"] not in [t["taskId"] for t in stack.reviews(reviewer)]
    assert stack.review(reviewer, answer["taskId"]).status_code == 403

    view = stack.review(qa, answer["taskId"]).json()
    assert [t["from"] for t in view["interaction"]["transcript"]] == ["customer", "bot", "customer", "bot"]
    assert view["interaction"]["flags"] == ["low_confidence", "fallback_used"]
    why = {r["reason"]: r for r in view["why"]["sampledBecause"]}
    assert {"flag", "outcome", "judge"} <= set(why)
    assert "third time" in why["judge"]["text"], "the judges read the customer's turns"
    assert [(c["name"], c["labels"]["de"]) for c in view["scorecard"]] == [
        ("accuracy", "Richtigkeit"), ("tone", "Ton"), ("policy", "Richtlinien"), ("resolution", "Lösung")]
    assert [o["action"] for o in view["options"]] == ["score"]


def test_a_calm_resolved_conversation_is_sampled_only_by_the_base_rate(stack):
    rate = qa_policy().baseRate
    calm = {"transcript": [{"from": "customer", "text": "When is my next invoice due?"},
                           {"from": "bot", "text": "On 1 December."}], "outcome": "resolved", "flags": []}
    sent = conversation(**calm)
    while audit_selected(sent["interactionId"], rate):  # ids are random: draw one the base rate leaves out
        sent = conversation(**calm)
    answer = post(stack, sent).json()
    assert answer == {"interactionId": sent["interactionId"], "sampled": False}


def test_a_failed_score_reaches_the_override_log_and_the_insights_and_is_decided_once(stack):
    sent = conversation()
    task_id = post(stack, sent).json()["taskId"]
    qa = stack.token(f"quinn-{uuid.uuid4().hex[:6]}", ["qa"])
    lead = stack.token(f"lena-{uuid.uuid4().hex[:6]}", ["leads"])
    before = qa_figures(stack, lead)

    scores = {**ALL_PASS, "accuracy": {"pass": False, "reason": "denied the double charge the statement shows"},
              "resolution": {"pass": False}}
    refused = stack.decide(qa, task_id, {"action": "score", "scores": scores})
    assert refused.status_code == 400 and refused.json()["field"] == "scores.resolution.reason"
    unscored = stack.decide(qa, task_id, {"action": "score", "scores": {"accuracy": {"pass": True}}})
    assert unscored.status_code == 400 and unscored.json()["field"] == "scores.tone"
    approve = stack.decide(qa, task_id, {"action": "approve"})
    assert approve.status_code == 400 and approve.json()["field"] == "action"
    with_reason = stack.decide(qa, task_id, {"action": "score", "scores": ALL_PASS, "reason": "fine"})
    assert with_reason.status_code == 400 and with_reason.json()["field"] == "reason"
    claimed = requests.post(f"{stack.url}/reviews/{task_id}/claim", headers={"Authorization": f"Bearer {qa}"},
                            timeout=10)
    assert claimed.status_code == 200, claimed.text
    voted = requests.post(f"{stack.url}/reviews/{task_id}/feedback", json={"helpful": False},
                          headers={"Authorization": f"Bearer {qa}"}, timeout=10)
    assert voted.status_code == 400 and voted.json()["field"] == "taskId"

    scores["resolution"]["reason"] = "sent an FAQ instead of an answer"
    decided = stack.decide(qa, task_id, {"action": "score", "scores": scores, "comment": "coach the billing intent"})
    assert decided.status_code == 200, decided.text
    assert (decided.json()["failed"], decided.json()["critical"]) == (["accuracy", "resolution"], True)
    again = stack.decide(qa, task_id, {"action": "score", "scores": ALL_PASS})
    assert again.status_code == 409
    assert task_id not in [t["taskId"] for t in stack.reviews(qa)]

    (logged,) = logged_for(stack, lead, sent["interactionId"])
    assert (logged["kind"], logged["failedCriteria"], logged["bot"], logged["intent"]) == (
        "qa_failure", ["accuracy", "resolution"], "billing-bot", "billing.dispute")
    assert "accuracy: denied the double charge" in logged["reason"] and logged["comment"] == "coach the billing intent"

    after = qa_figures(stack, lead)
    assert (after["qaScored"], after["qaFailed"]) == (before["qaScored"] + 1, before["qaFailed"] + 1)
    assert failures_of(after, "accuracy") == failures_of(before, "accuracy") + 1
    assert failures_of(after, "tone") == failures_of(before, "tone")
    assert 0 < after["qaFailRate"] <= 1
    intents = {g["value"]: g for g in after["groups"]}
    assert intents["billing-bot:billing.dispute"]["failedBy"]["accuracy"] >= 1


def test_a_passed_score_records_nothing_in_the_override_log(stack):
    sent = conversation()
    task_id = post(stack, sent).json()["taskId"]
    qa = stack.token(f"quinn-{uuid.uuid4().hex[:6]}", ["qa"])
    lead = stack.token(f"lena-{uuid.uuid4().hex[:6]}", ["leads"])
    before = qa_figures(stack, lead)

    decided = stack.decide(qa, task_id, {"action": "score", "scores": ALL_PASS})
    assert decided.status_code == 200 and decided.json()["failed"] == []
    follow_up = stack.decide(qa, task_id, {"action": "score", "scores": ALL_PASS, "followUp": True})
    assert follow_up.status_code == 400 and follow_up.json()["field"] == "followUp"

    assert logged_for(stack, lead, sent["interactionId"]) == []
    after = qa_figures(stack, lead)
    assert (after["qaScored"], after["qaFailed"]) == (before["qaScored"] + 1, before["qaFailed"])


def test_a_conversation_is_refused_naming_the_field(stack):
    turnless = conversation()
    del turnless["transcript"][0]["from"]
    refused = post(stack, turnless)
    assert refused.status_code == 422 and refused.json()["field"] == "transcript.0.from"
    for change, field in (({"outcome": "great"}, "outcome"), ({"flags": ["Not A Flag"]}, "flags.0"),
                          ({"transcript": []}, "transcript"), ({"mood": "happy"}, "mood"),
                          ({"endedAt": "yesterday"}, "endedAt")):
        refused = post(stack, conversation(**change))
        assert refused.status_code == 422 and refused.json()["field"] == field, (change, refused.text)
    assert post(stack, conversation(), api_key="not-a-key").status_code == 403
