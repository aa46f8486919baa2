"""Learning jobs (hourly): the proposer looks for policy changes the memory supports; guardrails are checked."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.adapters.guardrail_metrics import count_trips
from loopgate.usecases import guardrails, proposals
from loopgate.wiring import StoreSettings, SupervisorSettings, case_store, load_settings, supervisor_alerts

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class LearningJobsSettings(StoreSettings, SupervisorSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(LearningJobsSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    proposed = proposals.run_proposer(case_store(), None)
    checked = guardrails.run_checks(case_store(), supervisor_alerts(), None)
    count_trips(checked["items"])
    logger.info("learning jobs ran", extra={"proposals": len(proposed["items"]), "guardrails": len(checked["items"])})
    return {"proposals": len(proposed["items"]), "guardrails": len(checked["items"])}
