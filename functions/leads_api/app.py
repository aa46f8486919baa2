"""Leads API (Cognito-authorized, group `leads`): insights, learned policy proposals, policy versions, guardrails."""
from html import escape
from pathlib import Path
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.adapters.guardrail_metrics import count_trips
from loopgate.models import ErasureRequest, GuardrailReset, PolicyRollback, ProposalDecision
from loopgate.policy.journeys import catalogue
from loopgate.usecases import erasure, guardrails, insights, proposals
from loopgate.web.http import caller_of, json_response, page_response, resolver, signin_page, staff_page
from loopgate.wiring import (
    StaffSettings,
    StoreSettings,
    SupervisorSettings,
    case_store,
    load_settings,
    supervisor_alerts,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class LeadsApiSettings(StoreSettings, SupervisorSettings, StaffSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(LeadsApiSettings)
app = resolver(enable_validation=True)

# The journeys are known when the container starts: the page offers them without a call of its own.
JOURNEY_OPTIONS = "".join(f'<option value="{escape(name)}">{escape(name)}</option>' for name in sorted(catalogue()))
LEADS_PAGE = staff_page(Path(__file__).parent / "leads.html").replace("<!--JOURNEYS-->",
                                                                                       JOURNEY_OPTIONS)


@app.get("/leads")
def get_leads_page():
    """The leads' page: a static page that signs in as the reviewer console does and calls this API."""
    return page_response(signin_page(LEADS_PAGE, app.current_event.stage_variables))


@app.post("/customers/<customerId>/erasure")
@tracer.capture_method
def post_erasure(customerId: str, request: ErasureRequest):
    result = erasure.erase_customer(case_store(), caller_of(app), customerId, request.reason)
    # The pseudonym, never the customer id: logs are kept and read more widely than the tables.
    logger.info("customer data erased", extra={"pseudonym": result["pseudonym"], "cases": len(result["erased"]),
                                               "interactions": len(result["erasedInteractions"]),
                                               "skipped": len(result["skipped"])})
    return json_response(200, result)


@app.get("/insights")
@tracer.capture_method
def get_insights(journey: Annotated[str, Query()], start: Annotated[str | None, Query(alias="from")] = None,
                 end: Annotated[str | None, Query(alias="to")] = None,
                 by: Annotated[str | None, Query(pattern="^(rule|signal|slice|queue|reviewer)$")] = None):
    return json_response(200, insights.insights(case_store(), caller_of(app), journey=journey, start=start, end=end,
                                                by=by))


@app.get("/learning/proposals")
@tracer.capture_method
def get_proposals(journey: Annotated[str | None, Query()] = None, status: Annotated[str | None, Query()] = None):
    return json_response(200, proposals.list_proposals(case_store(), caller_of(app), journey=journey, status=status))


@app.post("/learning/runs")
@tracer.capture_method
def post_learning_run():
    return json_response(200, proposals.run_proposer(case_store(), caller_of(app)))


@app.post("/learning/proposals/<proposalId>/decision")
@tracer.capture_method
def post_proposal_decision(proposalId: str, decision: ProposalDecision):
    result = proposals.decide_proposal(case_store(), caller_of(app), proposalId, decision)
    logger.info("proposal decided", extra={"proposalId": proposalId, "action": decision.action})
    return json_response(200, result)


@app.get("/policies/<journey>")
@tracer.capture_method
def get_policy(journey: str):
    return json_response(200, proposals.policy_view(case_store(), caller_of(app), journey))


@app.post("/policies/<journey>/rollback")
@tracer.capture_method
def post_rollback(journey: str, rollback: PolicyRollback):
    result = proposals.rollback(case_store(), caller_of(app), journey, rollback)
    logger.info("policy rolled back", extra={"journey": journey, "toVersion": rollback.version})
    return json_response(200, result)


@app.get("/guardrails")
@tracer.capture_method
def get_guardrails():
    return json_response(200, guardrails.list_guardrails(case_store(), caller_of(app)))


@app.post("/guardrails/runs")
@tracer.capture_method
def post_guardrail_run():
    checked = guardrails.run_checks(case_store(), supervisor_alerts(), caller_of(app))
    count_trips(checked["items"])
    return json_response(200, checked)


@app.post("/guardrails/<journey>/<name>/reset")
@tracer.capture_method
def post_guardrail_reset(journey: str, name: str, reset: GuardrailReset):
    result = guardrails.reset(case_store(), caller_of(app), journey, name, reset)
    logger.info("guardrail reset", extra={"journey": journey, "guardrail": name})
    return json_response(200, result)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
