"""Scheduled: asks customers whether their completed case solved it, and closes follow-ups nobody answered."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.usecases.follow_ups import run_follow_ups
from loopgate.wiring import MessengerSettings, StoreSettings, case_store, load_settings, messenger

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class FollowUpsSettings(StoreSettings, MessengerSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(FollowUpsSettings)
RESERVE_MILLIS = 20_000  # one follow-up (a few writes and a send, with the SDK's retries) fits well within this


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict:
    # Stops with a margin before the function's time runs out; what is left is still due at the next run.
    done = run_follow_ups(case_store(), messenger(), SETTINGS.public_base_url,
                          time_left=lambda: context.get_remaining_time_in_millis() > RESERVE_MILLIS)
    if done["asked"] or done["unanswered"]:
        logger.info("follow-ups", extra=done)
    metrics.add_metric(name="FollowUpsAsked", unit=MetricUnit.Count, value=done["asked"])
    return done
