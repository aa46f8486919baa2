"""Journey files are validated when loaded; a bad one fails loudly, naming the file and the field."""
import json

import pytest

from loopgate.errors import InvalidInput, JourneyDefinitionError
from loopgate.policy.journeys import JOURNEY_DIR, get_journey, load_journeys


def write(tmp_path, name: str, data: dict):
    (tmp_path / f"{name}.json").write_text(json.dumps(data))


def valid(name="sample") -> dict:
    return json.loads((JOURNEY_DIR / "contract_change.json").read_text()) | {"name": name}


def test_every_shipped_journey_loads():
    journeys = load_journeys()
    assert {"contract_change", "identity_verification"} <= set(journeys)


def _unknown_signal(data):
    data["rules"][0]["when"] = {"signal": "confidance", "op": "lt", "value": 0.5}


def _threshold_as_text(data):
    data["limits"]["reviewSeconds"] = "four hours"


def _route_that_does_not_exist(data):
    data["default"]["route"] = "maybe"


def _undeclared_threshold(data):
    data["rules"][0]["when"] = {"signal": "amount", "op": "gt", "value": "$bigAmount"}


@pytest.mark.parametrize("break_it, message", [
    (_unknown_signal, r"sample\.json: rules\.0\.when: unknown signal 'confidance'"),
    (_threshold_as_text, r"sample\.json: limits\.reviewSeconds"),
    (_route_that_does_not_exist, r"sample\.json: default\.route"),
    (_undeclared_threshold, r"sample\.json: rules\.0\.when: threshold 'bigAmount' is not in thresholds"),
])
def test_a_bad_journey_file_fails_naming_the_file_and_the_field(tmp_path, break_it, message):
    data = valid()
    break_it(data)
    write(tmp_path, "sample", data)
    with pytest.raises(JourneyDefinitionError, match=message):
        load_journeys(tmp_path)


def test_the_name_must_match_the_file(tmp_path):
    write(tmp_path, "other", valid("sample"))
    with pytest.raises(JourneyDefinitionError, match=r"other\.json: name"):
        load_journeys(tmp_path)


def test_an_unknown_journey_is_an_input_error_naming_the_field():
    with pytest.raises(InvalidInput) as error:
        get_journey("nope")
    assert error.value.field == "journey"


def test_payload_types_are_checked_by_field():
    with pytest.raises(InvalidInput) as error:
        get_journey("contract_change").check_payload({"contractId": 7})
    assert error.value.field == "payload.contractId"
