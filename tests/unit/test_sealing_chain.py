"""The evidence chain, pure: a sealed timeline verifies, and every edit, deletion, insertion or move of a sealed item
breaks it at that item; erasure's rewrite of the words does not."""
import itertools

from loopgate.policy import sealing
from loopgate.policy.sealing import TIMELINE, Head, plan_seal, redact, verify_chain

CUTOFF = "2026-11-02T12:00:00.000Z"


def event(minute: int, kind: str = "reviewer_decided", summary: str = "Reviewer modified: loyalty discount",
          **detail) -> dict:
    at = f"2026-11-02T10:{minute:02d}:00.000Z"
    return {"pk": "CASE#c1", "sk": f"EVENT#{at}#{minute:08x}", "type": kind, "at": at, "actor": "reviewer",
            "summary": summary, "detail": {"action": "modify", "reason": "loyalty discount", **detail}}


def sealed_timeline(count: int = 4) -> tuple[list[dict], list[tuple[str, Head]]]:
    """`count` events sealed by one run: the items as the table then holds them and the digest's checkpoint."""
    salts = (f"salt-{i}" for i in itertools.count())
    items = [event(i) for i in range(count)]
    plan = plan_seal(TIMELINE, items, CUTOFF, salts, "2026-11-02T12:15:00.000Z")
    sealed = [{**item, **seal} for item, seal in plan.writes]
    return sealed, [("2026-11-02T12:15:00.000Z", plan.head)]


def test_a_sealed_timeline_holds_against_its_digest():
    items, checkpoints = sealed_timeline()
    result = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=False)
    assert (result.broken, result.checked) == (None, 4)


def test_an_edited_summary_breaks_the_chain_at_that_event():
    items, checkpoints = sealed_timeline()
    items[2]["summary"] = "Reviewer approved"
    broken = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=False).broken
    assert (broken.position, broken.key) == (3, items[2]["sk"])
    assert "content changed" in broken.why


def test_an_edited_decision_breaks_the_chain_even_with_its_seals_recomputed():
    items, checkpoints = sealed_timeline()
    items[1]["detail"]["action"] = "approve"
    # Whoever edits can also recompute every stored link after it: the digest's head is what they cannot change.
    prev = items[0]["sealHash"]
    for position, item in enumerate(items[1:], start=2):
        personal = sealing.personal_commitment(TIMELINE, item, item["sealSalt"])
        item["sealHash"] = prev = sealing.link(TIMELINE, item, prev, position, personal)
    broken = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=False).broken
    assert broken.position == 1 and "differs from the digest" in broken.why


def test_a_deleted_event_is_named_by_the_one_after_it():
    items, checkpoints = sealed_timeline()
    del items[1]
    broken = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=False).broken
    assert (broken.position, broken.key) == (2, items[1]["sk"])
    assert "1 sealed item(s) before it are missing" in broken.why


def test_deleting_the_last_sealed_event_shows_against_the_digest():
    items, checkpoints = sealed_timeline()
    last = items.pop()
    broken = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=False).broken
    assert (broken.position, broken.key) == (4, last["sk"])
    assert "sealed 4 item(s), the table holds 3" in broken.why


def test_an_event_inserted_among_sealed_ones_is_named():
    items, checkpoints = sealed_timeline()
    forged = event(1, summary="Customer agreed by phone")
    forged["sk"] = forged["sk"].replace("#00000001", "#00000001a")
    items.insert(2, forged)
    broken = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=False).broken
    assert (broken.position, broken.key) == (3, forged["sk"])
    assert "inserted" in broken.why


def test_a_moved_event_is_named():
    items, checkpoints = sealed_timeline()
    items[0]["sk"], items[3]["sk"] = items[3]["sk"], items[0]["sk"]
    items.sort(key=lambda i: i["sk"])
    broken = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=False).broken
    assert broken.position == 1 and "sealed as position 4" in broken.why


def test_events_after_the_cutoff_wait_for_the_next_seal_and_extend_the_chain():
    items, first = sealed_timeline(2)
    late = [event(50), {**event(59), "sk": "EVENT#2026-11-02T12:30:00.000Z#x", "at": "2026-11-02T12:30:00.000Z"}]
    plan = plan_seal(TIMELINE, items + late, CUTOFF, (f"s{i}" for i in itertools.count()), "later")
    assert [item["sk"] for item, _ in plan.writes] == [late[0]["sk"]] and plan.waiting == 1
    items += [{**late[0], **plan.writes[0][1]}, late[1]]
    result = verify_chain(TIMELINE, items, first + [("later", plan.head)], erasure_recorded=False)
    assert (result.broken, result.checked, result.unsealed) == (None, 3, 1)


def test_erasure_keeps_the_chain_whole_and_a_decision_edited_after_it_breaks_it():
    items, checkpoints = sealed_timeline()
    items[1] = redact(TIMELINE, items[1], {**items[1], "summary": "Reviewer modified: [erased]",
                                           "detail": {"action": "modify", "reason": "[erased]"}})
    assert "sealSalt" not in items[1]  # the commitment can no longer confirm a guess of the erased words
    result = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=True)
    assert (result.broken, result.redacted) == (None, 1)

    items[1]["detail"]["action"] = "approve"
    broken = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=True).broken
    assert (broken.position, broken.key) == (2, items[1]["sk"])


def test_words_removed_as_if_erased_on_a_case_without_an_erasure_are_named():
    items, checkpoints = sealed_timeline()
    items[1] = redact(TIMELINE, items[1], {**items[1], "summary": "Reviewer approved"})
    broken = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=False).broken
    assert broken.position == 2 and "records no erasure" in broken.why


def test_stripped_seal_attributes_are_named():
    items, checkpoints = sealed_timeline()
    del items[2]["sealSalt"]
    broken = verify_chain(TIMELINE, items, checkpoints, erasure_recorded=False).broken
    assert broken.position == 3 and "seal attributes were removed" in broken.why
