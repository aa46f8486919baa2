"""The local engine's DynamoDB changes answer exactly what moto answers: the indexed queries, the item responses.

A random sequence of puts, in-place updates that move an item between index keys, deletes and failed transactions
(rolled back item by item) runs with the engine's replacements; after every step each Query on the table key and on
the index (and reads and writes of an item with every attribute type, whose responses the engine writes as JSON
itself) is asked with them and of moto's own code, and the answers must be the same.
"""
import random
import uuid

import boto3
import pytest
from moto import mock_aws

from local.engine import _atomic_dynamodb_writes
from local.moto_dynamodb import fast_item_responses, indexed_queries

QUEUES = ["q-a", "q-b", "q-c"]


@pytest.fixture
def patched():
    installed = []

    def install():
        for group in (indexed_queries, _atomic_dynamodb_writes, fast_item_responses):  # in the engine's order
            for owner, name, replacement in group():
                installed.append((owner, name, getattr(owner, name)))
                setattr(owner, name, replacement)

    def uninstall():
        for owner, name, original in reversed(installed):
            setattr(owner, name, original)
        installed.clear()

    yield install, uninstall
    uninstall()


def _create(client):
    """A table of its own: a local stack running in the same worker shares moto's backend."""
    name = f"index-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "queueKey", "order")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "Queue", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "queueKey", "KeyType": "HASH"},
                                               {"AttributeName": "order", "KeyType": "RANGE"}]}])
    return name


def _step(client, table, rng):
    pk, sk = f"CASE#{rng.randrange(6)}", f"TASK#{rng.randrange(4)}"
    op = rng.choice(["put", "put", "update", "unqueue", "delete", "transact"])
    if op == "put":
        client.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk},
                                               "queueKey": {"S": rng.choice(QUEUES)},
                                               "order": {"S": f"{rng.randrange(100):03d}"}})
    elif op == "update":
        client.update_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}},
                           UpdateExpression="SET queueKey = :q, #o = :o",
                           ExpressionAttributeNames={"#o": "order"},
                           ExpressionAttributeValues={":q": {"S": rng.choice(QUEUES)},
                                                      ":o": {"S": f"{rng.randrange(100):03d}"}})
    elif op == "unqueue":
        client.update_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, UpdateExpression="REMOVE queueKey")
    elif op == "delete":
        client.delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
    else:  # a put and an update that move items, then a condition that fails: nothing may stay moved
        try:
            client.transact_write_items(TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"S": "TASK#9"},
                                                      "queueKey": {"S": "q-c"}, "order": {"S": "999"}}}},
                {"Update": {"TableName": table, "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
                            "UpdateExpression": "SET queueKey = :q",
                            "ExpressionAttributeValues": {":q": {"S": "q-a"}}}},
                {"ConditionCheck": {"TableName": table, "Key": {"pk": {"S": "CASE#none"}, "sk": {"S": "x"}},
                                    "ConditionExpression": "attribute_exists(pk)"}}])
        except client.exceptions.TransactionCanceledException:
            pass


def _answers(client, table):
    answers = []
    for queue in QUEUES:
        for forward in (True, False):
            answers.append(client.query(TableName=table, IndexName="Queue", KeyConditionExpression="queueKey = :q",
                                        ExpressionAttributeValues={":q": {"S": queue}},
                                        ScanIndexForward=forward)["Items"])
        answers.append(client.query(TableName=table, IndexName="Queue",
                                    KeyConditionExpression="queueKey = :q AND #o > :o",
                                    ExpressionAttributeNames={"#o": "order"},
                                    ExpressionAttributeValues={":q": {"S": queue}, ":o": {"S": "050"}},
                                    Limit=2)["Items"])
    rich = {"pk": {"S": "RICH"}, "sk": {"S": "ITEM"}}
    answers.append(client.update_item(TableName=table, Key=rich, UpdateExpression="SET n = :n",
                                      ExpressionAttributeValues={":n": {"N": "1.50"}}, ReturnValues="ALL_NEW"))
    answers.append(client.get_item(TableName=table, Key=rich))
    answers.append(client.batch_get_item(RequestItems={table: {"Keys": [rich, {"pk": {"S": "CASE#1"},
                                                                                 "sk": {"S": "TASK#1"}}]}}))
    answers.append(client.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": rich}}]))
    answers.append(client.scan(TableName=table, Limit=5))
    for response in answers[-5:]:
        response.pop("ResponseMetadata")
    for case in range(7):
        answers.append(client.query(TableName=table, KeyConditionExpression="pk = :p AND begins_with(sk, :t)",
                                    ExpressionAttributeValues={":p": {"S": f"CASE#{case}"}, ":t": {"S": "TASK#"}},
                                    )["Items"])
    return answers


@pytest.fixture
def client():
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        made = dynamodb.list_tables()["TableNames"]
        yield dynamodb
        for name in set(dynamodb.list_tables()["TableNames"]) - set(made):
            dynamodb.delete_table(TableName=name)


def test_indexed_queries_answer_as_moto_does(patched, client):
    install, uninstall = patched
    table = _create(client)
    client.put_item(TableName=table, Item={
        "pk": {"S": "RICH"}, "sk": {"S": "ITEM"}, "blob": {"B": bytes(range(40))}, "flag": {"BOOL": False},
        "none": {"NULL": True}, "tags": {"SS": ["a", "b"]}, "sizes": {"NS": ["1", "2.5"]}, "bins": {"BS": [b"\x00"]},
        "nested": {"M": {"list": {"L": [{"S": "ü"}, {"N": "-3"}, {"M": {}}]}, "empty": {"L": []}}}})
    rng = random.Random(7)
    moved = 0
    install()
    for _ in range(80):
        _step(client, table, rng)
        got = _answers(client, table)
        uninstall()  # moto's own queries, reading the whole table
        expected = _answers(client, table)
        install()
        assert got == expected
        moved += sum(len(items) for items in expected)
    assert moved > 250  # the queries found items, not only empty answers


def test_an_index_built_before_the_writes_follows_them(patched, client):
    """The index is built at the first Query and then kept by the writes alone (no rebuild on every query)."""
    install, _ = patched
    install()
    table = _create(client)
    query = {"TableName": table, "IndexName": "Queue", "KeyConditionExpression": "queueKey = :q"}
    assert client.query(**query, ExpressionAttributeValues={":q": {"S": "q-a"}})["Items"] == []
    client.put_item(TableName=table, Item={"pk": {"S": "CASE#1"}, "sk": {"S": "TASK#1"},
                                             "queueKey": {"S": "q-a"}, "order": {"S": "001"}})
    client.update_item(TableName=table, Key={"pk": {"S": "CASE#1"}, "sk": {"S": "TASK#1"}},
                       UpdateExpression="SET queueKey = :q", ExpressionAttributeValues={":q": {"S": "q-b"}})
    assert client.query(**query, ExpressionAttributeValues={":q": {"S": "q-a"}})["Items"] == []
    assert [i["pk"]["S"] for i in client.query(**query, ExpressionAttributeValues={":q": {"S": "q-b"}})["Items"]] \
        == ["CASE#1"]
    client.delete_item(TableName=table, Key={"pk": {"S": "CASE#1"}, "sk": {"S": "TASK#1"}})
    assert client.query(**query, ExpressionAttributeValues={":q": {"S": "q-b"}})["Items"] == []


def test_reading_an_item_while_another_thread_updates_it_never_fails(patched, client):
    """moto converts a GetItem's live item to the response after its backend call; the engine's lock must cover
    that too, or a concurrent update breaks the read (RuntimeError: dictionary changed size during iteration)."""
    import threading

    install, _ = patched
    install()
    table = _create(client)
    key = {"pk": {"S": "CASE#1"}, "sk": {"S": "CASE"}}
    big = {f"f{i}": {"S": "v"} for i in range(3000)}  # a long conversion, for the writer to land in
    client.put_item(TableName=table, Item={**key, "m": {"M": big}})
    failures, stop = [], threading.Event()
    import sys

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns often, as on a loaded machine

    def write():
        n = 0
        while not stop.is_set():
            n += 1
            client.update_item(TableName=table, Key=key, UpdateExpression="SET m.#k = :v",
                               ExpressionAttributeNames={"#k": f"k{n % 50}"},
                               ExpressionAttributeValues={":v": {"S": "x" * (n % 7)}})
            if n % 50 == 0:
                client.update_item(TableName=table, Key=key, UpdateExpression="SET m = :e",
                                   ExpressionAttributeValues={":e": {"M": big}})

    def read():
        try:
            for _ in range(40):
                client.get_item(TableName=table, Key=key)
        except Exception as exc:  # noqa: BLE001 - the failure is what the test looks for
            failures.append(exc)

    writer = threading.Thread(target=write)
    readers = [threading.Thread(target=read) for _ in range(2)]
    writer.start()
    for r in readers:
        r.start()
    try:
        for r in readers:
            r.join()
    finally:
        stop.set()
        writer.join()
        sys.setswitchinterval(switch)
    assert failures == []


def test_every_installation_of_the_engine_lock_excludes_every_other(monkeypatch):
    """Installed twice (a local stack and a unit test in one worker), the replacements must share one lock: with a
    lock each, two threads took them in opposite orders and a run under load deadlocked."""
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    inside, release, order = threading.Event(), threading.Event(), []
    real = DynamoDBBackend.get_item

    def get_item(backend, *args, **kwargs):
        if args[0] not in ("first", "second"):  # a local stack in this worker reads as it would
            return real(backend, *args, **kwargs)
        order.append(f"in {args[0]}")
        if args[0] == "first":
            inside.set()
            release.wait(5)
        order.append(f"out {args[0]}")

    # Only while the two installations are made: they keep it as their original; the class gets its own back.
    monkeypatch.setattr(DynamoDBBackend, "get_item", get_item)
    first = dict(((o, n), f) for o, n, f in _atomic_dynamodb_writes())[(DynamoDBBackend, "get_item")]
    second = dict(((o, n), f) for o, n, f in _atomic_dynamodb_writes())[(DynamoDBBackend, "get_item")]
    monkeypatch.undo()
    holder = threading.Thread(target=first, args=(None, "first"))
    holder.start()
    assert inside.wait(5)
    waiter = threading.Thread(target=second, args=(None, "second"))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive(), "a call through the second installation ran while the first held the lock"
    release.set()
    holder.join(5)
    waiter.join(5)
    assert order == ["in first", "out first", "in second", "out second"]
