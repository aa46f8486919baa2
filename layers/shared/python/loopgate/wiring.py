"""Wiring for Lambda containers: settings from the environment and the adapters, created once and lazily.

The only module besides adapters/ that knows boto3.
"""
from __future__ import annotations

import os
from functools import cache, lru_cache
from typing import TypeVar

import boto3
from pydantic import BaseModel

from loopgate.adapters.alerts import QueueAlerts
from loopgate.adapters.dynamo import CaseStore
from loopgate.adapters.events import EventBus
from loopgate.adapters.messaging import CustomerMessenger
from loopgate.adapters.workflow import Workflow


# Each handler declares the settings it needs by combining these, and loads them when its module is imported:
# a variable missing from a function's environment fails the deploy's first invocation, not a customer's.
class StoreSettings(BaseModel):
    cases_table: str
    overrides_table: str


class WorkflowSettings(BaseModel):
    state_machine_arn: str


class MessengerSettings(BaseModel):
    sender_email: str
    public_base_url: str


class EventSettings(BaseModel):
    event_bus_name: str


class AlertSettings(BaseModel):
    queue_alerts_topic_arn: str


Settings = TypeVar("Settings", bound=BaseModel)


@cache
def load_settings(model: type[Settings]) -> Settings:
    """A settings model from the environment (field `cases_table` <- CASES_TABLE); raises naming what is missing."""
    values = {name: os.environ[name.upper()] for name in model.model_fields if os.environ.get(name.upper())}
    missing = [name.upper() for name, field in model.model_fields.items() if field.is_required() and name not in values]
    if missing:
        raise RuntimeError(f"environment variable(s) {', '.join(missing)} not set for this function")
    return model.model_validate(values)


@lru_cache(maxsize=1)
def case_store() -> CaseStore:
    config = load_settings(StoreSettings)
    return CaseStore(boto3.resource("dynamodb"), config.cases_table, config.overrides_table)


@lru_cache(maxsize=1)
def workflow() -> Workflow:
    """Starting executions needs the state machine's ARN; answering a task token does not."""
    arn = os.environ.get("STATE_MACHINE_ARN")
    return Workflow(boto3.client("stepfunctions"), load_settings(WorkflowSettings).state_machine_arn if arn else None)


@lru_cache(maxsize=1)
def messenger() -> CustomerMessenger:
    return CustomerMessenger(boto3.client("sesv2"), boto3.client("sns"), load_settings(MessengerSettings).sender_email)


@lru_cache(maxsize=1)
def queue_alerts() -> QueueAlerts:
    return QueueAlerts(boto3.client("sns"), load_settings(AlertSettings).queue_alerts_topic_arn)


@lru_cache(maxsize=1)
def event_bus() -> EventBus:
    return EventBus(boto3.client("events"), load_settings(EventSettings).event_bus_name)
