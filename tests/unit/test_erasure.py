"""Erasure on request: a lead removes a customer's personal data from their closed cases; decisions, amounts and
the override log's kinds stay, under one pseudonym; open cases are skipped; a retry finishes the job."""
import json

import pytest
from boto3.dynamodb.conditions import Key

from loopgate.errors import Forbidden, NotFound
from loopgate.models import CustomerAnswer, ReviewDecision, Reviewer
from loopgate.policy.erasure import ERASED
from loopgate.policy.replies import sender_hash
from loopgate.usecases.customer_steps import answer, give_customer_feedback
from loopgate.usecases.erasure import customer_hash, erase_customer
from loopgate.usecases.links import link_hash
from loopgate.usecases.reviews import decide
from tests.helpers import load_event

ANA = Reviewer(sub="ana", name="ana@reviewers.local", groups=("reviewers",))
LEAD = Reviewer(sub="lena", name="lena@leads.local", groups=("leads",))
MODIFIED = {"plan": "Plus 50 for Maria Rossi", "monthlyPrice": 34.9, "startDate": "2026-12-01"}
PERSONAL = ("maria@example.com", "Maria", "+4915112345678", "C-2231", "Basic 20", "upgrade to Plus 50",
            "Dear Maria", "loyalty discount", "Maria Rossi", "call me after six", "great, thanks Maria here")


def contract_change(customer_id: str) -> dict:
    request = load_event("contract_change_low_confidence.json")
    request["customer"] = {**request["customer"], "id": customer_id, "phone": "+4915112345678"}
    return request


def completed_case(world, customer_id: str = "cust-erase-1") -> tuple[str, str]:
    """Reviewed (modified, with a reason and a comment), confirmed by the customer with a comment and feedback,
    then closed as the workflow closes it. Returns the case id and the customer's link id."""
    state = world.new_case(contract_change(customer_id))
    review = world.wait_for_review(state)
    decide(world.store, world.workflow, ANA, review.task_id,
           ReviewDecision(action="modify", reason="loyalty discount for Maria Rossi", comment="she is upset",
                          proposal=MODIFIED))
    state = world.record(review.state, world.workflow.outcome(review.token))
    token, link = world.wait_for_customer(state)
    answer(world.store, world.workflow, link, CustomerAnswer(response="confirm", comment="call me after six"))
    world.record(state, world.workflow.outcome(token))
    give_customer_feedback(world.store, link, True, "great, thanks Maria here")
    close(world, state["caseId"], "COMPLETED")
    return state["caseId"], link


def close(world, case_id: str, status: str) -> None:
    """What the state machine's Close* states write."""
    world.store.update_case(world.store.get_case(case_id), {"status": status})


def everything_stored(world, case_id: str) -> str:
    """All a Query reaches of the case: its partition, its review tasks, and its override log items, as text."""
    store = world.store
    items = store.cases.query(KeyConditionExpression=Key("pk").eq(f"CASE#{case_id}"))["Items"]
    tasks = [store.get_task(t) for t in {(i.get("detail") or {}).get("taskId") for i in items} - {None}]
    return json.dumps([items, tasks, store.overrides_for_case(case_id)], default=str)


def test_erasure_removes_the_customers_words_and_keeps_the_decision(world):
    case_id, link = completed_case(world)
    before = everything_stored(world, case_id)
    assert all(text in before for text in PERSONAL)

    result = erase_customer(world.store, LEAD, "cust-erase-1", "GDPR art. 17 request 2026-118")

    assert result["erased"] == [case_id] and result["skipped"] == []
    after = everything_stored(world, case_id)
    left = [text for text in PERSONAL + ("cust-erase-1",) if text in after]
    assert left == []
    case = world.store.get_case(case_id)
    assert case["customer"] == {"id": result["pseudonym"], "erased": True}
    assert (case["status"], case["proposal"]["monthlyPrice"], case["ai"]["confidence"]) == ("COMPLETED", 34.9, 0.62)
    assert case["proposal"]["plan"] == ERASED and case["ai"]["draft"] == ERASED
    override, = world.overrides(case_id)
    assert (override["kind"], override["decision"], override["reviewer"]) == ("reviewer_modify", "modify", "ana")
    assert {d["field"]: (d["from"], d["to"]) for d in override["diff"]}["monthlyPrice"] == (39.9, 34.9)
    assert override["comment"] == ERASED and override["reason"] == ERASED
    step = next(i for i in world.store.case_items(case_id) if i["sk"].startswith("STEP#"))
    assert "answer" not in step and step["kind"] == "confirm"
    with pytest.raises(NotFound):
        world.store.get_link(link_hash(link))


def test_erasure_forgets_where_the_customers_replies_would_go(world):
    case_id, _ = completed_case(world)
    customer = contract_change("cust-erase-1")["customer"]
    senders = [sender_hash("email", customer["email"]), sender_hash("sms", customer["phone"])]
    assert [r["caseId"] for s in senders for r in world.store.reply_routes(s)] == [case_id]

    erase_customer(world.store, LEAD, "cust-erase-1", "GDPR art. 17 request 2026-119")

    assert [r for s in senders for r in world.store.reply_routes(s)] == []


def test_the_erasure_is_on_the_timeline_and_in_a_record_without_the_customer_id(world):
    case_id, _ = completed_case(world)
    result = erase_customer(world.store, LEAD, "cust-erase-1", "GDPR art. 17 request 2026-118")

    _, events = world.store.get_case_with_timeline(case_id)
    erased, = [e for e in events if e["type"] == "personal_data_erased"]
    assert (erased["actor"], erased["summary"]) == ("lead:lena", "Personal data erased on request")
    assert erased["detail"]["reason"] == "GDPR art. 17 request 2026-118"
    record = world.store.get_erasure(result["pseudonym"])
    assert (record["caseIds"], record["by"], record["reason"]) == ([case_id], "lena", "GDPR art. 17 request 2026-118")
    assert "cust-erase-1" not in json.dumps(record)
    assert record["customerHash"] == customer_hash(record["salt"], "cust-erase-1")
    assert record["finishedAt"]


def test_a_second_erasure_of_the_same_customer_finds_nothing_and_says_so(world):
    completed_case(world)
    erase_customer(world.store, LEAD, "cust-erase-1", "GDPR art. 17 request 2026-118")

    again = erase_customer(world.store, LEAD, "cust-erase-1", "GDPR art. 17 request 2026-118")

    assert (again["erased"], again["skipped"], again["pseudonym"]) == ([], [], None)
    assert "no case or conversation is stored" in again["note"]


def test_all_the_customers_closed_cases_share_one_pseudonym_and_an_open_case_is_skipped(world):
    first, _ = completed_case(world, "cust-many")
    second, _ = completed_case(world, "cust-many")
    close(world, second, "REJECTED")
    still_open = world.wait_for_review(world.new_case(contract_change("cust-many"))).case_id

    result = erase_customer(world.store, LEAD, "cust-many", "request by phone, ticket 77")

    assert result["erased"] == sorted([first, second])
    assert {world.store.get_case(c)["customer"]["id"] for c in (first, second)} == {result["pseudonym"]}
    assert result["skipped"] == [{"caseId": still_open, "why": result["skipped"][0]["why"]}]
    assert "AWAITING_REVIEW" in result["skipped"][0]["why"]
    assert world.store.get_case(still_open)["customer"]["email"] == "maria@example.com"


def test_only_leads_may_erase(world):
    case_id, _ = completed_case(world)
    with pytest.raises(Forbidden):
        erase_customer(world.store, ANA, "cust-erase-1", "I am not a lead")
    assert world.store.get_case(case_id)["customer"]["email"] == "maria@example.com"


class FailsOnce:
    """The store, failing the n-th rewrite of a case's items (a Lambda timeout, a throttled batch)."""

    def __init__(self, store, fail_at: int):
        self._store, self._left = store, fail_at

    def replace_items(self, items):
        self._left -= 1
        if self._left == 0:
            raise RuntimeError("throttled")
        self._store.replace_items(items)

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_a_retry_after_a_failure_finishes_the_erasure_under_the_same_pseudonym(world):
    first, _ = completed_case(world, "cust-retry")
    second, _ = completed_case(world, "cust-retry")
    with pytest.raises(RuntimeError):
        erase_customer(FailsOnce(world.store, 2), LEAD, "cust-retry", "ticket 91")
    half = [world.store.get_case(c)["customer"] for c in (first, second)]
    assert sum(1 for c in half if c.get("erased")) == 1

    result = erase_customer(world.store, LEAD, "cust-retry", "ticket 91")

    assert result["erased"] == sorted([first, second])
    assert {world.store.get_case(c)["customer"]["id"] for c in (first, second)} == {result["pseudonym"]}
    for case_id in (first, second):
        after = everything_stored(world, case_id)
        assert [text for text in PERSONAL + ("cust-retry",) if text in after] == []
        _, events = world.store.get_case_with_timeline(case_id)
        assert [e["detail"]["reason"] for e in events if e["type"] == "personal_data_erased"] == ["ticket 91"]


def test_items_written_for_a_case_expire_after_the_retention_period(world):
    case_id, _ = completed_case(world)
    items = world.store.cases.query(KeyConditionExpression=Key("pk").eq(f"CASE#{case_id}"))["Items"]
    created = world.clock.epoch()
    assert {i["sk"].split("#")[0] for i in items} >= {"CASE", "EVENT", "STEP", "CFEEDBACK"}
    # The learning loop's FOLD# markers (written in its own transaction) are not yet counted: docs/data-protection.md
    kept = [i for i in items if not i["sk"].startswith("FOLD#")]
    assert [i["sk"] for i in kept if not created + 400 * 86400 <= i.get("expiresAt", 0) <= created + 401 * 86400] == []


# ---------------------------------------------------------------- bot conversations posted for QA
def _conversation(customer_id: str, interaction_id: str, flags=("customer_frustrated",)):
    from loopgate.models import InteractionRequest

    return InteractionRequest.model_validate({
        "interactionId": interaction_id, "channel": "chat",
        "customer": {"id": customer_id, "name": "Mia Park", "email": "mia@example.com", "phone": "+4915199988877"},
        "bot": {"name": "billing-bot", "intent": "billing.dispute"},
        "transcript": [{"from": "customer", "text": "I am Mia Park, my husband died and I cannot pay this bill"},
                       {"from": "bot", "text": "Sorry Mia Park, your balance is 80 EUR."}],
        "outcome": "abandoned", "flags": list(flags), "endedAt": "2026-11-23T10:01:00Z"})


def test_a_customers_bot_conversations_lose_their_words_and_keep_their_scores(world):
    from loopgate.policy.qa import QA_LOG
    from loopgate.usecases.qa import receive_interaction

    qa = Reviewer(sub="quinn", name="quinn", groups=("qa",))
    store = world.store
    scored = receive_interaction(_conversation("cust-qa-1", "conv-scored"), store, "key-1")["taskId"]
    waiting = receive_interaction(_conversation("cust-qa-1", "conv-waiting"), store, "key-1")["taskId"]
    scores = {"accuracy": {"pass": False, "reason": "told Mia Park a wrong balance"}, "tone": {"pass": True},
              "policy": {"pass": True}, "resolution": {"pass": True}}
    decide(store, world.workflow, qa, scored, ReviewDecision.model_validate(
        {"action": "score", "scores": scores, "comment": "Mia Park needs a call"}))

    result = erase_customer(store, LEAD, "cust-qa-1", "GDPR Art. 17 request 2026-118")

    # No case, yet the conversation is found, erased and counted; the one still waiting for its score is not.
    assert result["erased"] == [] and result["erasedInteractions"] == ["conv-scored"]
    assert result["skipped"] == [{"interactionId": "conv-waiting",
                                  "why": "the conversation waits for its QA score; erase again once it is scored"}]
    task = store.get_task(scored)
    conversation = store.get_interaction(task["interactionRef"])
    (failure,), _ = store.query_overrides(journey=QA_LOG, start="2000-01-01", end="2100-01-01")
    stored = json.dumps([conversation, task, failure], default=str)
    for word in ("Mia Park", "mia@example.com", "4915199988877", "husband died", "cust-qa-1", "wrong balance",
                 "needs a call"):
        assert word not in stored, word
    # What QA and the learning loop count stays: who spoke, the bot, flags, the outcome, pass/fail per criterion.
    assert [t["from"] for t in conversation["transcript"]] == ["customer", "bot"]
    assert conversation["bot"]["name"] == "billing-bot" and conversation["outcome"] == "abandoned"
    assert conversation["customer"] == {"id": result["pseudonym"], "erased": True}
    assert failure["failedCriteria"] == ["accuracy"] and failure["scores"]["accuracy"]["pass"] is False
    assert task["decision"]["scores"]["accuracy"] == {"pass": False, "reason": ERASED}
    assert store.get_erasure(result["pseudonym"])["interactionIds"] == ["conv-scored"]
    # The waiting one is still readable by its QA reviewer; once scored, a second erasure reaches it.
    assert "husband died" in json.dumps(store.get_interaction(store.get_task(waiting)["interactionRef"]))
    decide(store, world.workflow, qa, waiting, ReviewDecision.model_validate(
        {"action": "score", "scores": {**scores, "accuracy": {"pass": True}}}))
    again = erase_customer(store, LEAD, "cust-qa-1", "GDPR Art. 17 request 2026-118")
    assert again["erasedInteractions"] == ["conv-waiting"] and again["skipped"] == []
