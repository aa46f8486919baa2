"""Insights through the real stack: a lead reads the figures of posted cases; the hourly job emits them as EMF."""
import json
import uuid

import requests

from tests.helpers import body


def _get(stack, token: str, **params) -> requests.Response:
    return requests.get(f"{stack.url}/insights", params=params, headers={"Authorization": f"Bearer {token}"},
                        timeout=10)


def test_a_lead_reads_the_figures_of_posted_cases_and_others_are_refused(stack):
    case_ids = [stack.new_case(body("refund_small.json")) for _ in range(2)]
    cases = [stack.wait_for(cid, "COMPLETED") for cid in case_ids]
    day = cases[0]["createdAt"][:10]
    lead = stack.token(f"lead-{uuid.uuid4().hex[:6]}", ["leads"])

    found = _get(stack, lead, journey="refund", **{"from": day, "to": day}, by="rule")
    assert found.status_code == 200, found.text
    figures = found.json()
    assert (figures["journey"], figures["from"], figures["to"], figures["by"]) == ("refund", day, day, "rule")
    assert figures["cases"] >= 2  # the session's stack is shared with other tests' cases
    rules = {g["value"]: g for g in figures["groups"]}
    assert rules["small-confident-refund"]["cases"] >= 2
    assert "escalatingTooMuch" in figures["telltales"] and "timeToFix" in figures["telltales"]

    reviewer = stack.token("ana", ["reviewers"])
    assert _get(stack, reviewer, journey="refund").status_code == 403
    too_long = _get(stack, lead, journey="refund", **{"from": "2026-01-01", "to": "2026-12-31"})
    assert too_long.status_code == 422 and too_long.json()["field"] == "from"
    unknown = _get(stack, lead, journey="refnud")
    assert unknown.status_code == 422 and unknown.json()["field"] == "journey"


def test_the_hourly_job_emits_each_journeys_figures_as_emf(stack, capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")  # the local engine sends metrics nowhere
    case_id = stack.new_case(body("refund_small.json"))
    day = stack.wait_for(case_id, "COMPLETED")["createdAt"][:10]
    jobs = stack.engine.handler_module("LearningJobsFunction")
    capsys.readouterr()

    assert jobs.emit_figures(day) >= 1

    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    (refund,) = [d for d in documents if d.get("journey") == "refund"]
    (directive,) = refund["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Loopgate"
    assert directive["Dimensions"] == [["journey", "service"]]  # what the dashboard's widgets name
    names = {m["Name"] for m in directive["Metrics"]}
    assert {"Cases", "HumanTouchRate", "EffortPerCase", "RepeatContactRate"} <= names
    assert refund["Cases"][0] >= 1
