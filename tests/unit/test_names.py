"""Names listed in several places agree with their one source: groups, queues, routes and workflow steps."""
import json
from pathlib import Path
from typing import get_args

from local.template import ROOT, load_template
from loopgate import roles
from loopgate.models import Plan
from loopgate.policy.authority import authority_config
from loopgate.policy.journeys import catalogue

TEMPLATE = load_template()
ASL = json.loads((ROOT / "statemachines" / "case.asl.json").read_text())


def test_the_templates_cognito_groups_are_the_roles():
    groups = {r["Properties"]["GroupName"] for r in TEMPLATE["Resources"].values()
              if r["Type"] == "AWS::Cognito::UserPoolGroup"}
    assert groups == set(roles.GROUPS)


def test_authority_is_given_only_to_groups_that_exist():
    assert set(authority_config().groups) <= set(roles.GROUPS)


def test_every_queue_a_journey_routes_to_is_a_group_someone_can_be_in():
    for journey in catalogue().values():
        queues = {journey.queues.review, journey.queues.senior, journey.queues.supervisor, journey.queues.audit}
        queues |= {rule.queue for rule in journey.rules if rule.queue} | {journey.default.queue} - {None}
        assert queues <= set(roles.GROUPS), f"{journey.name}: {sorted(queues - set(roles.GROUPS))}"


def test_the_plans_next_steps_are_the_dispatch_choices():
    dispatch = ASL["States"]["Dispatch"]
    choices = {choice["StringEquals"] for choice in dispatch["Choices"]}
    assert choices == set(get_args(Plan.model_fields["next"].annotation))


def test_the_workflows_fallback_plan_is_a_plan_for_the_senior_queue():
    fallback = Plan.model_validate(ASL["States"]["FallbackPlan"]["Result"])
    assert fallback.queue == fallback.seniorQueue == roles.SENIOR


def test_every_handler_in_the_template_exists():
    for logical_id, resource in TEMPLATE["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            code = Path(ROOT / resource["Properties"]["CodeUri"]) / "app.py"
            assert code.exists(), logical_id


COLD_START = """
import importlib.util, json, os, sys
from local.template import Template, load_template
template = Template(load_template())
sys.path[:0] = [str(p) for p in template.layer_paths()]
import loopgate.wiring as wiring
base = {k: v for k, v in os.environ.items() if not k.isupper() or k.startswith(("PATH", "HOME", "PYTHON", "AWS_"))}
results = {}
for logical_id, fn in template.functions().items():
    parameters = template.data.get("Parameters", {})
    own = {k: v if isinstance(v, str) else str(template.ref(v["Ref"])) if isinstance(v, dict)
           and v.get("Ref") in parameters else "stand-in-" + k.lower() for k, v in fn.environment.items()}
    for dropped in [None, *[k for k in own if not k.startswith("POWERTOOLS")]]:
        os.environ.clear()
        os.environ.update({**base, **{k: v for k, v in own.items() if k != dropped}, "AWS_DEFAULT_REGION": "us-east-1"})
        wiring.load_settings.cache_clear()
        spec = importlib.util.spec_from_file_location(f"cold_{logical_id}_{dropped}", fn.code_uri / "app.py")
        try:
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
            results[f"{logical_id}-{dropped}"] = "started"
        except RuntimeError as exc:
            results[f"{logical_id}-{dropped}"] = str(exc)
print(json.dumps(results))
"""


def test_each_function_starts_with_its_templates_environment_and_refuses_to_start_without_it():
    """Settings are checked when a container starts: a variable the template does not give a function fails there."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", COLD_START], cwd=ROOT, capture_output=True, text=True, check=True)
    results = json.loads(out.stdout.strip().splitlines()[-1])
    started = {key.rsplit("-", 1)[0] for key, outcome in results.items() if key.endswith("-None")
               and outcome == "started"}
    assert started == {k for k, r in TEMPLATE["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    refused = {key: outcome for key, outcome in results.items() if not key.endswith("-None") and outcome != "started"}
    assert "IntakeApiFunction-IDEMPOTENCY_TABLE" in refused and "IDEMPOTENCY_TABLE" in refused[
        "IntakeApiFunction-IDEMPOTENCY_TABLE"]
    assert {"ScoreFunction-CASES_TABLE", "RequestCustomerFunction-SENDER_EMAIL",
            "ReviewDeadlinesFunction-QUEUE_ALERTS_TOPIC_ARN"} <= set(refused)
