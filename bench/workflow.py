"""Benchmark: cases through the real workflow on the local engine; prints throughput, latency and memory.

    make bench            # 60 automatic cases from 4 channels, 10 reviewed ones
    .venv/bin/python -m bench.workflow --auto 300 --reviewed 50

Figures are for this machine and moto's interpreter, not for AWS: they show whether a change made the
local engine or the handlers slower, which `make test` would not tell.
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from local.apigateway import ApiGateway
from local.engine import LocalEngine
from local.server import LocalServer

ROOT = Path(__file__).resolve().parent.parent
KEY = {"x-api-key": "local-dev-key"}


def sample(name: str, n: int) -> dict:
    case = copy.deepcopy(json.loads((ROOT / "events" / name).read_text()))
    case["customer"]["id"] = f"bench-{n}"
    return case


def wait(url: str, case_id: str, statuses: set[str], timeout: float = 120) -> float:
    deadline = time.time() + timeout
    while time.time() < deadline:
        response = requests.get(f"{url}/cases/{case_id}", headers=KEY, timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"GET /cases/{case_id}: {response.status_code} {response.text[:500]}")
        if response.json()["status"] in statuses:
            return time.time()
        time.sleep(0.05)
    raise TimeoutError(case_id)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_auto(url: str, count: int, workers: int) -> tuple[float, list[float]]:
    def one(n: int) -> float:
        start = time.time()
        case_id = requests.post(f"{url}/cases", json=sample("identity_verification_clear.json", n), headers=KEY,
                                timeout=10).json()["caseId"]
        return wait(url, case_id, {"COMPLETED"}) - start

    began = time.time()
    with ThreadPoolExecutor(workers) as pool:
        latencies = list(pool.map(one, range(count)))
    return time.time() - began, latencies


def run_reviewed(url: str, count: int) -> tuple[float, list[float]]:
    token = requests.post(f"{url}/_local/token", json={"sub": "bench", "groups": ["reviewers"]},
                          timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    began, latencies = time.time(), []
    for n in range(count):
        start = time.time()
        body = sample("contract_change_low_confidence.json", n)
        body["customer"]["email"] = f"bench-{n}@example.com"
        case_id = requests.post(f"{url}/cases", json=body, headers=KEY, timeout=10).json()["caseId"]
        wait(url, case_id, {"AWAITING_REVIEW"})
        task = next(t for t in requests.get(f"{url}/reviews?limit=100", headers=auth, timeout=10).json()["items"]
                    if t["caseId"] == case_id)
        requests.post(f"{url}/reviews/{task['taskId']}/decision", json={"action": "approve"}, headers=auth, timeout=10)
        wait(url, case_id, {"AWAITING_CUSTOMER"})
        outbox = requests.get(f"{url}/_local/outbox", timeout=10).json()["items"]
        link = [m for m in outbox if m["recipient"] == body["customer"]["email"]][-1]["links"][0]
        requests.post(link, json={"response": "confirm"}, headers={"Accept": "application/json"}, timeout=10)
        latencies.append(wait(url, case_id, {"COMPLETED"}) - start)
    return time.time() - began, latencies


def report(name: str, elapsed: float, latencies: list[float]) -> None:
    print(f"{name:<34} {len(latencies):>5} cases  {len(latencies) / elapsed:7.1f} cases/s  "
          f"p50 {statistics.median(latencies) * 1000:7.0f} ms  p95 {percentile(latencies, 0.95) * 1000:7.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--auto", type=int, default=60, help="automatic cases (posted by --workers channels)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--reviewed", type=int, default=10, help="cases a reviewer approves and a customer confirms")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    engine = LocalEngine(time_scale=1.0)
    server = LocalServer(engine, ApiGateway(engine), port=0)
    engine.public_base_url = server.url
    started = time.time()
    engine.start()
    server.start()
    print(f"local stack up in {time.time() - started:.1f} s")
    report(f"automatic ({args.workers} channels)", *run_auto(server.url, args.auto, args.workers))
    report("review -> customer -> completed", *run_reviewed(server.url, args.reviewed))
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    server.stop()
    engine.stop()


if __name__ == "__main__":
    main()
