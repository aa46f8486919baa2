"""Reviewer API (Cognito-authorized): queues, claims, what a task shows, decisions, feedback, the override log."""
from pathlib import Path
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.models import ReviewDecision, ReviewFeedback
from loopgate.usecases.override_log import list_overrides
from loopgate.usecases.reviews import claim, decide, give_feedback, list_reviews, release, review_view
from loopgate.web.http import caller_of, json_response, page_response, resolver, signin_page, staff_page
from loopgate.wiring import EventSettings, StaffSettings, StoreSettings, case_store, event_bus, load_settings, workflow

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class ReviewerApiSettings(StoreSettings, StaffSettings, EventSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(ReviewerApiSettings)
app = resolver(enable_validation=True)

CONSOLE = staff_page(Path(__file__).parent / "console.html")


@app.get("/console")
def get_console():
    """The reviewer console: a static page that signs in through the stage's hosted UI and calls this API."""
    return page_response(signin_page(CONSOLE, app.current_event.stage_variables))


@app.get("/reviews")
@tracer.capture_method
def get_reviews(limit: Annotated[int, Query(ge=1, le=100)] = 25, cursor: Annotated[str | None, Query()] = None):
    return json_response(200, list_reviews(case_store(), caller_of(app), limit=limit, cursor=cursor))


@app.get("/reviews/<taskId>")
@tracer.capture_method
def get_review(taskId: str):
    return json_response(200, review_view(case_store(), caller_of(app), taskId))


@app.post("/reviews/<taskId>/claim")
@tracer.capture_method
def post_claim(taskId: str):
    return json_response(200, claim(case_store(), caller_of(app), taskId))


@app.post("/reviews/<taskId>/release")
@tracer.capture_method
def post_release(taskId: str):
    return json_response(200, release(case_store(), caller_of(app), taskId))


@app.post("/reviews/<taskId>/decision")
@tracer.capture_method
def post_decision(taskId: str, decision: ReviewDecision):
    caller = caller_of(app)
    # The bus: a failed QA score may open a follow-up case, published like any intake.
    result = decide(case_store(), workflow(), caller, taskId, decision, events=event_bus())
    logger.info("review decided", extra={"taskId": taskId, "action": decision.action, "reviewer": caller.sub,
                                         "status": result["status"]})
    metrics.add_metric(name="ReviewDecisions", unit=MetricUnit.Count, value=1)
    return json_response(200, result)


@app.post("/reviews/<taskId>/feedback")
@tracer.capture_method
def post_feedback(taskId: str, feedback: ReviewFeedback):
    return json_response(200, give_feedback(case_store(), caller_of(app), taskId, feedback))


@app.get("/overrides")
@tracer.capture_method
def get_overrides(journey: Annotated[str | None, Query()] = None, reviewer: Annotated[str | None, Query()] = None,
                  start: Annotated[str | None, Query(alias="from")] = None,
                  end: Annotated[str | None, Query(alias="to")] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: Annotated[str | None, Query()] = None):
    page = list_overrides(case_store(), caller_of(app).groups, journey=journey, reviewer=reviewer, start=start,
                          end=end, limit=limit, cursor=cursor)
    return json_response(200, page)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
