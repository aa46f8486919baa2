"""Configuration from environment variables (declared in template.yaml), validated once."""
from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel


class Settings(BaseModel):
    cases_table: str
    overrides_table: str
    idempotency_table: str | None = None
    state_machine_arn: str | None = None
    public_base_url: str | None = None
    sender_email: str | None = None
    queue_alerts_topic_arn: str | None = None

    def require(self, name: str) -> str:
        value = getattr(self, name)
        if not value:
            raise RuntimeError(f"environment variable {name.upper()} is not set for this function")
        return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.model_validate({name: os.environ.get(name.upper()) for name in Settings.model_fields})
