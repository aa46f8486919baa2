"""POST /_local/inbound and /_local/ses-event: stand in for the carrier, the mail receipt and SES's event
publishing, with the events they publish on AWS.

An SMS reaches the inbound function as End User Messaging two-way SMS publishes it to the InboundSmsTopic; an
email as the SES receipt rule's SNS action publishes it to the InboundEmailTopic (verdicts PASS: the local
sender is trusted); a bounce or complaint of an email we sent as the configuration set's event destination
publishes it to the EmailEventsTopic (moto's SES sends nothing back), each in the SNS record Lambda gets.
"""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

LOCAL_NUMBER = "+15550100"  # our origination number, locally
LOCAL_REPLY_ADDRESS = "replies@example.com"


class InboundError(ValueError):
    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field


def _text(request: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = request.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InboundError(name, "required, a non-empty string" if required else "must be a string")
    return value


def sns_message(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The topic (template.yaml logical id) and the message it would carry; InboundError names a bad field."""
    channel = request.get("channel")
    if channel not in ("sms", "email"):
        raise InboundError("channel", 'must be "sms" or "email"')
    sender, body = _text(request, "from"), _text(request, "body", required=False) or ""
    to = _text(request, "to", required=False)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if channel == "sms":
        return "InboundSmsTopic", {"originationNumber": sender, "destinationNumber": to or LOCAL_NUMBER,
                                   "messageKeyword": "KEYWORD_LOCAL", "messageBody": body,
                                   "inboundMessageId": str(uuid.uuid4()), "previousPublishedMessageId": None}
    mail = EmailMessage()
    mail["From"], mail["To"] = sender, to or LOCAL_REPLY_ADDRESS
    mail["Subject"] = _text(request, "subject", required=False) or "Re: your request"
    mail["Message-ID"] = f"<{uuid.uuid4()}@local>"
    mail.set_content(body)
    message_id = uuid.uuid4().hex
    passed = {"status": "PASS"}
    return "InboundEmailTopic", {
        "notificationType": "Received",
        "mail": {"timestamp": now, "source": sender, "messageId": message_id,
                 "destination": [to or LOCAL_REPLY_ADDRESS], "headersTruncated": False,
                 "commonHeaders": {"from": [sender], "to": [to or LOCAL_REPLY_ADDRESS],
                                   "subject": str(mail["Subject"])}},
        "receipt": {"timestamp": now, "processingTimeMillis": 1, "recipients": [to or LOCAL_REPLY_ADDRESS],
                    "spamVerdict": passed, "virusVerdict": passed, "spfVerdict": passed, "dkimVerdict": passed,
                    "dmarcVerdict": passed,
                    "action": {"type": "SNS", "topicArn": "", "encoding": "UTF8"}},
        "content": mail.as_string()}


def sns_event(topic_arn: str, message: dict[str, Any]) -> dict[str, Any]:
    """The event Lambda gets from an SNS subscription."""
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
        "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()), "TopicArn": topic_arn, "Subject": None,
                "Message": json.dumps(message),
                "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "SignatureVersion": "1", "Signature": "local", "SigningCertUrl": "https://sns.local/cert.pem",
                "UnsubscribeUrl": "https://sns.local/unsubscribe", "MessageAttributes": {}}}]}


def ses_event_message(request: dict[str, Any], emails: list[Any], sender: str, account: str,
                      now: str) -> dict[str, Any]:
    """What SES event publishing sends for the newest email to `to` (from the engine's outbox): a Bounce
    (bounceType Permanent unless given) or a Complaint, with the email's message id and tags."""
    kind = request.get("type")
    if kind not in ("Bounce", "Complaint"):
        raise InboundError("type", 'must be "Bounce" or "Complaint"')
    to = _text(request, "to")
    bounce_type = request.get("bounceType", "Permanent")
    if bounce_type not in ("Permanent", "Transient", "Undetermined"):
        raise InboundError("bounceType", 'must be "Permanent", "Transient" or "Undetermined"')
    sent = [m for m in emails if m.channel == "email" and m.recipient == to and m.message_id]
    if not sent:
        raise InboundError("to", "no email was sent to this address")
    email = sent[-1]
    mail = {"timestamp": now, "source": sender, "sourceArn": f"arn:aws:ses:local:{account}:identity/{sender}",
            "sendingAccountId": account, "messageId": email.message_id, "destination": [to],
            "headersTruncated": False, "commonHeaders": {"from": [sender], "to": [to], "subject": email.subject},
            "tags": {"ses:caller-identity": ["loopgate-local"], **{k: [v] for k, v in email.tags.items()}}}
    if kind == "Complaint":
        return {"eventType": "Complaint", "mail": mail, "complaint": {
            "feedbackId": f"{uuid.uuid4()}-000000", "complaintSubType": None, "complaintFeedbackType": "abuse",
            "complainedRecipients": [{"emailAddress": to}], "timestamp": now, "userAgent": "local", "arrivalDate": now}}
    permanent = bounce_type == "Permanent"
    return {"eventType": "Bounce", "mail": mail, "bounce": {
        "feedbackId": f"{uuid.uuid4()}-000000", "bounceType": bounce_type,
        "bounceSubType": "General" if permanent else "MailboxFull", "timestamp": now, "reportingMTA": "dsn; local",
        "bouncedRecipients": [{"emailAddress": to, "action": "failed", "status": "5.1.1" if permanent else "4.2.2",
                               "diagnosticCode": "smtp; 550 5.1.1 user unknown" if permanent
                               else "smtp; 452 4.2.2 mailbox full"}]}}
