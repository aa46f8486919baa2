"""Reviewer authority (policy/authority.json): a reviewer commits up to their highest group's limit, to the cent, and
a decision beyond it is refused with 403 saying what it commits and what the reviewer may."""
import pytest

from loopgate.errors import Forbidden, InvalidInput, InvalidValue
from loopgate.models import ReviewDecision, Reviewer
from loopgate.policy.authority import check_authority, committed_amount
from loopgate.usecases.reviews import decide
from tests.unit.world import refund_request

ANA = Reviewer(sub="ana", name="ana@example.com", groups=("reviewers",))  # refund authority 500


def modify_to(amount: float) -> ReviewDecision:
    return ReviewDecision(action="modify", reason="goodwill", proposal={"action": "refund", "amount": amount,
                                                                        "currency": "EUR"})


@pytest.mark.parametrize("amount, allowed", [(499.99, True), (500, True), (500.01, False)])
def test_a_reviewer_commits_up_to_their_limit_inclusive(world, amount, allowed):
    review = world.wait_for_review(world.new_case(refund_request(120)))
    if allowed:
        assert decide(world.store, world.workflow, ANA, review.task_id, modify_to(amount))["status"] == "DECIDED"
        assert world.workflow.outcome(review.token)["proposal"]["amount"] == amount
    else:
        with pytest.raises(Forbidden, match="commits a refund of 500.01, above your refund authority of 500.00"):
            decide(world.store, world.workflow, ANA, review.task_id, modify_to(amount))
        assert world.workflow.outcome(review.token) is None


def test_the_highest_of_the_reviewers_groups_counts_whatever_their_order(world):
    for groups in (("reviewers", "senior"), ("senior", "reviewers"), ("unknown-group", "reviewers", "senior")):
        review = world.wait_for_review(world.new_case(refund_request(120)))
        sam = Reviewer(sub="sam", name="sam@example.com", groups=groups)
        assert decide(world.store, world.workflow, sam, review.task_id, modify_to(5000))["status"] == "DECIDED"


def test_a_group_without_the_authority_kind_may_commit_nothing():
    with pytest.raises(Forbidden, match="authority of 0.00"):
        check_authority("refund", ("agents",), {"amount": 0.01}, {})
    check_authority("refund", ("agents",), {"amount": 0}, {})
    check_authority("refund", (), {"amount": 0}, {})
    with pytest.raises(Forbidden):
        check_authority("refund", (), {"amount": 1}, {})


def test_a_rule_without_an_authority_kind_checks_nothing():
    check_authority(None, ("agents",), {"amount": 10**9}, {})
    check_authority("", ("agents",), {"amount": 10**9}, {})


def test_what_is_committed_is_the_proposals_amount_else_the_asked_amount():
    case = {"payload": {"amount": 70}}
    assert committed_amount({"amount": 30}, case) == 30
    assert committed_amount({"action": "refund"}, case) == 70
    assert committed_amount(None, case) == 70
    assert committed_amount(None, {}) == 0
    assert committed_amount({}, {"payload": {}}) == 0
    with pytest.raises(Forbidden, match="commits a refund of 70.00"):
        check_authority("refund", ("agents",), {"action": "refund"}, case)


@pytest.mark.parametrize("amount", ["12", True, None, [1]])
def test_an_amount_that_is_not_a_number_is_refused_naming_the_field(amount):
    with pytest.raises(InvalidInput) as refused:
        committed_amount({"amount": amount}, {})
    assert (refused.value.field, refused.value.message, type(refused.value)) == (
        "proposal.amount", "must be a number", InvalidInput)


@pytest.mark.parametrize("amount", [-0.01, float("nan"), float("inf"), float("-inf")])
def test_a_negative_or_infinite_amount_is_refused_naming_the_field(amount):
    with pytest.raises(InvalidValue) as refused:
        committed_amount({"amount": amount}, {})
    assert (refused.value.field, refused.value.message) == ("proposal.amount", "must be a finite number of at least 0")


def test_an_amount_of_zero_commits_zero():
    assert committed_amount({"amount": 0}, {}) == 0.0
    assert isinstance(committed_amount({"amount": 3}, {}), float)


def test_a_combined_capability_with_an_unknown_part_fails_closed():
    from loopgate.policy.authority import check_capability

    check_capability("fraud+vulnerable", ("supervisors",))
    with pytest.raises(Forbidden):
        check_capability("fraud+nonsense", ("supervisors", "fraud"))
