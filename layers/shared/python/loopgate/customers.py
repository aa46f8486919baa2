"""The customer step: a single-use link sent by email or SMS, a page that only renders, an answer that acts."""
from __future__ import annotations

import time
from typing import Any

from .adapters.dynamo import CaseStore
from .adapters.messaging import CustomerMessenger
from .adapters.workflow import Workflow
from .clock import now_iso
from .errors import Conflict, Gone, InvalidInput
from .journeys import get_journey
from .links import link_hash, new_link_id
from .messages import customer_message
from .models import CaseStatus, CustomerAnswer, Plan

RETENTION_SECONDS = 30 * 24 * 3600  # used and expired links stay readable (410, not 404) this long
ALLOWED = {"confirm": {"confirm", "reject", "human"}}


def open_customer_step(store: CaseStore, messenger: CustomerMessenger, state: dict[str, Any],
                       task_token: str, public_base_url: str) -> dict[str, Any]:
    plan = Plan.model_validate(state["plan"])
    case = store.get_case(state["caseId"])
    journey = get_journey(case["journey"])
    link_id = new_link_id()
    valid_until = int(time.time()) + plan.limits.customerSeconds
    store.put_link({
        "linkHash": link_hash(link_id), "caseId": case["caseId"], "journey": journey.name,
        "kind": journey.customerStep.kind, "taskToken": task_token, "createdAt": now_iso(),
        "validUntil": valid_until, "expiresAt": valid_until + RETENTION_SECONDS,
    })
    customer = case["customer"]
    message = customer_message(
        locale=customer.get("locale"), title=_title(journey, customer.get("locale")), name=customer.get("name"),
        url=f"{public_base_url.rstrip('/')}/c/{link_id}", valid_seconds=plan.limits.customerSeconds)
    delivery = messenger.send(email=customer.get("email"), phone=customer.get("phone"), message=message)
    store.update_case(case, {"status": CaseStatus.AWAITING_CUSTOMER.value})
    store.append_event(case["caseId"], "customer_asked",
                       f"Asked the customer to {journey.customerStep.kind} by {delivery.channel}",
                       detail={"channel": delivery.channel, "attempts": delivery.attempts})
    return {"channel": delivery.channel}


def _title(journey, locale: str | None) -> str:
    lang = (locale or "en").split("-")[0]
    return journey.customerStep.title.get(lang) or journey.customerStep.title.get("en") or journey.title


def _live_link(store: CaseStore, link_id: str) -> dict[str, Any]:
    link = store.get_link(link_hash(link_id))
    if link.get("usedAt"):
        raise Gone("this link was already used")
    if link["validUntil"] <= int(time.time()):
        raise Gone("this link has expired")
    return link


def customer_view(store: CaseStore, link_id: str) -> dict[str, Any]:
    """What the page shows. Reading changes nothing: mail scanners prefetch links."""
    link = _live_link(store, link_id)
    case = store.get_case(link["caseId"])
    journey = get_journey(case["journey"])
    locale = case["customer"].get("locale", "en")
    return {"caseId": case["caseId"], "journey": journey.name, "kind": link["kind"],
            "title": _title(journey, locale), "locale": locale, "name": case["customer"].get("name"),
            "proposal": case["proposal"], "responses": sorted(ALLOWED.get(link["kind"], {"human"})),
            "validUntil": link["validUntil"]}


def answer(store: CaseStore, workflow: Workflow, link_id: str, reply: CustomerAnswer) -> dict[str, Any]:
    digest = link_hash(link_id)
    link = _live_link(store, link_id)
    if reply.response not in ALLOWED.get(link["kind"], {"human"}):
        raise InvalidInput("response", f"must be one of {sorted(ALLOWED.get(link['kind'], {'human'}))}")
    record = reply.model_dump(exclude_none=True)
    if not store.use_link(digest, int(time.time()), record):
        raise Gone("this link was already used or has expired")
    try:
        workflow.resume(link["taskToken"], {"actor": {"kind": "customer", "id": None}, **record})
    except Conflict as exc:
        raise Gone("this request is no longer waiting for your answer") from exc
    except Exception:
        store.release_link(digest)
        raise
    return {"caseId": link["caseId"], "response": reply.response, "status": "RECEIVED"}
