"""The customer step: a single-use link sent by email or SMS, a page that only renders, an answer that acts."""
from __future__ import annotations

from typing import Any

from .adapters.dynamo import CaseStore
from .adapters.messaging import CustomerMessenger
from .adapters.workflow import Workflow
from .clock import epoch, now_iso
from .errors import Conflict, Gone, InvalidInput
from .journeys import get_journey
from .links import link_hash, new_link_id
from .messages import customer_message
from .models import CaseStatus, CustomerAnswer, Plan

RETENTION_SECONDS = 30 * 24 * 3600  # used and expired links stay readable (410, not 404) this long
# What each kind of request lets the customer answer; "human" is always there.
ALLOWED = {
    "confirm": ("confirm", "reject", "human"),
    "choose": ("choose", "human"),
    "provide": ("provide", "human"),
    "correct": ("confirm", "correct", "human"),
}


def open_customer_step(store: CaseStore, messenger: CustomerMessenger, state: dict[str, Any],
                       task_token: str, public_base_url: str) -> dict[str, Any]:
    plan = Plan.model_validate(state["plan"])
    case = store.get_case(state["caseId"])
    journey = get_journey(case["journey"])
    link_id = new_link_id()
    valid_until = epoch() + plan.limits.customerSeconds
    store.put_link({
        "linkHash": link_hash(link_id), "caseId": case["caseId"], "journey": journey.name,
        "kind": plan.ask, "taskToken": task_token, "fields": plan.askFields, "question": plan.question,
        "createdAt": now_iso(), "validUntil": valid_until, "expiresAt": valid_until + RETENTION_SECONDS,
    })
    customer = case["customer"]
    message = customer_message(
        locale=customer.get("locale"), title=_title(journey, customer.get("locale")), name=customer.get("name"),
        url=f"{public_base_url.rstrip('/')}/c/{link_id}", valid_seconds=plan.limits.customerSeconds)
    delivery = messenger.send(email=customer.get("email"), phone=customer.get("phone"), message=message)
    store.update_case(case, {"status": CaseStatus.AWAITING_CUSTOMER.value})
    store.append_event(case["caseId"], "customer_asked",
                       f"Asked the customer to {plan.ask} by {delivery.channel}",
                       detail={"channel": delivery.channel, "attempts": delivery.attempts})
    return {"channel": delivery.channel}


def _title(journey, locale: str | None) -> str:
    lang = (locale or "en").split("-")[0]
    return journey.customerStep.title.get(lang) or journey.customerStep.title.get("en") or journey.title


def _live_link(store: CaseStore, link_id: str) -> dict[str, Any]:
    link = store.get_link(link_hash(link_id))
    if link.get("usedAt"):
        raise Gone("this link was already used")
    if link["validUntil"] <= epoch():
        raise Gone("this link has expired")
    return link


def customer_view(store: CaseStore, link_id: str) -> dict[str, Any]:
    """What the page shows. Reading changes nothing: mail scanners prefetch links."""
    link = _live_link(store, link_id)
    case = store.get_case(link["caseId"])
    journey = get_journey(case["journey"])
    locale = case["customer"].get("locale", "en")
    view = {"caseId": case["caseId"], "journey": journey.name, "kind": link["kind"],
            "title": _title(journey, locale), "locale": locale, "name": case["customer"].get("name"),
            "proposal": {k: v for k, v in case["proposal"].items() if k not in ("options", "chosen")},
            "responses": list(ALLOWED[link["kind"]]), "validUntil": link["validUntil"]}
    if link["kind"] == "choose":
        view["options"] = [o for o in case["proposal"].get("options", []) if isinstance(o, dict)]
    if link["kind"] == "provide":
        view["question"] = link.get("question")
        view["fields"] = [{"name": name, "label": spec.label or name, "type": spec.type,
                           "required": name in journey.payload.required, "value": case["payload"].get(name)}
                          for name, spec in journey.payload.properties.items()
                          if name in _askable(link, journey)]
    if link["kind"] == "correct":
        view["extracted"] = case["payload"].get("extracted", {})
    return view


def _coerce(value: Any, kind: str) -> Any:
    """Form posts carry strings; the journey's schema says what the field is."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text.replace(",", "."))
        if kind == "boolean":
            return text.lower() in ("true", "yes", "on", "1", "ja")
    except ValueError:
        return value
    return text


def coerce_reply(kind: str, reply: CustomerAnswer, case: dict[str, Any]) -> CustomerAnswer:
    if not reply.fields:
        return reply
    if kind == "provide":
        spec = get_journey(case["journey"]).payload.properties
        fields = {k: _coerce(v, spec[k].type) if k in spec else v for k, v in reply.fields.items()}
    elif kind == "correct":
        extracted = case["payload"].get("extracted", {})
        types = {bool: "boolean", int: "integer", float: "number"}
        fields = {k: _coerce(v, types.get(type(extracted.get(k)), "string")) for k, v in reply.fields.items()}
    else:
        return reply
    return reply.model_copy(update={"fields": fields})


def _askable(link: dict[str, Any], journey) -> list[str]:
    """The fields a provide request asks for: the reviewer's choice, else the journey's."""
    return link.get("fields") or journey.customerStep.fields


def check_reply(link: dict[str, Any], reply: CustomerAnswer, case: dict[str, Any]) -> None:
    """Raises InvalidInput naming the field the customer must fix."""
    kind = link["kind"]
    if reply.response not in ALLOWED[kind]:
        raise InvalidInput("response", f"must be one of {', '.join(ALLOWED[kind])}")
    if reply.response == "choose":
        ids = [str(o.get("id")) for o in case["proposal"].get("options", []) if isinstance(o, dict)]
        if reply.option not in ids:
            raise InvalidInput("option", f"must be one of {', '.join(ids)}")
    if reply.response == "provide":
        journey = get_journey(case["journey"])
        fields = reply.fields or {}
        asked = _askable(link, journey)
        unknown = sorted(set(fields) - set(asked))
        if unknown:
            raise InvalidInput(f"fields.{unknown[0]}", "is not asked for here")
        journey.check_payload(fields, prefix="fields")
        for name in asked:
            required = name in journey.payload.required or bool(link.get("fields"))
            if required and fields.get(name, case["payload"].get(name)) in (None, ""):
                raise InvalidInput(f"fields.{name}", "is required")
    if reply.response == "correct":
        extracted = case["payload"].get("extracted", {})
        fields = reply.fields or {}
        unknown = sorted(set(fields) - set(extracted))
        if unknown:
            raise InvalidInput(f"fields.{unknown[0]}", "is not part of the extracted data")
        if not fields or all(extracted.get(k) == v for k, v in fields.items()):
            raise InvalidInput("fields", "no correction: confirm instead")


def answer(store: CaseStore, workflow: Workflow, link_id: str, reply: CustomerAnswer) -> dict[str, Any]:
    digest = link_hash(link_id)
    link = _live_link(store, link_id)
    case = store.get_case(link["caseId"])
    reply = coerce_reply(link["kind"], reply, case)
    check_reply(link, reply, case)
    record = reply.model_dump(exclude_none=True)
    if not store.use_link(digest, epoch(), record):
        raise Gone("this link was already used or has expired")
    try:
        workflow.resume(link["taskToken"], {"actor": {"kind": "customer", "id": None}, **record})
    except Conflict as exc:
        raise Gone("this request is no longer waiting for your answer") from exc
    except Exception:
        store.release_link(digest)
        raise
    return {"caseId": link["caseId"], "response": reply.response, "status": "RECEIVED"}
