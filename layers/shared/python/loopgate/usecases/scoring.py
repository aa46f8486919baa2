"""The score step: signals, the journey's first matching rule, reasons stored on the case, the plan."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from loopgate.clock import iso, now
from loopgate.policy.journeys import get_journey
from loopgate.policy.learning import apply_learning, slice_of
from loopgate.policy.planning import first_plan
from loopgate.policy.routing import route_case
from loopgate.policy.signals import CaseFacts, compute_signals, message_of
from loopgate.ports import CaseStore, CloudJudge
from loopgate.usecases.follow_ups import schedule_follow_up
from loopgate.usecases.learning import live_policy, observe, precedent_words

REPEAT_WINDOW_DAYS = 30


# What the customer is asked to do, as the channel's readers say it.
_CUSTOMER_DOES = {"confirm": "confirms", "choose": "chooses an option", "provide": "provides what is missing",
                  "correct": "checks and corrects the details"}


def _words(name: str) -> str:
    return name.replace("-", " ").replace("_", " ")


def routing_summary(route: str, ask: str | None, rule: str, guards: tuple[str, ...] = (), task: str = "review") -> str:
    """The routing in plain words for the timeline, which channels show to people (no internal route names)."""
    customer = f"the customer {_CUSTOMER_DOES.get(ask or 'confirm', 'answers')}"
    person = "A person contacts the customer" if task == "contact" else "A reviewer decides"
    who = {"auto": "Handled automatically", "human": person,
           "customer": customer[:1].upper() + customer[1:],
           "human_then_customer": f"A reviewer looks first, then {customer}"}[route]
    why = [f"guard: {_words(g)}" for g in guards]
    why.append("no rule matched: the journey's safe default" if rule == "default" else f"rule: {_words(rule)}")
    return f"{who} ({'; '.join(why)})"


def score_case(store: CaseStore, case_id: str, cloud_judge: CloudJudge | None = None) -> dict[str, Any]:
    case = store.get_case(case_id)
    journey = get_journey(case["journey"])
    since = iso(now() - timedelta(days=REPEAT_WINDOW_DAYS))
    earlier = store.count_recent_cases(case["customer"]["id"], journey.name, since) - 1  # not this case
    cloud, cloud_error = None, None
    if cloud_judge is not None:
        try:
            cloud = cloud_judge.judge(message_of(case["payload"]), case["ai"].get("draft"))
        except Exception as exc:  # noqa: BLE001 - any failure of the judge means nobody judged: a person does
            cloud_error = type(exc).__name__
    facts = CaseFacts(payload=case["payload"], ai=case["ai"], customer=case["customer"],
                      prior_contacts=max(0, earlier), cloud=cloud, cloud_error=cloud_error)
    signals = compute_signals(facts, journey)
    routing = route_case(journey, signals)
    # The loop's part: the live policy version and the guardrails, on the case's slice of alike cases.
    policy, guardrails = live_policy(store, journey.name)
    case_slice = slice_of(journey, routing.rule, case["payload"], case["ai"].get("confidence"))
    memory = store.memory_slice(journey.name, case_slice.key) if policy.adjustment_for(case_slice.key) else None
    routing = apply_learning(journey, routing, case_slice, policy, guardrails, precedent_words(memory))
    reasons = [r.model_dump() for r in routing.reasons]
    learning = {"day": case["createdAt"][:10], "rule": routing.rule, "slice": case_slice.key,
                "queue": routing.queue if routing.decision.route != "auto" else None,
                "signals": sorted({r.signal for r in routing.reasons if r.signal})}
    case = store.update_case(case, {
        "route": routing.decision.route, "rule": routing.rule, "guards": list(routing.guards), "reasons": reasons,
        "signals": {name: {"value": s.value, "explanation": s.explanation} for name, s in signals.items()},
        "policyVersion": policy.version, "slice": case_slice.key, "learning": case.get("learning") or learning,
    })
    route = routing.decision.route
    observe(store, case, "scored", {"cases": 1, f"routed_{route}": 1, "repeatContacts": int(earlier > 0)},
            memory={"cases": 1, f"routed_{route}": 1})
    store.append_event(case_id, "scored", routing_summary(routing.decision.route,
                                                          routing.decision.ask or journey.customerStep.kind,
                                                          routing.rule, routing.guards, journey.task),
                       detail={"route": routing.decision.route, "rule": routing.rule,
                               "reasons": [r["text"] for r in reasons]})
    plan = first_plan(journey, routing, case)
    schedule_follow_up(store, case, plan)
    return {"caseId": case_id, "plan": plan.model_dump()}
