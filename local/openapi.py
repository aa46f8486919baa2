"""`make openapi`: one OpenAPI document for the three APIs, from their Powertools resolvers and template.yaml.

A Lambda cannot import another function's code, so the intake function cannot build this document when it
is asked for it: it is generated here (dev only, beside the local engine that loads handlers the same way),
written into the layer as `loopgate/web/openapi.json`, and served from there by the intake API. The resolvers
say what each route takes; template.yaml says which routes exist and how each is authorized. Nothing in the
document is written by hand, and tests/unit/test_openapi.py fails when the committed file is stale.

    python -m local.openapi            # regenerates layers/shared/python/loopgate/web/openapi.json
    python -m local.openapi --check    # exits 1 when the committed file differs from a fresh generation
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tomllib
from types import ModuleType
from typing import Any

from pydantic import BaseModel, Field

from .template import ROOT, Function, Template, load_template

OUTPUT = ROOT / "layers" / "shared" / "python" / "loopgate" / "web" / "openapi.json"
TITLE = "Loopgate"
API_KEY, BEARER = "channelApiKey", "reviewerJwt"
SECURITY_SCHEMES = {
    API_KEY: {"type": "apiKey", "in": "header", "name": "x-api-key",
              "description": "A channel's API key (an API Gateway usage plan key)."},
    BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
             "description": "A reviewer's Cognito ID token; the groups in `cognito:groups` are the queues."},
}


class ApiError(BaseModel):
    """What loopgate.web.http.install_error_handlers sends for a refused request (it replaces Powertools' 422)."""

    error: str = Field(description="What is wrong, naming the field first where one is at fault.")
    field: str | None = Field(default=None, description="The field at fault, dotted (customer.email).")
    details: list[dict[str, Any]] | None = Field(default=None, description="Every field at fault (422 only).")


def _load_handler_module(fn: Function) -> ModuleType:
    module_file = fn.handler.rsplit(".", 1)[0]
    spec = importlib.util.spec_from_file_location(f"loopgate_openapi_{fn.logical_id}",
                                                  fn.code_uri / f"{module_file}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _prepare_imports(template: Template) -> None:
    """Handlers read their settings and build clients when imported; none of them talks to AWS to do so."""
    for path in map(str, template.layer_paths()):
        if path not in sys.path:
            sys.path.insert(0, path)
    for fn in template.functions().values():
        for name, value in fn.environment.items():
            # Plain values (log level, namespaces) as declared; references to resources get a stand-in name.
            # Parameters resolve to their defaults (RETENTION_DAYS must be a number).
            parameter = isinstance(value, dict) and value.get("Ref") in template.data.get("Parameters", {})
            value = template.resolve(value) if parameter else value
            os.environ.setdefault(name, str(value) if isinstance(value, (str, int)) else f"openapi-{name.lower()}")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "loopgate")


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _merge_schemas(into: dict[str, Any], schemas: dict[str, Any], source: str) -> None:
    for name, schema in schemas.items():
        if name in into and into[name] != schema:
            raise ValueError(f"{source}: component schema {name!r} differs from another API's; rename one model")
        into[name] = schema


def generate(template: Template | None = None) -> dict[str, Any]:
    template = template or Template(load_template())
    _prepare_imports(template)
    error_schema = ApiError.model_json_schema(ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {ApiError.__name__: error_schema}
    for fn in sorted(template.functions().values(), key=lambda f: f.logical_id):
        if not fn.routes:
            continue
        module = _load_handler_module(fn)
        resolver = module.app
        document = json.loads(resolver.get_openapi_json_schema(title=TITLE, version=_version()))
        declared = {(r.method, r.path): r for r in fn.routes}
        served = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
        if served != set(declared):
            raise ValueError(f"{fn.logical_id}: the resolver serves {sorted(served - set(declared))} that "
                             f"template.yaml does not route, and template.yaml routes "
                             f"{sorted(set(declared) - served)} that the resolver does not serve")
        bodies = getattr(module, "REQUEST_BODIES", {})
        for path, item in document["paths"].items():
            for method, operation in item.items():
                route = declared[(method.upper(), path)]
                operation["tags"] = [fn.logical_id.removesuffix("Function")]
                operation["security"] = ([{API_KEY: []}] if route.api_key_required else []) + (
                    [{BEARER: []}] if route.authorizer else [])
                if (method.upper(), path) in bodies:
                    model = bodies[(method.upper(), path)]
                    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
                    operation["requestBody"] = {"required": True, "content": {
                        "application/json": {"schema": schema},
                        "application/x-www-form-urlencoded": {"schema": schema}}}
                    defs = model.model_json_schema(ref_template="#/components/schemas/{model}")
                    _merge_schemas(schemas, {model.__name__: {k: v for k, v in defs.items() if k != "$defs"},
                                             **defs.get("$defs", {})}, fn.logical_id)
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {"description": "A field is missing or invalid; the error names it",
                                        "content": {"application/json": {"schema": {
                                            "$ref": f"#/components/schemas/{ApiError.__name__}"}}}}
                paths.setdefault(path, {})[method] = operation
        components = {k: v for k, v in document.get("components", {}).get("schemas", {}).items()
                      if k not in ("HTTPValidationError", "ValidationError", "ResponseValidationError")}
        _merge_schemas(schemas, components, fn.logical_id)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": _version(),
                 "description": "Channels post cases (API key), reviewers decide (Cognito JWT), customers answer "
                                "by their link (public). Generated by `make openapi`; do not edit."},
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {"schemas": {name: schemas[name] for name in sorted(schemas)},
                       "securitySchemes": SECURITY_SCHEMES},
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed document is stale")
    args = parser.parse_args(argv)
    fresh = render(generate())
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != fresh:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run `make openapi` and commit it", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(fresh, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {sum(len(v) for v in json.loads(fresh)['paths'].values())} operations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
