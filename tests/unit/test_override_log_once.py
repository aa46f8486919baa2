"""The override log is append-only: a retried record step (Lambda retry, same state) writes a departure once and
never rewrites it, so the diff a lead reads is the one the reviewer made."""
from loopgate.models import ReviewDecision, Reviewer
from loopgate.policy.overrides import override_record
from loopgate.usecases.reviews import decide
from tests.unit.world import refund_request

ANA = Reviewer(sub="ana", name="ana@example.com", groups=("reviewers",))


def test_a_retried_record_of_a_modify_keeps_the_reviewers_diff(world):
    review = world.wait_for_review(world.new_case(refund_request(120)))
    decide(world.store, world.workflow, ANA, review.task_id, ReviewDecision(
        action="modify", reason="partial refund: one item kept",
        proposal={"action": "refund", "amount": 80, "currency": "EUR"}))
    outcome = world.workflow.outcome(review.token)

    entered = "2026-11-02T09:00:01.000Z"  # the record step's EnteredTime: the same on each retry
    first = world.record(review.state, outcome, recorded_at=entered)
    again = world.record(review.state, outcome, recorded_at=entered)

    assert first == again
    (logged,) = world.overrides(review.case_id)
    assert (logged["reviewer"], logged["decision"], logged["reason"]) == ("ana", "modify",
                                                                          "partial refund: one item kept")
    assert logged["diff"] == [{"field": "amount", "from": 120, "to": 80}]
    assert (logged["proposal"]["amount"], logged["decided"]["amount"]) == (120, 80)


def test_the_same_override_appended_twice_is_written_once_and_not_replaced(world):
    state = world.new_case(refund_request(120))
    case = world.store.get_case(state["caseId"])
    record = override_record(kind="reviewer_reject", case=case, actor_id="ana", decision="reject",
                             proposal=case["proposal"], decided=None, reason="fraud", task_id="task-1",
                             at="2026-11-02T09:00:00.000Z")
    assert world.store.append_override(record)
    assert not world.store.append_override({**record, "reason": "other", "reviewer": "bob"})
    assert [(o["reviewer"], o["reason"]) for o in world.overrides(case["caseId"])] == [("ana", "fraud")]


def test_two_departures_on_one_task_in_the_same_millisecond_are_both_logged(world):
    """The clock stands still: a four-eyes modify and the other reviewer's reject share their time."""
    sue = Reviewer(sub="sue", name="sue", groups=("senior",))
    val = Reviewer(sub="val", name="val", groups=("senior",))
    review = world.wait_for_review(world.new_case(refund_request(1299)))
    decide(world.store, world.workflow, sue, review.task_id, ReviewDecision(
        action="modify", reason="only half is justified", proposal={"action": "refund", "amount": 600.0,
                                                                   "currency": "EUR"}))
    decide(world.store, world.workflow, val, review.task_id, ReviewDecision(action="reject", reason="fraud"))
    world.record(review.state, world.workflow.outcome(review.token))
    logged = sorted((o["reviewer"], o["decision"]) for o in world.overrides(review.case_id))
    assert logged == [("sue", "modify"), ("val", "reject")]


class _PagedTable:
    """A table whose Query answers one item per page, as DynamoDB does past 1 MB."""

    def __init__(self, items):
        self.items = items

    def query(self, **kwargs):
        start = kwargs.get("ExclusiveStartKey", {}).get("at", 0)
        page = {"Items": self.items[start:start + 1]}
        if start + 1 < len(self.items):
            page["LastEvaluatedKey"] = {"at": start + 1}
        return page


def test_a_cases_overrides_and_feedback_are_read_to_the_last_page(store):
    store.overrides = _PagedTable([{"overrideId": str(i)} for i in range(3)])
    store.cases = _PagedTable([{"taskId": str(i)} for i in range(3)])
    assert [o["overrideId"] for o in store.overrides_for_case("c")] == ["0", "1", "2"]
    assert [f["taskId"] for f in store.feedback_for("c")] == ["0", "1", "2"]
