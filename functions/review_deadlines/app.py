"""Scheduled: warns each review queue about tasks close to their time limit."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.clock import now
from loopgate.policy.journeys import catalogue
from loopgate.usecases.deadlines import warn_due_reviews, watched_queues
from loopgate.wiring import AlertSettings, StoreSettings, case_store, load_settings, queue_alerts

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class ReviewDeadlinesSettings(StoreSettings, AlertSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(ReviewDeadlinesSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict:
    warned = warn_due_reviews(case_store(), queue_alerts(), watched_queues(catalogue()), now())
    if warned:
        logger.info("queues warned", extra={"tasks": len(warned)})
    metrics.add_metric(name="ReviewsDueSoon", unit=MetricUnit.Count, value=len(warned))
    return {"warned": warned}
