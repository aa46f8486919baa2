"""Customer API (public, by link): GET renders the request without side effects, POST answers it."""
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from loopgate.errors import Forbidden, Gone, InvalidInput, NotFound, UnsupportedMediaType
from loopgate.models import CustomerAnswer, CustomerFeedback
from loopgate.usecases.customer_steps import (
    TryAgain,
    answer,
    check_form_token,
    check_origin,
    csrf_token,
    customer_view,
    give_customer_feedback,
    link_locale,
)
from loopgate.web.formatting import preferred_language
from loopgate.web.http import json_response, resolver
from loopgate.web.pages import answered_page, customer_page, feedback_page, message_page
from loopgate.wiring import StoreSettings, case_store, load_settings, workflow

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class CustomerApiSettings(StoreSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(CustomerApiSettings)
app = resolver()

# This API parses its bodies itself (JSON, or the page's form), so its resolver does not see them;
# `make openapi` documents these.
REQUEST_BODIES = {("POST", "/c/{linkId}"): CustomerAnswer, ("POST", "/c/{linkId}/feedback"): CustomerFeedback}

_SECURITY_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                     "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                     "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


def _wants_json() -> bool:
    """Browsers get pages; API clients (Accept or Content-Type JSON) get JSON."""
    accept = app.current_event.headers.get("Accept") or ""
    if "text/html" in accept:
        return False
    content_type = app.current_event.headers.get("Content-Type") or ""
    return "application/json" in accept or "application/json" in content_type


def _content_type() -> str:
    return (app.current_event.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def _is_form() -> bool:
    return _content_type() == "application/x-www-form-urlencoded"


def _html(status: int, body: str) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body, headers=_SECURITY_HEADERS)


def _refused(exc: Exception, link_id: str) -> Response:
    """A link that cannot be used, as a page in the customer's language (the link's, else the browser's) that
    says which (answered, expired, ...) and what happens now; the status is the same as for JSON clients."""
    status, key = {Gone: (410, "gone"), NotFound: (404, "unknown"), Forbidden: (403, "forbidden"),
                   TryAgain: (409, "try_again"), UnsupportedMediaType: (415, "forbidden")}[type(exc)]
    if isinstance(exc, Gone) and exc.reason in ("answered", "expired", "closed", "changed", "feedback"):
        key = exc.reason
    return _html(status, message_page(_locale(link_id), key))


def _locale(link_id: str) -> str | None:
    return link_locale(case_store(), link_id) or preferred_language(app.current_event.headers.get("Accept-Language"))


def _parse(model: type[BaseModel], link_id: str) -> BaseModel:
    """JSON from API clients; a form from the page, which must carry the page's CSRF token."""
    headers = app.current_event.headers
    check_origin(headers.get("Sec-Fetch-Site"), headers.get("Origin"), headers.get("Host"))
    if not _is_form() and _content_type() != "application/json":
        # What a cross-site `enctype=text/plain` form sends, for one: only JSON and the page's own form act.
        raise UnsupportedMediaType("Content-Type must be application/json (or the page's own form)")
    try:
        if _is_form():
            form = {k: v[0] for k, v in parse_qs(app.current_event.decoded_body or "").items()}
            check_form_token(link_id, form.pop("csrf", None))
            fields = {k.removeprefix("fields."): v for k, v in form.items() if k.startswith("fields.")}
            data = {k: v for k, v in form.items() if not k.startswith("fields.")}
            if fields:
                data["fields"] = fields
            if model is CustomerFeedback:
                data["helpful"] = data.get("helpful") == "true"
                data = {k: v for k, v in data.items() if v != ""}
            return model.model_validate(data)
        return model.model_validate(app.current_event.json_body or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(".".join(str(p) for p in first["loc"]) or "(body)", first["msg"]) from exc
    except ValueError as exc:
        raise InvalidInput("(body)", "must be JSON or a form") from exc


@app.get("/c/<linkId>")
def get_page(linkId: str):
    try:
        view = customer_view(case_store(), linkId)
    except (Gone, NotFound) as exc:
        if _wants_json():
            raise
        return _refused(exc, linkId)
    if _wants_json():
        return json_response(200, view)
    declining = (app.current_event.query_string_parameters or {}).get("decline") == "1"
    return _html(200, customer_page(view, csrf=csrf_token(linkId), declining=declining))


@app.post("/c/<linkId>")
def post_answer(linkId: str):
    try:
        reply = _parse(CustomerAnswer, linkId)
        # What the customer answered, read before the answer uses the link up: the thanks page echoes it.
        asked = None if _wants_json() else customer_view(case_store(), linkId)
        result = answer(case_store(), workflow(), linkId, reply)
    except (Gone, NotFound, Forbidden, TryAgain, UnsupportedMediaType) as exc:
        if _wants_json():
            raise
        return _refused(exc, linkId)
    except InvalidInput as exc:
        if _wants_json():
            raise
        view = customer_view(case_store(), linkId)
        return _html(400, customer_page(view, errors={exc.field: exc.code}, csrf=csrf_token(linkId)))
    logger.info("customer answered", extra={"caseId": result["caseId"], "response": reply.response})
    metrics.add_metric(name="CustomerAnswers", unit=MetricUnit.Count, value=1)
    if _wants_json():
        return json_response(200, {k: result[k] for k in ("caseId", "response", "status")})
    return _html(200, answered_page(asked, reply.model_dump(exclude_none=True), result["personWithinHours"],
                                    feedback_action=f"{linkId}/feedback", csrf=csrf_token(linkId)))


@app.post("/c/<linkId>/feedback")
def post_feedback(linkId: str):
    try:
        feedback = _parse(CustomerFeedback, linkId)
        stored = give_customer_feedback(case_store(), linkId, feedback.helpful, feedback.comment)
    except (Gone, NotFound, Forbidden, UnsupportedMediaType) as exc:
        if _wants_json():
            raise
        return _refused(exc, linkId)
    metrics.add_metric(name="CustomerFeedback", unit=MetricUnit.Count, value=1)
    if _wants_json():
        return json_response(200, {"caseId": stored["caseId"], "helpful": stored["helpful"]})
    return _html(200, feedback_page(_locale(linkId)))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
