"""The domain's types: what a channel posts, what a case is, and what the workflow carries."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from loopgate import roles


class CaseStatus(StrEnum):
    RECEIVED = "RECEIVED"
    AWAITING_REVIEW = "AWAITING_REVIEW"
    AWAITING_CUSTOMER = "AWAITING_CUSTOMER"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"


Route = Literal["auto", "customer", "human", "human_then_customer"]


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164")
    name: str | None = Field(default=None, max_length=200)
    locale: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    preferredChannel: Literal["email", "sms"] | None = None
    timeZone: str | None = Field(default=None, max_length=64, description="IANA zone, e.g. Europe/Berlin: times "
                                 "told to the customer are in it (default: by locale, else UTC).")

    @field_validator("timeZone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {zone!r} (an IANA name, e.g. Europe/Berlin)") from None
        return zone


class AiProposal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    proposal: Proposal
    confidence: float = Field(ge=0, le=1, strict=True)
    draft: str | None = Field(default=None, max_length=20_000)

    @field_validator("proposal")
    @classmethod
    def _amount_is_a_number(cls, proposal: dict[str, Any]) -> dict[str, Any]:
        # Authority is checked against the amount a decision commits: it must be one.
        amount = proposal.get("amount")
        if "amount" in proposal and (not isinstance(amount, (int, float)) or isinstance(amount, bool)):
            raise ValueError("amount must be a number")
        return proposal


def _at_most(limit: int) -> Callable[[Any], Any]:
    """A JSON value no larger than `limit` bytes: a case item must stay under DynamoDB's 400 KB."""
    def check(value: Any) -> Any:
        if len(json.dumps(value, ensure_ascii=False).encode()) > limit:
            raise ValueError(f"is larger than {limit // 1024} KB")
        return value
    return check


Payload = Annotated[dict[str, Any], AfterValidator(_at_most(100 * 1024))]
Proposal = Annotated[dict[str, Any], AfterValidator(_at_most(50 * 1024))]


def _known_journeys(schema: dict[str, Any]) -> None:
    """The contract lists the catalogue's journeys (the check itself names the unknown one in its error)."""
    from loopgate.policy.journeys import catalogue  # journeys build on these models

    schema["enum"] = sorted(catalogue())


class CaseRequest(BaseModel):
    """The body of POST /cases."""

    model_config = ConfigDict(extra="forbid")

    journey: str = Field(min_length=1, max_length=64, json_schema_extra=_known_journeys)
    channel: str = Field(min_length=1, max_length=64)
    customer: Customer
    payload: Payload = Field(default_factory=dict)
    ai: AiProposal | None = Field(default=None, description="The AI's proposal: required, except on journeys that "
                                  "declare it optional (a bot hand-over asks a person to call, it proposes nothing).")


class Reason(BaseModel):
    """Why a case went where it went: the rule, and a signal against its threshold, in plain words."""

    rule: str
    text: str
    signal: str | None = None
    value: Any = None
    threshold: Any = None


class Limits(BaseModel):
    reviewSeconds: int = Field(gt=0)
    seniorSeconds: int = Field(gt=0)
    customerSeconds: int = Field(gt=0)


class Plan(BaseModel):
    """What the workflow carries between steps; `next` drives the Dispatch choice in the ASL."""

    journey: str | None = None
    next: Literal["execute", "customer", "review", "rescore", "alert", "reject", "resolve"]
    queue: str
    seniorQueue: str
    supervisorQueue: str = roles.SUPERVISORS
    priority: int = Field(ge=1, le=9)
    escalated: bool = False
    customer: bool = False
    reason: str | None = None
    limits: Limits
    proposal: dict[str, Any] | None = None
    event: dict[str, Any] | None = None
    ask: Literal["confirm", "choose", "provide", "correct"] = "confirm"
    authority: str | None = None
    capability: str | None = None
    fourEyes: bool = False
    approvals: list[str] = Field(default_factory=list)
    audit: bool = False
    auditQueue: str = roles.AUDIT
    stepId: str | None = None
    reminders: int = Field(default=0, ge=0)
    askFields: list[str] = Field(default_factory=list)
    question: str | None = None
    returnTo: Literal["review"] | None = None
    task: Literal["review", "contact"] = Field(
        default="review", description="What the person is asked: decide on a proposal (review), or contact the "
        "customer and record the resolution (contact: a bot hand-over, a follow-up the customer said failed).")
    resolution: Literal["contacted", "resolved", "not_reached"] | None = Field(
        default=None, description="next resolve: how the person's contact ended (the closing event names it).")


@dataclass(frozen=True)
class Reviewer:
    """A reviewer acting: their id, display name and groups (queues), from the sign-in's claims."""

    sub: str
    name: str
    groups: tuple[str, ...]


class Actor(BaseModel):
    kind: Literal["reviewer", "customer", "workflow"]
    id: str | None = None
    name: str | None = None
    groups: list[str] = Field(default_factory=list)


class CriterionScore(BaseModel):
    """One criterion of a QA scorecard: passed or failed, a failure with its reason."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    passed: bool = Field(alias="pass", strict=True)
    reason: str | None = Field(default=None, max_length=500)


class ReviewDecision(BaseModel):
    """The body of POST /reviews/{taskId}/decision."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "modify", "reject", "escalate", "ask_customer", "contacted", "resolved",
                    "not_reached", "score"] = Field(
        description="A review: approve, modify, reject, escalate, ask_customer. A contact task: contacted, resolved, "
        "not_reached (with a comment), escalate. A QA task: score.")
    reason: str | None = Field(default=None, max_length=200)
    comment: str | None = Field(default=None, max_length=2000)
    proposal: Proposal | None = None
    fields: list[str] | None = Field(default=None, max_length=20,
                                     description="ask_customer: the payload fields to ask for.")
    proposalVersion: str | None = Field(
        default=None, max_length=64,
        description="The proposalVersion GET /reviews/{taskId} showed; a stale one is refused with 409.")
    scores: dict[str, CriterionScore] | None = Field(
        default=None, max_length=20, description="score (QA tasks only): every criterion of the scorecard GET "
        "/reviews/{taskId} shows, {\"pass\": bool, \"reason\"?}; a failed one needs a reason.")
    followUp: bool | None = Field(default=None, description="score: a failed conversation opens a hand-over case "
                                  "so that a person contacts the customer.")


class Turn(BaseModel):
    """One turn of a bot conversation."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    speaker: Literal["customer", "bot"] = Field(alias="from")
    text: str = Field(min_length=1, max_length=5000)
    at: AwareDatetime | None = None


class Bot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    intent: str | None = Field(default=None, min_length=1, max_length=100, description="e.g. billing.dispute")
    intentConfidence: float | None = Field(default=None, ge=0, le=1, strict=True)
    tried: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20, description="What the bot tried (carried into a follow-up).")


class InteractionRequest(BaseModel):
    """The body of POST /interactions: a finished automated conversation, with the bot's own quality flags."""

    model_config = ConfigDict(extra="forbid")

    interactionId: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$",
                               description="The channel's id of the conversation: a second post of it is the same.")
    channel: str = Field(min_length=1, max_length=64)
    customer: Customer
    bot: Bot
    transcript: list[Turn] = Field(min_length=1, max_length=200)
    outcome: Literal["resolved", "abandoned", "handed_over", "unresolved", "other"]
    flags: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]] = Field(
        default_factory=list, max_length=20, description="The bot's own quality flags, e.g. low_confidence, "
        "customer_frustrated, fallback_used.")
    endedAt: AwareDatetime

    @field_validator("transcript")
    @classmethod
    def _fits_an_item(cls, transcript: list[Turn]) -> list[Turn]:
        _at_most(200 * 1024)([t.model_dump(mode="json") for t in transcript])
        return transcript


class CustomerFeedback(BaseModel):
    """Microfeedback after an answer."""

    model_config = ConfigDict(extra="forbid")

    helpful: bool = Field(strict=True)
    comment: str | None = Field(default=None, max_length=2000)


class ReviewFeedback(BaseModel):
    """Thumbs up/down on the AI's suggestion, for the learning loop."""

    model_config = ConfigDict(extra="forbid")

    helpful: bool = Field(strict=True)
    comment: str | None = Field(default=None, max_length=2000)


class ProposalDecision(BaseModel):
    """The body of POST /learning/proposals/{proposalId}/decision: a lead accepts or rejects, saying why."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["accept", "reject"]
    reason: str = Field(min_length=3, max_length=1000)


class PolicyRollback(BaseModel):
    """The body of POST /policies/{journey}/rollback: the version whose adjustments become live again, and why."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, strict=True)
    reason: str = Field(min_length=3, max_length=1000)


class GuardrailReset(BaseModel):
    """The body of POST /guardrails/{journey}/{name}/reset."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=1000)


class ErasureRequest(BaseModel):
    """The body of POST /customers/{customerId}/erasure: why (the request it answers; name no customer here)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=1000)


class CustomerAnswer(BaseModel):
    """The body of POST /c/{linkId}."""

    model_config = ConfigDict(extra="forbid")

    response: Literal["confirm", "reject", "choose", "provide", "correct", "human"]
    option: str | None = Field(default=None, max_length=200)
    fields: Annotated[dict[str, Any], AfterValidator(_at_most(20 * 1024))] | None = None
    comment: str | None = Field(default=None, max_length=2000)


class Outcome(BaseModel):
    """What a wait ended with: a reviewer's decision, a customer's answer, or a timeout."""

    model_config = ConfigDict(extra="allow")

    actor: Actor | None = None
    action: str | None = None  # reviewer: approve | modify | reject | escalate
    response: str | None = None  # customer: confirm | reject | choose | provide | correct | human
    option: str | None = None
    fields: dict[str, Any] | list[str] | None = None
    approvedBy: str | None = None
    at: str | None = None  # when the person decided or answered
    proposedAt: str | None = None  # four-eyes: when the committed proposal was made (its override's time)
    proposal: dict[str, Any] | None = None
    reason: str | None = None
    comment: str | None = None
    taskId: str | None = None
    Error: str | None = None
    Cause: str | None = None

    @property
    def timed_out(self) -> bool:
        return self.Error in ("States.Timeout", "States.HeartbeatTimeout")


class WorkflowState(BaseModel):
    """The execution state a Lambda task receives (`Payload.$: "$"`)."""

    model_config = ConfigDict(extra="allow")

    caseId: str
    plan: Plan | None = None
    outcome: dict[str, Any] | None = None


class RecordInput(BaseModel):
    """What the record step receives: the state, and when the workflow entered the step (stable across retries)."""

    state: WorkflowState
    recordedAt: str


class TokenTaskInput(BaseModel):
    """What a waitForTaskToken task receives: the state, and the token to store server-side."""

    state: WorkflowState
    taskToken: str = Field(min_length=1, repr=False)


def proposal_version(proposal: dict[str, Any] | None) -> str:
    """A short fingerprint of a proposal: a reviewer's decision and a customer's link are bound to the one seen."""
    canonical = json.dumps(proposal, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
