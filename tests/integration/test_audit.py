"""Human on the loop: a deterministic share of automatic cases is audited after the fact."""
from loopgate.policy.sampling import audit_selected
from tests.helpers import body


def test_sampled_automatic_cases_get_an_audit_and_disagreement_is_logged(stack):
    auditor = stack.token("auditor", ["audit"])
    case_ids = [stack.new_case(body("refund_small.json")) for _ in range(8)]
    while not any(audit_selected(cid, 0.25) for cid in case_ids):  # ids are random: draw until one is sampled
        case_ids.append(stack.new_case(body("refund_small.json")))
    cases = {cid: stack.wait_for(cid, "COMPLETED") for cid in case_ids}

    audited = {cid for cid, case in cases.items() if "audit_opened" in [e["type"] for e in case["timeline"]]}
    assert audited == {cid for cid in case_ids if audit_selected(cid, 0.25)}, "the choice is by case id"

    queue = {t["caseId"]: t for t in stack.reviews(auditor) if t["caseId"] in case_ids}
    assert set(queue) == audited
    for case_id in audited:
        assert cases[case_id]["status"] == "COMPLETED"  # the audit never held the case up

    case_id = sorted(audited)[0]
    task = queue[case_id]
    assert task["kind"] == "audit"
    refused = stack.decide(auditor, task["taskId"], {"action": "reject"})
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    assert stack.decide(auditor, task["taskId"], {"action": "reject", "reason": "order was never paid"}).ok
    assert stack.decide(auditor, task["taskId"], {"action": "approve"}).status_code == 409

    case = stack.case(case_id)
    (override,) = case["overrides"]
    assert override["kind"] == "audit_disagreement" and override["reason"] == "order was never paid"
    assert "audit_disagreed" in [e["type"] for e in case["timeline"]]
