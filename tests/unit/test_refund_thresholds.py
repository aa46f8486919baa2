"""Refund routing at its thresholds (journeys/refund.json), to the cent: a limit is inclusive where the journey
says `lte`/`gte` and exclusive where it says `gt`/`lt`; the score step's plan follows the rule that matched."""
import pytest

from tests.unit.world import refund_request

AUTO = ("small-confident-refund", "execute", False)
ONE_REVIEWER = ("above-auto-limit", "review", False)
FOUR_EYES = ("above-standard-limit", "review", True)


def scored(world, request):
    """What a channel sees after scoring: the rule, the next step and whether two reviewers must approve."""
    state = world.new_case(request)
    return world.store.get_case(state["caseId"])["rule"], state["plan"]["next"], state["plan"]["fourEyes"]


@pytest.mark.parametrize("amount, expected", [
    (49.99, AUTO),
    (50, AUTO),              # autoLimit itself is paid automatically (amount lte $autoLimit)
    (50.01, ONE_REVIEWER),
    (499.99, ONE_REVIEWER),
    (500, ONE_REVIEWER),     # standardLimit itself needs one reviewer; four eyes only above it (gt)
    (500.01, FOUR_EYES),
])
def test_refund_amount_at_each_limit(world, amount, expected):
    assert scored(world, refund_request(amount)) == expected


@pytest.mark.parametrize("confidence, expected", [
    (0.9, AUTO),             # confidence gte 0.9 pays automatically
    (0.8999, ("low-confidence", "review", False)),
])
def test_refund_confidence_at_its_limit(world, confidence, expected):
    assert scored(world, refund_request(20, confidence=confidence)) == expected


def test_a_cent_proposed_above_the_limit_needs_a_reviewer(world):
    assert scored(world, refund_request(50, proposed=50.01)) == ONE_REVIEWER
