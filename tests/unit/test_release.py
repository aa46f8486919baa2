"""A claim's holder can give the task back before the 15-minute lease ends; nobody else can."""
import pytest

from loopgate.errors import Conflict
from loopgate.models import Reviewer
from loopgate.usecases.reviews import claim, list_reviews, release
from tests.helpers import load_event

ANA = Reviewer(sub="ana", name="ana@example.com", groups=("reviewers",))
BOB = Reviewer(sub="bob", name="bob@example.com", groups=("reviewers",))


def test_the_holder_releases_and_another_reviewer_can_claim_at_once(world):
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    claim(world.store, ANA, review.task_id)
    with pytest.raises(Conflict):
        claim(world.store, BOB, review.task_id)

    assert release(world.store, ANA, review.task_id) == {"taskId": review.task_id, "claimedBy": None,
                                                         "leaseUntil": None}
    (row,) = list_reviews(world.store, BOB)["items"]
    assert row["claimedBy"] is None and row["leaseUntil"] is None
    assert claim(world.store, BOB, review.task_id)["claimedBy"] == "bob"
    types = [e["type"] for e in world.store.get_case_with_timeline(review.case_id)[1]]
    assert types.count("review_released") == 1 and types.count("review_claimed") == 2


def test_only_the_holder_releases(world):
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    with pytest.raises(Conflict, match="not claimed"):
        release(world.store, BOB, review.task_id)
    claim(world.store, ANA, review.task_id)
    with pytest.raises(Conflict, match="claimed by ana; only they can release it"):
        release(world.store, BOB, review.task_id)
    (row,) = list_reviews(world.store, ANA)["items"]
    assert row["claimedBy"] == "ana"


def test_the_holder_extends_by_claiming_again(world):
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    first = claim(world.store, ANA, review.task_id)["leaseUntil"]
    world.clock.advance(10 * 60)
    again = claim(world.store, ANA, review.task_id)["leaseUntil"]
    assert again > first
    types = [e["type"] for e in world.store.get_case_with_timeline(review.case_id)[1]]
    assert types.count("review_claimed") == 1  # extending is not news on the timeline
