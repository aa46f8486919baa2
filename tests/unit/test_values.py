"""What the body parser lets through: strict JSON within DynamoDB's limits, errors naming the field."""
import json

import pytest

from loopgate.errors import InvalidInput, InvalidValue
from loopgate.web.bodies import MAX_DEPTH, parse_json_body


@pytest.mark.parametrize("value", [
    0, -0.0, 1, -1, 0.1, 19.99, 10**37, -(10**37), int("9" * 38), 1e-130, 9.9e125, 1e125, True, None, "",
    {"a": [1, {"b": "x"}]}])
def test_storable_values_pass(value):
    assert parse_json_body(json.dumps({"v": value})) == {"v": value}


@pytest.mark.parametrize("text, field, words", [
    ('{"v": 1e400}', "v", "finite"),
    ('{"v": NaN}', "v", "finite"),
    ('{"w": [Infinity]}', "w.0", "finite"),
    ('{"v": -1e400}', "v", "finite"),
    ('{"v": 1e126}', "v", "range"),
    ('{"v": 1e-131}', "v", "range"),
    ('{"a": {"b": [1, 2, 1' + "1" * 40 + ']}}', "a.b.2", "significant digits"),
    ('{"a": {"": 1}}', "a", "empty key"),
])
def test_unstorable_values_name_their_field(text, field, words):
    with pytest.raises(InvalidValue) as raised:
        parse_json_body(text)
    assert raised.value.field == field and words in raised.value.message


@pytest.mark.parametrize("text", ['{"v": ', "", "{'v': 1}", '{"v": nan}', "[1,]"])
def test_what_is_not_json_is_a_400_on_the_body(text):
    with pytest.raises(InvalidInput) as raised:
        parse_json_body(text)
    assert raised.value.field == "(body)" and not isinstance(raised.value, InvalidValue)
    assert "not valid JSON" in raised.value.message


def test_nesting_is_bounded_before_and_after_parsing():
    ok = json.dumps(nested(MAX_DEPTH))
    assert parse_json_body(ok)
    with pytest.raises(InvalidInput) as raised:
        parse_json_body(json.dumps(nested(MAX_DEPTH + 1)))
    assert raised.value.field.startswith("x.x")
    with pytest.raises(InvalidInput) as raised:
        parse_json_body("[" * 100_000 + "]" * 100_000)
    assert raised.value.field == "(body)" and "nested too deeply" in raised.value.message


def nested(levels: int):
    value = 1
    for _ in range(levels):
        value = {"x": value}
    return value
