"""The CloudWatch dashboard shows every figure the learning job emits and the errors of every function."""
import json
import re

from local.template import Template, load_template
from loopgate.policy.insights import METRICS

TEMPLATE = Template(load_template())


def _widgets() -> list[dict]:
    (dashboard,) = TEMPLATE.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    # Fn::Sub's placeholders stand in for names; ${!x} is its literal ${x}.
    return json.loads(re.sub(r"\$\{(?!!)[^}]+\}", "x", body).replace("${!", "${"))["widgets"]


def test_every_emitted_figure_has_a_widget_per_journey():
    searched = {re.search(r'MetricName="(\w+)"', m[0]["expression"]).group(1)
                for w in _widgets() if w["type"] == "metric" for m in w["properties"]["metrics"]
                if isinstance(m[0], dict)}
    assert searched == {name for name, _, _ in METRICS} | {"TimeToDecisionP90"}


def test_every_function_has_its_errors_on_the_dashboard():
    (dashboard,) = TEMPLATE.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    functions = set(TEMPLATE.of_type("AWS::Serverless::Function"))
    assert functions == set(re.findall(r'"Errors", "FunctionName", "\$\{(\w+)\}"', body))
    assert '"ExecutionsFailed", "StateMachineArn", "${CaseStateMachine}"' in body
