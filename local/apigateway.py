"""API Gateway emulation: HTTP request -> REST proxy event (v1) -> handler -> HTTP response."""
from __future__ import annotations

import base64
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import jwt

from .engine import LocalEngine

log = logging.getLogger("local.apigateway")

TOKEN_ISSUER = "loopgate-local"
MFA_CLAIM = "loopgate:mfa"  # loopgate.roles.MFA_CLAIM: what the Pre Token Generation trigger adds on AWS


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _json(status: int, body: dict) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(body).encode())


class ApiGateway:
    """The template's routes with their auth: API key, the local stand-in for the Cognito authorizer, or none."""

    def __init__(self, engine: LocalEngine, jwt_secret: str | None = None, stage: str = "local"):
        self.engine = engine
        self.jwt_secret = jwt_secret or secrets.token_hex(32)
        self.stage = stage

    # ------------------------------------------------------------ local-only helpers
    def mint_token(self, sub: str, groups: list[str], email: str | None = None, ttl: int = 12 * 3600,
                   mfa: bool = True) -> str:
        """A dev token as Cognito's ID token; by default of someone who signed in with an authenticator app."""
        now = int(time.time())
        claims = {"sub": sub, "email": email or f"{sub}@reviewers.local", "cognito:username": sub,
                  "cognito:groups": groups, "iss": TOKEN_ISSUER, "token_use": "id", "iat": now, "exp": now + ttl}
        if mfa:
            claims[MFA_CLAIM] = "totp"
        return jwt.encode(claims, self.jwt_secret, algorithm="HS256")

    def _claims(self, authorization: str | None) -> dict | None:
        if not authorization:
            return None
        token = authorization.split(" ", 1)[1] if authorization.lower().startswith("bearer ") else authorization
        try:
            claims = jwt.decode(token, self.jwt_secret, algorithms=["HS256"], issuer=TOKEN_ISSUER)
        except jwt.PyJWTError:
            return None
        # API Gateway hands Cognito claims to the Lambda as strings; groups as one comma-separated string.
        return {k: (",".join(v) if isinstance(v, list) else str(v)) for k, v in claims.items()}

    # ------------------------------------------------------------ requests
    def proxy_event(self, method: str, path: str, query_string: str, headers: dict[str, str], body: bytes | None,
                    route, path_parameters: dict[str, str], claims: dict | None = None,
                    source_ip: str = "127.0.0.1") -> dict:
        """The REST API proxy event (payload v1) that API Gateway hands the function."""
        lower = {k.lower(): v for k, v in headers.items()}
        query = parse_qs(query_string, keep_blank_values=True)
        text = body.decode("utf-8", errors="replace") if body else None  # the server refuses non-UTF-8 first
        api_key = lower.get("x-api-key") if route.api_key_required else None
        return {
            "resource": route.path, "path": path, "httpMethod": method,
            "headers": dict(headers), "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": path_parameters or None, "stageVariables": self.engine.stage_variables or None,
            "requestContext": {
                "resourcePath": route.path, "httpMethod": method, "path": f"/{self.stage}{path}",
                "stage": self.stage, "requestId": str(uuid.uuid4()), "apiId": "local",
                "accountId": self.engine.template.account, "requestTimeEpoch": int(time.time() * 1000),
                "identity": {"sourceIp": source_ip, "userAgent": lower.get("user-agent"),
                             "apiKey": api_key, "apiKeyId": self.engine.api_keys.get(api_key) if api_key else None},
                "authorizer": {"claims": claims} if claims else None,
            },
            "body": text, "isBase64Encoded": False,
        }

    def methods_for(self, path: str) -> tuple[str, ...]:
        """The methods the API serves at `path` (none: no such resource)."""
        return tuple(sorted({r.method for r in self.engine.routes if r.pattern.match(path)}))

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes,
               source_ip: str = "127.0.0.1") -> HttpResponse:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        lower = {k.lower(): v for k, v in headers.items()}
        matches = [(r, m) for r in self.engine.routes if (m := r.pattern.match(path))]
        route_match = next(((r, m) for r, m in matches if r.method == method), None)
        if route_match is None:
            if matches:
                return _json(405, {"message": "Method Not Allowed"})
            return _json(404, {"message": "Not Found"})
        route, match = route_match
        if route.api_key_required and lower.get("x-api-key") not in self.engine.api_keys:
            return _json(403, {"message": "Forbidden"})
        claims = None
        if route.authorizer:
            claims = self._claims(lower.get("authorization"))
            if claims is None:
                return _json(401, {"message": "Unauthorized"})
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:  # the proxy event carries the body as text: the API declares no binary types
            return _json(400, {"error": "(body): must be UTF-8 text", "field": "(body)"})
        event = self.proxy_event(method, path, url.query, headers, body, route, match.groupdict(), claims, source_ip)
        try:
            result = self.engine.invoke(route.function, event)
        except Exception:  # an unhandled handler error is a 502 at API Gateway
            log.exception("%s %s: the handler raised", method, route.path)
            return _json(502, {"message": "Internal server error"})
        out_headers = list((result.get("headers") or {}).items())
        for key, values in (result.get("multiValueHeaders") or {}).items():
            out_headers += [(key, v) for v in values if (key, v) not in out_headers]
        payload = result.get("body") or ""
        raw = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode("utf-8")
        return HttpResponse(int(result.get("statusCode", 200)), out_headers, raw)
