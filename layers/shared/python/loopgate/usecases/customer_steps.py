"""The customer step: single-use links sent by email or SMS, a page that only renders, an answer that acts.

A step holds the task token; each message carries its own link to the step. A reminder re-arms the step
with the workflow's new token and sends a new link; every link of the step works until one is answered.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, parse_decimal

from loopgate.clock import epoch, now_iso
from loopgate.errors import (
    Conflict,
    DeliveryFailed,
    Forbidden,
    Gone,
    InvalidInput,
    InvalidValue,
    LoopgateError,
    NotFound,
)
from loopgate.models import CaseStatus, CustomerAnswer, Plan, proposal_version
from loopgate.policy.journeys import FieldSpec, Journey, get_journey
from loopgate.policy.replies import new_reply_code, reply_code_hash, sender_hash
from loopgate.ports import CaseStore, CustomerMessenger, Delivery, EventBus, Workflow
from loopgate.storable import check_storable
from loopgate.usecases.follow_ups import ANSWERS as FOLLOW_UP_ANSWERS
from loopgate.usecases.follow_ups import answer_follow_up
from loopgate.usecases.learning import after_effect, fact_part, observe_after_effect, observe_effort, observe_feedback
from loopgate.usecases.links import link_hash, new_link_id
from loopgate.usecases.reachability import reachable
from loopgate.web.messages import ReplyInvite, customer_message

RETENTION_SECONDS = 30 * 24 * 3600  # used and expired links stay known (410, not 404) this long
# What each kind of request lets the customer answer; "human" is always there.
ALLOWED = {
    "confirm": ("confirm", "reject", "human"),
    "choose": ("choose", "human"),
    "provide": ("provide", "human"),
    "correct": ("confirm", "correct", "human"),
    "followup": FOLLOW_UP_ANSWERS,  # after completion: solved / not solved (docs/journeys.md)
}


class CustomerUnreachable(LoopgateError):
    """Neither channel reached the customer; the workflow catches this name and asks a person to reach out."""


class TryAgain(Conflict):
    """The workflow was renewing the wait (a reminder) as the answer came; it was not lost, send it again."""


def open_customer_step(store: CaseStore, messenger: CustomerMessenger, state: dict[str, Any],
                       task_token: str, public_base_url: str, events: EventBus) -> dict[str, Any]:
    """Creates the step (or re-arms it for a reminder) and sends the customer a fresh single-use link."""
    plan = Plan.model_validate(state["plan"])
    case = store.get_case(state["caseId"])
    journey = get_journey(case["journey"])
    step_id = plan.stepId or f"{case['caseId']}-step"
    valid_until = epoch() + plan.limits.customerSeconds
    kind = "provide" if plan.askFields else plan.ask  # a reviewer's question, or what the route asks
    step = {"stepId": step_id, "caseId": case["caseId"], "kind": kind, "fields": plan.askFields,
            "question": plan.question, "taskToken": task_token, "validUntil": valid_until,
            "createdAt": now_iso(), "reminders": 0, "proposalVersion": proposal_version(case["proposal"])}
    if not store.put_step(step):
        existing = store.get_step(case["caseId"], step_id)
        if existing.get("sentFor") == task_token:
            return {"stepId": step_id, "sent": False}  # a retried invocation: the message went out already
        if existing.get("taskToken") != task_token and not store.rearm_step(
                case["caseId"], step_id, task_token, valid_until):
            raise Conflict(f"step {step_id} was answered or closed meanwhile")
    reminder = plan.reminders > 0
    # A channel the customer opted out of (STOP), or whose email bounced, is as if they had given none: the other
    # one, else a person.
    email, phone = reachable(store, case["customer"])
    try:
        delivery = send_step_message(store, messenger, case, journey, step_id, kind, valid_until,
                                     plan.limits.customerSeconds, public_base_url, reminder=reminder,
                                     email=email, phone=phone,
                                     prefer=case["customer"].get("preferredChannel") or "email")
    except DeliveryFailed as exc:
        store.close_step(case["caseId"], step_id)
        store.append_event(case["caseId"], "customer_unreachable",
                           "Neither email nor SMS reached the customer; a person will reach out",
                           detail={"attempts": str(exc)})
        raise CustomerUnreachable(str(exc)) from exc
    store.mark_step_sent(case["caseId"], step_id, task_token, sent_message(delivery))
    store.add_effort(case["caseId"], messages=1, **({"reminders": 1} if reminder else {}))
    # Each send holds its own token: the same token is the same send, however often this step is retried.
    observe_effort(store, case, f"message:{step_id}:{fact_part(task_token)}", messages=1,
                   **({"reminders": 1} if reminder else {}))
    what = "Reminded" if reminder else "Asked"
    store.append_event(case["caseId"], "customer_reminded" if reminder else "customer_asked",
                       f"{what} the customer to {kind} by {delivery.channel}",
                       detail={"channel": delivery.channel, "attempts": delivery.attempts, "stepId": step_id})
    waiting = {"who": "customer", "stepId": step_id}
    if case["status"] != CaseStatus.AWAITING_CUSTOMER.value or (case.get("waitingFor") or {}).get("stepId") != step_id:
        # The status last: who sees it sees the event. A reminder re-arms the same step: nothing to write; a new
        # step (the customer provided, the case was scored again, they are asked again) is waited for from now.
        store.update_case(case, {"status": CaseStatus.AWAITING_CUSTOMER.value, "waitingFor": waiting})
    if case["status"] != CaseStatus.AWAITING_CUSTOMER.value:
        events.status_changed(case["caseId"], case["journey"], case["status"], CaseStatus.AWAITING_CUSTOMER.value,
                              now_iso())
    return {"stepId": step_id, "sent": True, "channel": delivery.channel}


def send_step_message(store: CaseStore, messenger: CustomerMessenger, case: dict[str, Any], journey: Journey,
                      step_id: str, kind: str, valid_until: int, valid_seconds: int, public_base_url: str, *,
                      reminder: bool, email: str | None, phone: str | None, prefer: str) -> Delivery:
    """Mints a fresh link to the step and sends it (raises DeliveryFailed); a reply from the address it went to
    finds the step (usecases/replies.py)."""
    link_id = new_link_id()
    store.put_link({"linkHash": link_hash(link_id), "caseId": case["caseId"], "stepId": step_id,
                    "journey": journey.name, "createdAt": now_iso(), "expiresAt": valid_until + RETENTION_SECONDS})
    customer = case["customer"]
    message = customer_message(
        locale=customer.get("locale"), title=_title(journey, customer.get("locale")), name=customer.get("name"),
        url=f"{public_base_url.rstrip('/')}/c/{link_id}", valid_seconds=valid_seconds,
        intro=_intro(journey, customer.get("locale")), reminder=reminder,
        invite=_reply_invite(store, case, journey, step_id, kind))
    # The tags come back with a bounce or complaint of the email: never the link id, which is a secret.
    delivery = messenger.send(email=email, phone=phone, message=message, prefer=prefer,
                              tags={"caseId": case["caseId"], "stepId": step_id})
    store.put_reply_route(sender_hash(delivery.channel, email if delivery.channel == "email" else phone),
                          {"caseId": case["caseId"], "stepId": step_id, "linkHash": link_hash(link_id),
                           "channel": delivery.channel, "sentAt": now_iso(),
                           "expiresAt": valid_until + RETENTION_SECONDS})
    return delivery


def sent_message(delivery: Delivery) -> dict[str, Any]:
    """What the step notes of the message it waits on: a bounce of exactly that email falls back."""
    return {"channel": delivery.channel, "messageId": delivery.message_id, "at": now_iso()}


def irreversible(journey: Journey, case: dict[str, Any]) -> bool:
    """As the irreversible signal reads it: the journey's flag, or the proposal's own."""
    return journey.irreversible or bool(case["proposal"].get("irreversible"))


def offered_options(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The options of a choice, in the order the page and the message number them."""
    return [o for o in case["proposal"].get("options", []) if isinstance(o, dict)]


def _reply_invite(store: CaseStore, case: dict[str, Any], journey: Journey, step_id: str,
                  kind: str) -> ReplyInvite:
    """What the message says the customer may reply; an answer that lets an irreversible action go ahead needs
    the one-time code this message carries (each message its own, stored hashed on the step)."""
    code = None
    if kind in ("confirm", "choose") and irreversible(journey, case):
        code = new_reply_code()
        store.add_reply_code(case["caseId"], step_id, reply_code_hash(step_id, code))
    labels = tuple(str(o.get("label") or o.get("id")) for o in offered_options(case)) if kind == "choose" else ()
    return ReplyInvite(kind=kind, options=labels, code=code)


def _localized(texts: dict[str, str], locale: str | None) -> str | None:
    return texts.get((locale or "en").split("-")[0]) or texts.get("en")


def _title(journey: Journey, locale: str | None) -> str:
    return _localized(journey.customerStep.title, locale) or journey.title


def _intro(journey: Journey, locale: str | None) -> str | None:
    return _localized(journey.customerStep.intro, locale)


def _open_step(store: CaseStore, link_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The link and its step, if the link may still be used; Gone (410) or NotFound (404) if not."""
    link = store.get_link(link_hash(link_id))
    return link, usable_step(store, link)


def usable_step(store: CaseStore, link: dict[str, Any]) -> dict[str, Any]:
    """The step a link record leads to, if the link may still be used; Gone if not."""
    try:
        step = store.get_step(link["caseId"], link["stepId"])
    except NotFound:
        raise Gone("this request no longer exists") from None
    if link.get("usedAt") or step.get("answeredAt"):
        raise Gone("this request was already answered", reason="answered")
    if step.get("closedAt"):
        raise Gone("we are no longer waiting for this answer; a person from our team will contact you", reason="closed")
    if step["validUntil"] <= epoch():
        raise Gone("this link has expired", reason="expired")
    return step


def link_locale(store: CaseStore, link_id: str) -> str | None:
    """The customer's locale for a page about a link that cannot be used (None: unknown link or case)."""
    try:
        link = store.get_link(link_hash(link_id))
        return store.get_case(link["caseId"])["customer"].get("locale")
    except NotFound:
        return None


def csrf_token(link_id: str) -> str:
    """The page's form token: derived from the link id, which a cross-site page cannot know."""
    return hmac.new(link_id.encode(), b"loopgate-customer-form", hashlib.sha256).hexdigest()[:32]


def check_origin(fetch_site: str | None, origin: str | None, host: str | None) -> None:
    """Refuses a POST another site's page made the browser send, whatever its content type.

    Browsers name the initiator in Sec-Fetch-Site and Origin; API clients (no browser) send neither. The Origin
    must name the host the request was sent to (API Gateway passes the Host it was called on, custom domain or
    not). The page sets no-referrer, so its own form posts say `Origin: null`: that proves nothing either way,
    Sec-Fetch-Site and the form token decide.
    """
    if fetch_site and fetch_site not in ("same-origin", "none"):
        raise Forbidden("this form can only be sent from its own page")
    if origin and origin != "null" and host and urlsplit(origin).netloc.lower() != host.lower():
        raise Forbidden("this form can only be sent from its own page")


def check_form_token(link_id: str, form_token: str | None) -> None:
    """CSRF defence for the page's own form: a token derived from the link id, which another site cannot know."""
    if not form_token or not hmac.compare_digest(form_token, csrf_token(link_id)):
        raise Forbidden("this form can only be sent from its own page")


def customer_view(store: CaseStore, link_id: str) -> dict[str, Any]:
    """What the page shows. Reading changes nothing: mail scanners prefetch links."""
    link, step = _open_step(store, link_id)
    case = store.get_case(link["caseId"])
    journey = get_journey(case["journey"])
    locale = case["customer"].get("locale", "en")
    kind = step["kind"]
    view = {"caseId": case["caseId"], "journey": journey.name, "kind": kind,
            "title": _title(journey, locale), "intro": _intro(journey, locale), "locale": locale,
            "name": case["customer"].get("name"),
            "proposal": {k: v for k, v in case["proposal"].items() if k not in ("options", "chosen")},
            "responses": list(ALLOWED[kind]), "validUntil": step["validUntil"],
            "personWithinHours": max(1, journey.limits.reviewSeconds // 3600)}
    # What the page names the case by (C-2231) and what the proposal changes from (Basic 20): the journey says which.
    view["about"] = {k: case["payload"][k] for k in journey.customerStep.about if k in case["payload"]}
    view["before"] = {k: case["payload"][v] for k, v in journey.customerStep.changes.items() if v in case["payload"]}
    if kind == "choose":
        view["options"] = offered_options(case)
    if kind == "provide":
        view["question"] = step.get("question")
        view["fields"] = [{"name": name, "label": spec.label or name, "type": spec.type,
                           "required": name in journey.payload.required, "value": case["payload"].get(name)}
                          for name, spec in journey.payload.properties.items()
                          if name in _askable(step, journey)]
    if kind == "correct":
        view["extracted"] = case["payload"].get("extracted", {})
    if kind == "followup":
        view["title"] = view["question"] = step.get("question")
    return view


def _number(text: str, locale: str | None) -> float:
    """A number as the customer's locale writes it: "18.542" is eighteen thousand in German, "1,234.5" in English.
    Text that is no valid number there ("18.5" typed on a German page) is read with either mark as the decimal."""
    try:
        return float(parse_decimal(text, locale=Locale.parse((locale or "en").replace("-", "_")), strict=True))
    except (NumberFormatError, ValueError, UnknownLocaleError):
        return float(text.replace(",", "."))


def _coerce(value: Any, kind: str, locale: str | None = None) -> Any:
    """Form posts carry strings; the journey's schema says what the field is, the customer's locale how it reads."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if kind == "integer":
            number = _number(text, locale)
            return int(number) if number.is_integer() else value
        if kind == "number":
            return _number(text, locale)
        if kind == "boolean":
            return text.lower() in ("true", "yes", "on", "1", "ja")
    except ValueError:
        return value
    return text


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {int: "integer", float: "number", dict: "object", list: "array"}.get(type(value), "string")


def extracted_specs(journey: Journey, extracted: dict[str, Any]) -> dict[str, FieldSpec]:
    """What each extracted field may hold: the journey's declaration, else the type the extraction gave it.

    A correction fixes a value; it never turns a reading into text or a date into an object.
    """
    declared = journey.payload.properties.get("extracted")
    specs = dict((declared.properties or {}) if declared else {})
    for name, value in extracted.items():
        if name not in specs:
            kind = _json_type(value)
            specs[name] = FieldSpec(type="number" if kind == "integer" else kind)
    return specs


def coerce_reply(kind: str, reply: CustomerAnswer, case: dict[str, Any]) -> CustomerAnswer:
    if not reply.fields:
        return reply
    journey = get_journey(case["journey"])
    locale = case["customer"].get("locale")
    if kind == "provide":
        spec = journey.payload.properties
        fields = {k: _coerce(v, spec[k].type, locale) if k in spec else v for k, v in reply.fields.items()}
    elif kind == "correct":
        specs = extracted_specs(journey, case["payload"].get("extracted", {}))
        fields = {k: _coerce(v, specs[k].type, locale) if k in specs else v for k, v in reply.fields.items()}
    else:
        return reply
    return reply.model_copy(update={"fields": fields})


def _askable(step: dict[str, Any], journey: Journey) -> list[str]:
    """The fields a provide request asks for: the reviewer's choice, else the journey's."""
    return step.get("fields") or journey.customerStep.fields


def check_reply(step: dict[str, Any], reply: CustomerAnswer, case: dict[str, Any]) -> None:
    """Raises InvalidInput naming the field the customer must fix."""
    kind = step["kind"]
    if reply.response not in ALLOWED[kind]:
        raise InvalidInput("response", f"must be one of {', '.join(ALLOWED[kind])}")
    if reply.response == "choose":
        ids = [str(o.get("id")) for o in case["proposal"].get("options", []) if isinstance(o, dict)]
        if reply.option not in ids:
            raise InvalidInput("option", f"must be one of {', '.join(ids)}", code="choose")
    if reply.response == "provide":
        journey = get_journey(case["journey"])
        fields = reply.fields or {}
        asked = _askable(step, journey)
        unknown = sorted(set(fields) - set(asked))
        if unknown:
            raise InvalidInput(f"fields.{unknown[0]}", "is not asked for here")
        journey.check_payload(fields, prefix="fields")
        for name in asked:
            required = name in journey.payload.required or bool(step.get("fields"))
            if required and fields.get(name, case["payload"].get(name)) in (None, ""):
                raise InvalidInput(f"fields.{name}", "is required", code="required")
    if reply.response == "correct":
        extracted = case["payload"].get("extracted", {})
        fields = reply.fields or {}
        unknown = sorted(set(fields) - set(extracted))
        if unknown:
            raise InvalidInput(f"fields.{unknown[0]}", "is not part of the extracted data")
        specs = extracted_specs(get_journey(case["journey"]), extracted)
        for name, value in fields.items():
            if specs[name].type in ("object", "array"):
                raise InvalidValue(f"fields.{name}", "cannot be corrected here; ask for a person instead")
            problem = specs[name].problem_with(value)
            if problem:
                raise InvalidValue(f"fields.{name}", problem)
        if not fields or all(extracted.get(k) == v for k, v in fields.items()):
            raise InvalidInput("fields", "no correction: confirm instead", code="no_correction")


def answer(store: CaseStore, workflow: Workflow, link_id: str, reply: CustomerAnswer) -> dict[str, Any]:
    link, step = _open_step(store, link_id)
    return answer_through(store, workflow, link, step, reply)


def answer_through(store: CaseStore, workflow: Workflow, link: dict[str, Any], step: dict[str, Any],
                   reply: CustomerAnswer) -> dict[str, Any]:
    """The answer to an open step through one of its links (the page's, or the message a reply answers):
    single use, the same checks, the link used up."""
    case = store.get_case(link["caseId"])
    if step["kind"] == "followup":  # no workflow waits on it: the answer itself records, or reopens the case
        return answer_follow_up(store, workflow, link, step, case, reply)
    if step.get("proposalVersion") not in (None, proposal_version(case["proposal"])):
        # The customer answers what their message showed; a changed proposal is a new question.
        raise Gone("what this link showed has changed since; we will send you the current proposal", reason="changed")
    reply = coerce_reply(step["kind"], reply, case)
    # A form's text became numbers just now; they must be storable like any JSON body's (1e-200 is not).
    check_storable(reply.fields or {}, "fields")
    check_reply(step, reply, case)
    record = reply.model_dump(exclude_none=True)
    if not store.answer_step(case["caseId"], step["stepId"], epoch(), record):
        raise Gone("this request was already answered or has expired", reason="answered")
    store.set_link_used(link["linkHash"], True)
    try:
        workflow.resume(step["taskToken"], {"actor": {"kind": "customer", "id": case["customer"]["id"]},
                                            "at": now_iso(), "stepId": step["stepId"], **record})
    except BaseException as exc:
        # Not received: undo, so that the customer's answer is not lost and can be sent again.
        store.release_step(case["caseId"], step["stepId"])
        store.set_link_used(link["linkHash"], False)
        if isinstance(exc, Conflict):
            raise TryAgain("we were just updating your request; please send your answer again") from exc
        raise
    # The answer is with the workflow: what follows is bookkeeping, and its failure must not answer 5xx (the
    # customer would send the answer again and be told it was answered). It is logged instead.
    after_effect("forget the step's token", store.forget_step_token, case["caseId"], step["stepId"])
    after_effect("count the interaction", store.add_effort, case["caseId"], interactions=1)
    observe_after_effect(observe_effort, store, case, f"answer:{step['stepId']}", interactions=1)
    return {"caseId": case["caseId"], "response": reply.response, "status": "RECEIVED",
            "locale": case["customer"].get("locale", "en"),
            "personWithinHours": max(1, get_journey(case["journey"]).limits.reviewSeconds // 3600)}


def give_customer_feedback(store: CaseStore, link_id: str, helpful: bool, comment: str | None) -> dict[str, Any]:
    """Microfeedback after an answer: thumbs up/down and a comment, once per link, kept per case and journey."""
    link = store.get_link(link_hash(link_id))
    if not store.take_feedback_slot(link["linkHash"]):
        raise Gone("feedback for this request was already given, or it was not answered yet", reason="feedback")
    item = {"caseId": link["caseId"], "journey": link["journey"], "stepId": link["stepId"], "helpful": helpful,
            "comment": comment, "at": now_iso()}
    store.put_customer_feedback(link["caseId"], item)
    observe_after_effect(observe_feedback, store, store.get_case(link["caseId"]),
                         f"customer:{fact_part(link['linkHash'])}", helpful)  # the slot is taken: once only
    return item
