"""What erasing a customer's personal data leaves of a case: decisions, amounts and declared codes, no words.

Numbers and booleans stay (amounts, confidences, counts: what decisions and metrics are made of), as do strings a
journey declares with an `enum` and its reject codes; every other string is replaced by ERASED, because free text
and identifiers (order numbers, addresses, plan names typed by a person) may name or point at the customer.
"""
from __future__ import annotations

from typing import Any

from loopgate.policy.journeys import FieldSpec, Journey, PayloadSchema

ERASED = "[erased]"
CLOSED_STATUSES = ("COMPLETED", "REJECTED")

# Timeline detail keys whose strings the system made (ids, queue and rule names, field names, the actor's role):
# they keep the timeline readable. Any other key's strings are erased (comments, reasons, delivery errors that
# quote an address).
SYSTEM_DETAIL = frozenset({"taskId", "stepId", "queue", "fromQueue", "toQueue", "dueAt", "route", "rule", "channel",
                           "action", "response", "fields", "approvedBy", "replaces", "reviewer", "claimedBy", "kind",
                           "signal", "signals", "band", "slice", "policyVersion", "due", "how", "resolution"})


def scrub(value: Any, spec: FieldSpec | None = None, kept: frozenset[str] = frozenset()) -> Any:
    """`value` without its words: the shape, numbers, booleans and declared values stay."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        declared = spec is not None and spec.enum is not None and value in spec.enum
        return value if declared or value in kept else ERASED
    if isinstance(value, dict):
        fields = (spec.properties or {}) if spec is not None else {}
        return {k: scrub(v, fields.get(k), kept) for k, v in value.items()}
    if isinstance(value, list):  # a declared element keeps its codes: a transcript turn's "from" stays
        return [scrub(v, spec.items if spec is not None else None, kept) for v in value]
    return ERASED


def scrub_fields(values: dict[str, Any] | None, schema: PayloadSchema, kept: frozenset[str] = frozenset()) -> Any:
    """A payload or proposal, field by field against the journey's declaration."""
    if not isinstance(values, dict):
        return scrub(values, None, kept)
    return {k: scrub(v, schema.properties.get(k), kept) for k, v in values.items()}


def _field_spec(schema: PayloadSchema, path: str) -> FieldSpec | None:
    """The declaration of a diff's dotted field path ("a.b"), if the journey declares it."""
    head, _, rest = path.partition(".")
    spec = schema.properties.get(head)
    for part in rest.split(".") if rest else []:
        spec = (spec.properties or {}).get(part) if spec is not None else None
    return spec


def reject_codes(journey: Journey) -> frozenset[str]:
    return frozenset(journey.rejectReasons)


def erased_customer(pseudonym: str) -> dict[str, Any]:
    return {"id": pseudonym, "erased": True}


def scrub_case(case: dict[str, Any], journey: Journey, pseudonym: str) -> dict[str, Any]:
    """The case item's personal parts, erased: the changes to write (the status, route, signals stay)."""
    ai = dict(case.get("ai") or {})
    if "proposal" in ai:
        ai["proposal"] = scrub_fields(ai["proposal"], journey.proposal)
    if "draft" in ai:
        ai["draft"] = ERASED
    changes = {"customer": erased_customer(pseudonym), "customerKey": f"CUSTOMER#{pseudonym}",
               "payload": scrub_fields(case.get("payload"), journey.payload), "ai": ai,
               "proposal": scrub_fields(case.get("proposal"), journey.proposal)}
    if "reasons" in case:  # the routing's explanation, whose values may quote the customer's words
        changes["reasons"] = [{**r, "value": scrub(r.get("value"))} if isinstance(r, dict) else r
                              for r in case["reasons"]]
    return changes


def strings_in(value: Any) -> set[str]:
    """Every string a value holds (dict keys aside)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(strings_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(strings_in(v) for v in value)) if value else set()
    return set()


def scrub_event(event: dict[str, Any], journey: Journey, personal: set[str] = frozenset()) -> dict[str, Any]:
    """A timeline event: its detail's words erased, and in its summary every erased word and every `personal`
    string (the customer's contact, payload and proposal texts), since some summaries quote a reviewer's reason."""
    detail = event.get("detail") or {}
    kept = reject_codes(journey)
    clean = {k: v if k in SYSTEM_DETAIL else scrub(v, None, kept) for k, v in detail.items()}
    summary = event.get("summary")
    if isinstance(summary, str):
        gone = {text for k, v in detail.items() if k not in SYSTEM_DETAIL for text in strings_in(v)} | set(personal)
        for text in sorted((t for t in gone - kept if len(t) > 2), key=len, reverse=True):  # longest first
            summary = summary.replace(text, ERASED)
    return {**event, "detail": clean, **({"summary": summary} if summary is not None else {})}


def scrub_step(step: dict[str, Any]) -> dict[str, Any]:
    """A customer step without the answer it took (its kind, fields asked and times stay)."""
    clean = {k: v for k, v in step.items() if k not in ("answer", "linkHashes")}
    if clean.get("question"):
        clean["question"] = ERASED
    return clean


def scrub_feedback(item: dict[str, Any]) -> dict[str, Any]:
    """Feedback keeps its thumbs, loses its comment."""
    return {**item, "comment": ERASED} if item.get("comment") else item


def scrub_decision(decision: Any, journey: Journey) -> Any:
    """A review task's decision or first approval: the action, ids and numbers stay, the words go."""
    if not isinstance(decision, dict):
        return decision
    kept = reject_codes(journey)
    return {k: scrub_fields(v, journey.proposal) if k == "proposal"
            else v if k in SYSTEM_DETAIL or k in ("at", "proposalVersion") else scrub(v, None, kept)
            for k, v in decision.items()}


def scrub_task(task: dict[str, Any], journey: Journey) -> dict[str, Any]:
    clean = {**task, **{k: scrub_decision(task[k], journey) for k in ("decision", "firstApproval") if k in task}}
    if task.get("brief", {}).get("customer") is not None:  # the queue row's copy of the customer's name or id
        clean["brief"] = {**task["brief"], "customer": ERASED}
    return clean


def scrub_override(record: dict[str, Any], journey: Journey) -> dict[str, Any]:
    """An override log item keeps who decided what kind of departure, when and with which numbers; loses words."""
    kept = reject_codes(journey)
    clean = {**record, "proposal": scrub_fields(record.get("proposal"), journey.proposal),
             "decided": scrub_fields(record.get("decided"), journey.proposal)}
    clean["diff"] = [{**d, "from": scrub(d.get("from"), _field_spec(journey.proposal, str(d.get("field"))), kept),
                      "to": scrub(d.get("to"), _field_spec(journey.proposal, str(d.get("field"))), kept)}
                     for d in record.get("diff") or []]
    if record.get("comment"):
        clean["comment"] = ERASED
    if record.get("reason") is not None:
        clean["reason"] = scrub(record["reason"], None, kept)
    return clean


# ---------------------------------------------------------------- bot conversations posted for QA
def scrub_sample_reason(reason: dict[str, Any]) -> dict[str, Any]:
    """Why a conversation was sampled: a judge's findings quote the customer's words; flags and rates do not."""
    if not reason.get("findings"):
        return reason
    text = reason.get("text") or ""
    for found in sorted(map(str, reason["findings"]), key=len, reverse=True):
        text = text.replace(found, ERASED)
    return {**reason, "findings": [ERASED], "text": text}


def scrub_interaction(interaction: dict[str, Any], pseudonym: str) -> dict[str, Any]:
    """A conversation keeps its shape (who spoke, how often, the bot, its flags, the outcome), not its words."""
    return {**interaction, "customer": erased_customer(pseudonym), "customerKey": f"CUSTOMER#{pseudonym}",
            "transcript": [{**turn, "text": ERASED} for turn in interaction.get("transcript") or []],
            "sampledBecause": [scrub_sample_reason(r) for r in interaction.get("sampledBecause") or []]}


def _scrub_scores(scores: Any) -> Any:
    """A scorecard keeps pass/fail per criterion; the reasons, which may quote the customer, go."""
    if not isinstance(scores, dict):
        return scores
    return {name: {**score, "reason": ERASED} if isinstance(score, dict) and score.get("reason") else score
            for name, score in scores.items()}


def scrub_qa_task(task: dict[str, Any]) -> dict[str, Any]:
    clean = {**task}
    if isinstance(task.get("decision"), dict):
        decision = task["decision"]
        clean["decision"] = {**decision, "scores": _scrub_scores(decision.get("scores")),
                             **({"comment": ERASED} if decision.get("comment") else {})}
    if task.get("brief"):
        clean["brief"] = {**task["brief"], "customer": ERASED, "reason": ERASED}
    return clean


def scrub_qa_failure(record: dict[str, Any]) -> dict[str, Any]:
    """A QA failure in the override log keeps which criteria failed, by whom and when; loses the words."""
    return {**record, "scores": _scrub_scores(record.get("scores")),
            **{k: ERASED for k in ("reason", "comment") if record.get(k)}}
