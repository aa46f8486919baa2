"""Record step: writes a decision, answer or timeout to the case and override log, and plans what is next."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.models import RecordInput
from loopgate.usecases.outcomes import record_outcome
from loopgate.wiring import SenderSettings, StoreSettings, case_store, load_settings, messenger

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class RecordOutcomeSettings(StoreSettings, SenderSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(RecordOutcomeSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    record = parse(event=event, model=RecordInput)
    logger.append_keys(caseId=record.state.caseId)
    result = record_outcome(case_store(), record.state.model_dump(), record.recordedAt, messenger())
    logger.info("outcome recorded", extra={"next": result["plan"]["next"]})
    metrics.add_metric(name="OutcomesRecorded", unit=MetricUnit.Count, value=1)
    return result
