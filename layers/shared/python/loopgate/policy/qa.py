"""QA of bot conversations, pure: the QA policy (qa.json), which conversations it samples, and the scorecard.

docs/qa.md describes the file; usecases/qa.py stores conversations and QA tasks and records the scores.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from loopgate import roles
from loopgate.errors import InvalidInput, QaPolicyError
from loopgate.policy.judges import escalation_findings, vulnerability_findings
from loopgate.policy.learned import learned_findings
from loopgate.policy.overrides import override_record
from loopgate.policy.sampling import audit_selected

QA_POLICY_FILE = Path(__file__).parent / "qa.json"
# What the override log and the learning stats file QA findings under, in place of a journey's name: a journey
# may never be called this (tests/unit/test_qa.py holds the catalogue to it).
QA_LOG = "qa"
FOLLOW_UP_JOURNEY = "handover"

# The judges a QA policy may name, each run over every customer turn (policy/judges.py, policy/learned.py).
def _or_learned(word_list: Callable[[str | None], list[str]], signal: str) -> Callable[[str | None], list[str]]:
    """The case signals' judgement: the word list, and where it finds nothing the learned judge."""
    return lambda text: word_list(text) or learned_findings(signal, text)


JUDGES = {"escalation": _or_learned(escalation_findings, "emotional_escalation"),
          "vulnerability": _or_learned(vulnerability_findings, "vulnerability")}
JUDGE_WORDS = {"escalation": "the customer showed anger or distress",
               "vulnerability": "the customer may be in a vulnerable situation"}


class Criterion(BaseModel):
    """One line of the scorecard: pass or fail, a failure with a reason."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    labels: dict[str, str] = Field(description="What reviewers read per locale; `en` is required.")
    explain: dict[str, str] = Field(default_factory=dict, description="Per locale: what passing means.")
    critical: bool = Field(default=False, description="A failure of it makes the conversation a critical failure.")

    @model_validator(mode="after")
    def _english_label(self) -> Criterion:
        if not self.labels.get("en", "").strip():
            raise ValueError("labels: the English label (en) is required")
        return self

    def label_in(self, locale: str | None) -> str:
        return self.labels.get((locale or "en").split("-")[0].lower()) or self.labels["en"]


class Priorities(BaseModel):
    """The QA task's priority (1 first) by why the conversation was sampled; the most urgent reason wins."""

    model_config = ConfigDict(extra="forbid")

    judged: int = Field(default=3, ge=1, le=9)
    flagged: int = Field(default=4, ge=1, le=9)
    outcome: int = Field(default=5, ge=1, le=9)
    baseRate: int = Field(default=8, ge=1, le=9)


class QaPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    queue: str = roles.QA
    baseRate: float = Field(ge=0, le=1, description="Share of all conversations sampled, chosen by interaction id.")
    alwaysSampleFlags: list[str] = Field(default_factory=list, description="A bot flag that always samples.")
    alwaysSampleOutcomes: list[str] = Field(default_factory=list, description="An outcome that always samples.")
    judges: list[Literal["escalation", "vulnerability"]] = Field(
        default_factory=list, description="Judges run over the customer's turns; a finding samples.")
    priority: Priorities = Field(default_factory=Priorities)
    dueSeconds: int = Field(default=7 * 86400, gt=0, description="When a QA task is due (shown; nothing waits).")
    scorecard: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> QaPolicy:
        if self.queue not in roles.GROUPS:
            raise ValueError(f"queue: {self.queue!r} is not a group (loopgate/roles.py)")
        names = [c.name for c in self.scorecard]
        if len(names) != len(set(names)):
            raise ValueError("scorecard: criterion names must be unique")
        return self

    def criterion(self, name: str) -> Criterion | None:
        return next((c for c in self.scorecard if c.name == name), None)


def parse_qa_policy(source: str, data: dict[str, Any]) -> QaPolicy:
    """Validates a QA policy; errors name the source and the field (scorecard.1.labels)."""
    try:
        return QaPolicy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(root)"
        message = first["msg"].removeprefix("Value error, ")
        if ": " in message and first["type"] == "value_error" and field == "(root)":
            field, message = message.split(": ", 1)  # a check across fields names its own
        raise QaPolicyError(f"{source}: {field}: {message}") from exc


def load_qa_policy(path: Path = QA_POLICY_FILE) -> QaPolicy:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise QaPolicyError(f"{path.name}: not valid JSON: {exc}") from exc
    return parse_qa_policy(path.name, data)


@lru_cache(maxsize=1)
def qa_policy() -> QaPolicy:
    return load_qa_policy()


# ---------------------------------------------------------------- sampling
def sample_reasons(policy: QaPolicy, interaction_id: str, flags: list[str], outcome: str,
                   customer_turns: list[str]) -> list[dict[str, Any]]:
    """Why a conversation is sampled, each reason in words; empty when it is not. Deterministic: the base rate
    chooses by interaction id (policy/sampling.py), so a retried post samples the same way."""
    reasons: list[dict[str, Any]] = []
    for flag in dict.fromkeys(flags):
        if flag in policy.alwaysSampleFlags:
            reasons.append({"reason": "flag", "flag": flag,
                            "text": f"the bot flagged it: {flag.replace('_', ' ')}"})
    if outcome in policy.alwaysSampleOutcomes:
        reasons.append({"reason": "outcome", "outcome": outcome,
                        "text": f"the conversation ended {outcome.replace('_', ' ')}"})
    for judge in policy.judges:
        found = list(dict.fromkeys(f for text in customer_turns for f in JUDGES[judge](text)))
        if found:
            reasons.append({"reason": "judge", "signal": judge, "findings": found[:5],
                            "text": f"{JUDGE_WORDS[judge]} ({', '.join(found[:3])})"})
    if audit_selected(interaction_id, policy.baseRate):
        reasons.append({"reason": "base_rate", "rate": policy.baseRate,
                        "text": f"random sample ({policy.baseRate:.0%} of all conversations)"})
    return reasons


_PRIORITY_OF = {"judge": "judged", "flag": "flagged", "outcome": "outcome", "base_rate": "baseRate"}


def priority_for(policy: QaPolicy, reasons: list[dict[str, Any]]) -> int:
    return min(getattr(policy.priority, _PRIORITY_OF[r["reason"]]) for r in reasons)


# ---------------------------------------------------------------- the scorecard
def failed_criteria(policy: QaPolicy, scores: dict[str, Any] | None) -> list[str]:
    """The criteria a scorecard fails, in the policy's order; raises InvalidInput naming the field when the
    scorecard is incomplete, names an unknown criterion or fails one without a reason."""
    if not scores:
        raise InvalidInput("scores", f"score every criterion: {', '.join(c.name for c in policy.scorecard)}")
    unknown = sorted(set(scores) - {c.name for c in policy.scorecard})
    if unknown:
        raise InvalidInput(f"scores.{unknown[0]}", "is not a criterion of the scorecard (known: "
                           f"{', '.join(c.name for c in policy.scorecard)})")
    failed = []
    for criterion in policy.scorecard:
        score = scores.get(criterion.name)
        if score is None:
            raise InvalidInput(f"scores.{criterion.name}", "is required: every criterion is scored pass or fail")
        if not score.passed:
            if not (score.reason or "").strip():
                raise InvalidInput(f"scores.{criterion.name}.reason", "is required when the criterion fails: "
                                   "say what went wrong")
            failed.append(criterion.name)
    return failed


def qa_failure_record(*, interaction: dict[str, Any], task_id: str, reviewer: str, scores: dict[str, Any],
                      failed: list[str], critical: bool, comment: str | None, at: str) -> dict[str, Any]:
    """A failed QA score as an override-log item (kind qa_failure, filed under QA_LOG): the bot's conversation
    is the proposal people departed from. The decision's time and the task id make its key, so a retry writes
    it once."""
    reason = "; ".join(f"{name}: {scores[name]['reason']}" for name in failed)
    record = override_record(kind="qa_failure", case={"journey": QA_LOG, "caseId": None}, actor_id=reviewer,
                             decision="fail", proposal=None, decided=None, reason=reason[:1000], comment=comment,
                             task_id=task_id, at=at)
    # Not a case: the ByCase index keys on caseId, which this item leaves out rather than writing a null.
    record.pop("caseId")
    record.update({"interactionId": interaction["interactionId"], "channel": interaction["channel"],
                   "bot": interaction["bot"]["name"], "intent": interaction["bot"].get("intent"),
                   "failedCriteria": failed, "critical": critical, "scores": scores,
                   "flags": interaction.get("flags", [])})
    return record


def handover_payload(interaction: dict[str, Any]) -> dict[str, Any]:
    """The hand-over journey's payload (docs/journeys.md, journey handover) for a conversation QA failed."""
    bot = interaction["bot"]
    payload: dict[str, Any] = {
        "transcript": interaction["transcript"],
        "intent": bot.get("intent") or "unknown",
        # A bot that reported no confidence is treated as having none.
        "intentConfidence": bot.get("intentConfidence", 0),
        "tried": bot.get("tried", []),
        "gaveUpBecause": "qa_failed",
    }
    channel = interaction["customer"].get("preferredChannel")
    if channel in ("email", "sms"):
        payload["preferredContact"] = {"channel": channel}
    return payload
