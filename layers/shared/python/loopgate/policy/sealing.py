"""Tamper evidence: each case's timeline and override log items as two hash chains, sealed by a daily digest.

An item's link commits to its position, its key and every attribute: `sealHash = H(prev | seq | core | personal)`.
`core` is the canonical JSON of what erasure never changes (keys, type, time, actor, decision, numbers the system
wrote, detail entries the system made); `personal` is a salted commitment to what erasure rewrites (a timeline
event's summary and its other detail entries; an override's proposals, diff, reason and comment). Erasure keeps the
commitment (`sealPersonal`) and drops the salt, so the words go, the chain still verifies, and the commitment,
without its salt, cannot be used to confirm a guess of the words that were erased. An edit of anything else, a
deleted, inserted or reordered item breaks the chain at that item.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from loopgate.policy.erasure import SYSTEM_DETAIL

GENESIS = "0" * 64
SEAL_ATTRIBUTES = frozenset({"sealSeq", "sealHash", "sealSalt", "sealPersonal", "sealedAt"})
TIMELINE, OVERRIDES = "timeline", "overrides"
CHAINS = (TIMELINE, OVERRIDES)
OVERRIDE_PERSONAL = ("proposal", "decided", "diff", "reason", "comment")


def canonical(value: Any) -> bytes:
    """One byte string per value, whoever serialises it: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def item_key(chain: str, item: dict[str, Any]) -> str:
    """Where the item sits in its chain: the table's sort key (timeline) or the log's key (overrides)."""
    return item["sk"] if chain == TIMELINE else item["overrideKey"]


def key_time(chain: str, item: dict[str, Any]) -> str:
    """The time written in the item's key, which orders the chain (EVENT#<at>#..., <at>#... in the log)."""
    key = item_key(chain, item)
    return key.split("#")[1] if chain == TIMELINE else key.split("#")[0]


def split(chain: str, item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The item as (core, personal): what erasure keeps, what erasure may rewrite; seal attributes in neither."""
    body = {k: v for k, v in item.items() if k not in SEAL_ATTRIBUTES}
    if chain == TIMELINE:
        detail = body.pop("detail", None)
        summary = body.pop("summary", None)
        system = {k: v for k, v in (detail or {}).items() if k in SYSTEM_DETAIL}
        words = {k: v for k, v in (detail or {}).items() if k not in SYSTEM_DETAIL}
        # A missing detail and an empty one are the same (erasure writes the workflow's events back with one).
        return {**body, "detail": system}, {"summary": summary, "detail": words}
    return ({k: v for k, v in body.items() if k not in OVERRIDE_PERSONAL},
            {k: body[k] for k in OVERRIDE_PERSONAL if k in body})


def personal_commitment(chain: str, item: dict[str, Any], salt: str) -> str:
    return sha256(salt.encode() + b"|" + canonical(split(chain, item)[1]))


def link(chain: str, item: dict[str, Any], prev: str, seq: int, personal: str) -> str:
    core = sha256(canonical(split(chain, item)[0]))
    return sha256(f"{prev}|{seq}|{core}|{personal}")


def sealed(item: dict[str, Any]) -> bool:
    return "sealHash" in item


def redacted(item: dict[str, Any]) -> bool:
    """Erased after it was sealed: the commitment stays, the salt is gone."""
    return sealed(item) and "sealPersonal" in item and "sealSalt" not in item


def redact(chain: str, original: dict[str, Any], scrubbed: dict[str, Any]) -> dict[str, Any]:
    """What erasure writes for an item: the scrubbed item, and if the original was sealed, its personal
    commitment kept and its salt dropped, so the chain still verifies and nothing confirms the erased words."""
    if scrubbed == original or "sealSalt" not in original:
        return scrubbed
    clean = {k: v for k, v in scrubbed.items() if k != "sealSalt"}
    return {**clean, "sealPersonal": personal_commitment(chain, original, original["sealSalt"])}


@dataclass(frozen=True)
class Head:
    """Where a chain stands: how many items are sealed, the last one's link and key."""

    count: int = 0
    head: str = GENESIS
    last: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "head": self.head, "last": self.last}


@dataclass
class SealPlan:
    """What a sealing run writes on a chain: the seal attributes of each new item, and the chain's head after."""

    writes: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (item, seal attributes)
    head: Head = field(default_factory=Head)
    waiting: int = 0  # items newer than the cutoff, for the next run


def plan_seal(chain: str, items: list[dict[str, Any]], cutoff: str, salts, sealed_at: str) -> SealPlan:
    """Extends a chain over `items` (in key order) up to `cutoff`, from its last sealed item.

    Only a contiguous run after the last sealed item is sealed: an unsealed item that sorts before a sealed one
    was inserted after that seal (or written late, out of order) and is left for verify to name, never taken in.
    `salts` yields a fresh random salt per item.
    """
    plan = SealPlan()
    last_sealed = max((i for i, item in enumerate(items) if sealed(item)), default=-1)
    prev, count, last = GENESIS, 0, None
    if last_sealed >= 0:
        tail = items[last_sealed]
        prev, count, last = tail["sealHash"], int(tail["sealSeq"]), item_key(chain, tail)
    for item in items[last_sealed + 1:]:
        if key_time(chain, item)[:23] > cutoff[:23]:
            plan.waiting += 1
            continue
        if plan.waiting:  # keep the sealed run contiguous: nothing after an item left waiting
            plan.waiting += 1
            continue
        count += 1
        salt = next(salts)
        prev = link(chain, item, prev, count, personal_commitment(chain, item, salt))
        last = item_key(chain, item)
        plan.writes.append((item, {"sealSeq": count, "sealHash": prev, "sealSalt": salt, "sealedAt": sealed_at}))
    plan.head = Head(count, prev, last)
    return plan


@dataclass(frozen=True)
class Break:
    """The first link that does not hold, in words a person acts on."""

    chain: str
    position: int
    key: str | None
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "position": self.position, "key": self.key, "why": self.why}


@dataclass
class ChainCheck:
    checked: int = 0
    redacted: int = 0
    unsealed: int = 0  # written after the newest seal: not covered yet
    broken: Break | None = None


def verify_chain(chain: str, items: list[dict[str, Any]], checkpoints: list[tuple[str, Head]],
                 erasure_recorded: bool) -> ChainCheck:
    """Recomputes a chain over the table's items (in key order) and holds it against each digest's checkpoint
    (`(day, head)`, oldest first); names the first item whose position, content or link breaks."""
    result = ChainCheck()
    expected = max((h.count for _, h in checkpoints), default=0)
    prev, position, links = GENESIS, 0, []

    def broken(at: int, key: str | None, why: str) -> ChainCheck:
        result.broken = Break(chain, at, key, why)
        return result

    last_sealed = max((i for i, item in enumerate(items) if sealed(item)), default=-1)
    for index, item in enumerate(items):
        key = item_key(chain, item)
        if not sealed(item):
            if position < expected or index < last_sealed:
                return broken(position + 1, key, "an item without a seal sits among sealed ones: inserted after "
                                                 "its neighbours were sealed")
            result.unsealed += 1
            continue
        position += 1
        seq = int(item["sealSeq"])
        if seq > position:
            return broken(position, key, f"sealed as position {seq}, found at {position}: "
                                         f"{seq - position} sealed item(s) before it are missing (deleted)")
        if seq < position:
            return broken(position, key, f"sealed as position {seq}, found at {position}: an item before it was "
                                         "inserted or moved")
        if redacted(item):
            if not erasure_recorded:
                return broken(position, key, "its words were removed as if erased, but the case records no erasure")
            personal = item["sealPersonal"]
            result.redacted += 1
        elif "sealSalt" in item:
            personal = personal_commitment(chain, item, item["sealSalt"])
        else:
            return broken(position, key, "its seal attributes were removed")
        prev = link(chain, item, prev, position, personal)
        if prev != item["sealHash"]:
            return broken(position, key, "its content changed after it was sealed")
        links.append((prev, key))
        result.checked = position
    for day, head in checkpoints:
        if head.count > len(links):
            last = links[-1][1] if links else None
            return broken(len(links) + 1, head.last,
                          f"the digest of {day} sealed {head.count} item(s), the table holds {len(links)}: sealed "
                          f"items after {last or 'the start'} are missing (deleted)")
        if head.count and links[head.count - 1] != (head.head, head.last):
            # Every item matched its stored link, but the run does not end where the digest says: the stored
            # links were recomputed after an edit. Name the first item of the run that the digest sealed last.
            start = max((h.count for d, h in checkpoints if h.count < head.count and d < day), default=0)
            return broken(start + 1, links[start][1],
                          f"the chain up to position {head.count} differs from the digest of {day}: an item from "
                          f"here to {head.last} was changed and its seals recomputed")
    return result
