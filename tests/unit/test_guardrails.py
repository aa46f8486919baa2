"""Outcome guardrails: the refund journey's customer-effort guardrail trips, alerts the supervisors once, sends the
next automatic refund to a person, restores with hysteresis, and a lead can reset it."""
import json
import threading
import uuid
from datetime import date, timedelta

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from loopgate.adapters.alerts import SupervisorAlerts
from loopgate.adapters.guardrail_metrics import count_trips
from loopgate.errors import Conflict, Forbidden, NotFound
from loopgate.models import GuardrailReset, Reviewer
from loopgate.policy.guardrails import Reading, baseline_days, check, decide, restore_level, threshold, window_days
from loopgate.policy.journeys import Guardrail
from loopgate.usecases.guardrails import list_guardrails, reset, run_checks
from loopgate.usecases.learning import observe

from .world import refund_request

LEAD = Reviewer(sub="lena", name="lena@leads.local", groups=("leads",))
ANA = Reviewer(sub="ana", name="ana@reviewers.local", groups=("reviewers",))


def guardrail(**fields) -> Guardrail:
    return Guardrail.model_validate({"name": "g", "metric": "effortPerCase", "explain": "why", **fields})


# ------------------------------------------------------------------ the pure decision
@pytest.mark.parametrize(("state", "value", "expected"), [
    ("ok", 0.49, "ok"), ("ok", 0.5, "ok"), ("ok", 0.51, "tripped"),  # trips strictly above the threshold
    ("tripped", 0.51, "tripped"), ("tripped", 0.45, "tripped"),  # the hysteresis band: stays tripped
    ("tripped", 0.4, "ok"), ("tripped", 0.1, "ok"),  # restores at or below the restore level
    ("ok", 0.45, "ok"), ("ok", None, "ok"), ("tripped", None, "tripped"),  # no value: no verdict
])
def test_decide_trips_above_the_threshold_and_restores_only_below_the_band(state, value, expected):
    assert decide(state, value, 0.5, 0.4) == expected


def test_the_restore_level_is_80_percent_of_the_threshold_unless_declared_and_never_above_it():
    assert restore_level(guardrail(max=0.5), 0.5) == 0.4
    assert restore_level(guardrail(max=0.5, restoreBelow=0.2), 0.5) == 0.2
    assert restore_level(guardrail(max=0.5, restoreBelow=0.9), 0.5) == 0.5


def test_a_baseline_guardrail_trips_relative_to_the_days_before_its_window():
    g = guardrail(baselineRatio=1.5, baselineDays=3, windowDays=2, minCases=10)
    today = date(2026, 11, 10)
    assert window_days(g, today) == ["2026-11-09", "2026-11-10"]
    assert baseline_days(g, today) == ["2026-11-06", "2026-11-07", "2026-11-08"]
    assert baseline_days(guardrail(max=1), today) == []
    assert threshold(g, Reading(0.4, 30)) == 0.6
    assert threshold(g, Reading(0.4, 9)) is None  # too few baseline cases: no verdict
    verdict = check(g, "ok", Reading(0.7, 12), Reading(0.4, 30), held=False)
    assert (verdict.state, verdict.threshold, verdict.restoreAt) == ("tripped", 0.6, 0.48)
    assert check(g, "ok", Reading(0.7, 12), Reading(0.4, 9), held=False).state == "ok"


def test_no_verdict_under_min_cases_and_none_while_a_reset_holds():
    g = guardrail(max=0.5, minCases=10)
    few = check(g, "ok", Reading(3.0, 9), None, held=False)
    assert few.state == "ok" and "fewer than 10" in few.note
    held = check(g, "ok", Reading(3.0, 40), None, held=True)
    assert held.state == "ok" and "reset" in held.note
    assert check(g, "tripped", Reading(3.0, 9), None, held=False).state == "tripped"  # nor a restore


# ------------------------------------------------------------------ the check, end to end in the World
@pytest.fixture
def supervisors(store):
    """The supervisors' topic on moto; `.sent()` is what subscribers got."""
    sns = boto3.client("sns", region_name="us-east-1")
    arn = sns.create_topic(Name=f"supervisors-{uuid.uuid4().hex[:6]}")["TopicArn"]
    alerts = SupervisorAlerts(sns, arn)
    alerts.sent = lambda: sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].topics[arn].sent_notifications
    return alerts


def effortful_cases(world, store, n: int, effort: dict) -> list[dict]:
    """Small confident refunds that each cost the customer `effort` (as the effort facts would fold it)."""
    cases = []
    for _ in range(n):
        case = store.get_case(world.new_case(refund_request(20))["caseId"])
        assert case["route"] == "auto"
        observe(store, case, f"effort:{uuid.uuid4().hex[:6]}", effort)
        cases.append(case)
    return cases


def counted_cases(store, day: str, n: int, effort: dict | None = None) -> None:
    """Refund cases as their scored (and effort) facts count them, without running each case."""
    for _ in range(n):
        case = {"caseId": uuid.uuid4().hex, "journey": "refund", "learning": {"day": day}}
        observe(store, case, "scored", {"cases": 1, "routed_auto": 1})
        if effort:
            observe(store, case, "effort:1", effort)


def refund_state(result) -> dict:
    return next(i for i in result["items"] if (i["journey"], i["name"]) == ("refund", "customer-effort"))


def test_effort_trips_the_guardrail_alerts_once_and_sends_the_next_automatic_refund_to_a_reviewer(
        world, store, supervisors):
    effortful_cases(world, store, 10, {"messages": 1, "reminders": 1, "interactions": 1})

    tripped = refund_state(run_checks(store, supervisors, LEAD))
    assert tripped["state"] == "tripped" and tripped["change"] == "tripped"
    assert (tripped["metric"], tripped["value"], tripped["threshold"], tripped["cases"]) == ("effortPerCase", 3.0,
                                                                                           0.5, 10)
    (alert,) = supervisors.sent()
    assert "customer-effort" in alert[1] and "effortPerCase was 3 " in alert[1] and "above 0.5" in alert[1]

    state = world.new_case(refund_request(20))
    case = store.get_case(state["caseId"])
    assert case["route"] == "human" and state["plan"]["next"] == "review"
    assert case["reasons"][0]["rule"] == "guardrail:customer-effort"
    assert "effortPerCase 3 above 0.5" in case["reasons"][0]["text"]
    assert "refunds go back to people" in case["reasons"][0]["text"]
    review = world.wait_for_review(state)
    assert store.get_task(review.task_id)["queue"] == "reviewers"

    # The next check (the hourly one) finds it still tripped: no new alert, no new trip in the history.
    again = refund_state(run_checks(store, supervisors, None))
    assert again["state"] == "tripped" and "change" not in again and again["since"] == tripped["since"]
    assert len(supervisors.sent()) == 1
    (listed,) = [i for i in list_guardrails(store, LEAD)["items"] if i["name"] == "customer-effort"]
    assert [h["event"] for h in listed["history"]] == ["tripped"]
    assert listed["history"][0]["by"] == LEAD.sub


def test_it_restores_only_at_or_below_the_restore_level(world, store, supervisors, clock):
    day = clock.now().date().isoformat()
    counted_cases(store, day, 6, {"messages": 1})
    counted_cases(store, day, 4)
    assert refund_state(run_checks(store, supervisors, None))["value"] == 0.6  # tripped

    clock.advance(3600)
    counted_cases(store, day, 3)  # 6 / 13 = 0.46: below the threshold, above the restore level (0.4)
    inside_band = refund_state(run_checks(store, supervisors, None))
    assert (inside_band["state"], inside_band["value"]) == ("tripped", 0.4615)
    assert store.get_case(world.new_case(refund_request(20))["caseId"])["route"] == "human"

    clock.advance(3600)
    counted_cases(store, day, 1)  # 6 / 15 = 0.4: restored (the routed case above adds one, no effort)
    restored = refund_state(run_checks(store, supervisors, None))
    assert (restored["state"], restored["change"], restored["value"]) == ("ok", "restored", 0.4)
    assert store.get_case(world.new_case(refund_request(20))["caseId"])["route"] == "auto"
    (listed,) = [i for i in list_guardrails(store, LEAD)["items"] if i["name"] == "customer-effort"]
    assert [h["event"] for h in listed["history"]] == ["restored", "tripped"]
    assert listed["history"][0]["by"] == "hourly check"
    assert len(supervisors.sent()) == 1  # a restore is logged, not alerted


def test_too_few_cases_give_no_verdict(store, supervisors, clock):
    counted_cases(store, clock.now().date().isoformat(), 9, {"messages": 4})
    item = refund_state(run_checks(store, supervisors, None))
    assert item["state"] == "ok" and item["value"] == 4.0 and "fewer than 10" in item["note"]
    assert supervisors.sent() == []


def test_yesterdays_effort_is_outside_a_one_day_window(store, supervisors, clock):
    counted_cases(store, (clock.now().date() - timedelta(days=1)).isoformat(), 20, {"messages": 4})
    assert refund_state(run_checks(store, supervisors, None))["state"] == "ok"


def test_two_concurrent_checks_trip_it_once(store, supervisors, clock, monkeypatch):
    counted_cases(store, clock.now().date().isoformat(), 10, {"messages": 2})
    both_read = threading.Barrier(2)
    read = store.live_policy

    first_reads = []

    def read_then_wait(journey):
        found = read(journey)
        if journey == "refund" and len(first_reads) < 2:
            first_reads.append(journey)
            both_read.wait(timeout=10)  # both checks saw "ok" before either writes
        return found

    monkeypatch.setattr(store, "live_policy", read_then_wait)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(refund_state(run_checks(store, supervisors, None))))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.setattr(store, "live_policy", read)
    assert [r["state"] for r in results] == ["tripped", "tripped"]
    assert sorted(r.get("change") or "-" for r in results) == ["-", "tripped"]
    assert len(supervisors.sent()) == 1
    (listed,) = [i for i in list_guardrails(store, LEAD)["items"] if i["name"] == "customer-effort"]
    assert [h["event"] for h in listed["history"]] == ["tripped"]


class FailingOnce:
    def __init__(self, alerts):
        self.alerts, self.failed = alerts, False

    def guardrail_tripped(self, *args):
        if not self.failed:
            self.failed = True
            raise RuntimeError("SNS throttled")
        self.alerts.guardrail_tripped(*args)


def test_an_alert_that_did_not_go_out_goes_out_at_the_next_check(store, supervisors, clock):
    counted_cases(store, clock.now().date().isoformat(), 10, {"messages": 2})
    flaky = FailingOnce(supervisors)
    with pytest.raises(RuntimeError):
        run_checks(store, flaky, None)
    assert supervisors.sent() == []
    assert refund_state(list_guardrails(store, LEAD))["state"] == "tripped"  # cases go to people meanwhile
    run_checks(store, flaky, None)
    run_checks(store, flaky, None)
    assert len(supervisors.sent()) == 1


def test_a_lead_resets_it_with_a_reason_and_it_holds_for_the_window(world, store, supervisors, clock):
    counted_cases(store, clock.now().date().isoformat(), 10, {"messages": 2})
    run_checks(store, supervisors, None)

    clock.advance(600)
    result = reset(store, LEAD, "refund", "customer-effort", GuardrailReset(reason="bulk reminder campaign, stopped"))
    assert result["state"] == "ok" and result["heldUntil"] == (clock.now().date() + timedelta(days=1)).isoformat()
    assert result["history"][0] | {"at": None} == {
        "at": None, "event": "reset", "by": "lena", "byName": "lena@leads.local",
        "reason": "bulk reminder campaign, stopped", "metric": "effortPerCase", "value": 2.0, "threshold": 0.5}
    assert store.get_case(world.new_case(refund_request(20))["caseId"])["route"] == "auto"

    # The same day's effort does not trip it again: the lead judged those cases.
    clock.advance(3600)
    held = refund_state(run_checks(store, supervisors, None))
    assert held["state"] == "ok" and "reset" in held["note"]
    with pytest.raises(Conflict, match="not tripped"):
        reset(store, LEAD, "refund", "customer-effort", GuardrailReset(reason="again"))

    # The next day's window no longer holds it: new effort trips it again, and alerts again.
    clock.advance(86400)
    counted_cases(store, clock.now().date().isoformat(), 10, {"messages": 2})
    assert refund_state(run_checks(store, supervisors, None))["change"] == "tripped"
    assert len(supervisors.sent()) == 2


def test_unknown_journey_or_guardrail_is_404_naming_it(store):
    with pytest.raises(NotFound, match="journey 'parcel'"):
        reset(store, LEAD, "parcel", "customer-effort", GuardrailReset(reason="why"))
    with pytest.raises(NotFound, match="guardrail 'speed' is not declared on journey 'refund'"):
        reset(store, LEAD, "refund", "speed", GuardrailReset(reason="why"))


def test_guardrails_are_for_leads_only(store, supervisors):
    with pytest.raises(Forbidden, match="leads"):
        run_checks(store, supervisors, ANA)
    with pytest.raises(Forbidden, match="leads"):
        list_guardrails(store, ANA)
    with pytest.raises(Forbidden, match="leads"):
        reset(store, ANA, "refund", "customer-effort", GuardrailReset(reason="why"))


def test_a_guardrail_never_tripped_is_listed_ok_with_its_declared_threshold(store):
    item = refund_state(list_guardrails(store, LEAD))
    assert item | {"explain": None} == {
        "journey": "refund", "name": "customer-effort", "state": "ok", "metric": "effortPerCase", "value": None,
        "threshold": 0.5, "since": None, "restoreAt": None, "cases": None, "checkedAt": None, "heldUntil": None,
        "note": None, "action": "people", "windowDays": 1, "explain": None, "history": []}


def test_a_trip_is_one_guardrail_tripped_data_point_in_the_alarms_metric(capsys, monkeypatch):
    """The template's GuardrailTrippedAlarm sums SCHEMA("Loopgate", journey, service): the emitted dimension set
    must be exactly that."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Loopgate")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "loopgate")
    assert count_trips([{"journey": "refund", "change": "tripped"}, {"journey": "refund"}]) == 1
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines() if "GuardrailTripped" in x]
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Loopgate" and line["GuardrailTripped"] in (1, [1])
    assert sorted(directive["Dimensions"][0]) == ["journey", "service"] and line["journey"] == "refund"

