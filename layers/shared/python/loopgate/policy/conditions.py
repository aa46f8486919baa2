"""Conditions on signals, as journeys and guards write them: a comparison, or all / any / not of others."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Operator = Literal["lt", "lte", "gt", "gte", "eq", "ne"]


class Condition(BaseModel):
    """A signal compared with a value, or a combination: {"all": [...]}, {"any": [...]}, {"not": {...}}."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    signal: str | None = None
    op: Operator | None = None
    value: Any = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_shape(self) -> Condition:
        shapes = [self.signal is not None, self.all is not None, self.any is not None, self.not_ is not None]
        if sum(shapes) != 1:
            raise ValueError("a condition is exactly one of: signal+op+value, all, any, not")
        if self.signal is not None and self.op is None:
            raise ValueError(f"condition on signal '{self.signal}' needs an op")
        return self

    def children(self) -> list[Condition]:
        return (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else [])

    def signal_names(self) -> set[str]:
        if self.signal is not None:
            return {self.signal}
        return set().union(*(c.signal_names() for c in self.children()))

    def threshold_names(self) -> set[str]:
        """Values written "$name" refer to the journey's thresholds."""
        if self.signal is not None:
            return {self.value[1:]} if isinstance(self.value, str) and self.value.startswith("$") else set()
        return set().union(*(c.threshold_names() for c in self.children()))
