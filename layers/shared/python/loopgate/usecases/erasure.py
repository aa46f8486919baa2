"""Erasure on request: a lead removes a customer's personal data from their closed cases, keeping decisions,
overrides and metrics under a pseudonym; the erasure is logged on each case and in a record of its own."""
from __future__ import annotations

import hashlib
import secrets
from typing import Any

from loopgate import roles
from loopgate.clock import now_iso
from loopgate.errors import ConcurrentUpdate, Conflict, Forbidden, NotFound
from loopgate.models import Reviewer
from loopgate.policy import erasure as policy
from loopgate.policy import sealing
from loopgate.policy.journeys import get_journey
from loopgate.policy.overrides import override_key
from loopgate.policy.qa import QA_LOG
from loopgate.policy.replies import sender_hash
from loopgate.ports import CaseStore

ERASERS = roles.LEADS
ERASED_EVENT = "personal_data_erased"


def new_pseudonym() -> str:
    return f"erased-{secrets.token_hex(12)}"


def customer_hash(salt: str, customer_id: str) -> str:
    """Lets whoever knows a customer id check it against a record; the record alone does not reveal it."""
    return hashlib.sha256(f"{salt}:{customer_id}".encode()).hexdigest()


def erase_customer(store: CaseStore, caller: Reviewer, customer_id: str, reason: str) -> dict[str, Any]:
    """Erases the customer's closed cases; open ones are skipped (their workflow still needs the data).

    Safe to retry: a case is stamped with the erasure's pseudonym and time before anything is rewritten, and a
    retry takes them from there, so an interrupted erasure finishes under the same pseudonym.
    """
    if ERASERS not in caller.groups:
        raise Forbidden(f"erasure is for the group '{ERASERS}'")
    found = []
    case_ids, conversation_refs = store.filed_under_customer(customer_id)
    for case_id in case_ids:
        try:
            items = store.case_items(case_id)
        except NotFound:  # pragma: no cover (case_items answers [] for a deleted case)
            continue
        case = next((i for i in items if i["sk"] == "CASE"), None)
        # The index is eventually consistent: a case erased a moment ago may still be listed under the id.
        if case is not None and not case["customer"].get("erased") and case["customer"]["id"] == customer_id:
            found.append((case, items))
    conversations = _conversations_of(store, customer_id, conversation_refs)
    stamped = next((c["erasure"] for c, _ in found if c.get("erasure")), None) or \
        next((c["erasure"] for c, _ in conversations if c.get("erasure")), None)
    pseudonym, at = (stamped["pseudonym"], stamped["at"]) if stamped else (new_pseudonym(), now_iso())
    closed = [(c, i) for c, i in found if c["status"] in policy.CLOSED_STATUSES]
    skipped = [{"caseId": c["caseId"],
                "why": f"the case is {c['status']}: its workflow still needs the customer's data; erase again once "
                       "it is closed"} for c, _ in found if c["status"] not in policy.CLOSED_STATUSES]
    scored = [(c, task) for c, task in conversations if not task or task["status"] != "OPEN"]
    skipped += [{"interactionId": c["interactionId"],
                 "why": "the conversation waits for its QA score; erase again once it is scored"}
                for c, task in conversations if task and task["status"] == "OPEN"]
    answer = {"customerId": customer_id, "pseudonym": None, "erased": [], "erasedInteractions": [],
              "skipped": skipped, "at": at}
    if not found and not conversations:
        return {**answer, "note": "no case or conversation is stored under this customer id (none, or erased "
                                  "before)"}
    if not closed and not scored:
        return answer
    salt = secrets.token_hex(16)
    first = {"kind": "ERASURE", "pseudonym": pseudonym, "salt": salt, "customerHash": customer_hash(salt, customer_id),
             "reason": reason, "by": caller.sub, "at": at}
    store.note_erasure(pseudonym, first)
    for case, items in closed:
        try:
            _erase_case(store, case, items, pseudonym, at, reason, caller)
        except ConcurrentUpdate as exc:  # the daily evidence seal wrote on the case meanwhile (docs/audit.md)
            raise Conflict(f"case {case['caseId']} changed while it was erased; send the erasure again: it "
                           "finishes under the same pseudonym") from exc
        store.note_erasure(pseudonym, first, [case["caseId"]])
    for conversation, task in scored:
        _erase_conversation(store, conversation, task, pseudonym, at)
        store.note_erasure(pseudonym, first, interaction_ids=[conversation["interactionId"]])
    record = store.note_erasure(pseudonym, first, finished_at=now_iso())
    return {**answer, "pseudonym": pseudonym, "erased": record["caseIds"],
            "erasedInteractions": record["interactionIds"]}


def _conversations_of(store: CaseStore, customer_id: str,
                      refs: list[str]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """The customer's bot conversations posted for QA, each with its QA task (None when it was not sampled)."""
    found = []
    for ref in refs:
        conversation = store.get_interaction(ref)
        if conversation["customer"].get("erased") or conversation["customer"]["id"] != customer_id:
            continue  # the index is eventually consistent: erased a moment ago, still listed under the id
        found.append((conversation, store.get_task(conversation["taskId"]) if conversation.get("taskId") else None))
    return found


def _erase_conversation(store: CaseStore, conversation: dict[str, Any], task: dict[str, Any] | None,
                        pseudonym: str, at: str) -> None:
    """A conversation, its QA task and the QA failure it may have logged: the scores stay, the words go. The
    conversation is stamped first and rewritten last: a retry finds it under the customer id until everything
    else is done, and finishes under the same pseudonym."""
    if not conversation.get("erasure"):
        store.replace_interaction({**conversation, "erasure": {"pseudonym": pseudonym, "at": at}})
    if task is not None:
        decision = task.get("decision") or {}
        if decision.get("failed"):
            key = override_key(decision["at"], task["taskId"], "fail", task["decidedBy"])
            failure = store.get_override(QA_LOG, key)
            if failure is not None:
                store.replace_override(sealing.redact(sealing.OVERRIDES, failure, policy.scrub_qa_failure(failure)))
        store.replace_items([policy.scrub_qa_task(task)])
    store.replace_interaction({**policy.scrub_interaction(conversation, pseudonym),
                               "erasure": {"pseudonym": pseudonym, "at": at}})


def _erase_case(store: CaseStore, case: dict[str, Any], items: list[dict[str, Any]], pseudonym: str, at: str,
                reason: str, caller: Reviewer) -> None:
    """One case, its timeline, steps, feedback, tasks, links and override log items; the case item last."""
    if not case.get("erasure"):
        case = store.update_case(case, {"erasure": {"pseudonym": pseudonym, "at": at}})
    journey = get_journey(case["journey"])
    for record in store.overrides_for_case(case["caseId"]):
        clean = policy.scrub_override(record, journey)
        if clean != record:  # a sealed item keeps its seal's commitment to the words erased (policy.sealing)
            store.replace_override(sealing.redact(sealing.OVERRIDES, record, clean))
    rewritten, links, task_ids = [], [], {case.get("openTaskId")}
    personal = policy.strings_in([case.get("customer"), case.get("payload"), case.get("proposal"), case.get("ai")])
    for item in items:
        kind = item["sk"].split("#", 1)[0]
        clean = item
        if kind == "EVENT" and item.get("type") != ERASED_EVENT:
            clean = sealing.redact(sealing.TIMELINE, item, policy.scrub_event(item, journey, personal))
            task_ids.add((item.get("detail") or {}).get("taskId"))
        elif kind == "STEP":
            links += item.get("linkHashes", [])
            clean = policy.scrub_step(item)
        elif kind in ("FEEDBACK", "CFEEDBACK"):
            clean = policy.scrub_feedback(item)
        if clean != item:
            rewritten.append(clean)
    for task_id in sorted(t for t in task_ids if t):
        try:
            task = store.get_task(task_id)
        except NotFound:
            continue
        clean = policy.scrub_task(task, journey)
        if task["status"] != "OPEN" and clean != task:  # an open task holds no decision yet
            rewritten.append(clean)
    store.delete_links(links)  # first: the steps rewritten below no longer name them
    # A reply route's key is a hash of the contact: a phone number's hash is found again by trying numbers.
    for channel, field in (("email", "email"), ("sms", "phone")):
        if (case.get("customer") or {}).get(field):
            store.forget_reply_routes(sender_hash(channel, case["customer"][field]), case["caseId"])
    store.replace_items(rewritten)
    store.append_event(case["caseId"], ERASED_EVENT, "Personal data erased on request", actor=f"lead:{caller.sub}",
                       detail={"reason": reason, "pseudonym": pseudonym}, at=at)
    store.update_case(case, policy.scrub_case(case, journey, pseudonym))
