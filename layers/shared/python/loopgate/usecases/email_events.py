"""Bounces and complaints of our email (SES event publishing through the configuration set, docs/messaging.md).

The address is not written to again (the OPTOUT# record a STOP writes, with its reason), the case's timeline says
so, and a step still waiting on exactly the email that bounced asks by SMS instead, with a fresh link, or, with no
usable phone, ends its wait as an unreachable customer does: the workflow takes it to a person. A follow-up's
"did this solve it?" is asked again by SMS; with no phone it expires unanswered, as silence does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from loopgate.clock import epoch, iso, parse_iso
from loopgate.errors import Conflict, DeliveryFailed, NotFound
from loopgate.policy.journeys import get_journey
from loopgate.policy.replies import sender_hash
from loopgate.ports import CaseStore, CustomerMessenger, Workflow
from loopgate.usecases.customer_steps import CustomerUnreachable, send_step_message, sent_message
from loopgate.usecases.follow_ups import STEP_KIND as FOLLOW_UP
from loopgate.usecases.follow_ups import send_follow_up
from loopgate.usecases.reachability import reachable

_BOUNCED = {
    "sms": "The email to the customer bounced; asked by SMS instead",
    "person": "The email to the customer bounced; a person will reach out",
    "marked": "The email to the customer bounced; that address will not be used again",
}


@dataclass(frozen=True)
class EmailEvent:
    """A permanent bounce or a complaint of one email we sent (transient bounces never come this far)."""

    kind: str  # bounce | complaint
    message_id: str  # SES's id of the email
    recipients: tuple[str, ...]  # the addresses that bounced or complained
    at: str | None  # when SES saw it, in our time format: the timeline notes one event per notification
    case_id: str | None = None  # the email's tags (none on mail sent before tags were)
    step_id: str | None = None


class SesRecipient(BaseModel):
    emailAddress: str = Field(min_length=3)


class SesBounce(BaseModel):
    bounceType: str  # Permanent | Transient | Undetermined
    bouncedRecipients: list[SesRecipient] = Field(min_length=1)
    timestamp: str | None = None


class SesComplaint(BaseModel):
    complainedRecipients: list[SesRecipient] = Field(min_length=1)
    timestamp: str | None = None


class SesSentMail(BaseModel):
    messageId: str = Field(min_length=1)
    tags: dict[str, list[str]] = {}


class SesEmailEvent(BaseModel):
    """What the configuration set's SNS event destination publishes (event publishing format)."""

    eventType: str  # only Bounce and Complaint are published to us (template.yaml)
    mail: SesSentMail
    bounce: SesBounce | None = None
    complaint: SesComplaint | None = None

    def as_event(self) -> EmailEvent | None:
        """The permanent bounce or complaint; None for what marks nothing (a transient bounce: the inbox was full
        or the server busy, SES retried already; a later message may well arrive)."""
        tags = {name: values[0] for name, values in self.mail.tags.items() if values}
        if self.eventType == "Bounce" and self.bounce and self.bounce.bounceType == "Permanent":
            kind, recipients, at = "bounce", self.bounce.bouncedRecipients, self.bounce.timestamp
        elif self.eventType == "Complaint" and self.complaint:
            kind, recipients, at = "complaint", self.complaint.complainedRecipients, self.complaint.timestamp
        else:
            return None
        return EmailEvent(kind=kind, message_id=self.mail.messageId,
                          recipients=tuple(r.emailAddress for r in recipients), at=iso(parse_iso(at)) if at else None,
                          case_id=tags.get("caseId"), step_id=tags.get("stepId"))


def read_ses_event(message: dict[str, Any]) -> EmailEvent | None:
    """The event a notification of the configuration set carries; raises ValidationError naming a missing field."""
    return SesEmailEvent.model_validate(message).as_event()


def on_email_event(store: CaseStore, messenger: CustomerMessenger, workflow: Workflow, event: EmailEvent,
                   public_base_url: str) -> str:
    """Marks the addresses and falls back; returns what became of it: sms | person | marked | complaint."""
    for address in event.recipients:
        store.opt_out(sender_hash("email", address), "email", reason=event.kind)
    try:
        case = store.get_case(event.case_id) if event.case_id else None
    except NotFound:  # erased, or past its retention
        case = None
    current = (case or {}).get("customer", {}).get("email")
    if not current or sender_hash("email", current) not in {sender_hash("email", a) for a in event.recipients}:
        return "marked"  # not the case's customer's address (any more): nothing of the case waits on it
    if event.kind == "complaint":
        # They read it and said so: their open step stays (the page still works); reminders go by SMS or a person.
        store.append_event(case["caseId"], "customer_email_complaint",
                           "The customer reported our email as spam; no more email goes to that address",
                           detail={"stepId": event.step_id}, at=event.at)
        return "complaint"
    outcome = _fall_back(store, messenger, workflow, case, event, public_base_url)
    store.append_event(case["caseId"], "customer_email_bounced", _BOUNCED[outcome],
                       detail={"stepId": event.step_id, "fallback": outcome}, at=event.at)
    return outcome


def _fall_back(store: CaseStore, messenger: CustomerMessenger, workflow: Workflow, case: dict[str, Any],
               event: EmailEvent, public_base_url: str) -> str:
    step = _waiting_on(store, case["caseId"], event)
    if step is None:
        return "marked"
    _, phone = reachable(store, case["customer"])
    if step.get("kind") == FOLLOW_UP:  # "did this solve it?": asked again by SMS, or left to expire unanswered
        if not phone:
            return "marked"
        try:
            send_follow_up(store, messenger, case, step, public_base_url, email=None, phone=phone, prefer="sms")
        except DeliveryFailed:
            return "marked"
        store.add_effort(case["caseId"], messages=1)
        return "sms"
    if phone:
        try:
            delivery = send_step_message(
                store, messenger, case, get_journey(case["journey"]), step["stepId"], step["kind"],
                int(step["validUntil"]), int(step["validUntil"]) - epoch(), public_base_url, reminder=False,
                email=None, phone=phone, prefer="sms")
        except DeliveryFailed:
            pass  # the phone fails too: as a customer neither channel reaches
        else:
            # The step now waits on the SMS: the same notification again finds nothing to fall back from.
            store.mark_step_sent(case["caseId"], step["stepId"], step["taskToken"], sent_message(delivery))
            store.add_effort(case["caseId"], messages=1)
            return "sms"
    try:
        # The name the RequestCustomer state's Catch takes to RecordOutcome, and from there to a person.
        workflow.fail(step["taskToken"], CustomerUnreachable.__name__, "the email bounced; no other channel is left")
    except Conflict:
        return "marked"  # the wait ended meanwhile; a reminder, if one comes, skips the address
    store.close_step(case["caseId"], step["stepId"])  # its links now say a person will be in touch
    return "person"


def _waiting_on(store: CaseStore, case_id: str, event: EmailEvent) -> dict[str, Any] | None:
    """The step, if it is still open (the workflow waits on it, or it is a follow-up's question) and its newest
    message is the email that bounced (an older email's bounce after a reminder by SMS changes nothing)."""
    if not event.step_id:
        return None
    try:
        step = store.get_step(case_id, event.step_id)
    except NotFound:
        return None
    follow_up = step.get("kind") == FOLLOW_UP
    if step.get("answeredAt") or step.get("closedAt") or not (step.get("taskToken") or follow_up) \
            or step["validUntil"] <= epoch():
        return None
    return step if (step.get("lastMessage") or {}).get("messageId") == event.message_id else None
