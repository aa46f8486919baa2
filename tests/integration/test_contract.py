"""The served contract: GET /openapi.json is public and current, and every operation survives fuzzed input.

The short schemathesis run here (a few examples per operation) keeps the suite fast; `make fuzz` runs the
long one. Checks: no 5xx, and responses match the document where it documents them.
"""
import json
import re

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from local.openapi import OUTPUT

from .stack import API_KEY

GROUPS = ["reviewers", "senior", "audit", "supervisors", "leads"]


def test_the_contract_is_served_without_credentials(stack):
    response = requests.get(f"{stack.url}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == json.loads(OUTPUT.read_text(encoding="utf-8"))


def test_any_method_gets_an_api_answer_and_any_body_a_response(stack):
    """Found by the fuzzer: the local server answered TRACE with an HTML 501 and dropped non-UTF-8 bodies."""
    assert requests.request("TRACE", f"{stack.url}/cases", timeout=10).status_code == 405
    response = requests.post(f"{stack.url}/c/unknown-link", data=b"\xa1\xe2", timeout=10,
                             headers={"Content-Type": "application/json", "Accept": "application/json"})
    assert response.status_code == 400 and response.json()["field"] == "(body)"


@pytest.fixture(scope="module")
def credentials(stack):
    """A channel's key and a reviewer of every group, so that no handler refuses before it parses."""
    return {"x-api-key": API_KEY, "Authorization": f"Bearer {stack.token('fuzz', GROUPS)}"}


# The committed file is what the stack serves (the first test above); loading it here lets pytest list the
# operations when it collects. Plain pytest parametrization, not schemathesis' own: under xdist (`-n 2`, as the
# suite runs) its sub-tests were reported as passed while they failed.
OPERATIONS = [result.ok() for result in schemathesis.openapi.from_path(OUTPUT).get_all_operations()]
CHECKS = [not_a_server_error, response_schema_conformance]
MODES = st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_no_operation_fails_on_fuzzed_input(operation, stack, credentials):
    @given(data=st.data())
    @settings(max_examples=8, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def valid_and_invalid_input(data):
        case = data.draw(MODES.flatmap(lambda mode: operation.as_strategy(generation_mode=mode)))
        case.call_and_validate(base_url=stack.url, headers=credentials, timeout=15, checks=CHECKS)

    valid_and_invalid_input()


@pytest.mark.parametrize("operation", [o for o in OPERATIONS if o.body], ids=lambda operation: operation.label)
def test_a_body_of_an_undeclared_type_is_refused_not_a_crash(operation, stack, credentials):
    """Found by `make fuzz`: multipart/form-data without a boundary made the validating resolvers raise (502)."""
    path = re.sub(r"\{\w+\}", "unknown", operation.path)
    response = requests.request(operation.method.upper(), f"{stack.url}{path}", data=b"{}", timeout=15,
                                headers={**credentials, "Content-Type": "multipart/form-data",
                                         "Accept": "application/json"})
    assert 400 <= response.status_code < 500, f"{operation.label}: {response.status_code} {response.text[:200]}"
