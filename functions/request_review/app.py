"""Request-review step (waitForTaskToken): stores the token on a review task in the reviewer queue."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.models import TokenTaskInput
from loopgate.usecases.reviews import open_review
from loopgate.wiring import (
    EventSettings,
    SenderSettings,
    StoreSettings,
    case_store,
    event_bus,
    load_settings,
    messenger,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class RequestReviewSettings(StoreSettings, SenderSettings, EventSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(RequestReviewSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    task = parse(event=event, model=TokenTaskInput)
    logger.append_keys(caseId=task.state.caseId)
    opened = open_review(case_store(), task.state.model_dump(), task.taskToken, event_bus(), messenger())
    logger.info("review task opened", extra={"taskId": opened["taskId"], "new": opened["created"]})
    metrics.add_metric(name="ReviewsRequested", unit=MetricUnit.Count, value=1)
    return opened
