"""Curated policy changes: the proposer, a lead's decision, policy versions and rollback (docs/learning.md)."""
from __future__ import annotations

from typing import Any

from loopgate import roles
from loopgate.clock import now_iso
from loopgate.errors import Conflict, Forbidden, InvalidValue, NotFound
from loopgate.models import PolicyRollback, ProposalDecision, Reviewer
from loopgate.policy import proposals as rules
from loopgate.policy.journeys import catalogue, get_journey
from loopgate.policy.learning import Adjustment, Policy
from loopgate.ports import CaseStore
from loopgate.usecases.learning import live_policy, precedent_words

STATUSES = ("open", "accepted", "rejected", "superseded")
MEMORY_LIMIT = 500  # slices the proposer reads per journey and run
HISTORY_LIMIT = 50
ATTEMPTS = 3  # an accept that loses to another version change re-reads the live policy this often


def _lead(caller: Reviewer | None, what: str) -> None:
    if caller is not None and roles.LEADS not in caller.groups:
        raise Forbidden(f"{what} is for the group '{roles.LEADS}'")


# ------------------------------------------------------------------ the proposer
def run_proposer(store: CaseStore, caller: Reviewer | None) -> dict[str, Any]:
    """Proposes changes the memory supports; `caller` None for the hourly job, else a lead. {"items": [...]}: the
    proposals this run made or refreshed (a re-run on the same live version makes no duplicate)."""
    _lead(caller, "running the proposer")
    items = []
    for journey in catalogue().values():
        policy, _ = live_policy(store, journey.name)
        open_ones = store.proposals(journey.name, status="open")
        for memory in store.memory_slices(journey.name, limit=MEMORY_LIMIT):
            slice_key = memory["sk"]
            verdict = rules.judge_slice(journey, policy, slice_key, memory)
            if verdict is None:
                continue
            proposal = _proposal(journey, policy, slice_key, memory, verdict)
            if not store.put_proposal(proposal):
                fresh = {k: proposal[k] for k in ("evidence", "backtest", "describe")} | {"refreshedAt": now_iso()}
                if not store.update_open_proposal(journey.name, proposal["proposalId"], fresh):
                    continue  # decided already: the lead's word stands until the live version changes
                proposal = {**(store.get_proposal(journey.name, proposal["proposalId"]) or proposal), **fresh}
            for older in open_ones:
                if older["slice"] == slice_key and older["proposalId"] != proposal["proposalId"]:
                    store.update_open_proposal(journey.name, older["proposalId"], {
                        "status": "superseded", "supersededBy": proposal["proposalId"], "decidedAt": now_iso()})
            items.append(_public(proposal))
    return {"items": items}


def _proposal(journey, policy: Policy, slice_key: str, memory: dict[str, Any],
              verdict: rules.Verdict) -> dict[str, Any]:
    counts = verdict.counts
    return {
        "proposalId": rules.proposal_id(journey.name, slice_key, verdict.change, policy.version),
        "journey": journey.name, "slice": slice_key, "kind": verdict.kind,
        "describe": rules.describe(verdict, slice_key, journey),
        "change": verdict.change.model_dump(exclude_none=True),
        "from": verdict.base.model_dump(exclude_none=True),
        "evidence": {"counts": counts.model_dump(), "topReasons": rules.top_reasons(memory),
                     "examples": rules.examples(memory), "words": precedent_words(memory) or ""},
        "backtest": rules.backtest(verdict),
        "status": "open", "createdAt": now_iso(), "policyVersion": policy.version,
    }


_HIDDEN = ("pk", "sk")


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _HIDDEN}


def list_proposals(store: CaseStore, caller: Reviewer, *, journey: str | None,
                   status: str | None) -> dict[str, Any]:
    """Proposals by journey (newest versions first), optionally by status; every journey's when none is named."""
    _lead(caller, "reading proposals")
    if status is not None and status not in STATUSES:
        raise InvalidValue("status", f"must be one of {', '.join(STATUSES)}")
    names = [get_journey(journey).name] if journey else sorted(catalogue())
    items = [_public(p) for name in names for p in store.proposals(name, status=status)]
    return {"items": items}


# ------------------------------------------------------------------ a lead's decision
def _find(store: CaseStore, proposal_id: str) -> dict[str, Any]:
    named = rules.journey_of_proposal(proposal_id)
    found = store.get_proposal(named[0], proposal_id) if named and named[0] in catalogue() else None
    if found is None:
        raise NotFound(f"no proposal {proposal_id!r}")
    return found


def decide_proposal(store: CaseStore, caller: Reviewer, proposal_id: str,
                    decision: ProposalDecision) -> dict[str, Any]:
    """A lead accepts (a new policy version, effective at once: {"policyVersion"}) or rejects (the proposal)."""
    _lead(caller, "deciding proposals")
    proposal = _find(store, proposal_id)
    journey = proposal["journey"]
    if proposal["status"] != "open":
        raise Conflict(f"the proposal is {proposal['status']}, no longer open")
    at = now_iso()
    decided = {"decidedBy": caller.name, "decidedById": caller.sub, "decisionReason": decision.reason,
               "decidedAt": at}
    if decision.action == "reject":
        if not store.update_open_proposal(journey, proposal_id, {"status": "rejected", **decided}):
            raise Conflict("the proposal was decided meanwhile")
        return _public(store.get_proposal(journey, proposal_id) or proposal)

    for _ in range(ATTEMPTS):
        policy, _states = live_policy(store, journey)
        now_from = rules.base_of(get_journey(journey), policy, proposal["slice"]).model_dump(exclude_none=True)
        if proposal["policyVersion"] != policy.version and now_from != proposal["from"]:
            # Another version changed this slice since: the evidence weighed a routing that is no longer live.
            store.update_open_proposal(journey, proposal_id, {"status": "superseded", "decidedAt": at})
            raise Conflict(f"policy version {policy.version} changed this slice since the proposal was made "
                           f"(on version {proposal['policyVersion']}): run the proposer again")
        adjustment = Adjustment(slice=proposal["slice"], change=proposal["change"], proposalId=proposal_id,
                                evidence=proposal["evidence"].get("words") or proposal["describe"],
                                acceptedBy=caller.name, reason=decision.reason, at=at)
        adjustments = [a for a in policy.adjustments if a.slice != proposal["slice"]] + [adjustment]
        new = Policy(journey=journey, version=policy.version + 1, adjustments=adjustments, by=caller.name,
                     reason=decision.reason, at=at)
        history = {**new.model_dump(mode="json"), "kind": "accept", "byId": caller.sub, "proposalId": proposal_id,
                   "slice": proposal["slice"], "change": proposal["change"], "describe": proposal["describe"]}
        changes = {"status": "accepted", "acceptedVersion": new.version, **decided}
        if store.write_policy_version(new.model_dump(mode="json"), history, policy.version,
                                      {"journey": journey, "proposalId": proposal_id, "changes": changes}):
            _supersede_others(store, journey, proposal, at)
            return {"policyVersion": new.version, "proposalId": proposal_id}
        latest = store.get_proposal(journey, proposal_id)
        if latest is None or latest["status"] != "open":
            raise Conflict("the proposal was decided meanwhile")
    raise Conflict("the journey's policy kept changing meanwhile: try again")


def _supersede_others(store: CaseStore, journey: str, accepted: dict[str, Any], at: str) -> None:
    """Other open proposals for the slice weighed the routing this version replaced."""
    for other in store.proposals(journey, status="open"):
        if other["slice"] == accepted["slice"] and other["proposalId"] != accepted["proposalId"]:
            store.update_open_proposal(journey, other["proposalId"], {
                "status": "superseded", "supersededBy": accepted["proposalId"], "decidedAt": at})


# ------------------------------------------------------------------ policy versions
def _version_one(journey: str) -> dict[str, Any]:
    return {"journey": journey, "version": 1, "adjustments": [], "kind": "file", "by": None,
            "reason": "the journey file", "at": None}


def policy_view(store: CaseStore, caller: Reviewer, journey: str) -> dict[str, Any]:
    """The live version of a journey's policy and its history, newest first (bounded)."""
    _lead(caller, "reading policies")
    name = get_journey(journey).name
    policy, _ = live_policy(store, name)
    history = [_public(v) for v in store.policy_versions(name, limit=HISTORY_LIMIT)]
    if len(history) < HISTORY_LIMIT:
        history.append(_version_one(name))
    return {"journey": name, "version": policy.version,
            "adjustments": [a.model_dump(mode="json") for a in policy.adjustments],
            "by": policy.by, "reason": policy.reason, "at": policy.at, "history": history}


def rollback(store: CaseStore, caller: Reviewer, journey: str, request: PolicyRollback) -> dict[str, Any]:
    """A new version N+1 whose adjustments are those of `request.version` (version 1: none)."""
    _lead(caller, "rolling policies back")
    name = get_journey(journey).name
    for _ in range(ATTEMPTS):
        policy, _states = live_policy(store, name)
        if request.version > policy.version:
            raise InvalidValue("version", f"no version {request.version}: the live version is {policy.version}")
        if request.version == policy.version:
            raise InvalidValue("version", f"version {request.version} is the live version")
        if request.version == 1:
            target: list[Any] = []
        else:
            found = store.policy_version(name, request.version)
            if found is None:
                raise InvalidValue("version", f"no version {request.version} of {name}")
            target = found.get("adjustments") or []
        at = now_iso()
        new = Policy(journey=name, version=policy.version + 1, adjustments=target, by=caller.name,
                     reason=request.reason, at=at)
        history = {**new.model_dump(mode="json"), "kind": "rollback", "byId": caller.sub,
                   "rolledBackTo": request.version, "rolledBackFrom": policy.version}
        if store.write_policy_version(new.model_dump(mode="json"), history, policy.version):
            return {"journey": name, "policyVersion": new.version, "rolledBackTo": request.version}
    raise Conflict("the journey's policy kept changing meanwhile: try again")
