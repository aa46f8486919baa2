"""QA of bot conversations: the policy file names what is wrong with it, sampling is by flag, judge and a
deterministic base rate, the scorecard is complete or refused naming the field, and a score is recorded once."""
import json

import pytest
from pydantic import ValidationError

from loopgate.errors import Conflict, InvalidInput, QaPolicyError
from loopgate.models import InteractionRequest, ReviewDecision, Reviewer
from loopgate.policy.journeys import catalogue
from loopgate.policy.qa import (
    QA_LOG,
    QA_POLICY_FILE,
    failed_criteria,
    handover_payload,
    parse_qa_policy,
    qa_policy,
    sample_reasons,
)
from loopgate.policy.sampling import audit_selected
from loopgate.usecases.insights import insights
from loopgate.usecases.qa import decide_qa, receive_interaction
from loopgate.usecases.reviews import decide, list_reviews, review_view
from tests.unit.world import refund_request

POLICY = json.loads(QA_POLICY_FILE.read_text())
QA = Reviewer(sub="quinn", name="quinn", groups=("qa",))
LEAD = Reviewer(sub="lena", name="lena", groups=("leads",))


def conversation(interaction_id="conv-1", flags=(), outcome="resolved", customer_says="What is my balance?"):
    return InteractionRequest.model_validate({
        "interactionId": interaction_id, "channel": "chat",
        "customer": {"id": "cust-7", "name": "Mia Park", "email": "mia@example.com", "preferredChannel": "email"},
        "bot": {"name": "billing-bot", "intent": "billing.dispute", "intentConfidence": 0.42,
                "tried": ["explained the invoice"]},
        "transcript": [{"from": "customer", "text": customer_says},
                       {"from": "bot", "text": "Your balance is 0 EUR.", "at": "2026-11-23T10:00:05Z"}],
        "outcome": outcome, "flags": list(flags), "endedAt": "2026-11-23T10:01:00Z"})


def scorecard(**failures):
    return {name: {"pass": name not in failures, **({"reason": failures[name]} if name in failures else {})}
            for name in ("accuracy", "tone", "policy", "resolution")}


# ---------------------------------------------------------------- the policy file
@pytest.mark.parametrize(("change", "field"), [
    ({"baseRate": 1.5}, "baseRate"),
    ({"queue": "nobody"}, "queue"),
    ({"judges": ["horoscope"]}, "judges.0"),
    ({"scorecard": []}, "scorecard"),
    ({"scorecard": [{"name": "tone", "labels": {"de": "Ton"}}]}, "scorecard.0"),
    ({"scorecard": [{"name": "tone", "labels": {"en": "Tone"}}, {"name": "tone", "labels": {"en": "Tone"}}]},
     "scorecard"),
    ({"scorecard": [{"name": "Tone!", "labels": {"en": "Tone"}}]}, "scorecard.0.name"),
    ({"priority": {"flagged": 0}}, "priority.flagged"),
    ({"surprise": True}, "surprise"),
])
def test_a_broken_policy_file_is_refused_naming_the_field(change, field):
    with pytest.raises(QaPolicyError) as refused:
        parse_qa_policy("qa.json", {**POLICY, **change})
    assert str(refused.value).startswith(f"qa.json: {field}: "), str(refused.value)


def test_the_shipped_policy_scores_the_four_criteria_in_english_and_german():
    policy = qa_policy()
    assert [c.name for c in policy.scorecard] == ["accuracy", "tone", "policy", "resolution"]
    assert all(c.labels.get("de") for c in policy.scorecard)
    assert {c.name for c in policy.scorecard if c.critical} == {"accuracy", "policy"}


def test_no_journey_takes_the_name_qa_findings_are_filed_under():
    assert QA_LOG not in catalogue()


# ---------------------------------------------------------------- sampling
def test_flagged_conversations_are_always_sampled_and_unflagged_ones_by_the_base_rate():
    policy = qa_policy().model_copy(update={"baseRate": 0.1})
    ids = [f"conv-{i}" for i in range(2000)]
    plain = [i for i in ids if sample_reasons(policy, i, [], "resolved", ["hello"])]
    assert plain == [i for i in ids if audit_selected(i, 0.1)], "the base rate chooses by interaction id"
    assert 150 <= len(plain) <= 250
    assert all(sample_reasons(policy, i, ["low_confidence"], "resolved", ["hello"]) for i in ids)
    (reason,) = [r for r in sample_reasons(policy, "conv-x", ["fallback_used", "greeted"], "resolved", ["hi"])
                 if r["reason"] != "base_rate"]
    assert reason["flag"] == "fallback_used" and "fallback used" in reason["text"]


def test_an_unlisted_flag_or_outcome_does_not_sample_on_its_own():
    policy = qa_policy().model_copy(update={"baseRate": 0.0})
    assert sample_reasons(policy, "conv-1", ["greeted"], "resolved", ["hello"]) == []
    assert [r["reason"] for r in sample_reasons(policy, "conv-1", [], "abandoned", ["hello"])] == ["outcome"]


def test_the_judges_sample_a_distressed_or_vulnerable_customer_the_bot_did_not_flag():
    policy = qa_policy().model_copy(update={"baseRate": 0.0})
    reasons = sample_reasons(policy, "conv-1", [], "resolved",
                             ["This is RIDICULOUS, third time I ask!!!", "my husband died and I cannot pay"])
    assert {r["signal"] for r in reasons} == {"escalation", "vulnerability"}
    assert any("husband died" in r["text"] for r in reasons)
    assert sample_reasons(policy.model_copy(update={"judges": []}), "conv-1", [], "resolved",
                          ["This is RIDICULOUS!!!"]) == []


def test_qa_samples_as_the_case_signals_judge_anger_the_word_lists_miss_too():
    policy = qa_policy().model_copy(update={"baseRate": 0.0})
    (reason,) = sample_reasons(policy, "conv-2", [], "resolved", ["you people are a joke, an absolute joke"])
    assert reason["signal"] == "escalation" and "you people" in reason["text"]  # the learned judge's words


# ---------------------------------------------------------------- the scorecard
def _scores(**failures):
    return ReviewDecision.model_validate({"action": "score", "scores": scorecard(**failures)}).scores


def test_a_complete_scorecard_names_its_failures_in_the_policys_order():
    assert failed_criteria(qa_policy(), _scores(resolution="left without an answer", accuracy="wrong fee")) == [
        "accuracy", "resolution"]
    assert failed_criteria(qa_policy(), _scores()) == []


@pytest.mark.parametrize(("scores", "field"), [
    (None, "scores"),
    ({k: v for k, v in scorecard().items() if k != "tone"}, "scores.tone"),
    ({**scorecard(), "empathy": {"pass": True}}, "scores.empathy"),
    ({**scorecard(), "policy": {"pass": False}}, "scores.policy.reason"),
    ({**scorecard(), "policy": {"pass": False, "reason": "  "}}, "scores.policy.reason"),
])
def test_an_incomplete_scorecard_is_refused_naming_the_field(scores, field):
    decision = ReviewDecision.model_validate({"action": "score", "scores": scores})
    with pytest.raises(InvalidInput) as refused:
        failed_criteria(qa_policy(), decision.scores)
    assert refused.value.field == field


def test_pass_must_be_a_boolean_not_a_word():
    with pytest.raises(ValidationError) as refused:
        ReviewDecision.model_validate({"action": "score", "scores": {"tone": {"pass": "yes"}}})
    assert refused.value.errors()[0]["loc"] == ("scores", "tone", "pass")


def test_a_failed_conversation_becomes_a_handover_payload_the_bot_gave_up_on_for_qa():
    interaction = conversation().model_dump(mode="json", exclude_none=True)
    payload = handover_payload(interaction)
    assert payload == {"transcript": interaction["transcript"], "intent": "billing.dispute", "intentConfidence": 0.42,
                       "tried": ["explained the invoice"], "gaveUpBecause": "qa_failed",
                       "preferredContact": {"channel": "email"}}
    assert payload["transcript"][0] == {"from": "customer", "text": "What is my balance?"}


# ---------------------------------------------------------------- stored, scored once
def test_a_second_post_of_a_conversation_answers_the_same_and_opens_no_second_task(store, clock):
    first = receive_interaction(conversation(flags=["low_confidence"]), store, "key-1")
    again = receive_interaction(conversation(flags=["low_confidence"]), store, "key-1")
    assert first == again and first["sampled"] and first["taskId"]
    assert [t["taskId"] for t in list_reviews(store, QA)["items"]] == [first["taskId"]]
    with pytest.raises(InvalidInput) as refused:
        receive_interaction(conversation(flags=["low_confidence"], outcome="abandoned"), store, "key-1")
    assert refused.value.field == "interactionId"
    other_channel = receive_interaction(conversation(flags=["low_confidence"]), store, "key-2")
    assert other_channel["taskId"] != first["taskId"], "another channel's conversation of the same id is its own"


def test_a_failed_score_is_logged_counted_and_decided_once(store, world):
    task_id = receive_interaction(conversation(flags=["customer_frustrated"]), store, "key-1")["taskId"]
    view = review_view(store, QA, task_id)
    assert view["kind"] == "qa" and view["interaction"]["flags"] == ["customer_frustrated"]
    assert view["why"]["sampledBecause"][0]["flag"] == "customer_frustrated"
    assert [c["labels"]["de"] for c in view["scorecard"]] == ["Richtigkeit", "Ton", "Richtlinien", "Lösung"]

    decision = ReviewDecision.model_validate({"action": "score", "scores": scorecard(accuracy="quoted a wrong fee")})
    result = decide(store, world.workflow, QA, task_id, decision)
    assert (result["failed"], result["critical"]) == (["accuracy"], True)
    # The same reviewer's retry of the same scorecard (a minute later) completes it again without counting twice.
    world.clock.advance(60)
    assert decide_qa(store, world.workflow, None, QA, store.get_task(task_id), decision)["failed"] == ["accuracy"]
    with pytest.raises(Conflict):
        decide(store, world.workflow, QA, task_id, ReviewDecision.model_validate(
            {"action": "score", "scores": scorecard()}))

    logged, _ = store.query_overrides(journey=QA_LOG, start="2000-01-01", end="2100-01-01")
    assert [(o["kind"], o["failedCriteria"], o["reason"]) for o in logged] == [
        ("qa_failure", ["accuracy"], "accuracy: quoted a wrong fee")]
    figures = insights(store, LEAD, journey=QA_LOG, start=None, end=None, by=None)
    assert (figures["qaScored"], figures["qaFailed"], figures["qaFailRate"]) == (1, 1, 1.0)
    assert [(c["value"], c["qaFailed"], c["qaScored"]) for c in figures["clusters"]] == [("accuracy", 1, 1)]
    assert figures["groups"][0]["value"] == "billing-bot:billing.dispute"


def test_a_scorecard_on_a_review_task_is_refused_and_the_task_stays_open(world):
    review = world.wait_for_review(world.new_case(refund_request(120)))
    reviewer = Reviewer(sub="ana", name="ana", groups=("reviewers",))
    with pytest.raises(InvalidInput) as refused:
        decide(world.store, world.workflow, reviewer, review.task_id,
               ReviewDecision.model_validate({"action": "score", "scores": scorecard()}))
    assert refused.value.field == "action"
    assert world.store.get_task(review.task_id)["status"] == "OPEN"


def test_a_transcript_too_large_for_one_item_is_refused_naming_it():
    long_turns = [{"from": "customer", "text": "x" * 5000}] * 50
    with pytest.raises(ValidationError) as refused:
        conversation().model_validate({**conversation().model_dump(mode="json"), "transcript": long_turns})
    assert refused.value.errors()[0]["loc"] == ("transcript",)


def test_qa_insights_have_their_own_dimensions(store, clock):
    with pytest.raises(InvalidInput) as refused:
        insights(store, LEAD, journey=QA_LOG, start=None, end=None, by="rule")
    assert refused.value.field == "by"
    empty = insights(store, LEAD, journey=QA_LOG, start=None, end=None, by=None)
    assert (empty["qaScored"], empty["qaFailRate"], empty["clusters"]) == (0, None, [])
