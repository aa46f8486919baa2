"""Wiring for Lambda containers: boto3 clients and adapters, created once per container and lazily."""
from __future__ import annotations

from functools import lru_cache

import boto3

from .adapters.alerts import QueueAlerts
from .adapters.dynamo import CaseStore
from .adapters.messaging import CustomerMessenger
from .adapters.workflow import Workflow
from .settings import settings


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
