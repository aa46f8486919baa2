"""The bot hand-over: a journey without an AI proposal, routed by why the bot gave up and the skill it needs,
prioritised by the customer's own words; a contact task whose customer is told when a person will call, and
which ends in a resolution rather than an approval."""
import copy
import json

import pytest

from loopgate.errors import Forbidden, InvalidInput, InvalidValue, JourneyDefinitionError
from loopgate.models import CaseRequest, Outcome, Plan, ReviewDecision, Reviewer
from loopgate.policy.journeys import JOURNEY_DIR, catalogue, get_journey, load_journeys
from loopgate.policy.planning import next_plan
from loopgate.policy.routing import route_case
from loopgate.policy.signals import CaseFacts, compute_signals
from loopgate.usecases.intake import case_view, receive_case
from loopgate.usecases.reviews import decide, open_review, review_view
from tests.helpers import load_event

ANA = Reviewer(sub="ana", name="ana@reviewers.local", groups=("reviewers",))
SENIOR = Reviewer(sub="sol", name="sol@senior.local", groups=("senior",))


def handover(**payload) -> dict:
    sent = copy.deepcopy(load_event("handover_billing.json"))
    sent["payload"].update(payload)
    return sent


def calm_transcript(*customer_turns: str) -> list[dict]:
    turns = [{"from": "bot", "text": "How can I help?"}]
    for text in customer_turns:
        turns += [{"from": "customer", "text": text}, {"from": "bot", "text": "I see."}]
    return turns


def routed(sent: dict):
    journey = get_journey("handover")
    facts = CaseFacts(payload=sent["payload"], ai=sent.get("ai") or {}, customer=sent["customer"])
    return route_case(journey, compute_signals(facts, journey))


# ---------------------------------------------------------------- the journey file and intake
def test_the_handover_journey_loads_as_a_contact_journey_without_an_ai():
    journey = catalogue()["handover"]
    assert (journey.task, journey.intake.ai, journey.intake.requirePayload) == ("contact", "optional", True)


def test_a_contact_journey_that_routes_to_the_customer_is_refused_naming_the_rule(tmp_path):
    data = json.loads((JOURNEY_DIR / "handover.json").read_text())
    data["rules"][1]["route"] = "customer"
    (tmp_path / "handover.json").write_text(json.dumps(data))
    with pytest.raises(JourneyDefinitionError, match=r"handover\.json: rules\.1\.route: a contact journey"):
        load_journeys(tmp_path)


def test_a_priority_rule_on_an_unknown_signal_is_refused_naming_it(tmp_path):
    data = json.loads((JOURNEY_DIR / "handover.json").read_text())
    data["priorityRules"][0]["when"] = {"signal": "anger", "op": "eq", "value": True}
    (tmp_path / "handover.json").write_text(json.dumps(data))
    with pytest.raises(JourneyDefinitionError, match=r"priorityRules\.0\.when: unknown signal 'anger'"):
        load_journeys(tmp_path)


def test_a_handover_needs_no_ai_but_every_other_journey_still_does(world):
    state = world.new_case(load_event("handover_billing.json"))
    assert state["plan"]["next"] == "review" and state["plan"]["task"] == "contact"
    without_ai = load_event("refund_small.json")
    del without_ai["ai"]
    with pytest.raises(InvalidValue) as error:
        receive_case(CaseRequest.model_validate(without_ai), world.store, world.workflow, "channel-key",
                     world.events)
    assert error.value.field == "ai"


@pytest.mark.parametrize("change, field", [
    ({"transcript": None}, "payload.transcript"),
    ({"transcript": []}, "payload.transcript"),
    ({"transcript": [{"from": "agent", "text": "hi"}]}, "payload.transcript.0.from"),
    ({"transcript": [{"from": "customer"}]}, "payload.transcript.0.text"),
    ({"transcript": [{"from": "customer", "text": "hi"}] * 201}, "payload.transcript"),
    ({"intentConfidence": 1.5}, "payload.intentConfidence"),
    ({"gaveUpBecause": "bored"}, "payload.gaveUpBecause"),
    ({"preferredContact": {"window": "mornings"}}, "payload.preferredContact.channel"),
    ({"preferredContact": {"channel": "pigeon"}}, "payload.preferredContact.channel"),
])
def test_a_malformed_handover_is_refused_naming_the_field(world, change, field):
    sent = handover()
    sent["payload"].update(change)
    sent["payload"] = {k: v for k, v in sent["payload"].items() if v is not None}
    with pytest.raises(InvalidValue) as error:
        receive_case(CaseRequest.model_validate(sent), world.store, world.workflow, "channel-key", world.events)
    assert error.value.field == field


# ---------------------------------------------------------------- routing
@pytest.mark.parametrize("payload, queue, priority, rule", [
    ({"gaveUpBecause": "dead_end", "skill": "general", "transcript": calm_transcript("Where is my parcel?")},
     "reviewers", 5, "bot-handed-over"),
    ({"gaveUpBecause": "repeated_failure", "transcript": calm_transcript("It still does not work.")},
     "senior", 3, "bot-failed-repeatedly"),
    ({"gaveUpBecause": "qa_failed", "transcript": calm_transcript("Thanks.")}, "senior", 3,
     "bot-failed-repeatedly"),
    ({"gaveUpBecause": "too_complex", "skill": "technical", "transcript": calm_transcript("The router reboots.")},
     "senior", 4, "too-complex-technical"),
    ({"gaveUpBecause": "too_complex", "skill": "contract", "transcript": calm_transcript("Can I end early?")},
     "legal", 4, "contract-question"),
    ({"gaveUpBecause": "dead_end", "transcript": calm_transcript("I will take legal action over this.")},
     "legal", 2, "legal-language"),
])
def test_a_handover_goes_to_the_queue_its_reason_and_skill_need(payload, queue, priority, rule):
    routing = routed(handover(**payload))
    assert (routing.queue, routing.decision.priority, routing.rule, routing.decision.route) == \
        (queue, priority, rule, "human")


def test_a_distressed_customer_is_called_first_in_the_queue_the_reason_picked():
    routing = routed(handover(gaveUpBecause="repeated_failure",
                              transcript=calm_transcript("This is ridiculous, nothing works!")))
    assert (routing.queue, routing.decision.priority) == ("senior", 2)
    assert any(r.rule == "priority:distressed-customer" and "ridiculous" in r.text for r in routing.reasons)


def test_a_vulnerable_customer_goes_to_care_before_anyone_else():
    routing = routed(handover(gaveUpBecause="dead_end", skill="billing",
                              transcript=calm_transcript("My husband died last week and I cannot pay this bill.")))
    assert (routing.queue, routing.decision.priority, routing.decision.capability) == ("care", 1, "vulnerable")


def test_only_the_customers_turns_are_judged_not_the_bots():
    # The bot's words carry anger, legal terms and a request for a person; the customer's carry none of them.
    transcript = [{"from": "customer", "text": "Where is my parcel?"},
                  {"from": "bot", "text": "I understand you are furious and may talk to a lawyer or ask for an agent."}]
    routing = routed(handover(gaveUpBecause="dead_end", skill="general", transcript=transcript))
    assert (routing.queue, routing.decision.priority, routing.rule) == ("reviewers", 5, "bot-handed-over")


# ---------------------------------------------------------------- the planner
def contact_plan(**changes) -> Plan:
    journey = get_journey("handover")
    return Plan(journey="handover", next="review", queue="reviewers", seniorQueue="senior", priority=5,
                limits=journey.limits, proposal=None, task="contact").model_copy(update=changes)


def reviewer_said(action: str, **more) -> Outcome:
    return Outcome.model_validate({"actor": {"kind": "reviewer", "id": "ana"}, "action": action, "taskId": "t1",
                                   "at": "2026-11-02T10:00:00.000Z", **more})


CASE = {"caseId": "case-1", "journey": "handover", "proposal": None, "customer": {"id": "c"}, "payload": {}}


@pytest.mark.parametrize("action", ["contacted", "resolved", "not_reached"])
def test_a_contact_ends_in_its_resolution_and_nothing_to_execute(action):
    transition = next_plan(contact_plan(), reviewer_said(action, comment="rang twice"), CASE)
    assert (transition.plan.next, transition.plan.resolution, transition.plan.event) == ("resolve", action, None)
    assert transition.override is None
    assert [e["type"] for e in transition.events] == [f"contact_{action}"]


def test_an_escalated_contact_stays_a_contact_in_the_senior_queue_without_an_override():
    transition = next_plan(contact_plan(), reviewer_said("escalate", reason="needs a billing expert"), CASE)
    assert (transition.plan.next, transition.plan.queue, transition.plan.task) == ("review", "senior", "contact")
    assert transition.override is None


def test_a_contact_that_runs_out_of_time_escalates_like_every_review():
    timed_out = Outcome.model_validate({"Error": "States.Timeout"})
    transition = next_plan(contact_plan(), timed_out, CASE)
    assert (transition.plan.next, transition.plan.queue, transition.plan.escalated) == ("review", "senior", True)
    assert transition.plan.task == "contact"


def test_a_contact_task_cannot_be_approved_even_on_a_plan_rebuilt_after_a_failure():
    # A failed step rebuilds the plan without `task`; the journey still says what the person is asked.
    with pytest.raises(ValueError, match="contact task ends in"):
        next_plan(contact_plan(task="review"), reviewer_said("approve"), CASE)


# ---------------------------------------------------------------- the contact task
def open_contact(world, sent: dict | None = None):
    state = world.new_case(sent or load_event("handover_billing.json"))
    return world.wait_for_review(state)


def test_the_customer_is_told_by_when_a_person_will_call_in_their_language_and_zone(world):
    review = open_contact(world)  # en-GB, 4 hours after 09:00 UTC on 2 November: 13:00 GMT
    (sent,) = world.messenger.sent
    message = sent["message"]
    assert "Monday, 2 November 2026, 13:00 GMT" in message.text and "by phone" in message.text
    assert "weekdays after 5 pm" in message.text and review.case_id in message.text
    assert sent["prefer"] == "sms"  # they want a call: the message goes to the phone
    view = case_view(world.store, review.case_id, "channel-key")
    assert view["waitingFor"]["task"] == "contact" and view["waitingFor"]["due"] == "2026-11-02T13:00:00.000Z"
    assert view["contactPromise"]["by"] == view["waitingFor"]["due"]
    promised = next(e for e in view["timeline"] if e["type"] == "contact_promised")
    # The agent reads what the customer was told, as they were told it (not an ISO timestamp).
    assert promised["summary"].endswith("will contact them by Monday, 2 November 2026, 13:00 GMT")
    scored = next(e for e in view["timeline"] if e["type"] == "scored")
    assert scored["summary"] == "A person contacts the customer (rule: bot handed over)"


def test_a_german_customer_reads_the_time_in_german_and_their_zone(world):
    sent = handover(preferredContact={"channel": "email"})
    sent["customer"]["locale"] = "de"
    open_contact(world, sent)
    (told,) = world.messenger.sent
    assert "Montag, 2. November 2026, 14:00 MEZ" in told["message"].text and "per E-Mail" in told["message"].text
    assert told["prefer"] == "email"


def test_a_contact_that_ran_out_of_time_tells_the_customer_the_new_time_once_saying_sorry(world):
    review = open_contact(world)
    world.clock.advance(4 * 3600)  # the promised time passes; nobody called
    state = world.record(review.state, world.workflow.time_out(review.token))
    assert state["plan"]["queue"] == "senior"
    token = world.workflow.wait(state["plan"]["limits"]["reviewSeconds"])
    open_review(world.store, state, token, world.events, world.messenger)
    open_review(world.store, state, token, world.events, world.messenger)  # a retried step
    first, late = world.messenger.sent
    assert "we are sorry" in late["message"].text and "Monday, 2 November 2026, 15:00 GMT" in late["message"].text
    view = case_view(world.store, review.case_id, "channel-key")
    assert view["contactPromise"]["by"] == view["waitingFor"]["due"] == "2026-11-02T15:00:00.000Z"
    assert "contact_promise_renewed" in [e["type"] for e in view["timeline"]]


def test_a_contact_handed_on_within_the_promise_keeps_it(world):
    review = open_contact(world)
    world.clock.advance(3600)
    decide(world.store, world.workflow, ANA, review.task_id, ReviewDecision(action="escalate", reason="a billing "
                                                                              "expert should call"))
    state = world.record(review.state, world.workflow.outcome(review.token))
    world.wait_for_review(state)  # senior, due at 12:00, within the promised 13:00
    assert len(world.messenger.sent) == 1
    view = case_view(world.store, review.case_id, "channel-key")
    assert view["contactPromise"]["by"] == "2026-11-02T13:00:00.000Z" != view["waitingFor"]["due"]


def test_the_contact_task_shows_the_conversation_and_offers_no_approval(world):
    review = open_contact(world)
    seen = review_view(world.store, ANA, review.task_id)
    assert seen["kind"] == "contact"
    assert [o["action"] for o in seen["options"]] == ["contacted", "resolved", "not_reached", "escalate"]
    contact = seen["contact"]
    assert contact["transcript"][0]["from"] == "customer" and contact["intent"] == "billing.double_charge"
    assert contact["gaveUpBecause"] == "customer_asked" and contact["tried"]
    assert contact["promise"]["by"] == seen["dueAt"] and contact["preferredContact"]["channel"] == "phone"
    assert seen["tried"]["aiProposal"] is None


@pytest.mark.parametrize("decision, field", [
    ({"action": "approve"}, "action"),
    ({"action": "modify", "reason": "x", "proposal": {"a": 1}}, "action"),
    ({"action": "reject", "reason": "other"}, "action"),
    ({"action": "ask_customer", "fields": ["intent"]}, "action"),
    ({"action": "not_reached"}, "comment"),
])
def test_a_contact_task_refuses_what_does_not_end_a_contact(world, decision, field):
    review = open_contact(world)
    with pytest.raises(InvalidInput) as error:
        decide(world.store, world.workflow, ANA, review.task_id, ReviewDecision.model_validate(decision))
    assert error.value.field == field


def test_a_review_task_refuses_a_contact_resolution(world):
    review = world.wait_for_review(world.new_case(load_event("contract_change_low_confidence.json")))
    with pytest.raises(InvalidInput) as error:
        decide(world.store, world.workflow, ANA, review.task_id, ReviewDecision(action="resolved"))
    assert error.value.field == "action"


def test_resolved_goes_to_the_workflow_which_plans_the_close(world):
    review = open_contact(world)
    done = decide(world.store, world.workflow, ANA, review.task_id,
                  ReviewDecision(action="resolved", comment="refunded the second payment"))
    assert done["status"] == "DECIDED"
    plan = world.record(review.state, world.workflow.outcome(review.token))["plan"]
    assert (plan["next"], plan["resolution"]) == ("resolve", "resolved")
    assert world.store.overrides_for_case(review.case_id) == []


def test_how_contacts_end_and_how_long_customers_waited_reach_the_insights(world):
    from loopgate.usecases.insights import insights

    lead = Reviewer(sub="lena", name="lena", groups=("leads",))
    for action, minutes in (("resolved", 30), ("not_reached", 90)):
        review = open_contact(world)
        world.clock.advance(minutes * 60)
        decide(world.store, world.workflow, ANA, review.task_id,
               ReviewDecision(action=action, comment="called the customer"))
        outcome = world.workflow.outcome(review.token)
        world.record(review.state, outcome)
        world.record(review.state, outcome)  # a retried record step counts once
    found = insights(world.store, lead, journey="handover", start=None, end=None, by=None)
    assert (found["decisions"], found["overrides"]) == (2, 0)  # no AI proposal was departed from
    # Timed from the contact task's opening (30 and 90 minutes), in the buckets' upper bounds.
    assert found["timeToDecision"] == {"p50": 1800, "p90": 7200}


def test_not_reached_tells_the_customer_once_how_to_reach_us(world):
    review = open_contact(world)
    decide(world.store, world.workflow, ANA, review.task_id,
           ReviewDecision(action="not_reached", comment="called twice, voicemail"))
    outcome = world.workflow.outcome(review.token)
    world.record(review.state, outcome)
    world.record(review.state, outcome)  # a retried record step
    promise, missed = world.messenger.sent
    assert "could not reach you" in missed["message"].text and review.case_id in missed["message"].text
    assert len(world.messenger.sent) == 2


def test_a_contact_in_the_care_queue_is_for_the_care_team(world):
    sent = handover(transcript=calm_transcript("I lost my job and cannot pay the bill."))
    review = open_contact(world, sent)
    care = Reviewer(sub="cara", name="cara@care.local", groups=("care",))
    with pytest.raises(Forbidden):
        decide(world.store, world.workflow, ANA, review.task_id, ReviewDecision(action="resolved"))
    assert review_view(world.store, care, review.task_id)["priority"] == 1
    assert decide(world.store, world.workflow, care, review.task_id,
                  ReviewDecision(action="contacted"))["status"] == "DECIDED"


def test_erasure_keeps_who_spoke_in_a_transcript_and_erases_what_they_said():
    from loopgate.policy.erasure import ERASED, scrub_fields

    payload = load_event("handover_billing.json")["payload"]
    scrubbed = scrub_fields(payload, get_journey("handover").payload)
    assert [t["from"] for t in scrubbed["transcript"]] == [t["from"] for t in payload["transcript"]]
    assert {t["text"] for t in scrubbed["transcript"]} == {ERASED}
    assert (scrubbed["gaveUpBecause"], scrubbed["intentConfidence"]) == ("customer_asked", 0.82)
    assert scrubbed["tried"] == [ERASED, ERASED] and scrubbed["preferredContact"]["window"] == ERASED


def test_the_resolve_path_closes_the_case_and_never_reaches_the_execution():
    from tests.helpers import ROOT

    states = json.loads((ROOT / "statemachines" / "case.asl.json").read_text())["States"]
    (start,) = [c["Next"] for c in states["Dispatch"]["Choices"] if c.get("StringEquals") == "resolve"]
    path, name = [], start
    while "Next" in states[name]:  # the path as it goes when nothing fails
        path.append(name)
        name = states[name]["Next"]
    assert path + [name] == ["RecordResolved", "CloseResolved", "PublishCompleted"] and states[name]["End"]
    close = states["CloseResolved"]
    # A case closed meanwhile (a second outcome, a replay) is not closed twice: the write's condition fails, and
    # that failure ends the execution quietly.
    assert "NOT (#status IN (:completed, :rejected))" in close["Parameters"]["ConditionExpression"]
    assert [c["Next"] for c in close["Catch"]] == ["AlreadyClosed", "FallbackToHuman"]


def test_a_customer_in_another_zone_reads_the_time_in_theirs_and_an_unknown_zone_is_refused():
    from pydantic import ValidationError

    from loopgate.usecases.contact import when_text

    assert when_text("2026-11-02T13:00:00.000Z", {"locale": "en-US", "timeZone": "America/New_York"}) == \
        "Monday, November 2, 2026, 8:00\u202fAM EST"
    sent = handover()
    sent["customer"]["timeZone"] = "Europe/Atlantis"
    with pytest.raises(ValidationError) as error:
        CaseRequest.model_validate(sent)
    assert error.value.errors()[0]["loc"] == ("customer", "timeZone")


def test_a_german_customer_not_reached_reads_it_in_german(world):
    sent = handover(preferredContact={"channel": "phone"})
    sent["customer"]["locale"] = "de"
    review = open_contact(world, sent)
    decide(world.store, world.workflow, ANA, review.task_id,
           ReviewDecision(action="not_reached", comment="zweimal angerufen, Mailbox"))
    world.record(review.state, world.workflow.outcome(review.token))
    missed = world.messenger.sent[-1]["message"]
    assert missed.subject == "Wir haben Sie nicht erreicht" and "telefonisch" in missed.text
    assert f"Vorgang {review.case_id}" in missed.sms and missed.sms.startswith("Wir haben versucht")
