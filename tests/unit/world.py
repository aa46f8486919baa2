"""The domain in one process, without the state machine: DynamoDB tables made from template.yaml on moto, a
clock the test sets, and fakes for the workflow's task tokens and the customer messenger.

The use cases run as the Lambdas run them; `World` plays the state machine's part (score, wait on a token,
record what the wait ended with), so a test can interleave people, retries and timeouts at will.
"""
from __future__ import annotations

import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from local.template import Template, load_template
from loopgate.adapters.dynamo import CaseStore
from loopgate.adapters.events import status_changed_detail
from loopgate.adapters.messaging import Delivery
from loopgate.clock import iso
from loopgate.errors import Conflict, DeliveryFailed
from loopgate.models import CaseRequest, Plan
from loopgate.usecases.customer_steps import open_customer_step
from loopgate.usecases.intake import receive_case
from loopgate.usecases.outcomes import record_outcome
from loopgate.usecases.reviews import open_review
from loopgate.usecases.scoring import score_case

START = datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)
PUBLIC_URL = "https://loopgate.test"


class FakeClock:
    """Stands still until the test moves it: expiry boundaries are hit to the second."""

    def __init__(self, moment: datetime = START):
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def epoch(self) -> int:
        return int(self.moment.timestamp())

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)

    def set_epoch(self, seconds: int) -> None:
        self.moment = datetime.fromtimestamp(seconds, tz=UTC)


@dataclass
class Wait:
    deadline: int
    outcome: dict[str, Any] | None = None
    timed_out: bool = False


class FakeWorkflow:
    """Step Functions' task tokens in memory, with the real adapter's contract: a live wait takes one
    outcome; a second resume, or a resume after the wait timed out, raises Conflict."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.waits: dict[str, Wait] = {}
        self.started: list[str] = []
        self.reopened: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def start(self, case_id: str, journey: str) -> str:
        self.started.append(case_id)
        return f"arn:aws:states:us-east-1:123456789012:execution:case:{case_id}"

    def reopen(self, case_id: str, journey: str, reason: str) -> str:
        """A completed case's new execution (a follow-up's "no"): once per case, as its name makes it on AWS."""
        if (case_id, reason) not in self.reopened:
            self.reopened.append((case_id, reason))
        return f"arn:aws:states:us-east-1:123456789012:execution:case:{case_id}-followup"

    def wait(self, seconds: int) -> str:
        """A waitForTaskToken state is entered: a new token, live for `seconds`."""
        token = secrets.token_urlsafe(24)
        self.waits[token] = Wait(deadline=self.clock.epoch() + seconds)
        return token

    def time_out(self, token: str) -> dict[str, Any]:
        """The wait ran out: the token is dead, and the state's Catch hands this to the record step."""
        with self._lock:
            self.waits[token].timed_out = True
        return {"Error": "States.Timeout", "Cause": "the task timed out"}

    def resume(self, task_token: str, output: dict[str, Any]) -> None:
        received = json.loads(json.dumps(output))  # what SendTaskSuccess carries is JSON
        with self._lock:
            wait = self.waits.get(task_token)
            if (wait is None or wait.outcome is not None or wait.timed_out
                    or self.clock.epoch() >= wait.deadline):
                raise Conflict("the workflow is no longer waiting for this answer")
            wait.outcome = received

    def fail(self, task_token: str, error: str, cause: str) -> None:
        with self._lock:
            wait = self.waits.get(task_token)
            if (wait is None or wait.outcome is not None or wait.timed_out
                    or self.clock.epoch() >= wait.deadline):
                raise Conflict("the workflow is no longer waiting for this step")
            wait.outcome = {"Error": error, "Cause": cause}

    def outcome(self, token: str) -> dict[str, Any] | None:
        return self.waits[token].outcome


class FakeMessenger:
    """Keeps what would have gone out; the customer's link is in each message."""

    def __init__(self):
        self.sent: list[dict[str, Any]] = []

    def send(self, *, email, phone, message, prefer="email", tags=None) -> Delivery:
        channel = "email" if email and (prefer == "email" or not phone) else "sms" if phone else None
        if channel is None:
            raise DeliveryFailed("the customer has neither email nor phone")
        message_id = f"{channel}-{uuid.uuid4().hex}"
        self.sent.append({"email": email, "phone": phone, "message": message, "prefer": prefer, "tags": tags,
                          "channel": channel, "messageId": message_id})
        return Delivery(channel=channel, attempts=[f"{channel}:sent"], message_id=message_id)

    def last_link_id(self) -> str:
        text = self.sent[-1]["message"].text
        return text.split(f"{PUBLIC_URL}/c/", 1)[1].split()[0]


@lru_cache(maxsize=1)
def _table_specs() -> tuple[list[tuple[str, dict[str, Any]]], dict[str, str]]:
    """template.yaml's tables (keys and indexes as declared) and which environment variable names each."""
    template = Template(load_template())
    specs = []
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        props = template.resolve(resource["Properties"])
        spec = {"KeySchema": props["KeySchema"], "AttributeDefinitions": props["AttributeDefinitions"],
                "BillingMode": "PAY_PER_REQUEST"}
        if props.get("GlobalSecondaryIndexes"):
            spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        specs.append((logical_id, spec))
    env = template.data["Globals"]["Function"]["Environment"]["Variables"]
    return specs, {k: v["Ref"] for k, v in env.items() if k.endswith("_TABLE")}


def create_tables(dynamodb_client, prefix: str) -> tuple[dict[str, str], list[str]]:
    """Creates template.yaml's tables as `prefix`-<logical id>.

    Returns the functions' table environment (CASES_TABLE, ...) pointing at them, and every table made.
    """
    specs, env = _table_specs()
    made = {}
    for logical_id, spec in specs:
        made[logical_id] = f"{prefix}-{logical_id}"
        dynamodb_client.create_table(TableName=made[logical_id], **spec)
    return {variable: made[logical_id] for variable, logical_id in env.items()}, list(made.values())


@dataclass
class Review:
    """A review the workflow waits on: the task reviewers see and the token behind it."""

    state: dict[str, Any]
    task_id: str
    token: str

    @property
    def case_id(self) -> str:
        return self.state["caseId"]


class FakeEventBus:
    """Keeps what was published, as the bus's subscribers would see it."""

    def __init__(self):
        self.published: list[dict[str, Any]] = []

    def status_changed(self, case_id, journey, from_status, to, at) -> None:
        self.published.append(status_changed_detail(case_id, journey, from_status, to, at))


@dataclass
class World:
    store: CaseStore
    clock: FakeClock
    workflow: FakeWorkflow
    messenger: FakeMessenger = field(default_factory=FakeMessenger)
    events: FakeEventBus = field(default_factory=FakeEventBus)

    def new_case(self, request: dict[str, Any]) -> dict[str, Any]:
        """A channel posts a case and the score step plans it: the workflow's state after Score."""
        case_id = receive_case(CaseRequest.model_validate(request), self.store, self.workflow, "channel-key",
                               self.events)["caseId"]
        return score_case(self.store, case_id)

    def wait_for_review(self, state: dict[str, Any]) -> Review:
        """RequestReview: a token for the review wait, and the task that holds it."""
        plan = Plan.model_validate(state["plan"])
        token = self.workflow.wait(plan.limits.reviewSeconds)
        task_id = open_review(self.store, state, token, self.events, self.messenger)["taskId"]
        return Review(state, task_id, token)

    def wait_for_customer(self, state: dict[str, Any]) -> tuple[str, str]:
        """RequestCustomer: a token for the customer wait and the link the customer got."""
        plan = Plan.model_validate(state["plan"])
        token = self.workflow.wait(plan.limits.customerSeconds)
        open_customer_step(self.store, self.messenger, state, token, PUBLIC_URL, self.events)
        return token, self.messenger.last_link_id()

    def record(self, state: dict[str, Any], outcome: dict[str, Any], recorded_at: str | None = None) -> dict:
        """RecordOutcome, given what the wait ended with; `recorded_at` as the workflow's EnteredTime."""
        return record_outcome(self.store, {**state, "outcome": outcome}, recorded_at or iso(self.clock.now()),
                              self.messenger)

    def overrides(self, case_id: str) -> list[dict[str, Any]]:
        return self.store.overrides_for_case(case_id)


def refund_request(amount: float, proposed: float | None = None, confidence: float = 0.95) -> dict[str, Any]:
    """A refund case as a channel posts it; `proposed` is what the AI would pay (the asked amount if None)."""
    return {
        "journey": "refund", "channel": "portal",
        "customer": {"id": f"cust-{uuid.uuid4().hex[:8]}", "email": "noor@example.com"},
        "payload": {"orderNumber": "O-1200", "amount": amount},
        "ai": {"proposal": {"action": "refund", "amount": amount if proposed is None else proposed,
                            "currency": "EUR"}, "confidence": confidence},
    }
