"""Channel API: POST /cases (idempotent on Idempotency-Key), GET /cases/{caseId}, POST /interactions (QA)."""
from functools import cache
from importlib.resources import files

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

from loopgate.errors import InvalidInput
from loopgate.models import CaseRequest, InteractionRequest
from loopgate.usecases.intake import case_view, channel_key_of, receive_case
from loopgate.usecases.qa import receive_interaction
from loopgate.web.http import json_response, resolver
from loopgate.wiring import (
    EventSettings,
    StoreSettings,
    WorkflowSettings,
    case_store,
    event_bus,
    load_settings,
    workflow,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = resolver(enable_validation=True)

idempotency = IdempotencyConfig(event_key_jmespath="idempotencyKey", payload_validation_jmespath="request",
                                expires_after_seconds=24 * 3600)


class IntakeSettings(StoreSettings, WorkflowSettings, EventSettings):
    idempotency_table: str


SETTINGS = load_settings(IntakeSettings)
persistence = DynamoDBPersistenceLayer(table_name=SETTINGS.idempotency_table)
interaction_persistence = DynamoDBPersistenceLayer(table_name=SETTINGS.idempotency_table)


@idempotent_function(data_keyword_argument="intake", config=idempotency, persistence_store=persistence)
def receive_once(intake: dict) -> dict:
    return receive_case(CaseRequest.model_validate(intake["request"]), case_store(), workflow(),
                        intake["channelKey"], event_bus())


@idempotent_function(data_keyword_argument="intake", config=idempotency, persistence_store=interaction_persistence)
def receive_interaction_once(intake: dict) -> dict:
    return receive_interaction(InteractionRequest.model_validate(intake["request"]), case_store(),
                               intake["channelKey"])


def _idempotency_key() -> str | None:
    key = app.current_event.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 255:
        raise InvalidInput("Idempotency-Key", "must be 1 to 255 characters")
    return key


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
    key = _idempotency_key()
    channel_key = _channel_key()
    if key:
        # Keys are the channel's own: two channels that pick the same key do not share a case.
        received = receive_once(intake={"idempotencyKey": f"{channel_key}:{key}", "channelKey": channel_key,
                                        "request": request.model_dump(mode="json")})
    else:
        received = receive_case(request, case_store(), workflow(), channel_key, event_bus())
    logger.info("case received", extra={"caseId": received["caseId"], "journey": request.journey})
    metrics.add_metric(name="CasesReceived", unit=MetricUnit.Count, value=1)
    return json_response(202, received)


@app.post("/interactions")
@tracer.capture_method
def post_interaction(request: InteractionRequest):
    """A finished bot conversation with the bot's quality flags; the QA policy may sample it for QA."""
    key = _idempotency_key()
    channel_key = _channel_key()
    if key:
        # The key's own namespace: a key a channel used for a case does not answer for a conversation.
        received = receive_interaction_once(intake={"idempotencyKey": f"{channel_key}:interaction:{key}",
                                                    "channelKey": channel_key,
                                                    "request": request.model_dump(mode="json", by_alias=True)})
    else:
        received = receive_interaction(request, case_store(), channel_key)
    logger.info("interaction received", extra={"sampled": received["sampled"], "taskId": received.get("taskId")})
    metrics.add_metric(name="InteractionsReceived", unit=MetricUnit.Count, value=1)
    if received["sampled"]:
        metrics.add_metric(name="InteractionsSampled", unit=MetricUnit.Count, value=1)
    return json_response(202, received)


@app.get("/cases/<caseId>")
@tracer.capture_method
def get_case(caseId: str):
    return json_response(200, case_view(case_store(), caseId, _channel_key()))


@cache
def _openapi_document() -> str:
    # Read on first use, not at import: `make openapi` imports this module to write the file.
    return files("loopgate.web").joinpath("openapi.json").read_text(encoding="utf-8")


@app.get("/openapi.json")
def get_openapi():
    """The contract of all three APIs (channels, reviewers, customers), generated by `make openapi`."""
    return Response(status_code=200, content_type="application/json", body=_openapi_document(),
                    headers={"Cache-Control": "max-age=300"})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    return app.resolve(event, context)
