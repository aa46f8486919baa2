"""Curated policy changes: what the memory supports, its backtest, a lead's decision, versions and rollback."""
import pytest

from loopgate.errors import Conflict, Forbidden, InvalidInput, InvalidValue, NotFound
from loopgate.models import PolicyRollback, ProposalDecision, Reviewer
from loopgate.policy import proposals as rules
from loopgate.policy.journeys import get_journey
from loopgate.policy.learning import Adjustment, Change, Policy, Tally
from loopgate.usecases import proposals

from .world import refund_request

LEAD = Reviewer(sub="lead-1", name="Lena Lead", groups=("leads",))
REVIEWER = Reviewer(sub="rev-1", name="Rita", groups=("reviewers",))
ABOVE = "rule=above-auto-limit|category=-|confidence=0.9-1.0"  # a refund of 100 at confidence 0.95
SMALL = "rule=small-confident-refund|category=-|confidence=0.9-1.0"


def remember(store, journey: str, slice_key: str, **counts: float) -> None:
    """Writes a slice's memory as the fold would have (one fact per call)."""
    import uuid
    store.record_fact(f"seed-{uuid.uuid4().hex[:8]}", "seed", [Tally(kind="memory", journey=journey,
                                                                   slice=slice_key, add=counts)])


def policy(version=1, **changes: Change) -> Policy:
    return Policy(journey="refund", version=version, adjustments=[
        Adjustment(slice=key, change=change, acceptedBy="x", reason="r", at="2026-11-01T00:00:00Z")
        for key, change in changes.items()])


# ------------------------------------------------------------------ the math
def test_wilson_interval_matches_the_textbook():
    low, high = rules.wilson(0, 20)
    assert low == 0 and high == pytest.approx(3.8415 / 23.8415, abs=1e-4)  # z²/(n+z²) with no successes
    low, high = rules.wilson(10, 100)
    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)
    assert rules.wilson(0, 0) == (0.0, 1.0)


def test_twenty_unchanged_approvals_loosen_a_refund_rule_with_at_least_a_fifth_audited():
    refund = get_journey("refund")
    verdict = rules.judge_slice(refund, Policy(journey="refund"), ABOVE, {"approvedUnchanged": 20, "cases": 20})
    assert verdict.kind == "loosen"
    assert verdict.change == Change(route="auto", auditRate=0.25)  # the journey's own 25 % beats the 20 % floor

    contract = get_journey("contract_change")  # reversible; human_then_customer loosens to the customer
    verdict = rules.judge_slice(contract, Policy(journey="contract_change"),
                                "rule=low-confidence|category=-|confidence=0.5-0.6", {"approvedUnchanged": 25})
    assert verdict.change == Change(route="customer", auditRate=0.1)


def test_an_irreversible_journey_never_loosens_below_the_audit_floor(monkeypatch):
    refund = get_journey("refund").model_copy(update={"auditRate": 0.0})
    verdict = rules.judge_slice(refund, Policy(journey="refund"), ABOVE, {"approvedUnchanged": 30})
    assert verdict.change.auditRate == 0.2


@pytest.mark.parametrize("memory, why", [
    ({"approvedUnchanged": 19}, "under the minimum"),
    ({"approvedUnchanged": 19, "modified": 1}, "a departure, and the interval is wide"),
    ({"approvedUnchanged": 60, "modified": 1}, "upper bound above 5 %"),
    ({"approvedUnchanged": 20, "auditAgreed": 18, "auditDisagreed": 2}, "outcomes disagree 10 %"),
])
def test_no_loosening_without_enough_agreement(memory, why):
    assert rules.judge_slice(get_journey("refund"), Policy(journey="refund"), ABOVE, memory) is None, why


def test_many_agreeing_decisions_loosen_despite_a_rare_departure():
    memory = {"approvedUnchanged": 150, "rejected": 1}
    assert rules.wilson(1, 151)[1] <= 0.05
    assert rules.judge_slice(get_journey("refund"), Policy(journey="refund"), ABOVE, memory).kind == "loosen"


@pytest.mark.parametrize("journey, key", [
    ("refund", "rule=above-standard-limit|category=-|confidence=0.9-1.0"),  # four eyes
    ("refund", "rule=fraud-combination|category=-|confidence=0.9-1.0"),  # four eyes and a capability
    ("identity_verification", "rule=mismatch-with-fraud-history|confidence=0.9-1.0"),  # a capability
    ("refund", "rule=default|category=-|confidence=0.9-1.0"),  # the journey's safe default
    ("refund", "rule=no-longer-a-rule|category=-|confidence=0.9-1.0"),
])
def test_guarded_rules_are_never_loosened(journey, key):
    assert rules.judge_slice(get_journey(journey), Policy(journey=journey), key, {"approvedUnchanged": 500}) is None


def test_a_slice_already_loosened_is_not_loosened_again_but_can_be_tightened():
    loosened = policy(2, **{ABOVE: Change(route="auto", auditRate=0.25)})
    refund = get_journey("refund")
    assert rules.judge_slice(refund, loosened, ABOVE, {"approvedUnchanged": 50}) is None
    verdict = rules.judge_slice(refund, loosened, ABOVE, {"approvedUnchanged": 50, "auditAgreed": 17,
                                                         "auditDisagreed": 3})
    assert verdict.kind == "tighten" and verdict.change == Change(route="human")
    assert verdict.base == Change(route="auto", auditRate=0.25)


def test_automatic_slices_tighten_when_audits_or_customers_disagree_a_tenth_of_the_time():
    refund = get_journey("refund")
    assert rules.judge_slice(refund, Policy(journey="refund"), SMALL,
                             {"routed_auto": 40, "auditAgreed": 19, "auditDisagreed": 1}) is None  # 5 %
    assert rules.judge_slice(refund, Policy(journey="refund"), SMALL,
                             {"routed_auto": 40, "auditAgreed": 8, "auditDisagreed": 2}) is None  # too few
    verdict = rules.judge_slice(refund, Policy(journey="refund"), SMALL,
                                {"routed_auto": 40, "auditAgreed": 16, "auditDisagreed": 2,
                                 "customerDeclined": 2})
    assert verdict.kind == "tighten"
    test = rules.backtest(verdict)
    assert test["humanTouchesAdded"] == 40
    caught = test["errorsCaught"]
    assert caught["count"] == 4 and caught["of"] == 20 and caught["rate"] == 0.2
    low, high = rules.wilson(4, 20)
    assert caught["interval"] == [round(low * 40, 1), round(high * 40, 1)]


def test_loosening_backtest_counts_saved_touches_escaped_errors_and_audits():
    verdict = rules.judge_slice(get_journey("refund"), Policy(journey="refund"), ABOVE,
                                {"approvedUnchanged": 150, "modified": 1})
    test = rules.backtest(verdict)
    assert test["humanTouchesSaved"] == 151
    assert test["escapedErrors"]["count"] == 1
    low, high = rules.wilson(1, 151)
    assert test["escapedErrors"]["interval"] == [round(low * 151, 1), round(high * 151, 1)]
    assert test["auditsAdded"] == round(151 * 0.25, 1)


def test_proposal_ids_are_deterministic_and_name_journey_and_version():
    change = Change(route="auto", auditRate=0.25)
    first = rules.proposal_id("refund", ABOVE, change, 3)
    assert first == rules.proposal_id("refund", ABOVE, change, 3)
    assert first != rules.proposal_id("refund", ABOVE, change, 4)
    assert rules.journey_of_proposal(first) == ("refund", 3)
    assert rules.journey_of_proposal("nonsense") is None


# ------------------------------------------------------------------ the use cases on DynamoDB
def _route(store, state) -> dict:
    return store.get_case(state["caseId"])


def test_accepted_proposal_routes_the_next_similar_case_and_rollback_restores_version_one(world, store):
    before = _route(store, world.new_case(refund_request(100)))
    assert before["route"] == "human" and before["policyVersion"] == 1 and before["slice"] == ABOVE
    remember(store, "refund", ABOVE, approvedUnchanged=19)
    assert proposals.run_proposer(store, None) == {"items": []}  # 19 decided cases: under the minimum
    remember(store, "refund", ABOVE, approvedUnchanged=1)

    (made,) = proposals.run_proposer(store, None)["items"]
    assert made["slice"] == ABOVE and made["change"] == {"route": "auto", "auditRate": 0.25}
    assert made["status"] == "open" and made["policyVersion"] == 1
    assert made["backtest"]["humanTouchesSaved"] == 20 and made["backtest"]["escapedErrors"]["count"] == 0
    assert made["evidence"]["words"] == "20 approved unchanged"
    assert proposals.run_proposer(store, LEAD)["items"][0]["proposalId"] == made["proposalId"]
    assert len(proposals.list_proposals(store, LEAD, journey="refund", status=None)["items"]) == 1

    accepted = proposals.decide_proposal(store, LEAD, made["proposalId"],
                                         ProposalDecision(action="accept", reason="reviewers never changed these"))
    assert accepted["policyVersion"] == 2
    after = _route(store, world.new_case(refund_request(120)))
    assert after["route"] == "auto" and after["policyVersion"] == 2
    words = after["reasons"][0]["text"]
    assert after["reasons"][0]["rule"] == "policy:v2"
    assert "Lena Lead" in words and "reviewers never changed these" in words and "20 approved unchanged" in words
    assert proposals.list_proposals(store, LEAD, journey=None, status="accepted")["items"][0]["decidedBy"] == \
        "Lena Lead"
    assert proposals.list_proposals(store, LEAD, journey=None, status="open")["items"] == []

    with pytest.raises(Conflict):
        proposals.decide_proposal(store, LEAD, made["proposalId"], ProposalDecision(action="accept", reason="again"))

    rolled = proposals.rollback(store, LEAD, "refund", PolicyRollback(version=1, reason="audits look off"))
    assert rolled["policyVersion"] == 3
    again = _route(store, world.new_case(refund_request(110)))
    assert again["route"] == "human" and again["policyVersion"] == 3
    view = proposals.policy_view(store, LEAD, "refund")
    assert view["version"] == 3 and view["adjustments"] == []
    assert [(v["version"], v["kind"]) for v in view["history"]] == [(3, "rollback"), (2, "accept"), (1, "file")]
    assert view["history"][0]["reason"] == "audits look off" and view["history"][0]["by"] == "Lena Lead"
    assert view["history"][1]["adjustments"][0]["proposalId"] == made["proposalId"]

    back = proposals.rollback(store, LEAD, "refund", PolicyRollback(version=2, reason="it was fine after all"))
    assert back["policyVersion"] == 4
    assert _route(store, world.new_case(refund_request(130)))["route"] == "auto"


def test_rejected_proposal_is_not_proposed_again_on_the_same_version(store):
    remember(store, "refund", ABOVE, approvedUnchanged=25)
    (made,) = proposals.run_proposer(store, None)["items"]
    rejected = proposals.decide_proposal(store, LEAD, made["proposalId"],
                                         ProposalDecision(action="reject", reason="not before the audit"))
    assert rejected["status"] == "rejected" and rejected["decisionReason"] == "not before the audit"
    assert proposals.run_proposer(store, None)["items"] == []
    assert proposals.policy_view(store, LEAD, "refund")["version"] == 1
    with pytest.raises(Conflict):
        proposals.decide_proposal(store, LEAD, made["proposalId"], ProposalDecision(action="accept", reason="oh well"))


def test_accept_builds_on_a_version_made_meanwhile_for_another_slice(store):
    other = "rule=low-confidence|category=-|confidence=0.8-0.9"
    remember(store, "refund", ABOVE, approvedUnchanged=25)
    remember(store, "refund", other, approvedUnchanged=30)
    made = {p["slice"]: p for p in proposals.run_proposer(store, None)["items"]}
    proposals.decide_proposal(store, LEAD, made[other]["proposalId"], ProposalDecision(action="accept", reason="okay"))
    result = proposals.decide_proposal(store, LEAD, made[ABOVE]["proposalId"],
                                       ProposalDecision(action="accept", reason="ok too"))
    assert result["policyVersion"] == 3
    assert {a["slice"] for a in proposals.policy_view(store, LEAD, "refund")["adjustments"]} == {ABOVE, other}


def test_a_proposal_whose_slice_changed_since_is_superseded(store):
    remember(store, "refund", ABOVE, approvedUnchanged=25)
    (first,) = proposals.run_proposer(store, None)["items"]
    proposals.decide_proposal(store, LEAD, first["proposalId"], ProposalDecision(action="accept", reason="okay"))
    proposals.rollback(store, LEAD, "refund", PolicyRollback(version=1, reason="undo"))
    (second,) = proposals.run_proposer(store, None)["items"]  # version 3: same slice, a new proposal
    assert second["proposalId"] != first["proposalId"] and second["policyVersion"] == 3
    proposals.decide_proposal(store, LEAD, second["proposalId"], ProposalDecision(action="accept", reason="okay"))
    # A stale open proposal made on version 3 for a slice version 4 changed cannot be accepted blindly.
    stale = {**second, "proposalId": rules.proposal_id("refund", ABOVE, Change(route="auto", auditRate=0.3), 3),
             "status": "open"}
    store.put_proposal(stale)
    with pytest.raises(Conflict, match="changed this slice"):
        proposals.decide_proposal(store, LEAD, stale["proposalId"], ProposalDecision(action="accept", reason="xyz"))
    assert store.get_proposal("refund", stale["proposalId"])["status"] == "superseded"


def test_a_new_proposal_for_a_slice_supersedes_the_open_one_of_an_older_version(store):
    other = "rule=low-confidence|category=-|confidence=0.8-0.9"
    remember(store, "refund", ABOVE, approvedUnchanged=25)
    remember(store, "refund", other, approvedUnchanged=30)
    made = {p["slice"]: p for p in proposals.run_proposer(store, None)["items"]}
    proposals.decide_proposal(store, LEAD, made[other]["proposalId"], ProposalDecision(action="accept", reason="okay"))
    (fresh,) = proposals.run_proposer(store, None)["items"]
    assert fresh["slice"] == ABOVE and fresh["policyVersion"] == 2
    assert store.get_proposal("refund", made[ABOVE]["proposalId"])["status"] == "superseded"
    assert [p["proposalId"] for p in proposals.list_proposals(store, LEAD, journey="refund", status="open")["items"]] \
        == [fresh["proposalId"]]


def test_only_leads_and_clear_errors(store):
    for call in (lambda: proposals.run_proposer(store, REVIEWER),
                 lambda: proposals.list_proposals(store, REVIEWER, journey=None, status=None),
                 lambda: proposals.policy_view(store, REVIEWER, "refund"),
                 lambda: proposals.rollback(store, REVIEWER, "refund", PolicyRollback(version=1, reason="why")),
                 lambda: proposals.decide_proposal(store, REVIEWER, "refund-000001-0123456789abcdef",
                                                   ProposalDecision(action="reject", reason="nope"))):
        with pytest.raises(Forbidden):
            call()
    with pytest.raises(InvalidValue) as error:
        proposals.list_proposals(store, LEAD, journey=None, status="pending")
    assert error.value.field == "status"
    with pytest.raises(InvalidInput) as error:
        proposals.list_proposals(store, LEAD, journey="nope", status=None)
    assert error.value.field == "journey"
    for version in (1, 2):
        with pytest.raises(InvalidValue) as error:
            proposals.rollback(store, LEAD, "refund", PolicyRollback(version=version, reason="why"))
        assert error.value.field == "version"
    for unknown in ("refund-000001-0123456789abcdef", "nope-000001-0123456789abcdef", "garbage"):
        with pytest.raises(NotFound):
            proposals.decide_proposal(store, LEAD, unknown, ProposalDecision(action="accept", reason="yes"))


def test_an_accept_that_read_a_stale_live_version_retries_on_the_new_one(store, monkeypatch):
    """Two leads accept at once: the one whose read went stale must not overwrite the other's version."""
    other = "rule=low-confidence|category=-|confidence=0.8-0.9"
    remember(store, "refund", ABOVE, approvedUnchanged=25)
    remember(store, "refund", other, approvedUnchanged=30)
    made = {p["slice"]: p for p in proposals.run_proposer(store, None)["items"]}
    stale = proposals.live_policy(store, "refund")
    proposals.decide_proposal(store, LEAD, made[other]["proposalId"], ProposalDecision(action="accept", reason="okay"))
    reads = []
    real = proposals.live_policy

    def first_read_stale(s, journey):
        reads.append(journey)
        return stale if len(reads) == 1 else real(s, journey)

    monkeypatch.setattr(proposals, "live_policy", first_read_stale)
    result = proposals.decide_proposal(store, LEAD, made[ABOVE]["proposalId"],
                                       ProposalDecision(action="accept", reason="okay too"))
    assert result["policyVersion"] == 3 and len(reads) == 2
    assert {a["slice"] for a in proposals.policy_view(store, LEAD, "refund")["adjustments"]} == {ABOVE, other}
