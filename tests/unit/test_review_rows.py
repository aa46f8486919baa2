"""What a reviewer triages by: each queue row says why the case is here, whose it is and its key figure, read
from the task alone (no case item per row); escalation is offered only where it leads somewhere, saying where."""
import pytest

from loopgate.errors import InvalidInput, InvalidValue
from loopgate.models import ReviewDecision, Reviewer
from loopgate.usecases.reviews import LEASE_SECONDS, claim, decide, list_reviews, review_view
from tests.helpers import load_event
from tests.unit.world import refund_request

ANA = Reviewer(sub="ana", name="ana@example.com", groups=("reviewers",))
SUE = Reviewer(sub="sue", name="sue@example.com", groups=("senior",))
SUPERVISOR = Reviewer(sub="sol", name="sol@example.com", groups=("supervisors",))


def test_a_row_says_why_whose_and_how_much(world):
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    (row,) = list_reviews(world.store, ANA)["items"]
    assert row["taskId"] == review.task_id
    assert row["title"] == "Contract change"
    assert row["customer"] == "Maria"
    assert row["keyFigure"] == {"field": "monthlyPrice", "label": "Monthly price", "value": 39.9, "display": "money",
                                "currency": "EUR"}
    assert row["reasonText"] == "The AI is not confident enough to send this change to the customer unreviewed."
    assert row["fourEyes"] is False


def test_a_row_names_the_holder_only_while_the_lease_runs(world):
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    claim(world.store, ANA, review.task_id)
    (row,) = list_reviews(world.store, ANA)["items"]
    assert row["claimedBy"] == "ana" and row["leaseUntil"]
    world.clock.advance(LEASE_SECONDS + 1)
    (row,) = list_reviews(world.store, ANA)["items"]
    assert row["claimedBy"] is None and row["leaseUntil"] is None  # anyone may take it now: the row says so


def test_listing_the_queue_reads_no_case_item(world, monkeypatch):
    world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))

    def no_case_reads(*args, **kwargs):
        raise AssertionError("the queue read a case item")
    monkeypatch.setattr(world.store, "get_case", no_case_reads)
    monkeypatch.setattr(world.store, "get_case_with_timeline", no_case_reads)
    (row,) = list_reviews(world.store, ANA)["items"]
    assert row["customer"] == "Maria"


def test_a_customer_without_a_name_is_shown_by_id_and_a_refund_by_its_amount(world):
    request = refund_request(1299, confidence=0.5)
    world.wait_for_review(world.new_case(request))
    (row,) = [t for t in list_reviews(world.store, ANA)["items"] + list_reviews(world.store, SUE)["items"]]
    assert row["customer"] == request["customer"]["id"]
    assert row["keyFigure"] == {"field": "amount", "label": "Amount", "value": 1299, "display": "money",
                                "currency": "EUR"}


def test_a_case_without_numbers_has_no_key_figure(world):
    world.wait_for_review(world.new_case(load_event("complaint_angry.json")))
    rows = [t for r in (ANA, SUE, SUPERVISOR) for t in list_reviews(world.store, r)["items"]]
    assert rows and all(row["keyFigure"] is None for row in rows)


def escalation(view):
    return [o for o in view["options"] if o["action"] == "escalate"]


def test_escalation_says_where_it_goes_and_is_not_offered_at_the_top(world):
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    view = review_view(world.store, ANA, review.task_id)
    assert view["escalatesTo"] == "senior" and "'senior' queue" in escalation(view)[0]["does"]

    decide(world.store, world.workflow, ANA, review.task_id, ReviewDecision(action="escalate", reason="too big"))
    senior = world.wait_for_review(world.record(review.state, world.workflow.outcome(review.token)))
    view = review_view(world.store, SUE, senior.task_id)
    assert view["queue"] == "senior" and view["escalatesTo"] == "supervisors"
    assert "'supervisors' queue" in escalation(view)[0]["does"]

    decide(world.store, world.workflow, SUE, senior.task_id, ReviewDecision(action="escalate", reason="policy"))
    top = world.wait_for_review(world.record(senior.state, world.workflow.outcome(senior.token)))
    view = review_view(world.store, SUPERVISOR, top.task_id)
    assert view["queue"] == "supervisors" and view["escalatesTo"] is None and escalation(view) == []
    with pytest.raises(InvalidInput) as refused:
        decide(world.store, world.workflow, SUPERVISOR, top.task_id, ReviewDecision(action="escalate", reason="x"))
    assert refused.value.field == "action"
    assert world.workflow.outcome(top.token) is None


def test_the_task_view_declares_the_proposal_fields_the_form_is_built_from(world):
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    fields = review_view(world.store, ANA, review.task_id)["proposalFields"]
    assert fields["monthlyPrice"]["type"] == "number"
    assert (fields["monthlyPrice"]["minimum"], fields["monthlyPrice"]["maximum"]) == (0, 10000)
    assert fields["termMonths"]["type"] == "integer" and fields["startDate"]["display"] == "date"


def test_a_bound_in_an_error_is_written_as_people_write_it(world):
    review = world.wait_for_review(world.new_case(refund_request(1299, confidence=0.5)))
    sue = Reviewer(sub="sue", name="sue@example.com", groups=("senior", "reviewers"))
    with pytest.raises(InvalidValue) as refused:
        decide(world.store, world.workflow, sue, review.task_id, ReviewDecision(
            action="modify", reason="typo", proposal={"action": "refund", "amount": 2000000, "currency": "EUR"}))
    assert (refused.value.field, str(refused.value)) == ("proposal.amount", "proposal.amount: must be at most 1000000")


def test_after_a_four_eyes_change_the_row_shows_the_figure_a_second_approval_would_commit(world):
    """Found in review: the row kept the first proposal's amount while the pending one was half of it."""
    review = world.wait_for_review(world.new_case(refund_request(1299, confidence=0.5)))
    half = {"action": "refund", "amount": 600.0, "currency": "EUR"}
    decided = decide(world.store, world.workflow, SUE, review.task_id,
                     ReviewDecision(action="modify", reason="only half is justified", proposal=half))
    assert decided["status"] == "AWAITING_SECOND_APPROVAL"
    second = Reviewer(sub="sam", name="sam@example.com", groups=("senior",))
    (row,) = list_reviews(world.store, second)["items"]
    assert row["awaitingSecondApproval"] and row["keyFigure"]["value"] == 600
    assert review_view(world.store, second, review.task_id)["keyFigure"]["value"] == 600


def test_options_are_labelled_in_words_not_action_names(world):
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    labels = {o["action"]: o["label"] for o in review_view(world.store, ANA, review.task_id)["options"]}
    assert labels["ask_customer"] == "Ask the customer" and labels["escalate"] == "Escalate to senior"
    assert all("_" not in label for label in labels.values())
