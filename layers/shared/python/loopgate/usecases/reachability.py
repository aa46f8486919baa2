"""Which of a customer's addresses we may still write to: none they opted out of (STOP), no email that bounced for
good or that they reported as spam (one OPTOUT# record per address, docs/messaging.md)."""
from __future__ import annotations

from typing import Any

from loopgate.policy.replies import sender_hash
from loopgate.ports import CaseStore


def reachable(store: CaseStore, customer: dict[str, Any]) -> tuple[str | None, str | None]:
    """The customer's email and phone, less any that must not be used: as if the customer had given none."""
    email, phone = customer.get("email"), customer.get("phone")
    return (None if email and store.is_opted_out(sender_hash("email", email)) else email,
            None if phone and store.is_opted_out(sender_hash("sms", phone)) else phone)
