"""Email through SES v2 and SMS through SNS, with the other channel tried when the first fails."""
from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from loopgate.errors import DeliveryFailed
from loopgate.web.messages import CustomerMessage

logger = Logger(child=True)


@dataclass(frozen=True)
class Delivery:
    channel: str  # "email" | "sms"
    attempts: list[str]
    message_id: str | None = None  # SES's or SNS's id of what went out; a bounce names the email by it


class CustomerMessenger:
    def __init__(self, sesv2_client, sns_client, sender: str, reply_to: str | None = None,
                 configuration_set: str | None = None):
        self.ses = sesv2_client
        self.sns = sns_client
        self.sender = sender
        # Where email replies go (the SES receipt rule's address); without one, to the sender itself.
        self.reply_to = {"ReplyToAddresses": [reply_to]} if reply_to else {}
        # The configuration set publishes bounces and complaints (docs/messaging.md); its tags name the case.
        self.configuration_set = {"ConfigurationSetName": configuration_set} if configuration_set else {}

    def _email(self, to: str, message: CustomerMessage, tags: dict[str, str]) -> str | None:
        response = self.ses.send_email(
            FromEmailAddress=self.sender, Destination={"ToAddresses": [to]}, **self.reply_to,
            **self.configuration_set, **_email_tags(tags),
            Content={"Simple": {"Subject": {"Data": message.subject, "Charset": "UTF-8"},
                                "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"},
                                         "Html": {"Data": message.html, "Charset": "UTF-8"}}}})
        return response.get("MessageId")

    def _sms(self, to: str, message: CustomerMessage, tags: dict[str, str]) -> str | None:
        return self._sms_text(to, message.sms)

    def _sms_text(self, to: str, text: str) -> str | None:
        return self.sns.publish(PhoneNumber=to, Message=text,
                                MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String",
                                                                            "StringValue": "Transactional"}},
                                ).get("MessageId")

    def opt_in_phone(self, number: str) -> bool:
        try:
            self.sns.opt_in_phone_number(phoneNumber=number)
        except ClientError as exc:  # SNS allows it once in 30 days per number: the customer may text START later
            logger.warning("the SMS opt-out list kept a number", extra={"error": exc.response["Error"]["Code"]})
            return False
        return True

    def reply(self, *, channel: str, to: str, subject: str | None, text: str) -> None:
        """Our answer to a customer's SMS or email reply, on the channel it came by."""
        if channel == "sms":
            self._sms_text(to, text)
            return
        self.ses.send_email(
            FromEmailAddress=self.sender, Destination={"ToAddresses": [to]}, **self.reply_to,
            **self.configuration_set,
            Content={"Simple": {"Subject": {"Data": subject or "", "Charset": "UTF-8"},
                                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}}})

    def send(self, *, email: str | None, phone: str | None, message: CustomerMessage,
             prefer: str = "email", tags: dict[str, str] | None = None) -> Delivery:
        """`tags` (caseId, stepId: never a link id) come back with a bounce or complaint of the email."""
        channels = [("email", email, self._email), ("sms", phone, self._sms)]
        if prefer == "sms":
            channels.reverse()
        attempts = []
        for name, address, send in channels:
            if not address:
                continue
            try:
                message_id = send(address, message, tags or {})
                return Delivery(channel=name, attempts=attempts + [f"{name}:sent"], message_id=message_id)
            except (ClientError, BotoCoreError) as exc:
                attempts.append(f"{name}:failed:{type(exc).__name__}")
        raise DeliveryFailed(", ".join(attempts) or "the customer has neither email nor phone")


def _email_tags(tags: dict[str, str]) -> dict:
    """SES takes tag values of letters, digits, '_' and '-' only (case and step ids are such)."""
    return {"EmailTags": [{"Name": k, "Value": v} for k, v in tags.items() if v]} if tags else {}
