"""Journey files are validated when loaded; a bad one fails loudly, naming the file and the field."""
import json

import pytest

from loopgate.errors import InvalidInput, JourneyDefinitionError
from loopgate.journeys import JOURNEY_DIR, get_journey, load_journeys


def write(tmp_path, name: str, data: dict):
    (tmp_path / f"{name}.json").write_text(json.dumps(data))


def valid(name="sample") -> dict:
    return json.loads((JOURNEY_DIR / "contract_change.json").read_text()) | {"name": name}


def test_every_shipped_journey_loads():
    journeys = load_journeys()
    assert {"contract_change", "identity_verification"} <= set(journeys)


def test_an_unknown_signal_names_the_file_and_the_rule(tmp_path):
    data = valid()
    data["rules"][0]["when"] = {"signal": "confidance", "op": "lt", "value": 0.5}
    write(tmp_path, "sample", data)
    with pytest.raises(JourneyDefinitionError, match=r"sample\.json: rules\.0\.when: unknown signal 'confidance'"):
        load_journeys(tmp_path)


def test_a_threshold_of_the_wrong_type_names_the_field(tmp_path):
    data = valid()
    data["limits"]["reviewSeconds"] = "four hours"
    write(tmp_path, "sample", data)
    with pytest.raises(JourneyDefinitionError, match=r"sample\.json: limits\.reviewSeconds"):
        load_journeys(tmp_path)


def test_a_route_that_does_not_exist_is_refused(tmp_path):
    data = valid()
    data["default"]["route"] = "maybe"
    write(tmp_path, "sample", data)
    with pytest.raises(JourneyDefinitionError, match=r"sample\.json: default\.route"):
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
