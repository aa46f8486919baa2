"""Reviewer API (Cognito-authorized): the queue, what a task shows, and the decision."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.http import caller_of, install_error_handlers, json_response
from loopgate.models import ReviewDecision
from loopgate.reviews import decide, list_reviews, review_view
from loopgate.runtime import case_store, workflow

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
install_error_handlers(app)


@app.get("/reviews")
@tracer.capture_method
def get_reviews():
    return json_response(200, {"items": list_reviews(case_store(), caller_of(app))})


@app.get("/reviews/<taskId>")
@tracer.capture_method
def get_review(taskId: str):
    return json_response(200, review_view(case_store(), caller_of(app), taskId))


@app.post("/reviews/<taskId>/decision")
@tracer.capture_method
def post_decision(taskId: str, decision: ReviewDecision):
    caller = caller_of(app)
    result = decide(case_store(), workflow(), caller, taskId, decision)
    logger.info("review decided", extra={"taskId": taskId, "action": decision.action, "reviewer": caller.sub})
    metrics.add_metric(name=f"Review{decision.action.capitalize()}", unit=MetricUnit.Count, value=1)
    return json_response(200, result)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
