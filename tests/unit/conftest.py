"""Fixtures for the fast domain tests: moto DynamoDB from template.yaml, a set clock, fake tokens and messages."""
import uuid
from functools import lru_cache

import boto3
import pytest
from moto import mock_aws

import loopgate.clock
from local.engine import _atomic_dynamodb_writes
from loopgate.adapters.dynamo import CaseStore

from .world import FakeClock, FakeWorkflow, World, create_tables


@pytest.fixture
def clock():
    """loopgate's clock, held still at a known instant; the test moves it."""
    fake = FakeClock()
    previous, loopgate.clock.source = loopgate.clock.source, fake.now
    yield fake
    loopgate.clock.source = previous


@lru_cache(maxsize=1)
def _session() -> boto3.Session:
    """One session for all tests: its service models are loaded once, not per test."""
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


@pytest.fixture
def fresh_store(monkeypatch):
    """Makes CaseStores on fresh tables, with DynamoDB's atomic check-and-write (moto alone races across threads).

    Fresh tables per use: moto reads every item of a table to answer a Query on an index, so a test that runs
    many examples keeps each example's tables small.
    """
    with mock_aws():
        for owner, attribute, atomic in _atomic_dynamodb_writes():
            monkeypatch.setattr(owner, attribute, atomic)
        client = _session().client("dynamodb")
        made: list[str] = []

        def make() -> CaseStore:
            # Unique names: a session's local stack may share this moto backend in the same worker.
            tables, names = create_tables(client, f"fast-{uuid.uuid4().hex[:8]}")
            made.extend(names)
            return CaseStore(_session().resource("dynamodb"), tables["CASES_TABLE"], tables["OVERRIDES_TABLE"])

        yield make
        for name in made:
            client.delete_table(TableName=name)


@pytest.fixture
def store(fresh_store):
    return fresh_store()


@pytest.fixture
def world(store, clock):
    return World(store, clock, FakeWorkflow(clock))
