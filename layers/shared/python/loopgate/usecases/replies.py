"""A customer's SMS or email reply answers their open step, as the page would, or gets a helpful reply.

The step is found by the sender: each message we send notes a reply route under a hash of the address it went
to (adapters/dynamo.py, REPLY#); a reply from another address finds nothing. The answer goes through the same
core as POST /c/{linkId}, by the link of the message replied to: single use, the same checks, that link used up.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from loopgate.clock import now_iso
from loopgate.errors import Gone, InvalidInput, NotFound
from loopgate.models import CustomerAnswer
from loopgate.policy.replies import ReadReply, code_matches, first_reply_line, read_reply, sender_hash
from loopgate.ports import CaseStore, Workflow
from loopgate.usecases.customer_steps import (
    ALLOWED,
    RETENTION_SECONDS,
    TryAgain,
    answer_through,
    offered_options,
    usable_step,
)
from loopgate.usecases.links import link_hash, new_link_id
from loopgate.web.messages import ReplyInvite, answer_words, reply_invitation, reply_subject, reply_text

CODE_ATTEMPTS = 5  # wrong codes a step takes by reply; guessing one of a million in five is 1 in 200,000


@dataclass(frozen=True)
class InboundReply:
    channel: str  # sms | email
    sender: str  # the phone number or address the reply came from
    body: str
    subject: str | None = None


ANSWERS_PER_DAY = 20  # what we answer one sender in a day (UTC): enough for any conversation, not for a loop


@dataclass(frozen=True)
class ReplyOutcome:
    """What became of a reply (for the log and the metrics) and what we answer, if anything."""

    outcome: str  # answered | opted_out | not_understood | need_code | wrong_code | locked | unknown_sender |
    #               answered_before | closed | expired | changed | try_again
    text: str | None
    subject: str | None = None
    case_id: str | None = None
    muted: bool = False  # we had an answer but sent none: the sender had ANSWERS_PER_DAY today


def _locale_of(store: CaseStore, case_id: str) -> str | None:
    try:
        return store.get_case(case_id)["customer"].get("locale") or "en"
    except NotFound:
        return None


def receive_reply(store: CaseStore, workflow: Workflow, reply: InboundReply, public_base_url: str) -> ReplyOutcome:
    """Reads and acts on a reply; what we answer is limited per sender and day, so that an auto-responder on the
    other end (or a sender texting us at random) cannot start an endless exchange of messages we pay for."""
    outcome = _receive(store, workflow, reply, public_base_url)
    if outcome.text and not store.count_answer(sender_hash(reply.channel, reply.sender), now_iso()[:10],
                                               ANSWERS_PER_DAY):
        return replace(outcome, text=None, muted=True)
    return outcome


def _receive(store: CaseStore, workflow: Workflow, reply: InboundReply, public_base_url: str) -> ReplyOutcome:
    words = first_reply_line(reply.body) if reply.channel == "email" else reply.body
    if reply.channel == "email" and not words and reply.subject:
        words = reply.subject.removeprefix("Re:").removeprefix("RE:").removeprefix("AW:").strip()
    read = read_reply(words)
    sender = sender_hash(reply.channel, reply.sender)
    routes = store.reply_routes(sender)
    if read.intent == "stop":
        # Recorded even for a sender we never wrote to: they asked for no messages on this channel.
        store.opt_out(sender, reply.channel)
        if routes:
            store.append_event(routes[0]["caseId"], "customer_opted_out",
                               f"The customer opted out of {reply.channel} messages (STOP)", actor="customer",
                               detail={"channel": reply.channel})
        # Carriers confirm STOP themselves; a message of ours to an opted-out number would not be delivered.
        return ReplyOutcome("opted_out", None, case_id=routes[0]["caseId"] if routes else None)
    if read.intent == "start":
        if not store.opt_in(sender):  # never opted out, or out because the address bounced or complained
            return ReplyOutcome("not_opted_out", None, case_id=routes[0]["caseId"] if routes else None)
        if routes:
            store.append_event(routes[0]["caseId"], "customer_opted_in",
                               f"The customer opted in to {reply.channel} messages again (START)", actor="customer",
                               detail={"channel": reply.channel})
        locale = _locale_of(store, routes[0]["caseId"]) if routes else None
        return ReplyOutcome("opted_in", reply_text(locale, "opted_in"), reply_subject(locale),
                            case_id=routes[0]["caseId"] if routes else None)
    if not routes:
        return ReplyOutcome("unknown_sender", reply_text(None, "unknown"), reply_subject(None))
    link, step, refused = _newest_open(store, routes)
    case_id = (link or {}).get("caseId") or routes[0]["caseId"]
    try:
        case = store.get_case(case_id)
    except NotFound:
        return ReplyOutcome("unknown_sender", reply_text(None, "unknown"), reply_subject(None))
    locale = case["customer"].get("locale") or "en"
    contact = case["customer"].get("email" if reply.channel == "email" else "phone")
    if not contact or sender_hash(reply.channel, contact) != sender:
        # The customer's contact changed (or was erased) since the message: it is no longer theirs to answer.
        return ReplyOutcome("unknown_sender", reply_text(None, "unknown"), reply_subject(None))
    outcome = _answer(store, workflow, read, case, link, step, refused, locale, public_base_url)
    store.append_event(case_id, "customer_replied", f"The customer replied by {reply.channel}: {outcome.outcome}",
                       actor="customer", detail={"channel": reply.channel, "outcome": outcome.outcome})
    return ReplyOutcome(outcome.outcome, outcome.text, reply_subject(locale), case_id)


def _newest_open(store: CaseStore, routes: list[dict[str, Any]]):
    """The step of the newest message sent to this sender, if it still waits, else why not.

    Only the newest: a customer replies to the message they last got, and a second "2" after an answer must hear
    "already answered", not answer an older request they were not looking at (its link still works)."""
    for route in routes:
        try:
            link = store.get_link(route["linkHash"])
        except NotFound:  # erased, or gone with its TTL: the message before it is the newest that counts
            continue
        try:
            return link, usable_step(store, link), None
        except Gone as exc:
            return link, None, exc
    return None, None, Gone("expired", reason="expired")


def _answer(store: CaseStore, workflow: Workflow, read: ReadReply, case: dict[str, Any], link, step,
            refused: Gone | None, locale: str, public_base_url: str) -> ReplyOutcome:
    def say(outcome: str, key: str, **values: str) -> ReplyOutcome:
        return ReplyOutcome(outcome, reply_text(locale, key, **values))

    if step is None:
        reason = refused.reason if refused and refused.reason in ("answered", "closed", "expired") else "expired"
        return say({"answered": "answered_before"}.get(reason, reason), reason)
    options = offered_options(case)
    answer = _as_answer(read, step["kind"], options)
    if answer is None:
        return say("not_understood", "not_understood", invitation=reply_invitation(locale, _invite(step, options),
                                                                                   "sms"),
                   url=_fresh_link(store, link, step, public_base_url))
    if answer.response in ("confirm", "choose") and step.get("codeHashes"):
        example = ("JA" if locale.startswith("de") else "YES") if answer.response == "confirm" else str(read.option)
        example += " 123456"
        if not read.code:
            return say("need_code", "need_code", example=example)
        if not store.take_code_attempt(case["caseId"], step["stepId"], CODE_ATTEMPTS):
            return say("locked", "locked", url=_fresh_link(store, link, step, public_base_url))
        if not code_matches(step["stepId"], read.code, step["codeHashes"]):
            return say("wrong_code", "wrong_code", example=example)
    try:
        result = answer_through(store, workflow, link, step, answer)
    except TryAgain:
        return say("try_again", "try_again")
    except Gone as exc:
        reason = exc.reason if exc.reason in ("answered", "closed", "expired", "changed") else "closed"
        return say({"answered": "answered_before"}.get(reason, reason), reason)
    except InvalidInput:
        return say("not_understood", "not_understood", invitation=reply_invitation(locale, _invite(step, options),
                                                                                   "sms"),
                   url=_fresh_link(store, link, step, public_base_url))
    if answer.response == "human":
        return say("answered", "person", hours=str(result["personWithinHours"]))
    label = next((f"{i}: {o.get('label') or o.get('id')}" for i, o in enumerate(options, start=1)
                  if str(o.get("id")) == answer.option), None)
    return say("answered", "received", what=answer_words(locale, answer.response, label))


def _as_answer(read: ReadReply, kind: str, options: list[dict[str, Any]]) -> CustomerAnswer | None:
    """The answer the reply gives to this kind of step; None when it gives none (an option of a yes/no
    question, a number beyond the options, fields that only the page can take)."""
    if read.intent == "choose" and kind == "choose" and 1 <= (read.option or 0) <= len(options):
        return CustomerAnswer(response="choose", option=str(options[read.option - 1].get("id")))
    if read.intent in ("confirm", "reject", "human") and read.intent in ALLOWED[kind]:
        return CustomerAnswer(response=read.intent)
    return None


def _invite(step: dict[str, Any], options: list[dict[str, Any]]) -> ReplyInvite:
    """The invitation again, without the code: the code is only ever in the message we sent."""
    labels = tuple(str(o.get("label") or o.get("id")) for o in options) if step["kind"] == "choose" else ()
    return ReplyInvite(kind=step["kind"], options=labels)


def _fresh_link(store: CaseStore, link: dict[str, Any], step: dict[str, Any], public_base_url: str) -> str:
    """A new link to the same step, as a reminder mints one: the earlier message's link is stored only as a hash
    and cannot be rebuilt. It goes only to the address the step's message went to, and lives as long as the step."""
    link_id = new_link_id()
    store.put_link({"linkHash": link_hash(link_id), "caseId": link["caseId"], "stepId": step["stepId"],
                    "journey": link["journey"], "createdAt": now_iso(),
                    "expiresAt": int(step["validUntil"]) + RETENTION_SECONDS})
    return f"{public_base_url.rstrip('/')}/c/{link_id}"
