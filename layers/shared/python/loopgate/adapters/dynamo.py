"""DynamoDB access for cases, timelines, review tasks, links and the override log (Query, never Scan)."""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from loopgate.clock import epoch, now_iso
from loopgate.errors import ConcurrentUpdate, NotFound

CASE_SK = "CASE"
DEFAULT_RETENTION_DAYS = 400


def to_item(value: Any) -> Any:
    """Plain JSON values to DynamoDB values (floats become Decimals)."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def from_item(value: Any) -> Any:
    """DynamoDB values back to plain JSON values."""
    if isinstance(value, list):
        return [from_item(v) for v in value]
    if isinstance(value, dict):
        return {k: from_item(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):  # string sets (a step's link hashes): JSON has lists
        return sorted(from_item(v) for v in value)
    return value


def _conditional_failed(exc: ClientError) -> bool:
    """Another writer came first. A transaction cancelled for any other reason (TransactionConflict with a
    concurrent transaction on the same item, throttling) wrote nothing and decided nothing: it is not an answer."""
    code = exc.response["Error"]["Code"]
    if code != "TransactionCanceledException":
        return code == "ConditionalCheckFailedException"
    reasons = {r.get("Code") for r in exc.response.get("CancellationReasons") or []} - {None, "None"}
    return reasons <= {"ConditionalCheckFailed"}


def _transient(exc: ClientError) -> bool:
    """A cancelled transaction worth sending again: it conflicted with another or was throttled."""
    return exc.response["Error"]["Code"] == "TransactionCanceledException" and not _conditional_failed(exc)


FOLD_ATTEMPTS = 4


def _if_condition_holds(write: Callable[..., Any], **request: Any) -> bool:
    """Runs a conditional write; False when its condition did not hold (another writer came first)."""
    try:
        write(**request)
        return True
    except ClientError as exc:
        if _conditional_failed(exc):
            return False
        raise


def _if_transaction_holds(write: Callable[..., Any], **request: Any) -> bool:
    """A state change made in one transaction (a guardrail's state, a policy version): False when another writer
    came first or was writing the same items at that moment (TransactionConflict): the caller re-reads and decides
    again, as after a lost race. Throttling still raises: nobody else changed anything."""
    try:
        return _if_condition_holds(write, **request)
    except ClientError as exc:
        reasons = {r.get("Code") for r in exc.response.get("CancellationReasons") or []} - {None, "None"}
        if exc.response["Error"]["Code"] == "TransactionCanceledException" and \
                reasons <= {"ConditionalCheckFailed", "TransactionConflict"}:
            return False
        raise


# The key layout, in one place: a case's partition holds its item, timeline events, steps and feedback; review
# tasks and customer links have partitions of their own, found by id; the queue GSIs key on queue names.
def _suffix() -> str:
    """What keeps two events written at the same millisecond apart: only its uniqueness matters."""
    return uuid.uuid4().hex[:8]  # pragma: no mutate (any length keeps it unique enough)


def case_pk(case_id: str) -> str:
    return f"CASE#{case_id}"


SEAL_DAY_SHARDS = 16


def seal_day(case_id: str, day: str) -> str:
    """The SealDay index's key for a case touched on `day`: spread over shards, so that a busy day writes to
    sixteen index partitions, not one; the daily seal reads all sixteen."""
    return f"{day}#{int(hashlib.sha256(case_id.encode()).hexdigest()[:4], 16) % SEAL_DAY_SHARDS:02d}"


def task_key(task_id: str) -> dict[str, str]:
    return {"pk": f"TASK#{task_id}", "sk": "TASK"}


def step_key(case_id: str, step_id: str) -> dict[str, str]:
    return {"pk": case_pk(case_id), "sk": f"STEP#{step_id}"}


def link_key(link_hash: str) -> dict[str, str]:
    return {"pk": f"LINK#{link_hash}", "sk": "LINK"}


def reply_key(sender_hash: str, sent_at: str, case_id: str, step_id: str) -> dict[str, str]:
    """Where a reply from this sender finds the step its message asked: newest message last in the partition.
    The sender is a hash of the address the message went to; the link is its hash, never the id."""
    return {"pk": f"REPLY#{sender_hash}", "sk": f"{sent_at}#{case_id}#{step_id}"}


def opt_out_key(sender_hash: str) -> dict[str, str]:
    return {"pk": f"OPTOUT#{sender_hash}", "sk": "OPTOUT"}


def reply_count_key(sender_hash: str, day: str) -> dict[str, str]:
    return {"pk": f"REPLIES#{sender_hash}", "sk": day}


def queue_key(queue: str) -> str:
    return f"QUEUE#{queue}"


def warn_key(queue: str) -> str:
    return f"WARN#{queue}"


def queue_order(task: dict[str, Any]) -> str:
    """Priority first, then age: the ReviewQueue GSI's sort key."""
    return f"{task['priority']}#{task['createdAt']}#{task['taskId']}"


def task_item(task: dict[str, Any]) -> dict[str, Any]:
    """A review task as stored: an open one is in its queue's index (and, with a warning time, the watcher's).

    The state machine's OpenAudit step writes audit tasks itself; a unit test holds its item to this one.
    """
    item = {**task_key(task["taskId"]), **task}
    if task["status"] == "OPEN":
        item["queueKey"] = queue_key(task["queue"])
        if task.get("warnAt"):
            item["warnKey"] = warn_key(task["queue"])
        item["queueOrder"] = queue_order(task)
    return item


# The learning loop's aggregates (docs/learning.md) share the cases table: stats per journey and day, memory per
# journey, the live policy and guardrail states under POLICY#, proposals under PROPOSALS#; a fact's marker sits in
# its case's partition.
def follow_up_key(due_at: str, case_id: str) -> dict[str, str]:
    """A due follow-up, bucketed by its due day: the job Queries the few days' buckets it must look at."""
    return {"pk": f"FOLLOWUP#{due_at[:10]}", "sk": f"{due_at}#{case_id}"}


def stats_key(journey: str, day: str, dimension: str) -> dict[str, str]:
    return {"pk": f"STATS#{journey}#{day}", "sk": dimension}


def memory_key(journey: str, slice_key: str) -> dict[str, str]:
    return {"pk": f"MEMORY#{journey}", "sk": slice_key}


def fold_key(case_id: str, fact: str) -> dict[str, str]:
    return {"pk": case_pk(case_id), "sk": f"FOLD#{fact}"}


def interaction_key(ref: str) -> dict[str, str]:
    """A bot conversation posted for QA (its own partition: it is no case), found by its reference."""
    return {"pk": f"INTERACTION#{ref}", "sk": "INTERACTION"}


def interaction_fold_key(ref: str, fact: str) -> dict[str, str]:
    return {"pk": interaction_key(ref)["pk"], "sk": f"FOLD#{fact}"}


def erasure_key(pseudonym: str) -> dict[str, str]:
    return {"pk": f"ERASURE#{pseudonym}", "sk": "ERASURE"}


def policy_pk(journey: str) -> str:
    return f"POLICY#{journey}"


LIVE = "LIVE#"  # sort-key prefix of what scoring reads: the live policy version and the guardrail states
GUARDRAIL_LOG = "GUARDRAILLOG#"  # a guardrail's history (append-only): GUARDRAILLOG#<name>#<at>


def guardrail_key(journey: str, name: str) -> dict[str, str]:
    return {"pk": policy_pk(journey), "sk": f"{LIVE}guardrail#{name}"}


def guardrail_log_key(journey: str, name: str, at: str) -> dict[str, str]:
    return {"pk": policy_pk(journey), "sk": f"{GUARDRAIL_LOG}{name}#{at}#{_suffix()}"}


class CaseStore:
    def __init__(self, dynamodb_resource, cases_table: str, overrides_table: str,
                 retention_days: int = DEFAULT_RETENTION_DAYS):
        self.cases = dynamodb_resource.Table(cases_table)
        self.overrides = dynamodb_resource.Table(overrides_table)
        self.retention_seconds = retention_days * 86400

    def _expiry(self) -> int:
        """When DynamoDB's TTL may delete an item written now for a case (epoch seconds, attribute expiresAt).

        Counted from each write: the case item expires retention days after the case was created, its later
        items (timeline, steps, tasks) at most the case's own lifetime after that.
        """
        return epoch() + self.retention_seconds

    # ------------------------------------------------------------ cases
    def create_case(self, case: dict[str, Any]) -> None:
        item = {
            "pk": case_pk(case["caseId"]),
            "sk": CASE_SK,
            "version": 1,
            "customerKey": f"CUSTOMER#{case['customer']['id']}",
            "expiresAt": self._expiry(),
            "sealDay": seal_day(case["caseId"], now_iso()[:10]),
            **case,
        }
        self.cases.put_item(Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")

    def get_case(self, case_id: str) -> dict[str, Any]:
        item = self.cases.get_item(Key={"pk": case_pk(case_id), "sk": CASE_SK}, ConsistentRead=True).get("Item")
        if not item:
            raise NotFound(f"case {case_id} not found")
        return from_item(item)

    def delete_case(self, case_id: str) -> None:
        """Removes a case that never started (its item and its timeline)."""
        items = self.cases.query(KeyConditionExpression=Key("pk").eq(case_pk(case_id)), ProjectionExpression="pk, sk")[
            "Items"
        ]
        with self.cases.batch_writer() as batch:
            for item in items:
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})

    def count_recent_cases(self, customer_id: str, journey: str, since: str) -> int:
        """How many cases this customer opened on this journey since `since` (ByCustomer GSI)."""
        count, start = 0, None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            page = self.cases.query(
                IndexName="ByCustomer",
                Select="COUNT",
                KeyConditionExpression=Key("customerKey").eq(f"CUSTOMER#{customer_id}") & Key("createdAt").gte(since),
                FilterExpression=Attr("journey").eq(journey),
                **kwargs,
            )
            count += page["Count"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return count

    def get_case_with_timeline(self, case_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """One Query over the case's partition: the case item and its timeline events, in order."""
        items, start = [], None
        while True:
            kwargs = {"KeyConditionExpression": Key("pk").eq(case_pk(case_id))}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self.cases.query(**kwargs)
            items += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        case = next((i for i in items if i["sk"] == CASE_SK), None)
        if case is None:
            raise NotFound(f"case {case_id} not found")
        events = [from_item(i) for i in items if i["sk"].startswith("EVENT#")]
        return from_item(case), events

    def latest_events(self, case_id: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """The case's newest `limit` timeline events (one bounded Query, newest first) and whether older ones exist."""
        page = self.cases.query(
            KeyConditionExpression=Key("pk").eq(case_pk(case_id)) & Key("sk").begins_with("EVENT#"),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [from_item(i) for i in page["Items"]], "LastEvaluatedKey" in page

    def update_case(self, case: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """Writes `changes` if the case is still at the version read; raises ConcurrentUpdate if not."""
        names = {f"#f{i}": k for i, k in enumerate(changes)}
        values = {f":v{i}": to_item(v) for i, v in enumerate(changes.values())}
        sets = [f"#f{i} = :v{i}" for i in range(len(changes))]
        at = now_iso()
        values.update({":expected": case["version"], ":next": case["version"] + 1, ":now": at,
                       ":sealDay": seal_day(case["caseId"], at[:10])})
        kwargs = {"ExpressionAttributeNames": names} if names else {}
        try:
            # sealDay lists the case for the day's seal; the index is written only when the day changes.
            self.cases.update_item(
                Key={"pk": case_pk(case["caseId"]), "sk": CASE_SK},
                UpdateExpression="SET " + ", ".join(sets + ["version = :next", "updatedAt = :now",
                                                            "sealDay = :sealDay"]),
                ConditionExpression="version = :expected",
                ExpressionAttributeValues=values,
                **kwargs,
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                raise ConcurrentUpdate(f"case {case['caseId']} changed since version {case['version']}") from exc
            raise
        return {**case, **changes, "version": case["version"] + 1}

    def append_event(
        self,
        case_id: str,
        kind: str,
        summary: str,
        actor: str = "workflow",
        detail: dict[str, Any] | None = None,
        at: str | None = None,
    ) -> dict[str, Any]:
        """Appends to the timeline; given `at` (a decision's time), a retried step appends the same event once."""
        once = at is not None
        at = at or now_iso()
        event = {
            "pk": case_pk(case_id),
            "sk": f"EVENT#{at}#{kind}" if once else f"EVENT#{at}#{_suffix()}",
            "type": kind,
            "at": at,
            "actor": actor,
            "summary": summary,
            "detail": {k: v for k, v in (detail or {}).items() if v is not None},
        }
        stored = {**event, "expiresAt": self._expiry()}
        if once:
            _if_condition_holds(
                self.cases.put_item, Item=to_item(stored), ConditionExpression="attribute_not_exists(sk)"
            )
        else:
            self.cases.put_item(Item=to_item(stored))
        return event

    # ------------------------------------------------------------ review tasks
    def put_task(self, task: dict[str, Any]) -> bool:
        """Stores an open review task; False if a task with this id exists (a retried Lambda)."""
        return _if_condition_holds(
            self.cases.put_item, Item=to_item({**task_item(task), "expiresAt": self._expiry()}),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_task(self, task_id: str) -> dict[str, Any]:
        item = self.cases.get_item(Key=task_key(task_id), ConsistentRead=True).get("Item")
        if not item:
            raise NotFound(f"review task {task_id} not found")
        return from_item(item)

    def close_task(
        self, task_id: str, status: str, changes: dict[str, Any] | None = None, expected: str = "OPEN"
    ) -> bool:
        """Moves a task out of its queue if it is still `expected`; False when someone else moved it first."""
        changes = {"status": status, "closedAt": now_iso(), **(changes or {})}
        names = {f"#f{i}": k for i, k in enumerate(changes)}
        values = {f":v{i}": to_item(v) for i, v in enumerate(changes.values())}
        values[":expected"] = expected
        return _if_condition_holds(
            self.cases.update_item,
            Key=task_key(task_id),
            UpdateExpression="SET "  # pragma: no mutate (DynamoDB keywords ignore case)
            + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes)))
            + " REMOVE queueKey, queueOrder, warnKey, taskToken",
            ConditionExpression="#f0 = :expected",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def reopen_task(self, task: dict[str, Any], reviewer: str) -> bool:
        """Puts a task the reviewer just decided back in its queue (and, unwarned, in the watcher's index)
        after the hand-back failed; False if it has moved on since (a timeout or another step closed it)."""
        values = {
            ":open": "OPEN",
            ":decided": "DECIDED",
            ":me": reviewer,
            ":token": task["taskToken"],
            ":qk": queue_key(task["queue"]),
            ":qo": queue_order(task),
        }
        update = "SET #s = :open, queueKey = :qk, queueOrder = :qo, taskToken = :token"
        if task.get("warnAt") and not task.get("warnedAt"):
            update += ", warnKey = :wk"
            values[":wk"] = warn_key(task["queue"])
        return _if_condition_holds(
            self.cases.update_item,
            Key=task_key(task["taskId"]),
            UpdateExpression=update + " REMOVE decision, closedAt, decidedBy",
            ConditionExpression="#s = :decided AND decidedBy = :me",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )

    def due_for_warning(self, queue: str, moment: str) -> list[dict[str, Any]]:
        """A queue's open, unwarned tasks whose warning time has come (DueSoon GSI: only those are read)."""
        items, start = [], None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            page = self.cases.query(
                IndexName="DueSoon",
                KeyConditionExpression=Key("warnKey").eq(warn_key(queue)) & Key("warnAt").lte(moment),
                **kwargs,
            )
            items += [from_item(i) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def open_tasks(
        self, queue: str, limit: int = 50, after: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], bool]:
        """A queue's open tasks through the ReviewQueue GSI, priority first then age, after `after`.

        Returns the tasks and whether more may follow.
        """
        kwargs = {"ExclusiveStartKey": after} if after else {}
        page = self.cases.query(
            IndexName="ReviewQueue", Limit=limit, KeyConditionExpression=Key("queueKey").eq(queue_key(queue)), **kwargs
        )
        return [from_item(i) for i in page["Items"]], "LastEvaluatedKey" in page

    def _act_on_open_task(
        self,
        task_id: str,
        reviewer: str,
        now_epoch: int,
        changes: dict[str, Any],
        close: bool,
        condition: str = "",
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> bool:
        """Acts on an open task unless someone else holds an unexpired lease on it (and `condition` holds).

        close=True takes it out of the queue (a decision); close=False keeps it open (a first approval).
        """
        all_names = {f"#f{i}": k for i, k in enumerate(changes)} | {"#s": "status"} | (names or {})
        all_values = {f":v{i}": to_item(v) for i, v in enumerate(changes.values())} | (values or {})
        all_values.update({":open": "OPEN", ":me": reviewer, ":now": now_epoch})
        assignments = ", ".join(f"#f{i} = :v{i}" for i in range(len(changes)))
        update = "SET " + assignments  # pragma: no mutate (DynamoDB keywords ignore case)
        # A decided task leaves its queue and forgets its token (the caller holds it for the hand-back).
        update += " REMOVE claimedBy, leaseUntil" + (", queueKey, queueOrder, warnKey, taskToken" if close else "")
        return _if_condition_holds(
            self.cases.update_item,
            Key=task_key(task_id),
            UpdateExpression=update,
            ConditionExpression="#s = :open AND (attribute_not_exists(claimedBy) OR claimedBy = :me "
            "OR leaseUntil < :now)" + condition,
            ExpressionAttributeNames=all_names,
            ExpressionAttributeValues=all_values,
        )

    def decide_task(
        self,
        task_id: str,
        reviewer: str,
        now_epoch: int,
        decision: dict[str, Any],
        second_approval_of: dict[str, Any] | None = None,
    ) -> bool:
        """Closes an open task with the reviewer's decision; False if it was not theirs to decide.

        `second_approval_of`: the pending first approval the reviewer saw. The decision only counts while that
        approval is still the pending one and was given by somebody else.
        """
        changes = {"status": "DECIDED", "decision": decision, "decidedBy": reviewer, "closedAt": now_iso()}
        if second_approval_of is None:
            return self._act_on_open_task(task_id, reviewer, now_epoch, changes, close=True)
        return self._act_on_open_task(
            task_id, reviewer, now_epoch, changes, close=True,
            condition=" AND firstApproval.#by = :author AND firstApproval.#at = :seen AND firstApproval.#by <> :me",
            names={"#by": "by", "#at": "at"},
            values={":author": second_approval_of["by"], ":seen": second_approval_of["at"]},
        )

    def record_first_approval(
        self,
        task_id: str,
        reviewer: str,
        now_epoch: int,
        approval: dict[str, Any],
        replaces: dict[str, Any] | None = None,
        brief: dict[str, Any] | None = None,
    ) -> bool:
        """Four-eyes: keeps an approval on the still-open task, for a second, different reviewer to confirm.

        `replaces`: the pending approval the reviewer saw and supersedes (a modify); None when there is none yet.
        `brief`: the queue row's brief for the pending proposal, written in the same update.
        """
        changes = {"firstApproval": approval} | ({"brief": brief} if brief is not None else {})
        if replaces is None:
            return self._act_on_open_task(task_id, reviewer, now_epoch, changes,
                                          close=False,  # pragma: no mutate (None is as false)
                                          condition=" AND attribute_not_exists(firstApproval)")
        return self._act_on_open_task(
            task_id, reviewer, now_epoch, changes,
            close=False,  # pragma: no mutate (None is as false)
            condition=" AND firstApproval.#at = :seen", names={"#at": "at"}, values={":seen": replaces["at"]},
        )

    @staticmethod
    def queue_position(task: dict[str, Any]) -> dict[str, str]:
        """Where the next page of a task's queue starts (its key in the ReviewQueue GSI), for a cursor."""
        return {**task_key(task["taskId"]), "queueKey": queue_key(task["queue"]), "queueOrder": queue_order(task)}

    @staticmethod
    def is_queue_position(position: Any, queue: str) -> bool:
        """Whether a cursor's position is a key of that queue's index, and nothing else (cursors are client input)."""
        return (isinstance(position, dict) and set(position) == {"pk", "sk", "queueKey", "queueOrder"}
                and all(isinstance(v, str) for v in position.values()) and position["sk"] == "TASK"
                and position["pk"].startswith("TASK#") and position["queueKey"] == queue_key(queue))

    def claim_task(self, task_id: str, reviewer: str, now_epoch: int, lease_until: int) -> bool:
        """A lease on an open task: granted if free, expired, or already the caller's."""
        return _if_condition_holds(
            self.cases.update_item,
            Key=task_key(task_id),
            UpdateExpression="SET claimedBy = :me, leaseUntil = :until",
            ConditionExpression="#s = :open AND (attribute_not_exists(claimedBy) OR claimedBy = :me "
            "OR leaseUntil < :now)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":me": reviewer, ":until": lease_until, ":now": now_epoch, ":open": "OPEN"},
        )

    def release_task(self, task_id: str, reviewer: str) -> bool:
        """Ends the reviewer's lease on an open task, so another can claim it at once; False if it is not theirs."""
        return _if_condition_holds(
            self.cases.update_item,
            Key=task_key(task_id),
            UpdateExpression="REMOVE claimedBy, leaseUntil",
            ConditionExpression="#s = :open AND claimedBy = :me",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":me": reviewer, ":open": "OPEN"},
        )

    def mark_warned(self, task_id: str) -> bool:
        """Flags an open task as warned once; False if it was warned already or is no longer open."""
        return _if_condition_holds(
            self.cases.update_item,
            Key=task_key(task_id),
            UpdateExpression="SET warnedAt = :now REMOVE warnKey",
            ConditionExpression="#s = :open AND attribute_not_exists(warnedAt)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":now": now_iso(), ":open": "OPEN"},
        )

    def feedback_for(self, case_id: str) -> list[dict[str, Any]]:
        return self._all_pages(self.cases, KeyConditionExpression=Key("pk").eq(case_pk(case_id))
                               & Key("sk").begins_with("FEEDBACK#"))

    @staticmethod
    def _all_pages(table, **query: Any) -> list[dict[str, Any]]:
        """Every item a Query matches, page after page (a page stops at 1 MB)."""
        items, start = [], None
        while True:
            page = table.query(**query, **({"ExclusiveStartKey": start} if start else {}))
            items += [from_item(i) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def put_feedback(self, case_id: str, feedback: dict[str, Any]) -> None:
        """One thumbs up/down per reviewer and task (a second vote replaces the first), for the learning loop."""
        item = {"pk": case_pk(case_id), "sk": f"FEEDBACK#{feedback['taskId']}#{feedback['reviewer']}", **feedback,
                "expiresAt": self._expiry()}
        self.cases.put_item(Item=to_item(item))

    # ------------------------------------------------------------ customer steps and links
    def put_step(self, step: dict[str, Any]) -> bool:
        """A customer step holds the task token; False if it exists (a retried Lambda or a reminder round)."""
        item = {**step_key(step["caseId"], step["stepId"]), **step, "expiresAt": self._expiry()}
        return _if_condition_holds(
            self.cases.put_item, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
        )

    def get_step(self, case_id: str, step_id: str) -> dict[str, Any]:
        item = self.cases.get_item(Key=step_key(case_id, step_id), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            raise NotFound("customer step not found")
        return from_item(item)

    def rearm_step(self, case_id: str, step_id: str, task_token: str, valid_until: int) -> bool:
        """A reminder round: the unanswered step waits on the new token, its links valid for longer."""
        return _if_condition_holds(
            self.cases.update_item,
            Key=step_key(case_id, step_id),
            UpdateExpression="SET taskToken = :token, validUntil = :until ADD reminders :one",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(answeredAt) "
            "AND attribute_not_exists(closedAt) AND taskToken <> :token",
            ExpressionAttributeValues={":token": task_token, ":until": valid_until, ":one": 1},
        )

    def answer_step(self, case_id: str, step_id: str, now_epoch: int, answer: dict[str, Any]) -> bool:
        """The single-use guarantee: a step takes one answer, while it is open and unexpired."""
        return _if_condition_holds(
            self.cases.update_item,
            Key=step_key(case_id, step_id),
            UpdateExpression="SET answeredAt = :now, answer = :answer",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(answeredAt) "
            "AND attribute_not_exists(closedAt) AND validUntil > :epoch",
            ExpressionAttributeValues={":now": now_iso(), ":answer": to_item(answer), ":epoch": now_epoch},
        )

    def release_step(self, case_id: str, step_id: str) -> None:
        """Takes an answer back after the workflow could not receive it, so the customer can send it again."""
        self.cases.update_item(
            Key=step_key(case_id, step_id), UpdateExpression="REMOVE answeredAt, answer"
        )

    def close_step(self, case_id: str, step_id: str) -> None:
        """The workflow stopped waiting for this step: its links answer 410 from now on."""
        self.cases.update_item(
            Key=step_key(case_id, step_id),
            UpdateExpression="SET closedAt = :now REMOVE taskToken, sentFor",
            ExpressionAttributeValues={":now": now_iso()},
        )

    def mark_step_sent(self, case_id: str, step_id: str, task_token: str,
                       message: dict[str, Any] | None = None) -> None:
        """Remembers which wait a message went out for, so a retried invocation does not send it twice, and the
        message itself (channel, SES or SNS id): a bounce of that email finds the step waiting on it."""
        self.cases.update_item(
            Key=step_key(case_id, step_id),
            UpdateExpression="SET sentFor = :token" + (", lastMessage = :message" if message else ""),
            ExpressionAttributeValues={":token": task_token, **({":message": to_item(message)} if message else {})},
        )

    def note_step_message(self, case_id: str, step_id: str, message: dict[str, Any]) -> None:
        """The message a step without a wait (a follow-up) last went out as: a bounce of that email finds it."""
        self.cases.update_item(Key=step_key(case_id, step_id), UpdateExpression="SET lastMessage = :message",
                               ExpressionAttributeValues={":message": to_item(message)})

    def forget_step_token(self, case_id: str, step_id: str) -> None:
        """The answer reached the workflow: the token is of no more use and is not kept."""
        self.cases.update_item(
            Key=step_key(case_id, step_id), UpdateExpression="REMOVE taskToken, sentFor"
        )

    def put_link(self, link: dict[str, Any]) -> None:
        """Stores a link, its hash first noted on its step: links are keyed by hash alone, and an erasure finds
        a case's links through its steps (a hash noted for a link never stored is harmless)."""
        self.cases.update_item(Key=step_key(link["caseId"], link["stepId"]), UpdateExpression="ADD linkHashes :h",
                               ConditionExpression="attribute_exists(pk)",
                               ExpressionAttributeValues={":h": {link["linkHash"]}})
        # A link is kept no longer than its case, and no longer than it is of use (its own expiresAt).
        item = {**link_key(link["linkHash"]), **link,
                "expiresAt": min(link.get("expiresAt") or self._expiry(), self._expiry())}
        self.cases.put_item(Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")

    def get_link(self, link_hash: str) -> dict[str, Any]:
        item = self.cases.get_item(Key=link_key(link_hash), ConsistentRead=True).get("Item")
        if not item:
            raise NotFound("link not found")
        return from_item(item)

    def set_link_used(self, link_hash: str, used: bool) -> None:
        update = "SET usedAt = :now" if used else "REMOVE usedAt"
        values = {"ExpressionAttributeValues": {":now": now_iso()}} if used else {}
        self.cases.update_item(Key=link_key(link_hash), UpdateExpression=update, **values)

    def take_feedback_slot(self, link_hash: str) -> bool:
        """One microfeedback per answered link."""
        return _if_condition_holds(
            self.cases.update_item,
            Key=link_key(link_hash),
            UpdateExpression="SET feedbackAt = :now",
            ConditionExpression="attribute_exists(usedAt) AND attribute_not_exists(feedbackAt)",
            ExpressionAttributeValues={":now": now_iso()},
        )

    # ------------------------------------------------------------ replies by SMS and email
    def put_reply_route(self, sender_hash: str, route: dict[str, Any]) -> None:
        item = {**reply_key(sender_hash, route["sentAt"], route["caseId"], route["stepId"]), **route,
                "expiresAt": min(route.get("expiresAt") or self._expiry(), self._expiry())}
        self.cases.put_item(Item=to_item(item))

    def reply_routes(self, sender_hash: str, limit: int = 5) -> list[dict[str, Any]]:
        """The messages last sent to this sender, newest first."""
        items = self.cases.query(KeyConditionExpression=Key("pk").eq(f"REPLY#{sender_hash}"),
                                 ScanIndexForward=False, Limit=limit, ConsistentRead=True).get("Items", [])
        return [from_item(i) for i in items]

    def forget_reply_routes(self, sender_hash: str, case_id: str) -> None:
        """Erasure: the routes from this sender to the case go (the sender's other cases keep theirs)."""
        items = self._all_pages(self.cases, KeyConditionExpression=Key("pk").eq(f"REPLY#{sender_hash}"),
                                ProjectionExpression="pk, sk, caseId")
        with self.cases.batch_writer() as batch:
            for item in items:
                if item.get("caseId") == case_id:
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})

    def add_reply_code(self, case_id: str, step_id: str, code_hash: str) -> None:
        """Each message of an irreversible step carries its own code; any of them confirms, once."""
        self.cases.update_item(Key=step_key(case_id, step_id), UpdateExpression="ADD codeHashes :h",
                               ConditionExpression="attribute_exists(pk)",
                               ExpressionAttributeValues={":h": {code_hash}})

    def take_code_attempt(self, case_id: str, step_id: str, limit: int) -> bool:
        """Counts a code tried by reply; False once `limit` attempts were made (guessing a code is then over)."""
        return _if_condition_holds(
            self.cases.update_item, Key=step_key(case_id, step_id), UpdateExpression="ADD codeAttempts :one",
            ConditionExpression="attribute_exists(pk) "
                                "AND (attribute_not_exists(codeAttempts) OR codeAttempts < :limit)",
            ExpressionAttributeValues={":one": 1, ":limit": limit})

    def opt_out(self, sender_hash: str, channel: str, reason: str = "stop") -> None:
        """No more messages to this address: the customer said STOP, or the email bounced or was reported as spam."""
        self.cases.put_item(Item={**opt_out_key(sender_hash), "channel": channel, "reason": reason, "at": now_iso()})

    def count_answer(self, sender_hash: str, day: str, limit: int) -> bool:
        """Counts one answer of ours to the sender on the day (UTC); False, counting nothing, once `limit` were
        sent. The counter expires two days later."""
        return _if_condition_holds(
            self.cases.update_item, Key=reply_count_key(sender_hash, day),
            UpdateExpression="ADD answered :one SET expiresAt = if_not_exists(expiresAt, :expires)",
            ConditionExpression="attribute_not_exists(answered) OR answered < :limit",
            ExpressionAttributeValues={":one": 1, ":limit": limit, ":expires": epoch() + 2 * 86400})

    def opt_in(self, sender_hash: str) -> bool:
        """Undoes the sender's own STOP; an address that bounced or complained stays out. True when undone."""
        return _if_condition_holds(self.cases.delete_item, Key=opt_out_key(sender_hash),
                                   ConditionExpression="attribute_exists(pk) AND #reason = :stop",
                                   ExpressionAttributeNames={"#reason": "reason"},
                                   ExpressionAttributeValues={":stop": "stop"})

    def is_opted_out(self, sender_hash: str) -> bool:
        return "Item" in self.cases.get_item(Key=opt_out_key(sender_hash), ConsistentRead=True,
                                             ProjectionExpression="pk")

    # ------------------------------------------------------------ follow-ups after completion
    def schedule_follow_up(self, case_id: str, journey: str, due_at: str) -> bool:
        """Marks the case as followed up and files it under its due day, in one transaction; False when the case was
        followed up before (a case is asked once: a reopened case resolved later is not asked again)."""
        client = self.cases.meta.client
        entry = {**follow_up_key(due_at, case_id), "caseId": case_id, "journey": journey, "dueAt": due_at,
                 "action": "ask", "expiresAt": self._expiry()}
        return _if_transaction_holds(client.transact_write_items, TransactItems=[
            {"Update": {"TableName": self.cases.name, "Key": {"pk": case_pk(case_id), "sk": CASE_SK},
                        "UpdateExpression": "SET followUp = :f",
                        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(followUp)",
                        "ExpressionAttributeValues": to_item({":f": {"state": "scheduled", "dueAt": due_at}})}},
            {"Put": {"TableName": self.cases.name, "Item": to_item(entry),
                     "ConditionExpression": "attribute_not_exists(pk)"}}])

    def due_follow_ups(self, day: str, until: str, limit: int = 100,
                       after: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """A page of the follow-ups filed under `day` that are due at `until` or earlier (a Query of one day's
        bucket), and where the next page starts (None: no more)."""
        query: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(f"FOLLOWUP#{day}")
                                 & Key("sk").lte(f"{until}~"), "Limit": limit}
        if after:
            query["ExclusiveStartKey"] = after
        page = self.cases.query(**query)
        return [from_item(i) for i in page.get("Items", [])], page.get("LastEvaluatedKey")

    def file_follow_up(self, entry: dict[str, Any]) -> None:
        """Files a follow-up's next check (its answer deadline) under that day; a second filing changes nothing."""
        item = {**follow_up_key(entry["dueAt"], entry["caseId"]), **entry, "expiresAt": self._expiry()}
        _if_condition_holds(self.cases.put_item, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)")

    def drop_follow_up(self, entry: dict[str, Any]) -> None:
        self.cases.delete_item(Key={"pk": entry["pk"], "sk": entry["sk"]})

    def change_follow_up(self, case_id: str, expected: str, state: dict[str, Any]) -> bool:
        """Moves the case's follow-up on from `expected` (asked -> solved, ...); False when it was not there."""
        return _if_condition_holds(
            self.cases.update_item, Key={"pk": case_pk(case_id), "sk": CASE_SK},
            UpdateExpression="SET followUp = :f", ConditionExpression="followUp.#s = :expected",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues=to_item({":f": state, ":expected": expected}))

    def add_effort(self, case_id: str, **counts: int) -> None:
        """Customer-effort counters on the case (commutative ADDs: no version check needed)."""
        names = {f"#c{i}": k for i, k in enumerate(counts)}
        self.cases.update_item(
            Key={"pk": case_pk(case_id), "sk": CASE_SK},
            # A customer's reminder or answer may be the case's only write of a day: it lists the case for the seal.
            UpdateExpression="SET effort = if_not_exists(effort, :empty), sealDay = :sealDay",
            ExpressionAttributeValues={":empty": {}, ":sealDay": seal_day(case_id, now_iso()[:10])},
        )
        self.cases.update_item(
            Key={"pk": case_pk(case_id), "sk": CASE_SK},
            UpdateExpression="ADD " + ", ".join(f"effort.#c{i} :v{i}" for i in range(len(counts))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":v{i}": v for i, v in enumerate(counts.values())},
        )

    def put_customer_feedback(self, case_id: str, feedback: dict[str, Any]) -> None:
        item = {"pk": case_pk(case_id), "sk": f"CFEEDBACK#{feedback['at']}", **feedback, "expiresAt": self._expiry()}
        self.cases.put_item(Item=to_item(item))

    # ---- erasure
    def filed_under_customer(self, customer_id: str) -> tuple[list[str], list[str]]:
        """The case ids and the QA conversations' references filed under this customer id (ByCustomer GSI, page
        after page; eventually consistent)."""
        items = self._all_pages(self.cases, IndexName="ByCustomer",
                                KeyConditionExpression=Key("customerKey").eq(f"CUSTOMER#{customer_id}"))
        conversation = interaction_key("")["pk"]
        return (sorted({i["caseId"] for i in items if i["pk"].startswith(case_pk(""))}),
                sorted({i["pk"].removeprefix(conversation) for i in items if i["pk"].startswith(conversation)}))

    def case_items(self, case_id: str) -> list[dict[str, Any]]:
        """Everything in a case's partition (the case item, timeline, steps, feedback), read consistently."""
        return self._all_pages(self.cases, KeyConditionExpression=Key("pk").eq(case_pk(case_id)),
                               ConsistentRead=True)

    def replace_items(self, items: list[dict[str, Any]]) -> None:
        """Writes back a case's items (timeline, steps, feedback, closed tasks); the case item: update_case.

        Timeline events only if the evidence seal has not sealed them since they were read (ConcurrentUpdate):
        the copy read would drop the seal, and the erased event would look inserted. Read again and retry.
        """
        if any(item["sk"] == CASE_SK for item in items):
            raise ValueError("the case item is written through update_case")
        with self.cases.batch_writer() as batch:
            for item in items:
                if not item["sk"].startswith("EVENT#"):
                    batch.put_item(Item=to_item(item))
        for item in items:
            if item["sk"].startswith("EVENT#"):
                self._put_unless_sealed_since(self.cases, item)

    @staticmethod
    def _put_unless_sealed_since(table, item: dict[str, Any], condition: str | None = None) -> None:
        seal = ("sealHash = :sealHash", {":sealHash": item["sealHash"]}) if "sealHash" in item else (
            "attribute_not_exists(sealHash)", {})
        try:
            table.put_item(Item=to_item(item), ConditionExpression=" AND ".join(filter(None, [condition, seal[0]])),
                           **({"ExpressionAttributeValues": seal[1]} if seal[1] else {}))
        except ClientError as exc:
            if _conditional_failed(exc):
                raise ConcurrentUpdate("an item was sealed (or changed) since it was read") from exc
            raise

    def delete_links(self, link_hashes: list[str]) -> None:
        with self.cases.batch_writer() as batch:
            for link_hash in link_hashes:
                batch.delete_item(Key=link_key(link_hash))

    def replace_override(self, record: dict[str, Any]) -> None:
        """Rewrites an existing override log item in place (erasure only: the log is otherwise append-only)."""
        self._put_unless_sealed_since(self.overrides, record, "attribute_exists(overrideKey)")

    def note_erasure(self, pseudonym: str, first: dict[str, Any], case_ids: list[str] | None = None,
                     finished_at: str | None = None, interaction_ids: list[str] | None = None) -> dict[str, Any]:
        """The erasure's own record (ERASURE#<pseudonym>): `first` is written once (a retry keeps the original
        request), erased case and conversation ids accumulate, `finished_at` marks the end. Returns the record
        as it now is."""
        names = {f"#f{i}": k for i, k in enumerate(first)}
        values: dict[str, Any] = {f":f{i}": to_item(v) for i, v in enumerate(first.values())}
        sets = [f"#f{i} = if_not_exists(#f{i}, :f{i})" for i in range(len(first))]
        if finished_at:
            sets.append("finishedAt = :done")
            values[":done"] = finished_at
        update = "SET " + ", ".join(sets)
        added = [f"{name} {value}" for name, value, ids in (("caseIds", ":ids", case_ids),
                                                            ("interactionIds", ":ias", interaction_ids)) if ids]
        if added:
            update += " ADD " + ", ".join(added)
            values.update({k: set(ids) for k, ids in ((":ids", case_ids), (":ias", interaction_ids)) if ids})
        item = self.cases.update_item(Key=erasure_key(pseudonym), UpdateExpression=update,
                                      ExpressionAttributeNames=names, ExpressionAttributeValues=values,
                                      ReturnValues="ALL_NEW")["Attributes"]
        return {"caseIds": [], "interactionIds": [], **from_item(item)}

    def get_erasure(self, pseudonym: str) -> dict[str, Any]:
        item = self.cases.get_item(Key=erasure_key(pseudonym), ConsistentRead=True).get("Item")
        if not item:
            raise NotFound(f"erasure {pseudonym} not found")
        return {"caseIds": [], "interactionIds": [], **from_item(item)}

    # ------------------------------------------------------------ bot conversations (QA)
    def put_interaction(self, interaction: dict[str, Any]) -> bool:
        """Stores a posted conversation once; False when its reference exists (a second post of it)."""
        item = {**interaction_key(interaction["ref"]), "expiresAt": self._expiry(), **interaction,
                # Listed under its customer in the ByCustomer GSI, so that an erasure finds it.
                "customerKey": f"CUSTOMER#{interaction['customer']['id']}", "createdAt": interaction["receivedAt"]}
        return _if_condition_holds(self.cases.put_item, Item=to_item(item),
                                   ConditionExpression="attribute_not_exists(pk)")

    def get_interaction(self, ref: str) -> dict[str, Any]:
        item = self.cases.get_item(Key=interaction_key(ref), ConsistentRead=True).get("Item")
        if not item:
            raise NotFound(f"interaction {ref} not found")
        return from_item(item)

    def replace_interaction(self, interaction: dict[str, Any]) -> None:
        """Rewrites a stored conversation in place (erasure only)."""
        self.cases.put_item(Item=to_item({**interaction_key(interaction["ref"]), **interaction}),
                            ConditionExpression="attribute_exists(pk)")

    def note_follow_up(self, task_id: str, case_id: str) -> bool:
        """Names on a decided QA task the case its follow-up opened; False when one was named before."""
        return _if_condition_holds(
            self.cases.update_item, Key=task_key(task_id), UpdateExpression="SET followUpCaseId = :c",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(followUpCaseId)",
            ExpressionAttributeValues={":c": case_id})

    # ------------------------------------------------------------ override log
    def append_override(self, record: dict[str, Any]) -> bool:
        """Appends once: a retried step builds the same key (decision time and id), and the write is conditional."""
        return _if_condition_holds(
            self.overrides.put_item, Item=to_item(record), ConditionExpression="attribute_not_exists(overrideKey)"
        )

    def query_overrides(
        self,
        *,
        journey: str | None = None,
        reviewer: str | None = None,
        start: str,
        end: str,
        limit: int = 50,
        after: dict[str, Any] | None = None,
    ) -> tuple[list[dict], dict | None]:
        """A page of the override log by journey (table key) or by reviewer (ByReviewer GSI), oldest first."""
        window = Key("overrideKey").between(start, end + "\uffff")
        if journey:
            kwargs = {"KeyConditionExpression": Key("journey").eq(journey) & window}
        else:
            kwargs = {"IndexName": "ByReviewer", "KeyConditionExpression": Key("reviewer").eq(reviewer) & window}
        if after:
            kwargs["ExclusiveStartKey"] = after
        page = self.overrides.query(Limit=limit, **kwargs)
        return [from_item(i) for i in page["Items"]], page.get("LastEvaluatedKey")

    def get_override(self, journey: str, override_key: str) -> dict[str, Any] | None:
        item = self.overrides.get_item(Key={"journey": journey, "overrideKey": override_key},
                                       ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def overrides_for_case(self, case_id: str) -> list[dict[str, Any]]:
        return self._all_pages(self.overrides, IndexName="ByCase", KeyConditionExpression=Key("caseId").eq(case_id))

    # ------------------------------------------------------------ learning: facts folded into aggregates
    def record_fact(self, case_id: str, fact: str, tallies: list[Any]) -> bool:
        """Adds a fact's tallies (policy.learning.Tally) once: a marker item and every counter in one transaction;
        False (nothing added) when the fact was recorded before."""
        return self._fold(fold_key(case_id, fact), tallies)

    def record_interaction_fact(self, ref: str, fact: str, tallies: list[Any]) -> bool:
        """record_fact for a QA'd conversation: its marker sits in the conversation's partition."""
        return self._fold(interaction_fold_key(ref, fact), tallies)

    def _fold(self, marker: dict[str, str], tallies: list[Any]) -> bool:
        client = self.cases.meta.client
        operations: list[dict[str, Any]] = [{"Put": {
            "TableName": self.cases.name, "Item": to_item({**marker, "at": now_iso()}),
            "ConditionExpression": "attribute_not_exists(pk)"}}]
        for tally in tallies:
            key = (stats_key(tally.journey, tally.day, tally.dimension) if tally.kind == "stats"
                   else memory_key(tally.journey, tally.slice))
            names, values, adds, sets = {}, {}, [], []
            for i, (name, amount) in enumerate(tally.add.items()):
                names[f"#a{i}"], values[f":a{i}"] = name, amount
                adds.append(f"#a{i} :a{i}")
            for i, (name, value) in enumerate(tally.latest.items()):
                names[f"#l{i}"], values[f":l{i}"] = name, value
                sets.append(f"#l{i} = :l{i}")
            for i, (name, value) in enumerate(tally.first.items()):
                names[f"#f{i}"], values[f":f{i}"] = name, value
                sets.append(f"#f{i} = if_not_exists(#f{i}, :f{i})")
            expression = (f"SET {', '.join(sets)} " if sets else "") + (f"ADD {', '.join(adds)}" if adds else "")
            if not expression:
                continue
            operations.append({"Update": {"TableName": self.cases.name, "Key": key,
                                          "UpdateExpression": expression.strip(),
                                          "ExpressionAttributeNames": names,
                                          "ExpressionAttributeValues": to_item(values)}})
        # The resource's client (meta.client) converts Python values to DynamoDB's, as Table methods do.
        for attempt in range(1, FOLD_ATTEMPTS + 1):
            try:
                return _if_condition_holds(client.transact_write_items, TransactItems=operations)
            except ClientError as exc:
                # Every fact of a journey's day adds to the same few aggregate items, so concurrent folds conflict
                # (TransactionConflict) as a matter of course, and botocore does not retry a cancelled transaction.
                if not _transient(exc) or attempt == FOLD_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0, 0.05 * 2 ** attempt))  # pragma: no mutate (any jitter spreads them)
        raise AssertionError("unreachable")  # pragma: no cover

    def stats(self, journey: str, day: str, prefix: str | None = None) -> list[dict[str, Any]]:
        """One day's aggregates of a journey (all dimensions, or those whose key starts with `prefix`)."""
        condition = Key("pk").eq(f"STATS#{journey}#{day}")
        if prefix:
            condition &= Key("sk").begins_with(prefix)
        return self._all_pages(self.cases, KeyConditionExpression=condition)

    def memory_slice(self, journey: str, slice_key: str) -> dict[str, Any] | None:
        item = self.cases.get_item(Key=memory_key(journey, slice_key)).get("Item")
        return from_item(item) if item else None

    def memory_slices(self, journey: str, limit: int = 500) -> list[dict[str, Any]]:
        """A journey's remembered slices (bounded: the proposer reads at most `limit`)."""
        page = self.cases.query(KeyConditionExpression=Key("pk").eq(f"MEMORY#{journey}"), Limit=limit)
        return [from_item(i) for i in page["Items"]]

    # ------------------------------------------------------------ learning: policy versions and guardrail states
    def live_policy(self, journey: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """What scoring reads, in one Query: the live policy version (None: version 1, the journey file) and the
        journey's guardrail states."""
        items = self._all_pages(self.cases, KeyConditionExpression=Key("pk").eq(policy_pk(journey))
                                & Key("sk").begins_with(LIVE))
        policy = next((i for i in items if i["sk"] == f"{LIVE}policy"), None)
        return policy, [i for i in items if i["sk"].startswith(f"{LIVE}guardrail#")]


    # ------------------------------------------------------------ learning: guardrails
    def change_guardrail(self, journey: str, name: str, state: dict[str, Any], log: dict[str, Any], *,
                         expect_since: str | None) -> bool:
        """Writes a guardrail's new state and its history entry in one transaction, only if the state is still the
        one the writer read: ok (`expect_since` None) or tripped since `expect_since`. False when another check or
        a lead changed it first (two concurrent checks trip it once)."""
        client = self.cases.meta.client
        if expect_since is None:
            condition = "attribute_not_exists(pk) OR #state <> :tripped"
            values: dict[str, Any] = {":tripped": "tripped"}
        else:
            condition = "#state = :tripped AND since = :since"
            values = {":tripped": "tripped", ":since": expect_since}
        item = {**guardrail_key(journey, name), **state}
        entry = {**guardrail_log_key(journey, name, log["at"]), "journey": journey, "name": name, **log}
        return _if_transaction_holds(client.transact_write_items, TransactItems=[
            {"Put": {"TableName": self.cases.name, "Item": to_item(item), "ConditionExpression": condition,
                     "ExpressionAttributeNames": {"#state": "state"},
                     "ExpressionAttributeValues": to_item(values)}},
            {"Put": {"TableName": self.cases.name, "Item": to_item(entry),
                     "ConditionExpression": "attribute_not_exists(pk)"}}])

    def note_guardrail_check(self, journey: str, name: str, fields: dict[str, Any], *,
                             expect_since: str | None) -> bool:
        """Records a check's reading (value, cases, checkedAt) on a state no one changed since it was read."""
        names = {f"#f{i}": k for i, k in enumerate(fields)} | {"#state": "state"}
        values = {f":f{i}": v for i, v in enumerate(fields.values())} | {":tripped": "tripped"}
        if expect_since is None:
            condition = "attribute_not_exists(pk) OR #state <> :tripped"
            sets = [f"#f{i} = :f{i}" for i in range(len(fields))] + ["#state = if_not_exists(#state, :ok)"]
            values[":ok"] = "ok"
        else:
            condition = "#state = :tripped AND since = :since"
            sets = [f"#f{i} = :f{i}" for i in range(len(fields))]
            values[":since"] = expect_since
        return _if_condition_holds(self.cases.update_item, Key=guardrail_key(journey, name),
                                   UpdateExpression="SET " + ", ".join(sets), ConditionExpression=condition,
                                   ExpressionAttributeNames=names, ExpressionAttributeValues=to_item(values))

    def mark_guardrail_alerted(self, journey: str, name: str, since: str, alerted: bool) -> bool:
        """Claims (True) or gives back (False, the alert did not go out) the supervisors' alert of a trip: the
        claim succeeds once per trip."""
        return _if_condition_holds(
            self.cases.update_item, Key=guardrail_key(journey, name), UpdateExpression="SET alerted = :to",
            ConditionExpression="#state = :tripped AND since = :since AND alerted <> :to",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":tripped": "tripped", ":since": since, ":to": alerted})

    def guardrail_history(self, journey: str, name: str, limit: int = 20) -> list[dict[str, Any]]:
        """A guardrail's latest trips, restores and resets, newest first (bounded)."""
        page = self.cases.query(KeyConditionExpression=Key("pk").eq(policy_pk(journey))
                                & Key("sk").begins_with(f"{GUARDRAIL_LOG}{name}#"),
                                ScanIndexForward=False, Limit=limit)
        return [from_item(i) for i in page["Items"]]

    # ------------------------------------------------------------ learning: proposals and policy versions
    # A journey's proposals share a partition (their ids lead with the policy version they were made on, so newest
    # sort last); its versions are history items beside the live one scoring reads (LIVE#policy).
    @staticmethod
    def _proposal_key(journey: str, proposal_id: str) -> dict[str, str]:
        return {"pk": f"PROPOSALS#{journey}", "sk": f"PROPOSAL#{proposal_id}"}

    @staticmethod
    def _version_key(journey: str, version: int) -> dict[str, str]:
        return {"pk": policy_pk(journey), "sk": f"VERSION#{version:06d}"}

    def put_proposal(self, proposal: dict[str, Any]) -> bool:
        """Stores a new proposal; False when one with its id exists (the proposer ran before on this version)."""
        item = {**self._proposal_key(proposal["journey"], proposal["proposalId"]), **proposal}
        return _if_condition_holds(self.cases.put_item, Item=to_item(item),
                                   ConditionExpression="attribute_not_exists(pk)")

    def update_open_proposal(self, journey: str, proposal_id: str, changes: dict[str, Any]) -> bool:
        """Sets fields of a proposal that is still open (fresh evidence, superseded, rejected); False otherwise."""
        names = {f"#c{i}": name for i, name in enumerate(changes)}
        values = {f":c{i}": value for i, value in enumerate(changes.values())}
        return _if_condition_holds(
            self.cases.update_item, Key=self._proposal_key(journey, proposal_id),
            UpdateExpression="SET " + ", ".join(f"#c{i} = :c{i}" for i in range(len(changes))),
            ConditionExpression="#status = :open",
            ExpressionAttributeNames={**names, "#status": "status"},
            ExpressionAttributeValues=to_item({**values, ":open": "open"}))

    def get_proposal(self, journey: str, proposal_id: str) -> dict[str, Any] | None:
        item = self.cases.get_item(Key=self._proposal_key(journey, proposal_id), ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def proposals(self, journey: str, status: str | None = None, limit: int = 100,
                  max_pages: int = 5) -> list[dict[str, Any]]:
        """A journey's proposals, those made on the newest versions first (bounded: at most `limit`, reading at
        most `max_pages` pages of the partition)."""
        query: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(f"PROPOSALS#{journey}")
                                 & Key("sk").begins_with("PROPOSAL#"), "ScanIndexForward": False}
        if status:
            query["FilterExpression"] = Attr("status").eq(status)
        items: list[dict[str, Any]] = []
        start = None
        for _ in range(max_pages):
            page = self.cases.query(**query, Limit=limit, **({"ExclusiveStartKey": start} if start else {}))
            items += [from_item(i) for i in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start or len(items) >= limit:
                break
        return items[:limit]

    def policy_versions(self, journey: str, limit: int = 50) -> list[dict[str, Any]]:
        """A journey's recorded policy versions, newest first (version 1, the file, has no item)."""
        page = self.cases.query(KeyConditionExpression=Key("pk").eq(policy_pk(journey))
                                & Key("sk").begins_with("VERSION#"), ScanIndexForward=False, Limit=limit)
        return [from_item(i) for i in page["Items"]]

    def policy_version(self, journey: str, version: int) -> dict[str, Any] | None:
        item = self.cases.get_item(Key=self._version_key(journey, version), ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def write_policy_version(self, policy: dict[str, Any], history: dict[str, Any], read_version: int,
                             proposal: dict[str, Any] | None = None) -> bool:
        """Makes `policy` (policy.learning.Policy's fields) the journey's live version and records `history`, in one
        transaction that holds only while the live version is still `read_version` and, when `proposal` ({journey,
        proposalId, changes}) is given, while that proposal is still open. False when either no longer holds."""
        journey, version = policy["journey"], policy["version"]
        operations: list[dict[str, Any]] = [
            {"Put": {"TableName": self.cases.name,
                     "Item": to_item({**self._version_key(journey, version), **history}),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": self.cases.name,
                     "Item": to_item({"pk": policy_pk(journey), "sk": f"{LIVE}policy", **policy}),
                     "ConditionExpression": "attribute_not_exists(pk) OR #v = :read" if read_version == 1
                     else "#v = :read",
                     "ExpressionAttributeNames": {"#v": "version"},
                     "ExpressionAttributeValues": {":read": read_version}}},
        ]
        if proposal is not None:
            changes = proposal["changes"]
            names = {f"#c{i}": name for i, name in enumerate(changes)}
            values = {f":c{i}": value for i, value in enumerate(changes.values())}
            operations.append({"Update": {
                "TableName": self.cases.name, "Key": self._proposal_key(proposal["journey"], proposal["proposalId"]),
                "UpdateExpression": "SET " + ", ".join(f"#c{i} = :c{i}" for i in range(len(changes))),
                "ConditionExpression": "#status = :open",
                "ExpressionAttributeNames": {**names, "#status": "status"},
                "ExpressionAttributeValues": to_item({**values, ":open": "open"})}})
        # The resource's client (meta.client) converts Python values to DynamoDB's, as Table methods do.
        return _if_transaction_holds(self.cases.meta.client.transact_write_items, TransactItems=operations)
