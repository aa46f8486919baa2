"""Tamper evidence: the daily seal of every case written in the last two days, and the check of a table against
the signed digests (which item is the first broken link)."""
from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from loopgate.clock import iso, now, parse_iso
from loopgate.policy import sealing as chain
from loopgate.usecases.erasure import ERASED_EVENT

# Items younger than this are left for the next run: a Lambda retried with its decision's time, or the workflow's
# own write, may still land a moment before "now" in key order, and a sealed chain takes no item in its middle.
SETTLE = timedelta(hours=1)


def _salts() -> Iterator[str]:
    while True:
        yield secrets.token_hex(16)


def _erasure_recorded(items: dict[str, list[dict[str, Any]]]) -> bool:
    return any(event.get("type") == ERASED_EVENT for event in items[chain.TIMELINE])


def seal(tables, archive, *, run_at: str | None = None) -> dict[str, Any]:
    """Seals the chains of every case written on the run's day or the day before, up to SETTLE ago, and puts
    the signed digest of their heads in the archive. Runs daily; running it again the same day is harmless.

    On the way it checks what was sealed before against the links stored on the items (edits, deletions and
    insertions in the middle of a chain; the digests, which `verify` reads, catch the rest) and returns the breaks.
    """
    moment = parse_iso(run_at) if run_at else now()
    cutoff, day = iso(moment - SETTLE), iso(moment)[:10]
    case_ids = sorted(set(tables.cases_touched(iso(moment - timedelta(days=1))[:10])) | set(tables.cases_touched(day)))
    heads: dict[str, dict[str, Any]] = {}
    breaks: list[dict[str, Any]] = []
    sealed = conflicts = 0
    for case_id in case_ids:
        items = tables.chains(case_id)
        erased = _erasure_recorded(items)
        heads[case_id] = {}
        for name in chain.CHAINS:
            found = chain.verify_chain(name, items[name], [], erased).broken
            if found:
                breaks.append({"caseId": case_id, **found.as_dict()})
            plan = chain.plan_seal(name, items[name], cutoff, _salts(), iso(moment))
            written = [item for item, attributes in plan.writes if tables.seal(name, item, attributes)]
            if len(written) < len(plan.writes):
                # Another run sealed an item first, or it was deleted meanwhile: this run's head is not the
                # table's. The chain stays out of this digest; the next run extends it from what was written.
                conflicts += 1
                continue
            sealed += len(plan.writes)
            if plan.head.count:
                heads[case_id][name] = plan.head.as_dict()
        if not heads[case_id]:
            del heads[case_id]
    body = {"day": day, "cutoff": cutoff, "sealedAt": iso(moment), "cases": heads}
    statement = {"day": day, "sealedAt": iso(moment), "cases": len(heads), "sealedItems": sealed,
                 "bodySha256": chain.sha256(chain.canonical(body))}
    document = {"statement": statement, **archive.sign(chain.canonical(statement)), "body": body}
    key = archive.put(f"{day}/{iso(moment)}", document)
    return {"digest": key, "cases": len(heads), "sealedItems": sealed, "conflicts": conflicts, "broken": breaks}


def verify(tables, archive, *, since: str | None = None,
           progress: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """Checks every stored version of every digest (its signature) and every case a valid one names against the
    table: the first broken link of each chain, by case. `since` (a day) skips older digests (items past their
    retention are gone)."""
    checkpoints: dict[str, dict[str, list[tuple[str, chain.Head]]]] = {}
    broken: list[dict[str, Any]] = []
    versions = archive.versions(since)
    for key, version in versions:
        document = archive.get(key, version)
        body, statement = (document or {}).get("body"), (document or {}).get("statement")
        where = {"digest": key, "version": version}
        if not isinstance(body, dict) or not isinstance(statement, dict):
            broken.append({**where, "why": "the digest is not a digest document"})
            progress(f"digest {key} ({version}): BROKEN, not a digest document")
            continue
        if not archive.signature_holds(chain.canonical(statement), document):
            broken.append({**where, "why": "its signature does not hold: the statement was changed or signed by "
                                           "another key"})
            progress(f"digest {key} ({version}): BROKEN, signature does not hold")
            continue
        if statement.get("bodySha256") != chain.sha256(chain.canonical(body)):
            broken.append({**where, "why": "its body differs from the body the signature covers"})
            progress(f"digest {key} ({version}): BROKEN, body changed after signing")
            continue
        progress(f"digest {key}: signature ok, {len(body['cases'])} case(s)")
        for case_id, heads in body["cases"].items():
            for name, head in heads.items():
                checkpoints.setdefault(case_id, {}).setdefault(name, []).append(
                    (body["sealedAt"], chain.Head(head["count"], head["head"], head["last"])))
    checked = redacted = unsealed = 0
    for case_id in sorted(checkpoints):
        items = tables.chains(case_id)
        erased = _erasure_recorded(items)
        for name in chain.CHAINS:
            result = chain.verify_chain(name, items[name], checkpoints[case_id].get(name, []), erased)
            checked += result.checked
            redacted += result.redacted
            unsealed += result.unsealed
            if result.broken:
                broken.append({"caseId": case_id, **result.broken.as_dict()})
                progress(f"case {case_id}: {name} BROKEN at position {result.broken.position} "
                         f"({result.broken.key}): {result.broken.why}")
    progress(f"{len(versions)} digest(s), {len(checkpoints)} case(s), {checked} sealed item(s) hold"
             f"{f', {redacted} erased on request' if redacted else ''}"
             f"{f', {unsealed} written after the last seal (not covered yet)' if unsealed else ''}; "
             f"{len(broken)} broken")
    return {"digests": len(versions), "cases": len(checkpoints), "items": checked, "erased": redacted,
            "unsealed": unsealed, "broken": broken, "firstBroken": broken[0] if broken else None}
