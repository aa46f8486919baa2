"""The learning loop's facts: folded into stats and memory once, however often a step is retried."""
from loopgate.usecases.learning import observe

from .world import refund_request


def test_a_scored_case_is_counted_once_under_every_dimension(world, store):
    state = world.new_case(refund_request(20))
    case = store.get_case(state["caseId"])
    assert case["policyVersion"] == 1
    assert case["slice"] == "rule=small-confident-refund|confidence=0.9-1.0"
    day = case["createdAt"][:10]
    stats = {item["sk"]: item for item in store.stats("refund", day)}
    assert stats["all#-"]["cases"] == 1 and stats["all#-"]["routed_auto"] == 1
    assert stats["rule#small-confident-refund"]["cases"] == 1
    assert store.memory_slice("refund", case["slice"])["cases"] == 1

    # A retried score step observes the same fact again: nothing is added.
    assert observe(store, case, "scored", {"cases": 1}, memory={"cases": 1}) is False
    assert {item["sk"]: item for item in store.stats("refund", day)}["all#-"]["cases"] == 1
    assert store.memory_slice("refund", case["slice"])["cases"] == 1


def test_two_cases_of_a_slice_add_up(world, store):
    first = store.get_case(world.new_case(refund_request(20))["caseId"])
    world.new_case(refund_request(30))
    assert store.memory_slice("refund", first["slice"])["cases"] == 2


def test_a_cancelled_transaction_leaves_no_item_behind(store):
    """The local engine rolls a cancelled transaction back item by item (moto's own backup copies whole tables)."""
    import pytest
    from botocore.exceptions import ClientError

    store.cases.put_item(Item={"pk": "STATS#refund#2026-11-02", "sk": "all#-", "cases": 3})
    client = store.cases.meta.client
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": store.cases.name, "Item": {"pk": "CASE#c1", "sk": "FOLD#scored"}}},
            {"Update": {"TableName": store.cases.name, "Key": {"pk": "STATS#refund#2026-11-02", "sk": "all#-"},
                        "UpdateExpression": "ADD cases :one", "ExpressionAttributeValues": {":one": 1}}},
            {"ConditionCheck": {"TableName": store.cases.name, "Key": {"pk": "CASE#c2", "sk": "CASE"},
                                "ConditionExpression": "attribute_exists(pk)"}}])
    assert "Item" not in store.cases.get_item(Key={"pk": "CASE#c1", "sk": "FOLD#scored"})
    assert store.cases.get_item(Key={"pk": "STATS#refund#2026-11-02", "sk": "all#-"})["Item"]["cases"] == 3
