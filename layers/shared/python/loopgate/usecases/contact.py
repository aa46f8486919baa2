"""Contact tasks and the customer: told by when a person will contact them, and told when nobody reached them."""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from loopgate.clock import now_iso, parse_iso
from loopgate.errors import DeliveryFailed
from loopgate.ports import CaseStore, CustomerMessenger
from loopgate.usecases.reachability import reachable
from loopgate.web.messages import contact_promise_message, language, not_reached_message

# Where the customer gave no zone: the one their locale's country mostly lives in, else UTC (the message names it).
_ZONE_OF_LOCALE = {"de": "Europe/Berlin", "de-AT": "Europe/Vienna", "de-CH": "Europe/Zurich",
                   "en-GB": "Europe/London", "en-IE": "Europe/Dublin"}


def customer_zone(customer: dict[str, Any]) -> ZoneInfo:
    locale = customer.get("locale") or "en"
    return ZoneInfo(customer.get("timeZone") or _ZONE_OF_LOCALE.get(locale)
                    or _ZONE_OF_LOCALE.get(locale.split("-")[0]) or "UTC")


def when_text(moment_iso: str, customer: dict[str, Any]) -> str:
    """A due time as the customer reads it: their language, their zone, the zone named ("Monday, 23 November
    2026, 18:00 CET"); a customer told "by 17:00" must not have to guess whose 17:00."""
    babel_locale = (customer.get("locale") or "en").replace("-", "_")
    zone = customer_zone(customer)
    moment = parse_iso(moment_iso).astimezone(zone)
    day = format_date(moment, "full", locale=babel_locale)
    time = format_time(moment, "short", locale=babel_locale)
    named = format_time(moment, "z", locale=babel_locale)
    return f"{day}, {time} {named}"


def how_contacted(case: dict[str, Any]) -> tuple[str, str]:
    """How the person will contact the customer (phone, email, sms) and which channel the message about it takes
    (email or sms): the hand-over's preferred contact first, else the customer's preferred channel."""
    customer = case.get("customer") or {}
    preferred = ((case.get("payload") or {}).get("preferredContact") or {}).get("channel")
    how = preferred or ("phone" if customer.get("phone") else "email")
    by = "email" if how == "email" else "sms" if customer.get("phone") else "email"
    if not preferred and customer.get("preferredChannel"):
        by = customer["preferredChannel"]
    return how, by


def promise_contact(store: CaseStore, messenger: CustomerMessenger, case: dict[str, Any],
                    task: dict[str, Any]) -> dict[str, Any]:
    """Tells the customer by when a person will contact them: the contact task's due time. Again only when a task
    (an escalation, after the first ran out of time) is due later than what they were told, saying sorry; a task
    due within the promise (a reviewer handed it on early) keeps it. A retried step sends nothing twice once the
    promise names its task."""
    earlier = case.get("contactPromise")
    if earlier and (earlier.get("taskId") == task["taskId"] or task["dueAt"] <= earlier["by"]):
        return earlier
    customer = case["customer"]
    how, by = how_contacted(case)
    window = ((case.get("payload") or {}).get("preferredContact") or {}).get("window")
    message = contact_promise_message(locale=customer.get("locale"), name=customer.get("name"),
                                      when=when_text(task["dueAt"], customer), how=how,
                                      reference=case["caseId"], window=window, late=earlier is not None)
    promise = {"by": task["dueAt"], "how": how, "language": language(customer.get("locale")), "at": now_iso(),
               "taskId": task["taskId"], "renewals": (earlier.get("renewals", 0) + 1) if earlier else 0}
    try:
        email, phone = reachable(store, customer)  # never an address that bounced, complained or said STOP
        delivery = messenger.send(email=email, phone=phone, message=message, prefer=by,
                                  tags={"caseId": case["caseId"]})
    except DeliveryFailed as exc:
        # The person still calls by the due time; only the message is missing, and the reviewer sees why.
        promise["toldBy"] = None
        store.append_event(case["caseId"], "contact_promise_failed",
                           "The customer could not be told when a person will contact them",
                           detail={"attempts": str(exc), "due": task["dueAt"]})
    else:
        promise["toldBy"] = delivery.channel
        store.add_effort(case["caseId"], messages=1)
        store.append_event(case["caseId"], "contact_promise_renewed" if earlier else "contact_promised",
                           ("Sorry, later than promised: the" if earlier else "The") +
                           f" customer was told by {delivery.channel} that a person will contact them by "
                           f"{when_text(task['dueAt'], case['customer'])}",
                           detail={"due": task["dueAt"], "how": how, "channel": delivery.channel})
    store.update_case(case, {"contactPromise": promise})
    return promise


def tell_not_reached(store: CaseStore, messenger: CustomerMessenger, case: dict[str, Any]) -> None:
    """The person could not reach the customer: the customer learns we tried and how to reach us. Once per case."""
    if case.get("notReachedToldAt"):
        return
    customer = case["customer"]
    how, by = how_contacted(case)
    message = not_reached_message(locale=customer.get("locale"), name=customer.get("name"), how=how,
                                  reference=case["caseId"])
    try:
        email, phone = reachable(store, customer)  # never an address that bounced, complained or said STOP
        delivery = messenger.send(email=email, phone=phone, message=message, prefer=by,
                                  tags={"caseId": case["caseId"]})
    except DeliveryFailed as exc:
        store.append_event(case["caseId"], "not_reached_untold",
                           "Neither email nor SMS reached the customer to say we tried",
                           detail={"attempts": str(exc)})
    else:
        store.add_effort(case["caseId"], messages=1)
        store.append_event(case["caseId"], "not_reached_told",
                           f"The customer was told by {delivery.channel} that we tried to reach them and how to "
                           "reach us", detail={"channel": delivery.channel})
    store.update_case(case, {"notReachedToldAt": now_iso()})
