"""Benchmark: cases through the real workflow on the local engine; prints throughput, latency and memory.

    make bench            # 60 automatic cases from 4 channels, 10 reviewed ones, then one case per path, metered
    .venv/bin/python -m bench.workflow --auto 300 --reviewed 50

Figures are for this machine and moto's interpreter, not for AWS: they show whether a change made the
local engine or the handlers slower, which `make test` would not tell. The metered part is what AWS bills per case
of each path (state transitions, Lambda invocations, DynamoDB requests), the input of docs/capacity.md.
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import re
import resource
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from local.apigateway import ApiGateway
from local.engine import LocalEngine
from local.server import LocalServer

ROOT = Path(__file__).resolve().parent.parent
KEY = {"x-api-key": "local-dev-key"}
# One sample per path of the workflow (automatic, review, review -> customer, customer only, ...).
METERED = ["identity_verification_clear.json", "contract_change_low_confidence.json",
           "document_approval.json", "contract_change_confident.json", "refund_small.json",
           "complaint_angry.json", "identity_verification_mismatch_fraud.json"]
# A reviewer who may decide any case, whichever queue its plan names (senior, supervisors, fraud, ...).
ALL_QUEUES = ["reviewers", "senior", "supervisors", "audit", "leads", "fraud", "legal", "care"]
_LINK = re.compile(r"https?://\S+/c/[A-Za-z0-9_-]+")


def sample(name: str, n: int) -> dict:
    case = copy.deepcopy(json.loads((ROOT / "events" / name).read_text()))
    case["customer"]["id"] = f"bench-{n}"
    return case


class StatusWatch:
    """Knows when each case reached each status, from the CaseStatusChanged events the workflow and the handlers
    publish (moto's event bus, in this process).

    Polling GET /cases every 50 ms, as the bench did, cost a third of the engine's CPU: the figure measured the
    poller as much as the engine. A channel learns of a status from this event (DESIGN.md, Events); the bench reads
    the case over HTTP once, at the end, to check that the API agrees.
    """

    def __init__(self) -> None:
        from moto.events.models import EventsBackend

        self._seen: dict[str, dict[str, float]] = {}
        self._changed = threading.Condition()
        self._owner, self._original = EventsBackend, EventsBackend.put_events
        watch = self

        def put_events(backend, events):
            result = watch._original(backend, events)
            for entry in events:
                if entry.get("DetailType") == "CaseStatusChanged":
                    detail = json.loads(entry.get("Detail") or "{}")
                    with watch._changed:
                        watch._seen.setdefault(detail.get("caseId"), {}).setdefault(detail.get("to"), time.time())
                        watch._changed.notify_all()
            return result

        EventsBackend.put_events = put_events

    def wait(self, url: str, case_id: str, statuses: set[str], timeout: float = 120) -> float:
        """When the case first reached one of `statuses`; the case as GET /cases shows it must agree."""
        with self._changed:
            if not self._changed.wait_for(lambda: statuses & self._seen.get(case_id, {}).keys(), timeout):
                raise TimeoutError(case_id)
            reached = min(at for status, at in self._seen[case_id].items() if status in statuses)
        response = requests.get(f"{url}/cases/{case_id}", headers=KEY, timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"GET /cases/{case_id}: {response.status_code} {response.text[:500]}")
        if response.json()["status"] not in statuses:  # each waited status holds until someone acts
            raise RuntimeError(f"{case_id}: the event said {statuses}, GET /cases says {response.json()['status']}")
        return reached

    def close(self) -> None:
        self._owner.put_events = self._original


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_auto(url: str, count: int, workers: int, watch: StatusWatch) -> tuple[float, list[float]]:
    def one(n: int) -> float:
        start = time.time()
        case_id = requests.post(f"{url}/cases", json=sample("identity_verification_clear.json", n), headers=KEY,
                                timeout=10).json()["caseId"]
        return watch.wait(url, case_id, {"COMPLETED"}) - start

    began = time.time()
    with ThreadPoolExecutor(workers) as pool:
        latencies = list(pool.map(one, range(count)))
    return time.time() - began, latencies


def run_reviewed(url: str, count: int, watch: StatusWatch) -> tuple[float, list[float]]:
    token = requests.post(f"{url}/_local/token", json={"sub": "bench", "groups": ["reviewers"]},
                          timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    began, latencies = time.time(), []
    for n in range(count):
        start = time.time()
        body = sample("contract_change_low_confidence.json", n)
        body["customer"]["email"] = f"bench-{n}@example.com"
        case_id = requests.post(f"{url}/cases", json=body, headers=KEY, timeout=10).json()["caseId"]
        watch.wait(url, case_id, {"AWAITING_REVIEW"})
        task = next(t for t in requests.get(f"{url}/reviews?limit=100", headers=auth, timeout=10).json()["items"]
                    if t["caseId"] == case_id)
        requests.post(f"{url}/reviews/{task['taskId']}/decision", json={"action": "approve"}, headers=auth, timeout=10)
        watch.wait(url, case_id, {"AWAITING_CUSTOMER"})
        outbox = requests.get(f"{url}/_local/outbox", timeout=10).json()["items"]
        link = [m for m in outbox if m["recipient"] == body["customer"]["email"]][-1]["links"][0]
        requests.post(link, json={"response": "confirm"}, headers={"Accept": "application/json"}, timeout=10)
        latencies.append(watch.wait(url, case_id, {"COMPLETED"}) - start)
    return time.time() - began, latencies


class CpuSplit:
    """Where a run's CPU goes: the process total, the Lambda handlers (each on its own thread, with the AWS calls
    they make), and moto's DynamoDB (the handlers' requests and the state machine's direct integrations). The rest
    is moto's Step Functions interpreter, the HTTP server and this bench's own client. Everything runs in one
    process under one GIL, so CPU per case, not the wall clock, bounds throughput."""

    def __init__(self, engine: LocalEngine):
        from moto.dynamodb.models import DynamoDBBackend

        self.by_function: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.dynamodb = 0.0
        self._lock, self._depth, self._undo = threading.Lock(), threading.local(), []
        invoke = engine.invoke

        def timed_invoke(logical_id: str, event: dict):
            began = time.thread_time()
            try:
                return invoke(logical_id, event)
            finally:
                with self._lock:
                    self.by_function[logical_id] += time.thread_time() - began
                    self.calls[logical_id] += 1

        for name in Meter.OPERATIONS + ("transact_get_items", "batch_get_item", "batch_write_item"):
            original = getattr(DynamoDBBackend, name)
            setattr(DynamoDBBackend, name, self._timed(original))
            self._undo.append((DynamoDBBackend, name, original))
        engine.invoke = timed_invoke
        self._undo.append((engine, "invoke", invoke))
        self._began = self._process()

    def _timed(self, original):
        split = self

        def call(*args, **kwargs):
            outer = not getattr(split._depth, "on", False)  # a transaction calls get_item: count it once
            split._depth.on, began = True, time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                if outer:
                    split._depth.on = False
                    with split._lock:
                        split.dynamodb += time.thread_time() - began
        return call

    @staticmethod
    def _process() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def report(self, cases: int) -> None:
        total = self._process() - self._began
        handlers = sum(self.by_function.values())
        top = ", ".join(f"{name.removesuffix('Function')} {seconds * 1000 / cases:.0f} in "
                        f"{self.calls[name] / cases:.1f} runs" for name, seconds in self.by_function.most_common(4))
        print(f"  CPU per case {total * 1000 / cases:.0f} ms (at most {cases / total:.1f} cases/s on one core): "
              f"Lambda handlers {handlers * 1000 / cases:.0f} ms ({top}), DynamoDB in moto "
              f"{self.dynamodb * 1000 / cases:.0f} ms (inside handlers or the state machine), the rest "
              f"{(total - handlers) * 1000 / cases:.0f} ms (Step Functions interpreter, HTTP, this client)")

    def close(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)


class Meter:
    """Counts what AWS bills while one case runs: Lambda invocations (every handler the engine runs, for the state
    machine or API Gateway) and DynamoDB requests (at moto's backend: the handlers' and the state machine's direct
    integrations alike; a transaction also counts the items it writes, each billed twice). The local engine's own
    look-ups (which case a sent message belongs to) are not the application's and are left out."""

    OPERATIONS = ("get_item", "query", "put_item", "update_item", "delete_item", "transact_write_items")

    def __init__(self, engine: LocalEngine):
        from moto.dynamodb.models import DynamoDBBackend

        self.counts: Counter[str] = Counter()
        self._lock, self._quiet, self._undo = threading.Lock(), threading.local(), []
        for name in self.OPERATIONS:
            original = getattr(DynamoDBBackend, name)
            setattr(DynamoDBBackend, name, self._counting(name, original))
            self._undo.append((DynamoDBBackend, name, original))
        invoke, case_of = engine.invoke, engine.case_of

        def counted_invoke(logical_id: str, event: dict):
            self.add("lambda")
            return invoke(logical_id, event)

        def quiet_case_of(message: str):
            self._quiet.on = True
            try:
                return case_of(message)
            finally:
                self._quiet.on = False

        engine.invoke, engine.case_of = counted_invoke, quiet_case_of

    def _counting(self, name: str, original):
        meter = self

        def call(backend, *args, **kwargs):
            # A transaction's own steps (moto writes each item with put/update; the engine reads each item first,
            # to roll back) are not requests: only the outermost call is counted.
            if getattr(meter._quiet, "on", False) or getattr(meter._quiet, "inside", False):
                return original(backend, *args, **kwargs)
            meter.add(f"dynamodb {name}")
            if name == "transact_write_items":
                meter.add("dynamodb transaction items", len(args[0] if args else kwargs["transact_items"]))
            meter._quiet.inside = True
            try:
                return original(backend, *args, **kwargs)
            finally:
                meter._quiet.inside = False
        return call

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n

    def take(self) -> Counter[str]:
        with self._lock:
            counts, self.counts = self.counts, Counter()
        return counts

    def close(self) -> None:
        for owner, name, original in self._undo:
            setattr(owner, name, original)


def metered_case(engine: LocalEngine, url: str, meter: Meter, sample_name: str, n: int, *,
                 customer_answer: str = "confirm") -> tuple[str, Counter[str]]:
    """One case to its end, a reviewer approving and the customer answering whenever the workflow asks; returns
    its path (the people it waited for, and whether it was audited) and what it cost."""
    def reviewer(k: int) -> dict[str, str]:  # a new person for each approval: four eyes need two
        token = requests.post(f"{url}/_local/token", json={"sub": f"meter-{k}", "groups": ALL_QUEUES},
                              timeout=10).json()["token"]
        return {"Authorization": f"Bearer {token}"}

    body = sample(sample_name, 1000 + n)
    body["customer"]["email"] = f"meter-{n}@example.com"
    meter.take()
    case_id = requests.post(f"{url}/cases", json=body, headers=KEY, timeout=10).json()["caseId"]
    asked: list[str] = []
    used: set[str] = set()
    deadline = time.time() + 30
    while time.time() < deadline:
        if engine.execution(case_id)["status"] != "RUNNING":
            break
        events = engine.history(case_id)
        entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
        waiting = entered[-1] if entered else None
        if waiting == "RequestReview":
            auth = reviewer(len(asked))
            tasks = requests.get(f"{url}/reviews?limit=100", headers=auth, timeout=10).json()["items"]
            task = next((t for t in tasks if t["caseId"] == case_id), None)
            if task and requests.post(f"{url}/reviews/{task['taskId']}/decision", json={"action": "approve"},
                                      headers=auth, timeout=10).ok:
                asked.append("review")
        elif waiting == "RequestCustomer":
            links = [_LINK.search(m.body).group(0) for m in engine.outbox
                     if m.recipient in (body["customer"].get("email"), body["customer"].get("phone"))
                     and _LINK.search(m.body)]
            if links and links[-1] not in used and requests.post(
                    links[-1], json={"response": customer_answer}, headers={"Accept": "application/json"},
                    timeout=10).ok:
                asked.append("customer")
            used.update(links[-1:])
        time.sleep(0.05)
    else:
        raise TimeoutError(f"{sample_name}: {case_id} still running; asked {asked}, last events "
                           f"{[e['type'] for e in engine.history(case_id)[-4:]]}")
    events = engine.history(case_id)
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    counts = meter.take()
    counts["transitions"] = len(entered)
    path = " -> ".join(asked) or "automatic"
    if "OpenAudit" in entered:
        path += ", audited"
    if "Rejected" in entered:
        path += ", rejected"
    return path, counts


# AWS list prices, us-east-1, as known on PRICES_DATED (docs/capacity.md: check them before quoting), in USD.
PRICES_DATED = "2026-11-23"
PRICE_TRANSITION = 0.025 / 1000  # Step Functions Standard
PRICE_LAMBDA = 0.20 / 1e6 + 0.075 * 0.0000166667  # a request, and 256 MB for 300 ms (the capacity assumption)
PRICE_WRITE_UNIT, PRICE_READ_UNIT = 0.625 / 1e6, 0.125 / 1e6  # DynamoDB on demand; a transaction item is 2 units


def cost_per_1000(counts: Counter[str], reads: int, writes: int) -> float:
    """What 1,000 cases of a path cost in Step Functions, Lambda and DynamoDB (messages, events and API requests
    are priced in docs/capacity.md)."""
    units = writes + 2 * counts["dynamodb transaction items"]
    return 1000 * (counts["transitions"] * PRICE_TRANSITION + counts["lambda"] * PRICE_LAMBDA
                   + units * PRICE_WRITE_UNIT + reads * PRICE_READ_UNIT)


def report_metered(rows: list[tuple[str, str, Counter[str]]]) -> None:
    print(f"\nper case, by path (one case each; what AWS bills, and USD per 1,000 cases for Step Functions, Lambda and "
          f"DynamoDB at list prices of {PRICES_DATED}: docs/capacity.md adds messages, events and API requests)")
    print(f"{'path':<32} {'sample':<34} {'transitions':>11} {'lambda':>6} {'ddb reads':>9} {'ddb writes':>10} "
          f"{'in txn':>6} {'USD/1000':>8}")
    for path, name, counts in rows:
        reads = counts["dynamodb get_item"] + counts["dynamodb query"]
        writes = sum(counts[f"dynamodb {op}"] for op in ("put_item", "update_item", "delete_item"))
        print(f"{path:<32} {name:<34} {counts['transitions']:>11} {counts['lambda']:>6} {reads:>9} {writes:>10} "
              f"{counts['dynamodb transaction items']:>6} {cost_per_1000(counts, reads, writes):>8.3f}")


def report(name: str, elapsed: float, latencies: list[float]) -> None:
    print(f"{name:<34} {len(latencies):>5} cases  {len(latencies) / elapsed:7.1f} cases/s  "
          f"p50 {statistics.median(latencies) * 1000:7.0f} ms  p95 {percentile(latencies, 0.95) * 1000:7.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--auto", type=int, default=60, help="automatic cases (posted by --workers channels)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--reviewed", type=int, default=10, help="cases a reviewer approves and a customer confirms")
    parser.add_argument("--meter", nargs="*", default=METERED, help="samples in events/ to meter, one case each")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    # The scheduled jobs (deadlines every minute, learning hourly, the evidence seal daily) would add their
    # requests to whichever case is being metered; they are not part of a case's cost (docs/capacity.md counts
    # them apart).
    engine = LocalEngine(time_scale=1.0, skip_schedules=("ReviewDeadlinesFunction", "LearningJobsFunction",
                                                       "AuditDigestFunction"))
    server = LocalServer(engine, ApiGateway(engine), port=0)
    engine.public_base_url = server.url
    started = time.time()
    engine.start()
    server.start()
    print(f"local stack up in {time.time() - started:.1f} s")
    watch = StatusWatch()
    try:
        split = CpuSplit(engine)
        try:
            report(f"automatic ({args.workers} channels)", *run_auto(server.url, args.auto, args.workers, watch))
            split.report(args.auto)
        finally:
            split.close()
        report("review -> customer -> completed", *run_reviewed(server.url, args.reviewed, watch))
    finally:
        watch.close()
    meter = Meter(engine)
    try:
        rows = []
        for n, name in enumerate(args.meter):
            try:
                path, counts = metered_case(engine, server.url, meter, name, n)
            except TimeoutError as exc:  # a path this driver cannot finish is reported, not fatal to the rest
                print(f"not metered: {exc}")
                continue
            rows.append((path, name, counts))
        report_metered(rows)
    finally:
        meter.close()
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    server.stop()
    engine.stop()


if __name__ == "__main__":
    main()
