"""Insights as a lead reads them: figures over a window, where overrides cluster, and the two tell-tales."""
from datetime import UTC, datetime, timedelta

import pytest

from loopgate.errors import Forbidden, InvalidValue
from loopgate.models import Reviewer
from loopgate.policy import insights as pure
from loopgate.usecases.insights import day_metrics, insights
from loopgate.usecases.learning import observe

from .world import refund_request

LEAD = Reviewer(sub="lea", name="Lea", groups=("leads",))
REVIEWER = Reviewer(sub="ana", name="Ana", groups=("reviewers",))
DAY = "2026-11-02"  # the World's clock starts here


def decided(world, store, request, *, action="approve", reason=None, seconds=120, reviewer="ana"):
    """A case scored, touched and decided by a reviewer: the facts the fold records, folded with observe."""
    case = store.get_case(world.new_case(request)["caseId"])
    observe(store, case, "touched", {"touched": 1})
    override = action != "approve"
    counts = {"decisions": 1, "overrides": int(override), "t:" + str(next(b for b in pure.TIME_BUCKETS
                                                                          if seconds <= b)): 1}
    if reason:
        counts[f"reason:{reason}"] = 1
    first = {"firstOverrideAt": case["createdAt"]} if override else None
    observe(store, case, f"review:t1:{action}", counts, reviewer=reviewer,
            memory={"overrides": int(override)}, first=first)
    return case


def test_a_lead_sees_the_journeys_figures_and_groups_by_rule(world, store, clock):
    small = decided(world, store, refund_request(20))
    decided(world, store, refund_request(20), action="modify", reason="policy", seconds=4000)
    world.new_case(refund_request(20))  # scored, nobody touched it

    found = insights(store, LEAD, journey="refund", start=DAY, end=DAY, by="rule")

    assert (found["journey"], found["from"], found["to"], found["by"]) == ("refund", DAY, DAY, "rule")
    assert found["cases"] == 3
    assert found["humanTouchRate"] == round(2 / 3, 4)
    assert found["overrideRate"] == 0.5
    assert found["timeToDecision"] == {"p50": 300, "p90": 7200}
    (rule,) = found["groups"]
    assert (rule["value"], rule["cases"], rule["overrides"]) == (small["learning"]["rule"], 3, 1)
    (cluster,) = found["clusters"]
    assert cluster["dimension"] == "rule" and cluster["topReasons"] == [{"reason": "policy", "count": 1}]


def test_the_window_reads_one_day_per_query_and_leaves_out_days_outside_it(world, store, clock):
    decided(world, store, refund_request(20))
    clock.advance(2 * 86400)
    decided(world, store, refund_request(20))
    reads = []
    original = store.stats
    store.stats = lambda journey, day, prefix=None: reads.append(day) or original(journey, day, prefix)

    found = insights(store, LEAD, journey="refund", start="2026-11-03", end="2026-11-04", by=None)

    assert found["cases"] == 1
    assert reads == ["2026-11-03", "2026-11-04"]
    assert found["groups"] == []


def test_the_default_window_is_the_last_30_days(world, store, clock):
    found = insights(store, LEAD, journey="refund", start=None, end=None, by=None)
    assert (found["from"], found["to"]) == ("2026-10-04", DAY)
    assert found["cases"] == 0 and found["overrideRate"] is None


def test_only_leads_read_insights(store):
    with pytest.raises(Forbidden):
        insights(store, REVIEWER, journey="refund", start=None, end=None, by=None)


@pytest.mark.parametrize(("args", "field"), [
    ({"journey": "refnud"}, "journey"),
    ({"start": "2026-13-01"}, "from"),
    ({"end": "yesterday"}, "to"),
    ({"start": "2026-11-05", "end": "2026-11-04"}, "from"),
    ({"start": "2026-08-02", "end": "2026-11-02"}, "from"),  # 92 days is the most: this is 93
    ({"by": "colour"}, "by"),
])
def test_bad_input_names_its_field(store, clock, args, field):
    given = {"journey": "refund", "start": None, "end": None, "by": None, **args}
    with pytest.raises(InvalidValue) as raised:
        insights(store, LEAD, **given)
    assert raised.value.field == field


def test_92_days_are_allowed(store, clock):
    found = insights(store, LEAD, journey="refund", start="2026-08-03", end="2026-11-02", by=None)
    assert found["from"] == "2026-08-03"


def test_overrides_cluster_in_the_slice_with_most_and_highest_rate(world, store, clock):
    for _ in range(5):
        decided(world, store, refund_request(20, confidence=0.95), action="modify", reason="wrong amount")
    decided(world, store, refund_request(20, confidence=0.95), action="reject", reason="policy")
    for _ in range(4):
        decided(world, store, refund_request(20, confidence=0.91))

    found = insights(store, LEAD, journey="refund", start=DAY, end=DAY, by=None)

    (cluster,) = found["clusters"]
    assert cluster["dimension"] == "slice" and cluster["value"].endswith("confidence=0.9-1.0")
    assert (cluster["overrides"], cluster["decisions"], cluster["mostOverrides"], cluster["highestRate"]) == \
        (6, 10, True, True)
    assert cluster["topReasons"] == [{"reason": "wrong amount", "count": 5}, {"reason": "policy", "count": 1}]


def test_the_time_to_fix_counts_from_the_first_override_to_the_accepted_adjustment(world, store, clock):
    case = decided(world, store, refund_request(20), action="modify", reason="policy")
    found = insights(store, LEAD, journey="refund", start=DAY, end=DAY, by=None)
    fix = found["telltales"]["timeToFix"]
    assert fix["medianSeconds"] is None and fix["openCount"] == 1
    assert fix["open"][0]["slice"] == case["slice"] and fix["open"][0]["overrides"] == 1

    fixed_at = (datetime.fromisoformat(case["createdAt"].replace("Z", "+00:00")) + timedelta(hours=5))
    store.cases.put_item(Item={"pk": "POLICY#refund", "sk": "LIVE#policy", "journey": "refund", "version": 2,
                               "adjustments": [{"slice": case["slice"], "change": {"route": "auto"},
                                                "acceptedBy": "lea", "reason": "safe", "at": fixed_at.isoformat()}]})
    fix = insights(store, LEAD, journey="refund", start=DAY, end=DAY, by=None)["telltales"]["timeToFix"]
    assert fix["medianSeconds"] == 5 * 3600 and fix["openCount"] == 0


# ------------------------------------------------------------------ the pure parts
def test_a_time_beyond_the_last_bucket_says_so_instead_of_infinity():
    timing = pure.figures({"t:60": 1, "t:inf": 9})["timeToDecision"]
    assert timing == {"p50": None, "p50Over": 604800, "p90": None, "p90Over": 604800}


def test_escalating_too_much_when_overrides_climb_and_no_outcome_improves():
    early = {"decisions": 10, "overrides": 1, "audits": 10, "auditDisagreements": 2}
    late = {"decisions": 10, "overrides": 4, "audits": 10, "auditDisagreements": 2}
    found = pure.escalating_too_much(early, late)
    assert found["escalatingTooMuch"] is True
    assert found["overrideRate"] == {"firstHalf": 0.1, "secondHalf": 0.4}


def test_not_escalating_too_much_when_an_outcome_improves():
    early = {"decisions": 10, "overrides": 1, "audits": 10, "auditDisagreements": 3}
    late = {"decisions": 10, "overrides": 4, "audits": 10, "auditDisagreements": 1}
    found = pure.escalating_too_much(early, late)
    assert found["escalatingTooMuch"] is False
    assert found["outcomes"]["auditDisagreementRate"]["improved"] is True


def test_not_escalating_too_much_on_too_few_decisions_or_a_falling_rate():
    assert not pure.escalating_too_much({"decisions": 4, "overrides": 0}, {"decisions": 4, "overrides": 4})[
        "escalatingTooMuch"]
    assert not pure.escalating_too_much({"decisions": 10, "overrides": 4}, {"decisions": 10, "overrides": 1})[
        "escalatingTooMuch"]


def test_a_rate_ranks_only_on_enough_decisions():
    per_slice = {"a": {"decisions": 20, "overrides": 6}, "b": {"decisions": 2, "overrides": 2},
                 "c": {"decisions": 5, "overrides": 4}, "d": {"decisions": 9, "overrides": 0}}
    found = {c["value"]: c for c in pure.clusters(per_slice, "slice", top=1)}
    assert set(found) == {"a", "c"}
    assert (found["a"]["mostOverrides"], found["a"]["highestRate"]) == (True, False)
    assert (found["c"]["mostOverrides"], found["c"]["highestRate"]) == (False, True)


def test_a_fix_made_before_the_first_override_leaves_the_cluster_open():
    at = datetime(2026, 11, 10, tzinfo=UTC)
    memory = [{"sk": "s1", "firstOverrideAt": "2026-11-05T00:00:00.000Z", "modified": 2, "rejected": 1},
              {"sk": "s2", "firstOverrideAt": "2026-11-01T00:00:00.000Z"},
              {"sk": "s3", "firstOverrideAt": "2026-11-02T00:00:00.000Z"},
              {"sk": "s4"}]
    found = pure.time_to_fix(memory, {"s1": "2026-11-04T00:00:00Z", "s2": "2026-11-02T00:00:00Z",
                                      "s3": "2026-11-05T00:00:00Z"}, at)
    assert [f["slice"] for f in found["fixed"]] == ["s3", "s2"]
    assert found["medianSeconds"] == int(2 * 86400)  # median of 1 day and 3 days
    assert found["open"] == [{"slice": "s1", "firstOverrideAt": "2026-11-05T00:00:00.000Z", "overrides": 3,
                              "ageSeconds": 5 * 86400}]


def test_halves_split_the_window_in_two():
    from datetime import date
    assert pure.halves(date(2026, 11, 1), date(2026, 11, 30)) == date(2026, 11, 16)
    assert pure.halves(date(2026, 11, 1), date(2026, 11, 1)) == date(2026, 11, 1)


def test_a_day_without_decisions_emits_no_override_rate_rather_than_zero():
    values = {name: (unit, value) for name, unit, value in pure.metric_values({"cases": 4, "touched": 1})}
    assert values["Cases"] == ("Count", 4.0) and values["HumanTouchRate"] == ("None", 0.25)
    assert "OverrideRate" not in values and "TimeToDecisionP90" not in values
    late = {name: value for name, _, value in pure.metric_values({"decisions": 1, "t:inf": 1})}
    assert late["TimeToDecisionP90"] == 604800.0


def test_day_metrics_cover_every_journey(world, store):
    world.new_case(refund_request(20))
    found = day_metrics(store, DAY)
    assert dict((n, v) for n, _, v in found["refund"])["Cases"] == 1.0
    assert found["complaint"] == [("Cases", "Count", 0.0)]  # a quiet day is a datapoint; its rates are not
