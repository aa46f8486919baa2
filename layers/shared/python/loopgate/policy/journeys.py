"""Journeys are data: one JSON file per journey in journeys/, validated when loaded."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from loopgate import roles
from loopgate.errors import InvalidInput, InvalidValue, JourneyDefinitionError
from loopgate.models import Limits, Route
from loopgate.policy.authority import capability_names
from loopgate.policy.conditions import Condition
from loopgate.policy.guards import GUARD_NAMES
from loopgate.policy.signals import SIGNAL_NAMES

JOURNEY_DIR = Path(__file__).parent / "journeys"

class LimitsOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewSeconds: int | None = Field(default=None, gt=0)
    seniorSeconds: int | None = Field(default=None, gt=0)
    customerSeconds: int | None = Field(default=None, gt=0)


CustomerAsk = Literal["confirm", "choose", "provide", "correct"]
Display = Literal["text", "number", "money", "date", "choice"]


class Decision(BaseModel):
    """What a rule (or the journey's safe default) decides."""

    model_config = ConfigDict(extra="forbid")

    route: Route
    queue: str | None = None
    priority: int = Field(default=5, ge=1, le=9)
    ask: CustomerAsk | None = Field(default=None, description="What the customer is asked; the journey's default.")
    authority: str | None = Field(default=None, description="Authority kind the reviewer needs, e.g. 'refund'.")
    capability: str | None = Field(default=None, description="What the reviewer must be able to judge, e.g. "
                                   "'fraud'; the task goes to that capability's queue (authority.json).")
    fourEyes: bool = False
    auditRate: float | None = Field(default=None, ge=0, le=1)
    limits: LimitsOverride = Field(default_factory=LimitsOverride)


class Rule(Decision):
    name: str = Field(min_length=1)
    when: Condition
    explain: str = Field(min_length=1, description="Plain words for the reviewer and the case view.")


class FieldSpec(BaseModel):
    """What a payload or proposal field may hold; checked at intake and on every decision that changes it."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["string", "number", "integer", "boolean", "object", "array"]
    label: str | None = Field(default=None, description="What people read instead of the key (English).")
    labels: dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")], str] = Field(
        default_factory=dict, description="The label per other locale, e.g. {\"de\": \"Monatlicher Preis\"}.")
    display: Display | None = Field(default=None, description="How pages show the value: money (with currency), "
                                    "date (an ISO date), number, choice (one of choices), text; default by type.")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="money: the ISO 4217 code.")
    currencyField: str | None = Field(default=None, description="money: the sibling field holding the ISO code "
                                      "(wins over currency when set and valid).")
    choices: dict[str, dict[str, str]] | None = Field(
        default=None, description="choice: per value, its words per locale ({\"waive_fee\": {\"en\": ...}}).")
    minimum: float | None = Field(default=None, description="number/integer: the smallest allowed value.")
    maximum: float | None = Field(default=None, description="number/integer: the largest allowed value.")
    enum: list[str | int | float] | None = Field(default=None, min_length=1, description="The allowed values.")
    maxLength: int | None = Field(default=None, gt=0, description="string: the most characters allowed.")
    properties: dict[str, FieldSpec] | None = Field(
        default=None, description="object: its declared fields (a customer's corrections keep these types).")
    required: list[str] | None = Field(default=None, description="object: the properties it must carry (checked "
                                       "where the value is given).")
    items: FieldSpec | None = Field(default=None, description="array: what each element must be.")
    minItems: int | None = Field(default=None, ge=0, description="array: the fewest elements allowed.")
    maxItems: int | None = Field(default=None, gt=0, description="array: the most elements allowed.")

    @model_validator(mode="after")
    def _fits_type(self) -> FieldSpec:
        numeric = self.type in ("number", "integer")
        if (self.minimum is not None or self.maximum is not None) and not numeric:
            raise ValueError(f"minimum and maximum apply to numbers, not to a {self.type}")
        if self.maxLength is not None and self.type != "string":
            raise ValueError(f"maxLength applies to strings, not to a {self.type}")
        if (self.properties is not None or self.required is not None) and self.type != "object":
            raise ValueError(f"properties and required apply to objects, not to a {self.type}")
        if (self.items is not None or self.minItems is not None or self.maxItems is not None) \
                and self.type != "array":
            raise ValueError(f"items, minItems and maxItems apply to arrays, not to a {self.type}")
        if self.display == "money" and (not numeric or not (self.currency or self.currencyField)):
            raise ValueError("display money needs a number and a currency or currencyField")
        if self.display == "date" and self.type != "string":
            raise ValueError(f"display date applies to strings (ISO dates), not to a {self.type}")
        if self.display == "number" and not numeric:
            raise ValueError(f"display number applies to numbers, not to a {self.type}")
        if (self.display == "choice") != (self.choices is not None):
            raise ValueError("display choice and choices go together")
        if (self.currency or self.currencyField) and self.display != "money":
            raise ValueError("currency and currencyField apply to display money")
        if "en" in self.labels:
            raise ValueError("labels: the English words are label")
        return self

    def label_in(self, locale: str | None) -> str | None:
        """The label in the locale's language, else the English one."""
        return self.labels.get((locale or "en").split("-")[0].lower()) or self.label

    def problem_with(self, value: Any) -> str | None:
        """Why `value` does not fit this field, or None. Numbers must be finite: NaN passes no comparison."""
        if isinstance(value, bool) and self.type in ("number", "integer"):
            return f"must be {self.type}"
        if not isinstance(value, _PYTHON_TYPES[self.type]):
            return f"must be {self.type}"
        if self.type in ("number", "integer"):
            if not math.isfinite(value):
                return "must be a finite number"
            if self.minimum is not None and not value >= self.minimum:
                return f"must be at least {_plain(self.minimum)}"
            if self.maximum is not None and not value <= self.maximum:
                return f"must be at most {_plain(self.maximum)}"
        if self.maxLength is not None and len(value) > self.maxLength:
            return f"must be at most {self.maxLength} characters"
        if self.enum is not None and value not in self.enum:
            return f"must be one of {', '.join(map(str, self.enum))}"
        if self.type == "array":
            if self.minItems is not None and len(value) < self.minItems:
                return f"must have at least {self.minItems} element(s)"
            if self.maxItems is not None and len(value) > self.maxItems:
                return f"must have at most {self.maxItems} elements"
        return None


def _plain(number: float) -> str:
    """A bound as people write it: 1000000, not 1e+06 (what :g made of a refund's maximum)."""
    return str(int(number)) if float(number).is_integer() else str(number)


_PYTHON_TYPES = {"string": str, "number": (int, float), "integer": int, "boolean": bool, "object": dict,
                 "array": list}


class PayloadSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: list[str] = Field(default_factory=list)
    properties: dict[str, FieldSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _currency_fields_declared(self) -> PayloadSchema:
        for name, spec in self.properties.items():
            if spec.currencyField and spec.currencyField not in self.properties:
                raise ValueError(f"{name}.currencyField: {spec.currencyField!r} is not a declared sibling field")
        return self

    def check(self, values: dict[str, Any], prefix: str) -> None:
        """Raises InvalidValue naming the first declared field whose value does not fit its spec."""
        for name, spec in self.properties.items():
            value = values.get(name)
            if value is None:
                continue
            _check_value(spec, value, f"{prefix}.{name}")

    def check_required(self, values: dict[str, Any], prefix: str) -> None:
        """Raises InvalidValue naming the first required field that is missing (an empty list is a value: a bot
        may have tried nothing; minItems says where one is not enough)."""
        for name in self.required:
            if values.get(name) in (None, ""):
                raise InvalidValue(f"{prefix}.{name}", "is required")


def _check_value(spec: FieldSpec, value: Any, path: str) -> None:
    """One value against its spec, down into an object's properties and an array's elements."""
    problem = spec.problem_with(value)
    if problem:
        raise InvalidValue(path, problem)
    if isinstance(value, dict):
        for name in spec.required or []:
            if value.get(name) in (None, ""):
                raise InvalidValue(f"{path}.{name}", "is required")
        if spec.properties:
            PayloadSchema(properties=spec.properties).check(value, path)
    if isinstance(value, list) and spec.items is not None:
        for index, element in enumerate(value):
            _check_value(spec.items, element, f"{path}.{index}")


class CustomerStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: CustomerAsk = "confirm"
    title: dict[str, str] = Field(default_factory=dict, description="Per locale: what the customer is asked.")
    fields: list[str] = Field(default_factory=list, description="Payload fields the customer may provide.")
    intro: dict[str, str] = Field(default_factory=dict, description="Per locale: the message's opening line.")
    reminders: int = Field(default=1, ge=0, le=5, description="Reminders before a person reaches out.")
    about: list[str] = Field(default_factory=list, description="Payload fields that name what the case is about "
                             "(the contract, the order): the page's first lines.")
    changes: dict[str, str] = Field(default_factory=dict, description="Proposal field -> the payload field with its "
                                    "value before the change: the page shows before -> after.")


class Queues(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review: str = roles.REVIEWERS
    senior: str = roles.SENIOR
    supervisor: str = roles.SUPERVISORS
    audit: str = roles.AUDIT


class Memory(BaseModel):
    """The payload fields that make cases alike: with the rule and the confidence band they name a slice."""

    model_config = ConfigDict(extra="forbid")

    keys: list[str] = Field(default_factory=list, max_length=3)


GuardrailMetric = Literal["effortPerCase", "repeatContactRate", "negativeFeedbackRate", "auditDisagreementRate",
                          "customerRejectionRate", "followUpUnsolvedRate"]


class Guardrail(BaseModel):
    """An outcome the journey's automation must not worsen (docs/learning.md): checked per window; when it trips
    the journey's automatic routes go to people (`action: people`) or its audit rate rises (`action: audit`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    metric: GuardrailMetric
    windowDays: int = Field(default=1, ge=1, le=30)
    max: float | None = Field(default=None, ge=0, description="Trips above this value.")
    baselineRatio: float | None = Field(default=None, gt=1, description="Trips above this multiple of the "
                                        "metric over the baselineDays before the window.")
    baselineDays: int = Field(default=7, ge=1, le=60)
    restoreBelow: float | None = Field(default=None, ge=0, description="Restores at or below this value "
                                       "(hysteresis); default: 80 % of the threshold.")
    minCases: int = Field(default=10, ge=1, description="Fewer cases in the window: no verdict (for "
                          "followUpUnsolvedRate: fewer follow-up answers).")
    action: Literal["people", "audit"] = "people"
    auditRate: float | None = Field(default=None, gt=0, le=1, description="action audit: the raised rate.")
    explain: str = Field(min_length=1)

    @model_validator(mode="after")
    def _has_threshold(self) -> Guardrail:
        if (self.max is None) == (self.baselineRatio is None):
            raise ValueError("give exactly one of max or baselineRatio")
        if self.action == "audit" and self.auditRate is None:
            raise ValueError("action audit needs auditRate")
        return self


class Intake(BaseModel):
    """What POST /cases must carry for this journey, beyond the common body."""

    model_config = ConfigDict(extra="forbid")

    ai: Literal["required", "optional"] = Field(
        default="required", description="optional: the channel may post no AI proposal (a bot hand-over).")
    requirePayload: bool = Field(
        default=False, description="The payload's required fields must be there at intake (422 naming the "
        "field); otherwise a missing one is the missing_context signal and the customer is asked for it.")


class PriorityRule(BaseModel):
    """Raises a case's priority when its condition holds, whichever rule routed it: the queue comes from the
    journey's rules, the urgency from the judges (a distressed customer is called first in any queue)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    when: Condition
    priority: int = Field(ge=1, le=9)
    explain: str = Field(min_length=1)


class FollowUp(BaseModel):
    """After the case completed, the customer is asked whether it solved their problem; "no" reopens the case to a
    person who contacts them (docs/journeys.md, "Follow-up after resolution")."""

    model_config = ConfigDict(extra="forbid")

    afterSeconds: int = Field(ge=3600, le=90 * 24 * 3600, strict=True,
                              description="How long after the case completed the customer is asked (1 hour to "
                              "90 days; the follow-up job looks once an hour).")
    question: dict[Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")],
                   Annotated[str, StringConstraints(min_length=3, max_length=300)]] = Field(
        description="Per locale: the question the customer answers yes or no; English is required.")

    @model_validator(mode="after")
    def _english_and_german(self) -> FollowUp:
        missing = [lang for lang in ("en", "de") if lang not in self.question]
        if missing:
            raise ValueError(f"question: needs the {missing[0]!r} text (customers are asked in English and German)")
        return self


class Journey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    description: str = ""
    payload: PayloadSchema = Field(default_factory=PayloadSchema)
    proposal: PayloadSchema = Field(default_factory=PayloadSchema,
                                    description="The proposal's fields: checked at intake and on every decision.")
    irreversible: bool = False
    policyTerms: list[str] = Field(default_factory=list, description="Journey words that need a person (EN, DE).")
    thresholds: dict[str, float] = Field(default_factory=dict)
    rules: list[Rule]
    default: Decision
    customerStep: CustomerStep = Field(default_factory=CustomerStep)
    queues: Queues = Field(default_factory=Queues)
    limits: Limits
    auditRate: float = Field(default=0.0, ge=0, le=1, description="Share of automatic cases audited afterwards.")
    rejectReasons: list[str] = Field(default_factory=lambda: ["wrong_proposal", "policy", "fraud", "other"])
    authority: str | None = Field(default=None, description="The authority every person's decision on this journey "
                                  "needs unless a rule names another (money out: 'refund').")
    relaxedGuards: dict[str, str] = Field(
        default_factory=dict, description="Guards this journey relaxes, each with the reason (shown on the case).")
    memory: Memory = Field(default_factory=Memory)
    guardrails: list[Guardrail] = Field(default_factory=list)
    intake: Intake = Field(default_factory=Intake)
    task: Literal["review", "contact"] = Field(
        default="review", description="What a person's task is: decide on the AI's proposal (review), or reach "
        "the customer and record how it ended (contact; every route of the journey is then a person).")
    priorityRules: list[PriorityRule] = Field(
        default_factory=list, description="Raise the priority when their condition holds, after the rules route.")
    followUp: FollowUp | None = Field(default=None, description="Ask the customer after completion whether it "
                                      "solved their problem; none: no follow-up.")

    def queue_for(self, decision: Decision) -> str:
        return decision.queue or self.queues.review

    def decision_named(self, rule: str | None) -> Decision:
        """The decision of the rule that routed a case (its default when the rule is unknown), with the journey's
        authority where the rule names none."""
        decision = next((r for r in self.rules if r.name == rule), self.default)
        return decision if decision.authority or not self.authority else decision.model_copy(
            update={"authority": self.authority})

    def limits_for(self, decision: Decision) -> Limits:
        return self.limits.model_copy(update=decision.limits.model_dump(exclude_none=True))

    def audit_rate_for(self, decision: Decision) -> float:
        return self.auditRate if decision.auditRate is None else decision.auditRate

    def check_payload(self, payload: dict[str, Any], prefix: str = "payload") -> None:
        """Raises InvalidValue naming the first payload field that breaks the journey's schema."""
        if self.intake.requirePayload:
            self.payload.check_required(payload, prefix)
        self.payload.check(payload, prefix)

    def check_proposal(self, proposal: dict[str, Any], prefix: str = "proposal") -> None:
        """Raises InvalidValue naming the first proposal field that breaks the journey's schema."""
        self.proposal.check(proposal, prefix)


def parse_journey(source: str, data: dict[str, Any]) -> Journey:
    """Validates one journey definition; errors name the source file and the field."""
    try:
        journey = Journey.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise JourneyDefinitionError(f"{source}: {field}: {first['msg']}") from exc
    known = set(SIGNAL_NAMES)
    for where, conditions in (("rules", journey.rules), ("priorityRules", journey.priorityRules)):
        for index, rule in enumerate(conditions):
            unknown = rule.when.signal_names() - known
            if unknown:
                raise JourneyDefinitionError(
                    f"{source}: {where}.{index}.when: unknown signal {sorted(unknown)[0]!r}"
                    f" (known: {', '.join(sorted(known))})")
            missing = rule.when.threshold_names() - set(journey.thresholds)
            if missing:
                raise JourneyDefinitionError(
                    f"{source}: {where}.{index}.when: threshold {sorted(missing)[0]!r} is not in thresholds")
    if journey.task == "contact":
        # A contact task has no proposal to execute or put to the customer: every route ends at a person.
        routes = [*((f"rules.{i}", r) for i, r in enumerate(journey.rules)), ("default", journey.default)]
        for where, decision in routes:
            if decision.route != "human":
                raise JourneyDefinitionError(f"{source}: {where}.route: a contact journey routes to a person "
                                             f"('human'), not {decision.route!r}")
    for name, reason in journey.relaxedGuards.items():
        if name not in GUARD_NAMES:
            raise JourneyDefinitionError(f"{source}: relaxedGuards.{name}: unknown guard (known: "
                                         f"{', '.join(sorted(GUARD_NAMES))})")
        if len(reason.strip()) < 10:
            raise JourneyDefinitionError(f"{source}: relaxedGuards.{name}: say why the journey relaxes it")
    for index, rule in enumerate(journey.rules):
        if rule.capability and rule.capability not in capability_names():
            raise JourneyDefinitionError(f"{source}: rules.{index}.capability: unknown capability "
                                         f"{rule.capability!r} (authority.json names them)")
    for key in journey.customerStep.about:
        if key not in journey.payload.properties:
            raise JourneyDefinitionError(f"{source}: customerStep.about: {key!r} is not a declared payload field")
    for after, before in journey.customerStep.changes.items():
        if after not in journey.proposal.properties:
            raise JourneyDefinitionError(f"{source}: customerStep.changes: {after!r} is not a declared proposal field")
        if before not in journey.payload.properties:
            raise JourneyDefinitionError(f"{source}: customerStep.changes.{after}: {before!r} is not a declared "
                                         "payload field")
    for key in journey.memory.keys:
        if key not in journey.payload.properties:
            raise JourneyDefinitionError(f"{source}: memory.keys: {key!r} is not a declared payload field")
        # Slices are categories: a free-text key would make a slice per customer and keep their words in
        # aggregates that erasure cannot reach.
        if not journey.payload.properties[key].enum:
            raise JourneyDefinitionError(f"{source}: memory.keys: {key!r} must declare an enum")
    names = [g.name for g in journey.guardrails]
    if len(names) != len(set(names)):
        raise JourneyDefinitionError(f"{source}: guardrails: names must be unique")
    if source.endswith(".json") and Path(source).stem != journey.name:
        raise JourneyDefinitionError(f"{source}: name: must match the file name ({Path(source).stem!r})")
    return journey


def load_journeys(directory: Path = JOURNEY_DIR) -> dict[str, Journey]:
    journeys = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise JourneyDefinitionError(f"{path.name}: not valid JSON: {exc}") from exc
        journey = parse_journey(path.name, data)
        journeys[journey.name] = journey
    return journeys


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Journey]:
    return load_journeys()


def get_journey(name: str) -> Journey:
    try:
        return catalogue()[name]
    except KeyError:
        known = ", ".join(sorted(catalogue()))
        raise InvalidInput("journey", f"unknown journey {name!r} (known: {known})") from None
