"""Reads template.yaml: CloudFormation tags, intrinsic functions, and the resources the engine serves."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !GetAtt, !Sub, ...) as their long forms."""


def _tag(name: str):
    def construct(loader: yaml.Loader, node: yaml.Node):
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {"Ref": value} if name == "Ref" else {f"Fn::{name}": value}
    return construct


for _name in ("Ref", "GetAtt", "Sub", "Join", "If", "Select", "Split", "Equals", "Not", "And", "Or",
              "FindInMap", "ImportValue", "Base64", "GetAZs", "Condition", "Cidr", "Length", "ToJsonString"):
    _CfnLoader.add_constructor(f"!{_name}", _tag(_name))


def load_template(path: Path = ROOT / "template.yaml") -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)


@dataclass
class Route:
    method: str
    path: str
    function: str
    api_key_required: bool
    authorizer: str | None
    pattern: re.Pattern = field(repr=False, default=None)

    def __post_init__(self):
        regex = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", self.path)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        self.pattern = re.compile(f"^{regex}$")


@dataclass
class Function:
    logical_id: str
    handler: str
    code_uri: Path
    environment: dict[str, Any]
    routes: list[Route]
    schedules: list[float] = field(default_factory=list)  # seconds between scheduled invocations
    timeout: int = 3  # seconds, as Lambda's default; the context's remaining time counts down from it


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> float:
    """`rate(5 minutes)` in seconds; cron() schedules are not emulated locally."""
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"the local engine runs rate() schedules only, not {expression!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


class Template:
    """The resources of template.yaml, as the local engine needs them. Nothing here is a second list."""

    def __init__(self, data: dict[str, Any], stack_name: str = "loopgate-local",
                 region: str = "us-east-1", account: str = "123456789012"):
        self.data = data
        self.stack_name = stack_name
        self.region = region
        self.account = account
        self.resources: dict[str, dict[str, Any]] = data["Resources"]
        self.physical: dict[str, dict[str, str]] = {}  # logical id -> {"Ref": ..., "<Attr>": ...}

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == cfn_type}

    # ------------------------------------------------------------ intrinsic functions
    def pseudo(self, name: str) -> str:
        return {"AWS::Region": self.region, "AWS::AccountId": self.account, "AWS::Partition": "aws",
                "AWS::StackName": self.stack_name, "AWS::URLSuffix": "amazonaws.com",
                "AWS::NoValue": None}[name]

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.data.get("Parameters", {}):
            return self.data["Parameters"][name].get("Default")
        if name in self.physical:
            return self.physical[name]["Ref"]
        raise KeyError(f"!Ref {name}: not created locally (yet)")

    def get_att(self, name: str, attribute: str) -> Any:
        try:
            return self.physical[name][attribute]
        except KeyError:
            raise KeyError(f"!GetAtt {name}.{attribute}: not known locally") from None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.get_att(*arg)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

                def substitute(match: re.Match) -> str:
                    name = match.group(1)
                    if name in variables:
                        return str(variables[name])
                    if "." in name and not name.startswith("AWS::"):
                        return str(self.get_att(*name.split(".", 1)))
                    return str(self.ref(name))
                return re.sub(r"\$\{([^}!]+)\}", substitute, text)
            if key == "Fn::Join":
                return arg[0].join(str(v) for v in self.resolve(arg[1]))
        return {k: self.resolve(v) for k, v in value.items()}

    # ------------------------------------------------------------ functions and routes
    def functions(self) -> dict[str, Function]:
        globals_fn = self.data.get("Globals", {}).get("Function", {})
        global_env = globals_fn.get("Environment", {}).get("Variables", {})
        apis = self.of_type("AWS::Serverless::Api")
        result = {}
        for logical_id, resource in self.of_type("AWS::Serverless::Function").items():
            props = resource["Properties"]
            env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
            routes, schedules = [], []
            for event in props.get("Events", {}).values():
                if event["Type"] in ("Schedule", "ScheduleV2"):
                    schedules.append(rate_seconds(event["Properties"].get("Schedule")
                                                  or event["Properties"]["ScheduleExpression"]))
                if event["Type"] != "Api":
                    continue
                ep = event["Properties"]
                api_auth = apis.get(ep.get("RestApiId", {}).get("Ref"), {}).get("Properties", {}).get("Auth", {})
                auth = ep.get("Auth", {})
                authorizer = auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
                routes.append(Route(
                    method=ep["Method"].upper(), path=ep["Path"], function=logical_id,
                    api_key_required=bool(auth.get("ApiKeyRequired", api_auth.get("ApiKeyRequired", False))),
                    authorizer=None if authorizer in (None, "NONE", "AWS_IAM") else authorizer))
            result[logical_id] = Function(
                logical_id=logical_id, handler=props.get("Handler", globals_fn.get("Handler")),
                code_uri=ROOT / props["CodeUri"], environment=env, routes=routes, schedules=schedules,
                timeout=int(props.get("Timeout", globals_fn.get("Timeout", 3))))
        return result

    def layer_paths(self) -> list[Path]:
        """Where each layer's code sits: its ContentUri is what Lambda puts on sys.path as /opt/python."""
        return [ROOT / r["Properties"]["ContentUri"] for r in self.of_type("AWS::Serverless::LayerVersion").values()]
