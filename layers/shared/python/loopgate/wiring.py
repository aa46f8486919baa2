"""Wiring for Lambda containers: settings from the environment and the adapters, created once and lazily.

The only module besides adapters/ that knows boto3.
"""
from __future__ import annotations

import os
from functools import cache, lru_cache
from typing import Literal, TypeVar

import boto3
from botocore.config import Config
from pydantic import BaseModel, Field, ValidationError, model_validator

from loopgate.adapters.alerts import QueueAlerts, SupervisorAlerts
from loopgate.adapters.dynamo import DEFAULT_RETENTION_DAYS, CaseStore
from loopgate.adapters.events import EventBus
from loopgate.adapters.judges import BUDGET_SECONDS, CombinedJudge, ComprehendJudge, GuardrailJudge
from loopgate.adapters.messaging import CustomerMessenger
from loopgate.adapters.sealing import DigestArchive, SealingTables
from loopgate.adapters.workflow import Workflow


# Each handler declares the settings it needs by combining these, and loads them when its module is imported:
# a variable missing from a function's environment fails the deploy's first invocation, not a customer's.
class StoreSettings(BaseModel):
    cases_table: str
    overrides_table: str
    retention_days: int = Field(default=DEFAULT_RETENTION_DAYS, gt=0)  # DynamoDB TTL of a case's items


class WorkflowSettings(BaseModel):
    state_machine_arn: str


class SenderSettings(BaseModel):
    sender_email: str
    reply_to_email: str | None = None  # where customers' email replies go (docs/messaging.md)
    # The SES configuration set that publishes bounces and complaints to the inbound function (docs/messaging.md).
    email_configuration_set: str | None = None


class MessengerSettings(SenderSettings):
    public_base_url: str


class EventSettings(BaseModel):
    event_bus_name: str


class AlertSettings(BaseModel):
    queue_alerts_topic_arn: str


class SupervisorSettings(BaseModel):
    supervisor_topic_arn: str


class EvidenceSettings(BaseModel):
    """Where the signed daily digests of the evidence chains go, and the KMS key that signs them."""

    evidence_bucket: str
    digest_key_id: str


class JudgeSettings(BaseModel):
    """Which cloud judges score cases besides the deterministic ones: `local` means none."""

    judges: Literal["local", "comprehend", "guardrail", "comprehend+guardrail"] = "local"
    guardrail_id: str | None = None
    guardrail_version: str | None = None

    @model_validator(mode="after")
    def _guardrail_named(self) -> JudgeSettings:
        if "guardrail" in self.judges and not (self.guardrail_id and self.guardrail_version):
            raise ValueError(f"JUDGES={self.judges} needs GUARDRAIL_ID and GUARDRAIL_VERSION")
        return self


class StaffSettings(BaseModel):
    """Whether leads and supervisors must sign in with an authenticator app (the StaffMfa parameter)."""

    staff_mfa: Literal["leads-and-supervisors", "optional"]


Settings = TypeVar("Settings", bound=BaseModel)


@cache
def load_settings(model: type[Settings]) -> Settings:
    """A settings model from the environment (field `cases_table` <- CASES_TABLE); raises naming what is missing."""
    values = {name: os.environ[name.upper()] for name in model.model_fields if os.environ.get(name.upper())}
    missing = [name.upper() for name, field in model.model_fields.items() if field.is_required() and name not in values]
    if missing:
        raise RuntimeError(f"environment variable(s) {', '.join(missing)} not set for this function")
    try:
        return model.model_validate(values)
    except ValidationError as exc:  # name the variables, as a deploy's operator sets them
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']).upper() or model.__name__}: {e['msg']}"
                             for e in exc.errors())
        raise RuntimeError(f"environment variable(s) not valid for this function: {problems}") from None


@lru_cache(maxsize=1)
def case_store() -> CaseStore:
    config = load_settings(StoreSettings)
    return CaseStore(boto3.resource("dynamodb"), config.cases_table, config.overrides_table, config.retention_days)


@lru_cache(maxsize=1)
def workflow() -> Workflow:
    """Starting executions needs the state machine's ARN; answering a task token does not."""
    arn = os.environ.get("STATE_MACHINE_ARN")
    return Workflow(boto3.client("stepfunctions"), load_settings(WorkflowSettings).state_machine_arn if arn else None)


@lru_cache(maxsize=1)
def messenger() -> CustomerMessenger:
    # Functions that only tell the customer something (a contact's promise) send no link: no base URL needed.
    config = load_settings(SenderSettings)
    return CustomerMessenger(boto3.client("sesv2"), boto3.client("sns"), config.sender_email, config.reply_to_email,
                             config.email_configuration_set)


@lru_cache(maxsize=1)
def queue_alerts() -> QueueAlerts:
    return QueueAlerts(boto3.client("sns"), load_settings(AlertSettings).queue_alerts_topic_arn)


@lru_cache(maxsize=1)
def supervisor_alerts() -> SupervisorAlerts:
    return SupervisorAlerts(boto3.client("sns"), load_settings(SupervisorSettings).supervisor_topic_arn)


# Each call gives up well inside the per-case budget; one retry (standard mode, with backoff) absorbs a blip.
JUDGE_CLIENT_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 2, "mode": "standard"})


@lru_cache(maxsize=1)
def cloud_judge() -> CombinedJudge | None:
    """The cloud judges JUDGES selects, within BUDGET_SECONDS per case; None keeps the deterministic ones alone."""
    config = load_settings(JudgeSettings)
    judges = []
    if "comprehend" in config.judges:
        judges.append(ComprehendJudge(boto3.client("comprehend", config=JUDGE_CLIENT_CONFIG)))
    if "guardrail" in config.judges:
        judges.append(GuardrailJudge(boto3.client("bedrock-runtime", config=JUDGE_CLIENT_CONFIG),
                                     config.guardrail_id, config.guardrail_version))
    return CombinedJudge(judges, BUDGET_SECONDS) if judges else None


@lru_cache(maxsize=1)
def event_bus() -> EventBus:
    return EventBus(boto3.client("events"), load_settings(EventSettings).event_bus_name)


@lru_cache(maxsize=1)
def cognito_idp():
    return boto3.client("cognito-idp")


def sealing_tables() -> SealingTables:
    return SealingTables(case_store())


@lru_cache(maxsize=1)
def digest_archive() -> DigestArchive:
    config = load_settings(EvidenceSettings)
    return DigestArchive(boto3.client("s3"), boto3.client("kms"), config.evidence_bucket, config.digest_key_id)
