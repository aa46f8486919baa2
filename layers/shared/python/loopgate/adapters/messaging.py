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
    def __init__(self, sesv2_client, sns_client, sender: str):
        self.ses = sesv2_client
        self.sns = sns_client
        self.sender = sender

    def _email(self, to: str, message: CustomerMessage) -> None:
        self.ses.send_email(
            FromEmailAddress=self.sender, Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": message.subject, "Charset": "UTF-8"},
                                "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"},
                                         "Html": {"Data": message.html, "Charset": "UTF-8"}}}})

    def _sms(self, to: str, message: CustomerMessage) -> None:
        self.sns.publish(PhoneNumber=to, Message=message.sms,
                         MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String",
                                                                     "StringValue": "Transactional"}})

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
