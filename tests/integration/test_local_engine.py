"""The local engine behaves as AWS does where the application depends on it: task tokens, API keys, HTTP."""
import json
import logging
import os
import threading
import time
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from local.engine import api_key_id
from loopgate.clock import parse_iso
from tests.helpers import body

from .stack import API_KEY, OTHER_API_KEY


def _wait_until(condition, timeout: float = 10, what: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def token_machine(stack):
    """A real state machine whose task hands its token to a queue and waits for it, then lingers in a Wait either
    way, so the execution is still RUNNING when a late callback arrives (as a case is, escalating)."""
    sqs, sfn = stack.engine.client("sqs"), stack.engine.client("stepfunctions")
    name = f"tokens-{uuid.uuid4().hex[:8]}"
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    definition = {"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
                "TimeoutSecondsPath": "$.timeout", "ResultPath": "$.answer",
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timedOut", "Next": "Linger"}],
                "Next": "Linger"},
        "Linger": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                   roleArn="arn:aws:iam::123456789012:role/loopgate-local")["stateMachineArn"]
    started: list[str] = []

    def start(timeout_seconds: int) -> tuple[str, str]:
        execution = sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex,
                                        input=json.dumps({"timeout": timeout_seconds}))["executionArn"]
        started.append(execution)
        message = _wait_until(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"), what="the token")[0]
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        return execution, json.loads(message["Body"])["token"]

    yield start
    for execution in started:
        if sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
            sfn.stop_execution(executionArn=execution)


def _entered(stack, execution: str, state: str) -> dict | None:
    """The input the state was entered with, once it was."""
    events = stack.engine.client("stepfunctions").get_execution_history(executionArn=execution)["events"]
    entered = [e["stateEnteredEventDetails"] for e in events if "stateEnteredEventDetails" in e]
    return next((json.loads(e["input"]) for e in entered if e["name"] == state), None)


def test_a_callback_after_the_timeout_fails_with_task_timed_out(stack, token_machine):
    sfn = stack.engine.client("stepfunctions")
    execution, token = token_machine(1)  # at the suite's time scale: 50 ms
    _wait_until(lambda: _entered(stack, execution, "Linger"), what="the timeout path")

    with pytest.raises(ClientError) as late:
        sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    assert late.value.response["Error"]["Code"] == "TaskTimedOut"
    with pytest.raises(ClientError) as late_failure:
        sfn.send_task_failure(taskToken=token, error="Rejected")
    assert late_failure.value.response["Error"]["Code"] == "TaskTimedOut"
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"  # still lingering: not a lost run


def test_a_callback_before_the_timeout_wins_and_a_second_one_is_refused(stack, token_machine):
    sfn = stack.engine.client("stepfunctions")
    execution, token = token_machine(3600)

    sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    with pytest.raises(ClientError) as again:
        sfn.send_task_success(taskToken=token, output=json.dumps({"approved": False}))
    assert again.value.response["Error"]["Code"] == "TaskTimedOut"

    went_on = _wait_until(lambda: _entered(stack, execution, "Linger"), what="the next state")
    assert went_on["answer"] == {"approved": True} and "timedOut" not in went_on


def test_decisions_at_the_review_deadline_are_either_followed_or_refused(stack, time_scale):
    """A reviewer told 200 sees the case go on with the approval; one told 409 sees it escalate: never 200-then-lost."""
    scale = 0.00025  # contract_change allows 14400 s per review: 3.6 s here, time to see the task open under load
    time_scale(scale)
    reviewer = stack.token(f"edge-{uuid.uuid4().hex[:6]}", ["reviewers"])
    # Aimed around the deadline, through the instant the workflow's timer fires; a few at a time, so that the
    # aim is not lost in the latency of many cases at once.
    offsets = [-0.25 + 0.35 * i / 7 for i in range(8)]
    answers: list[tuple[str, str, int | str]] = []

    def decide_at(offset: float) -> None:
        case_id = stack.new_case(body("contract_change_low_confidence.json"))
        try:
            task = stack.task_for(reviewer, case_id)
        except AssertionError as error:
            answers.append((case_id, "", repr(error)))
            return
        left = (parse_iso(task["dueAt"]).timestamp() - stack.engine.clock.time()) * scale
        time.sleep(max(0.0, left + offset))  # the moment is the point of this test
        answers.append((case_id, task["taskId"], stack.decide(reviewer, task["taskId"], {"action": "approve"})
                        .status_code))

    for batch in (offsets[i::2] for i in range(2)):  # four at a time: two review windows, not four
        threads = [threading.Thread(target=decide_at, args=(offset,)) for offset in batch]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(answers) == len(offsets)
    for case_id, task_id, code in answers:
        assert code in (200, 409), (case_id, code)

        def first_outcome(case_id=case_id, task_id=task_id):
            case = stack.case(case_id)
            for event in case["timeline"]:
                if event["type"] == "review_approve" and event["detail"].get("taskId") == task_id:
                    return "approved", case
                if event["type"] == "review_escalated":
                    return "escalated", case
            return None

        outcome, case = _wait_until(first_outcome, timeout=30, what=f"the outcome of {case_id}")
        if code == 200:
            assert outcome == "approved", f"{case_id}: answered 200, then escalated without the approval"
        else:
            assert outcome == "escalated", f"{case_id}: answered 409, yet the approval went ahead"
            # Refused before it reached the workflow (the timeout closed the task first) it is only logged; taken
            # and then refused by the workflow (TaskTimedOut) it is on the timeline once.
            late = [e for e in case["timeline"] if e["type"] == "late_decision"]
            assert [e["detail"]["taskId"] for e in late] in ([], [task_id])


def test_every_log_line_names_the_function_that_wrote_it(stack):
    """Handlers running at once each log under their own name, as in their own Lambda containers."""
    writers = {"case received": "IntakeApiFunction", "case scored": "ScoreFunction",
               "review task opened": "RequestReviewFunction"}
    for logical_id in writers.values():
        stack.engine.handler_module(logical_id)  # their Loggers set up the service's handler on import
    service = logging.getLogger(os.environ["POWERTOOLS_SERVICE_NAME"])
    formatter = next(h.formatter for h in service.handlers if h.formatter)  # Powertools' own JSON formatter
    lines: list[dict] = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(formatter.format(record)))

    capture = Capture()
    service.addHandler(capture)
    try:
        case_ids: list[str] = []
        threads = [threading.Thread(target=lambda: case_ids.append(
            stack.new_case(body("contract_change_low_confidence.json")))) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for case_id in case_ids:
            stack.wait_for(case_id, "AWAITING_REVIEW")
        _wait_until(lambda: sum(line["message"] == "review task opened" for line in lines) >= len(case_ids),
                    what="every review task's log line")
    finally:
        service.removeHandler(capture)

    names = {message: stack.engine.template.physical[logical_id]["Ref"] for message, logical_id in writers.items()}
    logged = [(line["message"], line.get("function_name")) for line in lines if line["message"] in writers]
    assert {message for message, _ in logged} == set(writers)
    assert [(m, f) for m, f in logged if f != names[m]] == []


def test_each_channel_key_is_let_in_and_handed_on_with_its_own_key_id(stack, monkeypatch):
    identities: list[dict] = []
    invoke = stack.engine.invoke

    def recording(logical_id, event):
        if logical_id == "IntakeApiFunction":
            identities.append(event["requestContext"]["identity"])
        return invoke(logical_id, event)

    monkeypatch.setattr(stack.engine, "invoke", recording)
    assert stack.post_case(body("identity_verification_clear.json"), api_key="not-a-key").status_code == 403
    for key in (API_KEY, OTHER_API_KEY):
        assert stack.post_case(body("identity_verification_clear.json"), api_key=key).status_code == 202

    assert [i["apiKey"] for i in identities] == [API_KEY, OTHER_API_KEY]
    ids = [i["apiKeyId"] for i in identities]
    assert len(set(ids)) == 2 and all(isinstance(i, str) and len(i) == 10 for i in ids)
    assert ids == [api_key_id(API_KEY), api_key_id(OTHER_API_KEY)]  # the same on every start of the stack


def test_a_body_that_is_not_utf8_is_answered_with_the_field(stack):
    answer = requests.post(f"{stack.url}/cases", data=b'{"journey": "\xff\xfe"}',
                           headers={"x-api-key": API_KEY, "Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 400
    assert answer.json() == {"error": "(body): must be UTF-8 text", "field": "(body)"}


def test_a_burst_of_150_requests_is_answered_in_full(stack):
    barrier, answers = threading.Barrier(150), []

    def ask():
        barrier.wait()
        try:
            answers.append(requests.options(f"{stack.url}/cases", timeout=10).status_code)
        except requests.RequestException as error:
            answers.append(type(error).__name__)

    threads = [threading.Thread(target=ask) for _ in range(150)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [204] * 150


def test_head_answers_as_get_without_a_body(stack):
    get = requests.get(f"{stack.url}/cases/nope", headers={"x-api-key": API_KEY}, timeout=10)
    head = requests.head(f"{stack.url}/cases/nope", headers={"x-api-key": API_KEY}, timeout=10)
    assert head.status_code == get.status_code == 404  # the function's answer: no such case
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["Content-Length"] == str(len(get.content)) and head.content == b""
    assert requests.head(f"{stack.url}/cases", headers={"x-api-key": API_KEY}, timeout=10).status_code == 405
    assert requests.head(f"{stack.url}/_local/outbox", timeout=10).status_code == 200


def test_options_lists_the_methods_of_a_path(stack):
    cases = requests.options(f"{stack.url}/cases", timeout=10)
    assert cases.status_code == 204 and cases.headers["Allow"] == "OPTIONS, POST"
    case = requests.options(f"{stack.url}/cases/case-1", timeout=10)
    assert case.status_code == 204 and case.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert requests.options(f"{stack.url}/_local/token", timeout=10).headers["Allow"] == "OPTIONS, POST"
    assert requests.options(f"{stack.url}/no/such/path", timeout=10).status_code == 404


def test_the_learning_jobs_wait_for_the_tests_that_call_them(stack):
    """Every 3.6 s of scaled time they would trip guardrails on other tests' cases."""
    running = {thread.name for thread in stack.engine._schedules}
    assert "schedule-ReviewDeadlinesFunction" in running
    assert "schedule-LearningJobsFunction" not in running


def test_no_metric_is_kept_between_invocations(stack):
    """Metrics are disabled locally, so Powertools would keep every data point of a long session in memory."""
    from aws_lambda_powertools import Metrics

    stack.new_case(body("refund_small.json"))
    assert Metrics().metric_set == {}


def test_the_outbox_is_read_from_where_a_poller_left_off(stack):
    """A poller (the chaos bench's customers) asks for what is new; re-reading every message of a long run each
    time made the run quadratic."""
    sent = body("delivery_update.json", id=f"outbox-{uuid.uuid4().hex[:8]}")
    stack.new_case(sent)
    stack.link_for(sent["customer"]["phone"])  # at least one message
    # Other tests share this stack and may send meanwhile: what came later is only ever after what was read.
    everything = requests.get(f"{stack.url}/_local/outbox", timeout=10).json()
    later = requests.get(f"{stack.url}/_local/outbox", params={"since": everything["next"]}, timeout=10).json()
    assert everything["next"] == len(everything["items"]) > 0
    assert later["next"] == everything["next"] + len(later["items"])
    last = requests.get(f"{stack.url}/_local/outbox", params={"since": everything["next"] - 1}, timeout=10).json()
    assert last["items"][0] == everything["items"][-1] and last["items"][1:] == later["items"][:len(last["items"]) - 1]
    refused = requests.get(f"{stack.url}/_local/outbox", params={"since": "-1"}, timeout=10)
    assert refused.status_code == 400 and refused.json()["field"] == "since"
