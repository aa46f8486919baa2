"""Tamper evidence on moto: the daily seal over real tables (SealDay index, ByCase), a KMS-signed digest in an
Object Lock bucket, and `python -m loopgate.audit verify` naming what someone with table access changed."""
import base64
import io
import json
from contextlib import redirect_stdout
from datetime import timedelta

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from loopgate.adapters.sealing import DigestArchive, SealingTables
from loopgate.audit.__main__ import main as audit_cli
from loopgate.clock import iso
from loopgate.errors import Conflict
from loopgate.models import CustomerAnswer, ReviewDecision, Reviewer
from loopgate.usecases.customer_steps import answer
from loopgate.usecases.erasure import erase_customer
from loopgate.usecases.override_log import list_overrides
from loopgate.usecases.reviews import decide
from loopgate.usecases.sealing import seal, verify
from tests.helpers import load_event

ANA = Reviewer(sub="ana", name="ana@reviewers.local", groups=("reviewers",))
LEAD = Reviewer(sub="lena", name="lena@leads.local", groups=("leads",))
SESSION = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


@pytest.fixture
def archive(store):
    """The stack's evidence bucket (Object Lock, COMPLIANCE) and signing key, on the same moto as the store."""
    s3, kms = SESSION.client("s3"), SESSION.client("kms")
    bucket = f"evidence-{store.cases.name.lower()}"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}}})
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    return DigestArchive(s3, kms, bucket, key)


@pytest.fixture
def tables(store):
    return SealingTables(store)


def reviewed_case(world, customer_id: str = "cust-seal-1") -> str:
    """A contract change a reviewer modified (an override with a reason) and the customer confirmed, closed."""
    request = load_event("contract_change_low_confidence.json")
    request["customer"] = {**request["customer"], "id": customer_id}
    review = world.wait_for_review(world.new_case(request))
    decide(world.store, world.workflow, ANA, review.task_id, ReviewDecision(
        action="modify", reason="loyalty discount for Maria Rossi", comment="she is upset",
        proposal={"plan": "Plus 50", "monthlyPrice": 34.9, "startDate": "2026-12-01"}))
    state = world.record(review.state, world.workflow.outcome(review.token))
    token, link = world.wait_for_customer(state)
    answer(world.store, world.workflow, link, CustomerAnswer(response="confirm", comment="call me after six"))
    world.record(state, world.workflow.outcome(token))
    world.store.update_case(world.store.get_case(state["caseId"]), {"status": "COMPLETED"})
    return state["caseId"]


def seal_later(world, tables, archive, minutes: int = 90) -> dict:
    """The daily run, a while after the case's last write (items younger than an hour wait for the next)."""
    world.clock.advance(minutes * 60)
    return seal(tables, archive, run_at=iso(world.clock.now()))


def events_of(world, case_id: str) -> list[dict]:
    return world.store.cases.query(KeyConditionExpression=Key("pk").eq(f"CASE#{case_id}")
                                   & Key("sk").begins_with("EVENT#"))["Items"]


def run_cli(archive, store) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = audit_cli(["verify", "--cases-table", store.cases.name, "--overrides-table", store.overrides.name,
                          "--bucket", archive.bucket], session=SESSION)
    return code, out.getvalue()


def test_a_sealed_day_verifies_clean_and_the_tool_says_so(world, tables, archive):
    case_id = reviewed_case(world)
    sealed = seal_later(world, tables, archive)
    assert sealed["cases"] == 1 and sealed["sealedItems"] == len(events_of(world, case_id)) + 1  # + the override

    code, out = run_cli(archive, world.store)
    assert code == 0, out
    assert "signature ok, 1 case(s)" in out and "every sealed item holds" in out


def test_an_edited_timeline_summary_is_named(world, tables, archive):
    case_id = reviewed_case(world)
    seal_later(world, tables, archive)
    decided = next(e for e in events_of(world, case_id) if e["type"] == "review_modify")
    world.store.cases.update_item(Key={"pk": decided["pk"], "sk": decided["sk"]},
                                  UpdateExpression="SET summary = :s", ExpressionAttributeValues={
                                      ":s": "Reviewer approved the proposal unchanged"})

    code, out = run_cli(archive, world.store)
    assert code == 1
    assert f"FIRST BROKEN LINK: case {case_id}, timeline item {decided['sk']}" in out
    assert "its content changed after it was sealed" in out

    # The next day's seal finds it too, and says so (the function alarms on it).
    world.store.append_event(case_id, "note", "A later note")
    found, = seal_later(world, tables, archive, minutes=60 * 24)["broken"]
    assert (found["caseId"], found["key"]) == (case_id, decided["sk"])


def test_a_deleted_override_log_entry_is_named(world, tables, archive):
    case_id = reviewed_case(world)
    seal_later(world, tables, archive)
    override, = world.overrides(case_id)
    world.store.overrides.delete_item(Key={"journey": override["journey"], "overrideKey": override["overrideKey"]})

    report = verify(tables, archive)
    assert report["firstBroken"]["caseId"] == case_id
    assert (report["firstBroken"]["chain"], report["firstBroken"]["key"]) == ("overrides", override["overrideKey"])
    assert "missing (deleted)" in report["firstBroken"]["why"]


def test_an_inserted_and_a_moved_event_are_named(world, tables, archive):
    case_id = reviewed_case(world)
    seal_later(world, tables, archive)
    events = sorted(events_of(world, case_id), key=lambda e: e["sk"])
    forged = {**{k: v for k, v in events[1].items() if not k.startswith("seal")},
              "sk": events[1]["sk"] + "0", "summary": "Customer agreed by phone"}
    world.store.cases.put_item(Item=forged)
    assert verify(tables, archive)["firstBroken"]["key"] == forged["sk"]

    world.store.cases.delete_item(Key={"pk": forged["pk"], "sk": forged["sk"]})
    assert verify(tables, archive)["firstBroken"] is None
    # The first event moved to the end, with its seal: its position gives it away.
    first = events[0]
    world.store.cases.delete_item(Key={"pk": first["pk"], "sk": first["sk"]})
    world.store.cases.put_item(Item={**first, "sk": "EVENT#2026-12-31T00:00:00.000Z#moved"})
    broken = verify(tables, archive)["firstBroken"]
    assert (broken["position"], broken["key"]) == (1, events[1]["sk"])
    assert "before it are missing" in broken["why"]


def test_a_changed_digest_fails_its_signature_and_the_locked_version_still_counts(world, tables, archive):
    case_id = reviewed_case(world)
    key = seal_later(world, tables, archive)["digest"]
    document = json.loads(archive.s3.get_object(Bucket=archive.bucket, Key=key)["Body"].read())

    # Object Lock keeps the signed version; whoever may put objects can still add a newer one.
    forged = {**document, "body": {**document["body"], "cases": {}}}
    archive.s3.put_object(Bucket=archive.bucket, Key=key, Body=json.dumps(forged).encode())
    (broken,) = verify(tables, archive)["broken"]
    assert (broken["digest"], broken["why"]) == (key, "its body differs from the body the signature covers")

    forged["statement"] = {**forged["statement"], "bodySha256": "0" * 64}
    archive.s3.put_object(Bucket=archive.bucket, Key=key, Body=json.dumps(forged).encode())
    code, out = run_cli(archive, world.store)
    assert code == 1 and f"FIRST BROKEN LINK: digest {key}: its body differs" in out  # the older forgery
    assert "BROKEN, signature does not hold" in out

    forged["signature"] = base64.b64encode(b"\x30" * 70).decode()
    archive.s3.put_object(Bucket=archive.bucket, Key=key, Body=json.dumps(forged).encode())
    assert sorted(b["why"][:20] for b in verify(tables, archive)["broken"]) == [
        "its body differs fro", "its signature does n", "its signature does n"]

    # The forged versions hide nothing: the signed one still holds the table to what it sealed.
    override, = world.overrides(case_id)
    world.store.overrides.delete_item(Key={"journey": override["journey"], "overrideKey": override["overrideKey"]})
    assert [b["key"] for b in verify(tables, archive)["broken"] if "caseId" in b] == [override["overrideKey"]]


def test_an_erased_customer_verifies_clean_and_a_decision_edited_afterwards_is_named(world, tables, archive):
    case_id = reviewed_case(world, "cust-seal-erase")
    seal_later(world, tables, archive)
    erase_customer(world.store, LEAD, "cust-seal-erase", "GDPR art. 17 request 2026-201")
    # The next day's run seals the erasure's own event, and takes the erased items for what they are.
    assert seal_later(world, tables, archive, minutes=60 * 24)["broken"] == []

    report = verify(tables, archive)
    assert report["firstBroken"] is None
    assert report["erased"] >= 3  # the decision's event and override, the customer's answer...
    assert "Maria Rossi" not in json.dumps([events_of(world, case_id), world.overrides(case_id)], default=str)

    override, = world.overrides(case_id)
    world.store.overrides.update_item(Key={"journey": override["journey"], "overrideKey": override["overrideKey"]},
                                      UpdateExpression="SET decision = :d", ExpressionAttributeValues={":d": "approve"})
    broken = verify(tables, archive)["firstBroken"]
    assert (broken["caseId"], broken["chain"], broken["key"]) == (case_id, "overrides", override["overrideKey"])


class SealsMidway:
    """The store, with the daily seal running between erasure's read of a case's events and its write-back."""

    def __init__(self, store, run_seal):
        self._store, self._run_seal = store, run_seal

    def replace_items(self, items):
        self._run_seal()
        self._store.replace_items(items)

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_an_erasure_that_races_the_seal_stops_and_its_retry_verifies(world, tables, archive):
    case_id = reviewed_case(world, "cust-race")
    world.clock.advance(2 * 3600)
    with pytest.raises(Conflict, match="send the erasure again"):
        erase_customer(SealsMidway(world.store, lambda: seal(tables, archive, run_at=iso(world.clock.now()))),
                       LEAD, "cust-race", "ticket 77")

    erase_customer(world.store, LEAD, "cust-race", "ticket 77")
    seal_later(world, tables, archive)
    report = verify(tables, archive)
    assert (report["firstBroken"], report["erased"] > 0) == (None, True)
    assert "Maria Rossi" not in json.dumps(events_of(world, case_id), default=str)


def test_events_written_after_the_seal_are_reported_uncovered_until_the_next_run(world, tables, archive):
    case_id = reviewed_case(world)
    seal_later(world, tables, archive)
    world.clock.advance(3600)
    world.store.append_event(case_id, "note", "A late note")

    assert verify(tables, archive)["unsealed"] == 1
    world.clock.advance(timedelta(days=1).total_seconds())
    assert seal(tables, archive, run_at=iso(world.clock.now()))["sealedItems"] == 1
    report = verify(tables, archive)
    assert (report["unsealed"], report["firstBroken"], report["digests"]) == (0, None, 2)


def test_the_seal_reads_only_the_cases_written_in_its_two_days(world, tables, archive):
    idle, reopened = reviewed_case(world, "cust-idle"), reviewed_case(world, "cust-reopened")
    world.clock.advance(timedelta(days=3).total_seconds())
    world.store.update_case(world.store.get_case(reopened), {"status": "AWAITING_REVIEW"})
    recent = reviewed_case(world, "cust-new")

    assert tables.cases_touched(iso(world.clock.now())[:10]) == sorted([reopened, recent])
    key = seal_later(world, tables, archive)["digest"]
    digest = json.loads(archive.s3.get_object(Bucket=archive.bucket, Key=key)["Body"].read())
    assert sorted(digest["body"]["cases"]) == sorted([reopened, recent]) and idle not in digest["body"]["cases"]


def test_the_override_log_page_shows_no_seal(world, tables, archive):
    """The salts keep an erased item's commitment from confirming a guess of its words: they stay in the table."""
    case_id = reviewed_case(world)
    seal_later(world, tables, archive)
    assert "sealSalt" in world.overrides(case_id)[0]

    page = list_overrides(world.store, ("leads",), journey="contract_change", reviewer=None, start="2026-11-01",
                          end="2026-11-03")
    (item,) = page["items"]
    assert item["caseId"] == case_id and not [k for k in item if k.startswith("seal")]
