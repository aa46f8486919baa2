"""Each conditional write in the DynamoDB adapter, at the edge of its condition: the first writer wins and a late,
stale or second one is refused, as reviewers, customers and the workflow would notice it (a 409, a 410, one record).
"""
import pytest
from botocore.exceptions import ClientError

from loopgate.adapters.dynamo import _if_condition_holds
from loopgate.models import ReviewDecision, Reviewer
from loopgate.usecases.links import link_hash
from loopgate.usecases.reviews import decide, list_reviews
from tests.helpers import load_event
from tests.unit.world import refund_request

ANA = Reviewer(sub="ana", name="ana@example.com", groups=("reviewers",))
LEASE = 900


@pytest.fixture
def review(world):
    return world.wait_for_review(world.new_case(refund_request(120)))


@pytest.fixture
def four_eyes(world):
    return world.wait_for_review(world.new_case(refund_request(800)))


def queue_ids(world, queue="reviewers"):
    return [t["taskId"] for t in list_reviews(world.store, Reviewer(sub="x", name="x", groups=(queue,)))["items"]]


# ------------------------------------------------------------------ claims and decisions on an open task
def test_a_lease_keeps_others_out_until_the_second_after_it_ends(world, review):
    store, now = world.store, world.clock.epoch()
    assert store.claim_task(review.task_id, "ana", now, now + LEASE)
    assert not store.claim_task(review.task_id, "bob", now + LEASE, now + 2 * LEASE)
    assert not store.decide_task(review.task_id, "bob", now + LEASE, {"action": "approve"})
    assert store.claim_task(review.task_id, "ana", now + LEASE, now + 2 * LEASE)  # the holder renews
    assert store.claim_task(review.task_id, "bob", now + 2 * LEASE + 1, now + 3 * LEASE)
    assert store.get_task(review.task_id)["claimedBy"] == "bob"


def test_a_decided_task_can_be_neither_claimed_nor_decided_again(world, review):
    store, now = world.store, world.clock.epoch()
    assert store.decide_task(review.task_id, "ana", now, {"action": "approve"})
    task = store.get_task(review.task_id)
    assert (task["status"], task["decidedBy"], task["decision"]) == ("DECIDED", "ana", {"action": "approve"})
    assert review.task_id not in queue_ids(world)
    assert not store.claim_task(review.task_id, "ana", now, now + LEASE)
    assert not store.decide_task(review.task_id, "ana", now, {"action": "reject"})
    assert store.get_task(review.task_id)["decision"] == {"action": "approve"}


def test_a_first_approval_keeps_the_task_open_and_claimable(world, four_eyes):
    store, now = world.store, world.clock.epoch()
    assert store.claim_task(four_eyes.task_id, "ana", now, now + LEASE)
    first = {"action": "approve", "by": "ana", "at": "2026-11-02T09:00:00Z"}
    assert store.record_first_approval(four_eyes.task_id, "ana", now, first)
    task = store.get_task(four_eyes.task_id)
    assert (task["status"], task["firstApproval"]) == ("OPEN", first)
    assert "claimedBy" not in task and four_eyes.task_id in queue_ids(world, "senior")
    assert store.claim_task(four_eyes.task_id, "bob", now, now + LEASE)


def test_a_second_first_approval_is_refused_unless_it_replaces_the_one_seen(world, four_eyes):
    store, now = world.store, world.clock.epoch()
    first = {"action": "approve", "by": "ana", "at": "2026-11-02T09:00:00Z"}
    modified = {"action": "modify", "by": "carl", "at": "2026-11-02T09:05:00Z"}
    assert store.record_first_approval(four_eyes.task_id, "ana", now, first)
    assert not store.record_first_approval(four_eyes.task_id, "carl", now, modified)
    assert not store.record_first_approval(four_eyes.task_id, "carl", now, modified,
                                           replaces={"at": "2026-11-02T08:59:59Z"})
    assert store.record_first_approval(four_eyes.task_id, "carl", now, modified, replaces=first)
    assert store.get_task(four_eyes.task_id)["firstApproval"] == modified


def test_a_second_approval_counts_only_for_the_pending_approval_and_from_someone_else(world, four_eyes):
    store, now = world.store, world.clock.epoch()
    first = {"action": "approve", "by": "ana", "at": "2026-11-02T09:00:00Z"}
    assert store.record_first_approval(four_eyes.task_id, "ana", now, first)
    assert not store.decide_task(four_eyes.task_id, "ana", now, {"action": "approve"}, second_approval_of=first)
    stale = {**first, "at": "2026-11-02T08:59:00Z"}
    assert not store.decide_task(four_eyes.task_id, "bob", now, {"action": "approve"}, second_approval_of=stale)
    other = {**first, "by": "carl"}
    assert not store.decide_task(four_eyes.task_id, "bob", now, {"action": "approve"}, second_approval_of=other)
    assert store.get_task(four_eyes.task_id)["status"] == "OPEN"
    assert store.decide_task(four_eyes.task_id, "bob", now, {"action": "approve"}, second_approval_of=first)
    assert store.get_task(four_eyes.task_id)["decidedBy"] == "bob"


def test_a_second_approval_is_refused_once_the_task_is_decided(world, four_eyes):
    store, now = world.store, world.clock.epoch()
    first = {"action": "approve", "by": "ana", "at": "2026-11-02T09:00:00Z"}
    assert store.record_first_approval(four_eyes.task_id, "ana", now, first)
    assert store.decide_task(four_eyes.task_id, "bob", now, {"action": "approve"}, second_approval_of=first)
    assert not store.decide_task(four_eyes.task_id, "dan", now, {"action": "approve"}, second_approval_of=first)
    assert not store.record_first_approval(four_eyes.task_id, "dan", now, first, replaces=first)


# ------------------------------------------------------------------ closing and reopening
def test_a_task_closes_only_from_the_status_expected(world, review):
    store, now = world.store, world.clock.epoch()
    assert not store.close_task(review.task_id, "LATE", expected="DECIDED")
    assert store.get_task(review.task_id)["status"] == "OPEN"
    assert store.decide_task(review.task_id, "ana", now, {"action": "approve"})
    assert not store.close_task(review.task_id, "TIMED_OUT")
    assert store.close_task(review.task_id, "LATE", {"note": "after the wait"}, expected="DECIDED")
    task = store.get_task(review.task_id)
    assert (task["status"], task["note"]) == ("LATE", "after the wait")
    assert not store.close_task(review.task_id, "LATE", expected="DECIDED")


def test_closing_an_open_task_takes_it_out_of_the_queue_and_forgets_its_token(world, review):
    assert world.store.close_task(review.task_id, "TIMED_OUT")
    task = world.store.get_task(review.task_id)
    assert task["status"] == "TIMED_OUT" and "closedAt" in task and "taskToken" not in task
    assert queue_ids(world) == []


def test_a_failed_hand_back_puts_the_task_back_in_the_queue_for_its_decider_only(world, review):
    store, now = world.store, world.clock.epoch()
    task = store.get_task(review.task_id)
    assert not store.reopen_task(task, "ana")  # still open: nothing to reopen
    assert store.decide_task(review.task_id, "ana", now, {"action": "approve"})
    assert not store.reopen_task(task, "bob")
    assert store.reopen_task(task, "ana")
    reopened = store.get_task(review.task_id)
    assert reopened["status"] == "OPEN" and reopened["taskToken"] == review.token
    assert not {"decision", "decidedBy", "closedAt"} & set(reopened)
    assert queue_ids(world) == [review.task_id]
    assert [t["taskId"] for t in store.due_for_warning("reviewers", "2100-01-01T00:00:00Z")] == [review.task_id]
    assert decide(world.store, world.workflow, ANA, review.task_id, ReviewDecision(action="approve"))["status"] \
        == "DECIDED"


def test_a_task_moved_on_after_the_decision_is_not_reopened(world, review):
    store, now = world.store, world.clock.epoch()
    task = store.get_task(review.task_id)
    assert store.decide_task(review.task_id, "ana", now, {"action": "approve"})
    assert store.close_task(review.task_id, "LATE", expected="DECIDED")
    assert not store.reopen_task(task, "ana")
    assert queue_ids(world) == []


def test_a_warned_task_is_reopened_without_a_second_warning(world, review):
    store, now = world.store, world.clock.epoch()
    assert store.mark_warned(review.task_id)
    task = store.get_task(review.task_id)
    assert store.decide_task(review.task_id, "ana", now, {"action": "approve"})
    assert store.reopen_task(task, "ana")
    assert store.due_for_warning("reviewers", "2100-01-01T00:00:00Z") == []


# ------------------------------------------------------------------ warnings, once
def test_a_task_is_warned_once_and_not_after_it_closed(world, review, four_eyes):
    store = world.store
    assert store.mark_warned(review.task_id)
    assert not store.mark_warned(review.task_id)
    assert "warnedAt" in store.get_task(review.task_id)
    assert store.due_for_warning("reviewers", "2100-01-01T00:00:00Z") == []
    assert store.close_task(four_eyes.task_id, "TIMED_OUT")
    assert not store.mark_warned(four_eyes.task_id)


# ------------------------------------------------------------------ customer steps
@pytest.fixture
def asked(world):
    state = world.new_case(load_event("contract_change_confident.json"))
    token, link_id = world.wait_for_customer(state)
    return state["caseId"], state["plan"]["stepId"], token, link_id


def test_a_reminder_rearms_an_open_step_once_per_new_token(world, asked):
    case_id, step_id, token, _ = asked
    store, until = world.store, world.clock.epoch() + 3600
    assert not store.rearm_step(case_id, step_id, token, until)  # the same wait: not a new round
    assert store.rearm_step(case_id, step_id, "token-2", until)
    step = store.get_step(case_id, step_id)
    assert (step["taskToken"], step["validUntil"], step["reminders"]) == ("token-2", until, 1)
    assert not store.rearm_step(case_id, "no-such-step", "token-3", until)
    with pytest.raises(Exception, match="not found"):
        store.get_step(case_id, "no-such-step")


def test_an_answered_or_closed_step_is_not_rearmed(world, asked):
    case_id, step_id, _, _ = asked
    store, now = world.store, world.clock.epoch()
    assert store.answer_step(case_id, step_id, now, {"response": "confirm"})
    assert not store.rearm_step(case_id, step_id, "token-2", now + 3600)
    store.release_step(case_id, step_id)
    store.close_step(case_id, step_id)
    assert not store.rearm_step(case_id, step_id, "token-2", now + 3600)


def test_a_closed_or_unknown_step_takes_no_answer(world, asked):
    case_id, step_id, _, _ = asked
    store, now = world.store, world.clock.epoch()
    assert not store.answer_step(case_id, "no-such-step", now, {"response": "confirm"})
    store.close_step(case_id, step_id)
    assert not store.answer_step(case_id, step_id, now, {"response": "confirm"})


def test_feedback_is_taken_once_and_only_after_an_answer(world, asked):
    _, _, _, link_id = asked
    store, key = world.store, link_hash(link_id)
    assert not store.take_feedback_slot(key)
    store.set_link_used(key, True)
    assert store.take_feedback_slot(key)
    assert not store.take_feedback_slot(key)


# ------------------------------------------------------------------ once-only appends
def test_a_retried_task_write_opens_nothing_new(world, review):
    task = world.store.get_task(review.task_id)
    assert not world.store.put_task({**task, "queue": "senior"})
    assert world.store.get_task(review.task_id)["queue"] == "reviewers"


def test_an_override_is_appended_once_per_key(world, review):
    record = {"overrideKey": "2026-11-02T09:00:00Z#o-1", "journey": "refund", "caseId": review.case_id,
              "reviewer": "ana", "at": "2026-11-02T09:00:00Z", "reason": "first"}
    assert world.store.append_override(record)
    assert not world.store.append_override({**record, "reason": "second"})
    assert [o["reason"] for o in world.overrides(review.case_id)] == ["first"]


def test_an_event_at_a_given_time_is_appended_once_and_others_each_time(world, review):
    store, case_id = world.store, review.case_id
    before = len(store.latest_events(case_id, 100)[0])
    first = store.append_event(case_id, "probe", "first", at="2026-11-02T09:30:00Z", detail={"gone": None, "n": 1})
    store.append_event(case_id, "probe", "second", at="2026-11-02T09:30:00Z")
    store.append_event(case_id, "tick", "one")
    store.append_event(case_id, "tick", "two")
    events = store.latest_events(case_id, 100)[0]
    assert len(events) == before + 3
    probes = [e for e in events if e["type"] == "probe"]
    assert [(e["summary"], e["at"], e["detail"]) for e in probes] == [("first", "2026-11-02T09:30:00Z", {"n": 1})]
    assert first["actor"] == "workflow"
    assert sorted(e["summary"] for e in events if e["type"] == "tick") == ["one", "two"]


# ------------------------------------------------------------------ what counts as "another writer came first"
@pytest.mark.parametrize("code, reasons, lost", [
    ("ConditionalCheckFailedException", None, True),
    ("TransactionCanceledException", None, True),
    ("TransactionCanceledException", ["None", "ConditionalCheckFailed"], True),
    # Cancelled by a concurrent transaction on one of its items, or throttled: nothing was decided, nobody won.
    ("TransactionCanceledException", ["None", "TransactionConflict"], False),
    ("TransactionCanceledException", ["ConditionalCheckFailed", "ThrottlingError"], False),
    ("ProvisionedThroughputExceededException", None, False)])
def test_only_a_failed_condition_reads_as_losing_the_race(code, reasons, lost):
    def write(**_):
        raise ClientError({"Error": {"Code": code, "Message": "no"},
                           **({"CancellationReasons": [{"Code": r} for r in reasons]} if reasons else {})},
                          "TransactWriteItems")

    if lost:
        assert _if_condition_holds(write) is False
    else:
        with pytest.raises(ClientError):  # throttling is not an answer: the caller's retry policy handles it
            _if_condition_holds(write)
    assert _if_condition_holds(lambda **request: request) is True


# ------------------------------------------------------------------ leases on the decision paths
def test_the_lease_holder_decides_and_the_decided_task_forgets_lease_and_token(world, review):
    store, now = world.store, world.clock.epoch()
    assert store.claim_task(review.task_id, "ana", now, now + LEASE)
    assert store.decide_task(review.task_id, "ana", now + 1, {"action": "approve"})
    task = store.get_task(review.task_id)
    assert "closedAt" in task and not {"claimedBy", "leaseUntil", "taskToken"} & set(task)


def test_another_reviewer_decides_only_after_the_lease_has_ended(world, review):
    store, now = world.store, world.clock.epoch()
    assert store.claim_task(review.task_id, "ana", now, now + LEASE)
    assert not store.decide_task(review.task_id, "bob", now + LEASE, {"action": "approve"})
    assert store.decide_task(review.task_id, "bob", now + LEASE + 1, {"action": "approve"})


def test_first_approvals_respect_leases_and_keep_the_task_queued(world, four_eyes):
    store, now, task_id = world.store, world.clock.epoch(), four_eyes.task_id
    first = {"action": "approve", "by": "ana", "at": "2026-11-02T09:00:00Z"}
    modified = {"action": "modify", "by": "carl", "at": "2026-11-02T09:05:00Z"}
    assert store.claim_task(task_id, "carl", now, now + LEASE)
    assert not store.record_first_approval(task_id, "ana", now + LEASE, first)
    assert store.record_first_approval(task_id, "ana", now + LEASE + 1, first)
    assert not {"claimedBy", "leaseUntil"} & set(store.get_task(task_id))
    assert store.claim_task(task_id, "carl", now + LEASE + 1, now + 2 * LEASE)
    assert store.record_first_approval(task_id, "carl", now + LEASE + 2, modified, replaces=first)  # own lease
    assert store.claim_task(task_id, "dan", now + LEASE + 2, now + 2 * LEASE)
    again = {**modified, "at": "2026-11-02T09:06:00Z"}
    assert not store.record_first_approval(task_id, "carl", now + 2 * LEASE, again, replaces=modified)
    assert store.record_first_approval(task_id, "carl", now + 2 * LEASE + 1, again, replaces=modified)
    task = store.get_task(task_id)
    assert task["taskToken"] == four_eyes.token and task_id in queue_ids(world, "senior")


def test_a_second_approval_respects_a_lease_and_takes_the_task_out_of_the_queue(world, four_eyes):
    store, now, task_id = world.store, world.clock.epoch(), four_eyes.task_id
    first = {"action": "approve", "by": "ana", "at": "2026-11-02T09:00:00Z"}
    assert store.record_first_approval(task_id, "ana", now, first)
    assert store.claim_task(task_id, "dan", now, now + LEASE)
    assert not store.decide_task(task_id, "bob", now + LEASE, {"action": "approve"}, second_approval_of=first)
    assert store.decide_task(task_id, "bob", now + LEASE + 1, {"action": "approve"}, second_approval_of=first)
    assert "taskToken" not in store.get_task(task_id) and queue_ids(world, "senior") == []


@pytest.mark.parametrize("reasons, lost", [
    (["None", "TransactionConflict"], True),  # another lead or check was writing the same items: re-read, decide
    (["ConditionalCheckFailed", "None"], True),
    (["None", "ThrottlingError"], None)])  # nobody else changed anything: an error, not a lost race
def test_a_state_change_that_conflicts_with_another_reads_as_losing_the_race(reasons, lost):
    from loopgate.adapters.dynamo import _if_transaction_holds

    def write(**_):
        raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "no"},
                           "CancellationReasons": [{"Code": r} for r in reasons]}, "TransactWriteItems")

    if lost:
        assert _if_transaction_holds(write) is False
    else:
        with pytest.raises(ClientError):
            _if_transaction_holds(write)


def test_a_late_decision_is_answered_too_late_even_when_marking_it_late_fails(world, review, monkeypatch):
    """Found by the chaos run: the workflow had stopped waiting (409), then the write marking the task LATE was
    throttled and the reviewer got a 5xx for a decision that could never take effect."""
    from loopgate.errors import Conflict

    world.workflow.time_out(review.token)
    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}},
                            "UpdateItem")
    monkeypatch.setattr(world.store, "close_task", lambda *a, **k: (_ for _ in ()).throw(throttled))
    with pytest.raises(Conflict):
        decide(world.store, world.workflow, ANA, review.task_id, ReviewDecision(action="approve"))
