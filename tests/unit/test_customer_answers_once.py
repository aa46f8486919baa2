"""A customer's link takes one answer, and only while it is valid: DynamoDB's condition is the guarantee,
also when two answers pass the page's checks at the same moment or the link expires while one is in flight."""
import threading

import pytest

from loopgate.errors import Gone
from loopgate.models import CustomerAnswer
from loopgate.usecases.customer_steps import answer
from tests.helpers import load_event

CONFIRM = CustomerAnswer(response="confirm")
REJECT = CustomerAnswer(response="reject")


@pytest.fixture
def asked(world):
    """A contract change the customer is asked to confirm: the workflow waits on `token`."""
    state = world.new_case(load_event("contract_change_confident.json"))
    assert state["plan"]["next"] == "customer"
    token, link_id = world.wait_for_customer(state)
    step_id = state["plan"]["stepId"]
    return {"state": state, "token": token, "link": link_id, "step": step_id}


def stored_answer(world, asked):
    return world.store.get_step(asked["state"]["caseId"], asked["step"]).get("answer")


def test_a_second_answer_to_the_same_link_is_refused(world, asked):
    assert answer(world.store, world.workflow, asked["link"], CONFIRM)["status"] == "RECEIVED"
    with pytest.raises(Gone):
        answer(world.store, world.workflow, asked["link"], REJECT)
    assert world.workflow.outcome(asked["token"])["response"] == "confirm"
    assert stored_answer(world, asked)["response"] == "confirm"


def test_store_takes_one_answer_per_step(world, asked):
    case_id, now = asked["state"]["caseId"], world.clock.epoch()
    assert world.store.answer_step(case_id, asked["step"], now, {"response": "confirm"})
    assert not world.store.answer_step(case_id, asked["step"], now, {"response": "reject"})
    assert stored_answer(world, asked) == {"response": "confirm"}


class _AnswersMeet:
    """Holds each answer after the page's checks (link unused, step open) and before its write, until both got
    there: the two writes then race as two Lambdas' would."""

    def __init__(self, store, parties: int):
        self._store = store
        self._barrier = threading.Barrier(parties, timeout=10)

    def get_case(self, case_id):
        case = self._store.get_case(case_id)
        self._barrier.wait()
        return case

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_two_answers_sent_at_once_one_is_taken(world, asked):
    meeting = _AnswersMeet(world.store, parties=2)
    results: dict[str, object] = {}

    def send(reply: CustomerAnswer) -> None:
        try:
            results[reply.response] = answer(meeting, world.workflow, asked["link"], reply)
        except Exception as exc:  # noqa: BLE001 - the refusal is the result under test
            results[reply.response] = exc

    threads = [threading.Thread(target=send, args=(reply,)) for reply in (CONFIRM, REJECT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    taken = {k for k, v in results.items() if isinstance(v, dict)}
    refused = {k: v for k, v in results.items() if not isinstance(v, dict)}
    assert len(taken) == 1, results
    assert [type(v) for v in refused.values()] == [Gone], results
    (winner,) = taken
    # The workflow got the answer the customer was told was received, and the step keeps that one.
    assert world.workflow.outcome(asked["token"])["response"] == winner
    assert stored_answer(world, asked)["response"] == winner


def test_an_answer_in_flight_when_the_link_expires_is_refused(world, asked):
    """The page's check passes one second before expiry; the write comes at the expiry instant."""
    valid_until = world.store.get_step(asked["state"]["caseId"], asked["step"])["validUntil"]
    world.clock.set_epoch(valid_until - 1)

    class _ExpiresMeanwhile:
        def get_case(self, case_id):
            world.clock.set_epoch(valid_until)
            return world.store.get_case(case_id)

        def __getattr__(self, name):
            return getattr(world.store, name)

    with pytest.raises(Gone):
        answer(_ExpiresMeanwhile(), world.workflow, asked["link"], CONFIRM)
    assert world.workflow.outcome(asked["token"]) is None
    assert stored_answer(world, asked) is None


@pytest.mark.parametrize("offset, accepted", [(-1, True), (0, False), (1, False)])
def test_a_link_answers_until_one_second_before_it_expires(world, asked, offset, accepted):
    valid_until = world.store.get_step(asked["state"]["caseId"], asked["step"])["validUntil"]
    world.clock.set_epoch(valid_until + offset)
    if accepted:
        assert answer(world.store, world.workflow, asked["link"], CONFIRM)["status"] == "RECEIVED"
        assert world.workflow.outcome(asked["token"])["response"] == "confirm"
    else:
        with pytest.raises(Gone):
            answer(world.store, world.workflow, asked["link"], CONFIRM)
        assert world.workflow.outcome(asked["token"]) is None


@pytest.mark.parametrize("offset, accepted", [(-1, True), (0, False), (1, False)])
def test_store_refuses_an_answer_from_the_expiry_instant_on(world, asked, offset, accepted):
    case_id = asked["state"]["caseId"]
    valid_until = world.store.get_step(case_id, asked["step"])["validUntil"]
    assert world.store.answer_step(case_id, asked["step"], valid_until + offset, {"response": "confirm"}) is accepted



def test_a_link_answers_only_the_proposal_it_showed(world, asked):
    case = world.store.get_case(asked["state"]["caseId"])
    world.store.update_case(case, {"proposal": {**case["proposal"], "monthlyPrice": 99.0}})
    with pytest.raises(Gone, match="changed"):
        answer(world.store, world.workflow, asked["link"], CONFIRM)
    assert world.workflow.outcome(asked["token"]) is None, "nobody confirmed the changed proposal"


class _ThrottledAfterTheAnswer:
    """DynamoDB throttling every write after the answer reached the workflow, past the SDK's retries."""

    def __init__(self, store):
        self._store = store

    def _throttled(self, *args, **kwargs):
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}},
                          "UpdateItem")

    forget_step_token = add_effort = record_fact = _throttled

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_an_answer_the_workflow_has_is_not_answered_5xx(world, asked):
    """Found by the 1,000-case chaos run: a throttled write after the workflow took the answer made the answer a
    5xx, and the customer who sent it again was told it was answered already."""
    received = answer(_ThrottledAfterTheAnswer(world.store), world.workflow, asked["link"], CONFIRM)
    assert received["status"] == "RECEIVED"
    assert world.workflow.outcome(asked["token"])["response"] == "confirm"
    with pytest.raises(Gone):  # and it was taken once
        answer(world.store, world.workflow, asked["link"], CONFIRM)
