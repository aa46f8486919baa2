"""The workflow's decisions in Python: what comes after each decision, answer and timeout."""
import pytest

from loopgate.models import Limits, Outcome, Plan
from loopgate.policy.overrides import field_diff
from loopgate.policy.planning import next_plan

CASE = {"caseId": "case-1", "journey": "contract_change", "customer": {"id": "c-1"}, "payload": {"contractId": "C"},
        "proposal": {"plan": "Plus 50", "price": 39.9}, "rule": "low-confidence",
        "signals": {"confidence": {"value": 0.6}}}


def plan(**changes) -> Plan:
    base = Plan(journey="contract_change", next="review", queue="reviewers", seniorQueue="senior", priority=4,
                customer=True, limits=Limits(reviewSeconds=60, seniorSeconds=120, customerSeconds=600))
    return base.model_copy(update=changes)


def reviewer(action, **more) -> Outcome:
    return Outcome.model_validate({"actor": {"kind": "reviewer", "id": "ana"}, "action": action,
                                   "taskId": "t-1", **more})


def test_approval_goes_to_the_customer_when_the_route_says_so():
    after = next_plan(plan(), reviewer("approve"), CASE)
    assert (after.plan.next, after.plan.customer, after.override) == ("customer", True, None)  # still owed
    confirmed = next_plan(after.plan, Outcome.model_validate({"actor": {"kind": "customer"}, "response": "confirm"}),
                          CASE)
    assert (confirmed.plan.next, confirmed.plan.customer) == ("execute", False)


def test_approval_without_customer_step_executes_with_the_event():
    after = next_plan(plan(customer=False), reviewer("approve"), CASE)
    assert after.plan.next == "execute"
    assert after.plan.event == {"caseId": "case-1", "journey": "contract_change", "proposal": CASE["proposal"],
                                "decidedBy": "reviewer:ana", "customerId": "c-1"}


def test_modify_logs_the_diff_and_reason():
    edited = {"plan": "Plus 50", "price": 34.9}
    after = next_plan(plan(), reviewer("modify", proposal=edited, reason="discount"), CASE)
    assert after.case_changes == {"proposal": edited}
    assert after.override["diff"] == [{"field": "price", "from": 39.9, "to": 34.9}]
    assert after.override["reason"] == "discount" and after.override["rule"] == "low-confidence"
    assert after.override["signals"] == CASE["signals"]


def test_reject_and_escalate_are_departures():
    assert next_plan(plan(), reviewer("reject", reason="x"), CASE).plan.next == "reject"
    escalated = next_plan(plan(), reviewer("escalate", reason="x"), CASE)
    assert (escalated.plan.queue, escalated.plan.limits.reviewSeconds) == ("senior", 120)
    assert escalated.override["kind"] == "reviewer_escalate"


def test_review_timeouts_escalate_once_then_alert():
    timeout = Outcome(Error="States.Timeout")
    first = next_plan(plan(), timeout, CASE)
    assert (first.plan.next, first.plan.queue, first.plan.escalated) == ("review", "senior", True)
    second = next_plan(first.plan, timeout, CASE)
    assert second.plan.next == "alert"
    third = next_plan(second.plan, timeout, CASE)
    assert third.plan.next == "alert"


def test_supervisor_alerts_back_off_to_a_week():
    """A case nobody takes alerts the supervisors at 2x, 4x, ... the senior limit, then weekly; not every hour."""
    timeout = Outcome(Error="States.Timeout")
    current = next_plan(plan(), timeout, CASE).plan  # escalated to the senior queue
    senior = current.limits.reviewSeconds
    waits, said = [], []
    for _ in range(16):
        after = next_plan(current, timeout, CASE)
        current = after.plan
        waits.append(current.limits.reviewSeconds)
        said.append(after.events[0]["summary"])
    assert waits[:3] == [2 * senior, 4 * senior, 8 * senior]
    assert waits[-1] == 7 * 24 * 3600 and max(waits) == 7 * 24 * 3600
    assert "again in 7 days" in said[-1]


def test_a_silent_customer_goes_to_a_person():
    after = next_plan(plan(next="customer"), Outcome(Error="States.Timeout"), CASE)
    assert (after.plan.next, after.plan.reason, after.plan.customer) == ("review", "customer_no_answer", False)


@pytest.mark.parametrize("response, step", [("confirm", "execute"), ("reject", "reject"), ("human", "review")])
def test_customer_answers(response, step):
    outcome = Outcome.model_validate({"actor": {"kind": "customer"}, "response": response})
    assert next_plan(plan(next="customer", customer=False), outcome, CASE).plan.next == step


def test_field_diff_walks_nested_fields():
    assert field_diff({"a": {"b": 1, "c": 2}, "d": 1}, {"a": {"b": 1, "c": 3}, "e": 2}) == [
        {"field": "a.c", "from": 2, "to": 3}, {"field": "d", "from": 1, "to": None},
        {"field": "e", "from": None, "to": 2}]


def test_escalation_climbs_from_the_senior_queue_to_the_supervisors():
    senior = next_plan(plan(), reviewer("escalate", reason="x"), CASE).plan
    assert senior.queue == "senior"
    assert next_plan(senior, reviewer("escalate", reason="too large for me"), CASE).plan.queue == "supervisors"


def test_after_a_reviewers_question_the_customer_confirms_as_the_route_says():
    asked = next_plan(plan(), reviewer("ask_customer", fields=["requestedChange"], comment="Which plan?"), CASE).plan
    assert (asked.next, asked.askFields, asked.ask) == ("customer", ["requestedChange"], "confirm")
    answered = Outcome.model_validate({"actor": {"kind": "customer"}, "response": "provide",
                                       "fields": {"requestedChange": "Plus 100"}})
    back = next_plan(asked, answered, CASE).plan
    assert (back.next, back.askFields, back.question) == ("review", [], None)
    confirm_step = next_plan(back, reviewer("approve"), CASE).plan
    assert (confirm_step.next, confirm_step.ask, confirm_step.askFields) == ("customer", "confirm", [])


def test_supervisors_are_the_top_of_the_ladder():
    top = plan(queue="supervisors")
    assert next_plan(top, reviewer("escalate", reason="x"), CASE).plan.queue == "supervisors"


def test_the_routes_customer_confirmation_survives_a_reviewers_question():
    asked = next_plan(plan(), reviewer("ask_customer", fields=["requestedChange"]), CASE).plan
    person = Outcome.model_validate({"actor": {"kind": "customer"}, "response": "human"})
    for outcome in (person, Outcome(Error="States.Timeout")):
        back = next_plan(asked, outcome, CASE).plan
        assert (back.next, back.customer) == ("review", True)
        assert next_plan(back, reviewer("approve"), CASE).plan.next == "customer"


def test_a_customer_who_asks_for_a_person_on_the_routes_step_is_served_by_that_person():
    at_customer = next_plan(plan(), reviewer("approve"), CASE).plan
    person = Outcome.model_validate({"actor": {"kind": "customer"}, "response": "human"})
    back = next_plan(at_customer, person, CASE).plan
    assert (back.next, back.customer, back.priority) == ("review", False, 1)
    assert next_plan(back, reviewer("approve"), CASE).plan.next == "execute"


# ---------------------------------------------------------------- what each customer answer plans, field by field
# (make mutate found the customer branches pinned only by the integration tests: 391 surviving mutants)
OPTIONS_CASE = {**CASE, "proposal": {"options": [{"id": "1", "label": "Thu"}, {"id": "2", "label": "Fri"}]},
                "payload": {"contractId": "C", "extracted": {"iban": "DE00", "name": "Ana"}}}


def customer(response, **more) -> Outcome:
    return Outcome.model_validate({"actor": {"kind": "customer"}, "response": response,
                                   "at": "2026-11-02T10:00:00.000Z", **more})


def test_choosing_goes_ahead_with_the_chosen_option_and_says_so():
    after = next_plan(plan(next="customer", stepId="s-1"), customer("choose", option="2"), OPTIONS_CASE)
    chosen = {**OPTIONS_CASE["proposal"], "chosen": {"id": "2", "label": "Fri"}}
    assert (after.plan.next, after.plan.customer) == ("execute", False)
    assert after.case_changes == {"proposal": chosen}
    assert [(e["type"], e["summary"], e["actor"]) for e in after.events] == [
        ("customer_choose", "The customer chose an option", "customer")]
    assert after.events[0]["detail"]["option"] == "2" and after.override is None


def test_provided_fields_are_scored_again_or_go_back_to_the_reviewer_who_asked():
    provided = customer("provide", fields={"orderNumber": "A-1", "contractId": "C2"})
    rescore = next_plan(plan(next="customer", askFields=["orderNumber"]), provided, CASE)
    assert rescore.plan.next == "rescore"
    assert rescore.case_changes == {"payload": {"contractId": "C2", "orderNumber": "A-1"}}
    assert rescore.events[0]["detail"]["fields"] == ["contractId", "orderNumber"]
    asked = plan(next="customer", returnTo="review", askFields=["orderNumber"], question="Which order?")
    back = next_plan(asked, provided, CASE).plan
    assert (back.next, back.returnTo, back.askFields, back.question) == ("review", None, [], None)


def test_a_correction_goes_ahead_with_the_corrected_data_and_is_an_override():
    after = next_plan(plan(next="customer", stepId="s-9", ask="correct"),
                      customer("correct", fields={"iban": "DE11"}, comment="typo"), OPTIONS_CASE)
    corrected = {"iban": "DE11", "name": "Ana"}
    assert after.plan.next == "execute" and after.plan.customer is False
    assert after.case_changes["proposal"]["extracted"] == corrected
    assert after.case_changes["payload"] == {"contractId": "C", "extracted": corrected}
    override = after.override
    assert (override["kind"], override["decision"], override["reviewer"], override["reason"], override["comment"]) \
        == ("customer_correction", "correct", "customer", "customer correction", "typo")
    assert override["proposal"] == {"iban": "DE00", "name": "Ana"} and override["decided"] == corrected
    assert override["overrideKey"].startswith("2026-11-02T10:00:00.000Z#s-9#correct#customer")


def test_confirming_a_correction_step_executes_what_was_extracted():
    after = next_plan(plan(next="customer", ask="correct"), customer("confirm"), OPTIONS_CASE)
    assert after.case_changes == {"proposal": {**OPTIONS_CASE["proposal"],
                                               "extracted": {"iban": "DE00", "name": "Ana"}}}
    assert after.events[0]["summary"] == "The customer confirmed" and after.override is None


def test_asking_for_a_person_comes_first_in_the_queue():
    after = next_plan(plan(next="customer", stepId="s-1", reminders=1, askFields=["x"]), customer("human"), CASE)
    assert (after.plan.next, after.plan.reason, after.plan.priority) == ("review", "customer_asked_for_person", 1)
    assert (after.plan.stepId, after.plan.reminders, after.plan.askFields) == (None, 0, [])
    assert after.events[0]["summary"] == "The customer asked to talk to a person"


def test_reminders_come_before_a_person_and_an_unreachable_customer_goes_to_one_at_once():
    silent = Outcome(Error="States.Timeout")
    first = next_plan(plan(next="customer"), silent, CASE, reminders_allowed=2)
    assert (first.plan.next, first.plan.reminders) == ("customer", 1)
    assert [(e["type"], e["summary"]) for e in first.events] == [("customer_reminder_due",
                                                                  "No answer yet; reminder 1 of 2")]
    last = next_plan(plan(next="customer", reminders=2), silent, CASE, reminders_allowed=2)
    assert (last.plan.next, last.plan.reason, last.plan.priority) == ("review", "customer_no_answer", 2)
    unreachable = next_plan(plan(next="customer"), Outcome(Error="CustomerUnreachable"), CASE)
    assert (unreachable.plan.next, unreachable.plan.reason) == ("review", "customer_unreachable")
    with pytest.raises(ValueError, match="cannot plan after outcome"):
        next_plan(plan(), Outcome.model_validate({"response": "confirm"}), CASE)
