"""template.yaml: least privilege, and what the local engine reads from it."""
import json

from local.template import Template, load_template

TEMPLATE = load_template()


def policies():
    for logical_id, resource in TEMPLATE["Resources"].items():
        for policy in resource.get("Properties", {}).get("Policies", []) or []:
            if isinstance(policy, dict) and "Fn::If" in policy:  # a grant that depends on a parameter
                yield from ((logical_id, branch) for branch in policy["Fn::If"][1:] if "Statement" in branch)
            else:
                yield logical_id, policy


def test_no_broad_grants():
    for logical_id, policy in policies():
        text = json.dumps(policy)
        assert "FullAccess" not in text, logical_id
        assert '"states:*"' not in text and '"dynamodb:*"' not in text, logical_id
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            if statement.get("Resource") == "*":
                # Publishing an SMS straight to a phone number, and Comprehend's detect calls, have no ARN to
                # scope to.
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert actions == ["sns:Publish"] or all(a.startswith("comprehend:Detect") for a in actions), \
                    logical_id


def test_routes_carry_the_auth_of_the_contract():
    routes = {(r.method, r.path): r for f in Template(TEMPLATE).functions().values() for r in f.routes}
    assert routes[("POST", "/cases")].api_key_required and not routes[("POST", "/cases")].authorizer
    assert routes[("GET", "/cases/{caseId}")].api_key_required
    for key in [("GET", "/reviews"), ("GET", "/reviews/{taskId}"), ("POST", "/reviews/{taskId}/decision")]:
        assert routes[key].authorizer == "ReviewerAuthorizer" and not routes[key].api_key_required
    for key in [("GET", "/c/{linkId}"), ("POST", "/c/{linkId}")]:
        assert not routes[key].authorizer and not routes[key].api_key_required


def test_tables_are_on_demand_with_recovery():
    tables = [r for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 3
    for table in tables:
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]


def test_the_translated_template_deploys_without_circular_dependencies():
    """cfn-lint on template.yaml checks the SAM shorthand; what CloudFormation gets is the translation."""
    from cfnlint import api as cfn_lint

    from .sam import translated_template

    matches = cfn_lint.lint(json.dumps(translated_template()), config=cfn_lint.ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches if m.rule.id.startswith("E")] == []


def test_the_layer_builds_to_opt_python():
    """SAM's python build puts ContentUri under python/; the package must sit at its top, with the pins beside it."""
    from local.template import ROOT

    (layer,) = [r for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::Serverless::LayerVersion"]
    content = ROOT / layer["Properties"]["ContentUri"]
    assert (content / "loopgate" / "__init__.py").exists()
    assert (content / "requirements.txt").exists()
    assert layer["Metadata"]["BuildMethod"] == "python3.12"
