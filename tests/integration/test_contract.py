"""The served contract: GET /openapi.json is public and current, and every operation survives fuzzed input.

The short schemathesis run here (a few examples per operation) keeps the suite fast; `make fuzz` runs the
long one. Checks: no 5xx, and responses match the document where it documents them.
"""
import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
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
# operations when it collects.
contract = schemathesis.openapi.from_path(OUTPUT)


@contract.parametrize()
@settings(max_examples=4, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_fails_on_fuzzed_input(case, stack, credentials):
    case.call_and_validate(base_url=stack.url, headers=credentials, timeout=15,
                           checks=[not_a_server_error, response_schema_conformance])
