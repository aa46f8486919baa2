"""What the local engine changes in moto's DynamoDB to keep its cost per request flat: the answer stays moto's.

1. Queries that read only the items they can return, as DynamoDB's do.

moto answers every Query by listing and sorting the whole table (`Table.all_items`), then keeping the items whose
key matches: a Query's cost grows with the table, so a chaos run of 1,000 cases (tens of thousands of items) slows
to a crawl at every queue page, timeline and lease lookup. Here a Query on the table's key reads that key's items,
and a Query on a global secondary index reads the items an inverted index lists under the asked hash key value.
moto's own query still runs on those candidates: key conditions, ordering, paging, filters and projections are
its code, unchanged.

The inverted index is kept up to date by the three calls that change items (put, delete, and update, which edits
an item in place); the engine serialises DynamoDB requests, so no Query sees it half done.

2. Item responses written as JSON directly. moto 5.2 serialises every response by walking the operation's output
shape member by member (a fifth of a chaos run's CPU went there); an item operation's result is already the wire
format (attribute values as {"S": ...}), so it is dumped as it is. Anything else, or a result that is not plain
JSON, takes moto's way.
"""
from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

_ITEM_OPERATIONS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                    "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}

_ATTRIBUTE = "_loopgate_gsi"


def _single_hash_attribute(index: Any) -> str | None:
    hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    return hashes[0] if len(hashes) == 1 else None


class _InvertedIndex:
    """For each global secondary index with one hash attribute: its hash value -> the table keys that carry it."""

    def __init__(self, table: Any) -> None:
        self.attributes = {index.name: attribute for index in (table.global_indexes or [])
                           if (attribute := _single_hash_attribute(index))}
        self.keys: dict[str, dict[Any, set]] = {name: defaultdict(set) for name in self.attributes}
        self.values: dict[tuple, dict[str, Any]] = {}
        self.installation: object | None = None
        for stored in table.items.values():  # the items themselves, not all_items (which a query may narrow)
            for item in (stored.values() if table.range_key_attr else [stored]):
                self.refresh((item.hash_key, item.range_key), item)

    def refresh(self, key: tuple, item: Any) -> None:
        for name, value in self.values.pop(key, {}).items():
            self.keys[name][value].discard(key)
        if item is None:
            return
        values = {name: item.attrs[attribute] for name, attribute in self.attributes.items()
                  if attribute in item.attrs}
        for name, value in values.items():
            self.keys[name][value].add(key)
        if values:
            self.values[key] = values


def _index_of(table: Any, installation: object) -> _InvertedIndex:
    """The table's index, built now if it was built under another installation of these replacements (writes
    made while none was installed went unseen)."""
    index = table.__dict__.get(_ATTRIBUTE)
    if index is None or index.installation is not installation:
        index = table.__dict__[_ATTRIBUTE] = _InvertedIndex(table)
        index.installation = installation
    return index


def _stored(table: Any, key: tuple) -> Any:
    hash_value, range_value = key
    found = table.items.get(hash_value)
    if found is None or not table.range_key_attr:
        return found
    return found.get(range_value)


def _refresh(table: Any, key: tuple) -> None:
    index = table.__dict__.get(_ATTRIBUTE)
    if index is not None:  # built at the first Query on an index; until then there is nothing to keep
        index.refresh(key, _stored(table, key))


def _key_of(table: Any, attributes: dict[str, Any]) -> tuple:
    from moto.dynamodb.models.dynamo_type import DynamoType

    range_value = attributes.get(table.range_key_attr) if table.range_key_attr else None
    return (DynamoType(attributes[table.hash_key_attr]),
            DynamoType(range_value) if range_value is not None else None)


def _candidates(table: Any, hash_key: Any, index_name: str | None, hash_key_conditions: list | None,
                installation: object) -> list | None:
    """The items a Query can return, or None when this query is not one we narrow (moto then reads everything)."""
    if not index_name:
        found = table.items.get(hash_key) if hash_key is not None else None
        if found is None:
            return []
        return list(found.values()) if table.range_key_attr else [found]
    index = _index_of(table, installation)
    attribute = index.attributes.get(index_name)
    wanted = dict(hash_key_conditions or [])
    if attribute is None or attribute not in wanted:
        return None
    return [item for key in index.keys[index_name].get(wanted[attribute], ())
            if (item := _stored(table, key)) is not None]


def indexed_queries() -> list[tuple[Any, str, Callable]]:
    """Replacements for moto's Table.query and the calls that change items, as (owner, name, function)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original_query, original_put, original_all_items = Table.query, Table.put_item, Table.all_items
    original_delete, original_update = Table.delete_item, DynamoDBBackend.update_item
    installation, narrowed = object(), threading.local()  # narrowed.by_table: table -> its query's candidates

    def all_items(self):  # moto's query reads the table through this one method
        found = getattr(narrowed, "by_table", {}).get(id(self))
        return found if found is not None else original_all_items(self)

    def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
              projection_expressions, index_name=None, *args, hash_key_conditions=None, **kwargs):
        def run():
            return original_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                                  scan_index_forward, projection_expressions, index_name, *args,
                                  hash_key_conditions=hash_key_conditions, **kwargs)

        candidates = _candidates(self, hash_key, index_name, hash_key_conditions, installation)
        if candidates is None:
            return run()
        by_table = narrowed.__dict__.setdefault("by_table", {})
        before = by_table.get(id(self))
        by_table[id(self)] = candidates
        try:
            return run()
        finally:
            by_table[id(self)] = before

    def put_item(self, item_attrs, *args, **kwargs):
        try:
            return original_put(self, item_attrs, *args, **kwargs)
        finally:
            _refresh(self, _key_of(self, item_attrs))

    def delete_item(self, hash_key, range_key, *args, **kwargs):
        try:
            return original_delete(self, hash_key, range_key, *args, **kwargs)
        finally:
            _refresh(self, (hash_key, range_key if self.range_key_attr else None))

    def update_item(self, table_name, key, *args, **kwargs):
        try:
            return original_update(self, table_name, key, *args, **kwargs)
        finally:
            table = self.get_table(table_name)
            _refresh(table, _key_of(table, key))

    return [(Table, "query", query), (Table, "all_items", all_items), (Table, "put_item", put_item),
            (Table, "delete_item", delete_item), (DynamoDBBackend, "update_item", update_item)]


def fast_item_responses() -> list[tuple[Any, str, Callable]]:
    """DynamoHandler.serialized for the item operations: the result dict as JSON, with moto's headers."""
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    original = DynamoHandler.serialized

    def serialized(self, action_result):
        result = action_result.result
        if type(action_result) is DynamoResult and isinstance(result, dict) and self._get_action() in _ITEM_OPERATIONS:
            try:
                body = json.dumps({key: value for key, value in result.items() if value is not None})
            except TypeError:  # not plain JSON (bytes, a date): moto's serializer knows the shape
                pass
            else:
                return 200, {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}, body
        return original(self, action_result)

    return [(DynamoHandler, "serialized", serialized)]
