"""When a review's wait times out, the task is over for reviewers: gone from the queue, and claiming or deciding
it is refused (409) with a reason that says so, before anything reaches the workflow."""
import pytest

from loopgate.errors import Conflict
from loopgate.models import ReviewDecision, Reviewer
from loopgate.usecases.reviews import claim, decide, list_reviews
from tests.unit.world import refund_request

ANA = Reviewer(sub="ana", name="ana@example.com", groups=("reviewers",))


@pytest.fixture
def timed_out(world):
    review = world.wait_for_review(world.new_case(refund_request(120)))
    assert [t["taskId"] for t in list_reviews(world.store, ANA)["items"]] == [review.task_id]
    return review, world.record(review.state, world.workflow.time_out(review.token))


def test_a_timed_out_task_leaves_the_queue(world, timed_out):
    old, _ = timed_out
    assert list_reviews(world.store, ANA)["items"] == []
    assert world.store.get_task(old.task_id)["status"] == "TIMED_OUT"


def test_a_timed_out_task_cannot_be_claimed(world, timed_out):
    old, _ = timed_out
    with pytest.raises(Conflict, match="no longer open \\(timed_out\\)"):
        claim(world.store, ANA, old.task_id)


def test_deciding_a_timed_out_task_is_refused(world, timed_out):
    old, _ = timed_out
    with pytest.raises(Conflict, match="no longer open \\(timed_out\\)"):
        decide(world.store, world.workflow, ANA, old.task_id, ReviewDecision(action="approve"))
    assert world.workflow.outcome(old.token) is None
    assert world.store.get_task(old.task_id)["status"] == "TIMED_OUT"
    assert world.overrides(old.case_id) == []


def test_after_the_timeout_the_senior_task_is_open_and_the_old_one_still_refused(world, timed_out):
    old, after = timed_out
    assert after["plan"]["queue"] == "senior"
    senior = world.wait_for_review(after)
    sam = Reviewer(sub="sam", name="sam@example.com", groups=("senior", "reviewers"))
    assert [t["taskId"] for t in list_reviews(world.store, sam)["items"]] == [senior.task_id]
    with pytest.raises(Conflict):
        decide(world.store, world.workflow, sam, old.task_id, ReviewDecision(action="approve"))
    assert decide(world.store, world.workflow, sam, senior.task_id, ReviewDecision(action="approve"))["status"] \
        == "DECIDED"
    assert world.workflow.outcome(senior.token)["actor"]["id"] == "sam"


def test_moving_to_the_senior_queue_announces_no_status_change(world, timed_out):
    """The case waits for a reviewer before and after: subscribers hear of AWAITING_REVIEW once."""
    _, after = timed_out
    world.wait_for_review(after)
    world.wait_for_review(after)  # another review request while one is open (a fallback)
    case_id = after["caseId"]
    assert [(e["from"], e["to"]) for e in world.events.published if e["caseId"] == case_id] == [
        (None, "RECEIVED"), ("RECEIVED", "AWAITING_REVIEW")]
