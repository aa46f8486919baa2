"""template.yaml: least privilege, and what the local engine reads from it."""
import json

from local.template import Template, load_template

TEMPLATE = load_template()
LOG_DELIVERY = {"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups"}


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
                # Publishing an SMS straight to a phone number, taking a number off SNS's account-wide opt-out list
                # (a customer's START), Comprehend's detect calls and the state machine's log delivery API have
                # no ARN to scope to.
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert all(a in ("sns:Publish", "sns:OptInPhoneNumber") or a in LOG_DELIVERY
                           or a.startswith("comprehend:Detect")
                           for a in actions), logical_id
                assert logical_id == "CaseStateMachine" or not set(actions) & set(LOG_DELIVERY), logical_id


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


def _translated_of_type(cfn_type):
    from .sam import translated_template

    return {k: r for k, r in translated_template()["Resources"].items() if r["Type"] == cfn_type}


def test_the_api_has_one_stage():
    """SAM's implicit "Stage" stage would serve every route again without the customer routes' throttling."""
    deployments = _translated_of_type("AWS::ApiGateway::Deployment")
    assert [d["Properties"].get("StageName") for d in deployments.values()] == [None]
    stages = _translated_of_type("AWS::ApiGateway::Stage")
    assert [s["Properties"]["StageName"] for s in stages.values()] == [{"Ref": "Stage"}]


def test_a_stack_delete_or_replacement_keeps_the_data():
    data = {k: r for k, r in TEMPLATE["Resources"].items()
            if r["Type"] in ("AWS::DynamoDB::Table", "AWS::Cognito::UserPool")}
    assert len(data) == 4
    for logical_id, resource in data.items():
        assert resource.get("DeletionPolicy") == "Retain", logical_id
        assert resource.get("UpdateReplacePolicy") == "Retain", logical_id
        if resource["Type"] == "AWS::DynamoDB::Table":
            assert resource["Properties"].get("DeletionProtectionEnabled") is True, logical_id


def test_every_function_logs_to_a_group_with_retention():
    """Lambda logs to /aws/lambda/<name> unless told otherwise; a group Lambda creates itself keeps logs forever."""
    functions = _translated_of_type("AWS::Lambda::Function")
    groups = _translated_of_type("AWS::Logs::LogGroup")
    assert len(functions) == len(Template(TEMPLATE).functions())  # every declared function, translated
    for logical_id, function in functions.items():
        props = function["Properties"]
        group_ref = props["LoggingConfig"]["LogGroup"]["Ref"]
        group = groups[group_ref]["Properties"]
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}, logical_id
        name = props["FunctionName"]["Fn::Sub"]
        assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{name}"}, logical_id
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_the_state_machine_logs_errors_without_execution_data():
    """Execution data holds the customer's name, contact and message."""
    (machine,) = _translated_of_type("AWS::StepFunctions::StateMachine").values()
    logging = machine["Properties"]["LoggingConfiguration"]
    assert logging["Level"] == "ERROR" and logging["IncludeExecutionData"] is False
    (destination,) = logging["Destinations"]
    group = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert _translated_of_type("AWS::Logs::LogGroup")[group]["Properties"]["RetentionInDays"] == {
        "Ref": "LogRetentionDays"}


def test_access_logs_record_the_route_never_the_path():
    """Customer links carry their id in the path: $context.path would write link ids to the logs."""
    stages = _translated_of_type("AWS::ApiGateway::Stage").values()
    formats = [s["Properties"]["AccessLogSetting"]["Format"] for s in stages]
    assert formats
    for log_format in formats:
        assert "$context.resourcePath" in log_format
        assert "$context.path" not in log_format and "$context.requestOverride" not in log_format
        json.loads(log_format)  # one JSON object per request, so Logs Insights can query it


def test_failures_alarm_into_the_alarm_topic():
    alarms = [r["Properties"] for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)
    errors = {a["Dimensions"][0]["Value"]["Ref"] for a in alarms if a.get("MetricName") == "Errors"}
    assert errors == set(Template(TEMPLATE).functions())
    metrics = {a.get("MetricName") for a in alarms}
    assert {"ExecutionsFailed", "5XXError"} <= metrics
    throttles = [a for a in alarms if "ThrottledRequests" in json.dumps(a.get("Metrics", []))]
    assert len(throttles) == 3


def test_every_customer_email_goes_through_the_set_whose_bounces_and_complaints_reach_the_inbound_function():
    resources = TEMPLATE["Resources"]
    destination = resources["CustomerEmailEvents"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "CustomerEmailConfigurationSet"}
    assert sorted(destination["EventDestination"]["MatchingEventTypes"]) == ["bounce", "complaint"]
    topic = destination["EventDestination"]["SnsDestination"]["TopicARN"]
    inbound = resources["InboundFunction"]["Properties"]["Events"].values()
    assert topic in [e["Properties"]["Topic"] for e in inbound if e["Type"] == "SNS"]
    senders = [name for name, r in resources.items()
               if "SENDER_EMAIL" in r.get("Properties", {}).get("Environment", {}).get("Variables", {})]
    assert senders
    for name in senders:
        properties = resources[name]["Properties"]
        assert properties["Environment"]["Variables"]["EMAIL_CONFIGURATION_SET"] == {
            "Ref": "CustomerEmailConfigurationSet"}, name
        assert {"Ref": "CustomerEmailSendPolicy"} in properties["Policies"], name
