"""Review deadlines: a warning to the queue before a review runs out of time (the limit itself is the workflow's)."""
from __future__ import annotations

from datetime import datetime

from loopgate import roles
from loopgate.clock import iso
from loopgate.policy.journeys import Journey
from loopgate.ports import CaseStore, QueueAlerts

WARN_SHARE = 0.25  # warn when a quarter of the review's time is left (review tasks carry their warnAt)


def watched_queues(journeys: dict[str, Journey]) -> list[str]:
    """Every queue a journey can route a timed review to (audits have no time limit)."""
    queues = {roles.SENIOR}  # where failed steps go
    for journey in journeys.values():
        queues |= {journey.queues.review, journey.queues.senior, journey.queues.supervisor}
        queues |= {r.queue for r in journey.rules if r.queue} | ({journey.default.queue} - {None})
    return sorted(queues)


def warn_due_reviews(store: CaseStore, notifier: QueueAlerts, queues: list[str], moment: datetime) -> list[str]:
    """Warns once per task whose warning time has come; returns the ids of the tasks warned now."""
    warned = []
    for queue in queues:
        for task in store.due_for_warning(queue, iso(moment)):
            if store.mark_warned(task["taskId"]):
                notifier.due_soon(task)
                store.append_event(task["caseId"], "review_due_soon",
                                   f"Review in queue '{queue}' is due at {task['dueAt']}; the queue was warned",
                                   detail={"taskId": task["taskId"], "queue": queue})
                warned.append(task["taskId"])
    return warned
