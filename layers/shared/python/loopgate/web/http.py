"""What every API handler shares: domain errors mapped once to HTTP answers, and the caller's claims."""
from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from loopgate.errors import Conflict, Forbidden, Gone, InvalidInput, InvalidValue, NotFound, UnsupportedMediaType
from loopgate.models import Reviewer
from loopgate.roles import MFA_CLAIM, MFA_GROUPS
from loopgate.web.bodies import parse_json_body
from loopgate.wiring import StaffSettings, load_settings


def json_response(status: int, body: dict) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


STAFF_CSS_MARK = "  /* shared: loopgate/web/staff.css (filled in when the function starts) */"
SIGNIN_JS_MARK = "/* shared: loopgate/web/signin.js (filled in when the function starts) */"
SIGNIN_META = '<meta name="loopgate-signin">'
CONNECT_SELF = "connect-src 'self';"
# The API stage's variables that name the hosted UI (template.yaml, LoopgateApi's Variables).
SIGNIN_URL_VARIABLE, SIGNIN_CLIENT_VARIABLE = "signInUrl", "signInClientId"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9]{1,128}$")


def staff_page(path: Path) -> str:
    """A staff page's HTML (the reviewer console, the leads' page) with the look and the sign-in they share."""
    html = path.read_text(encoding="utf-8")
    for mark, what in ((STAFF_CSS_MARK, "the shared staff styles"), (SIGNIN_JS_MARK, "the shared sign-in script"),
                       (SIGNIN_META, "the sign-in settings"), (CONNECT_SELF, "the sign-in service in its CSP")):
        if html.count(mark) != 1:
            raise ValueError(f"{path.name} has no single place for {what} ({mark})")
    shared = Path(__file__).parent
    return (html.replace(STAFF_CSS_MARK, (shared / "staff.css").read_text(encoding="utf-8").rstrip("\n"))
            .replace(SIGNIN_JS_MARK, (shared / "signin.js").read_text(encoding="utf-8").rstrip("\n")))


def hosted_ui_origin(url: str) -> str:
    """The hosted UI's origin: https, or http on this machine (a local stand-in); raises naming the stage variable."""
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if not (parts.scheme == "https" or local) or not parts.netloc or parts.path.strip("/") or parts.query:
        raise ValueError(f"stage variable {SIGNIN_URL_VARIABLE}: an https origin, not {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def signin_page(html: str, stage_variables: dict | None) -> str:
    """A staff page that signs in through the hosted UI the API stage names; without one (make dev) it keeps the
    local dev tokens. The page may then reach that origin, and no other, besides its own API."""
    url = (stage_variables or {}).get(SIGNIN_URL_VARIABLE)
    if not url:
        return html
    client_id = (stage_variables or {}).get(SIGNIN_CLIENT_VARIABLE) or ""
    if not _CLIENT_ID.match(client_id):
        raise ValueError(f"stage variable {SIGNIN_CLIENT_VARIABLE}: the app client's id, not {client_id!r}")
    origin = hosted_ui_origin(url)
    settings = f'<meta name="loopgate-signin" data-url="{escape(origin)}" data-client-id="{escape(client_id)}">'
    return html.replace(SIGNIN_META, settings).replace(CONNECT_SELF, f"connect-src 'self' {origin};")


def page_response(html: str) -> Response:
    """A static page of the staff (the reviewer console, the leads' page): never cached, never framed; the page's
    own CSP meta tag keeps its scripts its own."""
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=html,
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                             "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"})


def _field_of(error: dict) -> str:
    # Powertools puts the request part first ("body", "query", "path"); the field follows.
    loc = [str(p) for p in error.get("loc", ())]
    return ".".join(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc) or "(body)"


def resolver(**options) -> APIGatewayRestResolver:
    """A REST resolver whose bodies are strict JSON that DynamoDB can store, with the domain errors mapped."""
    app = APIGatewayRestResolver(json_body_deserializer=parse_json_body, **options)
    install_error_handlers(app)
    return app


def install_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {}
        field = _field_of(first)
        return json_response(422, {"error": f"{field}: {first.get('msg', 'invalid')}", "field": field,
                                   "details": [{"field": _field_of(e), "message": e.get("msg")} for e in errors]})

    @app.exception_handler(ValueError)
    def _unreadable_body(exc: ValueError) -> Response:
        # Powertools' validation reads form and multipart bodies itself, and a malformed multipart body (no
        # boundary) escapes it as a bare ValueError: a body of a type the API does not take, not a crash.
        content_type = (app.current_event.headers.get("Content-Type") or "").lower()
        if content_type and not content_type.startswith("application/json"):
            return json_response(415, {"error": "Content-Type: send application/json", "field": "Content-Type"})
        raise exc

    @app.exception_handler(InvalidInput)
    def _invalid_input(exc: InvalidInput) -> Response:
        return json_response(422 if isinstance(exc, InvalidValue) else 400, {"error": str(exc), "field": exc.field})

    for error, status in ((NotFound, 404), (Forbidden, 403), (Conflict, 409), (Gone, 410), (UnsupportedMediaType, 415)):
        app.exception_handler(error)(lambda exc, status=status: json_response(status, {"error": str(exc)}))


def parse_groups(raw) -> tuple[str, ...]:
    """`cognito:groups` arrives as a list, a comma-separated string, or "[a b]" depending on the path."""
    if raw is None:
        return ()
    if isinstance(raw, (list, tuple)):
        return tuple(str(g) for g in raw)
    text = str(raw).strip().strip("[]")
    return tuple(g for g in text.replace(",", " ").split() if g)


def caller_of(app: APIGatewayRestResolver) -> Reviewer:
    claims = (app.current_event.request_context.authorizer.claims or {})
    sub = claims.get("sub")
    if not sub:
        raise Forbidden("no reviewer identity on this request")
    name = claims.get("email") or claims.get("cognito:username") or claims.get("name") or sub
    groups = parse_groups(claims.get("cognito:groups"))
    needing = sorted(set(groups) & set(MFA_GROUPS))
    if needing and claims.get(MFA_CLAIM) != "totp" and load_settings(StaffSettings).staff_mfa != "optional":
        raise Forbidden(f"members of {' and '.join(needing)} sign in with an authenticator app (MFA): ask your "
                        "Loopgate admin to add one (README, \"Reviewers: sign-in\"), then sign out and in again")
    return Reviewer(sub=sub, name=name, groups=groups)
