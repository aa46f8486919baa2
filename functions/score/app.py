"""Score step (Step Functions task): signals, the matching journey rule, and the case's plan."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.models import WorkflowState
from loopgate.usecases.follow_ups import REOPEN_REASON, reopened_plan
from loopgate.usecases.scoring import score_case
from loopgate.wiring import JudgeSettings, StoreSettings, case_store, cloud_judge, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class ScoreSettings(StoreSettings, JudgeSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(ScoreSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    state = parse(event=event, model=WorkflowState)
    logger.append_keys(caseId=state.caseId)
    if (state.model_extra or {}).get("reopen") == REOPEN_REASON:  # a follow-up's "no": straight to a person
        result = reopened_plan(case_store(), state.caseId)
    else:
        result = score_case(case_store(), state.caseId, cloud_judge())
    plan = result["plan"]
    logger.info("case reopened" if plan.get("task") == "contact" and (state.model_extra or {}).get("reopen")
                else "case scored", extra={"next": plan["next"], "queue": plan["queue"]})
    metrics.add_metadata(key="journey", value=plan["journey"])
    metrics.add_metric(name="CasesScored", unit=MetricUnit.Count, value=1)
    return result
