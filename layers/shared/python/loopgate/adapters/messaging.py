"""Email through SES v2 and SMS through SNS, with the other channel tried when the first fails."""
from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from loopgate.errors import DeliveryFailed
from loopgate.web.messages import CustomerMessage


@dataclass(frozen=True)
class Delivery:
    channel: str  # "email" | "sms"
    attempts: list[str]


class CustomerMessenger:
    def __init__(self, sesv2_client, sns_client, sender: str, reply_to: str | None = None):
        self.ses = sesv2_client
        self.sns = sns_client
        self.sender = sender
        # Where email replies go (the SES receipt rule's address); without one, to the sender itself.
        self.reply_to = {"ReplyToAddresses": [reply_to]} if reply_to else {}

    def _email(self, to: str, message: CustomerMessage) -> None:
        self.ses.send_email(
            FromEmailAddress=self.sender, Destination={"ToAddresses": [to]}, **self.reply_to,
            Content={"Simple": {"Subject": {"Data": message.subject, "Charset": "UTF-8"},
                                "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"},
                                         "Html": {"Data": message.html, "Charset": "UTF-8"}}}})

    def _sms(self, to: str, message: CustomerMessage) -> None:
        self._sms_text(to, message.sms)

    def _sms_text(self, to: str, text: str) -> None:
        self.sns.publish(PhoneNumber=to, Message=text,
                         MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String",
                                                                     "StringValue": "Transactional"}})

    def reply(self, *, channel: str, to: str, subject: str | None, text: str) -> None:
        """Our answer to a customer's SMS or email reply, on the channel it came by."""
        if channel == "sms":
            self._sms_text(to, text)
            return
        self.ses.send_email(
            FromEmailAddress=self.sender, Destination={"ToAddresses": [to]}, **self.reply_to,
            Content={"Simple": {"Subject": {"Data": subject or "", "Charset": "UTF-8"},
                                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}}})

    def send(self, *, email: str | None, phone: str | None, message: CustomerMessage,
             prefer: str = "email") -> Delivery:
        channels = [("email", email, self._email), ("sms", phone, self._sms)]
        if prefer == "sms":
            channels.reverse()
        attempts = []
        for name, address, send in channels:
            if not address:
                continue
            try:
                send(address, message)
                return Delivery(channel=name, attempts=attempts + [f"{name}:sent"])
            except (ClientError, BotoCoreError) as exc:
                attempts.append(f"{name}:failed:{type(exc).__name__}")
        raise DeliveryFailed(", ".join(attempts) or "the customer has neither email nor phone")
