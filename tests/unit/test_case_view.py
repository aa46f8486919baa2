"""The channel's view of a case: whom it waits for and until when, the AI's original proposal beside the current
one, a timeline in plain words, and people only as their roles."""
import json
from datetime import timedelta

from loopgate.clock import iso
from loopgate.models import CustomerAnswer, Plan, ReviewDecision, Reviewer
from loopgate.usecases.customer_steps import answer
from loopgate.usecases.intake import case_view
from loopgate.usecases.reviews import claim, decide
from loopgate.usecases.scoring import routing_summary, score_case
from tests.helpers import load_event
from tests.unit.world import START

ANA = Reviewer(sub="ana", name="ana@reviewers.local", groups=("reviewers",))  # "ana" is in no sample
MODIFIED = {"plan": "Plus 50", "monthlyPrice": 34.9, "startDate": "2026-12-01"}


def view(world, case_id: str) -> dict:
    return case_view(world.store, case_id, "channel-key")


def limits(state: dict):
    return Plan.model_validate(state["plan"]).limits


def test_nobody_is_waited_for_before_the_workflow_asks_anyone(world):
    state = world.new_case(load_event("contract_change_low_confidence.json"))
    assert view(world, state["caseId"])["waitingFor"] is None


def test_a_case_in_review_waits_for_the_queue_until_the_task_is_due(world):
    state = world.new_case(load_event("contract_change_low_confidence.json"))
    review = world.wait_for_review(state)
    seen = view(world, review.case_id)
    assert seen["status"] == "AWAITING_REVIEW"
    assert seen["waitingFor"] == {"who": "reviewer", "queue": "reviewers", "since": iso(START),
                                  "due": iso(START + timedelta(seconds=limits(state).reviewSeconds)),
                                  "task": "review"}


def test_a_decided_review_waits_for_nobody_even_before_the_status_moves_on(world):
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    decide(world.store, world.workflow, ANA, review.task_id, ReviewDecision(action="approve"))
    seen = view(world, review.case_id)
    assert (seen["status"], seen["waitingFor"]) == ("AWAITING_REVIEW", None)


def test_a_review_moved_to_the_senior_queue_waits_for_that_queue_and_its_due_time(world):
    state = world.new_case(load_event("contract_change_low_confidence.json"))
    review = world.wait_for_review(state)
    world.clock.advance(limits(state).reviewSeconds)
    after = world.record(review.state, world.workflow.time_out(review.token))
    world.wait_for_review(after)
    waiting = view(world, review.case_id)["waitingFor"]
    assert (waiting["queue"], waiting["since"]) == ("senior", iso(world.clock.now()))
    assert waiting["due"] == iso(world.clock.now() + timedelta(seconds=limits(after).reviewSeconds))


def _to_customer(world) -> tuple[dict, str]:
    """A reviewer modifies the proposal; the customer is asked to confirm it."""
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    decide(world.store, world.workflow, ANA, review.task_id,
           ReviewDecision(action="modify", reason="loyalty discount applies", proposal=MODIFIED))
    after = world.record(review.state, world.workflow.outcome(review.token))
    token, link_id = world.wait_for_customer(after)
    return {**after, "token": token}, link_id


def test_a_case_with_the_customer_waits_until_the_link_expires(world):
    state, _ = _to_customer(world)
    until = iso(START + timedelta(seconds=limits(state).customerSeconds))
    seen = view(world, state["caseId"])
    assert seen["status"] == "AWAITING_CUSTOMER"
    assert seen["waitingFor"] == {"who": "customer", "since": iso(START), "due": until, "linkExpiresAt": until}


def test_a_reminder_moves_the_customers_due_time_not_since_when(world):
    state, _ = _to_customer(world)
    world.clock.advance(limits(state).customerSeconds)
    reminded = world.record(state, world.workflow.time_out(state["token"]))
    world.wait_for_customer(reminded)
    waiting = view(world, state["caseId"])["waitingFor"]
    until = iso(world.clock.now() + timedelta(seconds=limits(state).customerSeconds))
    assert waiting == {"who": "customer", "since": iso(START), "due": until, "linkExpiresAt": until}


def test_an_answered_step_waits_for_nobody(world):
    state, link_id = _to_customer(world)
    answer(world.store, world.workflow, link_id, CustomerAnswer(response="confirm"))
    assert view(world, state["caseId"])["waitingFor"] is None


def test_the_ai_proposal_stays_beside_the_modified_one(world):
    state, _ = _to_customer(world)
    seen = view(world, state["caseId"])
    assert seen["proposal"] == MODIFIED
    assert seen["aiProposal"] == load_event("contract_change_low_confidence.json")["ai"]["proposal"]


def test_the_timeline_says_how_the_case_was_routed_in_plain_words(world):
    state = world.new_case(load_event("contract_change_low_confidence.json"))
    scored = [e for e in view(world, state["caseId"])["timeline"] if e["type"] == "scored"]
    assert [e["summary"] for e in scored] == [
        "A reviewer looks first, then the customer confirms (rule: low confidence)"]


def test_routing_summaries_name_no_route_or_rule_ids():
    assert routing_summary("auto", None, "small-refund") == "Handled automatically (rule: small refund)"
    assert routing_summary("customer", "choose", "default") == \
        "The customer chooses an option (no rule matched: the journey's safe default)"
    assert routing_summary("human", None, "large_amount", ("customer_requests_human",)) == \
        "A reviewer decides (guard: customer requests human; rule: large amount)"


def test_a_reviewer_appears_only_as_a_reviewer(world):
    """Claims, decisions and overrides name roles: the channel never learns who the reviewer was."""
    state, _ = _to_customer(world)
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    claim(world.store, ANA, review.task_id)
    seen = [view(world, state["caseId"]), view(world, review.case_id)]
    assert "ana" not in json.dumps(seen)
    assert "reviewer" in {e["actor"] for case in seen for e in case["timeline"]}
    assert [o["actor"] for o in seen[0]["overrides"]] == ["reviewer"]


def test_asked_again_after_providing_the_customer_is_waited_for_on_the_new_request(world):
    """The status stays AWAITING_CUSTOMER from one step to the next; the view follows the newer step."""
    state = world.new_case(load_event("complaint_missing_order.json"))
    token, link_id = world.wait_for_customer(state)
    answer(world.store, world.workflow, link_id, CustomerAnswer(response="provide", fields={"orderNumber": "O-1234"}))
    world.record(state, world.workflow.outcome(token))
    world.clock.advance(60)
    again = score_case(world.store, state["caseId"])
    world.wait_for_customer(again)
    until = iso(world.clock.now() + timedelta(seconds=limits(again).customerSeconds))
    assert view(world, state["caseId"])["waitingFor"] == {
        "who": "customer", "since": iso(world.clock.now()), "due": until, "linkExpiresAt": until}


def test_a_case_names_the_policy_version_and_the_slice_that_routed_it(world):
    state = world.new_case(load_event("contract_change_low_confidence.json"))
    seen = view(world, state["caseId"])
    assert seen["policyVersion"] == 1  # the journey file alone: no learned change accepted yet
    assert seen["slice"].startswith(f"rule={seen['rule']}|") and "confidence=" in seen["slice"]
