"""Alerts to reviewer queues through SNS; subscribers filter on the `queue` message attribute."""
from __future__ import annotations

from typing import Any


class QueueAlerts:
    def __init__(self, sns_client, topic_arn: str):
        self.sns = sns_client
        self.topic_arn = topic_arn

    def due_soon(self, task: dict[str, Any]) -> None:
        self.sns.publish(
            TopicArn=self.topic_arn, Subject=f"Loopgate: a review in {task['queue']} is due soon",
            Message=f"Review task {task['taskId']} (case {task['caseId']}, journey {task['journey']}) "
                    f"is due at {task['dueAt']}. After that it moves to the senior queue.",
            MessageAttributes={"queue": {"DataType": "String", "StringValue": task["queue"]}})


class SupervisorAlerts:
    """Alerts to the supervisors' topic (the one the workflow alerts when a senior review runs out of time)."""

    def __init__(self, sns_client, topic_arn: str):
        self.sns = sns_client
        self.topic_arn = topic_arn

    def guardrail_tripped(self, journey: str, name: str, text: str) -> None:
        self.sns.publish(TopicArn=self.topic_arn, Subject=f"Loopgate: guardrail {name} tripped on {journey}"[:100],
                         Message=text,
                         MessageAttributes={"journey": {"DataType": "String", "StringValue": journey}})
