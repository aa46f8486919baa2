"""QA of bot conversations: a channel posts a finished conversation, the QA policy samples it into the `qa`
queue, a QA reviewer scores it; failures reach the override log, the insights and, if asked, the customer."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger

from loopgate.clock import epoch, iso, now_iso, parse_iso
from loopgate.errors import Conflict, InvalidInput, InvalidValue
from loopgate.models import CaseRequest, InteractionRequest, ReviewDecision, Reviewer
from loopgate.policy.journeys import catalogue
from loopgate.policy.qa import (
    FOLLOW_UP_JOURNEY,
    QA_LOG,
    QaPolicy,
    failed_criteria,
    handover_payload,
    priority_for,
    qa_failure_record,
    qa_policy,
    sample_reasons,
)
from loopgate.ports import CaseStore, EventBus, Workflow
from loopgate.usecases.intake import receive_case
from loopgate.usecases.learning import observe_after_effect, observe_qa

logger = Logger(child=True)

QA_OPTIONS = [{"action": "score",
               "does": "Score every criterion pass or fail (a failure needs a reason); a failure is logged as a QA "
                       "failure; with followUp a person contacts the customer."}]


def interaction_ref(channel_key: str, interaction_id: str) -> str:
    """Where a conversation is stored: the channel's own id, scoped to the channel (two channels may pick the
    same id without sharing a conversation)."""
    return "ia-" + hashlib.sha256(f"{channel_key}\n{interaction_id}".encode()).hexdigest()[:32]


def qa_task_id(ref: str) -> str:
    """Stable per conversation: a retried post finds the task the first one opened."""
    return "qa-" + hashlib.sha256(ref.encode()).hexdigest()[:24]


def _fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:32]


def receive_interaction(request: InteractionRequest, store: CaseStore, channel_key: str) -> dict[str, Any]:
    """Stores the conversation and, when the QA policy samples it, opens its QA task. A second post of the same
    conversation answers as the first did (and opens the task if the first post stopped before it)."""
    policy = qa_policy()
    body = request.model_dump(mode="json", exclude_none=True)
    ref = interaction_ref(channel_key, request.interactionId)
    customer_turns = [turn.text for turn in request.transcript if turn.speaker == "customer"]
    reasons = sample_reasons(policy, request.interactionId, request.flags, request.outcome, customer_turns)
    interaction = {**body, "ref": ref, "channelKey": channel_key, "receivedAt": now_iso(),
                   "fingerprint": _fingerprint(body), "sampled": bool(reasons), "sampledBecause": reasons,
                   "taskId": qa_task_id(ref) if reasons else None}
    if not store.put_interaction(interaction):
        stored = store.get_interaction(ref)
        if stored["fingerprint"] != interaction["fingerprint"]:
            raise InvalidValue("interactionId", "was received before with different content; a conversation is "
                               "posted once, when it has ended")
        interaction = stored
    if interaction["taskId"]:
        store.put_task(qa_task(interaction, policy))  # conditional: a second post opens nothing new
    answer = {"interactionId": request.interactionId, "sampled": interaction["sampled"]}
    if interaction["taskId"]:
        answer["taskId"] = interaction["taskId"]
    return answer


def qa_task(interaction: dict[str, Any], policy: QaPolicy) -> dict[str, Any]:
    """A QA task: in the queue like a review, but nothing waits on it (no token, no deadline watcher)."""
    reasons = interaction["sampledBecause"]
    bot = interaction["bot"]
    customer = interaction["customer"]
    created = interaction["receivedAt"]
    return {
        "taskId": interaction["taskId"], "kind": "qa", "journey": QA_LOG, "queue": policy.queue,
        "priority": priority_for(policy, reasons), "status": "OPEN", "reason": "qa_sample", "escalated": False,
        "createdAt": created, "dueAt": iso(parse_iso(created) + timedelta(seconds=policy.dueSeconds)),
        "interactionRef": interaction["ref"], "interactionId": interaction["interactionId"],
        "brief": {"reason": reasons[0]["text"], "customer": customer.get("name") or customer["id"],
                  "title": f"QA: {bot['name']}" + (f" ({bot['intent']})" if bot.get("intent") else "")},
    }


def qa_view(store: CaseStore, public: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    """What a QA reviewer reads: the conversation, the bot's flags, why it was sampled, and the scorecard."""
    interaction = store.get_interaction(task["interactionRef"])
    policy = qa_policy()
    return {
        **public,
        "interaction": {k: interaction.get(k) for k in ("interactionId", "channel", "customer", "bot", "outcome",
                                                        "flags", "endedAt", "receivedAt", "transcript")},
        "why": {"sampledBecause": interaction["sampledBecause"]},
        "scorecard": [{"name": c.name, "label": c.labels["en"], "labels": c.labels, "explain": c.explain,
                       "critical": c.critical} for c in policy.scorecard],
        "options": QA_OPTIONS,
        "escalatesTo": None,
        "followUpAvailable": FOLLOW_UP_JOURNEY in catalogue(),
        "decision": task.get("decision"),
        "followUpCaseId": task.get("followUpCaseId"),
    }


def _same_scoring(recorded: dict[str, Any], record: dict[str, Any]) -> bool:
    return all(recorded.get(k) == record.get(k) for k in ("scores", "followUp", "comment"))


def decide_qa(store: CaseStore, workflow: Workflow, events: EventBus | None, caller: Reviewer,
              task: dict[str, Any], decision: ReviewDecision) -> dict[str, Any]:
    """Records a QA reviewer's scorecard on the task (nothing waits on it). A failure goes to the override log
    and the insights; with followUp it opens a hand-over case to contact the customer."""
    if decision.action != "score":
        raise InvalidInput("action", "a QA task is scored: send action score with the scorecard")
    for field in ("proposal", "fields", "reason", "proposalVersion"):
        if getattr(decision, field) is not None:  # a scorecard departs from no proposal: say so, don't drop it
            raise InvalidInput(field, "does not apply to a QA score: give reasons per criterion in scores")
    failed = failed_criteria(qa_policy(), decision.scores)
    if decision.followUp and not failed:
        raise InvalidInput("followUp", "only a failed conversation opens a follow-up to the customer")
    if decision.followUp and FOLLOW_UP_JOURNEY not in catalogue():
        raise InvalidInput("followUp", f"no '{FOLLOW_UP_JOURNEY}' journey is installed to open a follow-up")
    critical = any(qa_policy().criterion(name).critical for name in failed)
    record = {"action": "score", "scores": {name: s.model_dump(exclude_none=True)
                                            for name, s in (decision.scores or {}).items()},
              "failed": failed, "critical": critical, "followUp": bool(decision.followUp), "at": now_iso()}
    if decision.comment:
        record["comment"] = decision.comment
    follow_up = None
    if not store.decide_task(task["taskId"], caller.sub, epoch(), record):
        current = store.get_task(task["taskId"])
        # The same reviewer sending the same scorecard again (their first request failed after the task was
        # decided) completes what it left undone; anything else finds the task decided.
        if not (current["status"] == "DECIDED" and current.get("decidedBy") == caller.sub
                and _same_scoring(current.get("decision") or {}, record)):
            logger.info("qa decision refused", extra={"taskId": task["taskId"], "reviewer": caller.sub})
            raise Conflict(f"task {task['taskId']} is no longer open ({current['status'].lower()})")
        record, follow_up = current["decision"], current.get("followUpCaseId")
    interaction = store.get_interaction(task["interactionRef"])
    if failed:
        store.append_override(qa_failure_record(
            interaction=interaction, task_id=task["taskId"], reviewer=caller.sub, scores=record["scores"],
            failed=failed, critical=critical, comment=record.get("comment"), at=record["at"]))
    if record["followUp"] and not follow_up:
        follow_up = _open_follow_up(store, workflow, events, caller, task, interaction, record)
    observe_after_effect(observe_qa, store, interaction, task["taskId"], list(record["scores"]), failed, critical,
                         caller.sub)
    result = {"taskId": task["taskId"], "interactionId": interaction["interactionId"], "action": "score",
              "status": "DECIDED", "failed": failed, "critical": critical}
    if follow_up:
        result["followUpCaseId"] = follow_up
    return result


def _open_follow_up(store: CaseStore, workflow: Workflow, events: EventBus | None, caller: Reviewer,
                    task: dict[str, Any], interaction: dict[str, Any], record: dict[str, Any]) -> str:
    """A hand-over case (the same intake as POST /cases) so that a person contacts the customer; the channel
    that posted the conversation may read it."""
    if events is None:
        raise RuntimeError("a follow-up needs the event bus")  # wiring error, not the reviewer's
    request = CaseRequest.model_validate({"journey": FOLLOW_UP_JOURNEY, "channel": "qa",
                                          "customer": interaction["customer"],
                                          "payload": handover_payload(interaction)})
    case_id = receive_case(request, store, workflow, interaction["channelKey"], events)["caseId"]
    store.note_follow_up(task["taskId"], case_id)
    findings = "; ".join(f"{name}: {record['scores'][name].get('reason')}" for name in record["failed"])
    store.append_event(case_id, "qa_failed", f"QA found the bot's conversation failed ({findings})",
                       actor=f"reviewer:{caller.sub}",
                       detail={"interactionId": interaction["interactionId"], "taskId": task["taskId"],
                               "failedCriteria": record["failed"]})
    return case_id
