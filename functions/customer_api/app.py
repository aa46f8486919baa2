"""Customer API (public, by link): GET renders the request without side effects, POST answers it."""
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from loopgate.customers import answer, customer_view
from loopgate.errors import Gone, InvalidInput, NotFound
from loopgate.http import install_error_handlers, json_response
from loopgate.models import CustomerAnswer
from loopgate.pages import answered_page, customer_page, message_page
from loopgate.runtime import case_store, workflow

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
install_error_handlers(app)

_SECURITY_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                     "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                "form-action 'self'; frame-ancestors 'none'",
                     "X-Content-Type-Options": "nosniff"}


def _wants_json() -> bool:
    """Browsers get pages; API clients (Accept or Content-Type JSON) get JSON."""
    accept = app.current_event.headers.get("Accept") or ""
    if "text/html" in accept:
        return False
    content_type = app.current_event.headers.get("Content-Type") or ""
    return "application/json" in accept or "application/json" in content_type


def _html(status: int, body: str) -> Response:
    return Response(status_code=status, content_type=content_types.TEXT_HTML, body=body, headers=_SECURITY_HEADERS)


def _unusable(exc: Exception) -> Response:
    gone = isinstance(exc, Gone)
    return _html(410 if gone else 404, message_page(None, "gone" if gone else "unknown"))


def _reply_from_request() -> CustomerAnswer:
    content_type = app.current_event.headers.get("Content-Type") or ""
    try:
        if "application/x-www-form-urlencoded" in content_type:
            form = {k: v[0] for k, v in parse_qs(app.current_event.decoded_body or "").items()}
            fields = {k.removeprefix("fields."): v for k, v in form.items() if k.startswith("fields.")}
            answer_form = {k: v for k, v in form.items() if not k.startswith("fields.") and k != "csrf"}
            return CustomerAnswer.model_validate({**answer_form, **({"fields": fields} if fields else {})})
        return CustomerAnswer.model_validate(app.current_event.json_body or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(body)"
        raise InvalidInput(field, first["msg"]) from exc
    except ValueError as exc:
        raise InvalidInput("(body)", "must be JSON or a form") from exc


@app.get("/c/<linkId>")
def get_page(linkId: str):
    try:
        view = customer_view(case_store(), linkId)
    except (Gone, NotFound) as exc:
        if _wants_json():
            raise
        return _unusable(exc)
    if _wants_json():
        return json_response(200, view)
    return _html(200, customer_page(view))


@app.post("/c/<linkId>")
def post_answer(linkId: str):
    try:
        reply = _reply_from_request()
        result = answer(case_store(), workflow(), linkId, reply)
    except (Gone, NotFound) as exc:
        if _wants_json():
            raise
        return _unusable(exc)
    except InvalidInput as exc:
        if _wants_json():
            raise
        return _html(400, customer_page(customer_view(case_store(), linkId), errors={exc.field: exc.message}))
    logger.info("customer answered", extra={"caseId": result["caseId"], "response": reply.response})
    metrics.add_metric(name="CustomerAnswers", unit=MetricUnit.Count, value=1)
    if _wants_json():
        return json_response(200, result)
    return _html(200, answered_page(None, reply.response))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
