"""The learning loop's use cases: facts folded into stats and memory as cases move (docs/learning.md)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from loopgate.clock import parse_iso
from loopgate.errors import NotFound
from loopgate.models import Outcome, Plan
from loopgate.policy.journeys import get_journey
from loopgate.policy.learning import GuardrailState, Policy, Tally, time_bucket
from loopgate.policy.overrides import field_diff
from loopgate.policy.qa import QA_LOG
from loopgate.ports import CaseStore

logger = Logger(child=True)


def live_policy(store: CaseStore, journey: str) -> tuple[Policy, list[GuardrailState]]:
    """The journey's live policy version (version 1 when nothing was accepted) and its guardrail states."""
    policy, states = store.live_policy(journey)
    live = Policy.model_validate({k: v for k, v in policy.items() if k in Policy.model_fields}) if policy else \
        Policy(journey=journey)
    return live, [GuardrailState.model_validate({k: v for k, v in s.items() if k in GuardrailState.model_fields})
                  for s in states]


def case_dimensions(case: dict[str, Any]) -> list[str]:
    """The stats dimensions a case's facts count under (set at scoring: `learning` on the case)."""
    learning = case.get("learning") or {}
    dims = ["all#-"]
    if learning.get("rule"):
        dims.append(f"rule#{learning['rule']}")
    dims += [f"signal#{name}" for name in learning.get("signals", [])]
    if learning.get("slice"):
        dims.append(f"slice#{learning['slice']}")
    if learning.get("queue"):
        dims.append(f"queue#{learning['queue']}")
    return dims


def observe(store: CaseStore, case: dict[str, Any], fact: str, counts: dict[str, float], *,
            reviewer: str | None = None, memory: dict[str, float] | None = None,
            latest: dict[str, str] | None = None, first: dict[str, str] | None = None) -> bool:
    """Folds one fact of a case into its journey's stats (every dimension of the case, and the reviewer's when
    given) and its slice's memory, once: False when the fact was recorded before (a retried step)."""
    learning = case.get("learning") or {}
    if not learning.get("day"):
        return False  # scored before the loop existed: nothing to attribute it to
    journey, day = case["journey"], learning["day"]
    dims = case_dimensions(case) + ([f"reviewer#{reviewer}"] if reviewer else [])
    tallies = [Tally(kind="stats", journey=journey, day=day, dimension=d, add=counts) for d in dims if counts]
    if learning.get("slice") and (memory or latest or first):
        tallies.append(Tally(kind="memory", journey=journey, slice=learning["slice"], add=memory or {},
                             latest=latest or {}, first=first or {}))
    return store.record_fact(case["caseId"], fact, tallies)


def observe_after_effect(fold: Callable[..., bool], store: CaseStore, case: dict[str, Any], *args: Any,
                         **kwargs: Any) -> bool:
    """Folds a fact of a request whose effect is already written (an answer handed to the workflow, an audit
    recorded). A fold that still fails after the store's retries is logged and dropped: answering 5xx would tell
    the caller their request failed when it took effect, and their retry would be refused. The day's aggregates
    miss one fact; the case, its timeline and the override log are whole."""
    try:
        return fold(store, case, *args, **kwargs)
    except Exception:
        logger.exception("fact not folded into the learning aggregates",
                         extra={"caseId": case.get("caseId"), "fold": fold.__name__})
        return False


def after_effect(what: str, write: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """A write after the request took effect (the workflow has the answer): one that fails after the store's retries
    is logged, not raised, for the reason observe_after_effect gives."""
    try:
        write(*args, **kwargs)
    except Exception:
        logger.exception("a write after the request took effect failed", extra={"write": what})


def fact_part(secret: str) -> str:
    """A fact id's part made of a task token or a link hash: stable for a retry, and not the secret itself."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


def _reason_code(case: dict[str, Any], reason: str | None) -> str:
    """A reason as a counter's name only when it is one of the journey's codes, else "other".

    Each distinct name is an attribute of one aggregate item, and an item holds at most 400 KB: free text (a
    modify's reason, up to 200 characters) would grow it without bound until the record step failed. The words
    stay in the override log (GET /overrides)."""
    codes = get_journey(case["journey"]).rejectReasons
    return reason if reason in codes else "other"


# ---------------------------------------------------------------- the facts of docs/learning.md
CONTACT_ENDS = ("contacted", "resolved", "not_reached")  # how a contact task ends; "escalate" is a review's
REVIEW_MEMORY = {"approve": "approvedUnchanged", "modify": "modified", "reject": "rejected", "escalate": "escalated"}
CUSTOMER_MEMORY = {"confirm": "customerConfirmed", "choose": "customerChose", "provide": "customerProvided",
                   "correct": "customerCorrected", "reject": "customerDeclined", "human": "customerAskedPerson"}
CUSTOMER_STATS = {"reject": "customerRejections", "correct": "customerCorrections", "human": "askedPerson"}


def observe_touched(store: CaseStore, case: dict[str, Any]) -> bool:
    """A person looks at the case: once per case, however many review tasks it goes through."""
    return observe(store, case, "touched", {"touched": 1})


def observe_outcome(store: CaseStore, case: dict[str, Any], plan: Plan, outcome: Outcome,
                    recorded_at: str | None) -> bool:
    """What the record step learns from the outcome of a wait: a reviewer's decision, a customer's answer, or a
    review that ran out of time. `case` is the case before the outcome changed it (a modify's diff is against
    the proposal the reviewer saw)."""
    if outcome.timed_out:
        if plan.next not in ("review", "alert"):
            return False  # a customer's silence is a reminder or an outreach, counted as effort
        return observe(store, case, f"timeout:{case.get('openTaskId') or recorded_at}", {"escalations": 1})
    if outcome.actor and outcome.actor.kind == "reviewer":
        return observe_review(store, case, outcome)
    if outcome.actor and outcome.actor.kind == "customer":
        step = (outcome.model_extra or {}).get("stepId") or plan.stepId or "-"
        return observe_customer(store, case, step, outcome)
    return False


def _timed(counts: dict[str, float], since: str | None, at: str | None) -> None:
    if at and since:
        seconds = max(0, round((parse_iso(at) - parse_iso(since)).total_seconds()))
        counts[time_bucket(seconds)] = 1
        counts["decisionSeconds"] = seconds


def observe_contact(store: CaseStore, case: dict[str, Any], outcome: Outcome) -> bool:
    """How a person's contact with the customer ended (a bot hand-over, a follow-up the customer said did not
    solve it): a decision with no AI proposal to depart from, so no override. Timed from the contact task's
    opening, which is when the customer started waiting for the person (a follow-up's case is days older)."""
    counts: dict[str, float] = {"decisions": 1, f"contact:{outcome.action}": 1}
    try:
        opened = store.get_task(outcome.taskId).get("createdAt") if outcome.taskId else None
    except NotFound:
        opened = None
    _timed(counts, opened, outcome.at)
    return observe(store, case, f"review:{outcome.taskId or '-'}:{outcome.action}", counts,
                   reviewer=outcome.actor.id if outcome.actor else None)


def observe_review(store: CaseStore, case: dict[str, Any], outcome: Outcome) -> bool:
    action = outcome.action or ""
    if action in CONTACT_ENDS:
        return observe_contact(store, case, outcome)
    if action not in REVIEW_MEMORY:
        return False  # ask_customer is a question, not a decision: the customer's answer is the fact
    override = action != "approve"
    counts: dict[str, float] = {"decisions": 1}
    outcome_key = REVIEW_MEMORY[action]
    memory: dict[str, float] = {outcome_key: 1}
    if override:
        counts["overrides"] = 1
        # What people departed for, bounded: a reject's code; a modify by the fields it changed; an escalation.
        if action == "reject":
            counts[f"reason:{_reason_code(case, outcome.reason)}"] = 1
        elif action == "escalate":
            counts["reason:escalated"] = 1
    if action == "escalate":
        counts["escalations"] = 1
    else:  # an escalation hands the case on: the decision that settles it is the one timed
        _timed(counts, case.get("createdAt"), outcome.at)
    if action == "modify":
        declared = get_journey(case["journey"]).proposal.properties
        for change in field_diff(case.get("proposal") or {}, outcome.proposal or {}):
            # Fields the journey declares name a counter; any other (a reviewer may add keys) counts as "other".
            field = change["field"] if change["field"].split(".")[0] in declared else "other"
            direction = _direction(change["from"], change["to"])
            memory[f"change:{field}:{direction}"] = 1
            counts[f"reason:modified {field} ({direction})"] = 1
    if action == "reject":
        memory[f"reason:{_reason_code(case, outcome.reason)}"] = 1
    return observe(store, case, f"review:{outcome.taskId or '-'}:{action}", counts,
                   reviewer=outcome.actor.id if outcome.actor else None, memory=memory,
                   latest={f"example:{outcome_key}": case["caseId"]},
                   first={"firstOverrideAt": outcome.at} if override and outcome.at else None)


def _direction(before: Any, after: Any) -> str:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (before, after))
    if not numbers:
        return "changed"
    return "up" if after > before else "down"


def observe_customer(store: CaseStore, case: dict[str, Any], step_id: str, outcome: Outcome) -> bool:
    response = outcome.response or ""
    if response not in CUSTOMER_MEMORY:
        return False
    counts: dict[str, float] = {"customerAnswers": 1}
    if response in CUSTOMER_STATS:
        counts[CUSTOMER_STATS[response]] = 1
    key = CUSTOMER_MEMORY[response]
    return observe(store, case, f"customer:{step_id}:{response}", counts, memory={key: 1},
                   latest={f"example:{key}": case["caseId"]})


def observe_audit(store: CaseStore, case: dict[str, Any], task_id: str, auditor: str, agreed: bool,
                  reason: str | None) -> bool:
    counts: dict[str, float] = {"audits": 1, **({} if agreed else {"auditDisagreements": 1})}
    key = "auditAgreed" if agreed else "auditDisagreed"
    memory: dict[str, float] = {key: 1, **({} if agreed else {f"auditReason:{_reason_code(case, reason)}": 1})}
    return observe(store, case, f"audit:{task_id}", counts, reviewer=auditor, memory=memory,
                   latest={f"example:{key}": case["caseId"]})


def observe_effort(store: CaseStore, case: dict[str, Any], effort_id: str, **counts: float) -> bool:
    """A message, reminder or interaction; `effort_id` is the same on a retry of the same send or answer."""
    return observe(store, case, f"effort:{effort_id}", dict(counts))


def observe_feedback(store: CaseStore, case: dict[str, Any], feedback_id: str, helpful: bool,
                     reviewer: str | None = None) -> bool:
    """Thumbs from a customer or a reviewer; the first vote counts (a reviewer's later vote replaces the item,
    not the tally)."""
    counts = {"feedback": 1, **({} if helpful else {"negativeFeedback": 1})}
    return observe(store, case, f"feedback:{feedback_id}", counts, reviewer=reviewer)


FOLLOW_UP_COUNTERS = {"asked": "followUpsAsked", "solved": "followUpsSolved", "not_solved": "followUpsNotSolved",
                      "unanswered": "followUpsUnanswered"}


def observe_follow_up(store: CaseStore, case: dict[str, Any], what: str) -> bool:
    """A follow-up asked, answered solved or not solved, or left unanswered: one fact per kind per case (a case
    is followed up once), so the job's or the answer's retry never counts twice. Memory keeps the verdicts of the
    slice, so a slice whose automation leaves customers unsolved shows in its precedent counters too."""
    counter = FOLLOW_UP_COUNTERS[what]
    memory = {counter: 1} if what in ("solved", "not_solved") else None
    return observe(store, case, f"followup:{what}", {counter: 1}, memory=memory)


# ---------------------------------------------------------------- precedent
def precedent_words(memory: dict[str, Any] | None) -> str | None:
    """A slice's memory in words ("14 approved unchanged, 2 lowered amount, 1 rejected: policy"); None when
    nobody decided a case of it yet."""
    if not memory:
        return None
    parts = []
    for key, words in _OUTCOME_WORDS:
        n = int(memory.get(key) or 0)
        if not n:
            continue
        if key == "modified":
            parts.append(_modified_words(n, _top(memory, "change:")))
        elif key == "rejected":
            parts.append(_rejected_words(n, _top(memory, "reason:")))
        else:
            parts.append(f"{n} {words}")
    return ", ".join(parts) if parts else None


def _top(memory: dict[str, Any], prefix: str) -> tuple[str, int] | None:
    found = [(name[len(prefix):], int(value)) for name, value in memory.items()
             if name.startswith(prefix) and isinstance(value, int | float) and value]
    return min(found, key=lambda f: (-f[1], f[0])) if found else None


def _modified_words(n: int, top: tuple[str, int] | None) -> str:
    """"2 lowered amount" when every one lowered it; "3 modified (2 lowered amount)" when not."""
    if top is None:
        return f"{n} modified"
    change, count = top
    field, _, direction = change.rpartition(":")
    what = f"{ {'down': 'lowered', 'up': 'raised'}.get(direction, 'changed')} {field}"
    return f"{n} {what}" if count >= n else f"{n} modified ({count} {what})"


def _rejected_words(n: int, top: tuple[str, int] | None) -> str:
    """"1 rejected: policy" when all for one reason; "3 rejected, 2 of them: policy" when not."""
    if top is None:
        return f"{n} rejected"
    reason, count = top
    return f"{n} rejected: {reason}" if count >= n else f"{n} rejected, {count} of them: {reason}"


def describe_slice(key: str) -> str:
    """A slice key in words: "rule=x|category=damaged|confidence=0.9-1.0" -> "rule x, category damaged, ..."."""
    return ", ".join(part.replace("=", " ", 1) for part in key.split("|"))


def precedent(store: CaseStore, case: dict[str, Any]) -> dict[str, Any] | None:
    """What people did with cases like this one (one GetItem); None before the loop or before any memory."""
    key = case.get("slice")
    memory = store.memory_slice(case["journey"], key) if key else None
    if not memory:
        return None
    counts = {name: value for name, value in memory.items()
              if name not in ("pk", "sk") and isinstance(value, int | float) and not isinstance(value, bool)}
    words = precedent_words(memory)
    others = max(0, int(memory.get("cases") or 0) - 1)  # the slice's count includes this case, scored into it
    if words:
        summary = f"similar cases: {words}"
    else:
        summary = f"similar cases: {others} seen, none decided by a person yet" if others else "no similar cases yet"
    return {
        "slice": key, "describe": describe_slice(key), "cases": others, "summary": summary,
        "counts": counts,
        "examples": [{"outcome": name[len("example:"):], "caseId": value} for name, value in sorted(memory.items())
                     if name.startswith("example:") and value != case["caseId"]],
    }


_OUTCOME_WORDS = [
    ("approvedUnchanged", "approved unchanged"), ("modified", "modified"), ("rejected", "rejected"),
    ("escalated", "escalated"), ("auditAgreed", "audits agreed"), ("auditDisagreed", "audits disagreed"),
    ("customerConfirmed", "confirmed by the customer"), ("customerChose", "chosen by the customer"),
    ("customerProvided", "completed by the customer"), ("customerCorrected", "corrected by the customer"),
    ("customerDeclined", "declined by the customer"), ("customerAskedPerson", "customer asked for a person"),
]


# ---------------------------------------------------------------- QA of bot conversations (usecases/qa.py)
def observe_qa(store: CaseStore, interaction: dict[str, Any], task_id: str, scored: list[str], failed: list[str],
               critical: bool, reviewer: str) -> bool:
    """A QA score, once per task, under the QA log's stats (GET /insights?journey=qa): in all, per bot intent and
    per reviewer the conversation's pass or fail, per criterion each criterion's. The day is the day the
    conversation was received: a channel's clock does not pick the window it counts in."""
    day = interaction["receivedAt"][:10]
    bot = interaction["bot"]
    overall: dict[str, float] = {"qaScored": 1, **({"qaFailed": 1} if failed else {}),
                                 **({"qaCriticalFailed": 1} if critical else {}),
                                 **{f"fail:{name}": 1 for name in failed}}
    intent = f"{bot['name']}:{bot.get('intent') or '-'}"
    tallies = [Tally(kind="stats", journey=QA_LOG, day=day, dimension=dimension, add=overall)
               for dimension in ("all#-", f"intent#{intent}", f"reviewer#{reviewer}")]
    tallies += [Tally(kind="stats", journey=QA_LOG, day=day, dimension=f"criterion#{name}",
                      add={"qaScored": 1, **({"qaFailed": 1} if name in failed else {})}) for name in scored]
    return store.record_interaction_fact(interaction["ref"], f"qa:{task_id}", tallies)
