"""Chaos: cases of every journey through the local engine under faults, then the promises checked.

    make chaos                                  # 1,000 cases, faults at 5 %
    .venv/bin/python -m bench.chaos --cases 100 --seed 7 --fault-rate 0.02

Reviewers (some racing each other on a task, some deciding after the deadline) and customers (answering, never
answering, asking for a person, reusing a used link) act over real HTTP, while faults are injected at --fault-rate
into every workflow Lambda step, DynamoDB (throttling, and transactions cancelled by a conflicting one: every
learning fact folds into its journey's day aggregates in a transaction), SES, SNS, the event bus, and the callbacks
that hand a decision or an answer to the waiting workflow (lost: they never arrive). The hourly
learning jobs (guardrails, proposer) run every --jobs-every seconds of real time under the same faults. Faults live
here (dev only), never in the domain. When the cases have settled, faults are switched off and the invariants
checked: every case COMPLETED, REJECTED or with a person; none stuck in RECEIVED or EXECUTING; CaseActionApproved
at most once per case; each override logged once; no 5xx for a request that took effect; every timeline consistent
with its status; every scored case folded into its journey's stats once. The last line is the summary; the exit
status is 1 when an invariant fails.
"""
from __future__ import annotations

import argparse
import collections
import copy
import json
import logging
import random
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from local.apigateway import ApiGateway
from local.engine import LocalEngine
from local.server import LocalServer

from .workflow import CpuSplit

ROOT = Path(__file__).resolve().parent.parent
KEY = {"x-api-key": "local-dev-key"}
# The case samples (events/ also holds a bot conversation for POST /interactions, not a case).
SAMPLES = sorted(p.name for p in (ROOT / "events").glob("*.json") if "journey" in json.loads(p.read_text()))
ALL_GROUPS = ["reviewers", "senior", "supervisors", "fraud", "legal", "care"]
SETTLED = {"COMPLETED", "REJECTED", "AWAITING_REVIEW"}
FINAL = {"COMPLETED", "REJECTED"}


class Faults:
    """Seeded coin flips per call site; counts what was injected. Off until `enabled` is set."""

    def __init__(self, rate: float, seed: int):
        self.rate, self.enabled = rate, False
        self._rng, self._lock = random.Random(seed), threading.Lock()
        self.injected: collections.Counter[str] = collections.Counter()

    def hit(self, kind: str) -> bool:
        with self._lock:
            if not self.enabled or self._rng.random() >= self.rate:
                return False
            self.injected[kind] += 1
            return True

    def install(self, engine: LocalEngine) -> list[tuple[Any, str, Any]]:
        """Wraps the engine's dispatch and moto's backends; returns what to restore."""
        from moto.dynamodb.exceptions import DynamodbException, TransactionCanceledException
        from moto.events.models import EventsBackend
        from moto.ses.exceptions import MessageRejectedError
        from moto.ses.models import SESBackend
        from moto.sns.exceptions import InternalError
        from moto.sns.models import SNSBackend

        faults, patches = self, []
        steps = {k for k, f in engine.functions.items() if not f.routes}

        def patch(owner: Any, name: str, make: Any) -> None:
            original = getattr(owner, name)
            patches.append((owner, name, original))
            setattr(owner, name, make(original))

        def lambda_step(original):
            def invoke(logical_id, event):
                if logical_id in steps and faults.hit(f"lambda:{logical_id}"):
                    raise RuntimeError(f"chaos: injected failure in {logical_id}")
                return original(logical_id, event)
            return invoke

        inside = threading.local()  # DynamoDB answers a request at once: no fault inside a transaction's own steps

        def throttled(original):
            def call(*args, **kwargs):
                if getattr(inside, "depth", 0):
                    return original(*args, **kwargs)
                if faults.hit("dynamodb:throttle"):
                    error = DynamodbException("ProvisionedThroughputExceededException",
                                              "chaos: the level of configured provisioned throughput was exceeded")
                    raise error
                inside.depth = 1
                try:
                    return original(*args, **kwargs)
                finally:
                    inside.depth = 0
            return call

        def failing(kind: str, error: Any):
            def make(original):
                def call(*args, **kwargs):
                    if faults.hit(kind):
                        raise error()
                    return original(*args, **kwargs)
                return call
            return make

        def conflicting(original):
            # What DynamoDB answers when another transaction holds one of the items (a hot aggregate).
            def call(backend, transact_items, *args, **kwargs):
                if faults.hit("dynamodb:transaction-conflict"):
                    raise TransactionCanceledException([(None, None, None)] * (len(transact_items) - 1)
                                                       + [("TransactionConflict", "chaos: conflict", None)])
                return original(backend, transact_items, *args, **kwargs)
            return call

        engine.invoke = lambda_step(engine.invoke)  # instance attribute: moto's dispatch calls engine.invoke
        patches.append((engine, "invoke", None))
        from moto.dynamodb.models import DynamoDBBackend
        for name in ("put_item", "update_item", "delete_item", "transact_write_items", "get_item", "query"):
            patch(DynamoDBBackend, name, throttled)
        patch(DynamoDBBackend, "transact_write_items", conflicting)
        # botocore backs off a throttled call with a real sleep, inside a handler that holds the engine's one
        # container lock (on AWS each invocation has a process of its own): every other handler would wait on it,
        # and a few hundred throttles took minutes. The backoff runs on the engine's scaled time instead.
        import botocore.endpoint
        patch(botocore.endpoint, "time", lambda real: types.SimpleNamespace(
            sleep=lambda seconds: real.sleep(seconds * engine.time_scale)))
        patch(SESBackend, "send_email", failing("ses", lambda: MessageRejectedError("chaos: rejected")))
        patch(SNSBackend, "publish", failing("sns", lambda: InternalError("chaos: internal error")))
        patch(EventsBackend, "put_events", failing("events", lambda: InternalError("chaos: bus unavailable")))
        # Lost callbacks: a reviewer's decision or a customer's answer that never reaches Step Functions (the SDK
        # retries a 503; when its retries run out, the request fails and must be possible to send again).
        from moto.core.exceptions import JsonRESTError
        from moto.stepfunctions.parser.models import StepFunctionsParserBackend

        def lost() -> Exception:
            error = JsonRESTError("ServiceUnavailable", "chaos: the callback was lost")
            error.code = 503
            return error
        for name in ("send_task_success", "send_task_failure"):
            patch(StepFunctionsParserBackend, name, failing("callback", lost))
        return patches


@dataclass
class Run:
    url: str
    seed: int
    cases: dict[str, dict] = field(default_factory=dict)  # caseId -> {"sample", "customer" behaviour}
    five_xx: list[dict] = field(default_factory=list)  # what answered 5xx, to check whether it took effect
    refused: dict[str, Any] = field(default_factory=dict)  # a post's last answer other than 202, by idempotency key
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    decided: set[tuple[str, str]] = field(default_factory=set)  # (taskId, reviewer) of decisions answered 2xx

    def call(self, method: str, url: str, what: dict, **kwargs) -> requests.Response | None:
        try:
            response = requests.request(method, url, timeout=30, **kwargs)
        except requests.RequestException:
            return None
        with self.lock:
            self.statuses[response.status_code // 100 * 100] += 1
            if response.status_code >= 500:
                # The request itself is kept (never printed: a link is a secret) to send it again at the end.
                self.five_xx.append({**what, "status": response.status_code, "body": response.text[:300],
                                     "request": (method, url, kwargs)})
            elif response.ok and what.get("op") == "decide":
                self.decided.add((what["taskId"], what["by"]))
        return response


def token(url: str, sub: str, groups: list[str]) -> dict[str, str]:
    got = requests.post(f"{url}/_local/token", json={"sub": sub, "groups": groups}, timeout=10).json()["token"]
    return {"Authorization": f"Bearer {got}"}


def post_cases(run: Run, count: int, rng: random.Random, say=print) -> None:
    bodies = []
    for n in range(count):
        name = SAMPLES[n % len(SAMPLES)]
        body = copy.deepcopy(json.loads((ROOT / "events" / name).read_text()))
        body["customer"].update({"id": f"chaos-{run.seed}-{n}", "email": f"chaos-{run.seed}-{n}@example.com"})
        if "phone" in body["customer"]:
            body["customer"]["phone"] = f"+4915{run.seed % 1000:03d}{n:06d}"
        behaviour = rng.choices(["answer", "never", "human", "reuse"], weights=[60, 15, 10, 15])[0]
        bodies.append((n, name, body, behaviour))

    def one(item):
        n, name, body, behaviour = item
        key = f"chaos-{run.seed}-{n}"
        # A channel retries a failed post with the same key, as the contract allows, backing off: a first try whose
        # failure could not clear its idempotency record (a throttled delete) answers 409 until the record expires.
        for attempt in range(8):
            what = {"op": "post", "key": key, "customerId": body["customer"]["id"]}
            response = run.call("POST", f"{run.url}/cases", what, json=body, headers={**KEY, "Idempotency-Key": key})
            if response is not None and response.status_code == 202:
                with run.lock:
                    run.cases[response.json()["caseId"]] = {"sample": name, "behaviour": behaviour,
                                                            "customer": body["customer"]}
                    if len(run.cases) % 100 == 0:
                        say(f"  posted {len(run.cases)} of {count}", flush=True)
                return
            with run.lock:
                run.refused[key] = (response.status_code, response.text[:200]) if response is not None else "no answer"
            time.sleep(min(0.05 * 2 ** attempt, 3))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, bodies))


def reviewer(run: Run, stop: threading.Event, n: int, rng: random.Random, pool: ThreadPoolExecutor) -> None:
    auth = token(run.url, f"chaos-reviewer-{n}", ALL_GROUPS)
    rival = token(run.url, f"chaos-rival-{n}", ALL_GROUPS)
    while not stop.is_set():
        listed = run.call("GET", f"{run.url}/reviews?limit=50", {"op": "list"}, headers=auth)
        items = listed.json()["items"] if listed is not None and listed.ok else []
        if not items:
            stop.wait(0.1)
            continue
        task = rng.choice(items)
        roll = rng.random()
        if task.get("kind") == "contact":  # a hand-over: the person records how the contact ended
            action = rng.choices(["contacted", "resolved", "not_reached", "escalate"], weights=[30, 40, 20, 10])[0]
        else:
            action = rng.choices(["approve", "modify", "reject", "escalate"], weights=[60, 10, 20, 10])[0]
        decision = decision_for(run, auth, task, action)
        if decision is None:
            continue
        url = f"{run.url}/reviews/{task['taskId']}"
        what = {"op": "decide", "taskId": task["taskId"], "caseId": task["caseId"], "by": f"chaos-reviewer-{n}"}
        if roll < 0.15:  # two reviewers decide the same task at once
            pool.submit(run.call, "POST", f"{url}/decision", {**what, "by": f"chaos-rival-{n}"}, json=decision,
                        headers=rival)
        elif roll < 0.25:  # a slow reviewer, often after the deadline
            stop.wait(rng.uniform(0.2, 1.5))
        elif roll < 0.5:
            run.call("POST", f"{url}/claim", {**what, "op": "claim"}, headers=auth)
        run.call("POST", f"{url}/decision", what, json=decision, headers=auth)
        # A person reads before the next task: without it, four reviewers listing the queue back to back took most
        # of the engine's CPU (moto reads every item of the table for a query on an index), and a long run crawled.
        stop.wait(rng.uniform(0.05, 0.2))


def decision_for(run: Run, auth: dict, task: dict, action: str) -> dict | None:
    if action in ("approve", "contacted", "resolved"):
        return {"action": action}
    if action == "not_reached":
        return {"action": action, "comment": "chaos: nobody answered"}
    if action == "escalate":
        return {"action": "escalate", "reason": "chaos: a second opinion"}
    detail = run.call("GET", f"{run.url}/reviews/{task['taskId']}", {"op": "view"}, headers=auth)
    if detail is None or not detail.ok:
        return None
    view = detail.json()
    if action == "reject":
        codes = view.get("rejectReasons") or view.get("rejectReasonCodes") or []
        code = codes[0]["code"] if codes and isinstance(codes[0], dict) else (codes[0] if codes else None)
        return {"action": "reject", "reason": code} if code else {"action": "approve"}
    proposal = view.get("proposal") or {}
    return {"action": "modify", "reason": "chaos: adjusted", "proposal": proposal,
            **({"proposalVersion": view["proposalVersion"]} if "proposalVersion" in view else {})}


def customers(run: Run, stop: threading.Event, rng: random.Random) -> None:
    seen: set[str] = set()
    used: list[str] = []
    by_recipient = {}
    read = 0  # messages read so far: each poll asks only for newer ones (all of them each time was quadratic)
    while not stop.is_set():
        with run.lock:
            for case in run.cases.values():
                by_recipient[case["customer"]["email"]] = case
                if case["customer"].get("phone"):
                    by_recipient[case["customer"]["phone"]] = case
        outbox = run.call("GET", f"{run.url}/_local/outbox?since={read}", {"op": "outbox"})
        items = outbox.json()["items"] if outbox is not None and outbox.ok else []
        read += len(items)
        fresh = [(m["recipient"], link) for m in items for link in m.get("links", []) if link not in seen]
        if not fresh:
            stop.wait(0.1)
            continue
        for recipient, link in fresh:
            seen.add(link)
            case = by_recipient.get(recipient)
            behaviour = case["behaviour"] if case else "answer"
            if behaviour == "never":
                continue
            what = {"op": "answer", "link": link}
            if behaviour == "human":
                run.call("POST", link, what, json={"response": "human"}, headers={"Accept": "application/json"})
                continue
            view = run.call("GET", link, {"op": "page"}, headers={"Accept": "application/json"})
            if view is None or not view.ok:
                continue
            answer = answer_for(view.json())
            first = run.call("POST", link, what, json=answer, headers={"Accept": "application/json"})
            if first is not None and first.status_code == 200:
                used.append(link)  # only an answer that was taken uses the link up (a faulted one may be sent again)
            if behaviour == "reuse" and used:
                again = run.call("POST", rng.choice(used), {"op": "reuse"}, json=answer,
                                 headers={"Accept": "application/json"})
                if again is not None and again.status_code == 200:
                    with run.lock:
                        run.five_xx.append({"op": "reuse-accepted", "link": "(redacted)", "status": 200})


def answer_for(view: dict) -> dict:
    kind = view.get("kind")
    if kind == "choose" and view.get("options"):
        return {"response": "choose", "option": view["options"][0]["id"]}
    if kind == "provide":
        fields = {f["name"]: "chaos-1" for f in view.get("fields", []) if isinstance(f, dict) and "name" in f}
        return {"response": "provide", "fields": fields}
    return {"response": "confirm"}


def settle(run: Run, timeout: float, say=print) -> dict[str, dict]:
    """Polls every case until each is final or with a reviewer, or until the time runs out."""
    deadline, views = time.time() + timeout, {}
    pending, told = set(run.cases), time.time()
    while pending and time.time() < deadline:
        if time.time() - told > 15:
            say(f"  {len(pending)} of {len(run.cases)} cases still moving", flush=True)
            told = time.time()
        for case_id in list(pending):
            got = run.call("GET", f"{run.url}/cases/{case_id}", {"op": "view"}, headers=KEY)
            if got is not None and got.ok:
                views[case_id] = got.json()
                if views[case_id]["status"] in SETTLED:
                    pending.discard(case_id)
        if pending:
            time.sleep(0.2)
    for case_id in pending:
        views[case_id] = requests.get(f"{run.url}/cases/{case_id}", headers=KEY, timeout=30).json()
    return views


def open_tasks(url: str) -> set[str]:
    auth, found, cursor = token(url, "chaos-auditor", ALL_GROUPS), set(), None
    while True:
        page = requests.get(f"{url}/reviews", params={"limit": 100, **({"cursor": cursor} if cursor else {})},
                            headers=auth, timeout=30).json()
        found |= {t["caseId"] for t in page["items"]}
        cursor = page.get("nextCursor")
        if not cursor:
            return found


def overrides(url: str, journeys: set[str], since: str) -> list[dict]:
    """The whole override log since the run began, journey by journey (a lead reads it by journey or by reviewer).
    `since` is needed: the log's default window is 30 days, and a long run's scaled clock passes months."""
    auth, items = token(url, "chaos-lead", ["leads"]), []
    for journey in sorted(journeys):
        cursor = None
        while True:
            page = requests.get(f"{url}/overrides", headers=auth, timeout=30, params={
                "journey": journey, "from": since, "limit": 100, **({"cursor": cursor} if cursor else {})}).json()
            items += page["items"]
            cursor = page.get("nextCursor")
            if not cursor:
                break
    return items


@dataclass
class Report:
    cases: int
    faults: int
    lost: list[str]
    stuck: list[str]
    doubles: list[str]
    five_xx: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not (self.lost or self.stuck or self.doubles or self.problems)

    def summary(self) -> str:
        return (f"chaos: {self.cases} cases, {self.faults} faults injected, lost {len(self.lost)}, "
                f"stuck {len(self.stuck)}, double executions {len(self.doubles)}, 5xx {self.five_xx}"
                + (f", other problems {len(self.problems)} (listed above)" if self.problems else ""))


def check(run: Run, views: dict[str, dict], engine: LocalEngine, posted: int) -> list[str]:
    """Everything but lost/stuck/doubles: problems, one line each."""
    problems = []
    if len(run.cases) != posted:
        accepted = {c["customer"]["id"] for c in run.cases.values()}
        problems.append(f"{posted - len(run.cases)} posts never got a 202; the last answers: "
                        f"{[answer for key, answer in run.refused.items() if key not in accepted][:5]}")
    since = min((v["createdAt"][:10] for v in views.values()), default="2000-01-01")
    by_case = collections.Counter(o.get("caseId") for o in overrides(run.url, {v["journey"] for v in views.values()},
                                                                     since))
    for case_id, view in views.items():
        if by_case[case_id] != len(view.get("overrides", [])):
            problems.append(f"{case_id}: {by_case[case_id]} overrides logged, the case shows "
                            f"{len(view.get('overrides', []))}")
        timeline = [e["type"] for e in view.get("timeline", [])]
        closed = {"executed", "completed", "resolved"}  # resolved: a contact closed with nothing to execute
        if view["status"] == "COMPLETED" and not closed & set(timeline):
            problems.append(f"{case_id}: COMPLETED without an execution in its timeline: {timeline}")
        if view["status"] != "COMPLETED" and closed & set(timeline):
            problems.append(f"{case_id}: {view['status']} but its timeline says executed: {timeline}")
    problems += folded_once(engine, views)
    problems += took_effect_after_5xx(run, engine)
    return problems


def took_effect_after_5xx(run: Run, engine: LocalEngine) -> list[str]:
    """A request answered 5xx must not have taken effect: its sender would send it again and be refused. Checked
    with faults off: a decision is in the task only if a 2xx answered it; an answer sent again is not refused as
    answered already."""
    table, client, problems = engine.template.physical["CasesTable"]["Ref"], engine.client("dynamodb"), []
    for failure in run.five_xx:
        if failure["op"] == "reuse-accepted":
            problems.append("a used customer link was accepted again")
        elif failure["op"] == "decide":
            task = client.get_item(TableName=table, Key={"pk": {"S": f"TASK#{failure['taskId']}"},
                                                         "sk": {"S": "TASK"}}).get("Item", {})
            by = task.get("decidedBy", {}).get("S")
            if by == failure["by"] and (failure["taskId"], by) not in run.decided:
                problems.append(f"task {failure['taskId']}: a decision answered {failure['status']} was taken")
        elif failure["op"] == "answer":
            method, url, kwargs = failure["request"]
            again = requests.request(method, url, timeout=30, **kwargs)
            if again.status_code == 410 and "already answered" in again.text:
                problems.append(f"an answer to a {failure.get('kind', 'customer')} step answered "
                                f"{failure['status']} was taken")
    return problems


def folded_once(engine: LocalEngine, views: dict[str, dict]) -> list[str]:
    """Each scored case (it has a route) folded into its journey's day once: its `scored` marker is there (a fold
    lost to a cancelled transaction leaves none), and the day's `cases` count equals the markers (a fold added
    twice shows here). Read from the table: a case's view shows only its latest timeline events."""
    table, client, problems = engine.template.physical["CasesTable"]["Ref"], engine.client("dynamodb"), []
    marked: collections.Counter[tuple[str, str]] = collections.Counter()
    for case_id, view in views.items():
        pk = {"S": f"CASE#{case_id}"}
        case = client.get_item(TableName=table, Key={"pk": pk, "sk": {"S": "CASE"}}).get("Item", {})
        marker = client.get_item(TableName=table, Key={"pk": pk, "sk": {"S": "FOLD#scored"}}).get("Item")
        if marker:  # the day it was scored on (learning.day), which a fast clock can put after the day it came in
            day = case.get("learning", {}).get("M", {}).get("day", {}).get("S") or view["createdAt"][:10]
            marked[(view["journey"], day)] += 1
        elif "route" in case:
            problems.append(f"{case_id}: scored ({case['route']['S']}) but never folded into the stats")
    for (journey, day), count in sorted(marked.items()):
        item = client.get_item(TableName=table, Key={"pk": {"S": f"STATS#{journey}#{day}"}, "sk": {"S": "all#-"}})
        folded = float(item.get("Item", {}).get("cases", {}).get("N", 0))
        if folded != count:
            problems.append(f"{journey} {day}: {count} cases folded, {folded:g} counted in the stats")
    return problems


def learning_jobs(engine: LocalEngine, stop: threading.Event, every: float) -> None:
    """The hourly jobs, on a real-time period: at the chaos time scale an hour is 0.18 s, and the jobs would
    take all of the engine's time."""
    while not stop.wait(every):
        try:
            engine.invoke("LearningJobsFunction", {"version": "0", "id": "chaos", "detail-type": "Scheduled Event",
                                                   "source": "aws.events", "detail": {}, "resources": [],
                                                   "time": engine.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")})
        except Exception:  # an injected fault: EventBridge would run it again at the next period
            pass


def run_chaos(cases: int, seed: int, fault_rate: float, *, reviewers: int = 4, time_scale: float = 0.00005,
              settle_seconds: float = 120, jobs_every: float = 2.0, quiet: bool = False) -> Report:
    rng = random.Random(seed)
    # Follow-ups: 13 s into a run (3 days at this scale) they would message the customers of completed complaints,
    # whose links the simulated customers do not expect; the chaos checks are about the case workflow.
    engine = LocalEngine(time_scale=time_scale, skip_schedules=("LearningJobsFunction", "AuditDigestFunction",
                                                                  "FollowUpsFunction"))
    server = LocalServer(engine, ApiGateway(engine), port=0)
    engine.public_base_url = server.url
    engine.start()
    server.start()
    logging.getLogger("loopgate").setLevel(logging.CRITICAL)  # the handlers' INFO lines would bury the report
    faults = Faults(fault_rate, seed)
    patches = faults.install(engine)
    split = CpuSplit(engine)
    run, stop = Run(server.url, seed), threading.Event()
    say = (lambda *a, **k: None) if quiet else print
    try:
        faults.enabled = True
        began = time.time()
        with ThreadPoolExecutor(2 * reviewers) as racing:
            actors = [threading.Thread(target=reviewer, args=(run, stop, n, random.Random(seed + n), racing))
                      for n in range(reviewers)]
            actors.append(threading.Thread(target=customers, args=(run, stop, random.Random(seed - 1))))
            actors.append(threading.Thread(target=learning_jobs, args=(engine, stop, jobs_every)))
            for actor in actors:
                actor.start()
            post_cases(run, cases, rng, say)
            say(f"posted {len(run.cases)} cases in {time.time() - began:.1f} s")
            views = settle(run, settle_seconds, say)
            say(f"settled under faults in {time.time() - began:.1f} s")
            faults.enabled = False
            stop.set()
            for actor in actors:
                actor.join()
        say(f"settled in {time.time() - began:.1f} s; faults {dict(faults.injected)}")
        views = settle(run, settle_seconds, say)  # once more, without faults and without people acting
        with_person = open_tasks(run.url)
        alerts = " ".join(str(m.body) for m in engine.outbox if m.channel == "topic")
        executed = collections.Counter(e["detail"].get("caseId") for e in engine.downstream_events()
                                       if e["detail-type"] == "CaseActionApproved")
        stuck = sorted(c for c, v in views.items() if v["status"] in {"RECEIVED", "EXECUTING"})
        # An execution that ends FAILED (NeedsOperator, when even alerting the operators failed) sets off the
        # stack's ExecutionsFailed alarm: the operators are told by it.
        lost = sorted(c for c, v in views.items() if c not in stuck and v["status"] not in FINAL
                      and c not in with_person and c not in alerts and engine.execution(c)["status"] != "FAILED")
        doubles = sorted(c for c, n in executed.items() if n > 1)
        problems = check(run, views, engine, cases)
        real_5xx = [f for f in run.five_xx if f["op"] != "reuse-accepted"]
        for c in lost + stuck:
            say(f"  {'stuck' if c in stuck else 'lost'} {c}: {views[c]['status']} "
                f"{[e['type'] for e in views[c]['timeline']][-6:]}; execution "
                f"{engine.execution(c)['status']}, last states {last_states(engine, c)}")
        for c in doubles:
            say(f"  double execution {c}: {executed[c]} CaseActionApproved")
        for p in problems[:20]:
            say(f"  {p}")
        for f in real_5xx[:10]:
            say(f"  5xx {f['op']}: {f['status']} {f['body']}")
        finals = collections.Counter(v["status"] for v in views.values())
        say(f"statuses {dict(finals)}; HTTP {dict(run.statuses)}")
        if not quiet:
            split.report(len(views))
        return Report(len(views), sum(faults.injected.values()), lost, stuck, doubles, len(real_5xx), problems)
    finally:
        stop.set()
        faults.enabled = False
        split.close()
        for owner, name, original in reversed(patches):
            if original is None:
                del owner.__dict__[name]
            else:
                setattr(owner, name, original)
        server.stop()
        engine.stop()


def last_states(engine: LocalEngine, case_id: str) -> list[str]:
    """Where the workflow of a case stopped, to reproduce what the run found."""
    events = engine.history(case_id)
    return [e.get("stateEnteredEventDetails", {}).get("name") or e["type"] for e in events][-6:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--reviewers", type=int, default=4)
    parser.add_argument("--time-scale", type=float, default=0.00005, help="0.00005: a week passes in 30 s")
    parser.add_argument("--settle-seconds", type=float, default=180)
    parser.add_argument("--jobs-every", type=float, default=2.0, help="real seconds between learning job runs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    report = run_chaos(args.cases, args.seed, args.fault_rate, reviewers=args.reviewers,
                       time_scale=args.time_scale, settle_seconds=args.settle_seconds, jobs_every=args.jobs_every)
    print(report.summary())
    raise SystemExit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
