"""The GuardrailTripped metric (EMF, the functions' namespace): the stack's GuardrailTrippedAlarm watches it."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric


def count_trips(items: list[dict[str, Any]]) -> int:
    """One data point per guardrail a check tripped, with its journey as a dimension (a metric set of its own:
    the function's other metrics carry no journey)."""
    tripped = [item for item in items if item.get("change") == "tripped"]
    for item in tripped:
        with single_metric(name="GuardrailTripped", unit=MetricUnit.Count, value=1) as metric:
            metric.add_dimension(name="journey", value=item["journey"])
    return len(tripped)
