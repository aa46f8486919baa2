"""Request-customer step (waitForTaskToken): a single-use link to the customer by email or SMS."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.models import TokenTaskInput
from loopgate.usecases.customer_steps import open_customer_step
from loopgate.wiring import (
    EventSettings,
    MessengerSettings,
    StoreSettings,
    case_store,
    event_bus,
    load_settings,
    messenger,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class RequestCustomerSettings(StoreSettings, MessengerSettings, EventSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(RequestCustomerSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    task = parse(event=event, model=TokenTaskInput)
    logger.append_keys(caseId=task.state.caseId)
    sent = open_customer_step(case_store(), messenger(), task.state.model_dump(), task.taskToken,
                              SETTINGS.public_base_url, event_bus())
    logger.info("customer asked", extra={"channel": sent["channel"]})
    metrics.add_metric(name="CustomerRequests", unit=MetricUnit.Count, value=1)
    return sent
