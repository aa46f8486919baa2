"""Review deadlines: a warning to the queue before a review runs out of time (the limit itself is the workflow's)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from .adapters.dynamo import CaseStore
from .clock import parse_iso
from .journeys import Journey

WARN_SHARE = 0.25  # warn when a quarter of the review's time is left


class QueueNotifier(Protocol):
    def due_soon(self, task: dict[str, Any]) -> None: ...


def watched_queues(journeys: dict[str, Journey]) -> list[str]:
    """Every queue a journey can route a timed review to (audits have no time limit)."""
    queues = {"senior"}  # where failed steps go
    for journey in journeys.values():
        queues |= {journey.queues.review, journey.queues.senior, journey.queues.supervisor}
        queues |= {r.queue for r in journey.rules if r.queue} | ({journey.default.queue} - {None})
    return sorted(queues)


def is_due_soon(task: dict[str, Any], moment: datetime) -> bool:
    created, due = parse_iso(task["createdAt"]), parse_iso(task["dueAt"])
    return task.get("kind") != "audit" and not task.get("warnedAt") and \
        (due - moment) <= (due - created) * WARN_SHARE


def warn_due_reviews(store: CaseStore, notifier: QueueNotifier, queues: list[str], moment: datetime) -> list[str]:
    """Warns once per task; returns the ids of the tasks warned now."""
    warned = []
    for queue in queues:
        after, more = None, True
        while more:
            tasks, more = store.open_tasks(queue, limit=100, after=after)
            for task in tasks:
                if is_due_soon(task, moment) and store.mark_warned(task["taskId"]):
                    notifier.due_soon(task)
                    store.append_event(task["caseId"], "review_due_soon",
                                       f"Review in queue '{queue}' is due at {task['dueAt']}; the queue was warned",
                                       detail={"taskId": task["taskId"], "queue": queue})
                    warned.append(task["taskId"])
            if tasks:
                last = tasks[-1]
                after = {"pk": f"TASK#{last['taskId']}", "sk": "TASK", "queueKey": f"QUEUE#{queue}",
                         "queueOrder": f"{last['priority']}#{last['createdAt']}#{last['taskId']}"}
    return warned
