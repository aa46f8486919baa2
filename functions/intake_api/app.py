"""Channel API: POST /cases (idempotent on Idempotency-Key) and GET /cases/{caseId}."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.cases import case_view, channel_key_of, receive_case
from loopgate.errors import InvalidInput
from loopgate.http import json_response, resolver
from loopgate.models import CaseRequest
from loopgate.runtime import case_store, workflow
from loopgate.settings import settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = resolver(enable_validation=True)

idempotency = IdempotencyConfig(event_key_jmespath="idempotencyKey", payload_validation_jmespath="request",
                                expires_after_seconds=24 * 3600)
persistence = DynamoDBPersistenceLayer(table_name=settings().require("idempotency_table"))


@idempotent_function(data_keyword_argument="intake", config=idempotency, persistence_store=persistence)
def receive_once(intake: dict) -> dict:
    return receive_case(CaseRequest.model_validate(intake["request"]), case_store(), workflow(),
                        intake["channelKey"])


def _channel_key() -> str:
    """The API key that called: its id, as API Gateway gives it (never the key itself)."""
    identity = app.current_event.request_context.identity
    return channel_key_of(identity.api_key_id, identity.api_key)


@app.exception_handler(IdempotencyValidationError)
def _key_reused(exc: IdempotencyValidationError) -> Response:
    return json_response(422, {"error": "Idempotency-Key: already used with a different body",
                               "field": "Idempotency-Key"})


@app.exception_handler(IdempotencyAlreadyInProgressError)
def _in_progress(exc: IdempotencyAlreadyInProgressError) -> Response:
    return json_response(409, {"error": "a request with this Idempotency-Key is still being processed"})


@app.post("/cases")
@tracer.capture_method
def post_case(request: CaseRequest):
    key = app.current_event.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 255:
        raise InvalidInput("Idempotency-Key", "must be 1 to 255 characters")
    channel_key = _channel_key()
    if key:
        # Keys are the channel's own: two channels that pick the same key do not share a case.
        received = receive_once(intake={"idempotencyKey": f"{channel_key}:{key}", "channelKey": channel_key,
                                        "request": request.model_dump(mode="json")})
    else:
        received = receive_case(request, case_store(), workflow(), channel_key)
    logger.info("case received", extra={"caseId": received["caseId"], "journey": request.journey})
    metrics.add_metric(name="CasesReceived", unit=MetricUnit.Count, value=1)
    return json_response(202, received)


@app.get("/cases/<caseId>")
@tracer.capture_method
def get_case(caseId: str):
    return json_response(200, case_view(case_store(), caseId, _channel_key()))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    return app.resolve(event, context)
