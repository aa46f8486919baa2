"""An outcome guardrail on the real stack: a lead's check trips the refund journey's customer-effort guardrail, the
next small confident refund waits for a reviewer, and a lead's reset gives automation back."""
import uuid

import boto3
import requests

from loopgate.adapters.dynamo import CaseStore
from loopgate.clock import now
from loopgate.usecases.learning import observe
from tests.helpers import body


def _leads(stack, method: str, path: str, token: str, json: dict | None = None) -> requests.Response:
    return requests.request(method, f"{stack.url}{path}", json=json, headers={"Authorization": f"Bearer {token}"},
                            timeout=10)


def _effort(stack) -> dict:
    got = _leads(stack, "GET", "/guardrails", stack.token("lena", ["leads"]))
    assert got.status_code == 200, got.text
    return next(i for i in got.json()["items"] if (i["journey"], i["name"]) == ("refund", "customer-effort"))


def test_a_lead_trips_the_effort_guardrail_refunds_wait_for_people_and_a_reset_restores(stack, unscaled):
    # The stack's functions and this test share one moto: the effort facts go in through the store's adapter, as
    # the steps that send messages and take answers fold them.
    engine = stack.engine
    store = CaseStore(boto3.resource("dynamodb", region_name=engine.region),
                      engine.template.physical["CasesTable"]["Ref"], engine.template.physical["OverridesTable"]["Ref"])
    day = now().date().isoformat()
    for _ in range(12):
        case = {"caseId": f"seed-{uuid.uuid4().hex}", "journey": "refund", "learning": {"day": day}}
        observe(store, case, "scored", {"cases": 1, "routed_auto": 1})
        observe(store, case, "effort:reminder", {"messages": 2, "reminders": 1, "interactions": 1})

    lead, reviewer = stack.token("lena", ["leads"]), stack.token("ana", ["reviewers"])
    assert _leads(stack, "POST", "/guardrails/runs", reviewer).status_code == 403
    try:
        ran = _leads(stack, "POST", "/guardrails/runs", lead)
        assert ran.status_code == 200, ran.text
        listed = _effort(stack)
        # The day's real refunds (other tests', no effort) count too: the value is diluted, still far above.
        assert listed["state"] == "tripped" and listed["value"] > 0.5 and listed["threshold"] == 0.5
        assert "tripped" in [h["event"] for h in listed["history"]]
        alerts = [m for m in stack.outbox() if m["channel"] == "topic" and "customer-effort" in (m["subject"] or "")]
        assert alerts and "refund" in alerts[-1]["subject"]

        case_id = stack.new_case(body("refund_small.json"))
        case = stack.wait_for(case_id, "AWAITING_REVIEW")
        assert case["rule"] == "small-confident-refund"
        assert any("guardrail 'customer-effort' tripped" in r["text"] for r in case["reasons"]), case["reasons"]
        assert stack.task_for(reviewer, case_id)["caseId"] == case_id
    finally:
        # The stack is shared by the session's tests: automation comes back whatever happened above.
        restored = _leads(stack, "POST", "/guardrails/refund/customer-effort/reset", lead,
                          {"reason": "test: the effort was seeded"})
    assert restored.status_code == 200, restored.text
    assert restored.json()["state"] == "ok"
    listed = _effort(stack)
    assert listed["state"] == "ok" and listed["history"][0]["event"] == "reset"
    assert listed["history"][0]["by"] == "lena" and listed["history"][0]["reason"] == "test: the effort was seeded"

    after = stack.new_case(body("refund_small.json"))
    assert stack.wait_for(after, "COMPLETED")["route"] == "auto"
    assert _leads(stack, "POST", "/guardrails/refund/no-such/reset", lead, {"reason": "why"}).status_code == 404
