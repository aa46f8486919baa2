"""The learning loop's facts: folded into stats and memory once, however often a step is retried."""
import pytest
from botocore.exceptions import ClientError

from loopgate.errors import Conflict
from loopgate.models import CustomerAnswer, ReviewDecision, Reviewer, ReviewFeedback
from loopgate.usecases.customer_steps import answer, give_customer_feedback, open_customer_step
from loopgate.usecases.learning import observe, precedent_words
from loopgate.usecases.reviews import audit_task, decide, give_feedback, review_view
from tests.helpers import load_event
from tests.unit.world import refund_request


def test_a_scored_case_is_counted_once_under_every_dimension(world, store):
    state = world.new_case(refund_request(20))
    case = store.get_case(state["caseId"])
    assert case["policyVersion"] == 1
    assert case["slice"] == "rule=small-confident-refund|category=-|confidence=0.9-1.0"
    day = case["createdAt"][:10]
    stats = {item["sk"]: item for item in store.stats("refund", day)}
    assert stats["all#-"]["cases"] == 1 and stats["all#-"]["routed_auto"] == 1
    assert stats["rule#small-confident-refund"]["cases"] == 1
    assert store.memory_slice("refund", case["slice"])["cases"] == 1

    # A retried score step observes the same fact again: nothing is added.
    assert observe(store, case, "scored", {"cases": 1}, memory={"cases": 1}) is False
    assert {item["sk"]: item for item in store.stats("refund", day)}["all#-"]["cases"] == 1
    assert store.memory_slice("refund", case["slice"])["cases"] == 1


def test_two_cases_of_a_slice_add_up(world, store):
    first = store.get_case(world.new_case(refund_request(20))["caseId"])
    world.new_case(refund_request(30))
    assert store.memory_slice("refund", first["slice"])["cases"] == 2


def test_a_cancelled_transaction_leaves_no_item_behind(store):
    """The local engine rolls a cancelled transaction back item by item (moto's own backup copies whole tables)."""
    import pytest
    from botocore.exceptions import ClientError

    store.cases.put_item(Item={"pk": "STATS#refund#2026-11-02", "sk": "all#-", "cases": 3})
    client = store.cases.meta.client
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": store.cases.name, "Item": {"pk": "CASE#c1", "sk": "FOLD#scored"}}},
            {"Update": {"TableName": store.cases.name, "Key": {"pk": "STATS#refund#2026-11-02", "sk": "all#-"},
                        "UpdateExpression": "ADD cases :one", "ExpressionAttributeValues": {":one": 1}}},
            {"ConditionCheck": {"TableName": store.cases.name, "Key": {"pk": "CASE#c2", "sk": "CASE"},
                                "ConditionExpression": "attribute_exists(pk)"}}])
    assert "Item" not in store.cases.get_item(Key={"pk": "CASE#c1", "sk": "FOLD#scored"})
    assert store.cases.get_item(Key={"pk": "STATS#refund#2026-11-02", "sk": "all#-"})["Item"]["cases"] == 3


def cancelled(*codes):
    from botocore.exceptions import ClientError
    return ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                        "CancellationReasons": [{"Code": c} for c in codes]}, "TransactWriteItems")


def test_a_fold_that_conflicts_with_another_is_sent_again_and_counts_once(world, store, monkeypatch):
    """Every case of a journey's day folds into the same aggregate items: DynamoDB cancels one of two concurrent
    transactions on them (TransactionConflict). That is no sign the fact was recorded before."""
    case = store.get_case(world.new_case(refund_request(20))["caseId"])
    client, sent = store.cases.meta.client, []
    real = client.transact_write_items

    def conflicting(**request):
        sent.append(request)
        if len(sent) == 1:
            raise cancelled("None", "TransactionConflict")
        return real(**request)

    monkeypatch.setattr(client, "transact_write_items", conflicting)
    assert observe(store, case, "effort:probe", {"messages": 1}) is True
    assert len(sent) == 2 and totals(store, case)["messages"] == 1


def test_a_fold_throttled_every_time_fails_the_step_and_its_retry_counts_once(world, store, monkeypatch):
    case = store.get_case(world.new_case(refund_request(20))["caseId"])
    client = store.cases.meta.client
    real = client.transact_write_items
    monkeypatch.setattr(client, "transact_write_items",
                        lambda **_: (_ for _ in ()).throw(cancelled("None", "ThrottlingError")))
    with pytest.raises(ClientError, match="TransactionCanceled"):  # the workflow retries the step
        observe(store, case, "effort:probe", {"messages": 1})
    assert "messages" not in totals(store, case)
    monkeypatch.setattr(client, "transact_write_items", real)
    assert observe(store, case, "effort:probe", {"messages": 1}) is True
    assert observe(store, case, "effort:probe", {"messages": 1}) is False
    assert totals(store, case)["messages"] == 1


# ---------------------------------------------------------------- every fact, once
ANA = Reviewer(sub="ana", name="ana@example.com", groups=("reviewers",))
ENTERED = "2026-11-02T09:00:01.000Z"  # the record step's EnteredTime: the same on each retry


def totals(store, case, dimension="all#-"):
    return {item["sk"]: item for item in store.stats(case["journey"], case["learning"]["day"])}.get(dimension, {})


def decided(world, amount, decision, clock_seconds=0):
    """A refund a reviewer decides; the record step runs twice (a retry), as Lambda may."""
    review = world.wait_for_review(world.new_case(refund_request(amount)))
    world.clock.advance(clock_seconds)
    decide(world.store, world.workflow, ANA, review.task_id, decision)
    outcome = world.workflow.outcome(review.token)
    world.record(review.state, outcome, recorded_at=ENTERED)
    world.record(review.state, outcome, recorded_at=ENTERED)
    return review, world.store.get_case(review.case_id)


def test_a_modify_recorded_twice_counts_once_in_stats_and_memory(world, store):
    review, case = decided(world, 120, ReviewDecision(action="modify", reason="one item kept", proposal={
        "action": "refund", "amount": 80, "currency": "EUR"}), clock_seconds=600)
    stats = totals(store, case)
    assert (stats["touched"], stats["decisions"], stats["overrides"]) == (1, 1, 1)
    # The modify counts by what it changed; its words stay in the override log (free text would grow the item).
    assert stats["reason:modified amount (down)"] == 1
    assert not [name for name in stats if "one item kept" in name]
    assert (stats["t:900"], stats["decisionSeconds"]) == (1, 600)  # ten minutes from the case to the decision
    assert "escalations" not in stats
    assert totals(store, case, "reviewer#ana")["overrides"] == 1
    memory = store.memory_slice("refund", case["slice"])
    assert (memory["modified"], memory["change:amount:down"]) == (1, 1)
    assert memory["example:modified"] == case["caseId"]
    assert memory["firstOverrideAt"] == world.workflow.outcome(review.token)["at"]


def test_an_approval_is_a_decision_but_no_override(world, store):
    _, case = decided(world, 120, ReviewDecision(action="approve"))
    stats = totals(store, case)
    assert (stats["decisions"], stats.get("overrides", 0)) == (1, 0)
    memory = store.memory_slice("refund", case["slice"])
    assert memory["approvedUnchanged"] == 1 and "firstOverrideAt" not in memory


def test_an_escalation_counts_as_one_and_its_new_task_is_no_second_touch(world, store):
    review, case = decided(world, 120, ReviewDecision(action="escalate", reason="needs a senior"))
    world.wait_for_review(world.record(review.state, world.workflow.outcome(review.token), recorded_at=ENTERED))
    stats = totals(store, case)
    assert (stats["touched"], stats["escalations"], stats["decisions"]) == (1, 1, 1)
    assert store.memory_slice("refund", case["slice"])["escalated"] == 1


def test_a_review_timeout_recorded_twice_is_one_escalation(world, store):
    review = world.wait_for_review(world.new_case(refund_request(120)))
    timeout = world.workflow.time_out(review.token)
    world.record(review.state, timeout, recorded_at=ENTERED)
    world.record(review.state, timeout, recorded_at=ENTERED)
    assert totals(store, store.get_case(review.case_id))["escalations"] == 1


def test_a_customer_answer_recorded_twice_counts_once_with_its_effort(world, store):
    state = world.new_case(load_event("contract_change_confident.json"))
    token, link = world.wait_for_customer(state)
    answer(store, world.workflow, link, CustomerAnswer(response="reject"))
    outcome = world.workflow.outcome(token)
    world.record(state, outcome, recorded_at=ENTERED)
    world.record(state, outcome, recorded_at=ENTERED)
    case = store.get_case(state["caseId"])
    stats = totals(store, case)
    assert (stats["customerAnswers"], stats["customerRejections"]) == (1, 1)
    assert (stats["messages"], stats["interactions"], stats.get("reminders", 0)) == (1, 1, 0)
    assert store.memory_slice("contract_change", case["slice"])["customerDeclined"] == 1

    give_customer_feedback(store, link, False, "too slow")
    stats = totals(store, case)
    assert (stats["feedback"], stats["negativeFeedback"]) == (1, 1)


def test_a_reminder_is_a_second_message_and_a_retried_send_is_not(world, store):
    state = world.new_case(load_event("contract_change_confident.json"))
    world.wait_for_customer(state)
    reminded = world.record(state, {"Error": "States.Timeout"}, recorded_at=ENTERED)
    assert reminded["plan"]["reminders"] == 1
    token = world.workflow.wait(60)
    for _ in range(2):  # a retried invocation with the same token sends nothing new
        open_customer_step(store, world.messenger, reminded, token, "https://example.test", world.events)
    stats = totals(store, store.get_case(state["caseId"]))
    assert (stats["messages"], stats["reminders"]) == (2, 1)


def test_an_audit_disagreement_and_reviewer_thumbs_count_once(world, store):
    state = world.new_case(refund_request(20))
    case = store.get_case(state["caseId"])
    store.put_task(audit_task("audit-1", case["caseId"], "refund", "audit", "2026-11-02T09:00:00.000Z"))
    auditor = Reviewer(sub="aud", name="aud", groups=("audit",))
    decide(store, world.workflow, auditor, "audit-1", ReviewDecision(action="reject", reason="too generous"))
    for helpful in (False, True):  # a second vote replaces the first; the tally keeps the first
        give_feedback(store, auditor, "audit-1", ReviewFeedback(helpful=helpful))
    stats = totals(store, case)
    assert (stats["audits"], stats["auditDisagreements"], stats.get("touched", 0)) == (1, 1, 0)
    assert (stats["feedback"], stats["negativeFeedback"]) == (1, 1)
    assert totals(store, case, "reviewer#aud")["audits"] == 1
    memory = store.memory_slice("refund", case["slice"])
    # A reason outside the journey's codes counts as "other" (bounded); the words are in the override log.
    assert (memory["auditDisagreed"], memory["auditReason:other"]) == (1, 1)


def test_a_case_scored_before_the_loop_adds_nothing(world, store):
    review = world.wait_for_review(world.new_case(refund_request(120)))
    case = store.get_case(review.case_id)
    store.cases.update_item(Key={"pk": f"CASE#{case['caseId']}", "sk": "CASE"}, UpdateExpression="REMOVE learning")
    decide(store, world.workflow, ANA, review.task_id, ReviewDecision(action="approve"))
    world.record(review.state, world.workflow.outcome(review.token))
    assert totals(store, case).get("decisions", 0) == 0


# ---------------------------------------------------------------- precedent
def test_the_reviewer_sees_what_people_did_with_similar_cases(world, store):
    modified, _ = decided(world, 120, ReviewDecision(action="modify", reason="one item kept", proposal={
        "action": "refund", "amount": 80, "currency": "EUR"}))
    rejected, _ = decided(world, 130, ReviewDecision(action="reject", reason="policy"))
    review = world.wait_for_review(world.new_case(refund_request(140)))

    precedent = review_view(store, ANA, review.task_id)["precedent"]
    assert precedent["summary"] == "similar cases: 1 lowered amount, 1 rejected: policy"
    assert precedent["cases"] == 2
    assert precedent["describe"] == "rule " + store.get_case(review.case_id)["rule"] + \
        ", category -, confidence 0.9-1.0"
    assert {(e["outcome"], e["caseId"]) for e in precedent["examples"]} == {
        ("modified", modified.case_id), ("rejected", rejected.case_id)}


def test_a_case_alone_in_its_slice_has_no_precedent_yet(world, store):
    review = world.wait_for_review(world.new_case(refund_request(120)))
    assert review_view(store, ANA, review.task_id)["precedent"]["summary"] == "no similar cases yet"


def test_precedent_words_name_the_top_change_and_reject_reason():
    memory = {"cases": 20, "approvedUnchanged": 14, "modified": 3, "change:amount:down": 2, "change:note:changed": 1,
              "rejected": 3, "reason:policy": 2, "reason:fraud": 1}
    assert precedent_words(memory) == ("14 approved unchanged, 3 modified (2 lowered amount), "
                                       "3 rejected, 2 of them: policy")
    assert precedent_words({"modified": 1, "change:amount:up": 1}) == "1 raised amount"
    assert precedent_words({"cases": 4}) is None


def failing_folds(store, monkeypatch):
    monkeypatch.setattr(store, "record_fact", lambda *_: (_ for _ in ()).throw(cancelled("None", "ThrottlingError")))


def test_an_audit_whose_fold_fails_is_still_answered_and_its_disagreement_logged(world, store, monkeypatch):
    """The task is decided before the fold: a 5xx would send the auditor to retry into a 409, and the
    disagreement would never reach the override log."""
    case = store.get_case(world.new_case(refund_request(20))["caseId"])
    store.put_task(audit_task("audit-2", case["caseId"], "refund", "audit", "2026-11-02T09:00:00.000Z"))
    failing_folds(store, monkeypatch)
    auditor = Reviewer(sub="aud", name="aud", groups=("audit",))
    done = decide(store, world.workflow, auditor, "audit-2", ReviewDecision(action="reject", reason="too generous"))
    assert done["status"] == "DECIDED"
    assert [o["reason"] for o in world.overrides(case["caseId"])] == ["too generous"]
    assert "audit_disagreed" in [e["type"] for e in store.latest_events(case["caseId"], 100)[0]]


def test_an_audit_answered_5xx_is_finished_by_its_retry_and_logged_once(world, store, monkeypatch):
    """Found by the chaos run at a high fault rate: the task was decided, then the override log's write was
    throttled: 5xx, and the auditor's retry was refused as "no longer open": the disagreement was never logged.
    The same auditor's same decision now finishes what the first attempt began, keyed by its time."""
    case = store.get_case(world.new_case(refund_request(20))["caseId"])
    store.put_task(audit_task("audit-3", case["caseId"], "refund", "audit", "2026-11-02T09:00:00.000Z"))
    auditor, other = (Reviewer(sub=name, name=name, groups=("audit",)) for name in ("aud", "other"))
    disagree = ReviewDecision(action="modify", reason="too generous",
                              proposal={"action": "refund", "amount": 10.5, "currency": "EUR"})
    append = store.append_override
    monkeypatch.setattr(store, "append_override", lambda *_: (_ for _ in ()).throw(cancelled("None", "Throttling")))
    with pytest.raises(ClientError):
        decide(store, world.workflow, auditor, "audit-3", disagree)
    assert world.overrides(case["caseId"]) == []
    monkeypatch.setattr(store, "append_override", append)
    with pytest.raises(Conflict):  # someone else's decision is still refused
        decide(store, world.workflow, other, "audit-3", ReviewDecision(action="approve"))
    with pytest.raises(Conflict):  # and so is a different decision by the same auditor
        decide(store, world.workflow, auditor, "audit-3", ReviewDecision(action="approve"))
    for _ in range(2):  # the retry finishes; a second retry adds nothing
        assert decide(store, world.workflow, auditor, "audit-3", disagree)["status"] == "DECIDED"
    assert [o["reason"] for o in world.overrides(case["caseId"])] == ["too generous"]
    events = [e["type"] for e in store.latest_events(case["caseId"], 100)[0]]
    assert events.count("audit_disagreed") == 1


def test_a_customer_answer_whose_fold_fails_is_still_taken(world, store, monkeypatch):
    state = world.new_case(load_event("contract_change_confident.json"))
    token, link = world.wait_for_customer(state)
    failing_folds(store, monkeypatch)
    taken = answer(store, world.workflow, link, CustomerAnswer(response="confirm"))
    assert taken["status"] == "RECEIVED"
    assert world.workflow.outcome(token)["response"] == "confirm"
