"""A lead turns the memory of human decisions into a policy version, sees the next similar case routed by it,
and rolls it back: the real stack (API Gateway, Lambda handlers, the state machine, DynamoDB) on the local engine."""
import uuid

import boto3
import requests

from loopgate.adapters.dynamo import CaseStore
from loopgate.policy.learning import MIN_CASES, Tally
from tests.helpers import body


def _store(stack) -> CaseStore:
    physical = stack.engine.template.physical
    return CaseStore(boto3.resource("dynamodb", region_name=stack.engine.region), physical["CasesTable"]["Ref"],
                     physical["OverridesTable"]["Ref"])


def _refund(amount: float) -> dict:
    case = body("refund_large.json")
    case["payload"]["amount"] = case["ai"]["proposal"]["amount"] = amount  # above the automatic limit (50)
    return case


def _call(stack, token: str, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{stack.url}{path}", headers={"Authorization": f"Bearer {token}"},
                            timeout=15, **kwargs)


def test_a_lead_accepts_a_proposal_routes_the_next_similar_case_by_it_and_rolls_it_back(stack):
    lead = stack.token(f"lead-{uuid.uuid4().hex[:6]}", ["leads"])
    reviewer = stack.token(f"rev-{uuid.uuid4().hex[:6]}", ["reviewers"])
    store = _store(stack)
    start = _call(stack, lead, "GET", "/policies/refund").json()["version"]

    first = stack.wait_for(stack.new_case(_refund(120)), "AWAITING_REVIEW")
    assert first["route"] == "human" and first["policyVersion"] == start
    slice_key = store.get_case(first["caseId"])["slice"]
    # People approved this slice's cases unchanged MIN_CASES times (written as the fold records review facts:
    # through the adapter; reviewing 20 cases through the workflow only repeats what the fold's tests cover).
    store.record_fact(f"seed-{uuid.uuid4().hex[:8]}", "seed", [Tally(
        kind="memory", journey="refund", slice=slice_key, add={"approvedUnchanged": MIN_CASES})])

    assert _call(stack, reviewer, "POST", "/learning/runs").status_code == 403
    assert _call(stack, reviewer, "GET", "/learning/proposals").status_code == 403
    run = _call(stack, lead, "POST", "/learning/runs")
    assert run.status_code == 200, run.text
    refused = _call(stack, lead, "GET", "/learning/proposals", params={"status": "pending"})
    assert refused.status_code == 422 and refused.json()["field"] == "status"
    listed = _call(stack, lead, "GET", "/learning/proposals", params={"journey": "refund", "status": "open"})
    (proposal,) = [p for p in listed.json()["items"] if p["slice"] == slice_key]
    assert proposal["change"] == {"route": "auto", "auditRate": 0.25}
    assert proposal["backtest"]["humanTouchesSaved"] >= MIN_CASES

    try:
        assert _call(stack, reviewer, "POST", f"/learning/proposals/{proposal['proposalId']}/decision",
                     json={"action": "accept", "reason": "nobody changed these"}).status_code == 403
        accepted = _call(stack, lead, "POST", f"/learning/proposals/{proposal['proposalId']}/decision",
                         json={"action": "accept", "reason": "reviewers approved every one unchanged"})
        assert accepted.status_code == 200, accepted.text
        version = accepted.json()["policyVersion"]
        assert version == start + 1

        second = stack.wait_for(stack.new_case(_refund(130)), "COMPLETED")
        assert second["route"] == "auto" and second["policyVersion"] == version
        words = second["reasons"][0]["text"]
        assert f"policy version {version}" in words and "reviewers approved every one unchanged" in words
        assert f"{MIN_CASES} approved unchanged" in words  # the memory that justified it
        assert stack.downstream(second["caseId"]), "the refund went out without a reviewer"

        again = _call(stack, lead, "POST", f"/learning/proposals/{proposal['proposalId']}/decision",
                      json={"action": "accept", "reason": "twice"})
        assert again.status_code == 409
    finally:
        assert _call(stack, reviewer, "POST", "/policies/refund/rollback",
                     json={"version": start, "reason": "undo"}).status_code == 403
        rolled = _call(stack, lead, "POST", "/policies/refund/rollback",
                       json={"version": start, "reason": "audits should see a month of these first"})
        assert rolled.status_code == 200, rolled.text

    third = stack.wait_for(stack.new_case(_refund(140)), "AWAITING_REVIEW")
    assert third["route"] == "human" and third["policyVersion"] == start + 2
    assert not any(r["rule"].startswith("policy:") for r in third["reasons"])

    view = _call(stack, lead, "GET", "/policies/refund").json()
    assert view["version"] == start + 2 and view["adjustments"] == []
    newest = view["history"][:2]
    assert [v["kind"] for v in newest] == ["rollback", "accept"]
    assert newest[0]["reason"] == "audits should see a month of these first"
    assert newest[1]["adjustments"][-1]["proposalId"] == proposal["proposalId"]
    unknown = _call(stack, lead, "POST", "/policies/refund/rollback", json={"version": 999, "reason": "nope"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "version"
