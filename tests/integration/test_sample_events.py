"""events/invoke holds what `sam local invoke -e` takes; each must work on its handler as it stands."""
import json
import uuid

from tests.helpers import load_event


def test_the_sample_events_drive_their_handlers(stack):
    post = load_event("invoke/post_case.json")
    post["headers"]["Idempotency-Key"] = uuid.uuid4().hex  # a fresh key: the sample's may be used already
    created = stack.engine.invoke("IntakeApiFunction", post)
    assert created["statusCode"] == 202, created["body"]
    case_id = json.loads(created["body"])["caseId"]

    get = load_event("invoke/get_case.json")
    get["pathParameters"]["caseId"] = case_id
    get["path"] = f"/cases/{case_id}"
    read = stack.engine.invoke("IntakeApiFunction", get)
    assert read["statusCode"] == 200 and json.loads(read["body"])["journey"] == "contract_change"

    listed = stack.engine.invoke("ReviewerApiFunction", load_event("invoke/list_reviews.json"))
    assert listed["statusCode"] == 200 and "items" in json.loads(listed["body"])

    scored = stack.engine.invoke("ScoreFunction", {**load_event("invoke/score.json"), "caseId": case_id})
    assert scored["plan"]["next"] == "review"
