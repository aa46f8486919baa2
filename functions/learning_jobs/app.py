"""Learning jobs (hourly): the proposer looks for policy changes the memory supports; guardrails are checked."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.adapters.guardrail_metrics import count_trips
from loopgate.clock import now
from loopgate.usecases import guardrails, insights, proposals
from loopgate.wiring import StoreSettings, SupervisorSettings, case_store, load_settings, supervisor_alerts

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class LearningJobsSettings(StoreSettings, SupervisorSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(LearningJobsSettings)


def emit_figures(day: str) -> int:
    """Each journey's figures of the day so far as EMF, one document per journey with the dimension `journey` (the
    dashboard's widgets name it); EphemeralMetrics so the handler's own metrics keep their dimensions."""
    emitted = 0
    for journey, values in insights.day_metrics(case_store(), day).items():
        if not values:
            continue
        figures = EphemeralMetrics()
        figures.add_dimension(name="journey", value=journey)
        for name, unit, value in values:
            figures.add_metric(name=name, unit=unit, value=value)
        figures.flush_metrics()
        emitted += 1
    return emitted


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    # First: the figures do not depend on the proposer or the checks, and a failure there must not hide them.
    journeys = emit_figures(now().date().isoformat())
    proposed = proposals.run_proposer(case_store(), None)
    checked = guardrails.run_checks(case_store(), supervisor_alerts(), None)
    count_trips(checked["items"])
    # Every run reports how many proposals it made (a quiet run would leave the handler's metric set empty).
    metrics.add_metric(name="ProposalsMade", unit=MetricUnit.Count, value=len(proposed["items"]))
    logger.info("learning jobs ran", extra={"proposals": len(proposed["items"]), "guardrails": len(checked["items"]),
                                            "journeysMeasured": journeys})
    return {"proposals": len(proposed["items"]), "guardrails": len(checked["items"])}
