"""The score step: signals, the journey's first matching rule, reasons stored on the case, the plan."""
from __future__ import annotations

from typing import Any

from .adapters.dynamo import CaseStore
from .journeys import get_journey
from .planning import first_plan
from .routing import route_case
from .signals import CaseFacts, compute_signals


def score_case(store: CaseStore, case_id: str) -> dict[str, Any]:
    case = store.get_case(case_id)
    journey = get_journey(case["journey"])
    facts = CaseFacts(payload=case["payload"], ai=case["ai"], customer=case["customer"])
    signals = compute_signals(facts, journey)
    routing = route_case(journey, signals)
    reasons = [r.model_dump() for r in routing.reasons]
    case = store.update_case(case, {
        "route": routing.decision.route, "rule": routing.rule, "reasons": reasons,
        "signals": {name: {"value": s.value, "explanation": s.explanation} for name, s in signals.items()},
    })
    store.append_event(case_id, "scored", f"Routed '{routing.decision.route}' by rule '{routing.rule}'",
                       detail={"route": routing.decision.route, "rule": routing.rule,
                               "reasons": [r["text"] for r in reasons]})
    plan = first_plan(journey, routing, case)
    return {"caseId": case_id, "plan": plan.model_dump()}
