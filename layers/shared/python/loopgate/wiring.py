"""Wiring for Lambda containers: settings from the environment and the adapters, created once and lazily.

The only module besides adapters/ that knows boto3.
"""
from __future__ import annotations

import os
from functools import lru_cache

import boto3
from pydantic import BaseModel

from loopgate.adapters.alerts import QueueAlerts
from loopgate.adapters.dynamo import CaseStore
from loopgate.adapters.messaging import CustomerMessenger
from loopgate.adapters.workflow import Workflow


class Settings(BaseModel):
    cases_table: str
    overrides_table: str
    idempotency_table: str | None = None
    state_machine_arn: str | None = None
    public_base_url: str | None = None
    sender_email: str | None = None
    queue_alerts_topic_arn: str | None = None

    def require(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise RuntimeError(f"environment variable {name.upper()} is not set for this function")
        return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.model_validate({name: os.environ.get(name.upper()) for name in Settings.model_fields})


@lru_cache(maxsize=1)
def case_store() -> CaseStore:
    config = settings()
    return CaseStore(boto3.resource("dynamodb"), config.cases_table, config.overrides_table)


@lru_cache(maxsize=1)
def workflow() -> Workflow:
    return Workflow(boto3.client("stepfunctions"), settings().state_machine_arn)


@lru_cache(maxsize=1)
def messenger() -> CustomerMessenger:
    return CustomerMessenger(boto3.client("sesv2"), boto3.client("sns"), settings().require("sender_email"))


@lru_cache(maxsize=1)
def queue_alerts() -> QueueAlerts:
    return QueueAlerts(boto3.client("sns"), settings().require("queue_alerts_topic_arn"))
