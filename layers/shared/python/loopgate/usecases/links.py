"""Customer links: random ids (256 bits), stored only as a hash, expiring, single-use."""
from __future__ import annotations

import hashlib
import secrets


def new_link_id() -> str:
    return secrets.token_urlsafe(32)


def link_hash(link_id: str) -> str:
    return hashlib.sha256(link_id.encode("utf-8")).hexdigest()  # pragma: no mutate ("UTF-8" is the same codec)
