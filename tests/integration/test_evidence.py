"""The daily evidence seal on the local stack: what the workflow's own states wrote (they compute no hash) is sealed
with what the Lambdas wrote, and `python -m loopgate.audit verify` names an edit of it."""
import io
import os
from contextlib import redirect_stdout

import boto3

from loopgate.audit.__main__ import main as audit_cli
from tests.helpers import load_event


def verify_output() -> tuple[int, str]:
    """The tool as an operator runs it, against the stack's tables and bucket (the engine set their names)."""
    out = io.StringIO()
    with redirect_stdout(out):
        code = audit_cli(["verify", "--bucket", os.environ["EVIDENCE_BUCKET"]], session=boto3.Session())
    return code, out.getvalue()


def test_the_seal_covers_the_workflows_own_events_and_verify_names_an_edit(stack):
    case_id = stack.new_case(load_event("refund_small.json"))
    stack.wait_for(case_id, "COMPLETED")
    stack.wait_finished(case_id)
    stack.engine.clock.advance(2 * 3600)  # past the hour the seal leaves for late writes

    sealed = stack.engine.invoke("AuditDigestFunction", load_event("invoke/audit_digest.json"))
    assert sealed["cases"] >= 1 and sealed["digest"].startswith("digests/")
    cases = stack.engine.client("dynamodb")
    events = cases.query(TableName=os.environ["CASES_TABLE"], KeyConditionExpression="pk = :pk AND begins_with(sk, :e)",
                         ExpressionAttributeValues={":pk": {"S": f"CASE#{case_id}"}, ":e": {"S": "EVENT#"}})["Items"]
    by_type = {e["type"]["S"]: e for e in events}
    assert {"received", "action_published"} <= set(by_type) and all("sealHash" in e for e in events)

    code, out = verify_output()
    assert f"case {case_id}" not in out, out

    published = by_type["action_published"]  # written by the state machine's MarkPublished transaction
    cases.update_item(TableName=os.environ["CASES_TABLE"], Key={"pk": published["pk"], "sk": published["sk"]},
                      UpdateExpression="SET actor = :a", ExpressionAttributeValues={":a": {"S": "reviewer"}})
    code, out = verify_output()
    assert code == 1
    assert f"case {case_id}: timeline BROKEN" in out and published["sk"]["S"] in out
