"""A reviewer's edit passes the judges; a capability task is decided only by those who hold it (fast, on moto)."""
import pytest

from loopgate.errors import Forbidden, InvalidValue
from loopgate.models import ReviewDecision, Reviewer, proposal_version
from loopgate.usecases.reviews import decide

from .world import refund_request

SENIOR = Reviewer(sub="sam", name="sam", groups=("senior",))


def review_of(world, request):
    state = world.new_case(request)
    return world.wait_for_review(state)


def test_an_edit_that_adds_an_iban_is_refused_naming_the_field(world):
    review = review_of(world, refund_request(120.0))
    edited = {"action": "refund", "amount": 100.0, "currency": "EUR",
              "note": "Transfer to DE89 3704 0044 0532 0130 00 please"}
    with pytest.raises(InvalidValue) as refused:
        decide(world.store, world.workflow, Reviewer("ana", "ana", ("reviewers",)), review.task_id,
               ReviewDecision(action="modify", reason="partial", proposal=edited))
    assert refused.value.field == "proposal.note" and "IBAN" in refused.value.message
    assert world.workflow.outcome(review.token) is None, "nothing was handed to the workflow"
    clean = {**edited, "note": "Partial refund for the missing item"}
    decide(world.store, world.workflow, Reviewer("ana", "ana", ("reviewers",)), review.task_id,
           ReviewDecision(action="modify", reason="partial", proposal=clean))
    assert world.workflow.outcome(review.token)["proposal"] == clean


def test_an_edit_that_invents_a_promise_is_refused(world):
    review = review_of(world, refund_request(120.0))
    promise = {"action": "refund", "amount": 120.0, "currency": "EUR", "note": "We guarantee this never happens again"}
    with pytest.raises(InvalidValue) as refused:
        decide(world.store, world.workflow, Reviewer("ana", "ana", ("reviewers",)), review.task_id,
               ReviewDecision(action="modify", reason="tone", proposal=promise))
    assert refused.value.field == "proposal.note"


def fraud_refund():
    request = refund_request(120.0)
    request["payload"].update({"identity": {"mismatch": True}, "account": {"recentFraudAttempts": 2}})
    return request


def test_a_fraud_task_is_refused_to_a_plain_reviewer_and_decided_by_a_fraud_reviewer(world):
    review = review_of(world, fraud_refund())
    task = world.store.get_task(review.task_id)
    assert task["capability"] == "fraud" and task["queue"] == "fraud"
    outsider = Reviewer("sam", "sam", ("fraud-curious", "senior"))
    with pytest.raises(Forbidden):  # not even in the queue
        decide(world.store, world.workflow, outsider, review.task_id, ReviewDecision(action="approve"))
    # In the queue by group but without the capability (a misconfigured group list) is still refused.
    world.store.cases.update_item(Key={"pk": f"TASK#{review.task_id}", "sk": "TASK"},
                                  UpdateExpression="SET #q = :q", ExpressionAttributeNames={"#q": "queue"},
                                  ExpressionAttributeValues={":q": "senior"})
    with pytest.raises(Forbidden, match="'fraud' capability"):
        decide(world.store, world.workflow, SENIOR, review.task_id, ReviewDecision(action="approve"))
    assert world.workflow.outcome(review.token) is None
    decide(world.store, world.workflow, SENIOR, review.task_id,
           ReviewDecision(action="escalate", reason="needs fraud training"))
    assert world.workflow.outcome(review.token)["action"] == "escalate", "escalating needs no capability"


def test_two_fraud_reviewers_with_refund_authority_approve(world):
    review = review_of(world, fraud_refund())
    first = decide(world.store, world.workflow, Reviewer("fay", "fay", ("fraud",)), review.task_id,
                   ReviewDecision(action="approve"))
    assert first["status"] == "AWAITING_SECOND_APPROVAL" and world.workflow.outcome(review.token) is None
    seen = proposal_version(world.store.get_case(review.case_id)["proposal"])
    decide(world.store, world.workflow, Reviewer("fox", "fox", ("fraud",)), review.task_id,
           ReviewDecision(action="approve", proposalVersion=seen))
    assert world.workflow.outcome(review.token)["approvedBy"] == "fox"


def test_a_fraud_case_from_a_customer_in_distress_needs_both_capabilities(world):
    """The rule asks for fraud reviewers, the vulnerability guard for care: one capability must not drop the other."""
    request = fraud_refund()
    request["payload"]["message"] = "My husband passed away last week and I cannot cope with all these bills."
    review = review_of(world, request)
    task = world.store.get_task(review.task_id)
    assert task["capability"] == "fraud+vulnerable" and task["queue"] == "supervisors"
    for one_of_them in (Reviewer("fia", "fia", ("fraud",)), Reviewer("cam", "cam", ("care", "supervisors-x"))):
        with pytest.raises(Forbidden):
            decide(world.store, world.workflow, one_of_them, review.task_id, ReviewDecision(action="reject",
                                                                                          reason="fraud"))
    supervisor = Reviewer("sue", "sue", ("supervisors",))
    decide(world.store, world.workflow, supervisor, review.task_id, ReviewDecision(action="reject", reason="fraud"))
    assert world.workflow.outcome(review.token)["action"] == "reject"
