"""The served OpenAPI document: fresh, valid, and exactly the routes of template.yaml and of the handlers."""
import json
import re
import subprocess
import sys

from openapi_spec_validator import validate

from local.openapi import API_KEY, BEARER, OUTPUT
from local.template import ROOT, Template, load_template

ROUTES = {(r.method, r.path): r for f in Template(load_template()).functions().values() for r in f.routes}
DOCUMENT = json.loads(OUTPUT.read_text(encoding="utf-8"))
OPERATIONS = {(method.upper(), path): op for path, item in DOCUMENT["paths"].items() for method, op in item.items()}
_DECORATOR = re.compile(r'^@app\.(get|post|put|patch|delete)\("([^"]+)"', re.MULTILINE)


def test_the_committed_document_is_what_make_openapi_generates():
    # A subprocess: generating imports every API handler with stand-in settings, which must not leak into
    # the settings of other tests in this process.
    done = subprocess.run([sys.executable, "-m", "local.openapi", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_document_is_valid_openapi():
    validate(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.1")


def test_its_operations_are_the_api_events_of_the_template():
    assert set(OPERATIONS) == set(ROUTES)


def test_its_operations_are_the_routes_the_handlers_declare():
    declared = set()
    for function in Template(load_template()).functions().values():
        if function.routes:
            source = (function.code_uri / "app.py").read_text(encoding="utf-8")
            declared |= {(m.upper(), re.sub(r"<(\w+)>", r"{\1}", p)) for m, p in _DECORATOR.findall(source)}
    assert declared == set(OPERATIONS)


def test_each_operation_asks_for_the_credential_the_gateway_checks():
    for key, route in ROUTES.items():
        expected = ([{API_KEY: []}] if route.api_key_required else []) + ([{BEARER: []}] if route.authorizer else [])
        assert OPERATIONS[key]["security"] == expected, key
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes[API_KEY] | {"description": None} == {"type": "apiKey", "in": "header", "name": "x-api-key",
                                                        "description": None}
    assert (schemes[BEARER]["scheme"], schemes[BEARER]["bearerFormat"]) == ("bearer", "JWT")


def test_bodies_are_documented_where_a_handler_reads_one():
    bodies = {key: op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
              for key, op in OPERATIONS.items() if "requestBody" in op}
    assert bodies == {("POST", "/cases"): "CaseRequest",
                      ("POST", "/interactions"): "InteractionRequest",
                      ("POST", "/reviews/{taskId}/decision"): "ReviewDecision",
                      ("POST", "/reviews/{taskId}/feedback"): "ReviewFeedback",
                      ("POST", "/c/{linkId}"): "CustomerAnswer",
                      ("POST", "/c/{linkId}/feedback"): "CustomerFeedback",
                      ("POST", "/learning/proposals/{proposalId}/decision"): "ProposalDecision",
                      ("POST", "/policies/{journey}/rollback"): "PolicyRollback",
                      ("POST", "/guardrails/{journey}/{name}/reset"): "GuardrailReset",
                      ("POST", "/customers/{customerId}/erasure"): "ErasureRequest"}
    # The customer page posts a form; API clients post JSON. Both are the contract.
    assert "application/x-www-form-urlencoded" in OPERATIONS[("POST", "/c/{linkId}")]["requestBody"]["content"]
