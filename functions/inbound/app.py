"""Inbound replies: SMS (End User Messaging two-way, via SNS) and email (SES receipt rule, via SNS) answer the
customer's open step, and the sender gets a reply; bounces and complaints of our email (the SES configuration
set's event destination, via SNS) stop that address and fall back to SMS or a person (docs/messaging.md)."""
import json
from email import message_from_string, policy
from email.utils import parseaddr
from typing import Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import SnsModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, ValidationError

from loopgate.usecases.email_events import EmailEvent, on_email_event, read_ses_event
from loopgate.usecases.replies import InboundReply, receive_reply
from loopgate.wiring import MessengerSettings, StoreSettings, case_store, load_settings, messenger, workflow

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# SNS delivers at least once: a second delivery of "2" must not answer "already answered" to the customer.
idempotency = IdempotencyConfig(event_key_jmespath="messageId", expires_after_seconds=24 * 3600)


class InboundSettings(StoreSettings, MessengerSettings):
    """What this function reads from its environment, checked when the container starts."""

    idempotency_table: str


SETTINGS = load_settings(InboundSettings)
persistence = DynamoDBPersistenceLayer(table_name=SETTINGS.idempotency_table)
# SES publishes each bounce or complaint at least once: the same one twice sends no second SMS, no second event.
email_event_idempotency = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=24 * 3600)
email_event_persistence = DynamoDBPersistenceLayer(table_name=SETTINGS.idempotency_table)


class InboundSms(BaseModel):
    """What End User Messaging SMS (and SNS two-way SMS) publishes for a message to our number."""

    originationNumber: str = Field(min_length=3)
    destinationNumber: str | None = None
    messageBody: str = ""
    inboundMessageId: str = Field(min_length=1)


class Verdict(BaseModel):
    status: str


class SesReceipt(BaseModel):
    spamVerdict: Verdict
    virusVerdict: Verdict
    spfVerdict: Verdict
    dkimVerdict: Verdict
    dmarcVerdict: Verdict | None = None


class SesMail(BaseModel):
    messageId: str
    source: str


class SesReceived(BaseModel):
    """What an SES receipt rule's SNS action publishes (encoding UTF-8): the verdicts and the whole message."""

    notificationType: Literal["Received"]
    mail: SesMail
    receipt: SesReceipt
    content: str


def _domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2].lower()


def _trusted(received: SesReceived, sender: str) -> bool:
    """A From: line is easy to forge: only mail its domain vouches for may answer for the customer. DMARC passes
    only when SPF or DKIM passed for the From: domain itself; without DMARC (GRAY), an SPF pass counts only for an
    envelope sender of the same domain (a pass for the forger's own domain proves nothing). Spam and viruses never."""
    receipt = received.receipt
    if "FAIL" in (receipt.spamVerdict.status, receipt.virusVerdict.status):
        return False
    if receipt.dmarcVerdict is not None and receipt.dmarcVerdict.status == "PASS":
        return True
    return (receipt.spfVerdict.status == "PASS" and bool(_domain(sender))
            and _domain(received.mail.source) == _domain(sender)
            and (receipt.dmarcVerdict is None or receipt.dmarcVerdict.status != "FAIL"))


def _email_reply(received: SesReceived) -> InboundReply | None:
    """The reply in the mail, if its sender is trusted."""
    mail = message_from_string(received.content, policy=policy.default)
    sender = str(mail["From"] or received.mail.source)
    if not _trusted(received, sender):
        return None
    part = mail.get_body(preferencelist=("plain",))
    return InboundReply(channel="email", sender=sender, body=part.get_content() if part else "",
                        subject=str(mail["Subject"] or ""))


def _read(message: dict) -> tuple[str, InboundReply | None]:
    """The reply a notification carries and its id; None for mail we do not trust."""
    if message.get("notificationType") == "Received":
        received = SesReceived.model_validate(message)
        return received.mail.messageId, _email_reply(received)
    sms = InboundSms.model_validate(message)
    return sms.inboundMessageId, InboundReply(channel="sms", sender=sms.originationNumber, body=sms.messageBody)


@idempotent_function(data_keyword_argument="notification", config=idempotency, persistence_store=persistence)
def answer_once(notification: dict) -> dict:
    reply = InboundReply(**notification["reply"])
    outcome = receive_reply(case_store(), workflow(), reply, SETTINGS.public_base_url)
    if outcome.outcome == "opted_in" and reply.channel == "sms" and not messenger().opt_in_phone(reply.sender):
        return {"outcome": "opted_in_here_only", "caseId": outcome.case_id}  # the provider still blocks the number
    if outcome.text:
        messenger().reply(channel=reply.channel, to=reply.sender, subject=outcome.subject, text=outcome.text)
    return {"outcome": outcome.outcome, "caseId": outcome.case_id, "muted": outcome.muted}


@idempotent_function(data_keyword_argument="notification", config=email_event_idempotency,
                     persistence_store=email_event_persistence)
def email_event_once(notification: dict) -> dict:
    event = EmailEvent(**{**notification["event"], "recipients": tuple(notification["event"]["recipients"])})
    return {"outcome": on_email_event(case_store(), messenger(), workflow(), event, SETTINGS.public_base_url),
            "caseId": event.case_id}


def _email_event(message: dict) -> str:
    event = read_ses_event(message)
    if event is None:
        return "ignored"
    done = email_event_once(notification={"key": f"{event.kind}:{event.message_id}", "event": event.__dict__})
    # Never the address: the kind, the outcome and the case say what happened.
    logger.info("email event", extra={"kind": event.kind, "outcome": done["outcome"], "caseId": done["caseId"]})
    metrics.add_metric(name="EmailBounces" if event.kind == "bounce" else "EmailComplaints", unit=MetricUnit.Count,
                       value=1)
    return done["outcome"]


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    email_event_idempotency.register_lambda_context(context)
    outcomes = []
    for record in parse(event=event, model=SnsModel).Records:
        try:
            message = json.loads(record.Sns.Message)
            if isinstance(message, dict) and "eventType" in message:
                outcomes.append(_email_event(message))
                continue
            message_id, reply = _read(message)
        except (ValueError, ValidationError) as exc:
            # Never retried into sense; named by field only: the values are phone numbers and the customer's text.
            fields = [".".join(map(str, e["loc"])) for e in exc.errors()] if isinstance(exc, ValidationError) else []
            logger.error("inbound notification not readable", extra={"fields": fields or ["(message)"]})
            outcomes.append("unreadable")
            continue
        if reply is None:
            logger.warning("inbound email not trusted (DMARC, SPF or spam verdict); ignored")
            outcomes.append("untrusted")
            continue
        done = answer_once(notification={"messageId": message_id, "reply": reply.__dict__})
        # Never the sender, the text or a code: the outcome and the case say what happened.
        logger.info("reply received", extra={"channel": reply.channel, "outcome": done["outcome"],
                                             "caseId": done["caseId"], "answered": not done.get("muted")})
        metrics.add_metric(name="Replies", unit=MetricUnit.Count, value=1)
        outcomes.append(done["outcome"])
    return {"outcomes": outcomes}
