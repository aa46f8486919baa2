"""Audit sampling: a deterministic share of automatic cases, chosen by case id (a replay chooses the same)."""
import hashlib


def audit_selected(case_id: str, rate: float) -> bool:
    if rate <= 0:
        return False
    bucket = int(hashlib.sha256(case_id.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < rate
